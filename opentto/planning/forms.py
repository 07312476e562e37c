"""Forms for planning: they parse and present; rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import User
from opentto.core.permissions import restrict
from opentto.organisations.models import Organisation, OrganisationKindChoices
from opentto.results.models import Attachment, IPAsset, Result

from .deadlines import OFFICES
from .models import (
    FILING_OFFICES,
    ApplicantGroundChoices,
    ConfidentialityOutcomeChoices,
    FeeReductionChoices,
    Filing,
    FilingRouteChoices,
    LicenceTypeChoices,
    OverseasChannelStatusChoices,
    PatentKindChoices,
    PlanTarget,
    PlanTargetStatusChoices,
    PoolCashFlow,
    ServiceKindChoices,
    ServiceTaskStatusChoices,
    TransferModeChoices,
    Valuation,
    ValuationMethodChoices,
)
from .permissions import deal_room_invitees, planners

#: ``<input type="date">`` needs ISO dates whatever the language (zh-hans would render 2021/09/10).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _organisations(user: Any, *kinds: str) -> Any:
    """Organisations of ``kinds`` in the directory ``user`` may read (the choices of a form)."""
    return restrict(Organisation.objects.filter(kind__in=kinds), user, "view")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class PlanDraftForm(forms.Form):
    transfer_mode = forms.ChoiceField(label=_("Recommended transfer mode"), choices=[("", "—"), *TransferModeChoices.choices], required=False)
    summary_zh = forms.CharField(label=_("Plan summary (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    summary_en = forms.CharField(label=_("Plan summary (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


def _lines(text: str) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        if line.strip():
            rows.append([part.strip() for part in line.split("|")])
    return rows


class TermsForm(forms.Form):
    """The terms of one transfer mode (the services check which each mode needs)."""

    licence_type = forms.ChoiceField(label=_("Licence type"), choices=[("", "—"), *LicenceTypeChoices.choices], required=False)
    field_of_use = forms.CharField(label=_("Field of use"), required=False)
    territory = forms.CharField(label=_("Territory"), required=False)
    term_years = forms.CharField(label=_("Term (years)"), required=False)
    upfront_fee_cny = forms.CharField(label=_("Upfront fee (CNY)"), required=False)
    royalty_rate = forms.CharField(label=_("Running royalty rate (fraction, e.g. 0.05)"), required=False)
    minimum_annual_royalty_cny = forms.CharField(label=_("Minimum annual royalty (CNY)"), required=False)
    milestones = forms.CharField(label=_("Milestones: one per line, “event | amount”"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    price_cny = forms.CharField(label=_("Assignment price (CNY)"), required=False)
    payment_schedule = forms.CharField(label=_("Payment schedule: one per line, “YYYY-MM-DD | amount”"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    valuation_cny = forms.CharField(label=_("Agreed value of the result for equity (CNY)"), required=False)
    equity_share_percent = forms.CharField(label=_("Equity share (%)"), required=False)
    vesting = forms.CharField(label=_("Vesting"), required=False)
    company_name = forms.CharField(label=_("Spin-off company name"), required=False)
    founders = forms.CharField(label=_("Founders"), required=False)
    registered_capital_cny = forms.CharField(label=_("Registered capital (CNY)"), required=False)
    formation_plan = forms.CharField(label=_("Company formation plan"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    partner_scope = forms.CharField(label=_("Scope of joint or commissioned work"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    budget_cny = forms.CharField(label=_("Budget (CNY)"), required=False)
    duration_months = forms.CharField(label=_("Duration (months)"), required=False)
    ip_ownership = forms.CharField(label=_("Ownership of new IP"), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def terms(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name, "") for name in TermsForm.base_fields}
        data["milestones"] = [{"event": r[0], "amount_cny": r[1] if len(r) > 1 else ""} for r in _lines(data.get("milestones", ""))]
        data["payment_schedule"] = [{"due": r[0], "amount_cny": r[1] if len(r) > 1 else ""} for r in _lines(data.get("payment_schedule", ""))]
        return data


class OptionForm(TermsForm):
    mode = forms.ChoiceField(label=_("Transfer mode"), choices=TransferModeChoices.choices)
    field_order = ["mode"]


class PlanForm(TermsForm):
    """The one-step form on the result page: the plan with its recommended mode and that mode's
    terms, approved at once (or, under four-eyes approval, submitted for another manager)."""

    transfer_mode = forms.ChoiceField(label=_("Transfer mode"), choices=[("", "—"), *TransferModeChoices.choices])
    summary_zh = forms.CharField(label=_("Plan summary (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    summary_en = forms.CharField(label=_("Plan summary (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    note = forms.CharField(label=_("Decision note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    field_order = ["transfer_mode", "summary_zh", "summary_en"]


class TargetForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Enterprise"), queryset=Organisation.objects.none())
    rationale = forms.CharField(label=_("Why this enterprise"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _organisations(user, OrganisationKindChoices.ENTERPRISE, OrganisationKindChoices.INVESTOR)  # type: ignore[attr-defined]


class TargetStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PlanTargetStatusChoices.choices)


class NegotiationForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Enterprise"), queryset=Organisation.objects.none(), required=False)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    summary = forms.CharField(label=_("What was discussed"), widget=forms.Textarea(attrs={"rows": 2}))
    next_step = forms.CharField(label=_("Next step"), required=False)

    def __init__(self, *args: Any, plan: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:  # the plan's targets the user may see
            targets = PlanTarget.objects.restrict(user, "view").filter(plan=plan)
            self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=targets.values("organisation"))  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Decision note (required to reject)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class FamilyForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), required=False)
    title_en = forms.CharField(label=_("Title (English)"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=PatentKindChoices.choices)
    made_in_china = forms.BooleanField(label=_("Made in China (confidentiality examination needed before foreign filing)"), required=False, initial=True)
    target_offices = forms.MultipleChoiceField(label=_("Target offices"), choices=[(o, o) for o in OFFICES], widget=forms.CheckboxSelectMultiple, required=False)
    manager = UserChoiceField(label=_("Responsible manager"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = planners()  # type: ignore[attr-defined]


class FilingForm(forms.Form):
    office = forms.ChoiceField(label=_("Office"), choices=[(o, o) for o in FILING_OFFICES])
    route = forms.ChoiceField(label=_("Route"), choices=FilingRouteChoices.choices)
    receiving_office = forms.CharField(label=_("Receiving office (PCT)"), required=False, max_length=4)
    parent = forms.ModelChoiceField(label=_("PCT application (national phase)"), queryset=Filing.objects.none(), required=False)
    application_number = forms.CharField(label=_("Application number"), required=False)
    filing_date = forms.DateField(label=_("Filing date"), widget=DATE, required=False)
    priority_date = forms.DateField(label=_("Priority date claimed"), widget=DATE, required=False)
    planned_by = forms.DateField(label=_("File by (planned filing)"), widget=DATE, required=False)
    grant_date = forms.DateField(label=_("Grant date"), widget=DATE, required=False)
    compensation_days = forms.IntegerField(label=_("Patent-term compensation (days)"), min_value=0, required=False)
    ip_asset = forms.ModelChoiceField(label=_("IP asset of the result"), queryset=IPAsset.objects.none(), required=False)

    def __init__(self, *args: Any, family: Any = None, filing: Any = None, user: Any = None, **kwargs: Any) -> None:
        if filing is not None:
            family = filing.family
            kwargs.setdefault("initial", {
                "office": filing.office, "route": filing.route, "receiving_office": filing.receiving_office, "parent": filing.parent_id,
                "application_number": filing.application_number, "filing_date": filing.filing_date, "priority_date": filing.priority_date,
                "planned_by": filing.planned_by, "grant_date": filing.grant_date, "compensation_days": filing.compensation_days,
                "ip_asset": filing.ip_asset_id,
            })
        super().__init__(*args, **kwargs)
        parents = Filing.objects.restrict(user, "view").filter(family=family, route=FilingRouteChoices.PCT) if family else Filing.objects.none()
        self.fields["parent"].queryset = parents.exclude(pk=filing.pk) if filing is not None else parents  # type: ignore[attr-defined]
        self.fields["ip_asset"].queryset = family.result.ip_assets.all() if family else IPAsset.objects.none()  # type: ignore[attr-defined]

    def to_input(self) -> Any:
        from .services import FilingInput

        c = self.cleaned_data
        return FilingInput(
            office=c["office"], route=c["route"], application_number=c["application_number"], filing_date=c["filing_date"],
            priority_date=c["priority_date"], planned_by=c["planned_by"], grant_date=c["grant_date"], receiving_office=c["receiving_office"],
            parent=c["parent"], compensation_days=c["compensation_days"] or 0, ip_asset=c["ip_asset"],
        )


class FilingUpdateForm(forms.Form):
    application_number = forms.CharField(label=_("Application number"), required=False)
    filing_date = forms.DateField(label=_("Filing date"), widget=DATE, required=False)
    grant_date = forms.DateField(label=_("Grant date"), widget=DATE, required=False)
    compensation_days = forms.IntegerField(label=_("Patent-term compensation (days)"), min_value=0, required=False)


class ConfidentialityForm(forms.Form):
    requested_on = forms.DateField(label=_("Requested on"), widget=DATE)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ConfidentialityOutcomeChoices.choices)
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE, required=False)
    reference = forms.CharField(label=_("Reference"), required=False)


class AbandonForm(forms.Form):
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    approved_by = UserChoiceField(label=_("Approved by"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approved_by"].queryset = planners()  # type: ignore[attr-defined]


class DoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DATE)


def _split(text: str) -> list[str]:
    return [p.strip() for p in (text or "").replace("\n", ",").replace("，", ",").split(",") if p.strip()]


class ValuationForm(forms.Form):
    valuation_date = forms.DateField(label=_("Valuation date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), required=False)
    revenues = forms.CharField(label=_("Revenue forecast (CNY per year, comma-separated, year 1 first)"), widget=forms.Textarea(attrs={"rows": 2}))
    royalty_rate = forms.CharField(label=_("Royalty rate (fraction)"), initial="0.05")
    tax_rate = forms.CharField(label=_("Tax rate (fraction)"), initial="0.25")
    discount_rate = forms.CharField(label=_("Discount rate (fraction)"), initial="0.12")
    decay = forms.CharField(label=_("Yearly royalty decay (fraction)"), initial="0", required=False)
    reproduction_costs = forms.CharField(label=_("Cost approach: reproduction costs (CNY, comma-separated)"), required=False)
    obsolescence_rates = forms.CharField(label=_("Cost approach: obsolescence rates (fractions, comma-separated)"), required=False)
    comparable_deals = forms.MultipleChoiceField(label=_("Market approach: comparable landed deals"), required=False, widget=forms.CheckboxSelectMultiple)
    market_scale = forms.CharField(label=_("Market approach: scale factor"), initial="1", required=False)
    concluded_method = forms.ChoiceField(label=_("Value concluded on"), choices=ValuationMethodChoices.choices)
    assumptions_zh = forms.CharField(label=_("Assumptions (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    assumptions_en = forms.CharField(label=_("Assumptions (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, deals: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from opentto.core.money import format_yuan

        self.fields["comparable_deals"].choices = [  # type: ignore[attr-defined]
            (str(d.pk), f"#{d.pk} · {d.get_deal_type_display()} · {d.signed_on:%Y-%m-%d} · {format_yuan(d.amount_cny)}") for d in deals
        ]

    def to_input(self) -> Any:
        from .services import ValuationInput

        c = self.cleaned_data
        return ValuationInput(
            valuation_date=c["valuation_date"], revenues=_split(c["revenues"]), royalty_rate=c["royalty_rate"], tax_rate=c["tax_rate"],
            discount_rate=c["discount_rate"], decay=c.get("decay") or "0", reproduction_costs=_split(c.get("reproduction_costs", "")),
            obsolescence_rates=_split(c.get("obsolescence_rates", "")), comparable_deal_ids=[int(x) for x in c.get("comparable_deals", [])],
            market_scale=c.get("market_scale") or "1", concluded_method=c["concluded_method"], purpose=c.get("purpose", ""),
            assumptions_zh=c.get("assumptions_zh", ""), assumptions_en=c.get("assumptions_en", ""),
        )


class PledgeForm(forms.Form):
    lender = forms.ModelChoiceField(label=_("Lender (bank)"), queryset=Organisation.objects.none())
    valuation = forms.ModelChoiceField(label=_("Valuation used"), queryset=Valuation.objects.none())
    ip_assets = forms.ModelMultipleChoiceField(label=_("Patents pledged"), queryset=IPAsset.objects.none(), widget=forms.CheckboxSelectMultiple)
    amount_cny = forms.CharField(label=_("Loan amount (CNY)"))
    max_ltv = forms.CharField(label=_("Maximum loan-to-value (fraction)"), initial="0.5")
    term_months = forms.IntegerField(label=_("Term (months)"), min_value=1, max_value=600)
    annual_rate = forms.CharField(label=_("Annual interest rate (fraction)"), initial="0.035")

    def __init__(self, *args: Any, result: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lender"].queryset = _organisations(user, OrganisationKindChoices.BANK)  # type: ignore[attr-defined]
        self.fields["valuation"].queryset = Valuation.objects.restrict(user, "view").filter(result=result) if result else Valuation.objects.none()  # type: ignore[attr-defined]
        self.fields["ip_assets"].queryset = result.ip_assets.filter(ip_kind__in=["invention", "utility", "design"]) if result else IPAsset.objects.none()  # type: ignore[attr-defined]


class PledgeRegisterForm(forms.Form):
    registration_number = forms.CharField(label=_("Pledge registration number"))
    registration_date = forms.DateField(label=_("Registration date"), widget=DATE)


class PledgeReleaseForm(forms.Form):
    released_on = forms.DateField(label=_("Released on"), widget=DATE)


class PoolForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), required=False)
    name_en = forms.CharField(label=_("Name (English)"), required=False)
    arranger = forms.ModelChoiceField(label=_("Arranger"), queryset=Organisation.objects.none(), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["arranger"].queryset = restrict(Organisation.objects.all(), user, "view")  # type: ignore[attr-defined]


class PoolAssetForm(forms.Form):
    result = forms.ModelChoiceField(label=_("Result"), queryset=Result.objects.none())
    licensee = forms.ModelChoiceField(label=_("Licensee"), queryset=Organisation.objects.none())
    cash_flows = forms.CharField(label=_("Expected royalties: one per line, “period | amount” (period YYYY or YYYY-Qn)"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].queryset = Result.objects.restrict(user, "view")  # type: ignore[attr-defined]
        self.fields["licensee"].queryset = _organisations(user, OrganisationKindChoices.ENTERPRISE)  # type: ignore[attr-defined]

    def flows(self) -> list[tuple[str, str]]:
        return [(r[0], r[1] if len(r) > 1 else "") for r in _lines(self.cleaned_data["cash_flows"])]


class PoolAssetEditForm(forms.Form):
    """A licence in a pool: its licensee and expected royalties (the result stays)."""

    licensee = forms.ModelChoiceField(label=_("Licensee"), queryset=Organisation.objects.none())
    cash_flows = forms.CharField(label=_("Expected royalties: one per line, “period | amount” (period YYYY or YYYY-Qn)"), widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args: Any, asset: Any = None, user: Any = None, **kwargs: Any) -> None:
        if asset is not None:
            kwargs.setdefault("initial", {
                "licensee": asset.licensee_id,
                "cash_flows": "\n".join(f"{f.period} | {f.amount_cny}" for f in PoolCashFlow.objects.restrict(user, "view").filter(asset=asset).order_by("period")),
            })
        super().__init__(*args, **kwargs)
        self.fields["licensee"].queryset = _organisations(user, OrganisationKindChoices.ENTERPRISE)  # type: ignore[attr-defined]

    flows = PoolAssetForm.flows


class DealRoomForm(forms.Form):
    title = forms.CharField(label=_("Title"))
    attachments = forms.ModelMultipleChoiceField(label=_("Documents shared"), queryset=Attachment.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, result: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only documents of a result whose details the user may read themselves.
        readable = result is not None and Result.objects.restrict(user, "view_details").filter(pk=result.pk).exists()
        self.fields["attachments"].queryset = result.attachments.all() if readable else Attachment.objects.none()  # type: ignore[attr-defined]


class InviteForm(forms.Form):
    user = UserChoiceField(label=_("Investor"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = deal_room_invitees()  # type: ignore[attr-defined]


class ChannelForm(forms.Form):
    country = forms.CharField(label=_("Country or region"))
    partner = forms.CharField(label=_("Partner"), required=False)
    filings = forms.ModelMultipleChoiceField(label=_("Filings needed there"), queryset=Filing.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    status = forms.ChoiceField(label=_("Status"), choices=OverseasChannelStatusChoices.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, result: Any = None, channel: Any = None, user: Any = None, **kwargs: Any) -> None:
        filings = Filing.objects.restrict(user, "view")
        if channel is not None:
            result = channel.result
            kwargs.setdefault("initial", {
                "country": channel.country, "partner": channel.partner, "status": channel.status, "notes": channel.notes,
                "filings": list(filings.filter(channels=channel).values_list("pk", flat=True)),
            })
        super().__init__(*args, **kwargs)
        self.fields["filings"].queryset = filings.filter(family__result=result).exclude(office="CN") if result else Filing.objects.none()  # type: ignore[attr-defined]


class ChannelStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=OverseasChannelStatusChoices.choices)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"))
    kind = forms.ChoiceField(label=_("Kind of service"), choices=ServiceKindChoices.choices)
    owner = UserChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = planners()  # type: ignore[attr-defined]


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ServiceTaskStatusChoices.choices)


class ServiceLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of service"), choices=ServiceKindChoices.choices)
    hours = forms.CharField(label=_("Hours"))
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    notes = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))


class WorkloadForm(forms.Form):
    since = forms.DateField(label=_("From"), widget=DATE)
    until = forms.DateField(label=_("To"), widget=DATE)


class FeeReductionForm(forms.Form):
    """A CN filing's fee reduction: the rate, one ground per applicant (the result's owners) and
    an open licence's period. The rules are the service's (``filing_fee_reduction_record``)."""

    reduction = forms.ChoiceField(label=_("Fee reduction"), choices=FeeReductionChoices.choices)
    open_licence_from = forms.DateField(label=_("Open licence from"), widget=DATE, required=False)
    open_licence_until = forms.DateField(label=_("Open licence until"), widget=DATE, required=False, help_text=_("Empty while it runs."))

    def __init__(self, *args: Any, applicants: list[Organisation], initial_grounds: dict[int, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applicants = applicants
        for org in applicants:
            self.fields[f"ground_{org.pk}"] = forms.ChoiceField(
                label=_("Ground of %(name)s") % {"name": org.name},
                choices=[("", "—"), *ApplicantGroundChoices.choices],
                initial=(initial_grounds or {}).get(org.pk, ""),
                help_text=_("Who qualifies: Caishui [2019] No. 45."),
            )

    def grounds(self) -> dict[int, str]:
        return {org.pk: self.cleaned_data[f"ground_{org.pk}"] for org in self.applicants}
