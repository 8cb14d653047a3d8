"""The Kanban board: moves, order, WIP limits, labels, filters."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from itpm.core.models import AuditEvent
from itpm.planning.models import Label, Task


def move(
    client: Client, task: Task, status: str, after: int | None = None, version: int | None = None
) -> Any:
    body = {
        "version": version or Task.objects.get(pk=task.pk).version,
        "status": status,
        "after": after,
    }
    return client.post(
        f"/api/v1/tasks/{task.pk}/board-move", json.dumps(body), content_type="application/json"
    )


def test_a_board_move_changes_status_and_is_audited(api: Any, leaves: Any) -> None:
    task = leaves["a"]
    response = move(api("member"), task, "done")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    task.refresh_from_db()
    assert task.status == "done" and task.percent_complete == 100 and task.completed_at is not None
    event = AuditEvent.objects.get(action="task.board_move", object_id=str(task.pk))
    assert event.changes["status"] == ["not_started", "done"]
    assert AuditEvent.objects.filter(action="task.update", object_id=str(task.pk)).exists()


def test_cards_keep_the_order_they_were_dropped_in(api: Any, leaves: Any) -> None:
    a, b, c = leaves["a"], leaves["b"], leaves["c"]
    for task in (a, b, c):
        assert move(api("member"), task, "in_progress").status_code == 200
    # Each went on top: c, b, a. Now put a between c and b.
    move(api("member"), a, "in_progress", after=c.pk)
    order = list(
        Task.objects.filter(status="in_progress")
        .order_by("board_rank", "wbs_sort")
        .values_list("name", flat=True)
    )
    assert order == ["Task C", "Task A", "Task B"]


def test_a_stale_board_move_gets_409_and_changes_nothing(api: Any, leaves: Any) -> None:
    task = leaves["a"]
    stale = task.version
    move(api("member"), task, "in_progress")
    before = AuditEvent.objects.count()
    response = move(api("member"), task, "done", version=stale)
    assert response.status_code == 409
    assert Task.objects.get(pk=task.pk).status == "in_progress"
    assert AuditEvent.objects.count() == before


def test_moving_into_a_full_column_warns_and_the_page_marks_it(
    api: Any, leaves: Any, project: Any, people: Any
) -> None:
    manager = api("manager")
    body = {"version": project.version, "limits": {"in_progress": 1}}
    assert (
        api("member")
        .put("/api/v1/projects/APL/wip-limits", json.dumps(body), content_type="application/json")
        .status_code
        == 403
    )
    response = manager.put(
        "/api/v1/projects/APL/wip-limits", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["wip_limits"] == {"in_progress": 1}
    assert move(api("member"), leaves["a"], "in_progress").json()["warnings"] == []
    second = move(api("member"), leaves["b"], "in_progress")
    assert second.status_code == 200
    assert "WIP limit" in second.json()["warnings"][0]
    client = Client()
    client.force_login(people["viewer"])
    page = client.get("/projects/APL/board/").content.decode()
    assert 'class="board-column over-limit" data-status="in_progress"' in page


def test_bad_wip_limits_name_the_column(api: Any, project: Any) -> None:
    body = {"version": project.version, "limits": {"doing": 3}}
    response = api("manager").put(
        "/api/v1/projects/APL/wip-limits", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limits.doing"


def test_labels_are_created_assigned_and_filter_the_board(
    api: Any, leaves: Any, people: Any
) -> None:
    created = api("member").post("/api/v1/projects/APL/labels", json.dumps({"name": "security", "color": "#dc2626"}),
                                 content_type="application/json")  # fmt: skip
    assert created.status_code == 201
    label_id = created.json()["id"]
    duplicate = api("member").post("/api/v1/projects/APL/labels", json.dumps({"name": "Security"}),
                                   content_type="application/json")  # fmt: skip
    assert duplicate.status_code == 409
    task = leaves["b"]
    assigned = api("member").post(f"/api/v1/tasks/{task.pk}/labels",
                                  json.dumps({"version": task.version, "labels": [label_id]}),
                                  content_type="application/json")  # fmt: skip
    assert assigned.status_code == 200
    assert assigned.json()["labels"] == [{"id": label_id, "name": "security", "color": "#dc2626"}]
    client = Client()
    client.force_login(people["viewer"])
    page = client.get(f"/projects/APL/board/?label={label_id}").content.decode()
    assert "Task B" in page and "Task A" not in page
    assert Label.objects.get(pk=label_id).tasks.count() == 1


def test_board_shows_leaf_tasks_and_filters_without_javascript(
    leaves: Any, people: Any, project: Any
) -> None:
    client = Client()
    client.force_login(people["viewer"])
    page = client.get("/projects/APL/board/").content.decode()
    assert page.count('<li class="card') == 4
    assert "Sprint work" not in page.split('id="board"')[1]  # the summary is not a card
    assert "Cancelled" not in page.split('id="board"')[1].split("board-settings")[0]
    filtered = client.get("/projects/APL/board/?assignee=manny").content.decode()
    assert filtered.count('<li class="card') == 0
    with_cancelled = client.get("/projects/APL/board/?cancelled=1").content.decode()
    assert 'data-status="cancelled"' in with_cancelled


def test_the_card_menu_moves_a_card_without_javascript(leaves: Any, people: Any) -> None:
    client = Client()
    client.force_login(people["member"])
    task = leaves["a"]
    response = client.post(f"/projects/APL/board/cards/{task.pk}/",
                           {"version": task.version, "status": "blocked", "next": "https://evil.example/"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/projects/APL/board/"
    assert Task.objects.get(pk=task.pk).status == "blocked"
