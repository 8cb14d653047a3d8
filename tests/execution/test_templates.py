"""Category templates: a new project from a template gets the right plan and schedule."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from typing import Any

import pytest
from django.test import Client

from itpm.planning.models import Dependency, Task
from itpm.portfolio.models import Category, Project
from itpm.portfolio.templates import TEMPLATES, Template, project_apply_template


def longest_path_hours(template: Template) -> int:
    """The critical path's length by hand: longest chain of FS links without lags."""
    hours = {item.name: item.hours for phase in template.phases for item in phase.items}
    preds: dict[str, list[str]] = defaultdict(list)
    for before, after in template.links():
        preds[after].append(before)
    finish: dict[str, int] = {}

    def finish_of(name: str) -> int:
        if name not in finish:
            finish[name] = max((finish_of(p) for p in preds[name]), default=0) + hours[name]
        return finish[name]

    return max(finish_of(name) for name in hours)


def nth_working_day(start: dt.date, n: int) -> dt.date:
    day, counted = start, 0
    while True:
        if day.weekday() < 5:
            counted += 1
            if counted == n:
                return day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("category", Category.values)
def test_every_category_has_a_realistic_template(category: str) -> None:
    template = TEMPLATES[category]
    names = [item.name for phase in template.phases for item in phase.items]
    assert len(names) == len(set(names)), "item names are unique within a template"
    assert len(template.phases) >= 4
    assert sum(item.milestone for phase in template.phases for item in phase.items) >= 4
    assert all(before in names for before, _ in template.links())


def test_api_creates_a_project_from_its_template_scheduled_from_the_start(
    api: Any, people: Any
) -> None:
    body = {"key": "RACK", "name": "Rack rollout", "category": "hardware",
            "start_date": "2027-01-04", "template": True}  # fmt: skip
    response = api("manager").post(
        "/api/v1/projects", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    project = Project.objects.get(key="RACK")
    template = TEMPLATES[Category.HARDWARE]
    tasks = Task.objects.filter(project=project)
    assert tasks.filter(parent__isnull=True).count() == len(template.phases)
    assert tasks.count() == template.task_count
    assert tasks.filter(milestone=True).count() == 5
    assert Dependency.objects.filter(project=project).count() == len(template.links())
    link = Dependency.objects.get(project=project, successor__name="Bill of materials")
    assert link.predecessor.name == "Rack elevation and cabling design"
    # 8 working hours a day, Monday to Friday, from Monday 2027-01-04.
    days = math.ceil(longest_path_hours(template) / 8)
    assert project.scheduled_finish is not None
    assert project.scheduled_finish.date() == nth_working_day(dt.date(2027, 1, 4), days)
    handed = tasks.get(name="Handed to operations")
    assert handed.critical


def test_the_new_project_form_starts_from_a_template(people: Any) -> None:
    client = Client()
    client.force_login(people["manager"])
    response = client.post("/projects/new/", {
        "key": "DESK", "name": "Service desk", "category": "helpdesk", "currency": "USD",
        "start_date": "2027-03-01", "template": "on",
    })  # fmt: skip
    assert response.status_code == 302
    project = Project.objects.get(key="DESK")
    assert Task.objects.filter(project=project).count() == TEMPLATES[Category.HELPDESK].task_count
    assert "Start from template" in client.get("/projects/new/").content.decode()


def test_a_template_fills_only_an_empty_plan(people: Any, project: Project, tasks: Any) -> None:
    from itpm.core.errors import Conflict

    with pytest.raises(Conflict):
        project_apply_template(actor=people["owner"], project=project)
    assert Task.objects.filter(project=project).count() == 4
