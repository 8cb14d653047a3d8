"""Task times on a project whose calendar is in another zone than the viewer's (UTC here).

The plan's working day is 09:00-18:00 in Asia/Tokyo, which is 00:00-09:00 UTC: every page
of the project and the leveling proposal show it as 09:00-18:00, old and new times alike.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from itpm.planning import resource_services as rs
from itpm.planning.models import Task
from itpm.planning.services import task_update
from tests.resources.conftest import fresh

pytestmark = pytest.mark.django_db

TOKYO = "Asia/Tokyo"


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tokyo(project: Any, people: Any) -> Any:
    rs.calendar_create(actor=people["owner"], project=project, name="Tokyo", timezone=TOKYO)
    return fresh(project)


def _wall(text: str) -> tuple[str, str]:
    moment = dt.datetime.fromisoformat(text)
    return str(moment.utcoffset()), moment.strftime("%Y-%m-%d %H:%M")


def test_leveling_preview_times_are_all_in_the_calendar_zone(
    tokyo: Any, people: Any, parallel: Any, dana: Any, api: Any
) -> None:
    for task in parallel.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    alpha = fresh(parallel["Alpha"])
    # Stored in UTC: the Tokyo morning is the UTC midnight.
    assert alpha.planned_start == dt.datetime(2027, 1, 4, 0, 0, tzinfo=dt.UTC)

    body = (
        api("manager")
        .post("/api/v1/projects/APL/schedule/level", {}, content_type="application/json")
        .json()
    )
    assert body["time_zone"] == TOKYO
    assert len(body["moved"]) == 2
    for moved in body["moved"]:
        # Both tasks started on Monday 09:00 Tokyo time and move by whole days.
        assert _wall(moved["old_start"]) == ("9:00:00", "2027-01-04 09:00")
        assert _wall(moved["old_finish"]) == ("9:00:00", "2027-01-05 18:00")
        offset, new_start = _wall(moved["new_start"])
        assert offset == "9:00:00" and new_start.endswith(" 09:00")
        assert _wall(moved["new_finish"])[0] == "9:00:00"
    assert _wall(body["finish_before"]) == ("9:00:00", "2027-01-05 18:00")
    assert _wall(body["finish_after"]) == ("9:00:00", "2027-01-11 18:00")

    page = login(people["manager"]).get("/projects/APL/resources/").content.decode()
    rows = re.findall(r"<tr><td class=\"wbs\">.*?</tr>", page)
    assert len(rows) == 2
    for row in rows:
        texts = re.findall(r"<time [^>]*>([^<]*)</time>", row)
        assert texts[0] == "2027-01-04 09:00"  # start now, not the UTC 00:00
        assert texts[1] in ("2027-01-06 09:00", "2027-01-08 09:00")
        assert texts[2] in ("2027-01-07 18:00", "2027-01-11 18:00")
    assert "2027-01-05 18:00</time> → <strong><time" in page
    assert f"times in {TOKYO}" in page


def test_a_run_stored_with_utc_times_is_shown_in_the_calendar_zone(
    tokyo: Any, people: Any, parallel: Any, dana: Any
) -> None:
    """Runs stored before the times carried the zone hold UTC text: shown converted."""
    for task in parallel.values():
        rs.assignment_create(actor=people["member"], task=task, resource=dana)
    run = rs.leveling_preview(actor=people["manager"], project=tokyo)
    for moved in run.result["moved"]:
        for key in ("old_start", "new_start", "old_finish", "new_finish"):
            moved[key] = dt.datetime.fromisoformat(moved[key]).astimezone(dt.UTC).isoformat()
    run.save(update_fields=["result"])
    page = login(people["manager"]).get("/projects/APL/resources/").content.decode()
    assert page.count(">2027-01-04 09:00</time>") == 2
    assert "2027-01-04 00:00" not in page


def test_plan_and_task_pages_show_the_calendar_zone(tokyo: Any, people: Any, chain: Any) -> None:
    client = login(people["member"])
    plan = client.get("/projects/APL/plan/").content.decode()
    assert f"times are in {TOKYO}" in plan
    row = re.search(rf'<tr id="task-{chain["first"].pk}".*?</tr>', plan, re.S)
    assert row is not None
    assert "2027-01-04 09:00" in row.group(0) and "2027-01-04 18:00" in row.group(0)
    assert "2027-01-04 00:00" not in plan

    task_page = client.get(f"/tasks/{chain['first'].pk}/discussion/").content.decode()
    assert "4 Jan 2027 09:00" in task_page and "4 Jan 2027 18:00" in task_page
    assert TOKYO in task_page

    # The inline start editor reads and shows the same wall clock.
    url = f"/tasks/{chain['second'].pk}/edit/constraint_date/"
    second = fresh(chain["second"])
    answer = client.post(url, {"constraint_date": "2027-01-06T09:00", "version": second.version})
    assert answer.status_code == 200
    second = fresh(chain["second"])
    assert second.constraint_date == dt.datetime(2027, 1, 6, 0, 0, tzinfo=dt.UTC)
    assert "2027-01-06 09:00" in answer.content.decode()
    form = client.get(url).content.decode()
    assert re.search(r'value="2027-01-06[ T]09:00', form), form


def test_a_person_assigned_as_user_and_as_resource_is_shown_once(
    project: Any, people: Any, chain: Any
) -> None:
    mia = people["member"]
    resource = rs.resource_create(actor=people["admin"], name="Mia Resource", user=mia)
    first = chain["first"]
    task_update(
        actor=people["owner"], task=first, version=None,
        data={"assignees": [mia, people["manager"]]},
    )  # fmt: skip
    rs.assignment_create(actor=people["member"], task=first, resource=resource)
    client = login(people["member"])

    plan = client.get("/projects/APL/plan/").content.decode()
    row = re.search(rf'<tr id="task-{first.pk}".*?</tr>', plan, re.S)
    assert row is not None
    cell = re.search(r'<td class="people">(.*?)</td>', row.group(0), re.S)
    assert cell is not None
    people_cell = cell.group(1)
    assert "Mia Resource" in people_cell
    assert "mia" not in people_cell.replace("Mia Resource", "")  # not again as a user
    assert "manny" in people_cell  # an assignee without a resource stays
    assert "Assignee, and resource at 100 %" in people_cell

    task_page = client.get(f"/tasks/{first.pk}/discussion/").content.decode()
    assigned = re.search(r'<span class="assigned">(.*?)</span>\s*·', task_page, re.S)
    assert assigned is not None
    text = re.sub(r"<[^>]+>", "", assigned.group(1))
    assert text.count("Mia") == 1, text
    assert "Mia Resource" in text and "manny" in text.lower()
    # Both assignments are kept: the display merges, the model does not.
    assert set(Task.objects.get(pk=first.pk).assignees.all()) == {mia, people["manager"]}


def test_overview_and_board_dates_are_the_calendar_days(
    project: Any, people: Any, chain: Any
) -> None:
    """A Los Angeles working day ends at 18:00 there, 02:00 UTC the next day."""
    from itpm.planning.services import dependency_create, task_create

    owner = people["owner"]
    rs.calendar_create(actor=owner, project=project, name="LA", timezone="America/Los_Angeles")
    gate = task_create(actor=owner, project=project, name="Gate", duration_hours=0, milestone=True)
    dependency_create(actor=owner, project=project, predecessor=chain["first"], successor=gate)
    gate = fresh(gate)
    assert gate.planned_finish == dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)
    client = login(people["member"])
    overview = client.get("/projects/APL/").content.decode()
    assert "2027-01-04</time>" in overview and "2027-01-05</time>" not in overview
    board = client.get("/projects/APL/board/").content.decode()
    card = re.search(rf'id="card-{chain["first"].pk}".*?</li>', board, re.S)
    assert card is not None
    assert ">Jan 4</time>" in card.group(0)


def test_my_work_and_the_cycle_backlog_use_the_calendar_days(project: Any, people: Any) -> None:
    """Los Angeles: 17:00 there is 01:00 UTC the next day. My work's due dates and groups and
    the cycle backlog's start dates are the calendar's days, not the UTC ones."""
    from itpm.planning.cycle_selectors import my_work
    from itpm.planning.cycle_services import cycle_create
    from itpm.planning.services import dependency_create, task_create

    owner, member = people["owner"], people["member"]
    rs.calendar_create(actor=owner, project=project, name="LA", timezone="America/Los_Angeles")
    # 09:00-13:00 and 14:00-18:00: seven hours end at 17:00 on Monday 4 January.
    survey = task_create(actor=owner, project=project, name="Survey", duration_hours=7,
                         assignees=[member])  # fmt: skip
    cabling = task_create(actor=owner, project=project, name="Cabling", duration_hours=1)
    dependency_create(actor=owner, project=project, predecessor=survey, successor=cabling)
    survey, cabling = fresh(survey), fresh(cabling)
    assert survey.planned_finish == dt.datetime(2027, 1, 5, 1, 0, tzinfo=dt.UTC)
    assert cabling.planned_start == dt.datetime(2027, 1, 5, 1, 0, tzinfo=dt.UTC)

    # Due on Monday in Los Angeles: overdue on Tuesday (the UTC day would say "this week").
    groups = {group: [t.name for t in tasks] for group, _, tasks in
              my_work(user=member, today=dt.date(2027, 1, 5))}  # fmt: skip
    assert groups["overdue"] == ["Survey"]
    page = login(member).get("/my-work/").content.decode()
    row = re.search(rf'id="my-task-{survey.pk}".*?</tr>', page, re.S)
    assert row is not None
    assert "Jan 4, 2027" in row.group(0) and "Jan 5" not in row.group(0)

    sprint = cycle_create(
        actor=people["manager"], project=project, name="Sprint 1",
        start=dt.date(2027, 1, 4), finish=dt.date(2027, 1, 15), capacity_hours=60,
    )  # fmt: skip
    page = login(member).get(f"/projects/APL/cycles/{sprint.pk}/").content.decode()
    row = re.search(rf'value="{cabling.pk}".*?</tr>', page, re.S)
    assert row is not None
    assert ">Jan 4</td>" in row.group(0)


def test_a_board_card_is_overdue_by_the_calendar_day(
    project: Any, people: Any, chain: Any, monkeypatch: Any
) -> None:
    """Due Monday 18:00 in Los Angeles (02:00 UTC Tuesday): overdue on Tuesday there."""
    from django.utils import timezone

    rs.calendar_create(actor=people["owner"], project=project, name="LA",
                       timezone="America/Los_Angeles")  # fmt: skip
    first = fresh(chain["first"])
    assert first.planned_finish == dt.datetime(2027, 1, 5, 2, 0, tzinfo=dt.UTC)

    def card(now: dt.datetime) -> str:
        monkeypatch.setattr(timezone, "now", lambda: now)
        client = login(people["member"])  # a session of that time
        board = client.get("/projects/APL/board/?cycle=all").content.decode()
        found = re.search(rf'id="card-{first.pk}".*?</li>', board, re.S)
        assert found is not None
        return found.group(0)

    # Tuesday noon in Los Angeles: Monday's work is overdue.
    assert 'class="overdue"' in card(dt.datetime(2027, 1, 5, 20, 0, tzinfo=dt.UTC))
    # Monday 20:00 there (04:00 UTC Tuesday): still due today, not overdue.
    assert 'class="overdue"' not in card(dt.datetime(2027, 1, 5, 4, 0, tzinfo=dt.UTC))
