from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EvaluationDecisionChoices


class EvaluationForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("", "—"), *EvaluationDecisionChoices.choices])
    trl_assessed = forms.TypedChoiceField(
        label=_("Assessed TRL"), coerce=int, empty_value=None, required=False,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 10)],
    )
    summary_zh = forms.CharField(label=_("Summary (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    summary_en = forms.CharField(label=_("Summary (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
