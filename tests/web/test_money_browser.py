"""Earned value and status reports in a real browser: the manager picks a status date on
Budget & time and reads the textbook figures; generates a status report, overrides a proposed
RAG (refused without a comment, then accepted with one), publishes it and downloads the PDF."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from itpm.accounts.models import User
from itpm.planning.services import task_create, task_update
from itpm.portfolio.models import Project
from itpm.tracking.models import BudgetCategory, StatusReport
from itpm.tracking.services import budget_line_create, expense_create
from tests.tracking.conftest import progress_dated, textbook_baseline
from tests.web.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def textbook(project: Project, people: dict[str, User]) -> Project:
    """100,000 planned evenly over ten weeks from 2027-01-04; at 31 January the work is 35 %
    done and 38,000 is spent: PV 40,000, EV 35,000, AC 38,000, SPI 0.875, CPI 0.921."""
    owner = people["owner"]
    # The line first: once the project is baselined, budget changes need a change request.
    line = budget_line_create(
        actor=owner, project=project, category=BudgetCategory.HARDWARE, name="Platform"
    )
    task = task_create(actor=owner, project=project, name="Build the platform", duration_hours=400)
    textbook_baseline(project, task)
    task.refresh_from_db()
    task_update(actor=owner, task=task, version=task.version, data={"percent_complete": 35})
    progress_dated(project, dt.datetime(2027, 1, 29, 12, 0, tzinfo=dt.UTC))
    expense_create(actor=owner, project=project, line=line, date=dt.date(2027, 1, 20),
                   amount="38000.00", description="Platform work")  # fmt: skip
    return project


def _tile(page: Any, label: str) -> str:
    tile = page.locator(".tiles .tile").filter(has=page.locator(f".label:text-is('{label}')"))
    return str(tile.locator(".value").inner_text()).strip()


def test_the_manager_reads_earned_value_and_publishes_a_status_report(
    page: Any, textbook: Project, problems: Any
) -> None:
    page.set_default_timeout(30_000)
    log_in(page, "manny")

    page.goto(f"/projects/{textbook.key}/budget/")
    page.fill("input[type=date][name=date]", "2027-01-31")
    page.click("form.inline-form button:has-text('Show')")
    page.wait_for_url(re.compile(r"date=2027-01-31"))
    assert _tile(page, "SPI") == "0.875"
    assert _tile(page, "CPI") == "0.921"
    assert _tile(page, "PV").replace(",", "").replace("\u202f", "") == "40000"

    page.goto(f"/projects/{textbook.key}/reports/")
    page.fill("input[name=status_date]", "2027-01-31")
    page.click("button:has-text('Generate report')")
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    report = StatusReport.objects.get(project=textbook)
    assert report.proposed_rag["schedule"] == "red"
    page.wait_for_selector("text=proposed red")

    # Overriding red to amber without saying why is refused, and nothing changes.
    page.select_option("select[name=rag_schedule]", "amber")
    page.click("article button:has-text('Save')")
    page.wait_for_selector("text=say why the proposed RAG is overridden")
    report.refresh_from_db()
    assert report.rag["schedule"] == "red" and report.state == "draft"

    page.select_option("select[name=rag_schedule]", "amber")
    page.fill("input[name=commentary_schedule]", "Recovery plan agreed with the vendor")
    page.fill("textarea[name=summary]", "Platform build a week behind.")
    page.check("input[name=publish]")
    page.click("article button:has-text('Save')")
    page.wait_for_selector("text=Report saved.")
    report.refresh_from_db()
    assert report.state == "published" and report.rag["schedule"] == "amber"
    assert report.commentary["schedule"] == "Recovery plan agreed with the vendor"
    # A published report is kept as it is: the form is gone.
    assert page.locator("select[name=rag_schedule]").count() == 0

    href = page.get_attribute("a:has-text('PDF')", "href")
    pdf = page.request.get(href, timeout=60_000)  # WeasyPrint takes seconds on a busy machine
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
