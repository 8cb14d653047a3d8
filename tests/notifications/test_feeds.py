"""iCalendar feeds at a secret per-user URL: parsed back with ``icalendar``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
from django.test import Client

from itpm.accounts.services import membership_remove
from itpm.notifications.models import NotificationSettings
from itpm.notifications.services import calendar_token_renew, calendar_token_revoke
from itpm.planning.services import task_update


def _events(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    assert str(cal["version"]) == "2.0" and "itpm" in str(cal["prodid"])
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_my_feed_holds_my_tasks_and_the_milestones_without_a_session(
    people: Any, tasks: Any, foreign_project: Any
) -> None:
    design, launch = tasks["design"], tasks["launch"]
    task_update(actor=people["owner"], task=design, version=design.version,
                data={"assignees": [people["member"]]})  # fmt: skip
    token = calendar_token_renew(actor=people["member"])
    events = _events(Client().get(f"/calendar/{token}/my.ics"))
    assert set(events) == {f"task-{design.pk}@127.0.0.1", f"task-{launch.pk}@127.0.0.1"}
    design.refresh_from_db()
    launch.refresh_from_db()
    work = events[f"task-{design.pk}@127.0.0.1"]
    assert str(work["summary"]) == "APL 1.1 Design"
    assert work.decoded("dtstart") == design.planned_start
    assert work.decoded("dtend") == design.planned_finish
    assert str(work["url"]).endswith(f"/tasks/{design.pk}/discussion/")
    milestone = events[f"task-{launch.pk}@127.0.0.1"]
    day = milestone.decoded("dtstart")
    assert isinstance(day, dt.date) and not isinstance(day, dt.datetime)
    assert day == launch.planned_finish.date()
    assert milestone.decoded("dtend") == day + dt.timedelta(days=1)
    # Tasks not mine (Code) are not in it.
    assert f"task-{tasks['code'].pk}@127.0.0.1" not in events


def test_the_feed_shows_only_what_the_person_may_see_at_request_time(
    project: Any, people: Any, tasks: Any
) -> None:
    token = calendar_token_renew(actor=people["viewer"])
    assert _events(Client().get(f"/calendar/{token}/my.ics"))
    membership_remove(actor=people["owner"], project=project, user=people["viewer"])
    assert _events(Client().get(f"/calendar/{token}/my.ics")) == {}
    assert Client().get(f"/calendar/{token}/projects/APL/milestones.ics").status_code == 404


def test_a_projects_milestone_feed(people: Any, tasks: Any, foreign_project: Any) -> None:
    token = calendar_token_renew(actor=people["viewer"])
    events = _events(Client().get(f"/calendar/{token}/projects/apl/milestones.ics"))
    assert list(events) == [f"task-{tasks['launch'].pk}@127.0.0.1"]
    assert str(events[f"task-{tasks['launch'].pk}@127.0.0.1"]["summary"]) == "◆ APL 2 Launch"
    # Another's project: 404, as if it did not exist.
    assert Client().get(f"/calendar/{token}/projects/ZED/milestones.ics").status_code == 404


def test_a_revoked_or_replaced_token_gets_404(people: Any, tasks: Any) -> None:
    old = calendar_token_renew(actor=people["member"])
    new = calendar_token_renew(actor=people["member"])
    assert Client().get(f"/calendar/{old}/my.ics").status_code == 404
    assert Client().get(f"/calendar/{new}/my.ics").status_code == 200
    calendar_token_revoke(actor=people["member"])
    assert Client().get(f"/calendar/{new}/my.ics").status_code == 404
    assert Client().get("/calendar/not-a-token/my.ics").status_code == 404


def test_only_a_hash_of_the_token_is_stored(people: Any) -> None:
    token = calendar_token_renew(actor=people["member"])
    stored = NotificationSettings.objects.get(user=people["member"]).feed_token_hash
    assert token not in stored and len(stored) == 64


def test_a_deactivated_persons_feed_stops(people: Any, tasks: Any) -> None:
    token = calendar_token_renew(actor=people["member"])
    people["member"].is_active = False
    people["member"].save()
    assert Client().get(f"/calendar/{token}/my.ics").status_code == 404
