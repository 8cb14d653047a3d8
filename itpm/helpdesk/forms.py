from __future__ import annotations

from decimal import Decimal

from django import forms

from itpm.helpdesk.models import Level, Priority, TicketStatus, TicketType


class TicketForm(forms.Form):
    queue = forms.ChoiceField()
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    ticket_type = forms.ChoiceField(choices=TicketType.choices, initial=TicketType.INCIDENT,
                                    label="Type")  # fmt: skip
    impact = forms.ChoiceField(choices=Level.choices, initial=Level.MEDIUM)
    urgency = forms.ChoiceField(choices=Level.choices, initial=Level.MEDIUM)
    category = forms.CharField(max_length=120, required=False)
    requester = forms.CharField(max_length=150, required=False,
                                help_text="Username; empty = you.")  # fmt: skip


class TicketEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(choices=TicketStatus.choices)
    assignee = forms.ChoiceField(required=False)
    priority = forms.ChoiceField(choices=Priority.choices)
    impact = forms.ChoiceField(choices=Level.choices)
    urgency = forms.ChoiceField(choices=Level.choices)
    ticket_type = forms.ChoiceField(choices=TicketType.choices, label="Type")
    category = forms.CharField(max_length=120, required=False)
    problem = forms.IntegerField(required=False, help_text="Id of the problem ticket behind it.")


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Message")
    public = forms.BooleanField(
        required=False, initial=True, label="Public reply (requester sees it)"
    )
    file = forms.FileField(required=False, label="Attachment")


class PortalTicketForm(forms.Form):
    queue = forms.ChoiceField(label="Where does it go?")
    category = forms.ChoiceField(required=False)
    title = forms.CharField(max_length=300, label="Summary")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False,
                                  label="Details")  # fmt: skip
    ticket_type = forms.ChoiceField(
        choices=[(TicketType.SERVICE_REQUEST, "I need something (a request)"),
                 (TicketType.INCIDENT, "Something is broken (an incident)")],
        label="Kind",
    )  # fmt: skip
    urgency = forms.ChoiceField(choices=Level.choices, initial=Level.MEDIUM,
                                label="How urgent is it for you?")  # fmt: skip
    file = forms.FileField(required=False, label="Attachment")


class PortalReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Your reply")
    file = forms.FileField(required=False, label="Attachment")


# ------------------------------------------------------------------ manager pages


def _hours(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=Decimal("0.01"), max_value=Decimal(8760),
                              max_digits=8, decimal_places=2)  # fmt: skip


class SlaPolicyForm(forms.Form):
    """Targets are entered in business hours; the policy stores business minutes."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    warning_percent = forms.IntegerField(
        min_value=1, max_value=100, initial=75,
        help_text="Percent of a target after which the clock turns amber and agents are warned",
    )  # fmt: skip
    reopen_window_days = forms.IntegerField(
        min_value=0, max_value=365, initial=7,
        help_text="Reopening within this many days resumes the resolution clock",
    )  # fmt: skip

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for priority in Priority.values:
            self.fields[f"{priority}_first_response"] = _hours(f"{priority} first response (h)")
            self.fields[f"{priority}_resolution"] = _hours(f"{priority} resolution (h)")

    def targets(self) -> dict[str, dict[str, int]]:
        """Business hours as whole business minutes (the unit of the SLA clock)."""
        data = self.cleaned_data
        return {
            p: {"first_response_minutes": round(data[f"{p}_first_response"] * 60),
                "resolution_minutes": round(data[f"{p}_resolution"] * 60)}
            for p in Priority.values
        }  # fmt: skip


class QueueSettingsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    key = forms.CharField(max_length=10, required=False, help_text="Short code, e.g. SDESK")
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    team = forms.ChoiceField(help_text="The team whose members are the queue's agents")
    calendar = forms.ChoiceField(required=False, help_text="Business hours of the SLA clock")
    time_zone = forms.CharField(max_length=64, initial="UTC")
    sla_policy = forms.ChoiceField(required=False, label="SLA policy")
    categories = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text="Request categories offered on the portal form, one per line",
    )  # fmt: skip
    portal_visible = forms.BooleanField(required=False, initial=True,
                                        label="Offered on the requester portal")  # fmt: skip

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for impact in Level.values:
            for urgency in Level.values:
                self.fields[f"matrix_{impact}_{urgency}"] = forms.ChoiceField(
                    choices=[(p, p) for p in Priority.values],
                    label=f"impact {impact} × urgency {urgency}",
                )

    def matrix(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {i: {u: data[f"matrix_{i}_{u}"] for u in Level.values} for i in Level.values}
