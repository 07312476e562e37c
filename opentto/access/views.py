"""NDA access requests and grants, the grants table and people's personal data (routed from
``opentto/accounts/urls.py`` under ``/account/``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.audit import audit_record
from opentto.core.models import Grant
from opentto.core.permissions import permitted, registered_types, restrict
from opentto.organisations.models import Person
from opentto.results.models import Result

from .forms import AccessRequestForm, DecisionForm, PrivateDataForm
from .models import AccessRequestStatusChoices
from .privacy import (
    person_erase,
    person_private_data,
    person_record_consent,
    person_reveal_private_data,
    person_set_private_data,
    person_withdraw_consent,
)
from .selectors import (
    access_grants_revocable,
    access_grants_visible,
    access_requests_decidable,
    access_requests_visible,
    access_requests_withdrawable,
    nda_files_downloadable,
)
from .services import (
    access_grant_revoke,
    access_request_approve,
    access_request_create,
    access_request_reject,
    access_request_withdraw,
)


def _acted_on(rows: Any, visible: Any, pk: int) -> Any:
    """The row ``pk`` of ``rows`` (those the user may act on); one the user sees but may not act on
    answers 403, one they do not see 404."""
    item = rows.filter(pk=pk).first()
    if item is None:
        if visible.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return item


def _apply(form: Any, exc: ValidationError) -> None:
    for key, msgs in exc.message_dict.items():
        for message in msgs:
            form.add_error(key if key in form.fields else None, message)


@login_required
def access_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """The requests and live access the user may see: the TTO everyone's (and decides), a
    requester their own."""
    user: Any = request.user
    requests = access_requests_visible(user)
    return render(
        request,
        "access/access_list.html",
        {
            # The requester's name and organisation, and the decision forms, for those who decide.
            "can_decide": permitted(user, "access.accessrequest", "decide"),
            "decidable": set(
                access_requests_decidable(user)
                .filter(status=AccessRequestStatusChoices.PENDING)
                .values_list("pk", flat=True)
            ),
            "withdrawable": set(
                access_requests_withdrawable(user)
                .filter(status=AccessRequestStatusChoices.PENDING)
                .values_list("pk", flat=True)
            ),
            "revocable": set(access_grants_revocable(user).live().values_list("pk", flat=True)),
            "pending": requests.filter(status=AccessRequestStatusChoices.PENDING).select_related(
                "result", "requester", "organisation"
            ),
            "decided": requests.exclude(status=AccessRequestStatusChoices.PENDING).select_related(
                "result", "requester", "decided_by"
            )[:50],
            "grants": access_grants_visible(user).live().select_related("result", "user"),
            "decision_form": DecisionForm(),
        },
    )


@login_required
def access_request_view(request: AuthedHttpRequest, result_pk: int) -> HttpResponse:
    if not permitted(request.user, Result, "request_access"):
        raise PermissionDenied
    result = get_object_or_404(Result.objects.restrict(request.user, "view"), pk=result_pk)
    form = AccessRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_request_create(
                result=result,
                purpose=form.cleaned_data["purpose"],
                nda_kind=form.cleaned_data["nda_kind"],
                actor=request.user,
                accept_nda=form.cleaned_data["accept_nda"],
                nda_file=form.cleaned_data.get("nda_file"),
                request=request,
            )
            messages.success(request, _("Your request was sent to the TTO."))
            return redirect("accounts:access")
        except ValidationError as exc:
            _apply(form, exc)
    return render(
        request,
        "access/access_request.html",
        {"form": form, "result": result},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def access_decide_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    item = _acted_on(
        access_requests_decidable(request.user), access_requests_visible(request.user), pk
    )
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        if request.POST.get("decision") == "approve":
            access_request_approve(
                access_request=item,
                expires_on=form.cleaned_data.get("expires_on"),
                note=form.cleaned_data.get("note", ""),
                actor=request.user,
                request=request,
            )
            messages.success(request, _("Access granted."))
        elif request.POST.get("decision") == "reject":
            access_request_reject(
                access_request=item,
                note=form.cleaned_data.get("note", ""),
                actor=request.user,
                request=request,
            )
            messages.success(request, _("Request rejected."))
        else:
            messages.error(request, _("Choose approve or reject."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:access")


@login_required
@require_POST
def access_withdraw_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    item = _acted_on(
        access_requests_withdrawable(request.user), access_requests_visible(request.user), pk
    )
    try:
        access_request_withdraw(access_request=item, actor=request.user)
        messages.success(request, _("Your request was withdrawn."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:access")


@login_required
@require_POST
def access_revoke_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    grant = _acted_on(
        access_grants_revocable(request.user), access_grants_visible(request.user), pk
    )
    try:
        access_grant_revoke(grant=grant, actor=request.user, request=request)
        messages.success(request, _("Access revoked."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:access")


@login_required
def access_nda_download_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    """The signed NDA: for the TTO and the requester only; every download is recorded."""
    item = get_object_or_404(nda_files_downloadable(request.user), pk=pk)
    try:
        handle = item.nda_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit_record(actor=request.user, action="access.nda_download", obj=item, request=request)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.nda_file_name or "nda",
        content_type=item.nda_file_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def grants_view(request: AuthedHttpRequest) -> HttpResponse:
    """The roles table, read from the grants in the database."""
    if not permitted(request.user, Grant, "view"):
        raise Http404
    grants = restrict(Grant.objects.all(), request.user, "view")
    return render(
        request,
        "access/grants.html",
        {"grants": grants, "types": sorted(registered_types().items())},
    )


@login_required
def person_private_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """ID number and bank details of a person: masked; revealed on request (recorded)."""
    person = get_object_or_404(
        restrict(Person.objects.all(), request.user, "view_private_data"), pk=pk
    )
    revealed: dict[str, str] | None = None
    form = PrivateDataForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reveal":
                revealed = person_reveal_private_data(
                    person=person, actor=request.user, request=request
                )
            elif action == "consent":
                person_record_consent(person=person, actor=request.user, request=request)
                messages.success(request, _("Consent recorded."))
                return redirect("accounts:person_private", pk=pk)
            elif action == "withdraw_consent":
                person_withdraw_consent(person=person, actor=request.user, request=request)
                messages.success(
                    request, _("Consent withdrawn; the ID and bank details were erased.")
                )
                return redirect("accounts:person_private", pk=pk)
            elif action == "erase":
                person_erase(person=person, actor=request.user, request=request)
                messages.success(
                    request,
                    _("The person's personal data was erased; the audit trail keeps only ids."),
                )
                return redirect("accounts:person_private", pk=pk)
            elif action == "save":
                form = PrivateDataForm(request.POST)
                if form.is_valid():
                    person_set_private_data(
                        person=person, actor=request.user, request=request, **form.cleaned_data
                    )
                    messages.success(request, _("Saved."))
                    return redirect("accounts:person_private", pk=pk)
        except ValidationError as exc:
            if action == "save":
                _apply(form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "access/person_private.html",
        {
            "person": person,
            "masked": person_private_data(person),
            "revealed": revealed,
            "form": form,
        },
        status=422 if form.errors else 200,
    )
