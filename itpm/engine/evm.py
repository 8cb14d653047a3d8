"""Earned value management over time-phased numbers.

Sources for every formula below:

* PMI, *PMBOK Guide*, 6th ed., 7.4.2.2 and table 7-1 (PV, EV, AC, SV, CV, SPI, CPI, EAC,
  ETC, VAC, TCPI); PMI, *The Standard for Earned Value Management* (2019).
* W. Lipke, "Schedule is Different", *The Measurable News*, March 2003, and PMI's
  *Practice Standard for Earned Value Management*, 2nd ed., annex D (earned schedule ES,
  SPI(t), SV(t), IEAC(t)).

Time is counted in *reporting periods* from the baseline start (a period is whatever the
caller's time-phased budget uses: a day, a week, a month). A status date is a position on
that axis, and may fall inside a period: planned value then accrues linearly within the
period. Money is passed in as ``int``, ``float`` or ``Decimal`` and returned as ``float``;
the service that stores it quantizes it back to the project's currency.

Ratios whose denominator is zero (an SPI before anything was planned, a CPI before any cost
was booked, a TCPI once the budget is spent) are ``None``: "not defined yet", never ``inf``
or ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from itpm.engine.errors import EngineError

Number = float | int | Decimal
FloatArray = npt.NDArray[np.float64]

__all__ = [
    "EarnedValueMethod",
    "EvmMetrics",
    "SCurvePoint",
    "TaskProgress",
    "earned_schedule",
    "earned_value",
    "evm_metrics",
    "evm_metrics_from_totals",
    "planned_value_at",
    "s_curve",
]


class EarnedValueMethod(StrEnum):
    """How a task's percent complete turns into earned value (PMBOK 6th ed., 7.4.2.2)."""

    ZERO_HUNDRED = "0/100"  # nothing earned until the task is finished
    FIFTY_FIFTY = "50/50"  # half the budget earned at start, the rest at finish
    PHYSICAL = "physical"  # budget times the physical percent complete


@dataclass(frozen=True, slots=True)
class TaskProgress:
    """One task's status at the status date."""

    task: str
    budget_at_completion: Number
    percent_complete: Number  # 0..100
    actual_cost: Number = 0.0  # cumulative to the status date
    method: EarnedValueMethod = EarnedValueMethod.PHYSICAL


@dataclass(frozen=True, slots=True)
class EvmMetrics:
    """Earned value figures at one status date (PMBOK 6th ed., table 7-1).

    ``estimate_at_completion`` is the bottom-up EAC when an estimate to complete was given,
    else the CPI-based one; ``estimate_to_complete``, ``variance_at_completion`` and
    ``to_complete_performance_index_eac`` follow from it. ``None`` means "not defined":
    a ratio over zero, or an earned-schedule figure without a planned value curve.
    """

    budget_at_completion: float
    planned_value: float
    earned_value: float
    actual_cost: float
    schedule_variance: float  # EV - PV
    cost_variance: float  # EV - AC
    schedule_performance_index: float | None  # EV / PV
    cost_performance_index: float | None  # EV / AC
    eac_cpi: float | None  # BAC / CPI
    eac_cpi_spi: float | None  # AC + (BAC - EV) / (CPI * SPI)
    eac_bottom_up: float | None  # AC + ETC, when a bottom-up ETC is given
    estimate_at_completion: float | None
    estimate_to_complete: float | None  # EAC - AC
    variance_at_completion: float | None  # BAC - EAC
    to_complete_performance_index_bac: float | None  # (BAC - EV) / (BAC - AC)
    to_complete_performance_index_eac: float | None  # (BAC - EV) / (EAC - AC)
    actual_time: float | None = None  # AT: the status date, in periods
    earned_schedule: float | None = None  # ES (Lipke)
    schedule_performance_index_time: float | None = None  # SPI(t) = ES / AT
    schedule_variance_time: float | None = None  # SV(t) = ES - AT
    planned_duration: float | None = None  # PD: periods in the baseline
    estimated_duration: float | None = None  # IEAC(t) = PD / SPI(t)


