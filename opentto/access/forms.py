from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import NdaKindChoices


class AccessRequestForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you need the confidential details for (e.g. evaluating a licence)."),
    )
    nda_kind = forms.ChoiceField(
        label=_("Non-disclosure agreement"),
        choices=NdaKindChoices.choices,
        widget=forms.RadioSelect,
        initial=NdaKindChoices.CLICK_THROUGH,
    )
    accept_nda = forms.BooleanField(
        label=_("I accept the non-disclosure agreement above on behalf of my organisation."),
        required=False,
    )
    nda_file = forms.FileField(label=_("Signed NDA (PDF or image)"), required=False)


class DecisionForm(forms.Form):
    expires_on = forms.DateField(
        label=_("Access ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note to the requester"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["expires_on"].initial = timezone.localdate() + timedelta(days=90)


class PrivateDataForm(forms.Form):
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(
        label=_("Bank account number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    retain_until = forms.DateField(
        label=_("Keep until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The details are cleared automatically after this date."),
    )
