"""The cycles pages: list with velocity, detail with burndown, commit, close, break down."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from itpm.planning.cycle_services import cycle_close, cycle_commit, cycle_create
from itpm.planning.models import Cycle, Task


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_cycles_page_lists_cycles_and_velocity_with_numbers(
    people: Any, leaves: Any, sprint: Cycle
) -> None:
    cycle_commit(actor=people["member"], cycle=sprint, task_ids=[leaves["a"].pk])
    Task.objects.filter(pk=leaves["a"].pk).update(status="done")
    cycle_close(actor=people["manager"], cycle=sprint, version=None)
    page = client_for(people["viewer"]).get("/projects/APL/cycles/").content.decode()
    assert "Sprint 1" in page and 'aria-label="Velocity chart"' in page
    assert "<th>Average</th>" in page.replace('<th colspan="3">Average</th>', "<th>Average</th>")
    assert "Plan a cycle" not in page  # viewers do not plan


def test_detail_page_draws_the_burndown_and_its_table(
    people: Any, leaves: Any, sprint: Cycle
) -> None:
    cycle_commit(actor=people["member"], cycle=sprint, task_ids=[leaves["a"].pk, leaves["b"].pk])
    page = client_for(people["member"]).get(f"/projects/APL/cycles/{sprint.pk}/").content.decode()
    assert 'aria-label="Burndown chart of Sprint 1"' in page
    assert 'id="burndown-table"' in page
    assert "24 h committed" in page


def test_committing_from_the_page_warns_about_overload(
    people: Any, leaves: Any, project: Any
) -> None:
    small = cycle_create(actor=people["manager"], project=project, name="Tiny", start=dt.date(2027, 1, 4),
                         finish=dt.date(2027, 1, 8), capacity_hours=10)  # fmt: skip
    client = client_for(people["member"])
    response = client.post(f"/projects/APL/cycles/{small.pk}/commit/",
                           {"tasks": [leaves["a"].pk, leaves["b"].pk]}, follow=True)  # fmt: skip
    text = response.content.decode()
    assert "over capacity: 24 h committed, 10 h available (14 h too many)" in text
    assert "Over capacity by 14 h" in text


def test_closing_from_the_page_moves_unfinished_work_where_asked(
    people: Any, leaves: Any, sprint: Cycle
) -> None:
    cycle_commit(actor=people["member"], cycle=sprint, task_ids=[leaves["a"].pk])
    nxt = cycle_create(actor=people["manager"], project=sprint.project, name="Sprint 2",
                       start=dt.date(2027, 1, 18), finish=dt.date(2027, 1, 29))  # fmt: skip
    client = client_for(people["manager"])
    page = client.get(f"/projects/APL/cycles/{sprint.pk}/").content.decode()
    assert f'value="{nxt.pk}" checked' in page  # the next cycle is suggested
    response = client.post(
        f"/projects/APL/cycles/{sprint.pk}/close/",
        {"version": sprint.version, "move_to": "backlog"},
    )
    assert response.status_code == 302
    assert Cycle.objects.get(pk=sprint.pk).state == "closed"
    assert Task.objects.get(pk=leaves["a"].pk).cycle_id is None


def test_bad_cycle_form_shows_the_error_on_the_page(people: Any, project: Any) -> None:
    response = client_for(people["manager"]).post("/projects/APL/cycles/new/", {
        "name": "Backwards", "kind": "sprint", "start": "2027-01-15", "finish": "2027-01-04",
        "capacity_hours": "10",
    })  # fmt: skip
    assert response.status_code == 422
    assert "must not be before start" in response.content.decode()


def test_packages_are_flagged_and_broken_down_from_the_page(
    people: Any, leaves: Any, project: Any
) -> None:
    window = cycle_create(actor=people["manager"], project=project, name="Window 2", kind="window",
                          start=timezone.localdate() + dt.timedelta(days=7),
                          finish=timezone.localdate() + dt.timedelta(days=35))  # fmt: skip
    client = client_for(people["member"])
    client.post("/projects/APL/cycles/packages/", {"task": leaves["c"].pk})
    cycle_commit(actor=people["member"], cycle=window, task_ids=[leaves["c"].pk])
    page = client.get("/projects/APL/cycles/").content.decode()
    assert "break down now" in page
    bad = client.post(
        f"/projects/APL/cycles/packages/{leaves['c'].pk}/break-down/", {"lines": "no hours here"}
    )
    assert bad.status_code == 422 and "name; hours" in bad.content.decode()
    ok = client.post(f"/projects/APL/cycles/packages/{leaves['c'].pk}/break-down/",
                     {"lines": "Design review; 8\nBuild; 16\n"})  # fmt: skip
    assert ok.status_code == 302
    assert list(Task.objects.filter(parent=leaves["c"]).values_list("name", "cycle_id")) == [
        ("Design review", window.pk),
        ("Build", window.pk),
    ]
