"""Template helpers: money with thousands separators, index colours, dictionary lookups."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """``12345.6`` → ``12,345.60``; empty stays a dash."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.2f}"


@register.filter
def whole(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.0f}"


@register.filter
def index_class(value: Any) -> str:
    """CSS class of an SPI/CPI value: good (≥ 0.95), watch (≥ 0.9) or bad."""
    if value is None or value == "":
        return "none"
    number = Decimal(str(value))
    return "good" if number >= Decimal("0.95") else "watch" if number >= Decimal("0.9") else "bad"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def iso(value: Any) -> str:
    """A date (or an ISO string from a frozen report) as YYYY-MM-DD."""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value or "")[:10]
