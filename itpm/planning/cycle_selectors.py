"""Permission-scoped reads of execution: cycles, burndown, velocity, the board, my work.

Every function that depends on the date takes ``today`` (and derives moments from it in
the project's zone), so tests pass a fixed day instead of freezing the clock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from itpm.accounts.models import User
from itpm.accounts.permissions import visible_projects
from itpm.core.errors import Invalid, NotFound
from itpm.core.models import AuditEvent
from itpm.planning.cycle_services import BOARD_STATUSES, OPEN_STATUSES
from itpm.planning.models import Cycle, CycleState, Label, Task, TaskStatus
from itpm.planning.scheduling import engine_calendar
from itpm.portfolio.models import Project

COMMIT_ACTIONS = ("task.commit", "task.uncommit", "task.carry_over")


# ---------------------------------------------------------------------------- cycles
def cycle_list(*, project: Project, state: str | None = None) -> QuerySet[Cycle]:
    """The project's cycles by start date, with their committed and done hours."""
    cycles = (
        Cycle.objects.filter(project=project)
        .select_related("project")
        .annotate(
            committed_hours=Sum(
                "tasks__duration_hours", filter=~Q(tasks__status=TaskStatus.CANCELLED)
            ),
            done_hours=Sum("tasks__duration_hours", filter=Q(tasks__status=TaskStatus.DONE)),
            task_count=Count("tasks", filter=~Q(tasks__status=TaskStatus.CANCELLED)),
        )
        .order_by("start", "id")
    )
    if state:
        cycles = cycles.filter(state=state)
    return cycles


def cycle_get(*, user: Any, cycle_id: int) -> Cycle:
    """A cycle of a project the user may see, or NotFound."""
    cycle = (
        Cycle.objects.filter(pk=cycle_id, project__in=visible_projects(user))
        .select_related("project")
        .annotate(
            committed_hours=Sum(
                "tasks__duration_hours", filter=~Q(tasks__status=TaskStatus.CANCELLED)
            ),
            done_hours=Sum("tasks__duration_hours", filter=Q(tasks__status=TaskStatus.DONE)),
            task_count=Count("tasks", filter=~Q(tasks__status=TaskStatus.CANCELLED)),
        )
        .first()
    )
    if cycle is None:
        raise NotFound(f"cycle {cycle_id} not found")
    return cycle


def cycle_in_project(*, project: Project, cycle_id: int, field: str) -> Cycle:
    """A cycle named in a request body: it must belong to ``project`` (422 otherwise)."""
    cycle = Cycle.objects.filter(project=project, pk=cycle_id).select_related("project").first()
    if cycle is None:
        raise Invalid.field(field, f"cycle {cycle_id} is not a cycle of {project.key}")
    return cycle


def cycle_tasks(*, cycle: Cycle) -> QuerySet[Task]:
    return (
        Task.objects.filter(cycle=cycle)
        .select_related("project")
        .prefetch_related(
            Prefetch("assignees", queryset=User.objects.order_by("username")), "labels"
        )
        .order_by("wbs_sort")
    )


def backlog(*, project: Project) -> QuerySet[Task]:
    """Open leaf tasks in no cycle: what a planning meeting commits from."""
    return (
        Task.objects.filter(
            project=project,
            cycle__isnull=True,
            children__isnull=True,
            status__in=OPEN_STATUSES,
            milestone=False,
        )
        .prefetch_related(Prefetch("assignees", queryset=User.objects.order_by("username")))
        .order_by("wbs_sort")
    )


def next_cycle(*, cycle: Cycle) -> Cycle | None:
    """The first planned cycle after ``cycle`` (where unfinished work usually goes)."""
    return (
        Cycle.objects.filter(project_id=cycle.project_id, state=CycleState.PLANNED)
        .exclude(pk=cycle.pk)
        .filter(start__gte=cycle.start)
        .order_by("start", "id")
        .first()
    )


@dataclass
class PackageDue:
    task: Task
    window_start: dt.date | None
    days_until: int | None
    due: bool  # its window starts within the look-ahead: break it down now


