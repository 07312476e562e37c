from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opentto.accounts.models import User
from opentto.evaluation.models import Rubric, RubricKindChoices
from opentto.evaluation.selectors import reviewers_eligible

from .models import PocProgramme, PocSourceChoices


class DateInput(forms.DateInput):
    input_type = "date"


class ProgrammeForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    funder = forms.CharField(label=_("Funder"), max_length=200)
    source_zh = forms.CharField(
        label=_("Legal or policy source (Chinese)"), widget=forms.Textarea(attrs={"rows": 2})
    )
    source_en = forms.CharField(
        label=_("Legal or policy source (English)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    cap_per_project_cny = forms.DecimalField(
        label=_("Cap per project (CNY)"), max_digits=16, decimal_places=2, min_value=0
    )
    active_from = forms.DateField(label=_("Active from"), widget=DateInput)
    active_until = forms.DateField(label=_("Active until"), widget=DateInput, required=False)


class ProjectForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=300, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    lead = forms.ModelChoiceField(label=_("Lead"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, leads: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = leads  # type: ignore[attr-defined]


class CommitForm(forms.Form):
    source = forms.ChoiceField(
        label=pgettext_lazy("money", "Source"), choices=PocSourceChoices.choices
    )
    programme = forms.ModelChoiceField(
        label=_("District programme"),
        queryset=PocProgramme.objects.none(),
        required=False,
        help_text=_("Only for the district programme's money."),
    )
    amount_cny = forms.DecimalField(
        label=_("Amount committed (CNY)"), max_digits=16, decimal_places=2, min_value=0
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]


class SpendForm(forms.Form):
    line = forms.TypedChoiceField(label=pgettext_lazy("money", "Source"), coerce=int, choices=())
    amount_cny = forms.DecimalField(
        label=_("Amount spent (CNY)"), max_digits=16, decimal_places=2, min_value=0
    )
    spent_on = forms.DateField(label=_("Spent on"), widget=DateInput, initial=timezone.localdate)
    description = forms.CharField(label=_("Description"), max_length=300)
    confirm_duplicate = forms.BooleanField(
        label=_("Yes, record this identical spending again"), required=False
    )

    def __init__(self, *args: Any, lines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(line.pk, line.source_label) for line in lines]  # type: ignore[attr-defined]


class MilestoneForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=300, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    due_on = forms.DateField(label=_("Due"), widget=DateInput)


class MilestoneDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput, initial=timezone.localdate)
    note = forms.CharField(
        label=_("What was shown"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    evidence = forms.FileField(label=_("Evidence (PDF, image or Office file)"))


class ReviewOpenForm(forms.Form):
    rubric = forms.ModelChoiceField(label=_("Rubric"), queryset=Rubric.objects.none())
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)
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
        self.fields["reviewers"].queryset = reviewers_eligible().order_by("last_name", "username")  # type: ignore[attr-defined]
        self.fields["deadline"].initial = timezone.localdate() + timedelta(days=14)


class StopForm(forms.Form):
    reason = forms.CharField(label=_("Reason for stopping"), max_length=2000)
