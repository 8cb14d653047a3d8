"""Earned value of a project from its rows: the boundary between the database and
``itpm.engine.evm`` (convert once, here).

Planned value is time-phased by week (the engine's reporting period), starting on the Monday
of the week the plan starts:

* from the active baseline's task costs: each leaf task's baseline cost is spread over its
  baseline start–finish in proportion to working time on the project calendar (a milestone's
  cost lands at its date);
* when the baseline carries no task costs (no resources with rates assigned), or there is no
  active baseline, from the budget lines: each month's amount is spread evenly over the
  month's calendar days.

BAC is the total of that time-phased budget; the management reserve is outside it (PMI).
A task's budget is its baseline cost; in the budget-line mode BAC is split over the leaf
tasks in proportion to their duration. EV = the task's budget × its earned fraction by its
method (physical %, 50/50, 0/100, ``TaskProgress.ev_method``) using the percent complete the
task had at the end of the status date (see below).
AC = labour (time entries × rate on the day) + expenses + matched supplier invoices, dated on
or before the status date. Once every task is complete, the actual time of SPI(t) stops at the
last completion (or the planned duration, if later) instead of growing with the status date. The bottom-up EAC adds to AC the remaining work of each unfinished
task (the assignee's remaining hours × the task's budget rate, else its unearned budget).

Progress at a past status date: percent complete, remaining hours and completion are what they
were at the end of the status date (in the plan's zone), replayed from the audit trail. A task
whose percent changed after that moment counts with the value it had before the first such
change; a task with no later change counts with its value now. So a past status date pairs
past progress with past costs, and CPI/SPI of last month stay what they were. The creation of
a task is not a change: a task created (or imported) later with progress keeps it, as does
progress written without an audit event (the demo's bulk load); nobody knows when it was made.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from itpm.core.models import AuditEvent
from itpm.engine import evm as engine
from itpm.planning.models import Baseline, BaselineTask, Task
from itpm.planning.scheduling import engine_calendar
from itpm.portfolio.models import Project
from itpm.tracking.models import (
    ZERO,
    BudgetCategory,
    BudgetPeriod,
    EvmSnapshot,
    Expense,
    InvoiceLine,
    MatchState,
    TaskProgress,
    TimeEntry,
)
from itpm.tracking.money import cents, next_month, week_start

RATIO = Decimal("0.001")


def _ratio(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(RATIO)


@dataclass
class PlanCurve:
    """Weekly planned spend from ``start`` (a Monday) and each task's budget."""

    start: dt.date
    weekly: list[Decimal]
    task_budgets: dict[int, Decimal]
    source: str  # "baseline tasks" | "budget lines" | "none"
    baseline: Baseline | None = None
    # Budget of the non-labour lines added to the task costs (baseline-task mode), earned in
    # proportion to the tasks' progress (apportioned effort).
    apportioned: Decimal = ZERO

    def week(self, index: int) -> dt.date:
        return self.start + dt.timedelta(weeks=index)

    def position(self, day: dt.date) -> float:
        """The end of ``day`` on the axis of weeks."""
        return (day + dt.timedelta(days=1) - self.start).days / 7


