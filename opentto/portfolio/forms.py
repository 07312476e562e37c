"""Forms of the portfolio pages: they parse and present; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import User
from opentto.patents.permissions import planners
from opentto.results.models import ResultFieldChoices

from .models import PortfolioDecisionChoices


class PortfolioFilterForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    field = forms.ChoiceField(
        label=_("Field"),
        required=False,
        choices=[("", _("All fields")), *ResultFieldChoices.choices],
    )

    def __init__(self, *args: Any, organisations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            ("", _("All organisations")),
            *[(str(o.pk), o.name) for o in organisations],
        ]


class PortfolioDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Patent decision"),
        choices=PortfolioDecisionChoices.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    approved_by = forms.ModelChoiceField(
        label=_("Abandonment approved by"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("For an abandonment: the TTO manager who approves it (you, if empty)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approved_by"].queryset = planners()  # type: ignore[attr-defined]
        self.fields["approved_by"].label_from_instance = lambda u: u.get_full_name() or u.username  # type: ignore[attr-defined]
