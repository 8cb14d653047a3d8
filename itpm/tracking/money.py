"""Money and hours helpers: parse, quantize, months and weeks (one place for conversions)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from itpm.core.errors import Invalid

CENT = Decimal("0.01")
MAX_MONEY = Decimal("99999999999999.99")


def money(value: Any, field: str, *, allow_negative: bool = False) -> Decimal:
    """A Decimal amount with two places, or a 422 naming ``field``. Floats are refused."""
    if isinstance(value, float):
        raise Invalid.field(field, "send money as a string or an integer, never a float")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid.field(field, f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise Invalid.field(field, "must be a finite amount")
    if amount < 0 and not allow_negative:
        raise Invalid.field(field, "must not be negative")
    if abs(amount) > MAX_MONEY:
        raise Invalid.field(field, "is too large")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise Invalid.field(field, "at most two decimal places")
    return amount.quantize(CENT)


def quantity(value: Any, field: str) -> Decimal:
    result = money(value, field)
    if result <= 0:
        raise Invalid.field(field, "must be more than 0")
    return result


def cents(value: Decimal | float | int) -> Decimal:
    """Round a computed amount (engine floats included) to the cent."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def parse_month(value: Any, field: str) -> dt.date:
    """``2027-03`` or a date in that month → the month's first day."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value).strip()
    try:
        if len(text) == 7:
            return dt.date.fromisoformat(text + "-01")
        return dt.date.fromisoformat(text).replace(day=1)
    except ValueError:
        raise Invalid.field(field, f"expected a month like 2027-03, got {value!r}") from None


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