def planning_packages(*, project: Project, today: dt.date, weeks: int = 3) -> list[PackageDue]:
    """The project's planning packages and whether their window is near.

    A package's window is the cycle it is committed to, else its scheduled start.
    """
    horizon = today + dt.timedelta(weeks=weeks)
    result = []
    tasks = (
        Task.objects.filter(project=project, planning_package=True)
        .select_related("cycle")
        .order_by("wbs_sort")
    )
    zone = project.schedule_zone
    for task in tasks:
        start: dt.date | None = None
        if task.cycle is not None:
            start = task.cycle.start
        elif task.planned_start is not None:
            start = task.planned_start.astimezone(zone).date()
        days = (start - today).days if start else None
        result.append(PackageDue(task, start, days, start is not None and start <= horizon))
    return result


# ---------------------------------------------------------------------------- burndown
@dataclass
class BurndownPoint:
    label: str
    day: dt.date | None  # None for the start point (the plan before any work)
    remaining: int | None  # None for days still to come
    ideal: float
    added: int = 0
    removed: int = 0
    done: int = 0


@dataclass
class Burndown:
    cycle: Cycle
    points: list[BurndownPoint]
    committed_at_start: int
    scope_now: int
    done_hours: int
    today: dt.date

    @property
    def remaining_now(self) -> int | None:
        known = [p.remaining for p in self.points if p.remaining is not None]
        return known[-1] if known else None


def _working_days(project: Project, start: dt.date, finish: dt.date) -> list[dt.date]:
    calendar = engine_calendar(project.calendar, time_zone=project.time_zone)
    days = [start + dt.timedelta(days=n) for n in range((finish - start).days + 1)]
    working = [day for day in days if calendar.is_working_day(day)]
    return working or days


def _membership(cycle: Cycle) -> tuple[dict[int, Task], dict[int, list[tuple[dt.datetime, Any]]]]:
    """Tasks that ever belonged to the cycle, and each one's commitment history.

    The history is ``[(moment, cycle id after the event), ...]``; its first entry (at
    datetime.min) is where the task was before its first recorded change.
    """
    events = (
        AuditEvent.objects.filter(
            project_id=cycle.project_id, object_type="task", action__in=COMMIT_ACTIONS
        )
        .order_by("created_at", "id")
        .values_list("object_id", "created_at", "action", "changes")
    )
    raw: dict[int, list[tuple[dt.datetime, str, Any, Any]]] = defaultdict(list)
    for object_id, created_at, action, changes in events:
        before, after = (changes or {}).get("cycle", [None, None])
        raw[int(object_id)].append((created_at, action, before, after))
    involved = {
        task_id for task_id, rows in raw.items() if any(cycle.pk in (b, a) for _, _, b, a in rows)
    }
    tasks = {
        task.pk: task
        for task in Task.objects.filter(Q(cycle=cycle) | Q(pk__in=involved)).only(
            "id", "duration_hours", "status", "completed_at", "cycle_id", "name", "wbs_code"
        )
    }
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    history: dict[int, list[tuple[dt.datetime, Any]]] = {}
    for task_id, task in tasks.items():
        rows = raw.get(task_id, [])
        initial = rows[0][2] if rows else task.cycle_id
        steps: list[tuple[dt.datetime, Any]] = [(earliest, initial)]
        for moment, action, before, after in rows:
            # Carrying unfinished work out of this cycle when it closes does not shrink
            # its burndown: the work was committed and not done here.
            if action == "task.carry_over" and before == cycle.pk:
                continue
            steps.append((moment, after))
        history[task_id] = steps
    return tasks, history


def _in_cycle(steps: list[tuple[dt.datetime, Any]], cycle_id: int, moment: dt.datetime) -> bool:
    state = steps[0][1]
    for at, after in steps[1:]:
        if at > moment:
            break
        state = after
    return bool(state == cycle_id)


def _done_by(task: Task, moment: dt.datetime) -> bool:
    if task.completed_at is None:
        # Done before completion times were recorded (imported, bulk-loaded): done all along.
        return task.status == TaskStatus.DONE
    return task.completed_at <= moment


