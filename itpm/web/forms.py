from __future__ import annotations

from typing import Any

from django import forms

from itpm.accounts.models import Role
from itpm.core.errors import Invalid
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


class TaskCreateForm(forms.Form):
    name = forms.CharField(max_length=300)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    duration_hours = forms.IntegerField(min_value=0, max_value=100_000, initial=8)
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
    "duration_hours": forms.IntegerField(min_value=0, max_value=100_000),
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
