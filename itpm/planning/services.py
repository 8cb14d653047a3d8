"""Use cases of the WBS: tasks, their tree, and dependencies.

Every function here makes one complete change in one transaction: permission, validation,
the write, the version bump and the audit event. The derived tree fields (``order``,
``wbs_code``, ``wbs_sort``) of other tasks are refreshed without a version bump: they are
computed, not edited, so a concurrent editor of those tasks has nothing to lose.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from typing import Any

from django.db import transaction
from django.utils import timezone

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict, FieldError, Invalid
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.planning.durations import MAX_DURATION_HOURS, clean_minutes, stored
from itpm.planning.models import (
    DATED_CONSTRAINTS,
    ConstraintType,
    Dependency,
    DependencyType,
    Task,
    TaskStatus,
)
from itpm.planning.scheduling import project_reschedule
from itpm.planning.splits import normalize_splits, within
from itpm.portfolio.models import Project

TASK_FIELDS = (
    "name", "description", "milestone", "duration_hours", "status", "percent_complete", "assignees", "constraint_type", "constraint_date",
    "deadline", "priority", "actual_start", "actual_finish", "splits", "elapsed",
    "duration_minutes",
)  # fmt: skip
# Fields whose change moves the schedule.
SCHEDULE_INPUTS = {
    "milestone", "duration_hours", "constraint_type", "constraint_date", "deadline",
    "actual_start", "actual_finish", "status", "percent_complete", "splits", "elapsed",
    "duration_minutes",
}  # fmt: skip
MAX_LAG_HOURS = 100_000


# ---------------------------------------------------------------------------- validation
def _validate_task(data: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors.append(FieldError("name", "must not be empty"))
        elif len(name) > 300:
            errors.append(FieldError("name", "at most 300 characters"))
    if "duration_hours" in data:
        hours = data["duration_hours"]
        if not isinstance(hours, int) or hours < 0 or hours > MAX_DURATION_HOURS:
            errors.append(
                FieldError(
                    "duration_hours", f"must be a whole number from 0 to {MAX_DURATION_HOURS}"
                )
            )
    if "percent_complete" in data:
        percent = data["percent_complete"]
        if not isinstance(percent, int) or not 0 <= percent <= 100:
            errors.append(FieldError("percent_complete", "must be a whole number from 0 to 100"))
    if "status" in data and data["status"] not in TaskStatus.values:
        errors.append(FieldError("status", f"must be one of {', '.join(TaskStatus.values)}"))
    if len(data.get("description") or "") > 50_000:
        errors.append(FieldError("description", "at most 50,000 characters"))
    if "constraint_type" in data:
        kind = data["constraint_type"]
        if kind not in ConstraintType.values:
            errors.append(
                FieldError("constraint_type", f"must be one of {', '.join(ConstraintType.values)}")
            )
        elif kind in DATED_CONSTRAINTS and not data.get("constraint_date"):
            errors.append(FieldError("constraint_date", f"required for a {kind} constraint"))
    if "priority" in data and not (
        isinstance(data["priority"], int) and 0 <= data["priority"] <= 1000
    ):
        errors.append(FieldError("priority", "must be a whole number from 0 to 1000"))
    actual_start, actual_finish = data.get("actual_start"), data.get("actual_finish")
    if (
        isinstance(actual_start, dt.datetime)
        and isinstance(actual_finish, dt.datetime)
        and actual_finish < actual_start
    ):
        errors.append(FieldError("actual_finish", "must not be before actual_start"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def _check_assignees(project: Project, users: list[User]) -> None:
    member_ids = set(project.memberships.values_list("user_id", flat=True))
    for user in users:
        if user.pk not in member_ids:
            raise Invalid.field("assignees", f"{user.username} is not a member of {project.key}")


def _normalize(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if "name" in data and isinstance(data["name"], str):
        data["name"] = data["name"].strip()
    # A milestone marks a moment: it has no duration (as in MS Project).
    if data.get("milestone"):
        data["duration_hours"] = 0
        data["duration_minutes"] = None
        data["splits"] = []
        data["elapsed"] = False
    if data.get("status") == TaskStatus.DONE and "percent_complete" not in data:
        data["percent_complete"] = 100
    # ASAP and ALAP carry no date; a stale one would only confuse the next reader.
    if data.get("constraint_type") in ("ASAP", "ALAP"):
        data["constraint_date"] = None
    return data


def _fit_minutes(data: dict[str, Any]) -> None:
    """Exact minutes set both duration fields; whole hours alone clear the minutes."""
    if data.get("duration_minutes") is not None:
        minutes = clean_minutes(data["duration_minutes"])
        hours, exact = stored(minutes)
        if "duration_hours" in data and data["duration_hours"] != hours:
            raise Invalid.field(
                "duration_minutes",
                f"{minutes} minutes are {hours} h rounded, not {data['duration_hours']} h: "
                "send one of the two",
            )
        data["duration_hours"], data["duration_minutes"] = hours, exact
    elif "duration_hours" in data:
        data["duration_minutes"] = None


def _fit_splits(task: Task, data: dict[str, Any]) -> None:
    """Validate new pauses against the (new) duration; a shorter duration drops the pauses
    that no longer fall inside the work (the audit event shows them go)."""
    duration = data.get("duration_hours", task.duration_hours)
    if "splits" in data:
        data["splits"] = normalize_splits(data["splits"], duration)
        if data["splits"] and task.children.exists():
            raise Invalid.field("splits", "a summary task spans its subtasks; split those")
    elif "duration_hours" in data and task.splits:
        kept = within(task.splits, duration)
        if kept != task.splits:
            data["splits"] = kept
    if "elapsed" in data:
        if not isinstance(data["elapsed"], bool):
            raise Invalid.field("elapsed", "must be true or false")
        if data["elapsed"] and task.children.exists():
            raise Invalid.field("elapsed", "a summary task spans its subtasks")
    _check_elapsed(data.get("elapsed", task.elapsed), data.get("splits", task.splits))


def _check_elapsed(elapsed: Any, splits: list[list[int]]) -> None:
    if not isinstance(elapsed, bool):
        raise Invalid.field("elapsed", "must be true or false")
    if elapsed and splits:
        raise Invalid.field(
            "elapsed", "an elapsed task runs day and night without pauses; remove its splits"
        )


# ---------------------------------------------------------------------------- WBS tree
def wbs_renumber(project: Project) -> None:
    """Recompute order, WBS code and sort key of every task of the project.

    One query to read, one bulk update of the rows whose derived fields changed.
    """
    rows = list(
        Task.objects.filter(project=project)
        .order_by("order", "id")
        .values_list("id", "parent_id", "order", "wbs_code", "wbs_sort")
    )
    children: dict[int | None, list[int]] = defaultdict(list)
    current: dict[int, tuple[int, str, str]] = {}
    for task_id, parent_id, order, code, sort in rows:
        children[parent_id].append(task_id)
        current[task_id] = (order, code, sort)
    wanted: dict[int, tuple[int, str, str]] = {}
    stack: list[tuple[int | None, str, str]] = [(None, "", "")]
    while stack:
        node_id, prefix, sort_prefix = stack.pop()
        for position, task_id in enumerate(children.get(node_id, ()), start=1):
            code = f"{prefix}.{position}" if prefix else str(position)
            sort = f"{sort_prefix}.{position:05d}" if sort_prefix else f"{position:05d}"
            wanted[task_id] = (position, code, sort)
            stack.append((task_id, code, sort))
    changed = [
        Task(id=task_id, order=order, wbs_code=code, wbs_sort=sort)
        for task_id, (order, code, sort) in wanted.items()
        if current[task_id] != (order, code, sort)
    ]
    if changed:
        Task.objects.bulk_update(changed, ["order", "wbs_code", "wbs_sort"], batch_size=500)


def _ancestor_ids(task: Task) -> set[int]:
    """Ids of the task's ancestors, walking up with one query per level."""
    ancestors: set[int] = set()
    parent_id = task.parent_id
    while parent_id is not None and parent_id not in ancestors:
        ancestors.add(parent_id)
        parent_id = Task.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return ancestors


