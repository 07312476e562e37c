from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EmailModeChoices


class PreferenceForm(forms.Form):
    email_mode = forms.ChoiceField(
        label=_("E-mail"), choices=EmailModeChoices.choices, widget=forms.RadioSelect
    )
    muted_kinds = forms.MultipleChoiceField(
        label=_("Never e-mail these kinds (they stay in the app)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["muted_kinds"].choices = [(k, k) for k in kinds]  # type: ignore[attr-defined]
        if not kinds:
            del self.fields["muted_kinds"]