@dataclass(frozen=True, slots=True)
class SCurvePoint:
    """Cumulative values at the end of ``period`` (0-based); ``None`` where not known yet."""

    period: int
    planned_value: float
    earned_value: float | None
    actual_cost: float | None


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0.0 else numerator / denominator


def _finite(value: Number, name: str) -> float:
    result = float(value)
    if not math.isfinite(result):
        raise EngineError(f"{name}: must be a finite number, got {value!r}")
    return result


def _cumulative_plan(time_phased_budget: Iterable[Number]) -> FloatArray:
    """Cumulative planned value at the end of periods 0..n, with 0.0 at the start."""
    per_period = np.asarray(
        [_finite(v, "time_phased_budget") for v in time_phased_budget], dtype=np.float64
    )
    return np.concatenate([[0.0], np.cumsum(per_period)])


def planned_value_at(time_phased_budget: Iterable[Number], status: Number) -> float:
    """Cumulative planned value at ``status`` periods after the baseline start.

    ``time_phased_budget[k]`` is the budget the baseline plans to spend during period k.
    Inside a period the plan accrues linearly; before the start it is 0, after the last
    period it is the whole budget.
    """
    cumulative = _cumulative_plan(time_phased_budget)
    at = _finite(status, "status")
    periods = np.arange(cumulative.size, dtype=np.float64)
    return float(np.interp(at, periods, cumulative))


def earned_value(progress: TaskProgress) -> float:
    """Earned value of one task by its method (PMBOK 6th ed., 7.4.2.2)."""
    budget = _finite(progress.budget_at_completion, f"{progress.task}.budget_at_completion")
    percent = _finite(progress.percent_complete, f"{progress.task}.percent_complete")
    if not 0.0 <= percent <= 100.0:
        raise EngineError(f"{progress.task}.percent_complete: must be within 0..100")
    if progress.method is EarnedValueMethod.ZERO_HUNDRED:
        return budget if percent >= 100.0 else 0.0
    if progress.method is EarnedValueMethod.FIFTY_FIFTY:
        if percent >= 100.0:
            return budget
        return budget / 2.0 if percent > 0.0 else 0.0
    return budget * percent / 100.0


def earned_schedule(time_phased_budget: Iterable[Number], earned: Number) -> float:
    """Earned schedule: the time at which the baseline planned to have earned ``earned``.

    Lipke (2003): ES = C + (EV - PV_C) / (PV_{C+1} - PV_C), where C is the number of whole
    periods whose cumulative planned value is at most EV. When EV reaches the whole planned
    budget, ES is the planned duration.
    """
    cumulative = _cumulative_plan(time_phased_budget)
    value = _finite(earned, "earned_value")
    whole = int(np.searchsorted(cumulative, value, side="right")) - 1
    if whole < 0:
        return 0.0
    if whole >= cumulative.size - 1:
        return float(cumulative.size - 1)
    step = cumulative[whole + 1] - cumulative[whole]
    return whole + float((value - cumulative[whole]) / step)


