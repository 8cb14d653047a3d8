from __future__ import annotations

from typing import Any

from django import forms

from itpm.accounts.models import User
from itpm.portfolio.models import (
    Category,
    Dimension,
    FlowCategory,
    FlowKind,
    GateDecision,
    Periodicity,
    Recommendation,
    Urgency,
)

DATE = forms.DateInput(attrs={"type": "date"})


class RequestForm(forms.Form):
    title = forms.CharField(max_length=200)
    problem = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="What hurts today, and for whom?")  # fmt: skip
    goal = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    category = forms.ChoiceField(choices=Category.choices)
    business_unit = forms.CharField(max_length=120, required=False)
    desired_date = forms.DateField(required=False, widget=DATE)
    currency = forms.CharField(max_length=3, initial="USD")
    rough_cost = forms.DecimalField(required=False, min_value=0, max_digits=16, decimal_places=2)
    rough_benefit = forms.DecimalField(
        required=False, min_value=0, max_digits=16, decimal_places=2,
        help_text="Savings, revenue or avoided cost a year",
    )  # fmt: skip
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.MEDIUM)


class AnswerForm(RequestForm):
    """The requester answers a question and may correct the request while doing so."""

    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="The information the portfolio managers asked for")  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput)

    field_order = ["answer"]


class AcceptorsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    acceptors = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False,
        help_text="Who signs the project off; none: the sponsor, else the owners",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["acceptors"].queryset = User.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "username"
        )


class TriageForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("accept", "Accept into initiation"), ("ask_info", "Ask for more information"),
                 ("merge", "Merge into another request"), ("reject", "Reject")]
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                           help_text="The question, the reason, or a note for the requester")  # fmt: skip
    key = forms.CharField(max_length=10, required=False, help_text="Accept: new project key")
    manager = forms.CharField(max_length=150, required=False, help_text="Accept: username")
    sponsor = forms.CharField(max_length=150, required=False, help_text="Accept: username")
    merge_into = forms.IntegerField(required=False, help_text="Merge: request number")


class CaseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    periodicity = forms.ChoiceField(choices=Periodicity.choices)
    discount_rate = forms.DecimalField(min_value=0, max_value=100, max_digits=6, decimal_places=2,
                                       help_text="Percent a year")  # fmt: skip
    strategic_fit = forms.TypedChoiceField(
        choices=[("", "—")] + [(str(n), str(n)) for n in range(1, 6)], coerce=int,
        required=False, empty_value=None, help_text="1 weak … 5 core to the strategy",
    )  # fmt: skip
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class LineForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "—"), *FlowKind.choices], required=False)
    category = forms.ChoiceField(choices=FlowCategory.choices, required=False)
    period = forms.IntegerField(min_value=0, max_value=239, required=False)
    amount = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, required=False)
    description = forms.CharField(max_length=200, required=False)


LineFormSet = forms.formset_factory(LineForm, extra=4, max_num=400)


class FeasibilityForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    recommendation = forms.ChoiceField(choices=Recommendation.choices)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for value, label in Dimension.choices:
            self.fields[f"{value}_score"] = forms.TypedChoiceField(
                label=f"{label}: score", coerce=int, required=False, empty_value=None,
                choices=[("", "—")] + [(str(n), str(n)) for n in range(1, 6)],
            )  # fmt: skip
            self.fields[f"{value}_weight"] = forms.DecimalField(
                label="weight", min_value=0, max_value=100, decimal_places=2, initial=1
            )
            self.fields[f"{value}_notes"] = forms.CharField(label="notes", required=False)
            self.fields[f"{value}_evidence"] = forms.CharField(
                label="evidence links (one per line)", required=False,
                widget=forms.Textarea(attrs={"rows": 1}),
            )  # fmt: skip


class GateDecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=GateDecision.choices)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class LessonForm(forms.Form):
    title = forms.CharField(max_length=200)
    went_well = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    went_badly = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                 label="What did not go well")  # fmt: skip
    recommendations = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. procurement, vendor")


class HandoffForm(forms.Form):
    operations_team: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None)
    service_name = forms.CharField(max_length=200, required=False, label="Service name")
    service_description = forms.CharField(required=False, label="Service description")
    service_hours = forms.CharField(max_length=120, required=False, label="Support hours")
    runbook = forms.URLField(required=False, label="Runbook link", assume_scheme="https")
    queue = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                   label="Help-desk queue")  # fmt: skip
    queue_name = forms.CharField(max_length=120, required=False,
                                 help_text="Only when the help desk has no such queue")  # fmt: skip
    hypercare_until = forms.DateField(required=False, widget=DATE,
                                      help_text="Project team copied on tickets until")  # fmt: skip
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
