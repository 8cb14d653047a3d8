"""Finance functions: textbook cases, and numpy-financial as the reference."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from itpm.engine.errors import EngineError
from itpm.engine.finance import (
    benefit_cost_ratio,
    discounted_payback_period,
    irr,
    npv,
    payback_period,
    roi,
)

# Whole cents: numpy-financial's eigenvalue solver overflows on subnormal flows.
amounts = st.integers(min_value=-(10**8), max_value=10**8).map(lambda cents: cents / 100)
cash_flow_lists = st.lists(amounts, min_size=2, max_size=15)
rates = st.floats(min_value=-0.5, max_value=2.0)


@pytest.mark.parametrize(
    ("rate", "flows", "expected"),
    [
        # numpy-financial's documented example.
        (0.08, [-40_000, 5_000, 8_000, 12_000, 30_000], 3065.2226681795255),
        (0.10, [-1000, 500, 500, 500], -1000 + 500 / 1.1 + 500 / 1.21 + 500 / 1.331),
        (0.0, [-100, 30, 30, 40], 0.0),
        (0.05, [100], 100.0),
    ],
)
def test_npv_textbook_cases(rate: float, flows: list[float], expected: float) -> None:
    assert npv(rate, flows) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        # numpy-financial's docstring examples.
        ([-100, 39, 59, 55, 20], 0.28095),
        ([-100, 0, 0, 74], -0.0955),
        ([-100, 100, 0, -7], -0.0833),
        ([-100, 100, 0, 7], 0.06206),
        ([-5, 10.5, 1, -8, 1], 0.0886),
        ([-1000, 1100], 0.1),
    ],
)
def test_irr_textbook_cases(flows: list[float], expected: float) -> None:
    result = irr(flows)
    assert result is not None
    assert round(result, 5) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("flows", [[100, 200], [-100, -5], [0, 0, 0], [-100, 0, 0]])
def test_irr_is_none_without_a_sign_change(flows: list[float]) -> None:
    assert irr(flows) is None


def test_irr_with_two_roots_returns_the_one_closest_to_zero() -> None:
    # NPV = -100 + 230/(1+r) - 132/(1+r)^2 has roots r = 0.1 and r = 0.2.
    assert irr([-100, 230, -132]) == pytest.approx(0.1, abs=1e-12)


def test_decimal_inputs_give_float_results() -> None:
    flows = [Decimal("-1000.00"), Decimal("500.00"), Decimal("700.00")]
    assert isinstance(npv(Decimal("0.1"), flows), float)
    assert npv(Decimal("0.1"), flows) == pytest.approx(npv(0.1, [-1000, 500, 700]))
    assert irr(flows) == pytest.approx(npf.irr([-1000, 500, 700]))


@pytest.mark.parametrize(
    ("flows", "expected"),
    [
        ([-1000, 300, 400, 500], 2.6),
        ([-1000, 500, 500], 2.0),
        ([-1000, 250, 250, 250, 250, 250], 4.0),
        ([-1000, 100, 100], None),
        ([0, 100], 0.0),
        ([-100, 50, -50, 200], 2.5),
    ],
)
def test_payback_period_by_hand(flows: list[float], expected: float | None) -> None:
    assert payback_period(flows) == (pytest.approx(expected) if expected is not None else None)


def test_discounted_payback_period_by_hand() -> None:
    # Discounted at 10 %: -1000, 454.55, 413.22, 375.66 -> cumulative -132.23 after two
    # periods, so 2 + 132.23 / 375.66 = 2.352 periods.
    flows = [-1000, 500, 500, 500]
    expected = 2 + (1000 - 500 / 1.1 - 500 / 1.21) / (500 / 1.331)
    assert discounted_payback_period(0.1, flows) == pytest.approx(expected)
    assert discounted_payback_period(0.1, [-1000, 500, 500]) is None


def test_roi_and_benefit_cost_ratio() -> None:
    assert roi(150_000, 100_000) == pytest.approx(0.5)
    assert roi(Decimal("80"), Decimal("100")) == pytest.approx(-0.2)
    assert roi(10, 0) is None
    assert benefit_cost_ratio(0.0, [0, 60, 60], [100]) == pytest.approx(1.2)
    expected = (110 / 1.1 + 121 / 1.21) / 100
    assert benefit_cost_ratio(0.1, [0, 110, 121], [100]) == pytest.approx(expected)
    assert benefit_cost_ratio(0.1, [10], [0, 0]) is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: npv(0.1, []), "at least one"),
        (lambda: npv(-1.0, [1, 2]), "rate"),
        (lambda: irr([1.0, math.nan]), "finite"),
    ],
)
def test_bad_input_raises_engine_error(call: object, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        call()  # type: ignore[operator]


@given(rate=rates, flows=cash_flow_lists)
def test_npv_matches_numpy_financial(rate: float, flows: list[float]) -> None:
    expected = npf.npv(rate, flows)
    scale = max(1.0, float(np.sum(np.abs(flows) * (1 + rate) ** -np.arange(len(flows)))))
    assert npv(rate, flows) == pytest.approx(expected, abs=1e-9 * scale)


@given(
    initial=st.integers(min_value=100, max_value=10**8).map(lambda cents: cents / 100),
    returns=st.lists(
        st.integers(min_value=0, max_value=10**8).map(lambda cents: cents / 100),
        min_size=1,
        max_size=12,
    ),
)
def test_irr_matches_numpy_financial_with_one_sign_change(
    initial: float, returns: list[float]
) -> None:
    # With one sign change there is exactly one IRR above -100 % (Descartes' rule).
    assume(sum(returns) > 0 and max(returns) > 1e-3 * initial)
    flows = [-initial, *returns]
    expected = npf.irr(flows)
    assume(not math.isnan(expected) and -0.99 < expected < 1e3)
    result = irr(flows)
    assert result is not None
    assert result == pytest.approx(expected, rel=1e-6, abs=1e-8)


@settings(max_examples=200)
@given(flows=cash_flow_lists)
def test_irr_is_a_root_and_no_farther_from_zero_than_numpy_financials(
    flows: list[float],
) -> None:
    result = irr(flows)
    expected = npf.irr(flows)
    if result is not None:
        # Below 0 % the NPV grows like (1 + r) ** -n; measure the residual of the scaled
        # polynomial, whose coefficients are the flows themselves.
        damping = min(1.0, (1.0 + result) ** (len(flows) - 1))
        scale = float(np.sum(np.abs(flows)))
        assert abs(npv(result, flows)) * damping <= 1e-9 * scale
    if result is not None and not math.isnan(expected) and -0.99 < expected < 1e3:
        # numpy-financial may find roots our sign-change scan cannot (double roots), and
        # we may find crossings its eigenvalue solver reports as complex; where both find
        # one, ours is never farther from zero by more than rounding.
        assert abs(result) <= abs(expected) + 1e-6
