"""Objects, parameters and table entries of the notification, calendar-feed and task-comment
routes for the permission matrix (wired in ``tests/test_permission_matrix.py`` and built by
``tests.world.build_world``).

Per person (every actor and zoe): one unread notification, a calendar-feed token, and a
comment of their own on the Design task of APL ("own") and of ZED ("foreign").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itpm.collab.models import TaskComment
from itpm.notifications.models import Notification, NotificationSettings
from itpm.notifications.services import calendar_token_renew

OBJECTS: dict[str, Any] = {}
PEOPLE = ("admin", "owner", "manager", "member", "viewer", "outsider", "requester", "zoe")


def build_notifications(world: Any) -> None:
    OBJECTS.clear()
    OBJECTS.update({"notice": {}, "token": {}, "comment": {"own": {}, "foreign": {}}})
    for name in PEOPLE:
        user = world.users[name]
        OBJECTS["notice"][name] = Notification.objects.create(
            recipient=user, kind="mention", text="Matrix notice"
        ).pk
        OBJECTS["token"][name] = calendar_token_renew(actor=user)
        for target, site in world.sites.items():
            OBJECTS["comment"][target][name] = TaskComment.objects.create(
                task=site.tasks["design"], project=site.project, author=user, body="Matrix"
            ).pk


def destroy_notifications() -> None:
    TaskComment.objects.all().delete()
    Notification.objects.all().delete()
    NotificationSettings.objects.all().delete()


def _person(case: Any) -> str:
    return "owner" if case.actor == "anonymous" else case.actor


NOTIFY_PARAMS: dict[str, Any] = {
    "notification_id": lambda c, o: OBJECTS["notice"]["zoe" if c.target == "foreign" else _person(c)],
    "comment_id": lambda c, o: OBJECTS["comment"][
        "foreign" if c.target == "foreign" else "own"][_person(c)],
    "feed_token": lambda c, o: OBJECTS["token"][_person(c)],
}  # fmt: skip
# Paths whose objects belong to a project (or a person): run against own and foreign.
NOTIFY_SCOPED = ("{notification_id}", "{comment_id}")


def _settings_version(c: Any) -> int:
    user = c.world.users[_person(c)]
    return NotificationSettings.objects.get(user=user).version


def _comment_version(c: Any) -> int:
    return TaskComment.objects.get(pk=NOTIFY_PARAMS["comment_id"](c, None)).version


def routes(
    V1: str, READ: Any, WRITE: Any, Expect: Any, PAGE: dict[str, Any]
) -> dict[tuple[str, str], Any]:  # noqa: N803 - the matrix's own names
    @dataclass(frozen=True)
    class Feed(Expect):  # type: ignore[misc, valid-type]
        """A feed URL: the token in it names the person (the anonymous use the owner's).

        Logged-in outside requesters meet the portal guard (404) before the feed."""

        project_scoped: bool = False

        def outcome(self, actor: str, target: str) -> str:
            if actor == "requester":
                return "walled"
            if not self.project_scoped or actor == "admin":
                return "ok"
            if target == "foreign" or actor == "outsider":
                return "hidden"
            return "ok"

    def authenticated(ok: int = 200, **kw: Any) -> Any:
        return Expect("authenticated", ok, **kw)

    def self_only(ok: int, **kw: Any) -> Any:
        return Expect("self", ok, **kw)

    P = V1  # noqa: N806
    return {
        # --- API: notifications
        ("GET", f"{P}/notifications"): authenticated(),
        ("POST", f"{P}/notifications/read-all"): authenticated(200, body=lambda c: {}),
        ("POST", f"{P}/notifications/{{notification_id}}/read"): self_only(
            200, body=lambda c: {"read": True}
        ),
        ("GET", f"{P}/notifications/settings"): authenticated(),
        ("PATCH", f"{P}/notifications/settings"): authenticated(
            200, body=lambda c: {"version": _settings_version(c), "daily_digest": True}
        ),
        ("POST", f"{P}/notifications/calendar-token"): authenticated(201, body=lambda c: {}),
        ("DELETE", f"{P}/notifications/calendar-token"): authenticated(204),
        # --- API: task comments
        ("GET", f"{P}/tasks/{{task_id}}/comments"): READ(),
        ("POST", f"{P}/tasks/{{task_id}}/comments"): WRITE(
            201, body=lambda c: {"body": "Matrix comment @mia"}
        ),
        ("PATCH", f"{P}/task-comments/{{comment_id}}"): WRITE(
            200, body=lambda c: {"version": _comment_version(c), "body": "Edited"}
        ),
        ("DELETE", f"{P}/task-comments/{{comment_id}}"): WRITE(204),
        # --- pages
        ("GET", "/notifications/"): authenticated(**PAGE),
        ("POST", "/notifications/read-all/"): authenticated(302, body=lambda c: {}, **PAGE),
        ("POST", "/notifications/{notification_id}/read/"): self_only(
            302, body=lambda c: {}, **PAGE
        ),
        ("GET", "/notifications/settings/"): authenticated(**PAGE),
        ("POST", "/notifications/settings/"): authenticated(
            302,
            body=lambda c: {"version": str(_settings_version(c)), "daily_digest": "on"},
            **PAGE,
        ),
        ("POST", "/notifications/settings/calendar/"): authenticated(
            200, body=lambda c: {}, **PAGE
        ),
        ("GET", "/calendar/{feed_token}/my.ics"): Feed("public", 200),
        ("GET", "/calendar/{feed_token}/projects/{key}/milestones.ics"): Feed(
            "public", 200, project_scoped=True
        ),
        ("GET", "/tasks/{task_id}/discussion/"): READ(**PAGE),
        ("POST", "/tasks/{task_id}/discussion/comments/"): WRITE(
            302, low=302, body=lambda c: {"body": "Matrix comment"}, **PAGE
        ),
        ("POST", "/task-comments/{comment_id}/edit/"): WRITE(
            302,
            low=302,
            body=lambda c: {"version": str(_comment_version(c)), "body": "Edited"},
            **PAGE,
        ),  # fmt: skip
        ("POST", "/task-comments/{comment_id}/delete/"): WRITE(
            302, low=302, body=lambda c: {}, **PAGE
        ),
    }


def writes(V1: str) -> dict[tuple[str, str], Any]:  # noqa: N803 - the matrix's own names
    """The model each JSON body writes to, for the mass-assignment sweep."""
    return {
        ("POST", f"{V1}/notifications/read-all"): Notification,
        ("POST", f"{V1}/notifications/{{notification_id}}/read"): Notification,
        ("PATCH", f"{V1}/notifications/settings"): NotificationSettings,
        ("POST", f"{V1}/notifications/calendar-token"): NotificationSettings,
        ("POST", f"{V1}/tasks/{{task_id}}/comments"): TaskComment,
        ("PATCH", f"{V1}/task-comments/{{comment_id}}"): TaskComment,
    }
