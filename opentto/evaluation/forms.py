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
    PURPOSE_WEIGHT_FALLBACK,
    EvaluationDecisionChoices,
    ReviewPurposeChoices,
    ReviewRound,
    Rubric,
    RubricCriterion,
    TransferModeChoices,
)


class EvaluationForm(forms.Form):
    """The manager's override: an outcome recorded without a finalised review round."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("", "—"), *EvaluationDecisionChoices.choices]
    )
    trl_assessed = forms.TypedChoiceField(
        label=_("Assessed TRL"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 10)],
    )
    summary_zh = forms.CharField(
        label=_("Reason (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    summary_en = forms.CharField(
        label=_("Reason (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class DateInput(forms.DateInput):
    input_type = "date"


class RoundOpenForm(forms.Form):
    rubric = forms.ModelChoiceField(
        label=_("Rubric"), queryset=Rubric.objects.none(), empty_label="—"
    )
    # a proof-of-concept gate is opened from its project's page (opentto/poc), which links the round
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[c for c in ReviewPurposeChoices.choices if c[0] != ReviewPurposeChoices.POC_GATE],
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)
    spread_threshold = forms.DecimalField(
        label=_("Disagreement threshold (points)"),
        min_value=Decimal("0.5"),
        max_value=Decimal("8"),
        decimal_places=2,
        initial=Decimal("2"),
        help_text=_(
            "A criterion whose highest and lowest score differ by this much or more goes to consensus."
        ),
    )
    min_reviews = forms.TypedChoiceField(
        label=_("Reviews required"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 10)],
        initial=2,
        help_text=_(
            "The round settles once this many reviews are in and every invited reviewer has submitted."
        ),
    )
    is_blind = forms.BooleanField(
        label=_("Blind: reviewers do not see each other's scores"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "round")
        super().__init__(*args, **kwargs)
        self.fields["rubric"].queryset = Rubric.objects.filter(is_active=True).order_by("key")  # type: ignore[attr-defined]
        self.fields["rubric"].label_from_instance = lambda r: (  # type: ignore[attr-defined]
            f"{r.title} (v{r.version}, {r.standard})"
        )
        if not self.is_bound:
            self.initial.setdefault("deadline", timezone.localdate() + timedelta(days=14))


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        label=_("Reviewer"), queryset=User.objects.none(), empty_label="—"
    )

    def __init__(self, *args: Any, reviewers: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        if reviewers is not None:
            self.fields["reviewer"].queryset = reviewers  # type: ignore[attr-defined]
        self.fields["reviewer"].label_from_instance = lambda u: (  # type: ignore[attr-defined]
            f"{u.get_full_name() or u.username}"
            + (f" · {u.organisation}" if u.organisation_id else "")
        )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    last_name = forms.CharField(label=_("Family name"), max_length=150)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "invite")
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    criteria = forms.MultipleChoiceField(
        label=_("Criteria to re-score"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    note = forms.CharField(
        label=_("Note to the reviewers"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(
        self,
        *args: Any,
        review_round: ReviewRound | None = None,
        choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "reopen")
        super().__init__(*args, **kwargs)
        self.fields["criteria"].choices = choices or []  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Why the spread is accepted"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "accept")
        super().__init__(*args, **kwargs)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "cancel")
        super().__init__(*args, **kwargs)


class DeadlineForm(forms.Form):
    deadline = forms.DateField(label=_("New deadline"), widget=DateInput)
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "deadline")
        super().__init__(*args, **kwargs)


class FinaliseForm(forms.Form):
    recommendation = forms.ChoiceField(
        label=_("Recommendation"), choices=[("", "—"), *EvaluationDecisionChoices.choices]
    )
    transfer_modes = forms.MultipleChoiceField(
        label=_("Recommended transfer modes"),
        choices=TransferModeChoices.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    trl_assessed = forms.TypedChoiceField(
        label=_("Assessed TRL"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 10)],
    )
    strengths_zh = forms.CharField(
        label=_("Strengths (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    strengths_en = forms.CharField(
        label=_("Strengths (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    risks_zh = forms.CharField(
        label=_("Risks (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    risks_en = forms.CharField(
        label=_("Risks (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    conditions_zh = forms.CharField(
        label=_("Conditions (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    conditions_en = forms.CharField(
        label=_("Conditions (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    apply_decision = forms.BooleanField(
        label=_("Apply the decision to the pipeline now"), required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "final")
        super().__init__(*args, **kwargs)


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Conflict of interest"),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        choices=[
            (
                "no",
                _(
                    "I declare that I have no conflict of interest with this result, its owners or its inventors."
                ),
            ),
            ("yes", _("I have a conflict of interest (I will leave this review).")),
        ],
    )
    statement = forms.CharField(
        label=_("Describe the conflict"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


#: Blank rows the editor offers for adding criteria.
NEW_CRITERION_ROWS = 2


def _weight_field(label: Any, initial: Any = None, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        max_digits=7,
        decimal_places=3,
        initial=initial,
        required=required,
        widget=forms.NumberInput(attrs={"step": "0.001", "class": "weight"}),
    )


class RubricReviseForm(forms.Form):
    """The rubric editor: every criterion's texts, clause, default weight and weight per purpose
    (blank: the default weight), a box to remove it, and blank rows to add criteria."""

    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    revision_note = forms.CharField(
        label=_("What changed"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, rubric: Rubric, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        self.criterion_rows: list[dict[str, Any]] = []
        if not self.is_bound:
            self.initial.update(title_zh=rubric.title_zh, title_en=rubric.title_en)
        criteria = list(rubric.criteria.all())
        self.dimensions = list({c.group_key: (c.group_key, c.group) for c in criteria}.values())
        for c in criteria:
            self.criterion_rows.append(self._add_row(f"c-{c.key}", c))
        if not rubric.is_readiness:
            for n in range(NEW_CRITERION_ROWS):
                self.criterion_rows.append(self._add_row(f"new-{n}", None))

    def _add_row(self, prefix: str, c: RubricCriterion | None) -> dict[str, Any]:
        weights = (
            c.purpose_weights if c is not None and isinstance(c.purpose_weights, dict) else {}
        ) or {}
        text: list[tuple[str, forms.Field]] = []
        if c is None:
            text += [
                (
                    "key",
                    forms.CharField(
                        label=_("Key"),
                        max_length=40,
                        required=False,
                        help_text=_("e.g. data_quality"),
                    ),
                ),
                (
                    "group_key",
                    forms.ChoiceField(
                        label=_("Dimension"), choices=[("", "—"), *self.dimensions], required=False
                    ),
                ),
            ]
        text += [
            (
                "title_zh",
                forms.CharField(
                    label=_("Name (Chinese)"),
                    max_length=200,
                    required=False,
                    initial=c.title_zh if c else "",
                ),
            ),
            (
                "title_en",
                forms.CharField(
                    label=_("Name (English)"),
                    max_length=200,
                    required=False,
                    initial=c.title_en if c else "",
                ),
            ),
            (
                "description_zh",
                forms.CharField(
                    label=_("Guidance (Chinese)"),
                    required=False,
                    initial=c.description_zh if c else "",
                    widget=forms.Textarea(attrs={"rows": 2}),
                ),
            ),
            (
                "description_en",
                forms.CharField(
                    label=_("Guidance (English)"),
                    required=False,
                    initial=c.description_en if c else "",
                    widget=forms.Textarea(attrs={"rows": 2}),
                ),
            ),
            (
                "clause",
                forms.CharField(
                    label=_("Place in the standard"),
                    max_length=300,
                    required=False,
                    initial=c.clause if c else "",
                ),
            ),
        ]
        weight_fields: list[tuple[str, forms.Field]] = [
            (
                "weight",
                _weight_field(_("Default weight"), c.weight if c else None, required=c is not None),
            )
        ]
        for purpose, label in ReviewPurposeChoices.choices:
            wf = _weight_field(label, weights.get(purpose), required=False)
            if c is not None:  # blank: what the purpose falls back to
                fallback = (
                    c.weight
                    if purpose not in PURPOSE_WEIGHT_FALLBACK
                    else c.purpose_weight(PURPOSE_WEIGHT_FALLBACK[purpose])
                )
                wf.widget.attrs["placeholder"] = f"{fallback:.3f}"
            weight_fields.append((f"w-{purpose}", wf))
        names: dict[str, str] = {}
        for field, f in text + weight_fields:
            self.fields[f"{prefix}-{field}"] = f
            names[field] = f"{prefix}-{field}"
        if c is not None and not self.rubric.is_readiness:
            self.fields[f"{prefix}-remove"] = forms.BooleanField(
                label=_("Remove this criterion"), required=False
            )
            names["remove"] = f"{prefix}-remove"
        return {
            "prefix": prefix,
            "criterion": c,
            "names": names,
            "text": [n for n, _f in text],
            "weights": [n for n, _f in weight_fields],
        }

    def bound_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "criterion": row["criterion"],
                "prefix": row["prefix"],
                "text": [self[row["names"][n]] for n in row["text"]],
                "weights": [self[row["names"][n]] for n in row["weights"]],
                "remove": self[row["names"]["remove"]] if "remove" in row["names"] else None,
            }
            for row in self.criterion_rows
        ]

    def criterion_inputs(self) -> tuple[list[Any], list[str]]:
        """The criteria of the new version (``CriterionInput``) and, aligned, each one's field prefix."""
        from .services import CriterionInput

        data = self.cleaned_data
        inputs: list[Any] = []
        prefixes: list[str] = []
        for row in self.criterion_rows:
            p, c = row["prefix"], row["criterion"]
            if c is not None and data.get(f"{p}-remove"):
                continue
            if c is None and not any(
                str(data.get(f"{p}-{f}") or "").strip()
                for f in ("key", "title_zh", "title_en", "clause")
            ):
                continue  # an unused blank row
            purpose_weights = {
                purpose: data[f"{p}-w-{purpose}"]
                for purpose in ReviewPurposeChoices.values
                if data.get(f"{p}-w-{purpose}") is not None
            }
            weight = data.get(f"{p}-weight")
            inputs.append(
                CriterionInput(
                    key=c.key if c is not None else (data.get(f"{p}-key") or "").strip(),
                    title_zh=data.get(f"{p}-title_zh") or "",
                    title_en=data.get(f"{p}-title_en") or "",
                    weight=weight if weight is not None else Decimal("-1"),
                    clause=data.get(f"{p}-clause") or "",
                    description_zh=data.get(f"{p}-description_zh") or "",
                    description_en=data.get(f"{p}-description_en") or "",
                    purpose_weights=purpose_weights,
                    group_key=c.group_key if c is not None else data.get(f"{p}-group_key") or "",
                )
            )
            prefixes.append(p)
        return inputs, prefixes
