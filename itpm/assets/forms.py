from __future__ import annotations

from django import forms

from itpm.assets.models import AssetStatus, AssetType


class AssetForm(forms.Form):
    asset_type = forms.ChoiceField(choices=AssetType.choices, label="Type")
    name = forms.CharField(max_length=200)
    tag = forms.CharField(max_length=64, help_text="Inventory tag, e.g. FRA-SRV-001")
    status = forms.ChoiceField(choices=AssetStatus.choices, initial=AssetStatus.ORDERED)
    owner_team = forms.ChoiceField(required=False)
    serial = forms.CharField(max_length=120, required=False)
    model = forms.CharField(max_length=200, required=False)
    vendor = forms.CharField(max_length=200, required=False)
    location = forms.CharField(max_length=200, required=False)
    purchase_order = forms.CharField(max_length=64, required=False, label="Purchase order")
    cost = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = forms.CharField(max_length=3, initial="USD")
    warranty_end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.ChoiceField(required=False)
    project = forms.CharField(max_length=10, required=False, help_text="Project key, e.g. HWDC")
    installed_by_task = forms.IntegerField(required=False, label="Installed by task (id)")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AssetEditForm(AssetForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX with a header row (see the columns below).")
    apply = forms.BooleanField(required=False, label="Import now (unticked: dry run only)")


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner_team = forms.ChoiceField()
    support_queue = forms.ChoiceField(required=False)
    hours = forms.CharField(max_length=120, required=False, help_text="e.g. Mon–Fri 08:00–18:00")
    runbook_links = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One address per line."
    )
