"""Pages of financing that stand on their own (the planning workspace's financing tab and its
forms are ``opentto.planning.views``): the valuation memo and its PDF, the pledge-loan list and its
moves, the securitisation pools. The URL names stay ``planning:*``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.financing.memo import memo_data, valuation_memo_pdf
from opentto.financing.models import PledgeLoan, PoolAsset, Valuation
from opentto.patents import selectors as psel
from opentto.patents.views import apply_errors, edit_page, for_change, or_404

from . import forms as f
from . import selectors as sel
from . import services as svc


def _valuation(request: HttpRequest, pk: int) -> Valuation:
    return get_object_or_404(sel.valuation_visible(request.user), pk=pk)


@login_required
@require_GET
def valuation_memo_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    valuation = _valuation(request, pk)
    memo = memo_data(valuation, request.user)
    grid = list(zip(memo.sensitivity_royalties, memo.sensitivity, strict=True))
    return render(
        request,
        "planning/valuation_memo.html",
        {"memo": memo, "memo_grid": grid, "valuation": valuation, "result": valuation.result},
    )


@login_required
@require_GET
def valuation_pdf_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    valuation = _valuation(request, pk)
    audit_record(actor=request.user, action="valuation.pdf", obj=valuation)
    response = HttpResponse(
        valuation_memo_pdf(valuation, request.user), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="valuation-{valuation.pk}.pdf"'
    return response


@login_required
@require_GET
def pledge_list_view(request: AuthedHttpRequest) -> HttpResponse:
    or_404(permitted(request.user, PledgeLoan, "view"))
    loans = sel.pledge_loans(request.user)
    return render(
        request,
        "planning/pledge_list.html",
        {
            "loans": loans,
            "changeable_loans": psel.changeable(loans, request.user),
            "register_form": f.PledgeRegisterForm(
                initial={"registration_date": timezone.localdate()}
            ),
            "release_form": f.PledgeReleaseForm(initial={"released_on": timezone.localdate()}),
        },
    )


@login_required
@require_POST
def pledge_move_view(request: AuthedHttpRequest, pk: int, verb: str) -> HttpResponse:
    loan = for_change(request, PledgeLoan.objects.all(), pk)
    forms_by_verb: dict[str, type[Form]] = {
        "register": f.PledgeRegisterForm,
        "release": f.PledgeReleaseForm,
        "cancel": Form,
    }
    if verb not in forms_by_verb:
        raise Http404
    form = forms_by_verb[verb](request.POST)
    if form.is_valid():
        try:
            if verb == "register":
                svc.pledge_loan_register(loan=loan, actor=request.user, **form.cleaned_data)
            elif verb == "release":
                svc.pledge_loan_release(loan=loan, actor=request.user, **form.cleaned_data)
            else:
                svc.pledge_loan_cancel(loan=loan, actor=request.user)
            messages.success(request, _("The loan's status was changed."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("planning:pledges")


@login_required
def pool_list_view(request: AuthedHttpRequest) -> HttpResponse:
    or_404(permitted(request.user, "financing.securitisationpool", "view"))
    can_add = permitted(request.user, "financing.securitisationpool", "add")
    if request.method == "POST" and not can_add:
        raise PermissionDenied(_("Only TTO managers do operations planning."))
    form = f.PoolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            pool = svc.pool_create(actor=request.user, **form.cleaned_data)
            messages.success(request, _("The pool was created."))
            return redirect("planning:pool", pk=pool.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(
        request,
        "planning/pool_list.html",
        {"pools": sel.pools(request.user), "form": form, "can_add": can_add},
        status=400 if form.errors else 200,
    )


@login_required
def pool_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(sel.pools(request.user), pk=pk)
    can_change = allows(request.user, pool, "change")
    if request.method == "POST" and not can_change:
        raise PermissionDenied(_("Only TTO managers do operations planning."))
    form = f.PoolAssetForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            svc.pool_asset_add(
                pool=pool,
                result=form.cleaned_data["result"],
                licensee=form.cleaned_data["licensee"],
                cash_flows=form.flows(),
                actor=request.user,
            )
            messages.success(request, _("The licence was added to the pool."))
            return redirect("planning:pool", pk=pool.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    summary = sel.pool_summary(request.user, pool)
    peak = max((a for _p, a in summary.periods), default=0)
    bars = [(p, a, (a * 100 / peak) if peak else 0) for p, a in summary.periods]
    return render(
        request,
        "planning/pool_detail.html",
        {
            "pool": pool,
            "summary": summary,
            "bars": bars,
            "form": form,
            "assets": summary.rows,
            "can_change": can_change,
        },
        status=400 if form.errors else 200,
    )


@login_required
def pool_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    pool = for_change(request, sel.pools(request.user), pk)
    form = f.PoolForm(
        request.POST or None,
        user=request.user,
        initial={
            "name_zh": pool.name_zh,
            "name_en": pool.name_en,
            "arranger": pool.arranger_id,
            "notes": pool.notes,
        },
    )
    return edit_page(
        request,
        form,
        lambda fm: svc.pool_update(pool=pool, actor=request.user, **fm.cleaned_data),
        heading=_("Edit the pool: %(name)s") % {"name": pool.name},
        back_url=reverse("planning:pool", args=[pool.pk]),
        done=_("The pool was saved."),
    )


def _pool_asset(request: HttpRequest, pk: int) -> PoolAsset:
    """A pool licence the user may see (404), in a pool they may change (403)."""
    return for_change(
        request,
        PoolAsset.objects.select_related("pool", "result", "licensee"),
        pk,
        parent=lambda a: a.pool,
    )


@login_required
def pool_asset_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    asset = _pool_asset(request, pk)
    form = f.PoolAssetEditForm(request.POST or None, asset=asset, user=request.user)
    return edit_page(
        request,
        form,
        lambda fm: svc.pool_asset_update(
            asset=asset,
            licensee=fm.cleaned_data["licensee"],
            cash_flows=fm.flows(),  # type: ignore[attr-defined]
            actor=request.user,
        ),
        heading=_("Edit the licence of %(result)s in %(pool)s")
        % {"result": asset.result.title, "pool": asset.pool.name},
        lead=_("The expected royalties you save replace the licence's old ones."),
        back_url=reverse("planning:pool", args=[asset.pool_id]),
        done=_("The licence was saved."),
    )


@login_required
@require_POST
def pool_asset_remove_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    asset = _pool_asset(request, pk)
    pool_pk = asset.pool_id
    svc.pool_asset_remove(asset=asset, actor=request.user)
    messages.success(request, _("The licence was taken out of the pool."))
    return redirect("planning:pool", pk=pool_pk)
