"""Time: entries, labour cost at the rate of the day, limits, locking, the timer, progress."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from itpm.planning.models import Baseline
from itpm.portfolio.models import Project

V1 = "/api/v1"


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def log(api, day, hours, task, who="member"):
    return post(api(who), f"{V1}/time-entries", {"task": task.pk, "date": day, "hours": hours})


def test_labour_cost_uses_the_rate_valid_on_the_day(api, tasks, rated_member):
    january = log(api, "2027-01-29", "2", tasks["design"]).json()
    february = log(api, "2027-02-01", "2", tasks["design"]).json()
    assert january["cost"] == "160.00" and february["cost"] == "200.00"
    costs = api("viewer").get(f"{V1}/projects/APL/costs").json()
    assert costs["labour"] == "360.00" and costs["labour_hours"] == "4.00"


def test_more_than_the_daily_maximum_is_refused(api, tasks, settings):
    settings.ITPM_MAX_HOURS_PER_DAY = 10
    assert log(api, "2027-01-05", "6", tasks["design"]).status_code == 201
    refused = log(api, "2027-01-05", "4.25", tasks["code"])
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "hours"
    assert "10" in refused.json()["detail"]
    assert log(api, "2027-01-05", "4", tasks["code"]).status_code == 201


def test_submitted_and_approved_weeks_are_locked(api, tasks):
    entry = log(api, "2027-01-05", "3", tasks["design"]).json()
    sheets = post(api("member"), f"{V1}/timesheets/submit", {"week": "2027-01-04"}).json()
    assert [s["state"] for s in sheets] == ["submitted"]
    edit = api("member").patch(f"{V1}/time-entries/{entry['id']}",
                               json.dumps({"version": entry["version"], "hours": "4"}),
                               content_type="application/json")  # fmt: skip
    assert edit.status_code == 409 and "locked" in edit.json()["detail"]
    assert log(api, "2027-01-06", "1", tasks["design"]).status_code == 409
    sheet = sheets[0]
    # Only the project's manager approves.
    assert (
        post(
            api("member"), f"{V1}/timesheets/{sheet['id']}/approve", {"version": sheet["version"]}
        ).status_code
        == 403
    )
    approved = post(
        api("manager"), f"{V1}/timesheets/{sheet['id']}/approve", {"version": sheet["version"]}
    )
    assert approved.json()["state"] == "approved"
    assert api("member").delete(f"{V1}/time-entries/{entry['id']}").status_code == 409
    # Another week stays open.
    assert log(api, "2027-01-11", "1", tasks["design"]).status_code == 201


def test_rejected_week_opens_again(api, tasks):
    entry = log(api, "2027-01-05", "3", tasks["design"]).json()
    sheet = post(api("member"), f"{V1}/timesheets/submit", {"week": "2027-01-04"}).json()[0]
    assert (
        post(
            api("manager"), f"{V1}/timesheets/{sheet['id']}/reject", {"version": sheet["version"]}
        ).status_code
        == 422
    )
    rejected = post(api("manager"), f"{V1}/timesheets/{sheet['id']}/reject",
                    {"version": sheet["version"], "comment": "Split design and code"}).json()  # fmt: skip
    assert rejected["state"] == "rejected"
    edit = api("member").patch(f"{V1}/time-entries/{entry['id']}",
                               json.dumps({"version": entry["version"], "hours": "2"}),
                               content_type="application/json")  # fmt: skip
    assert edit.status_code == 200 and edit.json()["hours"] == "2.00"


def test_time_on_closed_or_archived_projects_is_refused(api, tasks, project):
    Project.objects.filter(pk=project.pk).update(stage="closed")
    refused = log(api, "2027-01-05", "1", tasks["design"])
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    Project.objects.filter(pk=project.pk).update(stage="execution", archived=True)
    assert log(api, "2027-01-05", "1", tasks["design"]).status_code == 409


def test_non_project_time_needs_a_category_and_is_approved_on_submit(api):
    ok = post(
        api("member"),
        f"{V1}/time-entries",
        {"category": "training", "date": "2027-01-05", "hours": "2"},
    )
    assert ok.status_code == 201 and ok.json()["project"] is None
    sheets = post(api("member"), f"{V1}/timesheets/submit", {"week": "2027-01-04"}).json()
    assert sheets[0]["state"] == "approved"


def test_one_running_timer_and_stop_logs_time(api, tasks):
    started = post(api("member"), f"{V1}/timer/start", {"task": tasks["design"].pk})
    assert started.status_code == 201
    assert post(api("member"), f"{V1}/timer/start", {"task": tasks["code"].pk}).status_code == 409
    stopped = post(api("member"), f"{V1}/timer/stop", {"notes": "pairing"})
    assert stopped.status_code == 201
    assert stopped.json()["task"] == tasks["design"].pk and stopped.json()["hours"] == "0.01"
    assert post(api("member"), f"{V1}/timer/stop", {}).status_code == 409


def test_assignee_reports_progress_and_only_managers_pick_the_method(api, tasks):
    url = f"{V1}/tasks/{tasks['design'].pk}/progress"
    done = post(api("member"), url, {"percent_complete": 60, "remaining_hours": "6"})
    assert done.status_code == 200, done.content
    assert done.json()["percent_complete"] == 60 and done.json()["remaining_hours"] == "6.00"
    assert post(api("member"), url, {"ev_method": "0/100"}).status_code == 403
    assert post(api("manager"), url, {"ev_method": "0/100"}).json()["ev_method"] == "0/100"
    # Remaining hours that are no number are a 422 naming the field (was a 500), and
    # nothing is written.
    for bad in ("\n\u0090", "twelve", "1e", "NaN", "-3"):
        refused = post(api("member"), url, {"remaining_hours": bad})
        assert refused.status_code == 422, (bad, refused.content)
        assert "remaining_hours" in refused.content.decode()
    assert post(api("member"), url, {}).json()["remaining_hours"] == "6.00"


def test_budget_changes_after_baseline_need_a_change_request(api, project, lines):
    line = lines["hardware"]
    patch = {"version": line.version, "months": {"2027-02": "60000.00"}}
    ok = api("manager").patch(
        f"{V1}/budget-lines/{line.pk}", json.dumps(patch), content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["budget"] == "60000.00"
    Baseline.objects.create(project=project, name="B1", active=True)
    patch = {"version": ok.json()["version"], "months": {"2027-02": "70000.00"}}
    refused = api("manager").patch(
        f"{V1}/budget-lines/{line.pk}", json.dumps(patch), content_type="application/json"
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "baselined: changes need an approved change request"


def test_a_timer_left_running_overnight_can_be_stopped_with_the_hours_worked(
    api, tasks, people, settings
):
    """A timer started at 17:00 and stopped the next morning ran 16 h, more than a day allows:
    stopping it says so (422 naming hours) and keeps the timer, and stopping it with the hours
    actually worked logs those on the day it started, in the person's own zone."""
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    from itpm.tracking.models import TimeEntry, Timer

    member = people["member"]
    member.time_zone = "Pacific/Auckland"
    member.save(update_fields=["time_zone"])
    assert post(api("member"), f"{V1}/timer/start", {"task": tasks["design"].pk}).status_code == 201
    # 17:00 in Auckland 16 hours ago: in UTC that can be the day before.
    started = timezone.now() - dt.timedelta(hours=16)
    Timer.objects.filter(user=member).update(started_at=started)
    too_long = post(api("member"), f"{V1}/timer/stop", {"notes": "forgot it"})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "hours"
    message = too_long.json()["errors"][0]["message"]
    assert "the timer ran 16." in message and "stop it with the hours you worked" in message
    assert Timer.objects.filter(user=member).exists()
    stopped = post(api("member"), f"{V1}/timer/stop", {"notes": "forgot it", "hours": "1.5"})
    assert stopped.status_code == 201, stopped.content
    assert stopped.json()["hours"] == "1.50"
    entry = TimeEntry.objects.get(user=member)
    assert entry.date == started.astimezone(zoneinfo.ZoneInfo("Pacific/Auckland")).date()
    assert not Timer.objects.filter(user=member).exists()
    # Hours given for a timer are checked like any entry.
    post(api("member"), f"{V1}/timer/start", {"task": tasks["design"].pk})
    assert post(api("member"), f"{V1}/timer/stop", {"hours": "25"}).status_code == 422


