"""One project's whole life in a real browser: request, triage, five gates, acceptance,
lessons learned, handoff to operations and the archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from itpm.accounts.models import Team, TeamKind
from itpm.portfolio.models import Handoff, Project, Stage
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def second_page(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


def pass_gate(manager: Any, sponsor: Any, key: str, to_stage: str) -> None:
    manager.goto(f"/projects/{key}/gates/")
    manager.click("text=Open gate review")
    manager.wait_for_selector("text=the approvers were notified")
    while manager.locator("ul.checklist button[aria-label^='Tick']").count():
        manager.locator("ul.checklist button[aria-label^='Tick']").first.click()
        manager.wait_for_load_state()
    for approver in (sponsor, manager):
        approver.goto(f"/projects/{key}/gates/")
        if approver.locator(".approve-form button[value=approve]").count():
            approver.fill(".approve-form input[name=comment]", "Looks good")
            approver.click(".approve-form button[value=approve]")
            approver.wait_for_selector("text=Approved.")
    manager.goto(f"/projects/{key}/gates/")
    manager.select_option(".decide-form select[name=decision]", "go")
    manager.click(".decide-form button[type=submit]")
    manager.wait_for_selector("text=Gate decided: go.")
    assert Project.objects.get(key=key).stage == to_stage


def test_a_project_from_request_to_archive(
    page: Any, browser: Any, live_server: Any, people: Any, tmp_path: Path
) -> None:
    ops = Team.objects.create(name="Operations", kind=TeamKind.OPERATIONS)
    ops.members.add(people["manager"])

    # A member asks for a project.
    log_in(page, "mia")
    page.click("nav >> text=Requests")
    page.click("text=New request")
    page.fill("input[name=title]", "Self-service password reset")
    page.fill("textarea[name=problem]", "A third of help-desk calls are password resets")
    page.select_option("select[name=category]", "software")
    page.fill("input[name=rough_cost]", "45000")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=the portfolio managers triage it")
    request_url = page.url

    # The portfolio manager (a site admin here) accepts it into initiation.
    admin = second_page(browser, live_server)
    log_in(admin, "admin")
    admin.goto(request_url)
    admin.select_option("select[name=action]", "accept")
    admin.fill("input[name=key]", "SSPR")
    admin.fill("input[name=manager]", "manny")
    admin.fill("input[name=sponsor]", "vic")
    admin.click("main form button[type=submit]")
    admin.wait_for_selector("text=Accepted into initiation")
    project = Project.objects.get(key="SSPR")
    assert project.stage == Stage.INITIATION
    page.goto(request_url)
    assert "SSPR" in page.inner_text("main")

    manager = second_page(browser, live_server)
    log_in(manager, "manny")
    sponsor = second_page(browser, live_server)
    log_in(sponsor, "vic")

    # The business case, then every gate to closing.
    manager.goto("/projects/SSPR/business-case/")
    manager.select_option("select[name=line-0-kind]", "one_off_cost")
    manager.fill("input[name=line-0-period]", "0")
    manager.fill("input[name=line-0-amount]", "45000")
    manager.select_option("select[name=line-1-kind]", "benefit")
    manager.fill("input[name=line-1-period]", "1")
    manager.fill("input[name=line-1-amount]", "60000")
    manager.click("text=Save business case")
    manager.wait_for_selector("text=Business case saved.")
    assert "NPV" in manager.inner_text("dl.metrics")
    for stage in (Stage.PLANNING, Stage.EXECUTION, Stage.MONITORING, Stage.CLOSING):
        pass_gate(manager, sponsor, "SSPR", stage)

    # Closing: the sponsor signs off, the team records a lesson, the last gate passes.
    sponsor.goto("/projects/SSPR/gates/")
    sponsor.click(".approve-form button[value=accept]")
    sponsor.wait_for_selector("text=Sign-off recorded.")
    manager.goto("/projects/SSPR/gates/")
    manager.click("text=Record a lesson")
    manager.fill("input[name=title]", "Pilot with the service desk first")
    manager.fill("textarea[name=went_well]", "The pilot found the SMS gateway limits")
    manager.click("text=Save lesson")
    manager.wait_for_selector("text=Lesson recorded.")
    pass_gate(manager, sponsor, "SSPR", Stage.CLOSED)

    # The owner hands over to operations; the project is archived, read-only.
    admin.on("dialog", lambda dialog: dialog.accept())
    admin.goto("/projects/SSPR/gates/")
    admin.select_option("select[name=operations_team]", label="Operations")
    admin.fill("input[name=service_name]", "Password reset service")
    admin.fill("input[name=queue_name]", "Service desk")
    admin.click("text=Hand over and archive")
    admin.wait_for_selector("text=handed over to operations and archived")
    admin.screenshot(path=str(tmp_path / "handoff.png"), full_page=True)
    project.refresh_from_db()
    assert project.archived
    handoff = Handoff.objects.get(project=project)
    assert handoff.operations_team == ops and handoff.queue_name == "Service desk"
    assert "archived · read-only" in admin.inner_text(".project-head")
    for extra in (admin, manager, sponsor):
        extra.context.close()