@dataclass
class EvmResult:
    project: Project
    status_date: dt.date
    source: str
    currency: str
    budget_at_completion: Decimal
    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal
    schedule_variance: Decimal
    cost_variance: Decimal
    spi: Decimal | None
    cpi: Decimal | None
    eac_cpi: Decimal | None
    eac_cpi_spi: Decimal | None
    eac_bottom_up: Decimal | None
    estimate_at_completion: Decimal | None
    estimate_to_complete: Decimal | None
    variance_at_completion: Decimal | None
    tcpi_bac: Decimal | None
    tcpi_eac: Decimal | None
    earned_schedule_weeks: Decimal | None
    actual_time_weeks: Decimal | None
    spi_t: Decimal | None
    sv_t_weeks: Decimal | None
    planned_duration_weeks: int
    percent_complete: Decimal  # EV / BAC
    percent_spent: Decimal  # AC / BAC
    curve: list[dict[str, Any]] = field(default_factory=list)
    # The cost of the tasks' remaining work alone (the labour forecast of the budget table).
    remaining_task_work: Decimal = ZERO

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe figures (money and ratios as strings)."""
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            if name in ("project", "curve"):
                continue
            if isinstance(value, Decimal):
                out[name] = str(value)
            elif isinstance(value, dt.date):
                out[name] = value.isoformat()
            else:
                out[name] = value
        out["project"] = self.project.key
        out["curve"] = self.curve
        return out


def _leaf_ids(project: Project) -> tuple[set[int], set[int]]:
    rows = list(Task.objects.filter(project=project).values_list("id", "parent_id"))
    parents = {p for _, p in rows if p is not None}
    return {t for t, _ in rows if t not in parents}, parents


def _zone_day(moment: dt.datetime, zone: Any) -> dt.date:
    return moment.astimezone(zone).date()


def _curve_from_baseline(
    project: Project, baseline: Baseline, parents: set[int]
) -> PlanCurve | None:
    rows = [
        row
        for row in BaselineTask.objects.filter(baseline=baseline).order_by("wbs_code")
        if row.task_id not in parents and row.start is not None and row.finish is not None
    ]
    if not rows or sum((r.cost for r in rows), ZERO) <= 0:
        return None
    calendar = engine_calendar(project.calendar, time_zone=project.time_zone)
    zone = calendar.zone
    start = week_start(min(_zone_day(r.start, zone) for r in rows if r.start))
    end = max(_zone_day(r.finish, zone) for r in rows if r.finish)
    weeks = (end - start).days // 7 + 1
    weekly = [Decimal(0)] * weeks
    budgets: dict[int, Decimal] = {}
    bounds = [
        dt.datetime.combine(start + dt.timedelta(weeks=k), dt.time(0, 0), tzinfo=zone)
        for k in range(weeks + 1)
    ]
    for row in rows:
        assert row.start is not None and row.finish is not None
        if row.task_id is not None:
            budgets[row.task_id] = row.cost
        if row.cost <= 0:
            continue
        total = calendar.working_minutes_between(row.start, row.finish)
        if total <= 0:
            index = min(max((_zone_day(row.finish, zone) - start).days // 7, 0), weeks - 1)
            weekly[index] += row.cost
            continue
        first = max((_zone_day(row.start, zone) - start).days // 7, 0)
        last = min((_zone_day(row.finish, zone) - start).days // 7, weeks - 1)
        spread = ZERO
        for k in range(first, last + 1):
            lo, hi = max(row.start, bounds[k]), min(row.finish, bounds[k + 1])
            if hi <= lo:
                continue
            share = row.cost * Decimal(calendar.working_minutes_between(lo, hi)) / Decimal(total)
            weekly[k] += share
            spread += share
        weekly[last] += row.cost - spread  # rounding remainder stays in the plan
    months = _line_months(project, exclude=(BudgetCategory.INTERNAL_LABOUR,
                                            BudgetCategory.CONTINGENCY))  # fmt: skip
    if months:
        start = min(start, week_start(min(months)))
        offset = (bounds[0].date() - start).days // 7
        weekly = [Decimal(0)] * offset + weekly
        _spread_months(weekly, start, months)
    return PlanCurve(start=start, weekly=weekly, task_budgets=budgets,
                     source="baseline tasks", baseline=baseline,
                     apportioned=sum(months.values(), ZERO))  # fmt: skip


def _line_months(project: Project, *, exclude: tuple[str, ...]) -> dict[dt.date, Decimal]:
    months: dict[dt.date, Decimal] = defaultdict(Decimal)
    rows = BudgetPeriod.objects.filter(line__project=project).exclude(line__category__in=exclude)
    for month, amount in rows.values_list("month", "amount"):
        months[month] += amount
    return dict(months)


def _spread_months(weekly: list[Decimal], start: dt.date, months: dict[dt.date, Decimal]) -> None:
    """Add each month's amount evenly over its calendar days to the weekly grid (grown as needed)."""
    for month, amount in months.items():
        days = (next_month(month) - month).days
        for offset in range(days):
            index = (month + dt.timedelta(days=offset) - start).days // 7
            while index >= len(weekly):
                weekly.append(Decimal(0))
            weekly[index] += amount / days


