from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MembershipRoleChoices, Organisation, OrganisationKindChoices


class OrganisationForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *OrganisationKindChoices.choices])
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=18,
        required=False,
        help_text=_("18 characters; checked with its check character."),
    )
    city_zh = forms.CharField(label=_("City (Chinese)"), max_length=100, required=False)
    city_en = forms.CharField(label=_("City (English)"), max_length=100, required=False)
    description_zh = forms.CharField(
        label=_("Description (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class PersonForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )
    role = forms.ChoiceField(
        label=_("Role in the organisation"), choices=MembershipRoleChoices.choices
    )
    position_zh = forms.CharField(label=_("Position (Chinese)"), max_length=100, required=False)
    position_en = forms.CharField(label=_("Position (English)"), max_length=100, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.restrict(user, "view")  # type: ignore[attr-defined]
