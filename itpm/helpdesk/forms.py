from __future__ import annotations

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