def test_the_task_time_page_stops_a_forgotten_timer_with_the_hours_worked(client, tasks, people):
    import datetime as dt

    from django.utils import timezone

    from itpm.tracking.models import TimeEntry, Timer
    from itpm.tracking.timesheets import timer_start

    member = people["member"]
    task = tasks["design"]
    timer_start(actor=member, task=task)
    Timer.objects.filter(user=member).update(started_at=timezone.now() - dt.timedelta(hours=15))
    client.force_login(member)
    page = client.get(f"/tasks/{task.pk}/time/").content.decode()
    assert 'name="hours"' in page
    refused = client.post("/timer/stop/", {"next": f"/tasks/{task.pk}/time/"}, follow=True)
    assert "stop it with the hours you worked" in refused.content.decode()
    assert Timer.objects.filter(user=member).exists()
    client.post("/timer/stop/", {"next": f"/tasks/{task.pk}/time/", "hours": "7.5"})
    assert not Timer.objects.filter(user=member).exists()
    assert TimeEntry.objects.get(user=member).hours == Decimal("7.50")


def test_a_baselined_budget_changes_only_with_an_approved_change_request_and_is_audited(
    api, project, lines, foreign_project
):
    from itpm.control.models import ChangeRequest
    from itpm.core.models import AuditEvent

    line = lines["hardware"]

    def patch(body: dict[str, Any]) -> Any:
        return api("manager").patch(f"{V1}/budget-lines/{line.pk}", json.dumps(body),
                                    content_type="application/json")  # fmt: skip

    # Before the baseline: free, and audited with the months before and after.
    free = patch({"version": line.version, "months": {"2027-02": "55000.00"}})
    assert free.status_code == 200
    event = AuditEvent.objects.filter(action="budget_line.change").latest("id")
    assert event.changes["months"] == [{"2027-02": "50000.00"}, {"2027-02": "55000.00"}]
    Baseline.objects.create(project=project, name="B1", active=True)
    submitted = ChangeRequest.objects.create(project=project, number=1, title="More switches",
                                             status="submitted")  # fmt: skip
    approved = ChangeRequest.objects.create(project=project, number=2, title="More switches",
                                            status="approved")  # fmt: skip
    elsewhere = ChangeRequest.objects.create(project=foreign_project, number=1, title="Other",
                                             status="approved")  # fmt: skip
    version = free.json()["version"]
    body = {"version": version, "months": {"2027-02": "60000.00"}}
    assert patch({**body, "change_request": submitted.pk}).status_code == 409
    wrong = patch({**body, "change_request": elsewhere.pk})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "change_request"
    done = patch({**body, "change_request": approved.pk})
    assert done.status_code == 200 and done.json()["budget"] == "60000.00"
    event = AuditEvent.objects.filter(action="budget_line.change").latest("id")
    assert event.changes["change_request"] == [None, approved.pk]
    # The management reserve is a budget change too.
    finance = api("manager").get(f"{V1}/projects/APL/budget").json()
    reserve = api("manager").patch(f"{V1}/projects/APL/budget",
                                   json.dumps({"version": finance["version"],
                                               "management_reserve": "5000.00"}),
                                   content_type="application/json")  # fmt: skip
    assert reserve.status_code == 409, reserve.content


def test_a_timer_on_a_project_closed_meanwhile_stops_without_logging(api, tasks, project, people):
    """Time on a closed project is refused; the timer must still stop (409 says nothing was
    logged), or it would run forever and no other timer could start."""
    from itpm.core.models import AuditEvent
    from itpm.tracking.models import TimeEntry, Timer

    assert post(api("member"), f"{V1}/timer/start", {"task": tasks["design"].pk}).status_code == 201
    Project.objects.filter(pk=project.pk).update(stage="closed")
    stopped = post(api("member"), f"{V1}/timer/stop", {})
    assert stopped.status_code == 409
    assert "closed" in stopped.json()["detail"] and "nothing was logged" in stopped.json()["detail"]
    assert not Timer.objects.filter(user=people["member"]).exists()
    assert not TimeEntry.objects.filter(user=people["member"]).exists()
    assert AuditEvent.objects.filter(action="timer.discard", project=project).count() == 1
    assert post(api("member"), f"{V1}/timer/stop", {}).status_code == 409  # none running
