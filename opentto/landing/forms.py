from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.organisations.models import RESEARCH_KINDS, Organisation
from opentto.results.forms import MultipleFileField
from opentto.results.models import Result

from .models import (
    AgreementKindChoices,
    ContractKindChoices,
    ContractObjectChoices,
    CostKindChoices,
    Deal,
    DealTypeChoices,
    PaymentScheduleItem,
    PriceMethodChoices,
    RoyaltyReport,
    ScheduleKindChoices,
)
from .services import COUNTERPARTY_KINDS, DealTerms, PlanDealTerms


def _date(label: Any, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}), **kwargs
    )


def _money(label: Any, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=16, decimal_places=2, min_value=0, required=required
    )


class DealTermsMixin(forms.Form):
    price_method = forms.ChoiceField(
        label=_("How the price was set"), choices=PriceMethodChoices.choices, required=False
    )
    currency = forms.CharField(
        label=_("Currency (ISO code)"), max_length=3, initial="CNY", required=False
    )
    amount_foreign = _money(_("Amount in that currency"), required=False)
    fx_rate = forms.DecimalField(
        label=_("Exchange rate used (CNY per unit)"),
        max_digits=14,
        decimal_places=6,
        required=False,
    )
    term_starts_on = _date(_("Term starts"), required=False)
    term_ends_on = _date(_("Term ends"), required=False)
    royalty_rate = forms.DecimalField(
        label=_("Royalty rate (e.g. 0.03 for 3%)"), max_digits=6, decimal_places=5, required=False
    )
    royalty_minimum_cny = _money(_("Minimum royalty per period (CNY)"), required=False)
    equity_shares = forms.DecimalField(
        label=_("Shares received"), max_digits=20, decimal_places=4, required=False
    )
    equity_percent = forms.DecimalField(
        label=_("Equity stake (%)"), max_digits=7, decimal_places=4, required=False
    )
    equity_valuation_cny = _money(_("Valuation of the stake (CNY)"), required=False)
    spinoff_name = forms.CharField(label=_("Spin-off company"), max_length=200, required=False)
    spinoff_credit_code = forms.CharField(
        label=_("Spin-off unified social credit code"), max_length=18, required=False
    )
    spinoff_founded_on = _date(_("Spin-off founded"), required=False)
    spinoff_registered_capital_cny = _money(_("Registered capital (CNY)"), required=False)

    TERM_FIELDS = tuple(DealTerms.__dataclass_fields__)

    def terms(self) -> DealTerms:
        data: dict[str, Any] = {k: self.cleaned_data.get(k) for k in self.TERM_FIELDS}
        for k in ("price_method", "spinoff_name", "spinoff_credit_code"):
            data[k] = data[k] or ""
        data["currency"] = data["currency"] or "CNY"
        return DealTerms(**data)


class DealForm(DealTermsMixin):
    title = forms.CharField(label=_("Deal title"), max_length=300, required=False)
    counterparty = forms.ModelChoiceField(
        label=_("Counterparty enterprise"), queryset=Organisation.objects.none()
    )
    deal_type = forms.ChoiceField(label=_("Type"), choices=[("", "—"), *DealTypeChoices.choices])
    amount_cny = _money(_("Contract amount (CNY)"), required=False)

    def __init__(
        self, *args: Any, result: Result, from_plan: PlanDealTerms | None = None, **kwargs: Any
    ) -> None:
        """``from_plan``: the approved plan's terms the blank form starts with (the service takes
        the terms not shown here from the plan too)."""
        if from_plan is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                "deal_type": from_plan.deal_type,
                "amount_cny": from_plan.amount_cny,
                **{k: v for k, v in vars(from_plan.terms).items() if v not in (None, "")},
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        owners = result.ownerships.values("organisation_id")
        self.fields["counterparty"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            kind__in=COUNTERPARTY_KINDS
        ).exclude(pk__in=owners)


