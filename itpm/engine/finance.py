"""Business-case arithmetic: NPV, IRR, payback, ROI and benefit/cost ratio.

Conventions follow numpy-financial 1.0 (which is only a test dependency here):

* ``cash_flows[0]`` happens at t = 0 (today, not discounted); ``cash_flows[t]`` at the end
  of period t. Outflows are negative, inflows positive.
* ``rate`` is the discount rate per period as a fraction (0.08 for 8 %).

Numbers may be ``int``, ``float`` or ``Decimal``. They are converted to ``float`` once, at
the entry of each function, and every result is a ``float`` (or ``None``). Callers that
store money convert results back to a quantized ``Decimal`` themselves: these are ratios
and rates for a decision, not ledger amounts, so binary floating point is adequate.

Where a quantity does not exist (an IRR with no real root, a payback that never happens, a
ratio over a zero denominator) the function returns ``None`` rather than ``nan``, so that a
missing value cannot silently flow into further arithmetic or into JSON. Bad input (no
flows, a non-finite number, a rate of -100 % or less) raises ``EngineError``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from itpm.engine.errors import EngineError

Number = float | int | Decimal

__all__ = [
    "benefit_cost_ratio",
    "discounted_payback_period",
    "irr",
    "npv",
    "payback_period",
    "roi",
]

FloatArray = npt.NDArray[np.float64]


def _as_array(cash_flows: Iterable[Number], *, name: str = "cash_flows") -> FloatArray:
    values = np.asarray([float(value) for value in cash_flows], dtype=np.float64)
    if values.size == 0:
        raise EngineError(f"{name}: at least one cash flow is needed")
    if not np.all(np.isfinite(values)):
        raise EngineError(f"{name}: every cash flow must be a finite number")
    return values


def _as_rate(rate: Number) -> float:
    value = float(rate)
    if not math.isfinite(value) or value <= -1.0:
        raise EngineError(f"rate: must be a finite number greater than -1, got {rate!r}")
    return value


def npv(rate: Number, cash_flows: Iterable[Number]) -> float:
    """Net present value: ``sum(cash_flows[t] / (1 + rate) ** t for t = 0..n)``.

    Source: Brealey, Myers & Allen, *Principles of Corporate Finance*, ch. 2; identical to
    ``numpy_financial.npv`` (the first flow is not discounted, unlike Excel's ``NPV``).
    """
    values = _as_array(cash_flows)
    discount = (1.0 + _as_rate(rate)) ** -np.arange(values.size, dtype=np.float64)
    return float(np.dot(values, discount))


def _npv_sign_function(values: FloatArray, rate: float) -> float:
    """A function with the same sign and roots as ``npv(rate)`` that does not overflow.

    For rate >= 0 the discount factors are at most 1. For -1 < rate < 0 they grow like
    ``(1 + rate) ** -n``, so we multiply the NPV by the positive number ``(1 + rate) ** n``
    instead, which leaves every factor at most 1 as well.
    """
    periods = np.arange(values.size, dtype=np.float64)
    growth = 1.0 + rate
    if rate >= 0.0:
        return float(np.dot(values, growth**-periods))
    return float(np.dot(values, growth ** (values.size - 1 - periods)))


# Rates scanned for sign changes of the NPV. Dense near zero, where real IRRs live, and
# reaching from a 99.99 % loss per period to a 1,000,000 % gain per period.
_IRR_GRID: FloatArray = np.unique(
    np.concatenate(
        [
            -1.0 + np.geomspace(1e-4, 1.0, 400),  # -0.9999 .. 0
            np.linspace(-0.5, 1.0, 1501),
            np.geomspace(1e-6, 1e4, 800),
        ]
    )
)


def _npv_on_grid(values: FloatArray) -> FloatArray:
    """``_npv_sign_function`` for every rate of ``_IRR_GRID`` at once."""
    periods = np.arange(values.size, dtype=np.float64)
    growth = (1.0 + _IRR_GRID)[:, np.newaxis]
    exponents = np.where(_IRR_GRID[:, np.newaxis] >= 0.0, -periods, values.size - 1 - periods)
    result: FloatArray = (growth**exponents) @ values
    return result


def _bisect(values: FloatArray, low: float, high: float) -> float:
    """Root of the NPV in [low, high], where the NPV changes sign, by bisection.

    Bisection is slower than Brent's method but cannot fail on a valid bracket; 200 halvings
    reach the resolution of a double from any bracket on the grid.
    """
    f_low = _npv_sign_function(values, low)
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        f_middle = _npv_sign_function(values, middle)
        if f_middle == 0.0:
            return middle
        if (f_middle < 0.0) == (f_low < 0.0):
            low, f_low = middle, f_middle
        else:
            high = middle
    return 0.5 * (low + high)


def irr(cash_flows: Iterable[Number]) -> float | None:
    """Internal rate of return: the rate at which ``npv(rate, cash_flows) == 0``.

    Returns ``None`` (where numpy-financial returns ``nan``) when no rate above -100 % makes
    the NPV zero, for example when every flow has the same sign.

    When the flows change sign more than once there may be several IRRs (Descartes' rule of
    signs bounds their number by the number of sign changes). Like ``numpy_financial.irr``,
    we return the one closest to zero. We find roots by scanning a fixed grid of rates from
    -99.99 % to +1,000,000 % for sign changes of the NPV and refining each bracket by
    bisection, so a root is found only where the NPV crosses zero; a root where the NPV
    merely touches zero (a double root) is found only if it lies on the grid.
    """
    values = _as_array(cash_flows)
    if np.all(values >= 0.0) or np.all(values <= 0.0):
        return None
    on_grid = _npv_on_grid(values)
    roots = [float(rate) for rate in _IRR_GRID[on_grid == 0.0]]
    signs = np.sign(on_grid)
    crossings = np.flatnonzero(signs[:-1] * signs[1:] < 0.0)
    roots.extend(_bisect(values, float(_IRR_GRID[i]), float(_IRR_GRID[i + 1])) for i in crossings)
    if not roots:
        return None
    return min(roots, key=abs)


def _payback(values: FloatArray) -> float | None:
    """Periods until the cumulative flow first reaches zero, interpolated within a period."""
    cumulative = np.cumsum(values)
    if cumulative[0] >= 0.0:
        return 0.0
    reached = np.flatnonzero(cumulative >= 0.0)
    if reached.size == 0:
        return None
    period = int(reached[0])
    # The cumulative flow was negative at the end of ``period - 1``; the flow of ``period``
    # is assumed to arrive evenly through the period (the textbook assumption).
    still_owed = -float(cumulative[period - 1])
    return period - 1 + still_owed / float(values[period])


def payback_period(cash_flows: Iterable[Number]) -> float | None:
    """Simple payback: periods until the cumulative (undiscounted) flow first reaches zero.

    Fractional periods are interpolated linearly within the period in which the cumulative
    flow turns non-negative, assuming that period's flow arrives evenly. For example
    ``[-1000, 300, 400, 500]`` pays back after 2 + 300/500 = 2.6 periods. Returns 0.0 when
    the first flow is not negative and ``None`` when the cumulative flow never reaches
    zero. Later negative flows after the first payback are ignored, as in the textbook
    definition (PMBOK Guide, 7th ed., 4.4.5; Brealey, Myers & Allen, ch. 5).
    """
    return _payback(_as_array(cash_flows))


def discounted_payback_period(rate: Number, cash_flows: Iterable[Number]) -> float | None:
    """Payback of the flows discounted at ``rate``; see ``payback_period`` for conventions."""
    values = _as_array(cash_flows)
    discount = (1.0 + _as_rate(rate)) ** -np.arange(values.size, dtype=np.float64)
    return _payback(values * discount)


def roi(total_benefits: Number, total_costs: Number) -> float | None:
    """Return on investment as a fraction: ``(benefits - costs) / costs``.

    Both arguments are totals (positive amounts); to compute ROI from a series of cash
    flows, sum the inflows and the magnitudes of the outflows first (or discount them first,
    for a present-value ROI). Returns ``None`` when ``total_costs`` is zero.
    Source: PMI, *PMBOK Guide*, 7th ed., 4.4.5 (financial measures).
    """
    benefits = float(total_benefits)
    costs = float(total_costs)
    if costs == 0.0:
        return None
    return (benefits - costs) / costs


def benefit_cost_ratio(
    rate: Number, benefits: Iterable[Number], costs: Iterable[Number]
) -> float | None:
    """Present value of the benefits divided by the present value of the costs.

    ``benefits[t]`` and ``costs[t]`` are positive amounts at period t (same timing
    convention as ``npv``); the two series may differ in length. Returns ``None`` when the
    present value of the costs is zero. A ratio above 1 means the project adds value.
    Source: Boardman et al., *Cost-Benefit Analysis*, ch. 2; PMBOK Guide, 7th ed., 4.4.5.
    """
    present_costs = npv(rate, costs)
    if present_costs == 0.0:
        return None
    return npv(rate, benefits) / present_costs