def _curve_from_budget(project: Project, leaves: set[int], baseline: Baseline | None) -> PlanCurve:
    # Contingency is a reserve: it enters the plan when it is moved to a line.
    months = _line_months(project, exclude=(BudgetCategory.CONTINGENCY,))
    if not months:
        start = week_start(project.start_date or timezone.localdate())
        return PlanCurve(start=start, weekly=[], task_budgets={}, source="none", baseline=baseline)
    start = week_start(min(months))
    weekly: list[Decimal] = []
    _spread_months(weekly, start, months)
    bac = sum(months.values(), ZERO)
    durations = dict(Task.objects.filter(pk__in=leaves).values_list("id", "duration_hours"))
    total_hours = sum(durations.values())
    budgets: dict[int, Decimal] = {}
    if durations:
        for task_id, hours in durations.items():
            budgets[task_id] = (
                bac * Decimal(hours) / Decimal(total_hours) if total_hours else bac / len(durations)
            )
    return PlanCurve(start=start, weekly=weekly, task_budgets=budgets,
                     source="budget lines", baseline=baseline)  # fmt: skip


def plan_curve(project: Project) -> PlanCurve:
    leaves, parents = _leaf_ids(project)
    baseline = Baseline.objects.filter(project=project, active=True).first()
    if baseline is not None:
        curve = _curve_from_baseline(project, baseline, parents)
        if curve is not None:
            return curve
    return _curve_from_budget(project, leaves, baseline)


def actual_cost_rows(
    project: Project, until: dt.date | None = None
) -> list[tuple[dt.date, Decimal, str]]:
    """Every dated actual cost: (date, amount, kind) with kind labour, expense or invoice."""
    labour = TimeEntry.objects.filter(project=project)
    expenses = Expense.objects.filter(project=project)
    invoices = InvoiceLine.objects.filter(
        invoice__order__project=project, invoice__match_state=MatchState.MATCHED
    )
    if until is not None:
        labour = labour.filter(date__lte=until)
        expenses = expenses.filter(date__lte=until)
        invoices = invoices.filter(invoice__date__lte=until)
    rows: list[tuple[dt.date, Decimal, str]] = []
    rows += [(d, c, "labour") for d, c in labour.values_list("date", "cost")]
    rows += [(d, a, "expense") for d, a in expenses.values_list("date", "amount")]
    rows += [
        (d, cents(q * p), "invoice")
        for d, q, p in invoices.values_list("invoice__date", "quantity", "unit_price")
    ]
    return rows


def _end_of_day(project: Project, day: dt.date) -> dt.datetime:
    """The moment ``day`` ends on the plan's calendar (the cut-off of a status date)."""
    zone = project.schedule_zone
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)


def _values_before(
    project: Project, object_type: str, field_name: str, cutoff: dt.datetime
) -> dict[str, Any]:
    """Per object id: the ``field_name`` value it had at ``cutoff``, for the objects whose
    field changed after it (the "before" of their first later change; a creation is not a
    change).

    One indexed query of the project's audit trail; objects absent from the answer have not
    changed since ``cutoff`` and keep their value now."""
    events = (
        AuditEvent.objects.filter(
            project=project,
            object_type=object_type,
            created_at__gte=cutoff,
            changes__has_key=field_name,
        )
        .exclude(action__endswith=".create")
        .order_by("created_at", "id")
        .values_list("object_id", "changes")
    )
    before: dict[str, Any] = {}
    for object_id, changes in events:
        pair = changes.get(field_name)
        if object_id not in before and isinstance(pair, list) and pair:
            before[object_id] = pair[0]
    return before


