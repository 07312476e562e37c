from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opentto.organisations.models import RESEARCH_KINDS, Organisation
from opentto.results.models import Result

from .models import USE_MIN_YEARS, PilotInstitution, PilotProgrammeChoices, RightsKindChoices
from .services import TeamMemberInput


def _date(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def _share(label: Any, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=7, decimal_places=3, min_value=0, max_value=100, required=required
    )


class PilotForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Institution"), queryset=Organisation.objects.none()
    )
    programme = forms.ChoiceField(label=_("Programme"), choices=PilotProgrammeChoices.choices)
    programme_name = forms.CharField(label=_("Programme name"), max_length=300)
    citation = forms.CharField(label=_("Citation"), max_length=300, initial="国科发区〔2020〕128号")
    legal_basis = forms.CharField(label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = _date(_("Pilot starts"))
    ends_on = _date(_("Pilot ends"))
    notice_min_days = forms.IntegerField(
        label=_("Minimum notice period (days)"), min_value=1, max_value=365, initial=15
    )

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = organisations if organisations is not None else Organisation.objects.none()
        self.fields["organisation"].queryset = qs.filter(kind__in=RESEARCH_KINDS)  # type: ignore[attr-defined]


def _at_least_years_text() -> str:
    return gettext("At least %(years)s years.") % {"years": USE_MIN_YEARS}


#: Formatted when shown, in the reader's language (a lazy string's ``%`` is formatted at import, in the default language).
_at_least_years = lazy(_at_least_years_text, str)


class ApplicationForm(forms.Form):
    """The team's application: the pilot institution (an owner of the result), what it asks for,
    and each member's part (blank: not in the team)."""

    pilot = forms.ModelChoiceField(
        label=_("Pilot institution"), queryset=PilotInstitution.objects.none()
    )
    requested_kind = forms.ChoiceField(
        label=_("Requested rights"), choices=RightsKindChoices.choices, widget=forms.RadioSelect
    )
    requested_share = _share(_("Share of ownership (%)"))
    requested_term_years = forms.IntegerField(
        label=_("Term of use (years)"),
        min_value=1,
        max_value=99,
        required=False,
        help_text=_at_least_years(),
    )
    requested_exclusive = forms.BooleanField(label=_("Exclusive use"), required=False)
    statement = forms.CharField(
        label=_("The team's statement"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(
        self, *args: Any, result: Result, pilots: Any, inventorships: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pilot"].queryset = pilots  # type: ignore[attr-defined]
        self.members = []
        for i in inventorships:
            name = f"member_{i.person_id}"
            self.fields[name] = _share(
                _("%(name)s's part within the team (%%)") % {"name": i.person.name}
            )
            self.members.append((i.person, name))

    def member_fields(self) -> list[Any]:
        return [self[name] for _person, name in self.members]

    def team(self) -> list[TeamMemberInput]:
        return [
            TeamMemberInput(person, self.cleaned_data[name])
            for person, name in self.members
            if self.cleaned_data.get(name)
        ]


class GrantForm(forms.Form):
    decided_on = _date(_("Decision date"))
    kind = forms.ChoiceField(label=_("Granted rights"), choices=RightsKindChoices.choices)
    share = _share(_("Team's share of ownership (%)"))
    term_years = forms.IntegerField(
        label=_("Term of use (years)"), min_value=1, max_value=99, required=False
    )
    exclusive = forms.BooleanField(label=_("Exclusive use"), required=False)
    conditions = forms.CharField(
        label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate()


class RefuseForm(forms.Form):
    decided_on = _date(_("Decision date"))
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 2}))


class NoticeForm(forms.Form):
    starts_on = _date(_("Notice starts"))
    ends_on = _date(_("Notice ends"))
    text_zh = forms.CharField(
        label=_("Notice text (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    text_en = forms.CharField(
        label=_("Notice text (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ObjectionForm(forms.Form):
    objection = forms.CharField(
        label=_("Objection received"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AgreementForm(forms.Form):
    signed_on = _date(_("Agreement signed on"))
    reference = forms.CharField(label=_("Agreement reference"), max_length=120, required=False)
    document = forms.FileField(label=_("Signed agreement (PDF, image or Office file)"))


class EffectForm(forms.Form):
    effective_on = _date(_("In effect from"))


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawal"), widget=forms.Textarea(attrs={"rows": 2})
    )
