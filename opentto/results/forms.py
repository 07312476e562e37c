"""Forms for onboarding and editing a result. They parse input; the services validate and save."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, When
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import User
from opentto.core.permissions import permitted, restrict
from opentto.core.validators import validate_cn_application_number
from opentto.organisations.models import RESEARCH_KINDS, Organisation, Person

from .models import (
    IPAssetKindChoices,
    IPAssetStatusChoices,
    Result,
    ResultFieldChoices,
    ResultKindChoices,
)
from .services import CN_CHECKED_KINDS, FundingInput, InventorInput, IPAssetInput, ResultInput

KEYWORD_SPLIT = re.compile(r"[,，;；、\n]+")


def split_keywords(text: str) -> list[str]:
    return [k.strip() for k in KEYWORD_SPLIT.split(text or "") if k.strip()]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ResultForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=300, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *ResultKindChoices.choices])
    field = forms.ChoiceField(label=_("Field"), choices=[("", "—"), *ResultFieldChoices.choices])
    trl = forms.TypedChoiceField(
        label=_("Technology readiness level (TRL)"),
        coerce=int,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 10)],
    )
    owners = forms.ModelMultipleChoiceField(
        label=_("Owner organisations"),
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )
    is_public = forms.TypedChoiceField(
        label=_("Confidentiality"),
        coerce=lambda v: v == "public",
        choices=[
            ("public", _("Public: the summary is shown to everyone")),
            (
                "confidential",
                _("Confidential: the whole result is hidden from anyone not permitted"),
            ),
        ],
        widget=forms.RadioSelect,
        initial="confidential",
    )
    abstract_zh = forms.CharField(
        label=_("Public summary (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    abstract_en = forms.CharField(
        label=_("Public summary (English)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    advantages_zh = forms.CharField(
        label=_("Advantages (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    advantages_en = forms.CharField(
        label=_("Advantages (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    applications_zh = forms.CharField(
        label=_("Applications (Chinese)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    applications_en = forms.CharField(
        label=_("Applications (English)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    details_zh = forms.CharField(
        label=_("Confidential details (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    details_en = forms.CharField(
        label=_("Confidential details (English)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    keywords_zh = forms.CharField(
        label=_("Keywords (Chinese, separated by commas)"), required=False
    )
    keywords_en = forms.CharField(
        label=_("Keywords (English, separated by commas)"), required=False
    )
    attachments = MultipleFileField(
        label=_("Attachments (PDF, images, Office files)"), required=False
    )
    confirm_duplicates = forms.BooleanField(
        label=_("I have checked the similar results and this is a different one"), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = restrict(Organisation.objects.all(), user, "view")
        if not permitted(user, Result, "add", every_row=True):
            # Someone who onboards only their organisation's results (an inventor): theirs, and the
            # kinds of organisation that co-own results.
            owners = owners.filter(
                Q(pk=getattr(user, "organisation_id", None) or 0)
                | Q(kind__in=["university", "institute", "hospital", "enterprise"])
            )
        # Research organisations first: they own most results.
        order = Case(
            *(When(kind=k, then=n) for n, k in enumerate(RESEARCH_KINDS)),
            default=len(RESEARCH_KINDS),
        )
        self.fields["owners"].queryset = owners.distinct().order_by(order, "name_zh", "name_en")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("title_zh") or "").strip() and not (data.get("title_en") or "").strip():
            self.add_error("title_zh", _("Give the title in Chinese, in English, or both."))
        return data


class InventorForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Inventor"), queryset=Person.objects.none(), required=False
    )
    share = forms.DecimalField(
        label=_("Share (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        required=False,
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The people the user may see in the directory.
        self.fields["person"].queryset = restrict(Person.objects.all(), user, "view")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("person") and data.get("share") is None:
            self.add_error("share", _("Give this inventor's contribution share."))
        if data.get("share") is not None and not data.get("person"):
            self.add_error("person", _("Choose the inventor for this share."))
        return data


class IPAssetForm(forms.Form):
    jurisdiction = forms.CharField(label=_("Office"), max_length=4, initial="CN", required=False)
    ip_kind = forms.ChoiceField(
        label=_("Kind"), choices=IPAssetKindChoices.choices, initial="invention"
    )
    application_number = forms.CharField(
        label=_("Application number"), max_length=40, required=False
    )
    filing_date = forms.DateField(
        label=_("Filing date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    publication_number = forms.CharField(
        label=_("Publication number"), max_length=40, required=False
    )
    grant_number = forms.CharField(label=_("Grant number"), max_length=40, required=False)
    grant_date = forms.DateField(
        label=_("Grant date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=IPAssetStatusChoices.choices, initial="filed"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = (data.get("application_number") or "").strip()
        jurisdiction = (data.get("jurisdiction") or "CN").strip().upper()
        data["jurisdiction"] = jurisdiction
        if number and jurisdiction == "CN" and data.get("ip_kind") in CN_CHECKED_KINDS:
            try:
                data["application_number"] = validate_cn_application_number(number)
            except ValidationError as exc:
                self.add_error("application_number", exc)
        if (
            data.get("grant_date") or data.get("grant_number") or data.get("filing_date")
        ) and not number:
            self.add_error("application_number", _("Give the application number."))
        return data


class FundingForm(forms.Form):
    programme = forms.CharField(label=_("Programme"), max_length=200, required=False)
    grant_number = forms.CharField(label=_("Grant number"), max_length=100, required=False)
    funder = forms.CharField(label=_("Funder"), max_length=200, required=False)
    government_funded = forms.BooleanField(label=_("Government funded"), required=False)


InventorFormSet = forms.formset_factory(
    InventorForm, extra=0, min_num=1, max_num=30, validate_max=True
)
IPAssetFormSet = forms.formset_factory(IPAssetForm, extra=0, max_num=50, validate_max=True)
FundingFormSet = forms.formset_factory(FundingForm, extra=0, max_num=20, validate_max=True)


def build_result_input(
    form: ResultForm, inventors: Any, ip_assets: Any, fundings: Any
) -> ResultInput:
    d = form.cleaned_data
    return ResultInput(
        title_zh=d.get("title_zh", ""),
        title_en=d.get("title_en", ""),
        abstract_zh=d.get("abstract_zh", ""),
        abstract_en=d.get("abstract_en", ""),
        advantages_zh=d.get("advantages_zh", ""),
        advantages_en=d.get("advantages_en", ""),
        applications_zh=d.get("applications_zh", ""),
        applications_en=d.get("applications_en", ""),
        details_zh=d.get("details_zh", ""),
        details_en=d.get("details_en", ""),
        kind=d["kind"],
        field=d["field"],
        trl=d["trl"],
        keywords_zh=split_keywords(d.get("keywords_zh", "")),
        keywords_en=split_keywords(d.get("keywords_en", "")),
        is_public=d.get("is_public", False),
        owners=list(d["owners"]),
        inventors=[
            InventorInput(person=f.cleaned_data["person"], share=f.cleaned_data["share"])
            for f in inventors.forms
            if f.cleaned_data.get("person")
        ],
        ip_assets=[
            IPAssetInput(
                application_number=f.cleaned_data["application_number"],
                ip_kind=f.cleaned_data["ip_kind"],
                jurisdiction=f.cleaned_data["jurisdiction"],
                filing_date=f.cleaned_data.get("filing_date"),
                publication_number=f.cleaned_data.get("publication_number", ""),
                grant_number=f.cleaned_data.get("grant_number", ""),
                grant_date=f.cleaned_data.get("grant_date"),
                status=f.cleaned_data["status"],
            )
            for f in ip_assets.forms
            if (f.cleaned_data.get("application_number") or "").strip()
        ],
        fundings=[
            FundingInput(
                programme=f.cleaned_data.get("programme", ""),
                grant_number=f.cleaned_data.get("grant_number", ""),
                funder=f.cleaned_data.get("funder", ""),
                government_funded=f.cleaned_data.get("government_funded", False),
            )
            for f in fundings.forms
            if (
                f.cleaned_data.get("programme")
                or f.cleaned_data.get("grant_number")
                or f.cleaned_data.get("funder")
            )
        ],
    )


def initial_from_result(
    result: Result,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    main = {
        **{
            name: getattr(result, name)
            for name in (
                "title_zh",
                "title_en",
                "abstract_zh",
                "abstract_en",
                "advantages_zh",
                "advantages_en",
                "applications_zh",
                "applications_en",
                "details_zh",
                "details_en",
                "kind",
                "field",
                "trl",
            )
        },
        "owners": [o.organisation_id for o in result.ownerships.all()],
        "is_public": "public" if result.is_public else "confidential",
        "keywords_zh": ", ".join(result.keywords_zh),
        "keywords_en": ", ".join(result.keywords_en),
    }
    inventors = [{"person": i.person_id, "share": i.share} for i in result.inventorships.all()]
    assets = [
        {
            name: getattr(a, name)
            for name in (
                "jurisdiction",
                "ip_kind",
                "application_number",
                "filing_date",
                "publication_number",
                "grant_number",
                "grant_date",
                "status",
            )
        }
        for a in result.ip_assets.all()
    ]
    fundings = [
        {
            name: getattr(f, name)
            for name in ("programme", "grant_number", "funder", "government_funded")
        }
        for f in result.fundings.all()
    ]
    return main, inventors, assets, fundings
