"""The notifications API: my list, mark read, preferences, the calendar-feed URL."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from itpm.core.models import AuditEvent
from itpm.notifications.models import Notification
from itpm.notifications.services import notification_send

V1 = "/api/v1"


def _post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _patch(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json", headers=headers)


def test_i_list_and_mark_my_notifications(people: Any, project: Any, api: Any) -> None:
    first, second = (notification_send(recipients=[people["member"]], kind="mention", text=t,
                                       project=project, actor=people["owner"])[0]
                     for t in ("One", "Two"))  # fmt: skip
    notification_send(recipients=[people["viewer"]], kind="mention", text="Not mine")
    listed = api("member").get(f"{V1}/notifications").json()
    assert listed["count"] == 2
    assert [i["text"] for i in listed["items"]] == ["Two", "One"]
    assert listed["items"][0]["project"] == "APL" and listed["items"][0]["actor"] == "olivia"
    answer = _post(api("member"), f"{V1}/notifications/{first.pk}/read", {"read": True})
    assert answer.status_code == 200 and answer.json()["read_at"]
    unread = api("member").get(f"{V1}/notifications?unread=true").json()
    assert [i["text"] for i in unread["items"]] == ["Two"]
    assert _post(api("member"), f"{V1}/notifications/read-all", {}).json() == {"marked": 1}
    second.refresh_from_db()
    assert second.read_at is not None
    back = _post(api("member"), f"{V1}/notifications/{first.pk}/read", {"read": False})
    assert back.json()["read_at"] is None


def test_someone_elses_notification_is_404(people: Any, api: Any) -> None:
    theirs = notification_send(recipients=[people["viewer"]], kind="mention", text="x")[0]
    answer = _post(api("member"), f"{V1}/notifications/{theirs.pk}/read", {})
    assert answer.status_code == 404
    assert _post(api("member"), f"{V1}/notifications/99999999999999999999/read", {}).status_code in (
        404, 422)  # fmt: skip
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_preferences_read_and_change_with_versions(people: Any, api: Any) -> None:
    client = api("member")
    got = client.get(f"{V1}/notifications/settings")
    body = got.json()
    assert body["preferences"]["mention"] == {"in_app": True, "email": True}
    assert body["preferences"]["status_report"]["email"] is False
    assert body["daily_digest"] is False and body["calendar_feed"] is False
    changed = _patch(client, f"{V1}/notifications/settings",
                     {"version": body["version"], "daily_digest": True,
                      "preferences": {"mention": {"email": False}}})  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert changed.json()["preferences"]["mention"] == {"in_app": True, "email": False}
    assert changed.json()["daily_digest"] is True
    assert AuditEvent.objects.filter(action="notification_settings.update").count() == 1
    stale = _patch(client, f"{V1}/notifications/settings",
                   {"version": body["version"], "daily_digest": False})  # fmt: skip
    assert stale.status_code == 409
    unknown = _patch(client, f"{V1}/notifications/settings",
                     {"version": changed.json()["version"], "preferences": {"gossip": {}}})  # fmt: skip
    assert unknown.status_code == 422 and "preferences" in unknown.json()["errors"][0]["field"]
    bad_channel = _patch(client, f"{V1}/notifications/settings",
                         {"preferences": {"mention": {"sms": True}}},
                         **{"If-Match": f'"{changed.json()["version"]}"'})  # fmt: skip
    assert bad_channel.status_code == 422


def test_the_calendar_token_is_shown_once_and_revoked(people: Any, tasks: Any, api: Any) -> None:
    made = _post(api("member"), f"{V1}/notifications/calendar-token", {})
    assert made.status_code == 201
    url = made.json()["my_feed"]
    path = url.removeprefix("http://127.0.0.1:8000")
    assert Client().get(path).status_code == 200
    assert api("member").get(f"{V1}/notifications/settings").json()["calendar_feed"] is True
    assert api("member").delete(f"{V1}/notifications/calendar-token").status_code == 204
    assert Client().get(path).status_code == 404


def test_anonymous_gets_401(db: Any) -> None:
    assert Client().get(f"{V1}/notifications").status_code == 401
    assert Notification.objects.count() == 0