def progress_at(
    project: Project, leaves: set[int], status_date: dt.date
) -> tuple[dict[int, int], dict[int, TaskProgress], set[int]]:
    """Percent complete, progress rows (remaining hours as then) and completed task ids of the
    leaf tasks at the end of ``status_date``, replayed from the audit trail (module docstring)."""
    cutoff = _end_of_day(project, status_date)
    rows = Task.objects.filter(pk__in=leaves).values_list("id", "percent_complete", "completed_at")
    percent: dict[int, int] = {}
    completed: set[int] = set()
    for task_id, now_percent, completed_at in rows:
        percent[task_id] = now_percent
        if completed_at is not None and completed_at < cutoff:
            completed.add(task_id)
    for object_id, value in _values_before(project, "task", "percent_complete", cutoff).items():
        task_id = int(object_id)
        if task_id in percent:
            percent[task_id] = int(value or 0)
    progress = {p.task_id: p for p in TaskProgress.objects.filter(task_id__in=leaves)}
    by_pk = {str(p.pk): p for p in progress.values()}
    for object_id, value in _values_before(
        project, "taskprogress", "remaining_hours", cutoff
    ).items():
        row = by_pk.get(object_id)
        if row is not None:
            row.remaining_hours = None if value in (None, "") else Decimal(str(value))
    return percent, progress, completed


