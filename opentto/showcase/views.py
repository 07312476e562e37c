"""The platform's front page and the public showcase (/showcase/): public results as a catalogue that anyone can browse and
search without signing in, one page per technology with clean URLs and metadata for search
engines; a signed-in enterprise user can express interest, which becomes a match."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_POST

from opentto.demands.permissions import may_express_interest
from opentto.demands.selectors import matches_visible
from opentto.demands.services import match_express_interest
from opentto.results.models import ResultFieldChoices
from opentto.results.selectors import results_visible
from opentto.results.slugs import result_slug

from .selectors import showcase_results, showcase_search, showcase_url

PAGE_SIZE = 24


def home_view(request: HttpRequest) -> HttpResponse:
    """The platform's front page: the latest public results."""
    public = results_visible(None).order_by("-stage_changed_at")[:6]
    return render(
        request,
        "showcase/home.html",
        {"public_results": public, "public_count": results_visible(None).count()},
    )


def showcase_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    field = (
        request.GET.get("field", "")
        if request.GET.get("field") in ResultFieldChoices.values
        else ""
    )
    qs = showcase_results().prefetch_related("ownerships__organisation", "ip_assets")
    if field:
        qs = qs.filter(field=field)
    kind = ""
    items: Any = qs.order_by("-onboarded_at", "-id")
    if q:
        items, kind = showcase_search(qs, q)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "page": page,
        "q": q,
        "field": field,
        "fields": ResultFieldChoices.choices,
        "match_kind": kind,
        "querystring": querystring.urlencode(),
        "canonical": request.build_absolute_uri(reverse("showcase:list")),
    }
    return render(request, "showcase/list.html", context)


def showcase_detail_view(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    result = get_object_or_404(
        showcase_results().prefetch_related("ownerships__organisation", "ip_assets"), pk=pk
    )
    canonical_path = showcase_url(result)
    if slug != result_slug(result):
        return HttpResponsePermanentRedirect(canonical_path)
    alternates = {}
    for lang in ("zh-hans", "en"):
        with override(lang):
            alternates[lang[:2]] = request.build_absolute_uri(showcase_url(result))
    can_express_interest = may_express_interest(request.user)
    own: int | None = getattr(request.user, "organisation_id", None)
    interest = None
    if (
        can_express_interest and own is not None
    ):  # the match of the user's organisation, if it may see it
        interest = matches_visible(request.user).filter(organisation_id=own, result=result).first()
    context = {
        "result": result,
        "owners": [o.organisation for o in result.ownerships.all()],
        "ip_assets": list(result.ip_assets.all()),
        "canonical": request.build_absolute_uri(canonical_path),
        "alternates": alternates,
        "can_express_interest": can_express_interest,
        "interest": interest,
    }
    return render(request, "showcase/detail.html", context)


@require_POST
def showcase_interest_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(showcase_results(), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(showcase_url(result))
    try:
        match_express_interest(
            result=result, actor=request.user, message=request.POST.get("message", "")
        )
        messages.success(request, _("Thank you: the TTO will put you in touch with the owners."))
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    response = redirect(showcase_url(result))
    response.status_code = 303
    return response


def showcase_sitemap_view(request: HttpRequest) -> HttpResponse:
    """sitemap.xml of the showcase pages in both languages (with hreflang alternates)."""
    entries = []
    for result in (
        showcase_results().only("pk", "title_en", "title_zh", "updated_at").order_by("pk")
    ):
        urls = {}
        for lang in ("zh-hans", "en"):
            with override(lang):
                urls[lang] = request.build_absolute_uri(showcase_url(result))
        entries.append({"urls": urls, "lastmod": result.updated_at})
    return render(
        request, "showcase/sitemap.xml", {"entries": entries}, content_type="application/xml"
    )
