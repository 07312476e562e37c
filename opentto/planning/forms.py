"""Forms for planning: they parse and present; rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import User
from opentto.financing.forms import split_lines
from opentto.organisations.models import Organisation, OrganisationKindChoices
from opentto.patents.forms import DATE, UserChoiceField, directory_organisations
from opentto.patents.models import Filing
from opentto.patents.permissions import planners
from opentto.results.models import Attachment, Result

from .models import (
    LicenceTypeChoices,
    OverseasChannelStatusChoices,
    PlanTarget,
    PlanTargetStatusChoices,
    ServiceKindChoices,
    ServiceTaskStatusChoices,
    TransferModeChoices,
)
from .permissions import deal_room_invitees


class PlanDraftForm(forms.Form):
    transfer_mode = forms.ChoiceField(
        label=_("Recommended transfer mode"),
        choices=[("", "—"), *TransferModeChoices.choices],
        required=False,
    )
    summary_zh = forms.CharField(
        label=_("Plan summary (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    summary_en = forms.CharField(
        label=_("Plan summary (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class TermsForm(forms.Form):
    """The terms of one transfer mode (the services check which each mode needs)."""

    licence_type = forms.ChoiceField(
        label=_("Licence type"), choices=[("", "—"), *LicenceTypeChoices.choices], required=False
    )
    field_of_use = forms.CharField(label=_("Field of use"), required=False)
    territory = forms.CharField(label=_("Territory"), required=False)
    term_years = forms.CharField(label=_("Term (years)"), required=False)
    upfront_fee_cny = forms.CharField(label=_("Upfront fee (CNY)"), required=False)
    royalty_rate = forms.CharField(
        label=_("Running royalty rate (fraction, e.g. 0.05)"), required=False
    )
    minimum_annual_royalty_cny = forms.CharField(
        label=_("Minimum annual royalty (CNY)"), required=False
    )
    milestones = forms.CharField(
        label=_("Milestones: one per line, “event | amount”"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    price_cny = forms.CharField(label=_("Assignment price (CNY)"), required=False)
    payment_schedule = forms.CharField(
        label=_("Payment schedule: one per line, “YYYY-MM-DD | amount”"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    valuation_cny = forms.CharField(
        label=_("Agreed value of the result for equity (CNY)"), required=False
    )
    equity_share_percent = forms.CharField(label=_("Equity share (%)"), required=False)
    vesting = forms.CharField(label=_("Vesting"), required=False)
    company_name = forms.CharField(label=_("Spin-off company name"), required=False)
    founders = forms.CharField(label=_("Founders"), required=False)
    registered_capital_cny = forms.CharField(label=_("Registered capital (CNY)"), required=False)
    formation_plan = forms.CharField(
        label=_("Company formation plan"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    partner_scope = forms.CharField(
        label=_("Scope of joint or commissioned work"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    budget_cny = forms.CharField(label=_("Budget (CNY)"), required=False)
    duration_months = forms.CharField(label=_("Duration (months)"), required=False)
    ip_ownership = forms.CharField(label=_("Ownership of new IP"), required=False)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def terms(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name, "") for name in TermsForm.base_fields}
        data["milestones"] = [
            {"event": r[0], "amount_cny": r[1] if len(r) > 1 else ""}
            for r in split_lines(data.get("milestones", ""))
        ]
        data["payment_schedule"] = [
            {"due": r[0], "amount_cny": r[1] if len(r) > 1 else ""}
            for r in split_lines(data.get("payment_schedule", ""))
        ]
        return data


class OptionForm(TermsForm):
    mode = forms.ChoiceField(label=_("Transfer mode"), choices=TransferModeChoices.choices)
    field_order = ["mode"]


class PlanForm(TermsForm):
    """The one-step form on the result page: the plan with its recommended mode and that mode's
    terms, approved at once (or, under four-eyes approval, submitted for another manager)."""

    transfer_mode = forms.ChoiceField(
        label=_("Transfer mode"), choices=[("", "—"), *TransferModeChoices.choices]
    )
    summary_zh = forms.CharField(
        label=_("Plan summary (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    summary_en = forms.CharField(
        label=_("Plan summary (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    note = forms.CharField(
        label=_("Decision note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    field_order = ["transfer_mode", "summary_zh", "summary_en"]


class TargetForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Organisation.objects.none()
    )
    rationale = forms.CharField(
        label=_("Why this enterprise"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = directory_organisations(  # type: ignore[attr-defined]
            user, OrganisationKindChoices.ENTERPRISE, OrganisationKindChoices.INVESTOR
        )


class TargetStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PlanTargetStatusChoices.choices)


class NegotiationForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Organisation.objects.none(), required=False
    )
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    summary = forms.CharField(
        label=_("What was discussed"), widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("Next step"), required=False)

    def __init__(self, *args: Any, plan: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:  # the plan's targets the user may see
            targets = PlanTarget.objects.restrict(user, "view").filter(plan=plan)
            self.fields["organisation"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
                pk__in=targets.values("organisation")
            )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Decision note (required to reject)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class DealRoomForm(forms.Form):
    title = forms.CharField(label=_("Title"))
    attachments = forms.ModelMultipleChoiceField(
        label=_("Documents shared"),
        queryset=Attachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, result: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only documents of a result whose details the user may read themselves.
        readable = (
            result is not None
            and Result.objects.restrict(user, "view_details").filter(pk=result.pk).exists()
        )
        self.fields["attachments"].queryset = (  # type: ignore[attr-defined]
            result.attachments.all() if readable else Attachment.objects.none()
        )


class InviteForm(forms.Form):
    user = UserChoiceField(label=_("Investor"), queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = deal_room_invitees()  # type: ignore[attr-defined]


class ChannelForm(forms.Form):
    country = forms.CharField(label=_("Country or region"))
    partner = forms.CharField(label=_("Partner"), required=False)
    filings = forms.ModelMultipleChoiceField(
        label=_("Filings needed there"),
        queryset=Filing.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(label=_("Status"), choices=OverseasChannelStatusChoices.choices)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(
        self, *args: Any, result: Any = None, channel: Any = None, user: Any = None, **kwargs: Any
    ) -> None:
        filings = Filing.objects.restrict(user, "view")
        if channel is not None:
            result = channel.result
            kwargs.setdefault(
                "initial",
                {
                    "country": channel.country,
                    "partner": channel.partner,
                    "status": channel.status,
                    "notes": channel.notes,
                    "filings": list(filings.filter(channels=channel).values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["filings"].queryset = (  # type: ignore[attr-defined]
            filings.filter(family__result=result).exclude(office="CN")
            if result
            else Filing.objects.none()
        )


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
