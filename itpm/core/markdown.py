"""Markdown to safe HTML: rendered, then sanitized by an allow-list (nh3)."""

from __future__ import annotations

import threading

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
    "del", "span",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
# One converter per thread, reset before each text: building one (its pattern registries)
# cost more than converting a short description, and a list of 50 tasks renders 50.
_local = threading.local()


def _converter() -> md.Markdown:
    converter: md.Markdown | None = getattr(_local, "converter", None)
    if converter is None:
        converter = md.Markdown(extensions=_EXTENSIONS)
        _local.converter = converter
    return converter


def render_markdown(text: str) -> SafeString:
    """HTML a template may show as it is: nh3 has removed every tag, attribute and URL scheme
    outside the allow-list, so this is the one place that marks markdown output safe."""
    if not text or text.isspace():
        return mark_safe("")  # noqa: S308  # nosemgrep: itpm-mark-safe - the empty string
    html = _converter().reset().convert(text)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308  # nosemgrep: itpm-mark-safe - sanitized just above
