"""What a visitor gets when a request fails: Django calls :func:`server_error_view` (``handler500``)
for any exception a view or middleware did not handle, inside the ``except`` block, so it can see
what went wrong.

When the database does not answer (``OperationalError``, ``InterfaceError``: refused connection,
server gone, SQLite locked for too long) the answer is 503 with ``Retry-After``: JSON
``{"detail": …}`` under ``/api/``, else a bilingual page that needs neither the database nor a
context processor. Any other failure is a 500 the same way. Neither ever shows a traceback; the
log (``django.request``) has it.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from .middleware import CONTENT_SECURITY_POLICY

#: Seconds a client is asked to wait before trying again while the database is down.
RETRY_AFTER_SECONDS = 30


def database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def _secure(response: HttpResponse) -> HttpResponse:
    # The error may have been raised inside the middleware that sets these: set them here too.
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def server_error_view(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    api = request.path.startswith("/api/")
    if database_unavailable(exc):
        if api:
            response: HttpResponse = JsonResponse(
                {
                    "detail": _(
                        "The service is unavailable for a moment: its database does not answer. Try again shortly."
                    )
                },
                status=503,
            )
        else:
            response = HttpResponse(
                render_to_string("503.html"), status=503, content_type="text/html; charset=utf-8"
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return _secure(response)
    if api:
        return _secure(JsonResponse({"detail": _("Server error: it has been logged.")}, status=500))
    return _secure(
        HttpResponse(
            render_to_string("500.html"), status=500, content_type="text/html; charset=utf-8"
        )
    )
