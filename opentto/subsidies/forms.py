from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import User
from opentto.evaluation.models import Rubric, RubricKindChoices
from opentto.evaluation.selectors import reviewers_eligible
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation
from opentto.results.models import Result

from .models import CostCategoryChoices

LINES = 4


class ApplicationForm(forms.Form):
    project_title_zh = forms.CharField(
        label=_("Project title (Chinese)"),
        max_length=300,
        required=False,
        help_text=_(
            "Officials and reviewers read the title: do not name a confidential result in it."
        ),
    )
    project_title_en = forms.CharField(
        label=_("Project title (English)"), max_length=300, required=False
    )
    description = forms.CharField(
        label=_("Project description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partner organisations"),
        queryset=Organisation.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    results = forms.ModelMultipleChoiceField(
        label=_("Results"),
        queryset=Result.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    deal = forms.ModelChoiceField(label=_("Deal"), queryset=Deal.objects.none(), required=False)
    requested_cny = forms.DecimalField(
        label=_("Amount requested (CNY)"), max_digits=16, decimal_places=2, min_value=0
    )

    def __init__(self, *args: Any, results: Any, deals: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["results"].queryset = results  # type: ignore[attr-defined]
        self.fields["deal"].queryset = deals  # type: ignore[attr-defined]
        for i in range(LINES):
            self.fields[f"line{i}_category"] = forms.ChoiceField(
                label=_("Category"),
                choices=[("", "—"), *CostCategoryChoices.choices],
                required=False,
            )
            self.fields[f"line{i}_description"] = forms.CharField(
                label=_("Eligible cost"), max_length=300, required=False
            )
            self.fields[f"line{i}_amount"] = forms.DecimalField(
                label=_("Amount (CNY)"),
                max_digits=16,
                decimal_places=2,
                min_value=0,
                required=False,
            )
            self.fields[f"line{i}_document"] = forms.FileField(
                label=_("Supporting document"), required=False
            )

    def line_rows(self) -> list[list[Any]]:
        return [
            [self[f"line{i}_{k}"] for k in ("category", "description", "amount", "document")]
            for i in range(LINES)
        ]


class ReviewOpenForm(forms.Form):
    """The expert review panel: a round of the evaluation app (purpose: subsidy project review)."""

    rubric = forms.ModelChoiceField(label=_("Rubric"), queryset=Rubric.objects.none())
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Experts"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    min_reviews = forms.IntegerField(
        label=_("Reviews required"), min_value=1, max_value=9, initial=2
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rubric"].queryset = Rubric.objects.filter(  # type: ignore[attr-defined]
            is_active=True, kind=RubricKindChoices.SCORED
        )
        # Those who may review (the ``review`` grant on assignments); conflicts are checked on assigning.
        self.fields["reviewers"].queryset = reviewers_eligible().order_by("last_name", "username")  # type: ignore[attr-defined]
        self.fields["deadline"].initial = timezone.localdate() + timedelta(days=14)


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for recognising without a finalised review"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class RecogniseForm(forms.Form):
    recognition_number = forms.CharField(label=_("Recognition number"), max_length=60)


class ApproveForm(forms.Form):
    amount_cny = forms.DecimalField(
        label=_("Amount approved (CNY)"), max_digits=16, decimal_places=2, min_value=0
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class TrancheForm(forms.Form):
    milestone = forms.CharField(label=_("Milestone"), max_length=300)
    amount_cny = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=16, decimal_places=2, min_value=0
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Yes, plan this identical tranche again"), required=False
    )


class AcceptForm(forms.Form):
    acceptance_note = forms.CharField(
        label=_("Acceptance check: what was verified"), widget=forms.Textarea(attrs={"rows": 2})
    )


class PayForm(forms.Form):
    paid_on = forms.DateField(
        label=_("Paid on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
