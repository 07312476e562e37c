from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TransferModeChoices


class PlanForm(forms.Form):
    transfer_mode = forms.ChoiceField(label=_("Transfer mode"), choices=[("", "—"), *TransferModeChoices.choices])
    summary_zh = forms.CharField(label=_("Plan summary (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    summary_en = forms.CharField(label=_("Plan summary (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
