"""Sign-in throttling with django-axes (settings ``AXES_*`` in ``opentto/settings/base.py``).

Axes counts wrong passwords per user name *and* address, so a wrong password typed in one place
never locks the owner out in another. What a locked sign-in answers is the sign-in page exactly
as a wrong password gets it (:func:`lockout_response` hands back the response the view already
made, in which the form reports the usual "wrong user name or password"): an unknown user, a
wrong password and a locked pair cannot be told apart. The lock itself is recorded in the audit
log (:func:`on_user_locked_out` → ``accounts.services.user_lock_record``) and shown in the admin
(axes' "Access attempts")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the page the view rendered (the form with its usual error)."""
    if original_response is not None:
        return original_response
    # Axes refused outside a page that renders the form (no such door today): a plain refusal
    # that names no account.
    from django.utils.translation import gettext as _

    return HttpResponse(_("Sign-in refused."), status=403, content_type="text/plain; charset=utf-8")


def refused_before_password_check(request: HttpRequest | None) -> bool:
    """Whether axes refused this sign-in as locked before any password was checked (rather
    than counting a wrong password that reached the limit just now)."""
    return (
        bool(getattr(request, "axes_locked_out", False))
        and getattr(request, "axes_failures_since_start", None) is None
    )


def on_user_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    """Axes' ``user_locked_out`` signal: sent when a pair reaches the limit, and again on each try
    while it is locked. Only the first is a new lock (axes has just counted the failure then)."""
    if request is None or getattr(request, "axes_failures_since_start", None) is None:
        return
    from .services import user_lock_record

    user_lock_record(
        username=username or "",
        ip_address=ip_address,
        failures=int(request.axes_failures_since_start),  # type: ignore[attr-defined]
        request=request,
    )
