"""The signed-in person's own account pages that show what the access app keeps: the account
overview (sign-ins, access requests and grants), the copy of their data and their consents (PIPL).
They answer under the ``accounts:`` URL names: this app registers them with accounts
(``opentto.core.url_hooks``) from ``AccessConfig.ready``, as accounts sits below it."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.accounts.models import User
from opentto.accounts.permissions import two_factor_required
from opentto.core.models import AuditEvent


@login_required
def account_view(request: AuthedHttpRequest) -> HttpResponse:
    user: User = request.user
    from opentto.access.selectors import (
        access_grants_visible,
        access_requests_visible,
        audit_events_visible,
    )

    sign_ins = audit_events_visible(user).filter(
        object_type="accounts.user",
        object_id=str(user.pk),
        action__in=["user.login", "user.login_failed", "user.locked"],
    )[:10]
    return render(
        request,
        "accounts/account.html",
        {
            "account": user,
            "sign_ins": sign_ins,
            "two_factor_required": two_factor_required(user),
            "access_requests": access_requests_visible(user)
            .filter(requester=user)
            .select_related("result")[:10],
            "access_grants": access_grants_visible(user)
            .filter(user=user)
            .live()
            .select_related("result"),
        },
    )


@login_required
@require_POST
def my_data_view(request: AuthedHttpRequest) -> HttpResponse:
    """PIPL art. 45: a copy of the signed-in person's data, as JSON."""
    from opentto.access.privacy import person_export

    user: User = request.user
    if user.person is None:
        from opentto.core.audit import audit_record

        audit_record(actor=user, action="user.export", obj=user, request=request)
        data: dict[str, Any] = {
            "user": {
                "username": user.username,
                "email": user.email,
                "role": user.role,
                "language": user.language,
                "date_joined": user.date_joined.isoformat(),
                "two_factor": user.has_two_factor,
            }
        }
    else:
        data = person_export(person=user.person, actor=user, request=request)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="opentto-my-data-{user.pk}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


#: Audit actions shown to a person as their consent history.
CONSENT_ACTIONS = ("person.consent", "person.withdraw_consent")


@login_required
@never_cache
def privacy_view(request: AuthedHttpRequest) -> HttpResponse:
    """PIPL self-service: the consents recorded for the signed-in person, giving and withdrawing
    consent (each an audit entry), and the copy of their data (``my_data``)."""
    from opentto.access.privacy import (
        CONSENT_VERSION,
        person_record_consent,
        person_withdraw_consent,
    )
    from opentto.access.selectors import audit_events_visible

    user: User = request.user
    person = user.person
    if request.method == "POST":
        action = request.POST.get("action")
        if person is None or person.erased_at is not None or action not in {"give", "withdraw"}:
            return HttpResponse(status=400)
        if action == "give":
            person_record_consent(person=person, actor=user, request=request)
            messages.success(request, _("Your consent was recorded."))
        else:
            person_withdraw_consent(person=person, actor=user, request=request)
            messages.success(
                request, _("Your consent was withdrawn; your ID and bank details were erased.")
            )
        return redirect("accounts:privacy")
    history = (
        audit_events_visible(user)
        .filter(
            object_type="organisations.person", object_id=str(person.pk), action__in=CONSENT_ACTIONS
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")
        if person is not None
        else AuditEvent.objects.none()
    )
    return render(
        request,
        "accounts/privacy.html",
        {"person": person, "history": history, "consent_version": CONSENT_VERSION},
    )
