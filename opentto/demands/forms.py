"""Forms for demands, targeted R&D projects and deals from matches. They parse input; the services
validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import User
from opentto.landing.models import DealTypeChoices
from opentto.organisations.models import RESEARCH_KINDS, Organisation, Person
from opentto.results.models import ResultFieldChoices

from .models import Demand, DemandCooperationChoices
from .selectors import demand_organisations
from .services import DemandInput, MilestoneInput, ProjectInput


class DemandForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Organisation.objects.none(), required=False
    )
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=300, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    problem_zh = forms.CharField(
        label=_("Technical problem (Chinese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    problem_en = forms.CharField(
        label=_("Technical problem (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    field = forms.ChoiceField(
        label=_("Field"), choices=[("", _("Any")), *ResultFieldChoices.choices], required=False
    )
    cooperation = forms.MultipleChoiceField(
        label=_("Wanted cooperation"),
        choices=DemandCooperationChoices.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )
    budget_min_cny = forms.DecimalField(
        label=_("Budget from (yuan)"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    budget_max_cny = forms.DecimalField(
        label=_("Budget up to (yuan)"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    deadline = forms.DateField(
        label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_public = forms.TypedChoiceField(
        label=_("Confidentiality"),
        coerce=lambda v: v == "public",
        initial="confidential",
        choices=[
            ("confidential", _("Confidential: my organisation and the TTO managers")),
            ("public", _("Public: every signed-in user")),
        ],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        choices = demand_organisations(user)
        own = getattr(user, "organisation_id", None)
        # a choice only for those who may post for another enterprise than their own (the TTO)
        if (choices.exclude(pk=own) if own is not None else choices).exists():
            self.fields["organisation"].queryset = choices  # type: ignore[attr-defined]
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]

    def to_input(self) -> DemandInput:
        d = self.cleaned_data
        org = d.get("organisation") if "organisation" in self.fields else self.user.organisation
        return DemandInput(
            organisation=org,
            title_zh=d["title_zh"],
            title_en=d["title_en"],
            problem_zh=d["problem_zh"],
            problem_en=d["problem_en"],
            field=d["field"],
            cooperation=d["cooperation"],
            budget_min_cny=d["budget_min_cny"],
            budget_max_cny=d["budget_max_cny"],
            deadline=d["deadline"],
            is_public=bool(d["is_public"]),
        )

    @staticmethod
    def initial_from(demand: Demand) -> dict[str, Any]:
        return {
            "organisation": demand.organisation_id,
            "title_zh": demand.title_zh,
            "title_en": demand.title_en,
            "problem_zh": demand.problem_zh,
            "problem_en": demand.problem_en,
            "field": demand.field,
            "cooperation": demand.cooperation,
            "budget_min_cny": demand.budget_min_cny,
            "budget_max_cny": demand.budget_max_cny,
            "deadline": demand.deadline,
            "is_public": "public" if demand.is_public else "confidential",
        }


MATCH_FILTER_TRL = [("", _("Any"))] + [(str(n), f"≥ {n}") for n in range(1, 10)]


class ProjectForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=300, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    research_organisation = forms.ModelChoiceField(
        label=_("Research organisation"), queryset=Organisation.objects.none()
    )
    lead = forms.ModelChoiceField(label=_("Team lead"), queryset=Person.objects.none())
    scope_zh = forms.CharField(
        label=_("Scope (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    scope_en = forms.CharField(
        label=_("Scope (English)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    budget_cny = forms.CharField(label=_("Budget (yuan)"), max_length=24)
    starts_on = forms.DateField(
        label=_("Starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    MILESTONE_ROWS = 3

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["research_organisation"].queryset = Organisation.objects.restrict(  # type: ignore[attr-defined]
            user, "view"
        ).filter(kind__in=RESEARCH_KINDS)
        self.fields["lead"].queryset = Person.objects.restrict(user, "view")  # type: ignore[attr-defined]
        for i in range(self.MILESTONE_ROWS):
            self.fields[f"m{i}_title"] = forms.CharField(
                label=_("Milestone %(n)s") % {"n": i + 1}, max_length=300, required=False
            )
            self.fields[f"m{i}_due"] = forms.DateField(
                label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"m{i}_amount"] = forms.CharField(
                label=_("Payment (yuan)"), max_length=24, required=False
            )

    def milestone_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"m{i}_title"], self[f"m{i}_due"], self[f"m{i}_amount"])
            for i in range(self.MILESTONE_ROWS)
        ]

    def to_input(self) -> tuple[ProjectInput, list[int]]:
        d = self.cleaned_data
        milestones, rows = [], []
        for i in range(self.MILESTONE_ROWS):
            if d.get(f"m{i}_title") or d.get(f"m{i}_due") or d.get(f"m{i}_amount"):
                milestones.append(
                    MilestoneInput(
                        title_zh=d[f"m{i}_title"],
                        due_on=d[f"m{i}_due"],
                        amount_cny=d[f"m{i}_amount"] or "0",
                    )
                )
                rows.append(i)
        return ProjectInput(
            research_organisation=d["research_organisation"],
            lead=d["lead"],
            title_zh=d["title_zh"],
            title_en=d["title_en"],
            scope_zh=d["scope_zh"],
            scope_en=d["scope_en"],
            budget_cny=d["budget_cny"],
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            milestones=milestones,
        ), rows


class MatchDealForm(forms.Form):
    deal_type = forms.ChoiceField(label=_("Type of deal"), choices=DealTypeChoices.choices)
    amount_cny = forms.CharField(label=_("Contract amount (yuan)"), max_length=24)
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
