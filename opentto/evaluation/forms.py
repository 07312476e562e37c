"""Forms parse input only; the services validate and decide."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import User

from .models import (
    EvaluationDecisionChoices,
    ReviewPurposeChoices,
    ReviewRound,
    Rubric,
    RubricCriterion,
    TransferModeChoices,
)


class EvaluationForm(forms.Form):
    """The manager's override: an outcome recorded without a finalised review round."""

    decision = forms.ChoiceField(label=_("Decision"), choices=[("", "—"), *EvaluationDecisionChoices.choices])
    trl_assessed = forms.TypedChoiceField(
        label=_("Assessed TRL"), coerce=int, empty_value=None, required=False,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 10)],
    )
    summary_zh = forms.CharField(label=_("Reason (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    summary_en = forms.CharField(label=_("Reason (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class DateInput(forms.DateInput):
    input_type = "date"


class RoundOpenForm(forms.Form):
    rubric = forms.ModelChoiceField(label=_("Rubric"), queryset=Rubric.objects.none(), empty_label="—")
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ReviewPurposeChoices.choices)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)
    spread_threshold = forms.DecimalField(
        label=_("Disagreement threshold (points)"), min_value=Decimal("0.5"), max_value=Decimal("8"), decimal_places=2,
        initial=Decimal("2"), help_text=_("A criterion whose highest and lowest score differ by this much or more goes to consensus."),
    )
    min_reviews = forms.TypedChoiceField(
        label=_("Reviews required"), coerce=int, choices=[(n, str(n)) for n in range(1, 10)], initial=2,
        help_text=_("The round settles once this many reviews are in and every invited reviewer has submitted."),
    )
    is_blind = forms.BooleanField(label=_("Blind: reviewers do not see each other's scores"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "round")
        super().__init__(*args, **kwargs)
        self.fields["rubric"].queryset = Rubric.objects.filter(is_active=True).order_by("key")  # type: ignore[attr-defined]
        self.fields["rubric"].label_from_instance = lambda r: f"{r.title} (v{r.version}, {r.standard})"  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("deadline", timezone.localdate() + timedelta(days=14))


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(label=_("Reviewer"), queryset=User.objects.none(), empty_label="—")

    def __init__(self, *args: Any, reviewers: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        if reviewers is not None:
            self.fields["reviewer"].queryset = reviewers  # type: ignore[attr-defined]
        self.fields["reviewer"].label_from_instance = lambda u: (  # type: ignore[attr-defined]
            f"{u.get_full_name() or u.username}" + (f" · {u.organisation}" if u.organisation_id else "")
        )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    last_name = forms.CharField(label=_("Family name"), max_length=150)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "invite")
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    criteria = forms.MultipleChoiceField(label=_("Criteria to re-score"), widget=forms.CheckboxSelectMultiple, choices=())
    note = forms.CharField(label=_("Note to the reviewers"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, review_round: ReviewRound | None = None, choices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "reopen")
        super().__init__(*args, **kwargs)
        self.fields["criteria"].choices = choices or []  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Why the spread is accepted"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "accept")
        super().__init__(*args, **kwargs)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "cancel")
        super().__init__(*args, **kwargs)


class FinaliseForm(forms.Form):
    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=[("", "—"), *EvaluationDecisionChoices.choices])
    transfer_modes = forms.MultipleChoiceField(
        label=_("Recommended transfer modes"), choices=TransferModeChoices.choices, widget=forms.CheckboxSelectMultiple, required=False,
    )
    trl_assessed = forms.TypedChoiceField(
        label=_("Assessed TRL"), coerce=int, empty_value=None, required=False,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 10)],
    )
    strengths_zh = forms.CharField(label=_("Strengths (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    strengths_en = forms.CharField(label=_("Strengths (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    risks_zh = forms.CharField(label=_("Risks (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    risks_en = forms.CharField(label=_("Risks (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    conditions_zh = forms.CharField(label=_("Conditions (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    conditions_en = forms.CharField(label=_("Conditions (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    apply_decision = forms.BooleanField(label=_("Apply the decision to the pipeline now"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "final")
        super().__init__(*args, **kwargs)


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Conflict of interest"), coerce=lambda v: v == "yes", widget=forms.RadioSelect,
        choices=[("no", _("I declare that I have no conflict of interest with this result, its owners or its inventors.")),
                 ("yes", _("I have a conflict of interest (I will leave this review)."))],
    )
    statement = forms.CharField(label=_("Describe the conflict"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RubricReviseForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    revision_note = forms.CharField(label=_("What changed"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, rubric: Rubric, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        self.criterion_rows: list[tuple[RubricCriterion, list[str]]] = []
        if not self.is_bound:
            self.initial.update(title_zh=rubric.title_zh, title_en=rubric.title_en)
        for c in rubric.criteria.all():
            names = []
            for field, f in (
                ("title_zh", forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False, initial=c.title_zh)),
                ("title_en", forms.CharField(label=_("Name (English)"), max_length=200, required=False, initial=c.title_en)),
                ("weight", forms.DecimalField(label=_("Default weight"), min_value=Decimal("0"), max_digits=6, decimal_places=3, initial=c.weight)),
                ("clause", forms.CharField(label=_("Place in the standard"), max_length=300, required=False, initial=c.clause)),
            ):
                name = f"c-{c.key}-{field}"
                self.fields[name] = f
                names.append(name)
            self.criterion_rows.append((c, names))

    def bound_rows(self) -> list[tuple[RubricCriterion, list[forms.BoundField]]]:
        return [(c, [self[n] for n in names]) for c, names in self.criterion_rows]
