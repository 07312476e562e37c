"""The form → service → redirect shape the apps' POST views share, in one place.

Two helpers:

- :func:`form_service_redirect` — inside a view: a valid form calls the service with its
  cleaned data; success adds the success message and redirects; the service's
  ``ValidationError`` lands on the form's fields and the page is shown again (``invalid``), as an
  invalid form is (evaluation's round page: status 422).
- :func:`object_action` — builds a whole POST view on one object: 404 when the viewer may not see
  it, 403 when ``may`` refuses (the service asks the same grant), then the form (its errors become
  messages and the user goes back), then the service once per form key
  (:func:`opentto.core.idempotency.run_form_once`: a repeat answers with the first outcome, a
  reused key with a warning). The service's ``ValidationError`` becomes error messages — or, when
  it holds an identical entry back (``confirm_duplicate``) and ``confirm_as`` names the form, the
  page is shown again with that form asking for confirmation; its ``PermissionError`` answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.core.idempotency import (
    FORM_FIELD,
    KeyReused,
    replay_message,
    reused_message,
    run_form_once,
)

Obj = TypeVar("Obj", bound=Model)


def apply_errors(form: Any, exc: ValidationError) -> None:
    """The service's errors on the form: on their field when the form has it, else on the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        for message in errors:
            form.add_error(key if key in form.fields else None, message)


def form_error_messages(request: HttpRequest, form: Any) -> None:
    """An invalid form's errors as messages, each led by its field's label."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        text = " ".join(str(e) for e in errors)
        messages.error(request, f"{label}: {text}" if label else text)


def form_service_redirect(
    request: HttpRequest,
    form: Any,
    service: Callable[[dict[str, Any]], Any],
    *,
    success: str | Callable[[Any], str],
    success_url: str | Callable[[Any], str],
    invalid: Callable[[Any], HttpResponse],
    put_errors: Callable[[Any, ValidationError], None] | None = None,
) -> HttpResponse:
    """Validate ``form``; call ``service(cleaned_data)``; on success add ``success`` (text, or made
    from the service's return value) and redirect to ``success_url`` (a URL, or made from it); an
    invalid form, or a service's ``ValidationError`` put on the form (``put_errors``, by default
    :func:`apply_errors`), answers ``invalid(form)``."""
    if form.is_valid():
        try:
            outcome = service(form.cleaned_data)
        except ValidationError as exc:
            (put_errors or apply_errors)(form, exc)
        else:
            messages.success(request, success(outcome) if callable(success) else success)
            return redirect(success_url(outcome) if callable(success_url) else success_url)
    return invalid(form)


def object_action(
    *,
    get_object: Callable[[Any, int], Obj],
    may: Callable[[Any, Obj], bool],
    call: Callable[[Obj, Any, Any], Any],
    success: str,
    back: Callable[[Any, Obj], HttpResponse],
    form_class: Callable[..., Any] | None = None,
    form_kwargs: Callable[[Any, Obj], dict[str, Any]] | None = None,
    files: bool = False,
    confirm_as: str = "",
    redisplay: Callable[[Any, Obj, dict[str, Any]], HttpResponse] | None = None,
    pk_kwarg: str = "pk",
) -> Callable[..., HttpResponse]:
    """A POST view on one object (see the module). ``get_object(request, pk)`` 404s what the
    viewer may not see; ``call(obj, form, user)`` is the service (``form`` is ``None`` without a
    ``form_class``); ``success`` is a literal marked with ``gettext_noop`` (translated when shown);
    ``back(request, obj)`` the redirect; ``form_kwargs`` the form's extra arguments (it gets
    ``request.FILES`` too when ``files``); ``redisplay(request, obj, bound)`` shows the page again
    with ``bound`` = ``{confirm_as: form, confirm_as + "_key": the form key}``."""

    @login_required
    @require_POST
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        obj = get_object(request, kwargs[pk_kwarg])
        if not may(request.user, obj):
            raise PermissionDenied
        form = None
        if form_class is not None:
            extra = form_kwargs(request, obj) if form_kwargs else {}
            form = (
                form_class(request.POST, request.FILES, **extra)
                if files
                else form_class(request.POST, **extra)
            )
            if not form.is_valid():
                form_error_messages(request, form)
                return back(request, obj)
        try:
            outcome = run_form_once(request, lambda: call(obj, form, request.user))
        except KeyReused as exc:
            messages.warning(request, reused_message(exc.first))
        except ValidationError as exc:
            duplicate = (
                form is not None
                and confirm_as
                and hasattr(exc, "error_dict")
                and "confirm_duplicate" in exc.error_dict
            )
            for message in exc.messages:
                (messages.warning if duplicate else messages.error)(request, message)
            if duplicate and form is not None and redisplay is not None:
                form.add_error("confirm_duplicate", exc.error_dict["confirm_duplicate"])
                return redisplay(
                    request,
                    obj,
                    {confirm_as: form, f"{confirm_as}_key": request.POST.get(FORM_FIELD, "")},
                )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            if outcome.replayed and outcome.record is not None:
                messages.info(request, replay_message(outcome.record))
            else:
                messages.success(request, _(success))
        return back(request, obj)

    return view
