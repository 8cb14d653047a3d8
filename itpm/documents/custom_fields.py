"""Custom-field values: parsing by type, the task-list filter and the CSV export columns.

Values are stored in canonical JSON form (``TaskCustomValues.values``): text, number (a
decimal string such as "12.5"), date ("2027-01-31"), choice and user (a username) as
strings, yes/no as a JSON boolean. The same parser serves writes and filters, so
``?cf.site=Berlin`` matches what a write of "Berlin" stored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTransform

from itpm.core.errors import Invalid

if TYPE_CHECKING:
    from itpm.documents.models import CustomField
    from itpm.planning.models import Task
    from itpm.portfolio.models import Project

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 1000
MAX_NUMBER = Decimal("1e15")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_value(field: CustomField, raw: Any, *, name: str, members: set[str]) -> Any:
    """The canonical value of ``raw`` for ``field``, or None for "no value".

    ``name`` is how errors name the input ("values.site", "cf.site"); ``members`` are the
    usernames a user field may take.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    kind = field.field_type
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise Invalid.field(name, "expected yes or no (true/false)")
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise Invalid.field(name, f"expected a {field.get_field_type_display().lower()} value")
    text = str(raw).strip()
    if kind == "text":
        if not isinstance(raw, str):
            raise Invalid.field(name, "expected text")
        if len(text) > MAX_TEXT:
            raise Invalid.field(name, f"at most {MAX_TEXT} characters")
        return text
    if kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise Invalid.field(name, "expected a number such as 12 or 4.5") from None
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            raise Invalid.field(name, "expected a number below 10^15")
        if number == number.to_integral_value():
            return str(number.quantize(Decimal(1)))
        return format(number.normalize(), "f")
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise Invalid.field(name, "expected a date as YYYY-MM-DD") from None
    if kind == "choice":
        if text not in field.choices:
            allowed = ", ".join(field.choices)
            raise Invalid.field(name, f"{text!r} is not one of: {allowed}")
        return text
    if kind == "user":
        if text not in members:
            raise Invalid.field(name, f"{text!r} is not a member of the project")
        return text
    raise Invalid.field(name, f"unknown field type {kind}")


def display(field: CustomField, value: Any) -> str:
    """A value as people read it (plain text: templates escape it, CSV quotes it)."""
    if value is None or value == "":
        return ""
    if field.field_type == "bool":
        return "yes" if value else "no"
    return str(value)


def project_members(project: Project) -> set[str]:
    return set(project.memberships.values_list("user__username", flat=True))


def filter_tasks(
    tasks: QuerySet[Task], *, project: Project, params: Mapping[str, str]
) -> QuerySet[Task]:
    """Apply ``cf.<key>=<value>`` query parameters to a project's task queryset.

    An unknown key or a value of the wrong type is a 422 naming the parameter. An empty
    value matches tasks with no value for the field.
    """
    wanted = {k: v for k, v in params.items() if k.startswith("cf.")}
    if not wanted:
        return tasks
    from itpm.documents.models import CustomField

    fields = {f.key: f for f in CustomField.objects.filter(project=project)}
    members = project_members(project)
    for param, raw in wanted.items():
        key = param[3:]
        field = fields.get(key)
        if field is None:
            raise Invalid.field(param, f"no custom field {key!r} in {project.key}")
        value = parse_value(field, raw, name=param, members=members)
        # KeyTransform (not ``values__<key>``) so a key never reads as a lookup name.
        alias = f"_cf_{key}"
        tasks = tasks.alias(**{alias: KeyTransform(key, "custom_values__values")})
        if value is None:
            tasks = tasks.filter(**{f"{alias}__isnull": True})
        else:
            tasks = tasks.filter(**{alias: value})
    return tasks


def values_by_task(project: Project) -> dict[int, dict[str, Any]]:
    from itpm.documents.models import TaskCustomValues

    return dict(
        TaskCustomValues.objects.filter(task__project=project).values_list("task_id", "values")
    )


def custom_fields_for_export(project: Project) -> list[tuple[str, Callable[[Task], str]]]:
    """Columns for a task export: ``(header, getter)`` per custom field, in position order.

    The getter takes a task and returns its value as text ("" when unset). All values are
    read in one query when this is called, so an export of N tasks costs one extra query.
    """
    from itpm.documents.models import CustomField

    fields = list(CustomField.objects.filter(project=project).order_by("position", "id"))
    if not fields:
        return []
    values = values_by_task(project)

    def getter(field: CustomField) -> Callable[[Task], str]:
        return lambda task: display(field, values.get(task.pk, {}).get(field.key))

    return [(field.name, getter(field)) for field in fields]
