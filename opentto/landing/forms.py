from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.organisations.models import Organisation
from opentto.results.models import Result

from .models import DealTypeChoices
from .services import COUNTERPARTY_KINDS


class DealForm(forms.Form):
    title = forms.CharField(label=_("Deal title"), max_length=300, required=False)
    counterparty = forms.ModelChoiceField(label=_("Counterparty enterprise"), queryset=Organisation.objects.none())
    deal_type = forms.ChoiceField(label=_("Type"), choices=[("", "—"), *DealTypeChoices.choices])
    amount_cny = forms.DecimalField(label=_("Contract amount (CNY)"), max_digits=16, decimal_places=2, min_value=0)

    def __init__(self, *args: Any, result: Result, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = result.ownerships.values("organisation_id")
        self.fields["counterparty"].queryset = Organisation.objects.filter(kind__in=COUNTERPARTY_KINDS).exclude(pk__in=owners)  # type: ignore[attr-defined]


class DealSignForm(forms.Form):
    signed_on = forms.DateField(label=_("Signing date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))


class DealTerminateForm(forms.Form):
    terminated_on = forms.DateField(label=_("Termination date"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=500)
