"""Security headers (a Content-Security-Policy that needs no inline script or style). The
two-factor gate is ``opentto.accounts.middleware.TwoFactorMiddleware``."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _has_nul(request: HttpRequest) -> bool:
    """NUL characters in the path or form values: no legitimate use, and PostgreSQL refuses them."""
    if "\x00" in request.path:
        return True
    if any("\x00" in value for values in request.GET.lists() for value in values[1]):
        return True
    if request.method == "POST" and request.content_type in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
    return False


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            response: HttpResponse = HttpResponseBadRequest(
                "Bad request: NUL character.", content_type="text/plain"
            )
        else:
            response = self.get_response(request)
        if not request.path.startswith("/admin/") and not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            # Pages for a signed-in user may hold confidential data: no shared or disk caches.
            response.headers["Cache-Control"] = "private, no-store"
        return response