def project_evm(project: Project, status_date: dt.date) -> EvmResult:
    """Earned value of ``project`` at the end of ``status_date``."""
    curve = plan_curve(project)
    leaves, _ = _leaf_ids(project)
    percent, progress, completed = progress_at(project, leaves, status_date)
    tasks = []
    remaining = ZERO
    work = (
        dict(
            BaselineTask.objects.filter(baseline=curve.baseline, task_id__in=leaves).values_list(
                "task_id", "work_hours"
            )
        )
        if curve.baseline
        else {}
    )
    durations = dict(Task.objects.filter(pk__in=leaves).values_list("id", "duration_hours"))
    for task_id, budget in curve.task_budgets.items():
        pct = percent.get(task_id, 0)
        row = progress.get(task_id)
        method = (
            engine.EarnedValueMethod(row.ev_method) if row else engine.EarnedValueMethod.PHYSICAL
        )
        tasks.append(engine.TaskProgress(task=str(task_id), budget_at_completion=budget,
                                         percent_complete=pct, method=method))  # fmt: skip
        if row is not None and row.remaining_hours is not None:
            hours = work.get(task_id) or Decimal(durations.get(task_id) or 0)
            rate = budget / hours if hours else ZERO
            remaining += row.remaining_hours * rate
        else:
            remaining += budget * (100 - Decimal(pct)) / 100
    earned = sum((Decimal(str(engine.earned_value(t))) for t in tasks), ZERO)
    task_remaining = remaining
    if curve.apportioned:
        task_budget = sum(curve.task_budgets.values(), ZERO)
        fraction = earned / task_budget if task_budget else ZERO
        earned += curve.apportioned * fraction
        remaining += curve.apportioned * (1 - fraction)
    cost_rows = actual_cost_rows(project, status_date)
    actual = sum((amount for _, amount, _ in cost_rows), ZERO)
    at = curve.position(status_date)
    weekly = curve.weekly or [ZERO]
    bac = sum(curve.weekly, ZERO)
    elapsed = at
    if tasks and bac and earned >= bac:
        # Finished: the time it took ends at the last completion, not at the status date
        # (Lipke: SPI(t) = PD / actual duration), or a project done on plan would drift red.
        # Not before the planned duration: month-long budget lines can plan past the tasks.
        finished = list(
            Task.objects.filter(pk__in=curve.task_budgets).values_list("completed_at", flat=True)
        )
        if finished and all(finished) and set(curve.task_budgets) <= completed:
            zone = engine_calendar(project.calendar, time_zone=project.time_zone).zone
            last = max(_zone_day(moment, zone) for moment in finished if moment is not None)
            elapsed = min(at, max(curve.position(last), float(len(curve.weekly))))
    metrics = engine.evm_metrics_from_totals(
        budget_at_completion=bac,
        planned_value=engine.planned_value_at(weekly, at) if curve.weekly else 0,
        earned_value=earned,
        actual_cost=actual,
        estimate_to_complete=remaining if tasks else None,
        earned_schedule=engine.earned_schedule(weekly, earned) if curve.weekly else None,
        actual_time=elapsed if curve.weekly else None,
        planned_duration=len(curve.weekly) if curve.weekly else None,
    )
    ac_weekly: dict[int, Decimal] = defaultdict(Decimal)
    for day, amount, _ in cost_rows:
        ac_weekly[max((day - curve.start).days // 7, 0)] += amount
    horizon = max(len(curve.weekly), int(at) + 1 if at > 0 else 0)
    points = []
    planned_cum = actual_cum = ZERO
    for k in range(horizon):
        planned_cum += curve.weekly[k] if k < len(curve.weekly) else ZERO
        week_end = curve.week(k) + dt.timedelta(days=6)
        point: dict[str, Any] = {"week": curve.week(k).isoformat(), "pv": str(cents(planned_cum))}
        if curve.week(k) <= status_date:
            actual_cum += ac_weekly.get(k, ZERO)
            point["ac"] = str(cents(actual_cum))
            point["end"] = min(week_end, status_date).isoformat()
        points.append(point)

    def money_or_none(value: float | None) -> Decimal | None:
        return None if value is None else cents(value)

    return EvmResult(
        project=project, status_date=status_date, source=curve.source, currency=project.currency,
        budget_at_completion=cents(metrics.budget_at_completion),
        planned_value=cents(metrics.planned_value), earned_value=cents(metrics.earned_value),
        actual_cost=cents(metrics.actual_cost),
        schedule_variance=cents(metrics.schedule_variance),
        cost_variance=cents(metrics.cost_variance),
        spi=_ratio(metrics.schedule_performance_index),
        cpi=_ratio(metrics.cost_performance_index),
        eac_cpi=money_or_none(metrics.eac_cpi), eac_cpi_spi=money_or_none(metrics.eac_cpi_spi),
        eac_bottom_up=money_or_none(metrics.eac_bottom_up),
        estimate_at_completion=money_or_none(metrics.estimate_at_completion),
        estimate_to_complete=money_or_none(metrics.estimate_to_complete),
        variance_at_completion=money_or_none(metrics.variance_at_completion),
        tcpi_bac=_ratio(metrics.to_complete_performance_index_bac),
        tcpi_eac=_ratio(metrics.to_complete_performance_index_eac),
        earned_schedule_weeks=_ratio(metrics.earned_schedule),
        actual_time_weeks=_ratio(metrics.actual_time),
        spi_t=_ratio(metrics.schedule_performance_index_time),
        sv_t_weeks=_ratio(metrics.schedule_variance_time),
        planned_duration_weeks=len(curve.weekly),
        percent_complete=(earned / bac * 100).quantize(Decimal("0.1")) if bac else ZERO,
        percent_spent=(actual / bac * 100).quantize(Decimal("0.1")) if bac else ZERO,
        curve=points, remaining_task_work=cents(task_remaining),
    )  # fmt: skip


def evm_snapshot_take(project: Project, status_date: dt.date) -> EvmSnapshot:
    """Store (or refresh) the snapshot of the week that holds ``status_date``: idempotent."""
    result = project_evm(project, status_date)
    snapshot, _ = EvmSnapshot.objects.update_or_create(
        project=project,
        week_start=week_start(status_date),
        defaults={
            "status_date": status_date,
            "budget_at_completion": result.budget_at_completion,
            "planned_value": result.planned_value,
            "earned_value": result.earned_value,
            "actual_cost": result.actual_cost,
            "spi": result.spi,
            "cpi": result.cpi,
            "estimate_at_completion": result.estimate_at_completion,
        },
    )
    return snapshot


def labour_cost_total(project: Project) -> Decimal:
    return TimeEntry.objects.filter(project=project).aggregate(total=Sum("cost"))["total"] or ZERO
