"""The forms of financing: valuations, pledge loans, securitisation pools."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opentto.core.permissions import restrict
from opentto.organisations.models import Organisation, OrganisationKindChoices
from opentto.patents.forms import DATE, directory_organisations
from opentto.results.models import IPAsset, Result

from .models import (
    PoolCashFlow,
    Valuation,
    ValuationMethodChoices,
)


def split_lines(text: str) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        if line.strip():
            rows.append([part.strip() for part in line.split("|")])
    return rows


def _split(text: str) -> list[str]:
    return [
        p.strip()
        for p in (text or "").replace("\n", ",").replace("，", ",").split(",")
        if p.strip()
    ]


class ValuationForm(forms.Form):
    valuation_date = forms.DateField(label=_("Valuation date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), required=False)
    revenues = forms.CharField(
        label=_("Revenue forecast (CNY per year, comma-separated, year 1 first)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    royalty_rate = forms.CharField(label=_("Royalty rate (fraction)"), initial="0.05")
    tax_rate = forms.CharField(label=_("Tax rate (fraction)"), initial="0.25")
    discount_rate = forms.CharField(label=_("Discount rate (fraction)"), initial="0.12")
    decay = forms.CharField(label=_("Yearly royalty decay (fraction)"), initial="0", required=False)
    reproduction_costs = forms.CharField(
        label=_("Cost approach: reproduction costs (CNY, comma-separated)"), required=False
    )
    obsolescence_rates = forms.CharField(
        label=_("Cost approach: obsolescence rates (fractions, comma-separated)"), required=False
    )
    comparable_deals = forms.MultipleChoiceField(
        label=_("Market approach: comparable landed deals"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    market_scale = forms.CharField(
        label=_("Market approach: scale factor"), initial="1", required=False
    )
    concluded_method = forms.ChoiceField(
        label=_("Value concluded on"), choices=ValuationMethodChoices.choices
    )
    assumptions_zh = forms.CharField(
        label=_("Assumptions (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    assumptions_en = forms.CharField(
        label=_("Assumptions (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, deals: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from opentto.core.money import format_yuan

        self.fields["comparable_deals"].choices = [  # type: ignore[attr-defined]
            (
                str(d.pk),
                f"#{d.pk} · {d.get_deal_type_display()} · {d.signed_on:%Y-%m-%d} · {format_yuan(d.amount_cny)}",
            )
            for d in deals
        ]

    def to_input(self) -> Any:
        from .services import ValuationInput

        c = self.cleaned_data
        return ValuationInput(
            valuation_date=c["valuation_date"],
            revenues=_split(c["revenues"]),
            royalty_rate=c["royalty_rate"],
            tax_rate=c["tax_rate"],
            discount_rate=c["discount_rate"],
            decay=c.get("decay") or "0",
            reproduction_costs=_split(c.get("reproduction_costs", "")),
            obsolescence_rates=_split(c.get("obsolescence_rates", "")),
            comparable_deal_ids=[int(x) for x in c.get("comparable_deals", [])],
            market_scale=c.get("market_scale") or "1",
            concluded_method=c["concluded_method"],
            purpose=c.get("purpose", ""),
            assumptions_zh=c.get("assumptions_zh", ""),
            assumptions_en=c.get("assumptions_en", ""),
        )


class PledgeForm(forms.Form):
    lender = forms.ModelChoiceField(label=_("Lender (bank)"), queryset=Organisation.objects.none())
    valuation = forms.ModelChoiceField(label=_("Valuation used"), queryset=Valuation.objects.none())
    ip_assets = forms.ModelMultipleChoiceField(
        label=_("Patents pledged"),
        queryset=IPAsset.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    amount_cny = forms.CharField(label=_("Loan amount (CNY)"))
    max_ltv = forms.CharField(label=_("Maximum loan-to-value (fraction)"), initial="0.5")
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    annual_rate = forms.CharField(label=_("Annual interest rate (fraction)"), initial="0.035")

    def __init__(self, *args: Any, result: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lender"].queryset = directory_organisations(user, OrganisationKindChoices.BANK)  # type: ignore[attr-defined]
        self.fields["valuation"].queryset = (  # type: ignore[attr-defined]
            Valuation.objects.restrict(user, "view").filter(result=result)
            if result
            else Valuation.objects.none()
        )
        self.fields["ip_assets"].queryset = (  # type: ignore[attr-defined]
            result.ip_assets.filter(ip_kind__in=["invention", "utility", "design"])
            if result
            else IPAsset.objects.none()
        )


class PledgeRegisterForm(forms.Form):
    registration_number = forms.CharField(label=_("Pledge registration number"))
    registration_date = forms.DateField(label=_("Registration date"), widget=DATE)


class PledgeReleaseForm(forms.Form):
    released_on = forms.DateField(label=_("Released on"), widget=DATE)


class PoolForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), required=False)
    name_en = forms.CharField(label=_("Name (English)"), required=False)
    arranger = forms.ModelChoiceField(
        label=_("Arranger"), queryset=Organisation.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["arranger"].queryset = restrict(Organisation.objects.all(), user, "view")  # type: ignore[attr-defined]


class PoolAssetForm(forms.Form):
    result = forms.ModelChoiceField(label=_("Result"), queryset=Result.objects.none())
    licensee = forms.ModelChoiceField(label=_("Licensee"), queryset=Organisation.objects.none())
    cash_flows = forms.CharField(
        label=_("Expected royalties: one per line, “period | amount” (period YYYY or YYYY-Qn)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].queryset = Result.objects.restrict(user, "view")  # type: ignore[attr-defined]
        self.fields["licensee"].queryset = directory_organisations(  # type: ignore[attr-defined]
            user, OrganisationKindChoices.ENTERPRISE
        )

    def flows(self) -> list[tuple[str, str]]:
        return [
            (r[0], r[1] if len(r) > 1 else "") for r in split_lines(self.cleaned_data["cash_flows"])
        ]


class PoolAssetEditForm(forms.Form):
    """A licence in a pool: its licensee and expected royalties (the result stays)."""

    licensee = forms.ModelChoiceField(label=_("Licensee"), queryset=Organisation.objects.none())
    cash_flows = forms.CharField(
        label=_("Expected royalties: one per line, “period | amount” (period YYYY or YYYY-Qn)"),
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args: Any, asset: Any = None, user: Any = None, **kwargs: Any) -> None:
        if asset is not None:
            kwargs.setdefault(
                "initial",
                {
                    "licensee": asset.licensee_id,
                    "cash_flows": "\n".join(
                        f"{f.period} | {f.amount_cny}"
                        for f in PoolCashFlow.objects.restrict(user, "view")
                        .filter(asset=asset)
                        .order_by("period")
                    ),
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["licensee"].queryset = directory_organisations(  # type: ignore[attr-defined]
            user, OrganisationKindChoices.ENTERPRISE
        )

    flows = PoolAssetForm.flows
