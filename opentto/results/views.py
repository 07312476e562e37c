"""Result pages: list (with HTMX filtering), detail with timeline, onboarding, editing,
pipeline steps and attachment downloads. Views parse input and call services and selectors."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.audit import audit_record
from opentto.core.cache import CachedCountPaginator, cached_query, fragment_key
from opentto.core.http import is_htmx
from opentto.core.permissions import permitted
from opentto.organisations.models import Organisation

from .forms import (
    FundingFormSet,
    InventorFormSet,
    IPAssetFormSet,
    ResultForm,
    build_result_input,
    initial_from_result,
)
from .hooks import result_page_parts
from .models import Result, ResultFieldChoices, ResultKindChoices, ResultStageChoices
from .pipeline import TransitionError, available_transitions, result_transition
from .selectors import (
    attachments_downloadable,
    result_attachments,
    result_can_change,
    result_can_onboard,
    result_fundings,
    result_has_details_access,
    result_inventorships,
    result_ip_assets,
    result_list,
    result_list_params,
    result_list_ranked,
    result_onboards_any,
    result_shows_inventors,
    result_timeline,
    results_in_order,
    results_visible,
)
from .services import DuplicateResultError, result_onboard, result_update

PAGE_SIZE = 20


def _ranked_page(request: HttpRequest, params: dict[str, Any]) -> Any:
    """One page of a search in relevance order (only the page's rows are read); ``None`` when
    the index cannot rank."""
    ranked = result_list_ranked(request.user, params)
    if ranked is None:
        return None
    page = Paginator(ranked, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = results_in_order(
        Result.objects.prefetch_related("ownerships__organisation"),
        page.object_list,  # type: ignore[arg-type]
    )  # type: ignore[assignment]  # ids → their rows
    return page


def result_list_view(request: HttpRequest) -> HttpResponse:
    params = result_list_params(request.GET)
    page = _ranked_page(request, params) if params["sort"] == "relevance" else None
    if page is None:
        if params["sort"] == "relevance":  # the index cannot rank: newest first
            params["sort"] = "newest"
        qs = result_list(request.user, **params)
        # The exact count and the owner filter read every visible row: cached until a service changes results.
        page = CachedCountPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    owners = Organisation.objects.filter(
        ownerships__result__in=results_visible(request.user).values("pk")
    ).distinct()
    querystring = request.GET.copy()
    querystring.pop("page", None)
    # The table of a page is rendered once per query (its SQL carries the viewer's scope), page,
    # query string and language until a service changes results (cached_fragment).
    rows = (
        page.object_list
        if isinstance(page.object_list, QuerySet)
        else tuple(r.pk for r in page.object_list)
    )
    context = {
        "page": page,
        "table_key": fragment_key(
            "result-table", rows, page.number, page.paginator.count, request.GET.urlencode()
        ),
        "params": params,
        "querystring": querystring.urlencode(),
        "stages": ResultStageChoices.choices,
        "fields": ResultFieldChoices.choices,
        "kinds": ResultKindChoices.choices,
        # called by the template only when the filter's rendered options are not cached
        "owners": functools.partial(cached_query, owners, "owners", functools.partial(list, owners))
        if request.user.is_authenticated and not is_htmx(request)
        else [],
        "owners_key": fragment_key("owner-filter", owners, params["owner"])
        if request.user.is_authenticated and not is_htmx(request)
        else "",
        "sorts": ([("relevance", _("Relevance"))] if params["q"] else [])
        + [
            ("newest", _("Newest")),
            ("oldest", _("Oldest")),
            ("title", _("Title")),
            ("trl", _("TRL")),
            ("stage", _("Stage changed")),
        ],
        "can_onboard": result_can_onboard(request.user),
    }
    template = (
        "results/partials/result_table.html" if is_htmx(request) else "results/result_list.html"
    )
    return render(request, template, context)


def result_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    result = get_object_or_404(results_visible(user), pk=pk)
    details = result_has_details_access(user, result)
    # Every part of the result through its own rule (never more than the result's): attachments
    # for those who may read the details, inventors, funding and the timeline for signed-in users.
    attachments = list(result_attachments(user, result))
    if details and (result.details_zh or result.details_en or attachments):
        audit_record(
            actor=user,  # type: ignore[arg-type]
            action="result.view_details",
            obj=result,
            remote_addr=request.META.get("REMOTE_ADDR"),
            durable=False,
        )
    context: dict[str, Any] = {
        "result": result,
        "show_details": details,
        "can_change": result_can_change(user, result),
        "transitions": [t for t in available_transitions(result, user)],  # type: ignore[arg-type]
        "owners": [o.organisation for o in result.ownerships.select_related("organisation")],
        "can_open_organisations": permitted(user, Organisation, "view"),
        "inventorships": result_inventorships(user, result),
        "show_inventors": result_shows_inventors(user),
        "ip_assets": result_ip_assets(user, result),
        "fundings": result_fundings(user, result),
        "attachments": attachments,
        "timeline": result_timeline(user, result),
    }
    # The parts higher apps add (``hooks``): the deals and the quick deal form (landing), the
    # quick evaluation form (evaluation), the plan form (planning), for those who may take those steps.
    context.update(result_page_parts(user, result))
    return render(request, "results/result_detail.html", context)


def _render_form(
    request: AuthedHttpRequest,
    form: ResultForm,
    inventors: Any,
    assets: Any,
    fundings: Any,
    *,
    result: Result | None,
    similar: list[Result] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "results/result_form.html",
        {
            "form": form,
            "inventors": inventors,
            "ip_assets": assets,
            "fundings": fundings,
            "result": result,
            "similar": similar or [],
        },
        status=status,
    )


def _apply_errors(
    form: ResultForm, inventors: Any, assets: Any, fundings: Any, exc: ValidationError
) -> None:
    for key, messages_ in exc.message_dict.items():
        for message in messages_:
            if key.startswith("ip_assets-"):
                _prefix, index, name = key.split("-", 2)
                assets.forms[int(index)].add_error(
                    name if name in assets.forms[int(index)].fields else None, message
                )
            elif key.startswith("fundings-"):
                _prefix, index, name = key.split("-", 2)
                fundings.forms[int(index)].add_error(name, message)
            elif key == "inventors":
                inventors._non_form_errors = inventors.error_class(
                    [*inventors.non_form_errors(), message]
                )
            elif key in form.fields:
                form.add_error(key, message)
            else:
                form.add_error(None, message)


def _result_form_view(request: AuthedHttpRequest, result: Result | None) -> HttpResponse:
    if request.method == "POST":
        form = ResultForm(request.POST, request.FILES, user=request.user)
        inventors = InventorFormSet(
            request.POST, prefix="inventors", form_kwargs={"user": request.user}
        )
        assets = IPAssetFormSet(request.POST, prefix="ip_assets")
        fundings = FundingFormSet(request.POST, prefix="fundings")
        if all([form.is_valid(), inventors.is_valid(), assets.is_valid(), fundings.is_valid()]):
            data = build_result_input(form, inventors, assets, fundings)
            # Map service errors on IP rows back to the submitted rows (blank rows are skipped).
            asset_rows = [
                i
                for i, f in enumerate(assets.forms)
                if (f.cleaned_data.get("application_number") or "").strip()
            ]
            funding_rows = [
                i
                for i, f in enumerate(fundings.forms)
                if any(f.cleaned_data.get(k) for k in ("programme", "grant_number", "funder"))
            ]
            try:
                if result is None:
                    saved = result_onboard(
                        data=data,
                        actor=request.user,
                        attachments=form.cleaned_data["attachments"],
                        confirm_duplicates=form.cleaned_data["confirm_duplicates"],
                    )
                    messages.success(request, _("The result was onboarded."))
                else:
                    saved = result_update(
                        result=result,
                        data=data,
                        actor=request.user,
                        attachments=form.cleaned_data["attachments"],
                        confirm_duplicates=form.cleaned_data["confirm_duplicates"],
                    )
                    messages.success(request, _("The result was saved."))
                return redirect("results:detail", pk=saved.pk)
            except DuplicateResultError as exc:
                form.add_error(None, exc.messages[0])
                return _render_form(
                    request,
                    form,
                    inventors,
                    assets,
                    fundings,
                    result=result,
                    similar=exc.similar,
                    status=409,
                )
            except ValidationError as exc:
                remapped = {}
                for key, value in exc.message_dict.items():
                    if key.startswith("ip_assets-") or key.startswith("fundings-"):
                        prefix, index, name = key.split("-", 2)
                        rows = asset_rows if prefix == "ip_assets" else funding_rows
                        key = f"{prefix}-{rows[int(index)]}-{name}"
                    remapped[key] = value
                _apply_errors(form, inventors, assets, fundings, ValidationError(remapped))
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
        return _render_form(request, form, inventors, assets, fundings, result=result, status=422)
    if result is None:
        # Someone who onboards only their organisation's results (an inventor): theirs filled in.
        initial: dict[str, Any] = {}
        inventor_initial: list[dict[str, Any]] = []
        if not result_onboards_any(request.user):
            if getattr(request.user, "organisation_id", None):
                initial["owners"] = [request.user.organisation_id]
            person = getattr(request.user, "person", None)
            if person is not None:
                inventor_initial = [{"person": person.pk, "share": 100}]
        form = ResultForm(user=request.user, initial=initial)
        inventors = InventorFormSet(
            prefix="inventors", initial=inventor_initial, form_kwargs={"user": request.user}
        )
        assets = IPAssetFormSet(prefix="ip_assets")
        fundings = FundingFormSet(prefix="fundings")
    else:
        main, inventor_rows, asset_rows_initial, funding_rows_initial = initial_from_result(result)
        form = ResultForm(user=request.user, initial=main)
        inventors = InventorFormSet(
            prefix="inventors", initial=inventor_rows, form_kwargs={"user": request.user}
        )
        assets = IPAssetFormSet(prefix="ip_assets", initial=asset_rows_initial)
        fundings = FundingFormSet(prefix="fundings", initial=funding_rows_initial)
    return _render_form(request, form, inventors, assets, fundings, result=result)


@login_required
def result_onboard_view(request: AuthedHttpRequest) -> HttpResponse:
    if not result_can_onboard(request.user):
        raise PermissionDenied
    return _result_form_view(request, None)


@login_required
def result_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(results_visible(request.user), pk=pk)
    if not result_can_change(request.user, result):
        raise PermissionDenied
    return _result_form_view(request, result)


@login_required
@require_POST
def result_transition_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(results_visible(request.user), pk=pk)
    target = request.POST.get("target", "")
    try:
        result_transition(
            result=result, target=target, actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(
            request,
            _("The result moved to “%(stage)s”.") % {"stage": ResultStageChoices(target).label},
        )
    except TransitionError as exc:
        messages.error(request, " ".join(exc.messages))
        response = redirect("results:detail", pk=pk)
        response.status_code = 303
        return response
    return redirect("results:detail", pk=pk)


@login_required
def attachment_download_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(attachments_downloadable(request.user), pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit_record(
        actor=request.user,
        action="attachment.download",
        obj=attachment,
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
