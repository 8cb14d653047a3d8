"""How pages write a split task's pauses (``Task.splits``, see itpm.planning.splits)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def splits_words(splits: Any) -> str:
    """``[[16, 24], [40, 8]]`` → "Paused after 16 h for 24 h, and after 40 h for 8 h"."""
    pauses = [f"after {after} h for {pause} h" for after, pause in splits or []]
    if not pauses:
        return ""
    if len(pauses) > 1:
        pauses[-1] = f"and {pauses[-1]}"
    return "Paused " + ", ".join(pauses)
