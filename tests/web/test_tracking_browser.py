"""Time and procurement in a real browser: a member fills the weekly timesheet grid and
submits it; a purchase request goes through approval, order and a delivery whose hardware
becomes asset records."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from itpm.accounts.models import Role, Team, TeamKind, User
from itpm.accounts.services import membership_set
from itpm.assets.models import Asset, AssetStatus
from itpm.tracking.models import BudgetCategory, PurchaseOrder, TimeEntry, Timesheet
from itpm.tracking.services import budget_line_create
from tests.conftest import PASSWORD
from tests.web.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_timesheet_grid_saves_and_submits_a_week(
    page: Any, people: dict[str, User], tasks: Any
) -> None:
    tasks["design"].assignees.add(people["member"])
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    page.set_default_timeout(30_000)
    log_in(page, "mia")
    page.goto(f"/timesheet/?week={monday:%Y-%m-%d}")
    cell = f"input[name='task__{tasks['design'].pk}__{monday:%Y-%m-%d}']"
    page.fill(cell, "3.5")
    page.fill(f"input[name='notes__task__{tasks['design'].pk}']", "Wireframes")
    page.click("form.sheet button:not([name])")
    page.wait_for_selector("text=Saved (")
    entry = TimeEntry.objects.get(user=people["member"], date=monday)
    assert str(entry.hours) == "3.50" and entry.task_id == tasks["design"].pk
    assert page.input_value(cell) in ("3.5", "3.50")
    page.click("form.sheet button[name=submit_week]")
    page.wait_for_selector("text=Week submitted for approval.")
    assert Timesheet.objects.get(user=people["member"], project=tasks["design"].project).state == (
        "submitted"
    )


def test_a_purchase_goes_from_request_to_received_assets(
    page: Any, people: dict[str, User], project: Any
) -> None:
    buyer = User.objects.create_user("pat", password=PASSWORD, first_name="Pat")
    team = Team.objects.create(name="Procurement", kind=TeamKind.PROCUREMENT)
    team.members.add(buyer)
    # The buyer reads the project (a viewer) and approves as the procurement team.
    membership_set(actor=people["owner"], project=project, user=buyer, role=Role.VIEWER)
    line = budget_line_create(actor=people["owner"], project=project,
                              category=BudgetCategory.HARDWARE, name="Switches",
                              months={"2027-02": "50000.00"})  # fmt: skip
    page.set_default_timeout(30_000)

    log_in(page, "mia")
    page.goto(f"/projects/{project.key}/budget/")
    page.click("summary:has-text('New purchase request')")
    form = page.locator(f"form[action='/projects/{project.key}/budget/purchase-requests/']")
    form.locator("input[name=title]").fill("Access switches")
    form.locator("input[name=vendor]").fill("Northwind")
    form.locator("select[name=line]").select_option(str(line.pk))
    form.locator("textarea[name=justification]").fill("Floor 3 refit")
    form.locator("input[name=item1_description]").fill("Access switch 24p")
    form.locator("input[name=item1_quantity]").fill("2")
    form.locator("input[name=item1_unit_price]").fill("1900.00")
    form.locator("input[name=item1_hardware]").check()
    form.locator("button").last.click()
    page.wait_for_load_state()
    assert "Access switches" in page.content()

    log_in(page, "pat")
    page.goto(f"/projects/{project.key}/budget/")
    page.click("form[action*='/approve/'] button")
    page.wait_for_selector("text=approve done")
    page.click("form[action*='/order/'] button")
    page.wait_for_url(re.compile(r"/purchase-orders/\d+/$"))
    order = PurchaseOrder.objects.get(project=project)

    log_in(page, "mia")
    page.goto(f"/purchase-orders/{order.pk}/")
    receive = page.locator("form[action$='/receive/']")
    receive.locator(f"input[name=qty_{order.lines.get().pk}]").fill("2")
    assert receive.locator("input[name=create_assets]").is_checked()
    receive.locator("button").click()
    page.wait_for_selector("text=receive recorded")
    page.wait_for_selector("ul.po-assets")
    assets = Asset.objects.filter(project=project, purchase_order=order.number)
    assert assets.count() == 2 and {a.status for a in assets} == {AssetStatus.RECEIVED}
    assert page.locator("ul.po-assets li").count() == 2
