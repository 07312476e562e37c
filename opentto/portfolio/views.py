"""The patent portfolio pages: the table per organisation and field, and one patent with its fees
for the next five years, its decisions and the form to decide (the TTO)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from opentto.accounts.http import AuthedHttpRequest
from opentto.patents import fees
from opentto.patents.deadlines import add_years

from . import selectors as sel
from .forms import PortfolioDecisionForm, PortfolioFilterForm
from .services import portfolio_decision_record


def portfolio_query(user: Any, get: QueryDict) -> tuple[PortfolioFilterForm, list[Any], str]:
    """The filter form, the organisations it selects and the field (the page and its export)."""
    organisations = list(sel.portfolio_organisations(user))
    form = PortfolioFilterForm(get or None, organisations=organisations)
    chosen, field_ = organisations, ""
    if form.is_bound and form.is_valid():
        if form.cleaned_data["organisation"]:
            chosen = [o for o in organisations if str(o.pk) == form.cleaned_data["organisation"]]
        field_ = form.cleaned_data["field"]
    return form, chosen, field_


def year_labels(today: Any) -> list[str]:
    return [
        f"{first:%Y-%m-%d} – {last:%Y-%m-%d}" for first, last in fees.cost_windows(today, sel.YEARS)
    ]


@login_required
@require_GET
def portfolio_view(request: AuthedHttpRequest) -> HttpResponse:
    if not sel.may_see_portfolio(request.user):
        raise Http404
    today = timezone.localdate()
    form, chosen, field_ = portfolio_query(request.user, request.GET)
    rows = sel.portfolio_rows(request.user, organisations=chosen, field_=field_, today=today)
    return render(
        request,
        "portfolio/index.html",
        {
            "form": form,
            "rows": rows,
            "windows": fees.cost_windows(today, sel.YEARS),
            "today": today,
            "since": add_years(today, -sel.YEARS),
            "totals": [sum((r.costs[i] for r in rows), sel.ZERO) for i in range(sel.YEARS)],
            "may_decide": sel.may_decide(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def patent_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One patent: its fees due in the next five years (full, reduced), the decisions taken on
    it, and (TTO) the form to record a decision. POST by someone who may see but not decide: 403."""
    if not sel.may_see_portfolio(request.user):
        raise Http404
    filing = sel.filing_for_portfolio(request.user, pk)
    if filing is None:
        raise Http404
    may_decide = sel.may_decide(request.user)
    form = PortfolioDecisionForm(request.POST or None)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied(_("Only the TTO decides on the patent portfolio."))
        if form.is_valid():
            c = form.cleaned_data
            try:
                portfolio_decision_record(
                    filing=filing,
                    decision=c["decision"],
                    reason=c["reason"],
                    approved_by=c["approved_by"],
                    actor=request.user,
                )
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                messages.success(request, _("The decision was recorded."))
                return redirect("portfolio:patent", pk=filing.pk)
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
    today = timezone.localdate()
    catalogue = fees.FeeCatalogue()
    windows = fees.cost_windows(today, sel.YEARS)
    due = [
        (d, fee)
        for d in filing.deadlines.filter(
            status="open", due__gte=windows[0][0], due__lte=windows[-1][1]
        ).order_by("due", "id")
        if (fee := fees.fee_for_deadline(d, catalogue)) is not None
    ]
    return render(
        request,
        "portfolio/patent.html",
        {
            "filing": filing,
            "result": filing.family.result,
            "due": due,
            "windows": windows,
            "cost_rows": list(
                zip(
                    windows,
                    fees.annual_costs(filing, start=today, years=sel.YEARS, catalogue=catalogue),
                    strict=True,
                )
            ),
            "decisions": sel.decisions_visible(request.user).filter(filing=filing),
            "form": form,
            "may_decide": may_decide,
            "reduction": getattr(filing, "fee_reduction", None),
        },
        status=400 if form.is_bound else 200,
    )
