"""Tax pages: the institutions' reports, one institution's year (the worked EIT table and the
reward table), and the forms that record the tax facts. An organisation or deal the viewer may
not see answers 404; one they see but whose tax report or facts they may not open or record
answers 403, before any form is read; the services ask the same grants."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.http import year_param
from opentto.core.idempotency import (
    KeyReused,
    Outcome,
    replay_message,
    reused_message,
    run_form_once,
)
from opentto.core.permissions import permitted
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation

from . import rules, services
from .forms import DealTaxFactsForm, DealTaxYearForm, TaxProfileForm
from .models import DealTaxFacts, DealTaxYear, TaxProfile
from .selectors import institutions_reported, may_see_report, profile_of, tax_year_report


def _errors(request: AuthedHttpRequest, errors: object) -> None:
    if isinstance(errors, ValidationError):
        for message in errors.messages:
            messages.error(request, message)
        return
    for field_errors in getattr(errors, "values", lambda: [])():
        for e in field_errors:
            messages.error(request, str(e))


@login_required
def tax_index_view(request: AuthedHttpRequest) -> HttpResponse:
    if not permitted(request.user, Organisation, "tax_report"):
        raise PermissionDenied
    year = timezone.localdate().year
    return render(
        request,
        "tax/index.html",
        {"institutions": institutions_reported(request.user), "years": range(year, year - 6, -1)},
    )


@login_required
def tax_year_view(request: AuthedHttpRequest, org_pk: int) -> HttpResponse:
    """``/tax/<org>/?year=2025`` (this year without one); a year outside 1990–2100 answers 404."""
    organisation = get_object_or_404(Organisation.objects.restrict(request.user, "view"), pk=org_pk)
    if not may_see_report(request.user, organisation):
        raise PermissionDenied
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() else timezone.localdate().year
    if not 1990 <= year <= 2100 or (raw and not raw.isdigit()):
        raise Http404
    report = tax_year_report(request.user, year, organisation)
    form = None
    if permitted(request.user, TaxProfile, "change"):
        profile = profile_of(request.user, organisation)
        form = TaxProfileForm(
            initial={
                "resident_enterprise": profile.resident_enterprise,
                "non_profit_research": profile.non_profit_research,
                "legal_source": profile.legal_source,
            }
        )
    return render(
        request,
        "tax/year.html",
        {
            "r": report,
            "t": report.table,
            "profile_form": form,
            "limit": rules.EXEMPT_LIMIT,
            "previous": year - 1,
            "next": year + 1,
        },
    )


@login_required
@require_POST
def tax_profile_view(request: AuthedHttpRequest, org_pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation.objects.restrict(request.user, "view"), pk=org_pk)
    if not permitted(request.user, TaxProfile, "change"):
        raise PermissionDenied
    form = TaxProfileForm(request.POST)
    if not form.is_valid():
        _errors(request, form.errors)
    else:
        try:
            services.tax_profile_set(
                organisation=organisation, actor=request.user, **form.cleaned_data
            )
            messages.success(request, _("The tax profile was saved."))
        except ValidationError as exc:
            _errors(request, exc)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
    return redirect(_year_url(organisation.pk, request.POST.get("year", "")))


def _year_url(org_pk: int, year: str) -> str:
    url = reverse("tax:year", kwargs={"org_pk": org_pk})
    chosen = year_param(year)
    return url if chosen is None else f"{url}?year={chosen}"


def _deal(
    request: AuthedHttpRequest, deal_pk: int, model: type[DealTaxFacts] | type[DealTaxYear]
) -> Deal:
    deal = get_object_or_404(Deal.objects.restrict(request.user, "view"), pk=deal_pk)
    if not permitted(request.user, model, "change"):
        raise PermissionDenied
    return deal


def _saved(request: AuthedHttpRequest, outcome: Outcome[Any], success: str) -> None:
    """The deal page's forms carry a single-use key (ADR 0011): a repeat says when it was first done."""
    if outcome.replayed and outcome.record is not None:
        messages.info(request, replay_message(outcome.record))
    else:
        messages.success(request, success)


@login_required
@require_POST
def deal_facts_view(request: AuthedHttpRequest, deal_pk: int) -> HttpResponse:
    deal = _deal(request, deal_pk, DealTaxFacts)
    form = DealTaxFactsForm(request.POST)
    if not form.is_valid():
        _errors(request, form.errors)
    else:
        try:
            outcome = run_form_once(
                request,
                lambda: services.deal_tax_facts_set(
                    deal=deal, actor=request.user, **form.cleaned_data
                ),
            )
            _saved(request, outcome, _("The deal's tax facts were saved."))
        except KeyReused as exc:
            messages.warning(request, reused_message(exc.first))
        except ValidationError as exc:
            _errors(request, exc)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
    return redirect("landing:detail", pk=deal.pk)


@login_required
@require_POST
def deal_year_view(request: AuthedHttpRequest, deal_pk: int) -> HttpResponse:
    deal = _deal(request, deal_pk, DealTaxYear)
    form = DealTaxYearForm(request.POST, deal=deal)
    if not form.is_valid():
        _errors(request, form.errors)
    else:
        try:
            outcome = run_form_once(
                request,
                lambda: services.deal_tax_year_set(
                    deal=deal, actor=request.user, **form.cleaned_data
                ),
            )
            _saved(request, outcome, _("The costs and taxes were saved."))
        except KeyReused as exc:
            messages.warning(request, reused_message(exc.first))
        except ValidationError as exc:
            _errors(request, exc)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
    return redirect("landing:detail", pk=deal.pk)
