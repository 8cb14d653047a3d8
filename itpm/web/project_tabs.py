"""The project's tab bar: a few top-level links and menus, so it fits 1280 px.

Adding a tab is one line in ``TABS``: ``Tab(key, label, url_name, group)``. ``key`` is the
``tab`` value the page's view passes to the template (it marks the tab as current),
``url_name`` is reversed with the project key, and ``group`` names the menu it sits in
("" = a top-level link). A tab whose URL does not exist (its app is not installed) is
left out, so an app's tab may be listed here before the app lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from itpm.accounts.models import ROLE_RANK, Role


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str
    group: str = ""
    # The lowest project role whose page answers 200 ("" = anyone who sees the project); a
    # lower role does not get a link that only leads to "403 Forbidden".
    minimum: str = ""


# The menus in their order on the bar; a group with no installed tab is not shown.
GROUPS = ("Plan", "Execute", "Control", "Money", "Lifecycle", "Project")

TABS: list[Tab] = [
    Tab("overview", "Overview", "web:project_overview"),
    Tab("plan", "Tasks (WBS)", "web:project_plan", "Plan"),
    Tab("gantt", "Gantt", "gantt:project_gantt", "Plan"),
    Tab("resources", "Resources", "planning:project_resources", "Plan"),
    Tab("calendar", "Calendar", "planning:project_calendar", "Plan"),
    Tab("baselines", "Baselines", "planning:project_baselines", "Plan"),
    Tab("board", "Board", "execution:board", "Execute"),
    Tab("cycles", "Cycles", "execution:cycle_list", "Execute"),
    Tab("documents", "Documents", "documents:documents", "Execute"),
    Tab("fields", "Custom fields", "documents:fields", "Execute"),
    Tab("control", "Risks, issues & changes", "control:risks", "Control"),
    Tab("forecast", "Forecast", "control:forecast", "Control"),
    Tab("quality", "Quality & deliverables", "control:quality", "Control"),
    Tab("reports", "Status reports", "tracking:project_reports", "Control"),
    Tab("budget", "Budget, costs & time", "tracking:project_budget", "Money"),
    Tab("case", "Business case", "portfolio:business_case", "Money"),
    Tab("gates", "Gates & closing", "portfolio:gates", "Lifecycle"),
    Tab("feasibility", "Feasibility", "portfolio:feasibility", "Lifecycle"),
    Tab("webhooks", "Webhooks", "webhooks:project", "Project", minimum="manager"),
    Tab("import", "Import/export", "interop:wizard", "Project"),
    Tab("activity", "Activity", "web:project_activity", "Project"),
    Tab("settings", "Settings", "web:project_settings", "Project"),
]


def _url(tab: Tab, key: str) -> str | None:
    try:
        return reverse(tab.url_name, args=[key])
    except NoReverseMatch:
        return None


def _allowed(tab: Tab, role: str | None) -> bool:
    if not tab.minimum or role is None:
        return not tab.minimum
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(tab.minimum)]


def tab_bar(
    project_key: str, current: str, path: str = "", *, role: str | None = "owner"
) -> list[dict[str, Any]]:
    """Entries of the bar: links, and menus holding links. A link is current when it is the
    page shown (same path) or, failing that, when its key is the page's ``tab``. ``role`` is
    the reader's project role: a tab needing a higher one is left out."""
    links = [(tab, url) for tab in TABS if _allowed(tab, role) and (url := _url(tab, project_key))]
    by_path = any(url == path for _, url in links)

    def item(tab: Tab, url: str) -> dict[str, Any]:
        here = url == path if by_path else tab.key == current
        return {"label": tab.label, "url": url, "current": here, "key": tab.key}

    entries: list[dict[str, Any]] = []
    for tab, url in links:
        if not tab.group:
            entries.append(item(tab, url))
    groups = {name: [item(t, u) for t, u in links if t.group == name] for name in GROUPS}
    menus = [
        {"label": name, "menu": items, "current": any(i["current"] for i in items)}
        for name, items in groups.items()
        if items
    ]
    # Overview first, the menus in order, then any other top-level link.
    return entries[:1] + menus + entries[1:]
