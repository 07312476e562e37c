"""The forms of the IP layout: families, filings, confidentiality, abandonment, deadlines, fee
reductions. The choice fields read through the permission system."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import User
from opentto.core.permissions import restrict
from opentto.organisations.models import Organisation
from opentto.results.models import IPAsset

from .deadlines import OFFICES
from .models import (
    FILING_OFFICES,
    ApplicantGroundChoices,
    ConfidentialityOutcomeChoices,
    FeeReductionChoices,
    Filing,
    FilingRouteChoices,
    PatentKindChoices,
)
from .permissions import planners

#: ``<input type="date">`` needs ISO dates whatever the language (zh-hans would render 2021/09/10).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def directory_organisations(user: Any, *kinds: str) -> Any:
    """Organisations of ``kinds`` in the directory ``user`` may read (the choices of a form)."""
    return restrict(Organisation.objects.filter(kind__in=kinds), user, "view")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class FamilyForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), required=False)
    title_en = forms.CharField(label=_("Title (English)"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=PatentKindChoices.choices)
    made_in_china = forms.BooleanField(
        label=_("Made in China (confidentiality examination needed before foreign filing)"),
        required=False,
        initial=True,
    )
    target_offices = forms.MultipleChoiceField(
        label=_("Target offices"),
        choices=[(o, o) for o in OFFICES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    manager = UserChoiceField(
        label=_("Responsible manager"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = planners()  # type: ignore[attr-defined]


class FilingForm(forms.Form):
    office = forms.ChoiceField(label=_("Office"), choices=[(o, o) for o in FILING_OFFICES])
    route = forms.ChoiceField(label=_("Route"), choices=FilingRouteChoices.choices)
    receiving_office = forms.CharField(
        label=_("Receiving office (PCT)"), required=False, max_length=4
    )
    parent = forms.ModelChoiceField(
        label=_("PCT application (national phase)"), queryset=Filing.objects.none(), required=False
    )
    application_number = forms.CharField(label=_("Application number"), required=False)
    filing_date = forms.DateField(label=_("Filing date"), widget=DATE, required=False)
    priority_date = forms.DateField(label=_("Priority date claimed"), widget=DATE, required=False)
    planned_by = forms.DateField(label=_("File by (planned filing)"), widget=DATE, required=False)
    grant_date = forms.DateField(label=_("Grant date"), widget=DATE, required=False)
    compensation_days = forms.IntegerField(
        label=_("Patent-term compensation (days)"), min_value=0, required=False
    )
    ip_asset = forms.ModelChoiceField(
        label=_("IP asset of the result"), queryset=IPAsset.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, family: Any = None, filing: Any = None, user: Any = None, **kwargs: Any
    ) -> None:
        if filing is not None:
            family = filing.family
            kwargs.setdefault(
                "initial",
                {
                    "office": filing.office,
                    "route": filing.route,
                    "receiving_office": filing.receiving_office,
                    "parent": filing.parent_id,
                    "application_number": filing.application_number,
                    "filing_date": filing.filing_date,
                    "priority_date": filing.priority_date,
                    "planned_by": filing.planned_by,
                    "grant_date": filing.grant_date,
                    "compensation_days": filing.compensation_days,
                    "ip_asset": filing.ip_asset_id,
                },
            )
        super().__init__(*args, **kwargs)
        parents = (
            Filing.objects.restrict(user, "view").filter(
                family=family, route=FilingRouteChoices.PCT
            )
            if family
            else Filing.objects.none()
        )
        self.fields["parent"].queryset = (  # type: ignore[attr-defined]
            parents.exclude(pk=filing.pk) if filing is not None else parents
        )
        self.fields["ip_asset"].queryset = (  # type: ignore[attr-defined]
            family.result.ip_assets.all() if family else IPAsset.objects.none()
        )

    def to_input(self) -> Any:
        from .services import FilingInput

        c = self.cleaned_data
        return FilingInput(
            office=c["office"],
            route=c["route"],
            application_number=c["application_number"],
            filing_date=c["filing_date"],
            priority_date=c["priority_date"],
            planned_by=c["planned_by"],
            grant_date=c["grant_date"],
            receiving_office=c["receiving_office"],
            parent=c["parent"],
            compensation_days=c["compensation_days"] or 0,
            ip_asset=c["ip_asset"],
        )


class FilingUpdateForm(forms.Form):
    application_number = forms.CharField(label=_("Application number"), required=False)
    filing_date = forms.DateField(label=_("Filing date"), widget=DATE, required=False)
    grant_date = forms.DateField(label=_("Grant date"), widget=DATE, required=False)
    compensation_days = forms.IntegerField(
        label=_("Patent-term compensation (days)"), min_value=0, required=False
    )


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


class FeeReductionForm(forms.Form):
    """A CN filing's fee reduction: the rate, one ground per applicant (the result's owners) and
    an open licence's period. The rules are the service's (``filing_fee_reduction_record``)."""

    reduction = forms.ChoiceField(label=_("Fee reduction"), choices=FeeReductionChoices.choices)
    open_licence_from = forms.DateField(label=_("Open licence from"), widget=DATE, required=False)
    open_licence_until = forms.DateField(
        label=_("Open licence until"),
        widget=DATE,
        required=False,
        help_text=_("Empty while it runs."),
    )

    def __init__(
        self,
        *args: Any,
        applicants: list[Organisation],
        initial_grounds: dict[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
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
