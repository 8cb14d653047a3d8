"""Planned vs realized ROI for as long as the service runs: portfolio managers who are not
project members read the case and record realized figures on an archived project, through
the API and the business-case page."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from itpm.accounts.models import User
from itpm.core.models import AuditEvent
from itpm.portfolio import business_case as cases
from itpm.portfolio import intake
from itpm.portfolio.models import BusinessCase, Project, Scenario
from tests.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def paula(people: dict[str, User]) -> User:
    """A portfolio manager with no role on any project."""
    user = User.objects.create_user(username="paula", password="x", email="paula@example.com")
    group, _ = Group.objects.get_or_create(name=intake.PORTFOLIO_MANAGERS_GROUP)
    user.groups.add(group)
    return user


@pytest.fixture
def archived(project: Project, people: dict[str, User]) -> Project:
    """APL with a yearly case (20,000 now, 15,000 of savings a year for two years), handed
    over and archived."""
    cases.business_case_save(
        actor=people["manager"], project=project, version=None, data={"periodicity": "year"},
        lines=[{"kind": "one_off_cost", "period": 0, "amount": "20000"},
               {"kind": "benefit", "category": "savings", "period": 1, "amount": "15000"},
               {"kind": "benefit", "category": "savings", "period": 2, "amount": "15000"}],
    )  # fmt: skip
    Project.objects.filter(pk=project.pk).update(archived=True)
    project.refresh_from_db()
    return project


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def realized_form(version: int, rows: list[tuple[str, str, int, str]]) -> dict[str, Any]:
    data: dict[str, Any] = {"version": version, "realized-TOTAL_FORMS": str(len(rows) + 1),
                            "realized-INITIAL_FORMS": "0"}  # fmt: skip
    for n, (kind, category, period, amount) in enumerate(rows):
        data.update({f"realized-{n}-kind": kind, f"realized-{n}-category": category,
                     f"realized-{n}-period": period, f"realized-{n}-amount": amount})  # fmt: skip
    return data  # the last row stays empty and is ignored


def test_a_portfolio_manager_outside_the_project_reads_and_records_through_the_api(
    archived: Project, paula: User, api: Any
) -> None:
    url = f"/api/v1/projects/{archived.key}/business-case"
    assert api("outsider").get(url).status_code == 404
    client = api_client(paula)
    read = client.get(url)
    assert read.status_code == 200, read.content
    assert read.json()["metrics"]["roi"] == pytest.approx(0.5)
    body = {"version": read.json()["version"],
            "lines": [{"kind": "benefit", "category": "savings", "period": 1, "amount": "9000"}]}  # fmt: skip
    stored = client.put(f"{url}/realized", json.dumps(body), content_type="application/json")
    assert stored.status_code == 200, stored.content
    assert stored.json()["realized_metrics"]["total_benefit"] == "9000.00"
    # A portfolio manager still may not rewrite the planned case of someone else's project.
    planned = client.put(url, json.dumps({"version": stored.json()["version"], "lines": []}),
                         content_type="application/json")  # fmt: skip
    assert planned.status_code == 404
    refused = api("manager").put(f"{url}/realized", json.dumps(body),
                                 content_type="application/json")  # fmt: skip
    assert refused.status_code == 403


def test_the_page_records_realized_figures_on_an_archived_project(
    archived: Project, paula: User, people: dict[str, User]
) -> None:
    url = f"/projects/{archived.key}/business-case/"
    shown = page(paula).get(url)
    assert shown.status_code == 200
    assert b"Save realized figures" in shown.content
    assert b"Save realized figures" not in page(people["manager"]).get(url).content
    case = BusinessCase.objects.get(project=archived)
    form = realized_form(case.version, [("benefit", "savings", 1, "12000"),
                                        ("running_cost", "operations", 1, "2000")])  # fmt: skip
    post_url = f"/projects/{archived.key}/business-case/realized/"
    assert page(people["manager"]).post(post_url, form).status_code == 403
    assert page(people["outsider"]).post(post_url, form).status_code == 404
    assert not case.lines.filter(scenario=Scenario.REALIZED).exists()
    saved = page(paula).post(post_url, form)
    assert saved.status_code == 302
    case = BusinessCase.objects.prefetch_related("lines").get(project=archived)
    realized = cases.compute(case, Scenario.REALIZED)
    assert realized is not None
    assert (realized.total_benefit, realized.total_cost) == (Decimal("12000"), Decimal("2000"))
    assert AuditEvent.objects.filter(action="business_case.realized", project=archived).exists()
    again = page(paula).get(url).content.decode()
    assert "Realized so far" in again and 'value="12000.00"' in again
    # A stale version changes nothing and says why.
    stale = page(paula).post(post_url, realized_form(case.version - 1, []), follow=True)
    assert stale.status_code == 422
    assert case.lines.filter(scenario=Scenario.REALIZED).count() == 2
    bad = page(paula).post(post_url, realized_form(case.version, [("benefit", "", 1, "-5")]))
    assert bad.status_code == 422 and case.lines.filter(scenario=Scenario.REALIZED).count() == 2


def test_the_portfolio_links_a_non_member_portfolio_manager_to_the_business_case(
    archived: Project, paula: User, people: dict[str, User]
) -> None:
    html = page(paula).get("/portfolio/").content.decode()
    assert f'href="/projects/{archived.key}/business-case/"' in html
    assert f'href="/projects/{archived.key}/gates/"' not in html
    mine = page(people["manager"]).get("/portfolio/").content.decode()
    assert f'href="/projects/{archived.key}/gates/"' in mine
