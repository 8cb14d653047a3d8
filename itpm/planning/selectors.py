"""Permission-scoped reads of tasks and dependencies."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from itpm.accounts.models import User
from itpm.accounts.permissions import visible_projects
from itpm.core.errors import Invalid, NotFound
from itpm.planning.models import Dependency, Task
from itpm.portfolio.models import Project


def task_get(*, user: Any, task_id: int) -> Task:
    """A task the user may see, or NotFound (also for tasks of hidden projects)."""
    task = (
        Task.objects.select_related("project", "parent")
        .prefetch_related(Prefetch("assignees", queryset=User.objects.order_by("username")))
        .annotate(child_count=Count("children"))
        .filter(pk=task_id, project__in=visible_projects(user))
        .first()
    )
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


def task_list(
    *,
    project: Project,
    status: str | None = None,
    parent: int | None = None,
    assignee: str | None = None,
    milestone: bool | None = None,
    search: str | None = None,
) -> QuerySet[Task]:
    """The project's tasks in WBS order, with what a list shows, in a fixed number of queries."""
    tasks = (
        Task.objects.filter(project=project)
        .select_related("project", "parent")
        .prefetch_related(Prefetch("assignees", queryset=User.objects.order_by("username")))
        .annotate(child_count=Count("children"))
        .order_by("wbs_sort")
    )
    if status:
        tasks = tasks.filter(status=status)
    if parent is not None:
        tasks = tasks.filter(parent_id=parent)
    if assignee:
        tasks = tasks.filter(assignees__username=assignee)
    if milestone is not None:
        tasks = tasks.filter(milestone=milestone)
    if search:
        tasks = tasks.filter(name__icontains=search)
    return tasks


def task_in_project(*, project: Project, task_id: int, field: str) -> Task:
    """A task named in a request body: it must belong to ``project`` (422 otherwise)."""
    task = Task.objects.filter(project=project, pk=task_id).first()
    if task is None:
        raise Invalid.field(field, f"task {task_id} is not a task of {project.key}")
    return task


def dependency_get(*, user: Any, dependency_id: int) -> Dependency:
    dependency = (
        Dependency.objects.select_related("project", "predecessor", "successor")
        .filter(pk=dependency_id, project__in=visible_projects(user))
        .first()
    )
    if dependency is None:
        raise NotFound(f"dependency {dependency_id} not found")
    return dependency


def dependency_list(
    *, project: Project, task: int | None = None, type: str | None = None
) -> QuerySet[Dependency]:
    links = Dependency.objects.filter(project=project).select_related("predecessor", "successor")
    if task is not None:
        from django.db.models import Q

        links = links.filter(Q(predecessor_id=task) | Q(successor_id=task))
    if type:
        links = links.filter(type=type)
    return links.order_by("id")


def rollup_summaries(tasks: list[Task]) -> list[Task]:
    """Give summary tasks the dates, duration and progress of their subtasks, for display.

    ``tasks`` is a whole project in WBS order; children come after their parent, so one
    pass from the end sees every child before its parent. Sets ``rollup_start``,
    ``rollup_finish``, ``rollup_hours`` and ``rollup_percent`` on every task.
    """
    by_id = {task.pk: task for task in tasks}
    for task in tasks:
        task.rollup_start = task.planned_start  # type: ignore[attr-defined]
        task.rollup_finish = task.planned_finish  # type: ignore[attr-defined]
        task.rollup_hours = task.duration_hours  # type: ignore[attr-defined]
        task.rollup_percent = task.percent_complete  # type: ignore[attr-defined]
        task.rollup_work = [0, 0]  # type: ignore[attr-defined]  # [hours, hours done]
    for task in reversed(tasks):
        if getattr(task, "child_count", 0):
            hours, done = task.rollup_work  # type: ignore[attr-defined]
            task.rollup_hours = hours  # type: ignore[attr-defined]
            task.rollup_percent = round(100 * done / hours) if hours else 0  # type: ignore[attr-defined]
        else:
            task.rollup_work = [task.duration_hours, task.duration_hours * task.percent_complete / 100]  # type: ignore[attr-defined]
        parent = by_id.get(task.parent_id) if task.parent_id else None
        if parent is None:
            continue
        work = parent.rollup_work  # type: ignore[attr-defined]
        work[0] += task.rollup_work[0]  # type: ignore[attr-defined]
        work[1] += task.rollup_work[1]  # type: ignore[attr-defined]
        start, finish = task.rollup_start, task.rollup_finish  # type: ignore[attr-defined]
        if start and (parent.rollup_start is None or start < parent.rollup_start):  # type: ignore[attr-defined]
            parent.rollup_start = start  # type: ignore[attr-defined]
        if finish and (parent.rollup_finish is None or finish > parent.rollup_finish):  # type: ignore[attr-defined]
            parent.rollup_finish = finish  # type: ignore[attr-defined]
    return tasks
