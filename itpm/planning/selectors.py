"""Permission-scoped reads of tasks and dependencies."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from itpm.accounts.models import User
from itpm.accounts.permissions import visible_projects
from itpm.core.errors import Invalid, NotFound
from itpm.planning.models import Assignment, Dependency, Task
from itpm.portfolio.models import Project


def task_get(*, user: Any, task_id: int, assignees: bool = True) -> Task:
    """A task the user may see, or NotFound (also for tasks of hidden projects).

    ``assignees=False`` skips loading the assignee users: the API's task row reads only
    their names, in a query of its own (``assignee_names``), so the objects would be waste.
    """
    tasks = Task.objects.select_related("project", "parent")
    if assignees:
        tasks = tasks.prefetch_related(
            Prefetch("assignees", queryset=User.objects.order_by("username"))
        )
    task = (
        tasks.annotate(child_count=Count("children"))
        .filter(pk=task_id, project__in=visible_projects(user))
        .first()
    )
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


_child_count = (
    Task.objects.filter(parent=OuterRef("pk"))
    .order_by()
    .values("parent")
    .annotate(n=Count("pk"))
    .values("n")
)


def task_list(
    *,
    project: Project,
    status: str | None = None,
    parent: int | None = None,
    assignee: str | None = None,
    milestone: bool | None = None,
    search: str | None = None,
    related: bool = True,
) -> QuerySet[Task]:
    """The project's tasks in WBS order, with what a list shows, in a fixed number of queries.

    ``related=False`` leaves out the parent, project, assignee and assignment objects: the API
    list needs only ids and names (``assignee_names``), and building those objects for a page
    cost more than the rest of the request.
    """
    tasks = Task.objects.filter(project=project)
    if related:
        tasks = tasks.select_related("project", "parent").prefetch_related(
            Prefetch("assignees", queryset=User.objects.order_by("username")),
            Prefetch("assignments", queryset=Assignment.objects.select_related("resource")),
        )
    # A correlated subquery, not Count("children"): the aggregate grouped every task of
    # the project for each page and for its count (100 ms on a 2,000-task project); the
    # subquery runs for the rows of the page only and count() leaves it out.
    tasks = tasks.annotate(child_count=Coalesce(Subquery(_child_count), 0)).order_by("wbs_sort")
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


def assignee_names(task_ids: list[int]) -> dict[int, list[str]]:
    """Usernames assigned to each task, sorted, in one query."""
    names: dict[int, list[str]] = defaultdict(list)
    rows = (
        Task.assignees.through.objects.filter(task_id__in=task_ids)
        .order_by("user__username")
        .values_list("task_id", "user__username")
    )
    for task_id, username in rows:
        names[task_id].append(username)
    return names


def schedule_snapshot(*, project: Project) -> dict[int, tuple[Any, ...]]:
    """Each task's computed schedule (start, finish, total float, critical), in one query:
    compared before and after an edit, it tells which other rows of the plan moved."""
    rows = Task.objects.filter(project=project).values_list(
        "pk", "planned_start", "planned_finish", "total_float_hours", "critical"
    )
    return {pk: tuple(rest) for pk, *rest in rows}


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
    """Give summary tasks the dates, work and progress of their subtasks, for display.

    ``tasks`` is a whole subtree in WBS order, so children come after their parent and one
    pass from the end sees every child before its parent. Sets ``rollup_start``,
    ``rollup_finish``, ``rollup_hours`` and ``rollup_percent`` on every task; progress is
    weighted by hours of work, as MS Project rolls up percent complete.
    """
    by_id = {task.pk: task for task in tasks}
    start = {task.pk: task.planned_start for task in tasks}
    finish = {task.pk: task.planned_finish for task in tasks}
    hours: dict[int, float] = defaultdict(float)
    done: dict[int, float] = defaultdict(float)
    for task in reversed(tasks):
        if not getattr(task, "child_count", 0):
            hours[task.pk] = task.duration_hours
            done[task.pk] = task.duration_hours * task.percent_complete / 100
        parent = by_id.get(task.parent_id) if task.parent_id else None
        if parent is None:
            continue
        hours[parent.pk] += hours[task.pk]
        done[parent.pk] += done[task.pk]
        child_start, child_finish = start[task.pk], finish[task.pk]
        if child_start and (start[parent.pk] is None or child_start < start[parent.pk]):  # type: ignore[operator]
            start[parent.pk] = child_start
        if child_finish and (finish[parent.pk] is None or child_finish > finish[parent.pk]):  # type: ignore[operator]
            finish[parent.pk] = child_finish
    for task in tasks:
        summary = bool(getattr(task, "child_count", 0))
        setattr(task, "rollup_start", start[task.pk])  # noqa: B010 - display-only attributes
        setattr(task, "rollup_finish", finish[task.pk])  # noqa: B010
        setattr(task, "rollup_hours", round(hours[task.pk]) if summary else task.duration_hours)  # noqa: B010
        percent = round(100 * done[task.pk] / hours[task.pk]) if hours[task.pk] else 0
        setattr(task, "rollup_percent", percent if summary else task.percent_complete)  # noqa: B010
    return tasks
