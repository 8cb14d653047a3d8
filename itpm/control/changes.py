"""Change requests: proposed task and budget changes, impact on a copy, board vote, apply once.

State machine: draft → submitted → approved | rejected; approved → applied. Only a draft is
edited; only a submitted request is voted on; only an approved one is applied, once (the
row lock and the state make a second apply a 409 that changes nothing). Rejected requests
are kept with their votes and comments.

Operations (``ChangeRequest.operations``), each a JSON object with ``op``:

- ``change_duration``: ``task``, ``hours``
- ``add_task``: ``name``, ``hours``, optional ``parent``, ``after`` (predecessor ids) and
  ``ref`` (a name later operations may use in place of a task id)
- ``remove_task``: ``task``
- ``add_dependency``: ``predecessor``, ``successor``, optional ``type`` (FS), ``lag_hours``
- ``remove_dependency``: ``predecessor``, ``successor``
- ``change_constraint``: ``task``, ``constraint_type``, ``constraint_date`` (ISO or null)

Budget changes (``budget_changes``): ``{"line": id, "months": {"2027-04": "5000.00"}}`` sets
months of an existing budget line; ``{"category", "name", "months"}`` adds a line. They go
through the tracking app's services naming this request, which is what its baselined-budget
rule asks for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import project_role, require_role
from itpm.control.models import ChangeRequest, ChangeStatus, ChangeVote
from itpm.control.services import _errors, _next_number
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid
from itpm.core.services import apply_changes, audit, check_version, save_versioned
from itpm.engine import cpm
from itpm.engine.errors import CycleError, EngineError
from itpm.engine.model import Constraint, ConstraintType, Dependency, DependencyType
from itpm.engine.model import Task as EngineTask
from itpm.planning.models import DATED_CONSTRAINTS, Task
from itpm.planning.scheduling import (
    _engine_task,
    deferred_rescheduling,
    own_stretch,
    own_time_tasks,
    project_axis,
)
from itpm.planning.splits import pause_hours, span_hours, within
from itpm.portfolio.models import Project

OPS = ("change_duration", "add_task", "remove_task", "add_dependency", "remove_dependency",
       "change_constraint")  # fmt: skip
_FINISH_CONSTRAINTS = {"FNET", "FNLT", "MFO"}
MAX_OPERATIONS = 500


# ---------------------------------------------------------------------------- validation
def _int(op: dict[str, Any], name: str, where: str, low: int = 0, high: int = 100_000) -> int:
    value = op.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid.field(f"{where}.{name}", f"must be a whole number from {low} to {high}")
    return value


def validate_operations(project: Project, operations: Any) -> list[dict[str, Any]]:
    """Check every operation's shape and that the tasks it names are this project's."""
    if not isinstance(operations, list) or len(operations) > MAX_OPERATIONS:
        raise Invalid.field("operations", f"must be a list of at most {MAX_OPERATIONS} operations")
    task_ids = set(Task.objects.filter(project=project).values_list("id", flat=True))
    refs: set[str] = set()
    clean: list[dict[str, Any]] = []

    def task_ref(op: dict[str, Any], name: str, where: str) -> int | str:
        value = op.get(name)
        if isinstance(value, str) and value in refs:
            return value
        if not isinstance(value, int) or isinstance(value, bool) or value not in task_ids:
            raise Invalid.field(f"{where}.{name}", f"no task {value!r} in {project.key}")
        return value

    for n, op in enumerate(operations):
        where = f"operations[{n}]"
        if not isinstance(op, dict) or op.get("op") not in OPS:
            raise Invalid.field(f"{where}.op", f"must be one of {', '.join(OPS)}")
        kind = op["op"]
        if kind == "change_duration":
            clean.append({"op": kind, "task": task_ref(op, "task", where),
                          "hours": _int(op, "hours", where)})  # fmt: skip
        elif kind == "add_task":
            name = str(op.get("name") or "").strip()
            if not name or len(name) > 300:
                raise Invalid.field(f"{where}.name", "must be 1 to 300 characters")
            item: dict[str, Any] = {"op": kind, "name": name, "hours": _int(op, "hours", where)}
            if op.get("parent") is not None:
                item["parent"] = task_ref(op, "parent", where)
            after = op.get("after") or []
            if not isinstance(after, list):
                raise Invalid.field(f"{where}.after", "must be a list of task ids")
            item["after"] = [task_ref({"t": a}, "t", f"{where}.after") for a in after]
            ref = op.get("ref")
            if ref is not None:
                if not isinstance(ref, str) or not ref or len(ref) > 40 or ref in refs:
                    raise Invalid.field(f"{where}.ref", "must be a new short name")
                refs.add(ref)
                item["ref"] = ref
            clean.append(item)
        elif kind == "remove_task":
            clean.append({"op": kind, "task": task_ref(op, "task", where)})
        elif kind in ("add_dependency", "remove_dependency"):
            item = {"op": kind, "predecessor": task_ref(op, "predecessor", where),
                    "successor": task_ref(op, "successor", where)}  # fmt: skip
            if item["predecessor"] == item["successor"]:
                raise Invalid.field(f"{where}.successor", "a task cannot depend on itself")
            if kind == "add_dependency":
                dep_type = op.get("type", "FS")
                if dep_type not in ("FS", "SS", "FF", "SF"):
                    raise Invalid.field(f"{where}.type", "must be one of FS, SS, FF, SF")
                item["type"] = dep_type
                item["lag_hours"] = (
                    _int(op, "lag_hours", where, -100_000) if "lag_hours" in op else 0
                )
            clean.append(item)
        else:  # change_constraint
            kind_value = op.get("constraint_type")
            if kind_value not in ConstraintType._value2member_map_:
                raise Invalid.field(f"{where}.constraint_type",
                                    "must be one of ASAP, ALAP, SNET, SNLT, FNET, FNLT, MSO, MFO")  # fmt: skip
            when = op.get("constraint_date")
            if kind_value in DATED_CONSTRAINTS:
                try:
                    parsed = dt.datetime.fromisoformat(str(when))
                except ValueError:
                    raise Invalid.field(f"{where}.constraint_date",
                                        f"an ISO date-time is required for {kind_value}") from None  # fmt: skip
                if parsed.tzinfo is None:
                    raise Invalid.field(f"{where}.constraint_date", "needs a time zone offset")
                when = parsed.isoformat()
            else:
                when = None
            clean.append({"op": "change_constraint", "task": task_ref(op, "task", where),
                          "constraint_type": kind_value, "constraint_date": when})  # fmt: skip
    return clean


def validate_budget_changes(project: Project, changes: Any) -> list[dict[str, Any]]:
    if not isinstance(changes, list) or len(changes) > 100:
        raise Invalid.field("budget_changes", "must be a list of at most 100 changes")
    clean = []
    for n, change in enumerate(changes):
        where = f"budget_changes[{n}]"
        if not isinstance(change, dict) or not isinstance(change.get("months"), dict):
            raise Invalid.field(f"{where}.months", 'must be {"YYYY-MM": "amount", ...}')
        months = {}
        for month, amount in change["months"].items():
            try:
                dt.date.fromisoformat(f"{month}-01")
                months[str(month)] = str(Decimal(str(amount)).quantize(Decimal("0.01")))
            except (ValueError, InvalidOperation):
                raise Invalid.field(f"{where}.months", f"bad month or amount: {month}") from None
        if "line" in change:
            if not apps.is_installed("itpm.tracking"):
                raise Invalid.field(f"{where}.line", "budgets are not available")
            from itpm.tracking.models import BudgetLine

            line_id = change["line"]
            if not (isinstance(line_id, int) and 0 < line_id < 2**63) or not (
                BudgetLine.objects.filter(pk=line_id, project=project).exists()
            ):
                raise Invalid.field(
                    f"{where}.line", f"no budget line {change['line']} in {project.key}"
                )
            clean.append({"line": change["line"], "months": months})
        else:
            name = str(change.get("name") or "").strip()
            if not name or not change.get("category"):
                raise Invalid.field(f"{where}.name", "a new line needs category and name")
            clean.append({"category": str(change["category"]), "name": name, "months": months})
    return clean


def _budget_delta(project: Project, changes: list[dict[str, Any]]) -> Decimal:
    """How much the budget changes: new month amounts minus the amounts they replace."""
    delta = Decimal(0)
    if not apps.is_installed("itpm.tracking"):
        return delta
    from itpm.tracking.models import BudgetPeriod

    for change in changes:
        for month, amount in change["months"].items():
            delta += Decimal(amount)
            if "line" in change:
                old = (
                    BudgetPeriod.objects.filter(
                        line_id=change["line"], month=dt.date.fromisoformat(f"{month}-01")
                    )
                    .values_list("amount", flat=True)
                    .first()
                )
                delta -= old or Decimal(0)
    return delta


# ---------------------------------------------------------------------------- impact
def change_request_impact(project: Project, operations: list[dict[str, Any]],
                          budget_changes: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """The new finish, found by applying the operations to a copy of the plan in memory.

    Nothing is written: the engine schedules the copied tasks and links; the database is not
    touched beyond reading the plan.
    """
    axis = project_axis(project)
    rows = list(Task.objects.filter(project=project))
    settled = own_time_tasks(project, rows, axis)
    tasks = {
        str(t.pk): settled[t.pk][0] if t.pk in settled else _engine_task(t, axis) for t in rows
    }
    # A split task's engine duration is its span; the operations speak of its work hours.
    # Elapsed or on its resources' own calendar (a 24-hour desk) an hour spans less or more.
    splits = {str(t.pk): t.splits for t in rows if t.splits}
    own = [t for t in rows if t.pk in settled]
    work_hours = {str(t.pk): t.duration_hours for t in own}
    stretch = {str(t.pk): own_stretch(t, tasks[str(t.pk)].duration) for t in own}
    names = {t.pk: t.name for t in rows}
    links = {
        (str(p), str(s)): Dependency(str(p), str(s), DependencyType(k), lag)
        for p, s, k, lag in project.dependencies.values_list(
            "predecessor_id", "successor_id", "type", "lag_hours"
        )
    }
    before = _finish(list(tasks.values()), list(links.values()))
    refs: dict[str, str] = {}
    added, removed, changed = [], [], []
    hours_delta = 0

    def tid(value: Any) -> str:
        return refs.get(value, str(value)) if isinstance(value, str) else str(value)

    for n, op in enumerate(operations):
        kind = op["op"]
        if kind == "change_duration" and tid(op["task"]) in tasks:
            task = tasks[tid(op["task"])]
            work = work_hours.get(task.id, task.duration - pause_hours(splits.get(task.id)))
            hours_delta += op["hours"] - work
            changed.append(f"{names.get(int(task.id), task.id) if task.id.isdigit() else task.id}: "
                           f"{work} h → {op['hours']} h")  # fmt: skip
            span = span_hours(op["hours"], within(splits.get(task.id), op["hours"]))
            task.duration = round(span * stretch.get(task.id, 1.0))
        elif kind == "add_task":
            new_id = f"new{n}"
            if op.get("ref"):
                refs[op["ref"]] = new_id
            tasks[new_id] = EngineTask(id=new_id, duration=op["hours"],
                                       parent=tid(op["parent"]) if op.get("parent") else None)  # fmt: skip
            for pred in op.get("after", []):
                links[(tid(pred), new_id)] = Dependency(tid(pred), new_id, DependencyType.FS, 0)
            added.append(f"{op['name']} ({op['hours']} h)")
            hours_delta += op["hours"]
        elif kind == "remove_task":
            gone = _subtree(tasks, tid(op["task"]))
            for task_id in gone:
                hours_delta -= work_hours.get(
                    task_id, tasks[task_id].duration - pause_hours(splits.get(task_id))
                )
                del tasks[task_id]
            links = {k: v for k, v in links.items() if k[0] not in gone and k[1] not in gone}
            removed.append(str(names.get(op["task"], op["task"])))
        elif kind == "add_dependency":
            key = (tid(op["predecessor"]), tid(op["successor"]))
            links[key] = Dependency(*key, DependencyType(op["type"]), op["lag_hours"])
        elif kind == "remove_dependency":
            links.pop((tid(op["predecessor"]), tid(op["successor"])), None)
        elif kind == "change_constraint" and tid(op["task"]) in tasks:
            task = tasks[tid(op["task"])]
            kind_value = ConstraintType(op["constraint_type"])
            at = None
            if op["constraint_date"]:
                at = axis.to_axis(dt.datetime.fromisoformat(op["constraint_date"]),
                                  finish=kind_value.value in _FINISH_CONSTRAINTS)  # fmt: skip
            task.constraint = Constraint(kind_value, at)
    after_finish, error = None, ""
    try:
        after_finish = _finish(list(tasks.values()), list(links.values()))
    except CycleError as exc:
        error = f"the changes close a dependency cycle through {', '.join(exc.cycle)}"
    except EngineError as exc:
        error = str(exc)
    budget_delta = _budget_delta(project, budget_changes)
    return {
        "finish_before": axis.to_datetime(before, finish=True).isoformat()
        if before is not None
        else None,
        "finish_after": (
            axis.to_datetime(after_finish, finish=True).isoformat()
            if after_finish is not None
            else None
        ),  # fmt: skip
        "finish_delta_hours": (after_finish - before)
        if before is not None and after_finish is not None
        else None,
        "duration_delta_hours": hours_delta,
        "tasks_added": added,
        "tasks_removed": removed,
        "durations_changed": changed,
        "budget_delta": str(budget_delta.quantize(Decimal("0.01"))),
        "error": error,
        "computed_at": timezone.now().isoformat(),
    }


def _finish(tasks: list[EngineTask], links: list[Dependency]) -> int | None:
    if not tasks:
        return None
    return int(cpm.schedule(tasks, links).project_finish)


def _subtree(tasks: dict[str, EngineTask], root: str) -> set[str]:
    found = {root} if root in tasks else set()
    grew = True
    while grew:
        grew = False
        for task in tasks.values():
            if task.parent in found and task.id not in found:
                found.add(task.id)
                grew = True
    return found


# ---------------------------------------------------------------------------- use cases
def _board(project: Project, board: list[User] | None) -> list[User]:
    people = list(board or [])
    for person in people:
        if project_role(person, project) is None:
            raise Invalid.field("board", f"{person.username} cannot see {project.key}")
    return people


def change_request_create(
    *,
    actor: User,
    project: Project,
    title: str,
    description: str = "",
    reason: str = "",
    operations: list[dict[str, Any]] | None = None,
    budget_changes: list[dict[str, Any]] | None = None,
    board: list[User] | None = None,
    scope_impact: str = "",
    risk_impact: str = "",
    save_baseline: bool = False,
    baseline_name: str = "",
) -> ChangeRequest:
    require_role(actor, project, Role.MEMBER)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise Invalid.field("title", "must be 1 to 200 characters")
    ops = validate_operations(project, operations or [])
    money = validate_budget_changes(project, budget_changes or [])
    people = _board(project, board)
    with transaction.atomic():
        change = ChangeRequest.objects.create(
            project=project, number=_next_number(ChangeRequest, project), title=title,
            description=description, reason=reason, requested_by=actor, operations=ops,
            budget_changes=money, scope_impact=scope_impact, risk_impact=risk_impact,
            save_baseline=save_baseline, baseline_name=baseline_name.strip()[:120],
            impact=change_request_impact(project, ops, money),
        )  # fmt: skip
        change.board.set(people)
        audit(actor=actor, action="change_request.create", obj=change, project=project,
              changes={"title": [None, title], "operations": [None, len(ops)],
                       "board": [None, [u.username for u in people]]})  # fmt: skip
    return change


def change_request_update(
    *,
    actor: User,
    change: ChangeRequest,
    version: int | None,
    data: dict[str, Any],
    board: list[User] | None = None,
) -> ChangeRequest:
    allowed = {"title", "description", "reason", "operations", "budget_changes", "scope_impact",
               "risk_impact", "save_baseline", "baseline_name"}  # fmt: skip
    unknown = set(data) - allowed
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    project = change.project
    require_role(actor, project, Role.MEMBER)
    if change.status != ChangeStatus.DRAFT:
        raise Conflict(f"{change.code} is {change.status}; only a draft can be edited")
    if "operations" in data:
        data["operations"] = validate_operations(project, data["operations"])
    if "budget_changes" in data:
        data["budget_changes"] = validate_budget_changes(project, data["budget_changes"])
    if "title" in data:
        data["title"] = str(data["title"] or "").strip()
        if not data["title"] or len(data["title"]) > 200:
            raise Invalid.field("title", "must be 1 to 200 characters")
    if "baseline_name" in data:
        data["baseline_name"] = str(data["baseline_name"] or "").strip()
        if len(data["baseline_name"]) > 120:
            raise Invalid.field("baseline_name", "at most 120 characters")
    people = _board(project, board) if board is not None else None
    with transaction.atomic():
        change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
        check_version(change, version)
        changes = apply_changes(change, data)
        if people is not None:
            before = sorted(change.board.values_list("username", flat=True))
            after = sorted(u.username for u in people)
            if before != after:
                change.board.set(people)
                changes["board"] = [before, after]
        if {"operations", "budget_changes"} & set(changes):
            change.impact = change_request_impact(project, change.operations, change.budget_changes)
            changes["impact"] = [None, "recomputed"]
        if changes:
            save_versioned(change, [n for n in changes if n != "board"])
            audit(actor=actor, action="change_request.update", obj=change, project=project,
                  changes=changes)  # fmt: skip
    return change


def change_request_submit(
    *, actor: User, change: ChangeRequest, version: int | None
) -> ChangeRequest:
    project = change.project
    require_role(actor, project, Role.MEMBER)
    with transaction.atomic():
        change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
        check_version(change, version)
        if change.status != ChangeStatus.DRAFT:
            raise Conflict(f"{change.code} is {change.status}; only a draft can be submitted")
        if not change.board.exists():
            raise Invalid.field("board", "name at least one approver before submitting")
        change.impact = change_request_impact(project, change.operations, change.budget_changes)
        changes = apply_changes(change, {"status": ChangeStatus.SUBMITTED})
        save_versioned(change, ["status", "impact"])
        audit(actor=actor, action="change_request.submit", obj=change, project=project,
              changes=changes)  # fmt: skip
    return change


def change_request_vote(
    *, actor: User, change: ChangeRequest, approve: bool, comment: str = ""
) -> ChangeRequest:
    """A board member approves or rejects. One rejection rejects; all approvals approve."""
    project = change.project
    require_role(actor, project, Role.VIEWER)
    if not change.board.filter(pk=actor.pk).exists():
        raise Forbidden(f"only the change board of {change.code} may approve or reject it")
    if not approve and not comment.strip():
        raise Invalid.field("comment", "say why the change is rejected")
    with transaction.atomic():
        change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
        if change.status != ChangeStatus.SUBMITTED:
            raise Conflict(f"{change.code} is {change.status}; only a submitted change is voted on")
        if ChangeVote.objects.filter(change_request=change, approver=actor).exists():
            raise Conflict(f"you have voted on {change.code} already")
        ChangeVote.objects.create(change_request=change, approver=actor,
                                  decision="approve" if approve else "reject", comment=comment)  # fmt: skip
        changes: dict[str, Any] = {
            "vote": [None, f"{actor.username}: {'approve' if approve else 'reject'}"]
        }
        approvals = set(
            change.votes.filter(decision="approve").values_list("approver_id", flat=True)
        )
        board = set(change.board.values_list("pk", flat=True))
        status = None
        if not approve:
            status = ChangeStatus.REJECTED
        elif board <= approvals:
            status = ChangeStatus.APPROVED
        if status is not None:
            changes.update(apply_changes(change, {"status": status, "decided_at": timezone.now()}))
            save_versioned(change, ["status", "decided_at"])
        audit(actor=actor, action="change_request.approve" if approve else "change_request.reject",
              obj=change, project=project, changes=changes)  # fmt: skip
    return change


def change_request_apply(
    *, actor: User, change: ChangeRequest, version: int | None = None
) -> ChangeRequest:
    """Apply an approved change to the plan (and budget) in one transaction, exactly once."""
    from itpm.planning import services as planning

    project = change.project
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
        check_version(change, version)
        if change.status == ChangeStatus.APPLIED:
            raise Conflict(f"{change.code} was applied already; it changes the plan only once")
        if change.status != ChangeStatus.APPROVED:
            raise Conflict(f"{change.code} is {change.status}; only an approved change is applied")
        ops = validate_operations(project, change.operations)  # the plan may have moved on
        refs: dict[str, Task] = {}

        def task(value: Any) -> Task:
            if isinstance(value, str):
                return refs[value]
            return Task.objects.get(pk=value, project=project)

        with deferred_rescheduling():
            for op in ops:
                kind = op["op"]
                if kind == "change_duration":
                    target = task(op["task"])
                    planning.task_update(actor=actor, task=target, version=None,
                                         data={"duration_hours": op["hours"]})  # fmt: skip
                elif kind == "add_task":
                    new = planning.task_create(
                        actor=actor, project=project, name=op["name"], duration_hours=op["hours"],
                        parent=task(op["parent"]) if op.get("parent") is not None else None,
                        description=f"Added by {change.code} {change.title}",
                    )  # fmt: skip
                    if op.get("ref"):
                        refs[op["ref"]] = new
                    for pred in op.get("after", []):
                        planning.dependency_create(actor=actor, project=project,
                                                   predecessor=task(pred), successor=new)  # fmt: skip
                elif kind == "remove_task":
                    planning.task_delete(actor=actor, task=task(op["task"]))
                elif kind == "add_dependency":
                    planning.dependency_create(
                        actor=actor, project=project, predecessor=task(op["predecessor"]),
                        successor=task(op["successor"]), type=op["type"], lag_hours=op["lag_hours"],
                    )  # fmt: skip
                elif kind == "remove_dependency":
                    link = project.dependencies.filter(
                        predecessor=task(op["predecessor"]), successor=task(op["successor"])
                    ).first()
                    if link is not None:
                        planning.dependency_delete(actor=actor, dependency=link)
                else:
                    when = (dt.datetime.fromisoformat(op["constraint_date"])
                            if op["constraint_date"] else None)  # fmt: skip
                    planning.task_update(actor=actor, task=task(op["task"]), version=None,
                                         data={"constraint_type": op["constraint_type"],
                                               "constraint_date": when})  # fmt: skip
        _apply_budget(actor, project, change)
        baseline = None
        if change.save_baseline:
            from itpm.planning.resource_services import baseline_create

            name = change.baseline_name or f"After {change.code}"
            baseline = baseline_create(actor=actor, project=project, name=name, active=True)
        changes = apply_changes(change, {"status": ChangeStatus.APPLIED, "applied_at": timezone.now(),
                                         "applied_by": actor})  # fmt: skip
        save_versioned(change, ["status", "applied_at", "applied_by"])
        project.refresh_from_db(fields=["scheduled_finish"])
        changes["scheduled_finish"] = [change.impact.get("finish_before"),
                                       project.scheduled_finish.isoformat() if project.scheduled_finish else None]  # fmt: skip
        if baseline is not None:
            changes["baseline"] = [None, baseline.name]
        audit(actor=actor, action="change_request.apply", obj=change, project=project,
              changes=changes)  # fmt: skip
    return change


def _apply_budget(actor: User, project: Project, change: ChangeRequest) -> None:
    if not change.budget_changes:
        return
    from itpm.tracking import services as tracking
    from itpm.tracking.models import BudgetLine

    for item in change.budget_changes:
        if "line" in item:
            line = BudgetLine.objects.get(pk=item["line"], project=project)
            tracking.budget_line_change(actor=actor, line=line, version=None, data={},
                                        months=item["months"], change_request=change)  # fmt: skip
        else:
            tracking.budget_line_create(actor=actor, project=project, category=item["category"],
                                        name=item["name"], months=item["months"],
                                        change_request=change)  # fmt: skip
    _ = FieldError, _errors