def evm_metrics_from_totals(
    *,
    budget_at_completion: Number,
    planned_value: Number,
    earned_value: Number,
    actual_cost: Number,
    estimate_to_complete: Number | None = None,
    earned_schedule: Number | None = None,
    actual_time: Number | None = None,
    planned_duration: Number | None = None,
) -> EvmMetrics:
    """All EVM figures from the four totals (PMBOK 6th ed., table 7-1).

    Pass ``estimate_to_complete`` for a bottom-up EAC (AC + ETC), and ``earned_schedule``
    with ``actual_time`` (and ``planned_duration``) for the time-based figures (Lipke).
    Formula code uses the standard abbreviations.
    """
    bac = _finite(budget_at_completion, "budget_at_completion")
    pv = _finite(planned_value, "planned_value")
    ev = _finite(earned_value, "earned_value")
    ac = _finite(actual_cost, "actual_cost")
    spi = _ratio(ev, pv)
    cpi = _ratio(ev, ac)
    eac_cpi = None if cpi is None or cpi == 0.0 else bac / cpi
    eac_cpi_spi = (
        None if cpi is None or spi is None or cpi * spi == 0.0 else ac + (bac - ev) / (cpi * spi)
    )
    eac_bottom_up = (
        None
        if estimate_to_complete is None
        else ac + _finite(estimate_to_complete, "estimate_to_complete")
    )
    eac = eac_bottom_up if eac_bottom_up is not None else eac_cpi
    es = None if earned_schedule is None else _finite(earned_schedule, "earned_schedule")
    at = None if actual_time is None else _finite(actual_time, "actual_time")
    pd = None if planned_duration is None else _finite(planned_duration, "planned_duration")
    # AT before the baseline start (work done early) is not an elapsed time: SPI(t) is
    # undefined there, as at AT = 0, not a negative ratio.
    spi_t = None if es is None or at is None or at <= 0.0 else _ratio(es, at)
    return EvmMetrics(
        budget_at_completion=bac,
        planned_value=pv,
        earned_value=ev,
        actual_cost=ac,
        schedule_variance=ev - pv,
        cost_variance=ev - ac,
        schedule_performance_index=spi,
        cost_performance_index=cpi,
        eac_cpi=eac_cpi,
        eac_cpi_spi=eac_cpi_spi,
        eac_bottom_up=eac_bottom_up,
        estimate_at_completion=eac,
        estimate_to_complete=None if eac is None else eac - ac,
        variance_at_completion=None if eac is None else bac - eac,
        to_complete_performance_index_bac=_ratio(bac - ev, bac - ac),
        to_complete_performance_index_eac=None if eac is None else _ratio(bac - ev, eac - ac),
        actual_time=at,
        earned_schedule=es,
        schedule_performance_index_time=spi_t,
        schedule_variance_time=None if es is None or at is None else es - at,
        planned_duration=pd,
        estimated_duration=(None if pd is None or spi_t is None or spi_t == 0.0 else pd / spi_t),
    )


def evm_metrics(
    *,
    tasks: Sequence[TaskProgress],
    time_phased_budget: Sequence[Number],
    status: Number,
    estimate_to_complete: Number | None = None,
) -> EvmMetrics:
    """EVM figures of a project at ``status`` periods after the baseline start.

    BAC is the sum of the task budgets; PV is read from the baseline's time-phased budget
    (``planned_value_at``), whose total should equal BAC; EV is the sum of the tasks' earned
    values by their methods; AC the sum of their actual costs. The earned schedule uses the
    same time-phased budget, with AT = ``status`` and PD = its number of periods.
    """
    budget = sum(_finite(t.budget_at_completion, f"{t.task}.budget_at_completion") for t in tasks)
    earned = sum(earned_value(t) for t in tasks)
    actual = sum(_finite(t.actual_cost, f"{t.task}.actual_cost") for t in tasks)
    return evm_metrics_from_totals(
        budget_at_completion=budget,
        planned_value=planned_value_at(time_phased_budget, status),
        earned_value=earned,
        actual_cost=actual,
        estimate_to_complete=estimate_to_complete,
        earned_schedule=earned_schedule(time_phased_budget, earned),
        actual_time=status,
        planned_duration=len(time_phased_budget),
    )


def s_curve(
    time_phased_budget: Sequence[Number],
    earned_per_period: Sequence[Number] = (),
    actual_cost_per_period: Sequence[Number] = (),
) -> list[SCurvePoint]:
    """Cumulative PV, EV and AC at the end of each period, for the S-curve chart.

    The planned series covers the baseline; the earned and actual series cover the periods
    reported so far and may be shorter or longer. Periods past the end of the baseline keep
    the full planned value; periods not reported yet have ``None`` for EV and AC.
    """
    planned = _cumulative_plan(time_phased_budget)[1:]
    earned = _cumulative_plan(earned_per_period)[1:]
    actual = _cumulative_plan(actual_cost_per_period)[1:]
    length = max(planned.size, earned.size, actual.size)
    total_planned = float(planned[-1]) if planned.size else 0.0
    return [
        SCurvePoint(
            period=k,
            planned_value=float(planned[k]) if k < planned.size else total_planned,
            earned_value=float(earned[k]) if k < earned.size else None,
            actual_cost=float(actual[k]) if k < actual.size else None,
        )
        for k in range(length)
    ]
