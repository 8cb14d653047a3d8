from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from itpm.core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML, sanitized by an allow-list (itpm.core.markdown)."""
    return mark_safe(render_markdown(text))  # noqa: S308 - nh3 has sanitized it
