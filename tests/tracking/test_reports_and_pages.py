"""Status reports (RAG, PDF with charts, e-mail) and the tracking pages."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from itpm.planning.services import task_create, task_update
from itpm.tracking.earned_value import evm_snapshot_take
from itpm.tracking.reports import status_report_generate, status_report_pdf, status_report_update
from itpm.tracking.services import expense_create
from tests.tracking.conftest import progress_dated, textbook_baseline

V1 = "/api/v1"


@pytest.fixture
def reported(project, people, lines) -> Any:
    """Demo-like: a costed baseline, spending, weekly snapshots, a report at week 4."""
    from itpm.tracking.models import BudgetPeriod

    BudgetPeriod.objects.filter(line__project=project).delete()
    owner = people["owner"]
    task = task_create(actor=owner, project=project, name="Build the platform", duration_hours=400)
    task_create(actor=owner, project=project, name="Go-live", milestone=True)
    textbook_baseline(project, task)
    for week, (percent, spent) in enumerate(
        [(8, "9000.00"), (17, "10000.00"), (26, "9500.00"), (35, "9500.00")]
    ):
        day = dt.date(2027, 1, 10) + dt.timedelta(weeks=week)
        task.refresh_from_db()
        task_update(
            actor=owner, task=task, version=task.version, data={"percent_complete": percent}
        )
        # Reported on the Friday of that week (the creation of the tasks with week 1).
        progress_dated(project, dt.datetime.combine(day - dt.timedelta(days=2), dt.time(12),
                                                    tzinfo=dt.UTC))  # fmt: skip
        expense_create(actor=owner, project=project, line=lines["hardware"], date=day - dt.timedelta(days=2),
                       amount=spent, description=f"Week {week + 1}")  # fmt: skip
        evm_snapshot_take(project, day)
    return status_report_generate(
        actor=people["manager"], project=project, status_date=dt.date(2027, 1, 31)
    )


def test_rag_is_proposed_from_the_thresholds(reported, project, people):
    # SPI 0.875 is below 0.9: schedule red. The forecast (103,000) exceeds the budget with no
    # management reserve: cost red.
    assert reported.proposed_rag["schedule"] == "red"
    assert reported.proposed_rag["cost"] == "red"
    assert "exceeds" in reported.data["reasons"]["cost"]
    assert reported.data["evm"]["spi"] == "0.875"
    # With a reserve that covers the overrun, CPI 0.921 (between 0.9 and 0.95) is amber.
    # (Set directly: once baselined, the reserve changes only through a change request.)
    from itpm.tracking.models import ProjectFinance

    ProjectFinance.objects.create(project=project, management_reserve=Decimal("5000.00"))
    again = status_report_generate(actor=people["manager"], project=project,
                                   status_date=dt.date(2027, 1, 31))  # fmt: skip
    assert again.proposed_rag["cost"] == "amber"


def test_an_override_needs_commentary(reported, people):
    from itpm.core.errors import Invalid

    with pytest.raises(Invalid) as caught:
        status_report_update(actor=people["manager"], report=reported, version=reported.version,
                             data={"rag": {"schedule": "amber"}})  # fmt: skip
    assert caught.value.errors[0].field == "commentary.schedule"
    report = status_report_update(
        actor=people["manager"], report=reported, version=reported.version,
        data={"rag": {"schedule": "amber"}, "commentary": {"schedule": "Recovery plan agreed"},
              "publish": True},
    )  # fmt: skip
    assert report.rag["schedule"] == "amber" and report.state == "published"


def test_pdf_has_the_figures_and_the_charts(reported, project, tmp_path):
    import pypdfium2 as pdfium

    pdf = status_report_pdf(reported)
    assert pdf.startswith(b"%PDF")
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    text = page.get_textpage().get_text_range()
    assert project.name in text
    assert "SPI" in text and "0.875" in text
    image = page.render(scale=1.5).to_pil().convert("L")
    out = Path(tmp_path) / "report-page-1.png"
    image.save(out)
    pixels = list(image.get_flattened_data())
    mean = sum(pixels) / len(pixels)
    variance = sum((p - mean) ** 2 for p in pixels) / len(pixels)
    assert variance > 100, "the first page is blank"
    # The S-curve's three colours are drawn (charts made it into the PDF).
    rgb = page.render(scale=1.0).to_pil().convert("RGB")
    colours = set(rgb.get_flattened_data())
    assert any(r < 80 and g < 120 and b > 200 for r, g, b in colours), "no PV line (blue)"


def test_report_api_and_pdf_download(reported, api):
    listed = api("viewer").get(f"{V1}/projects/APL/status-reports").json()
    assert listed["count"] == 1
    pdf = api("viewer").get(f"{V1}/projects/APL/status-reports/{reported.pk}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert (
        api("outsider").get(f"{V1}/projects/APL/status-reports/{reported.pk}.pdf").status_code
        == 404
    )


def test_report_is_emailed_by_the_background_job(
    reported, api, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = api("manager").post(f"{V1}/projects/APL/status-reports/{reported.pk}/send",
                                       content_type="application/json")  # fmt: skip
    assert response.status_code == 202, response.content
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert "manny@example.com" in message.to and "olivia@example.com" in message.to
    assert message.attachments[0][2] == "application/pdf"
    reported.refresh_from_db()
    assert reported.emailed_at is not None


def _message_id(message):
    """The Message-ID header as it goes on the wire."""
    return str(message.message()["Message-ID"])


def test_a_rerun_of_the_report_mail_job_sends_the_same_message_id(
    reported, api, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from itpm.core.models import AuditEvent
    from itpm.tracking.tasks import send_status_report_job

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        api("manager").post(f"{V1}/projects/APL/status-reports/{reported.pk}/send",
                            content_type="application/json")  # fmt: skip
    event = AuditEvent.objects.filter(action="status_report.send").latest("id")
    to = event.changes["to"][1]
    # The worker died before the job was marked done: the queue runs it again.
    send_status_report_job.call(reported.pk, to, event.pk)
    first, rerun = mailoutbox
    assert _message_id(first) == _message_id(rerun)
    assert _message_id(first).startswith(f"<itpm.status-report.{reported.pk}.{event.pk}.")
    # The manager sending the report again is a new mail with a new id.
    with django_capture_on_commit_callbacks(execute=True):
        api("manager").post(f"{V1}/projects/APL/status-reports/{reported.pk}/send",
                            content_type="application/json")  # fmt: skip
    assert _message_id(mailoutbox[2]) != _message_id(first)


def test_evm_api_returns_money_as_strings(reported, api):
    body = api("viewer").get(f"{V1}/projects/APL/evm?date=2027-01-31").json()
    assert body["planned_value"] == "40000.00" and body["earned_value"] == "35000.00"
    assert body["spi"] == "0.875" and isinstance(body["cpi"], str)
    history = api("viewer").get(f"{V1}/projects/APL/evm/history").json()
    assert [h["week_start"] for h in history] == [
        "2027-01-04",
        "2027-01-11",
        "2027-01-18",
        "2027-01-25",
    ]
    assert all(isinstance(h["actual_cost"], str) for h in history)
    assert api("outsider").get(f"{V1}/projects/APL/evm").status_code == 404


def test_portfolio_rollup_is_a_ratio_of_sums(reported, api, foreign_project):
    body = api("admin").get(f"{V1}/evm/portfolio?date=2027-01-31").json()
    usd = body["totals"]["USD"]
    assert usd["earned_value"] == "35000.00" and usd["spi"] == "0.875"
    assert {p["project"] for p in api("member").get(f"{V1}/evm/portfolio").json()["projects"]} == {
        "APL"
    }


@pytest.mark.parametrize(
    "path",
    [
        "/projects/APL/budget/",
        "/projects/APL/reports/",
        "/dashboard/",
        "/timesheet/",
        "/timesheet/approvals/",
        "/projects/APL/",
    ],
)
def test_pages_render(reported, client, people, path):
    client.force_login(people["manager"])
    response = client.get(path)
    assert response.status_code == 200
    assert (
        b"<svg" in response.content
        or path.startswith("/timesheet")
        or path == "/projects/APL/reports/"
    )


def test_dashboard_rag_counts_name_their_colour(reported, client, people):
    """The RAG tiles say "2 red", not a bare number on a coloured chip (readable without
    colour); the budget-burn percentage stays on the line of its bar."""
    client.force_login(people["manager"])
    page = client.get("/dashboard/").content.decode()
    chips = re.findall(r'<span class="rag rag-(red|amber|green)"[^>]*>(\d+) (\w+)</span>', page)
    assert len(chips) == 15  # five dimensions, three colours each
    assert all(colour == word for colour, _, word in chips)
    assert '<td class="nowrap"><svg' in page


def test_report_page_shows_rag_and_charts_with_numbers(reported, client, people):
    client.force_login(people["viewer"])
    page = client.get(f"/projects/APL/reports/{reported.pk}/").content.decode()
    assert "rag-red" in page and "S-curve" in page and "Numbers of the charts" in page


def test_timesheet_grid_saves_and_refuses_too_many_hours(client, people, tasks, settings):
    settings.ITPM_MAX_HOURS_PER_DAY = 8
    client.force_login(people["member"])
    task = tasks["design"]
    task.assignees.add(people["member"])
    grid = client.get("/timesheet/?week=2027-01-04").content.decode()
    assert f"task__{task.pk}__2027-01-05" in grid
    response = client.post(
        "/timesheet/", {"week": "2027-01-04", f"task__{task.pk}__2027-01-05": "9"}, follow=True
    )
    assert "more than the 8" in response.content.decode()
    client.post("/timesheet/", {"week": "2027-01-04", f"task__{task.pk}__2027-01-05": "6",
                                f"notes__task__{task.pk}": "wireframes"})  # fmt: skip
    from itpm.tracking.models import TimeEntry

    entry = TimeEntry.objects.get(user=people["member"])
    assert entry.hours == Decimal("6.00") and entry.notes == "wireframes"


def test_three_way_match_page_flags_the_mismatch(api, buyer, lines, client, people, settings):
    from tests.conftest import api_client

    settings.ITPM_PROCUREMENT_MANAGER_THRESHOLD = 1_000_000
    pr = api("member").post(f"{V1}/purchase-requests", json.dumps({
        "project": "APL", "title": "Switch", "vendor": "N", "line": lines["hardware"].pk,
        "justification": "j", "submit": True,
        "items": [{"description": "Switch", "quantity": "1", "unit_price": "100.00"}]}),
        content_type="application/json").json()  # fmt: skip
    buyer_api = api_client(buyer)
    buyer_api.post(
        f"{V1}/purchase-requests/{pr['id']}/approve",
        json.dumps({"version": pr["version"]}),
        content_type="application/json",
    )
    order = buyer_api.post(
        f"{V1}/purchase-orders", json.dumps({"request": pr["id"]}), content_type="application/json"
    ).json()
    client.force_login(people["manager"])
    line = order["lines"][0]["id"]
    client.post(f"/purchase-orders/{order['id']}/receive/", {f"qty_{line}": "1"})
    page = client.post(f"/purchase-orders/{order['id']}/invoice/",
                       {"number": "I-9", f"qty_{line}": "1", f"price_{line}": "120.00"}, follow=True)  # fmt: skip
    html = page.content.decode()
    assert "Mismatch" in html and "price" in html


def test_report_milestone_dates_are_days_of_the_plans_zone(project, people):
    """A report freezes milestone dates as days of the project's calendar, and a milestone is
    past its deadline by that calendar: 09:00 on 29 January in Auckland is 28 January in UTC."""
    from itpm.portfolio.models import Project

    project.time_zone = "Pacific/Auckland"
    project.save(update_fields=["time_zone"])
    if project.calendar is not None:
        project.calendar.timezone = "Pacific/Auckland"
        project.calendar.save(update_fields=["timezone"])
    project = Project.objects.get(pk=project.pk)
    assert str(project.schedule_zone) == "Pacific/Auckland"
    gate = task_create(actor=people["owner"], project=project, name="Go-live", milestone=True)
    from itpm.planning.models import Task

    Task.objects.filter(pk=gate.pk).update(
        planned_finish=dt.datetime(2027, 1, 28, 20, 0, tzinfo=dt.UTC),  # 29 Jan 09:00 NZDT
        deadline=dt.datetime(2027, 1, 28, 11, 0, tzinfo=dt.UTC),  # 29 Jan 00:00 NZDT
    )
    on_the_day = status_report_generate(
        actor=people["manager"], project=project, status_date=dt.date(2027, 1, 29)
    )
    upcoming = on_the_day.data["milestones"]["next"]
    assert [(m["name"], m["date"], m["deadline"]) for m in upcoming] == [
        ("Go-live", "2027-01-29", "2027-01-29")
    ]
    assert "past their deadline" not in on_the_day.data["reasons"]["schedule"]
    a_day_late = status_report_generate(
        actor=people["manager"], project=project, status_date=dt.date(2027, 1, 30)
    )
    assert "1 milestone(s) past their deadline" in a_day_late.data["reasons"]["schedule"]
    assert a_day_late.proposed_rag["schedule"] in ("amber", "red")
    # Reached on 2 February (Auckland): a report for 30 January still has it late and next;
    # one for 3 February has it done, on its day.
    Task.objects.filter(pk=gate.pk).update(
        status="done", completed_at=dt.datetime(2027, 2, 1, 22, 0, tzinfo=dt.UTC)
    )
    back_then = status_report_generate(
        actor=people["manager"], project=project, status_date=dt.date(2027, 1, 30)
    )
    assert [m["name"] for m in back_then.data["milestones"]["next"]] == ["Go-live"]
    assert back_then.data["milestones"]["next"][0]["date"] == "2027-01-29"  # the plan's day
    assert back_then.data["milestones"]["done"] == []
    assert "1 milestone(s) past their deadline" in back_then.data["reasons"]["schedule"]
    after = status_report_generate(
        actor=people["manager"], project=project, status_date=dt.date(2027, 2, 3)
    )
    assert [(m["name"], m["date"]) for m in after.data["milestones"]["done"]] == [
        ("Go-live", "2027-02-02")
    ]
    assert "past their deadline" not in after.data["reasons"]["schedule"]


def test_overview_and_report_show_top_risks_and_open_tickets(project, people, client):
    """The Overview's health tiles and a status report take the top risks from change control
    and the open tickets from the help desk: a risk scored 20 makes the proposed risk RAG red."""
    from itpm.accounts.models import Team
    from itpm.control import services as control
    from itpm.helpdesk.models import Queue
    from itpm.helpdesk.services import ticket_create

    control.risk_create(actor=people["member"], project=project, title="Vendor insolvency",
                        category="technical", probability=4, impact=5)  # fmt: skip
    control.risk_create(actor=people["member"], project=project, title="Minor delay",
                        category="technical", probability=1, impact=2)  # fmt: skip
    queue = Queue.objects.create(key="SD", name="Service desk",
                                 team=Team.objects.create(name="Desk"))  # fmt: skip
    for title in ("ERP login fails", "Report export slow"):
        ticket_create(actor=people["admin"], queue=queue, title=title, project=project)
    closed = ticket_create(actor=people["admin"], queue=queue, title="Old", project=project)
    type(closed).objects.filter(pk=closed.pk).update(status="closed")

    report = status_report_generate(
        actor=people["manager"], project=project, status_date=dt.date(2027, 1, 29)
    )
    assert report.proposed_rag["risk"] == "red"
    assert [r["score"] for r in report.data["risks"]][:2] == [20, 2]
    assert "Vendor insolvency" in report.data["risks"][0]["title"]

    client.force_login(people["viewer"])
    page = client.get("/projects/APL/").content.decode()
    tiles = page[page.index('class="project-dashboard"') :]
    assert re.search(r"Vendor insolvency\s*<small>\(20\)</small>", tiles)
    assert re.search(r'Open tickets</div><div class="value">2<', tiles)
