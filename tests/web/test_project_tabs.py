"""The project tab bar: grouped menus, every tab reachable, the current page marked."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from itpm.web import project_tabs
from itpm.web.project_tabs import TABS, Tab, tab_bar

pytestmark = pytest.mark.django_db


def test_every_tab_of_an_installed_app_is_on_the_bar(project: Any) -> None:
    entries = tab_bar(project.key, "overview")
    urls = [e["url"] for e in entries if "url" in e]
    urls += [i["url"] for e in entries for i in e.get("menu", [])]
    assert len(urls) == len(set(urls))
    assert f"/projects/{project.key}/budget/" in urls and f"/projects/{project.key}/risks/" in urls
    # Overview first, then menus; at most eight entries on the bar (fits 1280 px).
    assert entries[0]["label"] == "Overview" and len(entries) <= 8
    assert [e["label"] for e in entries if "menu" in e][:3] == ["Plan", "Execute", "Control"]


def test_a_tab_of_a_missing_app_is_left_out_and_adding_one_is_one_line(
    project: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(project_tabs, "TABS", [*TABS, Tab("x", "Nowhere", "nope:nothing", "Plan"),
                                               Tab("lessons", "Lessons", "portfolio:lessons_x")])  # fmt: skip
    labels = [i["label"] for e in tab_bar(project.key, "") for i in e.get("menu", [e])]
    assert "Nowhere" not in labels and "Lessons" not in labels
    monkeypatch.setattr(project_tabs, "TABS", [*TABS, Tab("feas", "Feasibility 2",
                                                          "portfolio:feasibility", "Money")])  # fmt: skip
    money = next(e for e in tab_bar(project.key, "") if e["label"] == "Money")
    assert "Feasibility 2" in [i["label"] for i in money["menu"]]


def test_the_page_marks_the_current_tab_and_its_menu(people: Any, project: Any) -> None:
    client = Client()
    client.force_login(people["member"])
    page = client.get(f"/projects/{project.key}/budget/").content.decode()
    assert 'details class="dropdown current"><summary>Money</summary>' in page
    assert f'<a href="/projects/{project.key}/budget/" aria-current="page">' in page
    case = client.get(f"/projects/{project.key}/business-case/").content.decode()
    assert f'<a href="/projects/{project.key}/business-case/" aria-current="page">' in case
    assert f'<a href="/projects/{project.key}/gates/" aria-current="page">' not in case
