from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from itpm.accounts.models import Role
from itpm.core.errors import Invalid
from itpm.planning.durations import MAX_DURATION_HOURS, duration_text
from itpm.planning.models import DependencyType, TaskStatus
from itpm.planning.splits import parse_splits_text, splits_text
from itpm.portfolio.models import Category, key_validator


class ProjectForm(forms.Form):
    key = forms.CharField(
        max_length=10,
        validators=[key_validator],
        help_text="2–10 capital letters or digits, starting with a letter, e.g. NET",
    )
    name = forms.CharField(max_length=200)
    goal = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    category = forms.ChoiceField(choices=Category.choices)
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    target_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.CharField(max_length=3, initial="USD")
    template = forms.BooleanField(
        required=False,
        label="Start from template",
        help_text="Create the category's standard phases, tasks, milestones and links, "
        "scheduled from the start date.",
    )


class ProjectEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(max_length=200)
    goal = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    category = forms.ChoiceField(choices=Category.choices)
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    target_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.CharField(max_length=3)


_DURATION_FORMS = "8, 7.5, 7:30, 7h30 or 450m"
_DECIMAL_HOURS = re.compile(r"(\d{1,6}(?:[.,]\d{1,6})?)\s*(?:h|hrs?|hours?)?")
_HOURS_MINUTES = re.compile(r"(\d{1,6})\s*(?::|h|hrs?|hours?)\s*(\d{1,2})\s*(?:m|mins?|minutes?)?")
_MINUTES = re.compile(r"(\d{1,8})\s*(?:m|mins?|minutes?)")


def parse_duration_text(text: str) -> int:
    """A typed duration in minutes: ``8`` and ``8h`` (hours), ``7.5`` (decimal hours),
    ``7:30``, ``7h30``, ``7h 30m`` (hours and minutes), ``450m`` (minutes).

    Raises ``ValueError`` with a message for the person typing.
    """
    text = text.strip().lower()
    if match := _DECIMAL_HOURS.fullmatch(text):
        try:
            exact = Decimal(match.group(1).replace(",", ".")) * 60
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise ValueError(f"enter a duration like {_DURATION_FORMS}") from None
        if exact != exact.to_integral_value():
            raise ValueError(
                f"{match.group(1)} hours is not a whole number of minutes; "
                f"type hours and minutes, e.g. {duration_text(round(exact))}"
            )
        minutes = int(exact)
    elif match := _HOURS_MINUTES.fullmatch(text):
        hours, rest = int(match.group(1)), int(match.group(2))
        if rest >= 60:
            raise ValueError(f"{rest} minutes: the minutes after the hours must be under 60")
        minutes = hours * 60 + rest
    elif match := _MINUTES.fullmatch(text):
        minutes = int(match.group(1))
    else:
        raise ValueError(f"enter a duration like {_DURATION_FORMS}")
    if minutes > MAX_DURATION_HOURS * 60:
        raise ValueError(f"at most {MAX_DURATION_HOURS} hours")
    return minutes


class DurationField(forms.CharField):
    """A duration typed in hours or to the minute (see ``parse_duration_text``); cleans to
    minutes. The initial value is minutes too, shown as ``8h`` or ``7h30``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"placeholder": "7h30", "maxlength": "40", "size": "6", "autocomplete": "off"}
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return duration_text(value)
        return value

    # A CharField that cleans to minutes, not to a string (hence the ignore).
    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > 40:
            raise forms.ValidationError("at most 40 characters", code="max_length")
        try:
            return parse_duration_text(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


def duration_change(minutes: int) -> dict[str, int]:
    """What a typed duration sends to the services: whole hours as ``duration_hours`` (which
    clears any exact minutes), anything else as ``duration_minutes``."""
    if minutes % 60 == 0:
        return {"duration_hours": minutes // 60}
    return {"duration_minutes": minutes}


class TaskCreateForm(forms.Form):
    name = forms.CharField(max_length=300)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Minutes once cleaned (the view sends them as duration_change says).
    duration_hours = DurationField(initial=8 * 60)
    milestone = forms.BooleanField(required=False)


class SplitsField(forms.CharField):
    """A split task's pauses typed as ``after:pause`` hours, ``16:24, 40:8``; the list of
    pairs once cleaned (empty: the work is not split). Whether each pause falls inside the
    work is the service's rule (it knows the duration)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Splits")
        kwargs.setdefault(
            "help_text",
            "after:pause hours, e.g. 16:24 pauses the work for 3 days after 2 days of work",
        )
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"placeholder": "16:24", "maxlength": "1000"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return splits_text(value) if isinstance(value, list) else value

    # A CharField that cleans to a list of pairs, not to a string (hence the ignore).
    def to_python(self, value: Any) -> list[list[int]]:  # type: ignore[override]
        text = super().to_python(value) or ""
        if len(text) > 1000:
            raise forms.ValidationError("at most 1000 characters", code="max_length")
        try:
            return parse_splits_text(text)
        except Invalid as exc:
            raise forms.ValidationError(exc.errors[0].message, code="invalid") from None


# One inline-editable field at a time: its form field, and how the cell shows it.
TASK_FIELD_FORMS: dict[str, forms.Field] = {
    "name": forms.CharField(max_length=300),
    # Typed in hours or to the minute (7h30); minutes once cleaned, see duration_change.
    "duration_hours": DurationField(),
    "status": forms.ChoiceField(choices=TaskStatus.choices),
    "percent_complete": forms.IntegerField(min_value=0, max_value=100),
    # Editing the start sets a start-no-earlier-than constraint (empty: as soon as possible).
    "constraint_date": forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    ),
    "deadline": forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    ),
    "milestone": forms.BooleanField(required=False),
    # Pauses in the work (a split task); the duration cell of the plan opens it.
    "splits": SplitsField(),
    # The duration is real time, day and night (a burn-in); the duration cell opens it.
    "elapsed": forms.BooleanField(
        required=False,
        label="Elapsed",
        help_text="real hours, day and night, weekends too (a 72-hour burn-in)",
    ),
    "description": forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4})),
}


class DependencyForm(forms.Form):
    predecessor = forms.IntegerField()
    successor = forms.IntegerField()
    type = forms.ChoiceField(choices=DependencyType.choices, initial=DependencyType.FS)
    lag_hours = forms.IntegerField(initial=0, min_value=-100_000, max_value=100_000)


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
