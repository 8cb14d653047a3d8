"""The XSS corpus and the fixture that writes it into every free-text field.

Every payload sets ``window.__xss`` (or opens a dialog) if a browser ever runs it, and carries
``XSS`` so a page that shows it can be found. ``poison_free_text`` writes payloads into every
free-text column of every itpm model (names, titles, descriptions, comments, labels, file
names, business cases, custom fields, ...), so a field added later is covered without editing
this file; the structural columns listed in ``NOT_FREE_TEXT`` (keys used in URLs, choices,
hashes, time zones) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

MARK = "window.__xss=1"
PAYLOADS = [
    f"<script>{MARK}</script>XSS",
    f"<img src=x onerror={MARK}>XSS",
    f'<img src="x" onerror="{MARK}">XSS',
    f"<svg onload={MARK}>XSS",
    f"<svg><script>{MARK}</script></svg>XSS",
    f"<body onload={MARK}>XSS",
    f'"><script>{MARK}</script>XSS',
    f"'><img src=x onerror={MARK}>XSS",
    f'" onmouseover="{MARK}" autofocus onfocus="{MARK}" x="XSS',
    f"' onfocus='{MARK}' autofocus x='XSS",
    f"javascript:{MARK}//XSS",
    f'<a href="javascript:{MARK}">XSS link</a>',
    f"[XSS click](javascript:{MARK})",
    f'![XSS](x" onerror="{MARK})',
    "[XSS](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    f'<iframe src="javascript:{MARK}">XSS</iframe>',
    "<iframe srcdoc='<script>parent.__xss=1</script>'>XSS</iframe>",
    f'<object data="javascript:{MARK}">XSS</object>',
    f"<details open ontoggle={MARK}>XSS</details>",
    f"<input autofocus onfocus={MARK}>XSS",
    f"<math><mtext><table><mglyph><style><img src=x onerror={MARK}>XSS",
    f"</textarea><script>{MARK}</script>XSS",
    f"</title><script>{MARK}</script>XSS",
    f"<style>@import'javascript:{MARK}';</style>XSS",
    f'<div style="background:url(javascript:{MARK})">XSS</div>',
    "{{7*7}}XSS{% now 'Y' %}",
    "${7*7}XSS#{7*7}",
    f'<x hx-on:load="{MARK}" hx-get="/admin/" hx-trigger="load">XSS</x>',
    f'<form action="javascript:{MARK}"><button>XSS</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{MARK}">XSS',
    f"\u003cscript\u003e{MARK}\u003c/script\u003eXSS",
    f"<scr<script>ipt>{MARK}</scr</script>ipt>XSS",
]
# Short columns get the short ones (a cut payload would prove nothing).
SHORT = [p for p in PAYLOADS if len(p) <= 40]

# Columns that are not free text: keys that appear in URLs, codes validated elsewhere, secrets.
NOT_FREE_TEXT = {
    "key", "ref", "tag", "username", "email", "password", "time_zone", "currency", "color",
    "key_hash", "key_prefix", "secret", "token", "feed_token", "url", "slug", "code", "wbs_code",
    "object_type", "object_id", "action", "content_type", "file", "dedupe_key", "priority_matrix",
    "queue_name", "backend_name", "task_path", "worker_id", "idempotency_key", "method", "path",
    "response_body", "signing_secret", "event", "events", "country", "locale", "language",
    "periodicity", "unit", "iso_week", "series", "external_id", "uid", "ical_uid", "rrule",
    "country_code", "subdivision", "calendar_rule", "weekdays", "request_hash", "sha256", "number",
    "timezone", "tz",
}  # fmt: skip


@dataclass
class Poisoned:
    fields: list[str] = field(default_factory=list)  # "app.Model.field"
    rows: int = 0


def _free_text_fields(model: type[models.Model]) -> Iterator[models.Field[Any, Any]]:
    for f in model._meta.concrete_fields:
        if not isinstance(f, models.CharField | models.TextField):
            continue
        if f.choices or f.primary_key or f.name in NOT_FREE_TEXT:
            continue
        if isinstance(f, models.EmailField | models.SlugField):
            continue
        if isinstance(f, models.CharField) and (f.max_length or 0) < 24:
            continue
        yield f


def poison_free_text() -> Poisoned:
    """Write a payload into every free-text column of every row of every itpm model."""
    done = Poisoned()
    number = 0
    for model in apps.get_models():
        if not model.__module__.startswith("itpm."):
            continue
        fields = list(_free_text_fields(model))
        if not fields:
            continue
        done.fields += [f"{model._meta.label}.{f.name}" for f in fields]
        for row in model._default_manager.all().only("pk"):
            changes: dict[str, str] = {}
            for f in fields:
                number += 1
                limit = getattr(f, "max_length", None) or 10_000
                pool = PAYLOADS if limit >= 200 else SHORT
                # The row's id first: unique columns stay unique when a payload is cut short.
                value = f"{row.pk} {pool[number % len(pool)]}"
                if isinstance(f, models.URLField):  # a link: the scheme is the attack
                    value = f"javascript:{MARK}//{row.pk}"
                changes[f.name] = value[:limit]
            model._default_manager.filter(pk=row.pk).update(**changes)
            done.rows += 1
    return done
