"""Business case: cash flows per period and the figures a gate decision needs.

Amounts are stored as positive ``Decimal`` money; the sign comes from the line's kind
(costs out, benefits in). The yearly discount rate in percent is converted once, here, to
the rate of one period, and the engine (``itpm.engine.finance``) does the arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import transaction

from itpm.accounts.models import Role, User
from itpm.accounts.permissions import get_visible_project, require_role
from itpm.core.errors import FieldError, Forbidden, Invalid
from itpm.core.services import apply_changes, audit, check_version, save_versioned
from itpm.engine import finance
from itpm.portfolio.intake import MAX_MONEY, is_portfolio_manager
from itpm.portfolio.models import (
    PERIODS_PER_YEAR,
    BusinessCase,
    CashFlowLine,
    FlowCategory,
    FlowKind,
    Periodicity,
    Project,
    Scenario,
)

MAX_PERIODS = 240  # twenty years of months
CASE_FIELDS = ("periodicity", "discount_rate", "strategic_fit", "summary")
SENSITIVITY_STEPS = (Decimal("-0.2"), Decimal("-0.1"), Decimal(0), Decimal("0.1"), Decimal("0.2"))
CENT = Decimal("0.01")


@dataclass
class Metrics:
    """What the case says, for one scenario (planned or realized)."""

    periods: int
    rate_per_period: float
    costs: list[Decimal]
    benefits: list[Decimal]
    net: list[Decimal]
    cumulative: list[Decimal]
    total_cost: Decimal
    total_benefit: Decimal
    npv: Decimal | None
    irr: float | None  # per period
    irr_yearly: float | None
    roi: float | None
    payback_periods: float | None
    discounted_payback_periods: float | None
    benefit_cost_ratio: float | None
    sensitivity: list[dict[str, Any]] = field(default_factory=list)


def period_rate(yearly_percent: Decimal, periodicity: str) -> float:
    """A yearly rate in percent as the equivalent compound rate of one period."""
    per_year = PERIODS_PER_YEAR[Periodicity(periodicity)]
    return float((1 + float(yearly_percent) / 100) ** (1 / per_year) - 1)


def _series(lines: list[CashFlowLine], periods: int) -> tuple[list[Decimal], list[Decimal]]:
    costs = [Decimal(0)] * periods
    benefits = [Decimal(0)] * periods
    for line in lines:
        if line.kind == FlowKind.BENEFIT:
            benefits[line.period] += line.amount
        else:
            costs[line.period] += line.amount
    return costs, benefits


def _npv(rate: float, net: list[Decimal]) -> Decimal:
    return Decimal(str(round(finance.npv(rate, net), 2))).quantize(CENT)


def compute(case: BusinessCase, scenario: str = Scenario.PLANNED) -> Metrics | None:
    """The figures of one scenario, or None while it has no lines.

    The realized scenario is what portfolio managers recorded (benefits, running costs)
    plus the project's actual costs from time entries, expenses and matched invoices.
    """
    lines = [line for line in case.lines.all() if line.scenario == scenario]
    if scenario == Scenario.REALIZED:
        lines += actual_cost_lines(case.project, case.periodicity)
    if not lines:
        return None
    periods = max(line.period for line in lines) + 1
    if scenario == Scenario.REALIZED:
        # Realized figures are read against the plan's horizon, so both charts line up.
        planned = [line.period for line in case.lines.all() if line.scenario == Scenario.PLANNED]
        periods = max([periods, *(p + 1 for p in planned)])
    costs, benefits = _series(lines, periods)
    net = [b - c for b, c in zip(benefits, costs, strict=True)]
    cumulative: list[Decimal] = []
    running = Decimal(0)
    for value in net:
        running += value
        cumulative.append(running)
    rate = period_rate(case.discount_rate, case.periodicity)
    per_year = PERIODS_PER_YEAR[Periodicity(case.periodicity)]
    irr = finance.irr(net)
    metrics = Metrics(
        periods=periods,
        rate_per_period=rate,
        costs=costs,
        benefits=benefits,
        net=net,
        cumulative=cumulative,
        total_cost=sum(costs, Decimal(0)),
        total_benefit=sum(benefits, Decimal(0)),
        npv=_npv(rate, net),
        irr=irr,
        irr_yearly=(1 + irr) ** per_year - 1 if irr is not None and irr > -1 else None,
        roi=finance.roi(sum(benefits, Decimal(0)), sum(costs, Decimal(0))),
        payback_periods=finance.payback_period(net),
        discounted_payback_periods=finance.discounted_payback_period(rate, net),
        benefit_cost_ratio=finance.benefit_cost_ratio(rate, benefits, costs),
    )
    metrics.sensitivity = sensitivity(case, costs, benefits)
    return metrics


def sensitivity(
    case: BusinessCase, costs: list[Decimal], benefits: list[Decimal]
) -> list[dict[str, Any]]:
    """NPV when benefits and the discount rate move by ±10 % and ±20 % (relative).

    One row per benefit change; each row holds one NPV per discount-rate change.
    """
    rows = []
    for benefit_step in SENSITIVITY_STEPS:
        factor = 1 + benefit_step
        net = [b * factor - c for b, c in zip(benefits, costs, strict=True)]
        cells = []
        for rate_step in SENSITIVITY_STEPS:
            yearly = case.discount_rate * (1 + rate_step)
            cells.append(
                {
                    "rate_change": float(rate_step),
                    "discount_rate": float(yearly.quantize(CENT)),
                    "npv": _npv(period_rate(yearly, case.periodicity), net),
                }
            )
        rows.append({"benefit_change": float(benefit_step), "cells": cells})
    return rows


def chart(metrics: Metrics | None, realized: Metrics | None = None) -> dict[str, Any] | None:
    """Cumulative cash flow as SVG coordinates (viewBox 0 0 600 240) with axis labels."""
    if metrics is None:
        return None
    series = [metrics.cumulative] + ([realized.cumulative] if realized else [])
    values = [v for s in series for v in s] + [Decimal(0)]
    low, high = float(min(values)), float(max(values))
    span = (high - low) or 1.0
    count = max(len(s) for s in series)
    width, height, left, top = 560.0, 200.0, 30.0, 20.0

    def x(i: int) -> float:
        return left + (width * i / max(count - 1, 1))

    def y(v: Decimal | float) -> float:
        return top + height - (float(v) - low) / span * height

    def points(s: list[Decimal]) -> str:
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s))

    return {
        "planned": points(metrics.cumulative),
        "realized": points(realized.cumulative) if realized else "",
        "zero_y": f"{y(0):.1f}",
        "high": Decimal(str(high)).quantize(Decimal(1)),
        "low": Decimal(str(low)).quantize(Decimal(1)),
        "dots": [
            {"x": f"{x(i):.1f}", "y": f"{y(v):.1f}", "period": i, "value": v}
            for i, v in enumerate(metrics.cumulative)
        ],
        "count": count,
        "rows": [
            {"period": i, "cost": c, "benefit": b, "net": n, "cumulative": cu}
            for i, (c, b, n, cu) in enumerate(
                zip(metrics.costs, metrics.benefits, metrics.net, metrics.cumulative, strict=True)
            )
        ],
    }


# ---------------------------------------------------------------------------- the budget hook
# The tracking app's budget categories as business-case cost categories. Cloud and training
# are bought services; contingency is money the plan holds back, so it stays "other".
BUDGET_TO_FLOW = {
    "internal_labour": FlowCategory.INTERNAL_LABOUR,
    "contractors": FlowCategory.SERVICES,
    "hardware": FlowCategory.HARDWARE,
    "software": FlowCategory.LICENCES,
    "cloud": FlowCategory.SERVICES,
    "training": FlowCategory.SERVICES,
    "contingency": FlowCategory.OTHER,
    "other": FlowCategory.OTHER,
}
# Actual costs by the tracking app's kind: time entries, expenses, matched supplier invoices.
ACTUAL_TO_FLOW = {
    "labour": FlowCategory.INTERNAL_LABOUR,
    "expense": FlowCategory.OTHER,
    "invoice": FlowCategory.SERVICES,
}


def _tracking() -> bool:
    return apps.is_installed("itpm.tracking")


def case_anchor(project: Project) -> dt.date | None:
    """The first day of period 0: the project's start month, else its first budget month,
    else the month of its first actual cost; None while there is nothing to place."""
    if project.start_date is not None:
        return project.start_date.replace(day=1)
    if not _tracking():
        return None
    from itpm.tracking.earned_value import actual_cost_rows
    from itpm.tracking.selectors import project_budget_by_month

    months = list(project_budget_by_month(project))
    days = [row[0] for row in actual_cost_rows(project)]
    first = min([*months, *days], default=None)
    return first.replace(day=1) if first else None


def period_of(anchor: dt.date, day: dt.date, periodicity: str) -> int:
    """The case period a date falls in (dates before the anchor count to period 0)."""
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    per_year = PERIODS_PER_YEAR[Periodicity(periodicity)]
    return min(max(months // (12 // per_year), 0), MAX_PERIODS - 1)


def budget_cost_lines(
    project: Project, periodicity: str | None = None
) -> list[dict[str, Any]] | None:
    """The plan's budget as business-case cost lines (one-off costs per category and period).

    None while the tracking app is not installed; an empty list while the project has no
    budget. Lines are in the shape of ``business_case_save(lines=...)``.
    """
    if not _tracking():
        return None
    from itpm.tracking.models import BudgetPeriod

    periodicity = periodicity or Periodicity.YEAR
    rows = list(
        BudgetPeriod.objects.filter(line__project=project).values_list(
            "line__category", "month", "amount"
        )
    )
    anchor = case_anchor(project)
    if not rows or anchor is None:
        return []
    totals: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for category, month, amount in rows:
        totals[
            (
                BUDGET_TO_FLOW.get(category, FlowCategory.OTHER),
                period_of(anchor, month, periodicity),
            )
        ] += amount
    return [
        {"kind": FlowKind.ONE_OFF_COST, "category": category, "period": period,
         "amount": amount.quantize(CENT), "description": "from the project budget"}
        for (category, period), amount in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]  # fmt: skip


def actual_cost_lines(project: Project, periodicity: str) -> list[CashFlowLine]:
    """The project's actual costs so far (labour, expenses, matched invoices) as unsaved
    realized one-off cost lines, per category and period."""
    if not _tracking():
        return []
    from itpm.tracking.earned_value import actual_cost_rows

    rows = actual_cost_rows(project)
    anchor = case_anchor(project)
    if not rows or anchor is None:
        return []
    totals: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for day, amount, kind in rows:
        totals[
            (ACTUAL_TO_FLOW.get(kind, FlowCategory.OTHER), period_of(anchor, day, periodicity))
        ] += amount
    return [
        CashFlowLine(scenario=Scenario.REALIZED, kind=FlowKind.ONE_OFF_COST, category=category,
                     period=period, amount=amount.quantize(CENT),
                     description="actual cost (time, expenses, invoices)")
        for (category, period), amount in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if amount
    ]  # fmt: skip


# ---------------------------------------------------------------------------- reads
def case_project(*, user: Any, key: str) -> Project:
    """The project whose business case ``user`` may read.

    Portfolio managers read every project's case: they rank the whole portfolio on them and
    record realized figures for as long as the service runs, usually without being a member
    of the (by then archived) project. Everyone else reads the cases of their projects.
    """
    if is_portfolio_manager(user):
        project = Project.objects.filter(key=str(key).upper()).first()
        if project is not None:
            return project
    return get_visible_project(user, key)


# ---------------------------------------------------------------------------- writes
def _clean_lines(lines: list[dict[str, Any]], field_name: str) -> list[dict[str, Any]]:
    cleaned = []
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        where = f"{field_name}.{index}"
        kind, category = line.get("kind"), line.get("category") or FlowCategory.OTHER
        period, amount = line.get("period"), line.get("amount")
        if kind not in FlowKind.values:
            errors.append(
                FieldError(f"{where}.kind", f"must be one of {', '.join(FlowKind.values)}")
            )
        if category not in FlowCategory.values:
            errors.append(
                FieldError(f"{where}.category", f"must be one of {', '.join(FlowCategory.values)}")
            )
        if not isinstance(period, int) or not 0 <= period < MAX_PERIODS:
            errors.append(FieldError(f"{where}.period", f"must be from 0 to {MAX_PERIODS - 1}"))
        try:
            money = Decimal(str(amount)).quantize(CENT)
        except ArithmeticError:
            errors.append(FieldError(f"{where}.amount", "must be a number"))
            continue
        if not Decimal(0) <= money <= MAX_MONEY:
            errors.append(FieldError(f"{where}.amount", "must be from 0 to 99,999,999,999,999.99"))
        description = str(line.get("description") or "")
        if len(description) > 200:
            errors.append(FieldError(f"{where}.description", "at most 200 characters"))
        cleaned.append(
            {"kind": kind, "category": category, "period": period, "amount": money,
             "description": description}
        )  # fmt: skip
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    return cleaned


def _validate_case(data: dict[str, Any]) -> None:
    errors: list[FieldError] = []
    if "periodicity" in data and data["periodicity"] not in Periodicity.values:
        errors.append(FieldError("periodicity", "must be month, quarter or year"))
    rate = data.get("discount_rate")
    try:
        in_range = rate is None or Decimal(0) <= Decimal(str(rate)) <= Decimal(100)
    except ArithmeticError:
        in_range = False
    if not in_range:
        errors.append(FieldError("discount_rate", "must be from 0 to 100 (percent a year)"))
    fit = data.get("strategic_fit")
    if fit is not None and fit not in (1, 2, 3, 4, 5):
        errors.append(FieldError("strategic_fit", "must be from 1 to 5"))
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


def _snapshot(lines: list[dict[str, Any]]) -> list[str]:
    return [f"{x['kind']} {x['category']} p{x['period']} {x['amount']}" for x in lines]


def _replace_lines(case: BusinessCase, scenario: str, lines: list[dict[str, Any]]) -> list[Any]:
    rows = case.lines.filter(scenario=scenario).values("kind", "category", "period", "amount")
    before = _snapshot([dict(row) for row in rows])
    case.lines.filter(scenario=scenario).delete()
    CashFlowLine.objects.bulk_create(
        CashFlowLine(business_case=case, scenario=scenario, **line) for line in lines
    )
    return [before, _snapshot(lines)]


def business_case_save(
    *,
    actor: User,
    project: Project,
    version: int | None,
    data: dict[str, Any],
    lines: list[dict[str, Any]] | None = None,
) -> BusinessCase:
    """Create or replace the case: its settings and (if given) all its planned lines."""
    unknown = set(data) - set(CASE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    require_role(actor, project, Role.MANAGER)
    _validate_case(data)
    if data.get("discount_rate") is not None:
        # Stored as given otherwise: a "8" from a form or script stayed a str on the
        # instance and broke the figures computed from it in the same request.
        data = {**data, "discount_rate": Decimal(str(data["discount_rate"])).quantize(CENT)}
    cleaned = _clean_lines(lines, "lines") if lines is not None else None
    with transaction.atomic():
        case, created = BusinessCase.objects.select_for_update().get_or_create(project=project)
        if not created:
            check_version(case, version)
        changes = apply_changes(case, data)
        if cleaned is not None:
            line_change = _replace_lines(case, Scenario.PLANNED, cleaned)
            if line_change[0] != line_change[1]:
                changes["lines"] = line_change
        if changes or created:
            if not created:
                save_versioned(case, [name for name in changes if name != "lines"])
            else:
                case.save()
            audit(
                actor=actor,
                action="business_case.create" if created else "business_case.update",
                obj=case,
                project=project,
                changes=changes,
            )
    return case


def business_case_record_realized(
    *, actor: User, project: Project, version: int | None, lines: list[dict[str, Any]]
) -> BusinessCase:
    """Replace the realized cash flows (actual costs, benefits as they come in).

    Portfolio managers record them for as long as the service runs, which is usually long
    after the project was handed over and archived, so this is the one business-case write
    an archived project accepts.
    """
    if not is_portfolio_manager(actor):
        require_role(actor, project, Role.VIEWER, write=False)  # outsiders: 404
        raise Forbidden("only portfolio managers record realized benefits")
    cleaned = _clean_lines(lines, "lines")
    with transaction.atomic():
        case = BusinessCase.objects.select_for_update().filter(project=project).first()
        if case is None:
            raise Invalid.field("lines", "write the business case before realized figures")
        check_version(case, version)
        change = _replace_lines(case, Scenario.REALIZED, cleaned)
        save_versioned(case, [])
        audit(
            actor=actor,
            action="business_case.realized",
            obj=case,
            project=project,
            changes={"realized": change},
        )
    return case


def business_case_pull_budget(
    *, actor: User, project: Project, version: int | None
) -> BusinessCase:
    """Replace the case's planned one-off costs with the plan's budget (per category and
    period); running costs and benefits stay as written."""
    require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        case, created = BusinessCase.objects.select_for_update().get_or_create(project=project)
        if not created:
            check_version(case, version)
        budget = budget_cost_lines(project, case.periodicity)
        if budget is None:
            raise Invalid.field("budget", "budgets are not installed")
        if not budget:
            raise Invalid.field("budget", f"{project.key} has no budget lines yet")
        kept = [
            {"kind": x.kind, "category": x.category, "period": x.period, "amount": x.amount,
             "description": x.description}
            for x in case.lines.filter(scenario=Scenario.PLANNED).exclude(kind=FlowKind.ONE_OFF_COST)
        ]  # fmt: skip
        change = _replace_lines(case, Scenario.PLANNED, budget + kept)
        if created:
            case.save()
        else:
            save_versioned(case, [])
        audit(actor=actor, action="business_case.pull_budget", obj=case, project=project,
              changes={"lines": change})  # fmt: skip
    return case
