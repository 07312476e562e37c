"""The public showcase (/showcase/): public results as a catalogue that anyone can browse and
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
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_POST

from opentto.results.models import Result, ResultFieldChoices, ResultQuerySet, ResultStageChoices

from . import index
from .permissions import may_express_interest
from .selectors import matches_visible

PAGE_SIZE = 24


def showcase_results() -> ResultQuerySet:
    """What the showcase lists: results public to everyone, not withdrawn or declined."""
    return Result.objects.restrict(None, "view").exclude(
        stage__in=[ResultStageChoices.WITHDRAWN, ResultStageChoices.DECLINED]
    )


def result_slug(result: Result) -> str:
    return slugify(result.title_en)[:70].strip("-") or "technology"


def showcase_url(result: Result) -> str:
    return reverse("showcase:detail", kwargs={"pk": result.pk, "slug": result_slug(result)})


def _search(qs: ResultQuerySet, q: str) -> tuple[list[Result] | ResultQuerySet, str]:
    """Lexical hits best first; when nothing matches by words, the semantically closest ones
    (hybrid, when the dense index is ready)."""
    allowed = index.ids_of(qs)
    try:
        outcome = index.search_results(q, allowed_ids=allowed, top=200, mode="lexical")
        hits = outcome.hits
        floor = hits[0].score * 0.25 if hits else 0
        ids = [int(h.id) for h in hits if h.score >= floor]
        kind = "words"
        if not ids:
            outcome = index.search_results(q, allowed_ids=allowed, top=10)
            if outcome.mode == "hybrid":
                ids, kind = [int(h.id) for h in outcome.hits], "closest"
    except index.IndexBuilding:
        from opentto.results.selectors import result_search

        return qs.filter(pk__in=result_search(None, q).values("pk")), "words"
    found = qs.in_bulk(ids)
    return [found[i] for i in ids if i in found], kind


def showcase_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    field = request.GET.get("field", "") if request.GET.get("field") in ResultFieldChoices.values else ""
    qs = showcase_results().prefetch_related("ownerships__organisation", "ip_assets")
    if field:
        qs = qs.filter(field=field)
    kind = ""
    items: Any = qs.order_by("-onboarded_at", "-id")
    if q:
        items, kind = _search(qs, q)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "page": page, "q": q, "field": field, "fields": ResultFieldChoices.choices, "match_kind": kind,
        "querystring": querystring.urlencode(),
        "canonical": request.build_absolute_uri(reverse("showcase:list")),
    }
    return render(request, "demands/showcase_list.html", context)


def showcase_detail_view(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    result = get_object_or_404(showcase_results().prefetch_related("ownerships__organisation", "ip_assets"), pk=pk)
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
    if can_express_interest and own is not None:  # the match of the user's organisation, if it may see it
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
    return render(request, "demands/showcase_detail.html", context)


@require_POST
def showcase_interest_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(showcase_results(), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(showcase_url(result))
    from .services import match_express_interest

    try:
        match_express_interest(result=result, actor=request.user, message=request.POST.get("message", ""))
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
    for result in showcase_results().only("pk", "title_en", "title_zh", "updated_at").order_by("pk"):
        urls = {}
        for lang in ("zh-hans", "en"):
            with override(lang):
                urls[lang] = request.build_absolute_uri(showcase_url(result))
        entries.append({"urls": urls, "lastmod": result.updated_at})
    return render(request, "demands/sitemap.xml", {"entries": entries}, content_type="application/xml")
