from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opentto.results.models import ResultFieldChoices

from .columns import COLUMNS
from .models import ImportKindChoices


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKindChoices.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GB18030), Excel xlsx, or patent XML (ST.36 / CNIPA)."),
    )


class MappingForm(forms.Form):
    """One select per header of the file: which column it holds (or none)."""

    strict = forms.BooleanField(
        label=_("Refuse the whole file if any row has an error"),
        required=False,
        help_text=_("Otherwise the rows without errors are imported and the others are listed."),
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        headers: list[str],
        mapping: dict[str, str],
        options: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— ignore —"))] + [
            (c.key, f"{c.label}{' *' if c.required else ''}") for c in COLUMNS[kind]
        ]
        self.header_fields = []
        for index, header in enumerate(headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or f"#{index + 1}",
                choices=choices,
                required=False,
                initial=mapping.get(str(index), ""),
            )
            self.header_fields.append(name)
        self.fields["strict"].initial = options.get("strict", False)
        if kind == ImportKindChoices.PATENTS:
            self.fields["default_trl"] = forms.IntegerField(
                label=_("TRL of records that give none"),
                min_value=1,
                max_value=9,
                initial=options.get("default_trl", 3),
            )
            self.fields["default_field"] = forms.ChoiceField(
                label=_("Field of records that give none"),
                choices=ResultFieldChoices.choices,
                initial=options.get("default_field", "other"),
            )
            self.fields["public"] = forms.BooleanField(
                label=_("Imported patents are public results"),
                required=False,
                initial=options.get("public", False),
            )

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): self.cleaned_data[name]
            for name in self.header_fields
            if self.cleaned_data.get(name)
        }

    def options(self) -> dict[str, Any]:
        return {
            k: self.cleaned_data.get(k)
            for k in ("strict", "default_trl", "default_field", "public")
            if k in self.cleaned_data
        }