class DealTermsForm(DealTermsMixin):
    title = forms.CharField(label=_("Deal title"), max_length=300, required=False)
    amount_cny = _money(_("Contract amount (CNY)"), required=False)

    @classmethod
    def for_deal(cls, deal: Deal, data: Any = None) -> DealTermsForm:
        initial = {k: getattr(deal, k) for k in (*cls.TERM_FIELDS, "title", "amount_cny")}
        for k in (
            "royalty_rate",
            "equity_percent",
            "equity_shares",
            "fx_rate",
        ):  # 0.03, not 0.03000
            if initial[k] is not None:
                initial[k] = f"{initial[k].normalize():f}"
        return cls(data, initial=initial)


class DealSignForm(forms.Form):
    signed_on = _date(_("Signing date"), initial=timezone.localdate)


class DealDateForm(forms.Form):
    on = _date(_("Date"), initial=timezone.localdate)


class DealTerminateForm(forms.Form):
    terminated_on = _date(_("Termination date"), initial=timezone.localdate)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class NoticeForm(forms.Form):
    starts_on = _date(_("Notice starts"), initial=timezone.localdate)
    ends_on = _date(_("Notice ends"), initial=lambda: timezone.localdate() + timedelta(days=14))
    text_zh = forms.CharField(
        label=_("Notice text (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Leave empty for the standard text with the results' names and the price."),
    )
    text_en = forms.CharField(
        label=_("Notice text (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class NoticeWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    objections = forms.CharField(
        label=_("Objections received"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ScheduleKindChoices.choices)
    description = forms.CharField(
        label=_("Description / milestone"), max_length=300, required=False
    )
    due_on = _date(_("Due"), required=False)
    amount_cny = _money(_("Amount (CNY)"), required=False)


class PaymentForm(forms.Form):
    received_on = _date(_("Received on"), initial=timezone.localdate)
    amount_cny = forms.DecimalField(
        label=_("Amount received (CNY)"), max_digits=16, decimal_places=2, min_value=0
    )
    schedule_item: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("For schedule item"), queryset=PaymentScheduleItem.objects.none(), required=False
    )
    royalty_report: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("For royalty report"), queryset=RoyaltyReport.objects.none(), required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    confirm_duplicate = forms.BooleanField(
        label=_("Yes, record this identical payment again"), required=False
    )

    def __init__(self, *args: Any, deal: Deal, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schedule_item"].queryset = PaymentScheduleItem.objects.restrict(  # type: ignore[attr-defined]
            user, "view"
        ).filter(deal=deal)
        self.fields["royalty_report"].queryset = RoyaltyReport.objects.restrict(  # type: ignore[attr-defined]
            user, "view"
        ).filter(deal=deal)


class RoyaltyReportForm(forms.Form):
    period_start = _date(_("Period starts"))
    period_end = _date(_("Period ends"))
    due_on = _date(_("Payment due"))
    net_sales_cny = _money(_("Net sales reported (CNY)"))


class CostForm(forms.Form):
    result: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Result"), queryset=Result.objects.none()
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CostKindChoices.choices)
    amount_cny = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=16, decimal_places=2, min_value=0
    )
    incurred_on = _date(_("Date"), initial=timezone.localdate)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    confirm_duplicate = forms.BooleanField(
        label=_("Yes, record this identical cost again"), required=False
    )

    def __init__(self, *args: Any, deal: Deal, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].queryset = Result.objects.restrict(user, "view_details").filter(  # type: ignore[attr-defined]
            deals=deal
        )


class AgreementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AgreementKindChoices.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    parties = forms.ModelMultipleChoiceField(
        label=_("Parties"),
        queryset=Organisation.objects.all(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    results = forms.ModelMultipleChoiceField(
        label=_("Results"),
        queryset=Result.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    signed_on = _date(_("Signing date"))
    expires_on = _date(_("Expires"), required=False)
    shares = forms.CharField(
        label=_("Co-owners' shares of income"),
        required=False,
        max_length=500,
        help_text=_(
            "Co-owner agreements only: one line per owner, “organisation ID: percentage”, e.g. “12: 60”."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["results"].queryset = Result.objects.restrict(user, "view")  # type: ignore[attr-defined]

    def parsed_shares(self) -> list[tuple[Organisation, str]]:
        out: list[tuple[Organisation, str]] = []
        for line in (self.cleaned_data.get("shares") or "").replace("：", ":").splitlines():
            if not line.strip():
                continue
            key, _sep, value = line.partition(":")
            org = (
                Organisation.objects.filter(pk=int(key)).first() if key.strip().isdigit() else None
            )
            if org is None:
                raise forms.ValidationError(
                    _("“%(line)s”: give an organisation ID and a percentage.") % {"line": line}
                )
            out.append((org, value.strip()))
        return out


class RuleForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.filter(kind__in=RESEARCH_KINDS)
    )
    team_share = forms.DecimalField(
        label=_("Team's share of net licence/transfer income (e.g. 0.7)"),
        max_digits=5,
        decimal_places=4,
        min_value=0,
        max_value=1,
    )
    tto_share = forms.DecimalField(
        label=_("TTO's share (e.g. 0.1)"),
        max_digits=5,
        decimal_places=4,
        min_value=0,
        max_value=1,
        initial=0,
    )
    equity_team_share = forms.DecimalField(
        label=_("Team's share of equity (e.g. 0.7)"),
        max_digits=5,
        decimal_places=4,
        min_value=0,
        max_value=1,
        initial="0.7",
    )
    legal_source = forms.CharField(label=_("Legal source of the rule"), max_length=300)
    state_established = forms.BooleanField(
        label=_("State-established university or institute"), required=False, initial=True
    )
    in_shanghai = forms.BooleanField(
        label=_("Subject to Shanghai's regulation"), required=False, initial=True
    )


# --- technology-contract registration ------------------------------------------------------------


def _documents(required: bool = False) -> MultipleFileField:
    """Several files, checked by content in the service as result attachments are (an empty list
    when none is chosen: the documents step's service asks for one)."""
    return MultipleFileField(
        label=_("Documents (PDF, images, Office files)"),
        required=required,
        help_text=_("The contract text sent, the office's certificate or notice."),
    )


class ClassifyForm(forms.Form):
    contract_kind = forms.ChoiceField(
        label=_("Kind of technology contract"), choices=[("", "—"), *ContractKindChoices.choices]
    )
    contract_object = forms.ChoiceField(
        label=_("Object (transfer, licence) or special service"),
        choices=[("", "—"), *ContractObjectChoices.choices],
        required=False,
    )
    bundled_support_services = forms.BooleanField(
        label=_("Consulting and services inside this same contract and invoice"),
        required=False,
    )
    claims_vat_exemption = forms.BooleanField(label=_("Claims the VAT exemption"), required=False)
    claims_income_tax_relief = forms.BooleanField(
        label=_("Claims the income-tax relief on technology transfer"), required=False
    )

    @classmethod
    def for_deal(cls, deal: Deal) -> ClassifyForm:
        return cls(initial={k: getattr(deal, k) for k in cls.base_fields})


class RegistrationApplyForm(forms.Form):
    applied_on = _date(_("Applied on"), initial=timezone.localdate)
    office = forms.CharField(label=_("Registration office"), max_length=200)
    documents = _documents()


class RegistrationRegisterForm(forms.Form):
    number = forms.CharField(label=_("Registration number"), max_length=60)
    registered_on = _date(_("Registered on"), initial=timezone.localdate)
    technology_income_cny = _money(_("Technology-related income set by the office (CNY)"))
    income_explanation = forms.CharField(
        label=_("Why the technology income exceeds the contract amount"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    documents = _documents()


class RegistrationReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("The office's reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    documents = _documents()


class RegistrationDocumentsForm(forms.Form):
    documents = _documents(required=True)
