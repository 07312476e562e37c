"""The deal page's tax panel, registered into ``opentto.landing.panels`` by ``TaxConfig.ready``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from opentto.core.permissions import permitted

from .forms import DealTaxFactsForm, DealTaxYearForm
from .models import DealTaxFacts, DealTaxYear
from .selectors import deal_tax


def deal_tax_panel(request: HttpRequest, deal: Any) -> SafeString:
    """The VAT answer, this deal's rows in each year's EIT table and each cash reward's taxable
    amount, as far as the viewer may see them (the deal itself is one they may see)."""
    user = request.user
    context: dict[str, Any] = {"deal": deal, "tax": deal_tax(user, deal)}
    if permitted(user, DealTaxFacts, "change"):
        facts = DealTaxFacts.objects.restrict(user, "view").filter(deal=deal).first()
        context["facts_form"] = DealTaxFactsForm(
            initial={
                "wholly_owned_related_party": facts.wholly_owned_related_party if facts else False,
                "note": facts.note if facts else "",
            }
        )
    if permitted(user, DealTaxYear, "change"):
        context["year_form"] = DealTaxYearForm(deal=deal)
    return render_to_string("tax/partials/deal_panel.html", context, request=request)
