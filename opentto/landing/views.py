from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.results.selectors import results_visible

from .forms import DealForm, DealSignForm, DealTerminateForm
from .models import Deal
from .services import deal_create, deal_sign, deal_terminate


def _form_errors(request: HttpRequest, form: DealForm | DealSignForm | DealTerminateForm) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(str(e) for e in errors)}")


@login_required
@require_POST
def deal_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(results_visible(request.user), pk=pk)
    form = DealForm(request.POST, result=result)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("results:detail", pk=pk)
    try:
        deal_create(results=[result], actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("The deal was recorded as a draft; sign it when the contract is signed."))
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("results:detail", pk=pk)


def _deal_for(request: HttpRequest, deal_pk: int) -> Deal:
    return get_object_or_404(Deal.objects.restrict(request.user, "change"), pk=deal_pk)


@login_required
@require_POST
def deal_sign_view(request: HttpRequest, deal_pk: int) -> HttpResponse:
    deal = _deal_for(request, deal_pk)
    result = deal.results.first()
    form = DealSignForm(request.POST)
    if form.is_valid():
        try:
            deal_sign(deal=deal, signed_on=form.cleaned_data["signed_on"], actor=request.user)  # type: ignore[arg-type]
            messages.success(request, _("The deal was signed; the result is landed."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        _form_errors(request, form)
    return redirect("results:detail", pk=result.pk) if result else redirect("results:list")


@login_required
@require_POST
def deal_terminate_view(request: HttpRequest, deal_pk: int) -> HttpResponse:
    deal = _deal_for(request, deal_pk)
    result = deal.results.first()
    form = DealTerminateForm(request.POST)
    if form.is_valid():
        try:
            deal_terminate(deal=deal, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, _("The deal was terminated."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        _form_errors(request, form)
    return redirect("results:detail", pk=result.pk) if result else redirect("results:list")
