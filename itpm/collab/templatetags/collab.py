from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from itpm.core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML, sanitized by an allow-list (itpm.core.markdown)."""
    return render_markdown(text)  # sanitized by nh3 and marked safe there
