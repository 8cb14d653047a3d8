"""Use cases of time: entries, weekly timesheets (submit, approve, reject), the timer,
and progress reported by the assignee.

A week's timesheet is kept per project (``Timesheet.project``), so that each project's
manager approves the hours booked on their project; non-project time (training, leave, ...)
has its own sheet that is approved when it is submitted. A submitted or approved sheet is
locked: its entries answer 409 until a manager rejects the sheet back to its owner.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import require_role
from itpm.core.errors import Conflict, Forbidden, Invalid, ServiceError
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.planning.models import Task
from itpm.planning.resource_services import rate_at
from itpm.portfolio.models import Project, Stage
from itpm.tracking.models import (
    EarnedValueMethod,
    NonProjectCategory,
    SheetState,
    TaskProgress,
    TimeEntry,
    Timer,
    Timesheet,
)
from itpm.tracking.money import CENT, week_start

LOCKED = (SheetState.SUBMITTED, SheetState.APPROVED)


def _hours(value: Any, field: str = "hours") -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        hours = Decimal(str(value).strip())
    except Exception:  # noqa: BLE001 - any unparsable text is the same 422
        raise Invalid.field(field, f"not a number of hours: {value!r}") from None
    if not hours.is_finite() or hours <= 0 or hours > 24:
        raise Invalid.field(field, "must be more than 0 and at most 24")
    if hours != hours.quantize(CENT):
        raise Invalid.field(field, "at most two decimal places")
    return hours.quantize(CENT)


def _check_project_open(project: Project) -> None:
    if project.archived:
        raise Conflict(f"project {project.key} is archived and read-only")
    if project.stage == Stage.CLOSED:
        raise Conflict(f"project {project.key} is closed: no more time can be logged on it")


def _labour_cost(user: User, day: dt.date, hours: Decimal) -> Decimal:
    """Hours × the cost rate of the user's resource valid on ``day`` (0 without a resource)."""
    resource = getattr(user, "resource", None)
    if resource is None:
        return Decimal("0.00")
    rate = rate_at(resource, day, list(resource.rates.all()))
    return (hours * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _check_daily_total(user: User, day: dt.date, hours: Decimal, exclude: int | None) -> None:
    maximum = Decimal(settings.ITPM_MAX_HOURS_PER_DAY)
    entries = TimeEntry.objects.filter(user=user, date=day)
    if exclude is not None:
        entries = entries.exclude(pk=exclude)
    booked = entries.aggregate(total=Sum("hours"))["total"] or Decimal(0)
    if booked + hours > maximum:
        raise Invalid.field(
            "hours",
            f"{day.isoformat()}: {booked + hours} h in all is more than the {maximum} h a day allowed",
        )


def _sheet(user: User, project: Project | None, day: dt.date) -> Timesheet:
    """The (locked-for-update) sheet of that week, created open if missing."""
    monday = week_start(day)
    sheet, _ = Timesheet.objects.get_or_create(user=user, project=project, week_start=monday)
    sheet = Timesheet.objects.select_for_update(of=("self",)).get(pk=sheet.pk)
    if sheet.state in LOCKED:
        raise Conflict(
            f"the week of {monday.isoformat()} is {sheet.get_state_display().lower()} and locked"
            + (f" for {project.key}" if project else "")
        )
    return sheet


def _target(actor: User, task: Task | None, category: str) -> tuple[Project | None, str]:
    if task is not None:
        if category:
            raise Invalid.field("category", "give a task or a non-project category, not both")
        require_role(actor, task.project, Role.MEMBER)
        _check_project_open(task.project)
        return task.project, ""
    if category not in NonProjectCategory.values:
        raise Invalid.field(
            "category", f"give a task, or one of {', '.join(NonProjectCategory.values)}"
        )
    return None, category


def time_entry_create(
    *,
    actor: User,
    date: dt.date,
    hours: Any,
    task: Task | None = None,
    category: str = "",
    notes: str = "",
) -> TimeEntry:
    """Log the actor's own time on a task (or non-project time) for one day."""
    value = _hours(hours)
    if len(notes or "") > 500:
        raise Invalid.field("notes", "at most 500 characters")
    project, category = _target(actor, task, category)
    with transaction.atomic():
        sheet = _sheet(actor, project, date)
        _check_daily_total(actor, date, value, exclude=None)
        entry = TimeEntry.objects.create(
            user=actor, timesheet=sheet, project=project, task=task, category=category,
            date=date, hours=value, notes=notes or "", cost=_labour_cost(actor, date, value),
        )  # fmt: skip
        audit(
            actor=actor,
            action="time_entry.create",
            obj=entry,
            project=project,
            changes={"date": [None, date.isoformat()], "hours": [None, str(value)],
                     "task": [None, task.pk if task else None]},
        )  # fmt: skip
    return entry


def _require_owner(actor: User, entry: TimeEntry) -> None:
    if entry.user_id != actor.pk:
        raise Forbidden("only the person who logged the time changes it")


def time_entry_update(
    *, actor: User, entry: TimeEntry, version: int | None, data: dict[str, Any]
) -> TimeEntry:
    unknown = set(data) - {"hours", "notes", "date"}
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    _require_owner(actor, entry)
    if entry.project is not None:
        require_role(actor, entry.project, Role.MEMBER)
        _check_project_open(entry.project)
    clean: dict[str, Any] = {}
    if "hours" in data:
        clean["hours"] = _hours(data["hours"])
    if "notes" in data:
        if len(data["notes"] or "") > 500:
            raise Invalid.field("notes", "at most 500 characters")
        clean["notes"] = data["notes"] or ""
    if "date" in data:
        if not isinstance(data["date"], dt.date):
            raise Invalid.field("date", "expected a date")
        clean["date"] = data["date"]
    with transaction.atomic():
        entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        check_version(entry, version)
        old_sheet = Timesheet.objects.select_for_update(of=("self",)).get(pk=entry.timesheet_id)
        if old_sheet.state in LOCKED:
            raise Conflict(
                f"the week of {old_sheet.week_start.isoformat()} is "
                f"{old_sheet.get_state_display().lower()} and locked"
            )
        day = clean.get("date", entry.date)
        hours = clean.get("hours", entry.hours)
        _check_daily_total(actor, day, hours, exclude=entry.pk)
        if week_start(day) != old_sheet.week_start:
            clean["timesheet"] = _sheet(actor, entry.project, day)
        changes = apply_changes(entry, clean)
        if changes:
            entry.cost = _labour_cost(actor, entry.date, entry.hours)
            save_versioned(entry, [*changes, "cost"])
            audit(actor=actor, action="time_entry.update", obj=entry, project=entry.project,
                  changes=changes)  # fmt: skip
    return entry


def time_entry_delete(*, actor: User, entry: TimeEntry) -> None:
    _require_owner(actor, entry)
    if entry.project is not None:
        require_role(actor, entry.project, Role.MEMBER)
        _check_project_open(entry.project)
    with transaction.atomic():
        sheet = Timesheet.objects.select_for_update(of=("self",)).get(pk=entry.timesheet_id)
        if sheet.state in LOCKED:
            raise Conflict(
                f"the week of {sheet.week_start.isoformat()} is "
                f"{sheet.get_state_display().lower()} and locked"
            )
        audit(actor=actor, action="time_entry.delete", obj=entry, project=entry.project,
              changes={"hours": [str(entry.hours), None], "date": [entry.date.isoformat(), None]})  # fmt: skip
        entry.delete()


def timesheet_week_save(
    *,
    actor: User,
    monday: dt.date,
    cells: dict[tuple[str, int | str, dt.date], Any],
    notes: dict[tuple[str, int | str], str] | None = None,
) -> int:
    """Save a week grid in one transaction: ``cells[(kind, id, day)] = hours`` where kind is
    "task" (id = task id) or "category" (id = category). Empty or 0 removes the entry.
    Returns the number of entries written or removed."""
    notes = notes or {}
    written = 0
    with transaction.atomic():
        existing: dict[tuple[str, int | str, dt.date], TimeEntry] = {}
        for entry in TimeEntry.objects.filter(
            user=actor, date__gte=monday, date__lt=monday + dt.timedelta(days=7)
        ).select_related("project", "timesheet"):
            key = (
                ("task", entry.task_id, entry.date)
                if entry.task_id
                else ("category", entry.category, entry.date)
            )
            existing[key] = entry
        tasks = {
            t.pk: t
            for t in Task.objects.filter(
                pk__in=[k[1] for k in cells if k[0] == "task"]
            ).select_related("project")
        }
        for (kind, ident, day), raw in sorted(cells.items(), key=lambda kv: str(kv[0])):
            text = str(raw or "").strip()
            current = existing.get((kind, ident, day))
            note = notes.get((kind, ident), current.notes if current else "")
            if text in ("", "0", "0.0", "0.00"):
                if current is not None:
                    time_entry_delete(actor=actor, entry=current)
                    written += 1
                continue
            value = _hours(text, field=f"{day.isoformat()}")
            if current is None:
                task = tasks.get(ident) if kind == "task" else None  # type: ignore[arg-type]
                if kind == "task" and task is None:
                    raise Invalid.field("task", f"task {ident} not found")
                time_entry_create(
                    actor=actor, date=day, hours=value, task=task,
                    category=str(ident) if kind == "category" else "", notes=note,
                )  # fmt: skip
                written += 1
            elif current.hours != value or current.notes != note:
                time_entry_update(
                    actor=actor, entry=current, version=current.version,
                    data={"hours": value, "notes": note},
                )  # fmt: skip
                written += 1
    return written


def timesheet_submit(*, actor: User, monday: dt.date) -> list[Timesheet]:
    """Submit every open sheet of the actor's week that has time on it."""
    if monday.weekday() != 0:
        raise Invalid.field("week", "must be a Monday")
    now = timezone.now()
    sheets = []
    with transaction.atomic():
        for sheet in Timesheet.objects.select_for_update(of=("self",)).filter(
            user=actor, week_start=monday, state__in=(SheetState.OPEN, SheetState.REJECTED)
        ):
            if not sheet.entries.exists():
                continue
            before = sheet.state
            # Non-project time has no project manager to approve it: it is approved on submit.
            sheet.state = SheetState.SUBMITTED if sheet.project_id else SheetState.APPROVED
            sheet.submitted_at = now
            save_versioned(sheet, ["state", "submitted_at"])
            audit(actor=actor, action="timesheet.submit", obj=sheet, project=sheet.project,
                  changes={"state": [before, sheet.state]})  # fmt: skip
            sheets.append(sheet)
        if not sheets:
            raise Conflict(f"nothing to submit for the week of {monday.isoformat()}")
    return sheets


def _decide(
    actor: User, sheet: Timesheet, version: int | None, state: SheetState, comment: str
) -> Timesheet:
    if sheet.project is None:
        raise Conflict("non-project time is approved when it is submitted")
    require_role(actor, sheet.project, Role.MANAGER)
    with transaction.atomic():
        sheet = Timesheet.objects.select_for_update(of=("self",)).get(pk=sheet.pk)
        check_version(sheet, version)
        if sheet.state != SheetState.SUBMITTED:
            raise Conflict(f"this timesheet is {sheet.get_state_display().lower()}, not submitted")
        before = sheet.state
        sheet.state = state
        sheet.decided_by = actor
        sheet.decided_at = timezone.now()
        sheet.comment = comment[:2000]
        save_versioned(sheet, ["state", "decided_by", "decided_at", "comment"])
        audit(actor=actor, action=f"timesheet.{'approve' if state == SheetState.APPROVED else 'reject'}",
              obj=sheet, project=sheet.project, changes={"state": [before, state.value]})  # fmt: skip
    return sheet


def timesheet_approve(
    *, actor: User, sheet: Timesheet, version: int | None, comment: str = ""
) -> Timesheet:
    return _decide(actor, sheet, version, SheetState.APPROVED, comment or "")


def timesheet_reject(
    *, actor: User, sheet: Timesheet, version: int | None, comment: str
) -> Timesheet:
    if not (comment or "").strip():
        raise Invalid.field("comment", "say what to correct")
    return _decide(actor, sheet, version, SheetState.REJECTED, comment.strip())


# ---------------------------------------------------------------------------- timer
def timer_start(*, actor: User, task: Task) -> Timer:
    require_role(actor, task.project, Role.MEMBER)
    _check_project_open(task.project)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        running = Timer.objects.filter(user=actor).select_related("task").first()
        if running is not None:
            raise Conflict(f"a timer is running on {running.task} since "
                           f"{running.started_at:%H:%M}; stop it first")  # fmt: skip
        timer = Timer.objects.create(user=actor, task=task, started_at=timezone.now())
        audit(actor=actor, action="timer.start", obj=timer, project=task.project,
              changes={"task": [None, task.pk]})  # fmt: skip
    return timer


def timer_stop(*, actor: User, notes: str = "", hours: Any = None) -> TimeEntry:
    """Stop the actor's timer and log the elapsed time (at least 0.01 h) on its start day.

    ``hours`` logs that instead of the elapsed time: a timer left running overnight has run
    more than a day allows, and stopping it would be refused forever otherwise (the refusal
    keeps the timer, and a second one cannot start). The day is the start's day in the
    person's own zone (the API has no browser zone to go by).

    Refusals that waiting cannot cure (the project was closed or archived, the week is
    locked, the person left the project) stop the timer without logging anything, and say
    so with 409: kept, the timer could never be stopped."""
    given = None if hours in (None, "") else _hours(hours)
    discarded: str | None = None
    with transaction.atomic():
        timer = (
            Timer.objects.select_for_update()
            .filter(user=actor)
            .select_related("task__project")
            .first()
        )
        if timer is None:
            raise Conflict("no timer is running")
        elapsed = timezone.now() - timer.started_at
        ran = max(
            Decimal(elapsed.total_seconds() / 3600).quantize(CENT, rounding=ROUND_HALF_UP), CENT
        )
        day = timezone.localdate(timer.started_at, _zone_of(actor))
        task = timer.task
        try:
            with transaction.atomic():  # a savepoint: a refused entry leaves no rows behind
                entry = time_entry_create(
                    actor=actor, date=day, hours=given if given is not None else min(ran, Decimal(24)),
                    task=task, notes=notes or "timer",
                )  # fmt: skip
        except Invalid as exc:
            if given is not None or not exc.errors or exc.errors[0].field != "hours":
                raise
            # The elapsed time does not fit the day: ask for the hours worked instead.
            raise Invalid.field(
                "hours",
                f"the timer ran {ran} h since {timer.started_at.astimezone(_zone_of(actor)):%Y-%m-%d %H:%M}"
                f" ({exc.errors[0].message}); stop it with the hours you worked",
            ) from None
        except ServiceError as exc:
            discarded = f"{exc.detail}: the timer on {task} was stopped and nothing was logged"
            audit(actor=actor, action="timer.discard", obj=timer, project=task.project,
                  changes={"task": [task.pk, None], "hours": [str(ran), None]})  # fmt: skip
        timer.delete()
    if discarded is not None:
        raise Conflict(discarded)
    return entry


def _zone_of(user: User) -> Any:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# ---------------------------------------------------------------------------- progress
def task_progress_update(
    *,
    actor: User,
    task: Task,
    percent_complete: int | None = None,
    remaining_hours: Any = None,
    ev_method: str | None = None,
    version: int | None = None,
) -> TaskProgress:
    """The assignee reports percent complete and remaining work; a manager sets the EV method.

    Percent complete lives on the task (``planning.services.task_update`` reschedules);
    remaining work and the earned value method live on ``TaskProgress``.
    """
    from itpm.planning.services import task_update

    project = task.project
    role = require_role(actor, project, Role.MEMBER)
    data: dict[str, Any] = {}
    if ev_method is not None:
        if ev_method not in EarnedValueMethod.values:
            raise Invalid.field(
                "ev_method", f"must be one of {', '.join(EarnedValueMethod.values)}"
            )
        if role not in (Role.MANAGER, Role.OWNER):
            raise Forbidden("the earned value method is set by the project's manager")
        data["ev_method"] = ev_method
    if remaining_hours is not None and remaining_hours != "":
        try:
            value = Decimal(str(remaining_hours).strip())
        except InvalidOperation:
            raise Invalid.field("remaining_hours", "a number of hours, like 12 or 3.5") from None
        if not value.is_finite() or value < 0 or value > 100_000:
            raise Invalid.field("remaining_hours", "from 0 to 100,000 hours")
        data["remaining_hours"] = value.quantize(CENT)
    with transaction.atomic():
        if percent_complete is not None and percent_complete != task.percent_complete:
            task_update(actor=actor, task=task, version=None,
                        data={"percent_complete": percent_complete})  # fmt: skip
        progress, _ = TaskProgress.objects.get_or_create(task=task)
        progress = TaskProgress.objects.select_for_update().get(pk=progress.pk)
        check_version(progress, version)
        changes = apply_changes(progress, data)
        if changes:
            save_versioned(progress, list(changes))
            audit(actor=actor, action="task_progress.update", obj=progress, project=project,
                  changes={k: [json_value(v[0]), json_value(v[1])] for k, v in changes.items()})  # fmt: skip
    return progress


def hours_by_task(project: Project) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for task_id, hours in TimeEntry.objects.filter(project=project, task__isnull=False).values_list(
        "task_id", "hours"
    ):
        totals[task_id] += hours
    return dict(totals)