def _descendant_ids(project: Project, task_id: int) -> set[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for child_id, parent_id in Task.objects.filter(project=project).values_list("id", "parent_id"):
        children[parent_id].append(child_id)
    found: set[int] = set()
    queue = deque(children.get(task_id, ()))
    while queue:
        current = queue.popleft()
        if current not in found:
            found.add(current)
            queue.extend(children.get(current, ()))
    return found


def _place(project: Project, task: Task, parent: Task | None, position: int | None) -> None:
    """Put ``task`` at ``position`` (1-based; None = last) among ``parent``'s children."""
    siblings = list(
        Task.objects.filter(project=project, parent=parent)
        .exclude(pk=task.pk)
        .order_by("order", "id")
        .values_list("id", flat=True)
    )
    index = len(siblings) if position is None else max(0, min(position - 1, len(siblings)))
    siblings.insert(index, task.pk)
    Task.objects.bulk_update(
        [Task(id=sibling_id, order=n) for n, sibling_id in enumerate(siblings, start=1)],
        ["order"],
    )
    task.order = index + 1


def _check_parent(project: Project, task: Task | None, parent: Task | None) -> None:
    if parent is None:
        return
    if parent.project_id != project.pk:
        raise Invalid.field("parent", "must be a task of the same project")
    if task is not None and (
        parent.pk == task.pk or parent.pk in _descendant_ids(project, task.pk)
    ):
        raise Invalid.field("parent", "a task cannot be placed under itself or its own subtask")
    if parent.milestone:
        raise Invalid.field("parent", "a milestone cannot have subtasks")


# ---------------------------------------------------------------------------- tasks
def task_create(
    *,
    actor: User,
    project: Project,
    name: str,
    parent: Task | None = None,
    position: int | None = None,
    description: str = "",
    milestone: bool = False,
    duration_hours: int | None = None,
    status: str = TaskStatus.NOT_STARTED,
    percent_complete: int = 0,
    assignees: list[User] | None = None,
    constraint_type: str = ConstraintType.ASAP,
    constraint_date: dt.datetime | None = None,
    deadline: dt.datetime | None = None,
    priority: int = 500,
    splits: list[list[int]] | None = None,
    elapsed: bool = False,
    duration_minutes: int | None = None,
) -> Task:
    """Add a task. ``duration_minutes``, when given, is the exact duration (7 h 30 = 450)
    and sets ``duration_hours`` to it rounded (see itpm.planning.durations); without
    either the task takes 8 hours."""
    require_role(actor, project, Role.MEMBER)
    duration = {"duration_minutes": duration_minutes}
    if duration_hours is not None:
        duration["duration_hours"] = duration_hours
    _fit_minutes(duration)  # minutes set both; hours that disagree are a 422
    duration_hours = duration.get("duration_hours", 8)
    duration_minutes = duration["duration_minutes"]
    data = _normalize({
        "name": name, "description": description, "milestone": milestone,
        "duration_hours": duration_hours, "status": status, "percent_complete": percent_complete,
        "constraint_type": constraint_type, "constraint_date": constraint_date,
        "deadline": deadline, "priority": priority, "splits": splits or [],
        "elapsed": elapsed, "duration_minutes": duration_minutes,
    })  # fmt: skip
    _validate_task(data)
    data["splits"] = normalize_splits(data["splits"], data["duration_hours"])
    _check_elapsed(data["elapsed"], data["splits"])
    _check_parent(project, None, parent)
    if assignees:
        _check_assignees(project, assignees)
    with transaction.atomic():
        task = Task(project=project, parent=parent, **data)
        task.order = 10**6  # placed for real just below, once it has an id
        task.save()
        _place(project, task, parent, position)
        if assignees:
            task.assignees.set(assignees)
        wbs_renumber(project)
        project_reschedule(project)
        task.refresh_from_db()
        audit(
            actor=actor,
            action="task.create",
            obj=task,
            project=project,
            changes={
                **{k: [None, json_value(v)] for k, v in data.items() if v not in ("", None, [])},
                "parent": [None, parent.wbs_code if parent else None],
                **({"assignees": [[], [u.username for u in assignees]]} if assignees else {}),
            },
        )
    return task


def task_update(*, actor: User, task: Task, version: int | None, data: dict[str, Any]) -> Task:
    unknown = set(data) - set(TASK_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    project = task.project
    require_role(actor, project, Role.MEMBER)
    data = _normalize(data)
    assignees = data.pop("assignees", None)
    current = {
        "constraint_type": task.constraint_type, "constraint_date": task.constraint_date,
        "actual_start": task.actual_start, "actual_finish": task.actual_finish,
    }  # fmt: skip
    _validate_task({**current, **data})
    _fit_minutes(data)
    _fit_splits(task, data)
    if data.get("milestone") and task.children.exists():
        raise Invalid.field("milestone", "a summary task cannot be a milestone")
    if assignees is not None:
        _check_assignees(project, assignees)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        check_version(task, version)
        changes = apply_changes(task, data)
        if "status" in changes:
            # When work was done feeds burndown and velocity; reopening clears it.
            done = task.status == TaskStatus.DONE
            changes.update(apply_changes(task, {"completed_at": timezone.now() if done else None}))
        if assignees is not None:
            before = sorted(task.assignees.values_list("username", flat=True))
            after = sorted(u.username for u in assignees)
            if before != after:
                task.assignees.set(assignees)
                changes["assignees"] = [before, after]
        if changes:
            save_versioned(task, [name for name in changes if name != "assignees"])
            audit(actor=actor, action="task.update", obj=task, project=project, changes=changes)
            if SCHEDULE_INPUTS & set(changes):
                project_reschedule(project)
                task.refresh_from_db()
    return task


def task_move(
    *,
    actor: User,
    task: Task,
    version: int | None,
    parent: Task | None,
    position: int | None = None,
) -> Task:
    """Move a task (with its subtree) under ``parent`` at ``position`` (1-based)."""
    project = task.project
    require_role(actor, project, Role.MEMBER)
    _check_parent(project, task, parent)
    if parent is not None:
        linked = (
            Dependency.objects.filter(
                predecessor=task, successor_id__in=[parent.pk, *_ancestor_ids(parent)]
            ).exists()
            or Dependency.objects.filter(
                successor=task, predecessor_id__in=[parent.pk, *_ancestor_ids(parent)]
            ).exists()
        )
        if linked:
            raise Invalid.field("parent", "a task cannot be linked to its own summary task")
    if position is not None and position < 1:
        raise Invalid.field("position", "must be 1 or more")
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        check_version(task, version)
        before = (task.wbs_code, task.parent_id, task.order)
        old_parent_id = task.parent_id
        task.parent = parent
        _place(project, task, parent, position)
        save_versioned(task, ["parent", "order"])
        if old_parent_id != (parent.pk if parent else None):
            _resequence(project, old_parent_id)
        wbs_renumber(project)
        project_reschedule(project)
        task.refresh_from_db()
        if (task.wbs_code, task.parent_id, task.order) != before:
            audit(
                actor=actor,
                action="task.move",
                obj=task,
                project=project,
                changes={"wbs_code": [before[0], task.wbs_code]},
            )
    return task


def _resequence(project: Project, parent_id: int | None) -> None:
    ids = list(
        Task.objects.filter(project=project, parent_id=parent_id)
        .order_by("order", "id")
        .values_list("id", flat=True)
    )
    Task.objects.bulk_update(
        [Task(id=task_id, order=n) for n, task_id in enumerate(ids, start=1)], ["order"]
    )


def task_indent(*, actor: User, task: Task, version: int | None) -> Task:
    """Make the task the last child of the sibling just above it."""
    above = (
        Task.objects.filter(project=task.project, parent=task.parent, order__lt=task.order)
        .order_by("-order")
        .first()
    )
    if above is None:
        raise Conflict("the first task of its level cannot be indented")
    return task_move(actor=actor, task=task, version=version, parent=above, position=None)


def task_outdent(*, actor: User, task: Task, version: int | None) -> Task:
    """Move the task up one level, just below its former summary task."""
    if task.parent is None:
        raise Conflict("a top-level task cannot be outdented")
    former = task.parent
    return task_move(
        actor=actor, task=task, version=version, parent=former.parent, position=former.order + 1
    )


def task_delete(*, actor: User, task: Task, version: int | None = None) -> None:
    """Delete a task with its subtasks and their dependencies."""
    project = task.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        check_version(task, version)
        removed = _descendant_ids(project, task.pk)
        audit(
            actor=actor,
            action="task.delete",
            obj=task,
            project=project,
            changes={"name": [task.name, None], "subtasks_deleted": [len(removed), None]},
        )
        parent_id = task.parent_id
        task.delete()
        _resequence(project, parent_id)
        wbs_renumber(project)
        project_reschedule(project)


# ---------------------------------------------------------------------------- dependencies
def _find_path(project: Project, start: int, goal: int) -> list[int] | None:
    """A path of links start → ... → goal among the project's dependencies, if any."""
    graph: dict[int, list[int]] = defaultdict(list)
    for pred_id, succ_id in Dependency.objects.filter(project=project).values_list(
        "predecessor_id", "successor_id"
    ):
        graph[pred_id].append(succ_id)
    came_from: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while came_from[path[-1]] is not None:
                path.append(came_from[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for nxt in graph[node]:
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return None


def dependency_create(
    *,
    actor: User,
    project: Project,
    predecessor: Task,
    successor: Task,
    type: str = DependencyType.FS,
    lag_hours: int = 0,
) -> Dependency:
    require_role(actor, project, Role.MEMBER)
    errors: list[FieldError] = []
    if predecessor.project_id != project.pk:
        errors.append(FieldError("predecessor", "must be a task of this project"))
    if successor.project_id != project.pk:
        errors.append(FieldError("successor", "must be a task of this project"))
    if type not in DependencyType.values:
        errors.append(FieldError("type", "must be one of FS, SS, FF, SF"))
    if not isinstance(lag_hours, int) or abs(lag_hours) > MAX_LAG_HOURS:
        errors.append(FieldError("lag_hours", f"must be a whole number within ±{MAX_LAG_HOURS}"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    if predecessor.pk == successor.pk:
        raise Invalid.field("successor", "a task cannot depend on itself")
    if predecessor.pk in _ancestor_ids(successor) or successor.pk in _ancestor_ids(predecessor):
        raise Invalid.field("successor", "a task cannot be linked to its own summary task")
    with transaction.atomic():
        # Serialize link creation per project so two concurrent links cannot close a cycle
        # that neither saw alone.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if Dependency.objects.filter(predecessor=predecessor, successor=successor).exists():
            raise Conflict(f"{predecessor.wbs_code} → {successor.wbs_code} exists already")
        path = _find_path(project, successor.pk, predecessor.pk)
        if path is not None:
            names = dict(Task.objects.filter(pk__in=path).values_list("id", "name"))
            codes = dict(Task.objects.filter(pk__in=path).values_list("id", "wbs_code"))
            cycle = " → ".join(f"{codes[i]} {names[i]}" for i in [predecessor.pk, *path])
            raise Conflict(
                f"this dependency would close a cycle: {cycle}",
                [FieldError("successor", f"would close a cycle: {cycle}")],
            )
        dependency = Dependency.objects.create(
            project=project,
            predecessor=predecessor,
            successor=successor,
            type=type,
            lag_hours=lag_hours,
        )
        project_reschedule(project)
        audit(
            actor=actor,
            action="dependency.create",
            obj=dependency,
            project=project,
            changes={
                "predecessor": [None, predecessor.wbs_code],
                "successor": [None, successor.wbs_code],
                "type": [None, type],
                "lag_hours": [None, lag_hours],
            },
        )
    return dependency


def dependency_update(
    *, actor: User, dependency: Dependency, version: int | None, data: dict[str, Any]
) -> Dependency:
    unknown = set(data) - {"type", "lag_hours"}
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    project = dependency.project
    require_role(actor, project, Role.MEMBER)
    if "type" in data and data["type"] not in DependencyType.values:
        raise Invalid.field("type", "must be one of FS, SS, FF, SF")
    lag = data.get("lag_hours", 0)
    if not isinstance(lag, int) or abs(lag) > MAX_LAG_HOURS:
        raise Invalid.field("lag_hours", f"must be a whole number within ±{MAX_LAG_HOURS}")
    with transaction.atomic():
        dependency = Dependency.objects.select_for_update().get(pk=dependency.pk)
        check_version(dependency, version)
        changes = apply_changes(dependency, data)
        if changes:
            save_versioned(dependency, list(changes))
            audit(
                actor=actor,
                action="dependency.update",
                obj=dependency,
                project=project,
                changes=changes,
            )
            project_reschedule(project)
    return dependency


def dependency_delete(*, actor: User, dependency: Dependency) -> None:
    project = dependency.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        audit(
            actor=actor,
            action="dependency.delete",
            obj=dependency,
            project=project,
            changes={"link": [str(dependency), None]},
        )
        dependency.delete()
        project_reschedule(project)
