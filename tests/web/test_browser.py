"""The plan pages in a real browser: forms, htmx inline edits, structure buttons, roles.

Each test logs in through the login form against pytest-django's live server. The
``page`` fixture (tests/web/conftest.py) fails a test on any console error or CSP
violation on any page it visited.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from itpm.planning.models import Dependency, Task
from itpm.planning.services import task_update
from itpm.portfolio.models import Project
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOT_FOUND = r"status of 404"
UNPROCESSABLE = r"status of 422"


def log_in(page: Any, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/projects/$"))


def wbs_codes(page: Any) -> dict[str, str]:
    """Task name → WBS code, as the plan table shows them."""
    codes = {}
    for row in page.locator("#wbs tr.task-row").all():
        name = row.locator("td.name").inner_text().replace("◆", "").strip()
        codes[name] = row.locator("td.wbs").inner_text().strip()
    return codes


def row(page: Any, task: Task) -> Any:
    return page.locator(f"#task-{task.pk}")


def add_task(page: Any, name: str, hours: int, *, milestone: bool = False) -> None:
    form = page.locator("#task-form")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=duration_hours]").fill(str(hours))
    if milestone:
        form.locator("input[name=milestone]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"#wbs td.name:has-text('{name}')")


def test_manager_creates_a_project_and_plans_it(page: Any, people: Any, tmp_path: Path) -> None:
    log_in(page, "manny")
    page.click("text=New project")
    page.fill("input[name=key]", "WEB")
    page.fill("input[name=name]", "Website relaunch")
    page.select_option("select[name=category]", label="Software, website and app development")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/projects/WEB/plan/$"))
    assert "Project WEB created." in page.inner_text(".messages")

    add_task(page, "Design", 16)
    add_task(page, "Build", 40)
    add_task(page, "Go live", 0, milestone=True)
    form = page.locator("#dependency-form")
    form.locator("select[name=predecessor]").select_option(label="2 Build")
    form.locator("select[name=successor]").select_option(label="3 Go live")
    form.locator("select[name=type]").select_option("SS")
    form.locator("input[name=lag_hours]").fill("8")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Dependency added.")

    page.reload()
    assert wbs_codes(page) == {"Design": "1", "Build": "2", "Go live": "3"}
    go_live = Task.objects.get(project__key="WEB", name="Go live")
    assert row(page, go_live).locator("td.preds").inner_text() == "2SS+8h"
    assert row(page, go_live).locator(".diamond").count() == 1
    page.screenshot(path=str(tmp_path / "plan.png"), full_page=True)
    assert (tmp_path / "plan.png").stat().st_size > 0
    assert Project.objects.get(key="WEB").manager == people["manager"]


def test_inline_edit_saves_the_row_in_place(page: Any, project: Project, tasks: Any) -> None:
    log_in(page, "manny")
    page.goto(f"/projects/{project.key}/plan/")
    # A page load would drop this marker; an htmx swap keeps it.
    page.evaluate("window.__noReload = true")
    design = row(page, tasks["design"])
    design.locator("td.num").first.click()
    design.locator("form.cell-form input[name=duration_hours]").fill("24")
    design.locator("form.cell-form button[type=submit]").click()
    page.wait_for_selector(f"#task-{tasks['design'].pk} td.num:has-text('24h')")
    assert page.evaluate("window.__noReload") is True
    assert design.locator("form.cell-form").count() == 0

    page.reload()
    assert row(page, tasks["design"]).locator("td.num").first.inner_text() == "24h"
    tasks["design"].refresh_from_db()
    assert tasks["design"].duration_hours == 24


def test_stale_inline_edit_is_refused(page: Any, project: Project, tasks: Any, people: Any) -> None:
    log_in(page, "manny")
    page.goto(f"/projects/{project.key}/plan/")
    code = row(page, tasks["code"])
    code.locator("td.num").first.click()
    code.locator("form.cell-form input[name=duration_hours]").fill("99")
    # Someone else saves the task while the form is open.
    fresh = Task.objects.get(pk=tasks["code"].pk)
    task_update(
        actor=people["owner"], task=fresh, version=fresh.version, data={"name": "Code and test"}
    )

    code.locator("form.cell-form button[type=submit]").click()
    error = page.locator(f"#task-{tasks['code'].pk}-error")
    error.wait_for()
    assert "changed by someone else" in error.inner_text()
    # The row now shows the other person's change and still the old duration.
    assert "Code and test" in code.locator("td.name").inner_text()
    assert code.locator("td.num").first.inner_text() == "40h"
    assert Task.objects.get(pk=tasks["code"].pk).duration_hours == 40


def test_structure_buttons_renumber_the_wbs(page: Any, project: Project, tasks: Any) -> None:
    log_in(page, "manny")
    page.goto(f"/projects/{project.key}/plan/")
    assert wbs_codes(page) == {"Build": "1", "Design": "1.1", "Code": "1.2", "Launch": "2"}

    page.click("button[aria-label='Move Launch up']")
    assert wbs_codes(page) == {"Launch": "1", "Build": "2", "Design": "2.1", "Code": "2.2"}
    page.click("button[aria-label='Outdent Code']")
    assert wbs_codes(page) == {"Launch": "1", "Build": "2", "Design": "2.1", "Code": "3"}
    page.click("button[aria-label='Indent Code']")
    assert wbs_codes(page) == {"Launch": "1", "Build": "2", "Design": "2.1", "Code": "2.2"}
    page.click("button[aria-label='Move Design down']")
    assert wbs_codes(page) == {"Launch": "1", "Build": "2", "Code": "2.1", "Design": "2.2"}

    # Delete asks first; saying no keeps the task, saying yes removes it.
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button[aria-label='Delete Launch']")
    assert dialogs == ["Delete Launch and its subtasks?"]
    assert "Launch" in wbs_codes(page)

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[aria-label='Delete Launch']")
    page.wait_for_selector("text=Deleted 1 Launch.")
    assert wbs_codes(page) == {"Build": "1", "Code": "1.1", "Design": "1.2"}
    assert not Task.objects.filter(pk=tasks["launch"].pk).exists()


def test_bad_input_shows_errors_and_creates_nothing(
    page: Any, project: Project, tasks: Any, problems: Any
) -> None:
    problems.expect(UNPROCESSABLE)
    log_in(page, "manny")
    page.goto(f"/projects/{project.key}/plan/")

    page.locator("#task-form button[type=submit]").click()
    assert "This field is required." in page.locator("#task-form .error").inner_text()
    assert Task.objects.filter(project=project).count() == 4

    form = page.locator("#dependency-form")
    form.locator("select[name=predecessor]").select_option(label="1.2 Code")
    form.locator("select[name=successor]").select_option(label="1.1 Design")
    form.locator("button[type=submit]").click()
    message = page.locator("#dependency-form .error").first.inner_text()
    assert "cycle" in message
    assert "1.2 Code" in message and "1.1 Design" in message
    assert Dependency.objects.filter(project=project).count() == 1


def test_viewer_reads_without_edit_controls(page: Any, project: Project, tasks: Any) -> None:
    log_in(page, "vic")
    page.goto(f"/projects/{project.key}/plan/")
    assert set(wbs_codes(page)) == {"Build", "Design", "Code", "Launch"}
    assert page.locator("#task-form, #dependency-form").count() == 0
    assert page.locator("#wbs td.actions button, #wbs td[hx-get]").count() == 0
    assert page.locator("main form[method=post]").count() == 0


def test_outsider_gets_not_found(
    page: Any, project: Project, foreign_project: Project, problems: Any
) -> None:
    problems.expect(NOT_FOUND)
    log_in(page, "oscar")
    assert "APL" not in page.inner_text("main")
    response = page.goto(f"/projects/{project.key}/")
    assert response.status == 404
    assert page.inner_text("h1") == "Not found"
    assert page.goto(f"/projects/{project.key}/plan/").status == 404


def test_every_page_renders_cleanly(page: Any, project: Project, tasks: Any) -> None:
    """Walk the pages a manager uses; the fixture fails on any console or CSP error."""
    log_in(page, "manny")
    for path, heading in [
        ("/projects/", "Projects"),
        (f"/projects/{project.key}/", "Apollo ERP upgrade"),
        (f"/projects/{project.key}/plan/", "Apollo ERP upgrade"),
        (f"/projects/{project.key}/activity/", "Apollo ERP upgrade"),
        (f"/projects/{project.key}/settings/", "Apollo ERP upgrade"),
        ("/projects/new/", "New project"),
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        assert heading in page.inner_text("h1"), path
        # Stylesheets and scripts come from our own static files, so they must load.
        assert page.evaluate("typeof htmx") == "object", path
        assert page.evaluate("document.styleSheets.length") >= 2, path