def cycle_burndown(*, cycle: Cycle, today: dt.date) -> Burndown:
    """Remaining committed hours at the end of each working day of the cycle.

    - Scope at a moment: the tasks committed to the cycle then (from the audit trail).
    - Remaining: the hours (``duration_hours``) of scope tasks not done by then
      (``completed_at``); cancelled tasks leave the scope.
    - Start point: the scope at the start of the first day (the plan); the ideal line
      falls from it to zero in equal steps per working day.
    - Days after ``today`` have no remaining value yet.
    """
    project = cycle.project
    zone = project.schedule_zone
    days = _working_days(project, cycle.start, cycle.finish)
    tasks, history = _membership(cycle)

    def scope(moment: dt.datetime) -> set[int]:
        return {
            task_id
            for task_id, task in tasks.items()
            if task.status != TaskStatus.CANCELLED and _in_cycle(history[task_id], cycle.pk, moment)
        }

    def remaining(ids: set[int], moment: dt.datetime) -> int:
        return sum(tasks[i].duration_hours for i in ids if not _done_by(tasks[i], moment))

    start_moment = dt.datetime.combine(cycle.start, dt.time(0), tzinfo=zone)
    start_scope = scope(start_moment)
    committed = remaining(start_scope, start_moment)
    steps = len(days)
    points = [BurndownPoint("Start", None, committed, float(committed))]
    previous_scope, previous_moment = start_scope, start_moment
    for n, day in enumerate(days, start=1):
        moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        ideal = round(committed * (1 - n / steps), 2)
        if day > today:
            points.append(BurndownPoint(day.strftime("%a %d"), day, None, ideal))
            continue
        now_scope = scope(moment)
        added = sum(tasks[i].duration_hours for i in now_scope - previous_scope)
        removed = sum(tasks[i].duration_hours for i in previous_scope - now_scope)
        done = sum(
            tasks[i].duration_hours
            for i in now_scope
            if _done_by(tasks[i], moment) and not _done_by(tasks[i], previous_moment)
        )
        points.append(
            BurndownPoint(
                day.strftime("%a %d"),
                day,
                remaining(now_scope, moment),
                ideal,
                added,
                removed,
                done,
            )
        )
        previous_scope, previous_moment = now_scope, moment
    current = [t for t in tasks.values() if t.cycle_id == cycle.pk and t.status != "cancelled"]
    return Burndown(
        cycle=cycle,
        points=points,
        committed_at_start=committed,
        scope_now=sum(t.duration_hours for t in current),
        done_hours=sum(t.duration_hours for t in current if t.status == TaskStatus.DONE),
        today=today,
    )


# ---------------------------------------------------------------------------- velocity
@dataclass
class VelocityRow:
    cycle: Cycle
    committed_hours: int  # done in it + carried out of it when it closed
    done_hours: int


@dataclass
class Velocity:
    rows: list[VelocityRow] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        if not self.rows:
            return None
        return round(sum(r.done_hours for r in self.rows) / len(self.rows), 1)

    @property
    def recent_average(self) -> float | None:
        """Average of the last three closed cycles: what the next planning meeting uses."""
        recent = self.rows[-3:]
        if not recent:
            return None
        return round(sum(r.done_hours for r in recent) / len(recent), 1)


def project_velocity(*, project: Project) -> Velocity:
    """Done hours per closed cycle, oldest first."""
    cycles = list(cycle_list(project=project, state=CycleState.CLOSED))
    carried: dict[int, int] = defaultdict(int)
    for changes in AuditEvent.objects.filter(
        project=project, action="task.carry_over", object_type="task"
    ).values_list("changes", flat=True):
        before = (changes or {}).get("cycle", [None])[0]
        hours = (changes or {}).get("hours", [None, 0])[1] or 0
        if isinstance(before, int):
            carried[before] += int(hours)
    rows = [
        VelocityRow(
            cycle=c,
            committed_hours=int(c.done_hours or 0) + carried[c.pk],  # type: ignore[attr-defined]
            done_hours=int(c.done_hours or 0),  # type: ignore[attr-defined]
        )
        for c in cycles
    ]
    return Velocity(rows=rows)


# ---------------------------------------------------------------------------- board
# A column shows at most this many cards; a filter narrows the rest (as Jira's boards do).
MAX_CARDS = 150


@dataclass
class BoardColumn:
    status: str
    label: str
    cards: list[Task]
    limit: int | None

    total: int = 0  # cards in the column; ``cards`` holds at most MAX_CARDS of them

    @property
    def count(self) -> int:
        return self.total or len(self.cards)

    @property
    def hidden(self) -> int:
        return max(0, self.count - len(self.cards))

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.count > self.limit

    @property
    def at_limit(self) -> bool:
        return self.limit is not None and self.count >= self.limit


