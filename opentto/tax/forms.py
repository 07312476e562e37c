from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.landing.models import Deal
from opentto.organisations.models import Organisation


class TaxProfileForm(forms.Form):
    resident_enterprise = forms.BooleanField(
        label=_("Taxed as a resident enterprise (public institutions are)"),
        required=False,
        initial=True,
    )
    non_profit_research = forms.BooleanField(
        label=_("Non-profit research institute or university"), required=False, initial=True
    )
    legal_source = forms.CharField(label=_("Legal source"), max_length=300)


class DealTaxFactsForm(forms.Form):
    wholly_owned_related_party = forms.BooleanField(
        label=_("Transfer to a wholly-owned related party"), required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DealTaxYearForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Institution"), queryset=Organisation.objects.none()
    )
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    costs_cny = forms.DecimalField(
        label=_("Costs attributable (CNY)"), min_value=0, max_digits=16, decimal_places=2, initial=0
    )
    taxes_cny = forms.DecimalField(
        label=_("Taxes attributable (CNY)"), min_value=0, max_digits=16, decimal_places=2, initial=0
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, deal: Deal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = deal.owners.all()
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            owners
            if owners.exists()
            else Organisation.objects.filter(ownerships__result__deals=deal).distinct()
        )
        choices = list(field.queryset.values_list("pk", flat=True)[:2])
        if len(choices) == 1:
            field.initial = choices[0]
        self.fields["year"].initial = timezone.localdate().year
