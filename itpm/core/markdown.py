"""Markdown to safe HTML: rendered, then sanitized by an allow-list (nh3)."""

from __future__ import annotations

import threading
from typing import Any

import markdown as md
import nh3
from django.db import models
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


class RenderedMarkdownField(models.TextField):  # type: ignore[type-arg]
    """The sanitized HTML of another field's markdown, stored beside it.

    Rendered on every ``save()`` and ``bulk_create`` (``pre_save``), so a list of 50 tasks
    reads it instead of rendering 50 descriptions (Python-Markdown takes about half a
    millisecond for even a short text). A model that saves with ``update_fields`` names
    this field whenever it names the source (see ``Task.save``). When the allow-list above
    changes, a data migration must render the stored HTML again.
    """

    def __init__(self, *args: Any, source: str = "description", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, value in (("blank", True), ("default", ""), ("editable", False)):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        html = str(render_markdown(getattr(model_instance, self.source)))
        setattr(model_instance, self.attname, html)
        return html
