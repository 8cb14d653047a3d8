"""Task comments: markdown (sanitized), edit and delete own, audit, @mentions, API and page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from itpm.collab.models import TaskComment
from itpm.collab.services import task_comment_create
from itpm.core.models import AuditEvent
from itpm.notifications.models import Notification
from itpm.planning.services import task_update

V1 = "/api/v1"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _patch(client: Client, url: str, body: Any) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_a_comment_is_markdown_sanitized_and_audited(people: Any, tasks: Any, api: Any) -> None:
    design = tasks["design"]
    body = "**Firewall** rules <script>alert(1)</script> [x](javascript:alert(1))"
    made = _post(api("member"), f"{V1}/tasks/{design.pk}/comments", {"body": body})
    assert made.status_code == 201, made.content
    html = made.json()["html"]
    assert "<strong>Firewall</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert made.json()["author"] == "mia" and made.json()["body"] == body
    event = AuditEvent.objects.get(action="task_comment.create")
    assert event.project.key == "APL" and event.actor == people["member"]
    listed = api("viewer").get(f"{V1}/tasks/{design.pk}/comments").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == made.json()["id"]


def test_mentions_notify_members_who_can_see_and_nobody_else(
    people: Any, tasks: Any, api: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    design = tasks["design"]
    with django_capture_on_commit_callbacks(execute=True):
        made = _post(api("member"), f"{V1}/tasks/{design.pk}/comments",
                     {"body": "@vic please review; @oscar too; mail me at mia@example.com"})  # fmt: skip
    assert made.status_code == 201
    viewer_notes = Notification.objects.filter(recipient=people["viewer"], kind="mention")
    assert [n.text for n in viewer_notes] == [
        "mia mentioned you in a comment on APL task 1.1 Design"
    ]
    assert viewer_notes[0].url == f"/tasks/{design.pk}/discussion/#comment-{made.json()['id']}"
    assert not Notification.objects.filter(recipient=people["outsider"]).exists()
    assert [m.to for m in mail.outbox] == [["vic@example.com"]]


def test_editing_keeps_versions_and_tells_only_newly_mentioned(
    people: Any, tasks: Any, api: Any
) -> None:
    made = _post(api("member"), f"{V1}/tasks/{tasks['design'].pk}/comments",
                 {"body": "@vic look"}).json()  # fmt: skip
    url = f"{V1}/task-comments/{made['id']}"
    edited = _patch(api("member"), url, {"version": made["version"], "body": "@vic @manny look"})
    assert edited.status_code == 200 and edited.json()["version"] == made["version"] + 1
    assert edited.json()["edited_at"] is not None
    assert Notification.objects.filter(recipient=people["viewer"], kind="mention").count() == 1
    assert Notification.objects.filter(recipient=people["manager"], kind="mention").count() == 1
    stale = _patch(api("member"), url, {"version": made["version"], "body": "again"})
    assert stale.status_code == 409
    assert TaskComment.objects.get(pk=made["id"]).body == "@vic @manny look"
    assert AuditEvent.objects.filter(action="task_comment.update").count() == 1


@pytest.mark.parametrize(
    ("who", "edit", "delete"),
    [("owner", 403, 204), ("manager", 403, 204), ("member", 200, 204), ("viewer", 403, 403),
     ("outsider", 404, 404)],
)  # fmt: skip
def test_only_the_author_edits_and_managers_may_delete(
    people: Any, tasks: Any, api: Any, who: str, edit: int, delete: int
) -> None:
    # The member's comment; the member edits it, the others see the rule.
    comment = task_comment_create(actor=people["member"], task=tasks["design"], body="Mine")
    url = f"{V1}/task-comments/{comment.pk}"
    assert _patch(api(who), url, {"version": 1, "body": "Changed"}).status_code == edit
    assert api(who).delete(url).status_code == delete
    assert TaskComment.objects.filter(pk=comment.pk).exists() == (delete != 204)


def test_viewers_read_but_do_not_comment_and_outsiders_see_nothing(
    people: Any, tasks: Any, api: Any
) -> None:
    url = f"{V1}/tasks/{tasks['design'].pk}/comments"
    assert _post(api("viewer"), url, {"body": "Hi"}).status_code == 403
    assert _post(api("outsider"), url, {"body": "Hi"}).status_code == 404
    assert api("outsider").get(url).status_code == 404
    assert _post(api("member"), url, {"body": "   "}).status_code == 422
    assert _post(api("member"), url, {"body": "x", "author": "admin"}).status_code == 422
    assert TaskComment.objects.count() == 0


def test_a_new_comment_tells_the_people_on_the_task(people: Any, tasks: Any) -> None:
    design = tasks["design"]
    task_update(actor=people["owner"], task=design, version=design.version,
                data={"assignees": [people["manager"], people["member"]]})  # fmt: skip
    task_comment_create(actor=people["member"], task=design, body="Done with the draft")
    told = Notification.objects.filter(kind="comment")
    assert [n.recipient.username for n in told] == ["manny"]


def test_the_task_page_shows_and_takes_comments_with_htmx(people: Any, tasks: Any) -> None:
    design = tasks["design"]
    task_update(actor=people["owner"], task=design, version=design.version,
                data={"description": "Use the **new** template, ask @mia"})  # fmt: skip
    client = Client()
    client.force_login(people["member"])
    page = client.get(f"/tasks/{design.pk}/discussion/").content.decode()
    assert "<strong>new</strong>" in page and "No comments yet" in page
    answer = client.post(f"/tasks/{design.pk}/discussion/comments/", {"body": "On it _today_"},
                         headers={"HX-Request": "true"})  # fmt: skip
    assert answer.status_code == 200
    assert "<em>today</em>" in answer.content.decode() and "<html" not in answer.content.decode()
    comment = TaskComment.objects.get()
    edited = client.post(f"/task-comments/{comment.pk}/edit/",
                         {"version": "1", "body": "On it tomorrow"})  # fmt: skip
    assert edited.status_code == 302
    assert TaskComment.objects.get().body == "On it tomorrow"
    empty = client.post(f"/tasks/{design.pk}/discussion/comments/", {"body": ""},
                        headers={"HX-Request": "true"})  # fmt: skip
    assert "write something" in empty.content.decode()
    assert client.post(f"/task-comments/{comment.pk}/delete/").status_code == 302
    assert TaskComment.objects.count() == 0
    # The plan links to the task page.
    assert f"/tasks/{design.pk}/discussion/" in client.get("/projects/APL/plan/").content.decode()


def test_outsiders_get_404_on_the_task_page(people: Any, tasks: Any) -> None:
    client = Client()
    client.force_login(people["outsider"])
    assert client.get(f"/tasks/{tasks['design'].pk}/discussion/").status_code == 404
    assert client.get("/tasks/99999999999999999999/discussion/").status_code == 404


def test_a_former_member_still_assigned_is_not_told_of_new_comments(
    people: Any, tasks: Any, project: Any
) -> None:
    from itpm.accounts.services import membership_remove

    design = tasks["design"]
    task_update(actor=people["owner"], task=design, version=design.version,
                data={"assignees": [people["viewer"], people["manager"]]})  # fmt: skip
    membership_remove(actor=people["owner"], project=project, user=people["viewer"])
    task_comment_create(actor=people["member"], task=design, body="Secret plan details")
    assert not Notification.objects.filter(recipient=people["viewer"], kind="comment").exists()
    assert Notification.objects.filter(recipient=people["manager"], kind="comment").exists()