def board_columns(
    *,
    project: Project,
    assignee: str | None = None,
    cycle: int | str | None = None,
    label: int | None = None,
    show_cancelled: bool = False,
) -> list[BoardColumn]:
    """The board: leaf tasks by status column, in board order; filters narrow the cards.

    ``cycle`` is a cycle id or ``"backlog"`` (tasks in no cycle). WIP counts are those of
    the shown cards, as on a Jira board with a quick filter.
    """
    tasks = (
        Task.objects.filter(project=project, children__isnull=True)
        .select_related("cycle")
        .prefetch_related(
            Prefetch("assignees", queryset=User.objects.order_by("username")),
            Prefetch("labels", queryset=Label.objects.order_by("name")),
        )
        .order_by("board_rank", "wbs_sort")
    )
    if assignee:
        tasks = tasks.filter(assignees__username=assignee)
    if cycle == "backlog":
        tasks = tasks.filter(cycle__isnull=True)
    elif cycle:
        tasks = tasks.filter(cycle_id=cycle)
    if label:
        tasks = tasks.filter(labels__id=label)
    by_status: dict[str, list[Task]] = defaultdict(list)
    for task in tasks.distinct():
        # Read the prefetched rows once: a card asks for them several times.
        task.card_labels = list(task.labels.all())  # type: ignore[attr-defined]
        task.card_label_ids = {label.pk for label in task.card_labels}  # type: ignore[attr-defined]
        task.card_people = list(task.assignees.all())  # type: ignore[attr-defined]
        by_status[task.status].append(task)
    limits = project.wip_limits or {}
    columns = []
    for status in BOARD_STATUSES:
        if status == TaskStatus.CANCELLED and not show_cancelled:
            continue
        limit = limits.get(status)
        cards = by_status[status]
        columns.append(
            BoardColumn(
                status, TaskStatus(status).label, cards[:MAX_CARDS], int(limit) if limit else None,
                total=len(cards),
            )
        )  # fmt: skip
    return columns


def label_list(*, project: Project) -> QuerySet[Label]:
    return (
        Label.objects.filter(project=project).annotate(task_count=Count("tasks")).order_by("name")
    )


# ---------------------------------------------------------------------------- my work
MY_WORK_GROUPS = ("overdue", "this_week", "next_week", "later")
MY_WORK_GROUP_LABELS = {
    "overdue": "Overdue", "this_week": "This week", "next_week": "Next week", "later": "Later",
}  # fmt: skip


def my_tasks(*, user: Any, include_done: bool = False) -> QuerySet[Task]:
    """The user's tasks across the projects they see: assigned directly or through a
    resource linked to them; open leaf tasks of live projects, by due date then priority."""
    projects = visible_projects(user).filter(archived=False)
    mine = Q(assignees=user) | Q(assignments__resource__user=user)
    ids = Task.objects.filter(mine, project__in=projects, children__isnull=True).values("id")
    tasks = (
        Task.objects.filter(pk__in=ids)
        # The calendar gives each project's zone, in which a due date is a day (row and group).
        .select_related("project__calendar", "cycle")
        .prefetch_related(
            Prefetch("assignees", queryset=User.objects.order_by("username")),
            Prefetch("labels", queryset=Label.objects.order_by("name")),
        )
    )
    if not include_done:
        tasks = tasks.filter(status__in=OPEN_STATUSES)
    return tasks.order_by(
        F("planned_finish").asc(nulls_last=True), "-priority", "project__key", "wbs_sort"
    )


def my_work_group(task: Task, today: dt.date) -> str:
    """Overdue, this week (to Sunday), next week, or later (also: no date)."""
    if task.planned_finish is None:
        return "later"
    # Due on the project calendar's day: a Los Angeles working day ending at 18:00 there is
    # 02:00 UTC the next day, and is still due that Los Angeles day.
    due = task.planned_finish.astimezone(task.project.schedule_zone).date()
    end_of_week = today + dt.timedelta(days=6 - today.weekday())
    if due < today and task.status != TaskStatus.DONE:
        return "overdue"
    if due <= end_of_week:
        return "this_week"
    if due <= end_of_week + dt.timedelta(days=7):
        return "next_week"
    return "later"


def my_work(*, user: Any, today: dt.date) -> list[tuple[str, str, list[Task]]]:
    """``[(group, label, tasks), ...]`` in the order a person works through them."""
    groups: dict[str, list[Task]] = {name: [] for name in MY_WORK_GROUPS}
    for task in my_tasks(user=user):
        groups[my_work_group(task, today)].append(task)
    return [(name, MY_WORK_GROUP_LABELS[name], groups[name]) for name in MY_WORK_GROUPS]
