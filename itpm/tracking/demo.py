"""Demo data of tracking: budgets, rates and a costed baseline, time, procurement (HWDC, with a
mismatched invoice), a weekly EVM history and a status report.

Actual cost follows the progress the portfolio demo set: the assignees log each started task's
hours (its duration × the project's cost factor, × its percent complete while in progress),
and every non-labour line has spent its earned share × that factor (HWDC's matched rack
invoice counts towards its hardware line). NET runs about 10 % over budget; HWDC trails its
plan (see ``behind_weeks`` in the portfolio demo); the others are on track.

The weekly history before today is synthesized (the percent complete of past weeks was never
recorded in a fresh demo): PV and AC are the real figures at each week's end, EV follows PV
with an SPI drifting from 1.0 to today's value.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from itpm.accounts.models import User
from itpm.planning.models import Assignment, Baseline, Resource, ResourceRate, Task, TaskStatus
from itpm.planning.resource_services import baseline_create, task_work_and_cost
from itpm.planning.scheduling import deferred_rescheduling
from itpm.portfolio.demo import demo_shift
from itpm.portfolio.models import Project, Stage
from itpm.tracking import procurement, reports, services, timesheets
from itpm.tracking.earned_value import plan_curve, project_evm
from itpm.tracking.models import BudgetCategory, EvmSnapshot, InvoiceLine, MatchState, TimeEntry
from itpm.tracking.money import cents, month_start, next_month, week_start

# Actual over planned cost per project (1 = on budget).
COST_FACTOR = {"NET": Decimal("1.10"), "HWDC": Decimal("1.02"), "CLOUD": Decimal("0.98")}
RATES = {"pm": 110, "dana": 95, "sam": 85, "lee": 90, "kim": 100, "ops": 75, "pat": 70, "cio": 150}
EXTRA_LINES: dict[str, list[tuple[str, str, int]]] = {
    # project: (category, name, amount)
    "HWDC": [(BudgetCategory.HARDWARE, "Racks, PDUs and switches", 240_000),
             (BudgetCategory.CONTRACTORS, "Cabling contractor", 36_000),
             (BudgetCategory.SOFTWARE, "DCIM licences", 12_000)],
    "CLOUD": [(BudgetCategory.CLOUD, "Landing zone consumption", 48_000),
              (BudgetCategory.CONTRACTORS, "Migration partner", 60_000),
              (BudgetCategory.TRAINING, "Cloud training", 8_000)],
    "NET": [(BudgetCategory.HARDWARE, "Access switches and APs", 180_000),
            (BudgetCategory.CONTRACTORS, "Site survey", 14_000)],
    "PORTAL": [(BudgetCategory.SOFTWARE, "CMS licences", 24_000),
               (BudgetCategory.CLOUD, "Hosting", 9_000)],
    "SDESK": [(BudgetCategory.SOFTWARE, "Service desk tool licences", 30_000),
              (BudgetCategory.TRAINING, "Agent training", 6_000)],
}  # fmt: skip


def _months(start: dt.date, finish: dt.date) -> list[dt.date]:
    months, month = [], month_start(start)
    while month <= finish:
        months.append(month)
        month = next_month(month)
    return months or [month_start(start)]


def _spread_days(amount: Decimal, first: dt.date, last: dt.date) -> dict[dt.date, Decimal]:
    """``amount`` over the months of ``first``..``last`` by the days of each in the span."""
    days = (last - first).days + 1
    result: dict[dt.date, Decimal] = {}
    for month in _months(first, last):
        inside = (min(next_month(month), last + dt.timedelta(days=1)) - max(month, first)).days
        result[month] = amount * inside / days
    return result


def _spread_like(amount: Decimal, weights: dict[dt.date, Decimal]) -> dict[str, str]:
    """``amount`` over the months of ``weights`` in proportion to them."""
    total = sum(weights.values(), Decimal(0))
    months = sorted(m for m, w in weights.items() if w > 0)
    result: dict[str, str] = {}
    left = amount
    for n, month in enumerate(months):
        share = left if n == len(months) - 1 else cents(amount * weights[month] / total)
        result[month.strftime("%Y-%m")] = str(share)
        left -= share
    return result


def _spread(amount: Decimal, months: list[dt.date]) -> dict[str, str]:
    share = cents(amount / len(months))
    result = {m.strftime("%Y-%m"): str(share) for m in months}
    result[months[-1].strftime("%Y-%m")] = str(amount - share * (len(months) - 1))
    return result


def _resources(users: dict[str, User]) -> None:
    for username, rate in RATES.items():
        user = users.get(username)
        if user is None:
            continue
        resource = Resource.objects.filter(user=user).first()
        if resource is None:
            resource = Resource.objects.create(name=user.display_name, user=user,
                                               cost_rate=Decimal(rate))  # fmt: skip
        if not resource.rates.exists():
            # A yearly raise on 1 October shows rates changing over time.
            ResourceRate.objects.create(resource=resource, valid_from=dt.date(2025, 1, 1),
                                        rate=Decimal(rate) - 5)  # fmt: skip
            ResourceRate.objects.create(resource=resource,
                                        valid_from=dt.date(2026, 10, 1) + demo_shift(),
                                        rate=Decimal(rate))  # fmt: skip


def _assign(project: Project) -> None:
    """Put each leaf task's assignees' resources on it (the plan's cost comes from them)."""
    rows = []
    for task in Task.objects.filter(project=project, children__isnull=True, milestone=False):
        for user in task.assignees.all():
            resource = Resource.objects.filter(user=user).first()
            if resource and not Assignment.objects.filter(task=task, resource=resource).exists():
                rows.append(Assignment(project=project, task=task, resource=resource))
    Assignment.objects.bulk_create(rows)


def _budget(project: Project, pm: User) -> None:
    start = project.start_date or timezone.localdate()
    finish = project.target_date or start + dt.timedelta(weeks=12)
    costs = task_work_and_cost(project)
    labour: dict[dt.date, Decimal] = defaultdict(Decimal)
    leaves = Task.objects.filter(project=project, children__isnull=True)
    for task in leaves:
        cost = costs.get(task.pk, (Decimal(0), Decimal(0)))[1]
        first = (task.planned_start or timezone.now()).date()
        last = task.planned_finish.date() if task.planned_finish else first
        for month, share in _spread_days(cost, first, max(first, last)).items():
            labour[month] += share
    if labour:
        services.budget_line_create(
            actor=pm, project=project, category=BudgetCategory.INTERNAL_LABOUR,
            name="Project team", months={m.strftime("%Y-%m"): str(cents(a)) for m, a in labour.items() if a},
        )  # fmt: skip
    # The other lines are spent while the work is done: over the months of the plan.
    starts = [t.planned_start.date() for t in leaves if t.planned_start]
    finishes = [t.planned_finish.date() for t in leaves if t.planned_finish]
    if starts and finishes:
        start, finish = min(starts), max(finishes)
    months = _months(start, finish)
    total = sum(labour.values(), Decimal(0))
    for category, name, amount in EXTRA_LINES.get(project.key, []):
        # EVM earns every line with the work's progress (apportioned effort), so each is
        # planned like the work: a month holds the share of the labour planned in it.
        services.budget_line_create(actor=pm, project=project, category=category, name=name,
                                    months=_spread_like(Decimal(amount), labour)
                                    or _spread(Decimal(amount), months))  # fmt: skip
        total += amount
    services.budget_line_create(actor=pm, project=project, category=BudgetCategory.CONTINGENCY,
                                name="Contingency", months=_spread(cents(total / 10), months[-2:]))  # fmt: skip
    finance = services.finance_get(project)
    services.project_finance_update(
        actor=pm, project=project, version=finance.version,
        data={"management_reserve": str(cents(total / 20)),
              "report_recipients": ["pmo@example.com"]},
    )  # fmt: skip


def _time(project: Project, today: dt.date, booked: dict[tuple[int, dt.date], Decimal]) -> None:
    """Assignees log the hours of started tasks from their planned start (or, for a task
    finished ahead of its plan, from the weeks before it was finished) up to today."""
    tasks = Task.objects.filter(
        project=project, children__isnull=True, milestone=False,
        status__in=(TaskStatus.DONE, TaskStatus.IN_PROGRESS),
    ).order_by("planned_start", "pk").prefetch_related("assignees")  # fmt: skip
    cost_factor = COST_FACTOR.get(project.key, Decimal(1))
    for index, task in enumerate(tasks):
        if task.planned_start is None:
            continue
        factor = cost_factor + (Decimal("0.06") if index % 3 == 0 else Decimal("-0.03"))
        hours_left = Decimal(task.duration_hours) * factor
        if task.status == TaskStatus.IN_PROGRESS:
            hours_left = hours_left * Decimal(task.percent_complete) / 100
        day = task.planned_start.date()
        ended = task.completed_at.date() if task.completed_at else today
        if day > min(ended, today):
            day = min(ended, today) - dt.timedelta(days=int(hours_left / 2) + 21)
        for user in task.assignees.all():
            left = hours_left
            while left > 0 and day <= today:
                if day.weekday() < 5:
                    free = Decimal(8) - booked.get((user.pk, day), Decimal(0))
                    hours = min(free, left, Decimal("7.5"))
                    if hours > 0:
                        timesheets.time_entry_create(actor=user, task=task, date=day,
                                                     hours=hours.quantize(Decimal("0.5")) or Decimal("0.5"),
                                                     notes="")  # fmt: skip
                        booked[(user.pk, day)] = booked.get((user.pk, day), Decimal(0)) + hours
                        left -= hours
                day += dt.timedelta(days=1)


def _spent_to_date(project: Project, pm: User, today: dt.date) -> None:
    """Each non-labour line has spent its earned share × the cost factor by today, booked as
    weekly expenses in step with the hours logged (matched invoices count first)."""
    curve = plan_curve(project)
    if not curve.task_budgets:
        return
    percent = dict(
        Task.objects.filter(pk__in=curve.task_budgets).values_list("id", "percent_complete")
    )
    total = sum(curve.task_budgets.values(), Decimal(0))
    earned = sum((b * percent.get(t, 0) / 100 for t, b in curve.task_budgets.items()), Decimal(0))
    fraction = earned / total if total else Decimal(0)
    factor = COST_FACTOR.get(project.key, Decimal(1))
    # Spent in step with the work: each week's share is the share of the hours logged in it.
    work: dict[dt.date, Decimal] = defaultdict(Decimal)
    for day, hours in TimeEntry.objects.filter(project=project).values_list("date", "hours"):
        work[week_start(day)] += hours
    weekly_work = sorted((m, h) for m, h in work.items() if h > 0)
    work_total = sum(work.values(), Decimal(0))
    lines = project.budget_lines.exclude(
        category__in=(BudgetCategory.INTERNAL_LABOUR, BudgetCategory.CONTINGENCY)
    ).prefetch_related("periods")
    for line in lines:
        planned = {p.month: p.amount for p in line.periods.all()}
        invoices = [
            (row.invoice.date, cents(row.quantity * row.unit_price))
            for row in InvoiceLine.objects.filter(
                order_line__order__line=line, invoice__match_state=MatchState.MATCHED,
                invoice__date__lte=today,
            ).select_related("invoice")
        ]  # fmt: skip
        target = sum(planned.values(), Decimal(0)) * fraction * factor
        spent, done_hours = Decimal(0), Decimal(0)
        for monday, week_hours in weekly_work:
            # By each week's end the line has spent its share of the work so far.
            day = min(monday + dt.timedelta(days=4), today)
            done_hours += week_hours
            invoiced = sum((amount for when, amount in invoices if when <= day), Decimal(0))
            amount = cents(target * done_hours / work_total) - spent - invoiced
            if amount <= 0:
                continue
            services.expense_create(
                actor=pm, project=project, line=line, date=day, amount=amount,
                description=f"{line.name}: week of {monday:%d %b %Y}",
            )  # fmt: skip
            spent += amount


def _approve_old_weeks(users: dict[str, User], today: dt.date) -> None:
    from itpm.tracking.models import Timesheet

    pm = users["pm"]
    current = week_start(today)
    weeks = set(
        Timesheet.objects.filter(
            week_start__lt=current - dt.timedelta(days=7), state="open"
        ).values_list("user_id", "week_start")
    )
    people = {u.pk: u for u in users.values()}
    for user_id, monday in sorted(weeks):
        timesheets.timesheet_submit(actor=people[user_id], monday=monday)
    for sheet in Timesheet.objects.filter(state="submitted").select_related("project"):
        if sheet.project is not None:
            timesheets.timesheet_approve(actor=pm, sheet=sheet, version=sheet.version)


def _procurement(project: Project, users: dict[str, User], today: dt.date) -> None:
    pm, pat, dana = users["pm"], users["pat"], users["sam"]
    hardware = project.budget_lines.get(category=BudgetCategory.HARDWARE)
    racks = procurement.purchase_request_create(
        actor=dana, project=project, title="Racks and PDUs for cage F2", vendor="Rittal GmbH",
        line=hardware, justification="Twelve 42U racks with metered PDUs, per the cage design.",
        items=[{"description": "42U server rack", "quantity": "12", "unit_price": "9200.00", "is_hardware": True},
               {"description": "Metered PDU", "quantity": "24", "unit_price": "1150.00", "is_hardware": True}],
        submit=True,
    )  # fmt: skip
    racks = procurement.purchase_request_approve(actor=pat, request=racks, version=racks.version,
                                                 comment="Framework agreement FA-114")  # fmt: skip
    racks = procurement.purchase_request_approve(actor=pm, request=racks, version=racks.version)
    order = procurement.purchase_order_create(actor=pat, request=racks,
                                              order_date=today - dt.timedelta(days=60))  # fmt: skip
    rack_line, pdu_line = list(order.lines.all())
    procurement.goods_receipt_create(
        actor=dana, order=order, date=today - dt.timedelta(days=40), note="First delivery",
        lines=[{"line": rack_line.pk, "quantity": "8"}, {"line": pdu_line.pk, "quantity": "16"}],
    )  # fmt: skip
    procurement.invoice_record(
        actor=pat, order=order, number="RIT-2026-4471", date=today - dt.timedelta(days=35),
        lines=[{"line": rack_line.pk, "quantity": "8", "unit_price": "9200.00"},
               {"line": pdu_line.pk, "quantity": "16", "unit_price": "1150.00"}],
    )  # fmt: skip
    procurement.goods_receipt_create(
        actor=dana, order=order, date=today - dt.timedelta(days=12), note="Second delivery",
        lines=[{"line": rack_line.pk, "quantity": "4"}],
    )  # fmt: skip
    # The supplier bills the remaining racks at a higher price and PDUs not yet delivered.
    procurement.invoice_record(
        actor=pat, order=order, number="RIT-2026-4620", date=today - dt.timedelta(days=8),
        lines=[{"line": rack_line.pk, "quantity": "4", "unit_price": "9650.00"},
               {"line": pdu_line.pk, "quantity": "8", "unit_price": "1150.00"}],
    )  # fmt: skip
    contractors = project.budget_lines.get(category=BudgetCategory.CONTRACTORS)
    procurement.purchase_request_create(
        actor=dana, project=project, title="Structured cabling, rows C–D", vendor="NetWire AG",
        line=contractors, justification="Fibre trunks and copper patching for rows C and D.",
        items=[{"description": "Cabling work package", "quantity": "1", "unit_price": "14800.00"}],
        submit=True,
    )  # fmt: skip


def _history(project: Project, today: dt.date) -> None:
    now = project_evm(project, today)
    if not now.planned_value:
        return
    spi_now = float(now.spi or 1)
    start = project.start_date or today
    sunday = week_start(start) + dt.timedelta(days=6)
    weeks = []
    while sunday < week_start(today):
        weeks.append(sunday)
        sunday += dt.timedelta(days=7)
    for index, day in enumerate(weeks):
        evm = project_evm(project, day)
        drift = 1 + (spi_now - 1) * (index + 1) / (len(weeks) + 1)
        earned = min(cents(float(evm.planned_value) * drift), now.earned_value)
        EvmSnapshot.objects.update_or_create(
            project=project, week_start=week_start(day),
            defaults={"status_date": day, "budget_at_completion": evm.budget_at_completion,
                      "planned_value": evm.planned_value, "earned_value": earned,
                      "actual_cost": evm.actual_cost,
                      "spi": (earned / evm.planned_value).quantize(Decimal("0.001")) if evm.planned_value else None,
                      "cpi": (earned / evm.actual_cost).quantize(Decimal("0.001")) if evm.actual_cost else None,
                      "estimate_at_completion": None},
        )  # fmt: skip
    from itpm.tracking.earned_value import evm_snapshot_take

    evm_snapshot_take(project, today)


def load_tracking_demo(users: dict[str, User]) -> None:
    today = timezone.localdate()
    pm = users["pm"]
    _resources(users)
    booked: dict[tuple[int, dt.date], Decimal] = {}
    projects = list(Project.objects.exclude(stage=Stage.INITIATION).order_by("key"))
    for project in projects:
        with deferred_rescheduling():
            _assign(project)
        if project.archived or project.stage == Stage.CLOSED:
            continue
        _budget(project, pm)
        if not Baseline.objects.filter(project=project, active=True).exists():
            baseline_create(actor=pm, project=project, name="Approved plan")
        _time(project, today, booked)
    _approve_old_weeks(users, today)
    hwdc = Project.objects.filter(key="HWDC").first()
    if hwdc is not None:
        _procurement(hwdc, users, today)
    for project in projects:
        if not project.archived and project.stage != Stage.CLOSED:
            _spent_to_date(project, pm, today)
    for project in projects:
        if project.stage in (Stage.EXECUTION, Stage.MONITORING, Stage.CLOSING):
            _history(project, today)
    if hwdc is not None:
        report = reports.status_report_generate(actor=pm, project=hwdc, status_date=today)
        reports.status_report_update(
            actor=pm, report=report, version=report.version,
            data={"summary": "Racks 1–8 are installed and powered; the second rack delivery "
                             "arrived two weeks late and the supplier invoiced the last four racks "
                             "above the framework price (invoice on hold).",
                  "commentary": {"schedule": "Rack delivery slipped; commissioning resequenced."},
                  "decisions_needed": "Approve weekend work for rows C–D cabling (NetWire AG).",
                  "publish": True},
        )  # fmt: skip
