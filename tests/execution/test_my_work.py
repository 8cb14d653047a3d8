"""My work: a person's tasks across the projects they see, grouped by when they are due."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from itpm.accounts.services import membership_remove, membership_set
from itpm.planning.cycle_selectors import my_work, my_work_group
from itpm.planning.models import Resource, Task
from itpm.planning.services import task_create
from itpm.portfolio.models import Project


def test_my_work_shows_only_visible_live_projects_tasks(
    api: Any, people: Any, project: Project, foreign_project: Project
) -> None:
    member, outsider = people["member"], people["outsider"]
    mine = task_create(
        actor=people["owner"], project=project, name="Mine in APL", assignees=[member]
    )
    membership_set(actor=outsider, project=foreign_project, user=member, role="member")
    secret = task_create(
        actor=outsider, project=foreign_project, name="Was mine in ZED", assignees=[member]
    )
    membership_remove(actor=outsider, project=foreign_project, user=member)
    task_create(
        actor=people["owner"], project=project, name="Someone else's", assignees=[people["manager"]]
    )

    names = [t["name"] for t in api("member").get("/api/v1/my/tasks").json()["items"]]

    assert names == ["Mine in APL"]
    assert Task.objects.get(pk=secret.pk).assignees.filter(pk=member.pk).exists()
    client = Client()
    client.force_login(member)
    page = client.get("/my-work/").content.decode()
    assert "Mine in APL" in page and "Was mine in ZED" not in page
    Project.objects.filter(pk=project.pk).update(archived=True)
    assert api("member").get("/api/v1/my/tasks").json()["count"] == 0
    assert mine.pk


def test_tasks_assigned_through_a_linked_resource_count_as_mine(
    people: Any, project: Project
) -> None:
    from itpm.planning.models import Assignment

    task = task_create(actor=people["owner"], project=project, name="Rack install")
    resource = Resource.objects.create(name="Mia", user=people["member"])
    Assignment.objects.create(project=project, task=task, resource=resource)
    groups = my_work(user=people["member"], today=dt.date(2027, 1, 4))
    assert [t.name for _, _, tasks in groups for t in tasks] == ["Rack install"]


def test_groups_by_due_date_and_orders_by_date_then_priority(people: Any, project: Project) -> None:
    owner, member = people["owner"], people["member"]
    # APL starts Mon 2027-01-04 at 09:00; 8 h is one working day.
    first = task_create(actor=owner, project=project, name="Low first day", duration_hours=8,
                        priority=100, assignees=[member])  # fmt: skip
    task_create(actor=owner, project=project, name="High first day", duration_hours=8, priority=900,
                assignees=[member])  # fmt: skip
    task_create(
        actor=owner, project=project, name="Next week", duration_hours=56, assignees=[member]
    )
    task_create(
        actor=owner, project=project, name="Much later", duration_hours=200, assignees=[member]
    )
    groups = {
        group: [t.name for t in tasks]
        for group, _, tasks in my_work(user=member, today=dt.date(2027, 1, 5))
    }
    assert groups == {
        "overdue": ["High first day", "Low first day"],
        "this_week": [],
        "next_week": ["Next week"],
        "later": ["Much later"],
    }
    first.refresh_from_db()
    assert my_work_group(first, dt.date(2027, 1, 4)) == "this_week"


def test_quick_status_change_answers_the_row_for_htmx(people: Any, project: Project) -> None:
    task = task_create(actor=people["owner"], project=project, name="Patch servers",
                       assignees=[people["member"]])  # fmt: skip
    client = Client()
    client.force_login(people["member"])
    response = client.post(f"/my-work/tasks/{task.pk}/status/",
                           {"status": "in_progress", "version": task.version},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 200
    assert 'id="my-task-' in response.content.decode()
    assert Task.objects.get(pk=task.pk).status == "in_progress"
    stale = client.post(f"/my-work/tasks/{task.pk}/status/",
                        {"status": "done", "version": task.version}, headers={"HX-Request": "true"})  # fmt: skip
    assert "changed by someone else" in stale.content.decode()
    assert Task.objects.get(pk=task.pk).status == "in_progress"
