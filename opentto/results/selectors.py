"""Reads for results. Each takes the user and returns only what that user may see."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Q, QuerySet

from opentto.core.cache import cached_ids
from opentto.core.http import id_param
from opentto.core.permissions import allows, permitted
from opentto.organisations.models import Person

from .models import (
    Attachment,
    Funding,
    IPAsset,
    Result,
    ResultFieldChoices,
    ResultInventor,
    ResultKindChoices,
    ResultQuerySet,
    ResultStageChoices,
    StageTransition,
)

SORTS = {
    "newest": ("-onboarded_at", "-id"),
    "oldest": ("onboarded_at", "id"),
    "title": ("title_zh", "title_en", "id"),
    "trl": ("-trl", "-onboarded_at", "-id"),
    "stage": ("stage_changed_at", "id"),
}


def result_list_params(get: Mapping[str, str]) -> dict[str, Any]:
    """The result list's query parameters, cleaned (anything unknown is ignored), for the list
    page and its export alike. A search is sorted by relevance unless another order is asked for;
    a list, newest first."""
    q = get.get("q", "").strip()[:200]
    sort = get.get("sort", "")
    if not (sort in SORTS or (sort == "relevance" and q)):
        sort = "relevance" if q else "newest"
    return {
        "q": q,
        "stage": get.get("stage", "") if get.get("stage") in ResultStageChoices.values else "",
        "field": get.get("field", "") if get.get("field") in ResultFieldChoices.values else "",
        "kind": get.get("kind", "") if get.get("kind") in ResultKindChoices.values else "",
        "owner": id_param(get.get("owner")),
        "public": get.get("public", "") if get.get("public") in {"public", "confidential"} else "",
        "sort": sort,
    }


#: The result list's filters besides the search words and the order.
RESULT_FILTERS = ("stage", "field", "kind", "owner", "public")


def result_list_ranked(user: Any, params: Mapping[str, Any]) -> list[int] | None:
    """:func:`result_search_ranked` for the cleaned parameters of :func:`result_list_params`."""
    return result_search_ranked(user, params["q"], **{k: params[k] for k in RESULT_FILTERS})


def results_in_order(qs: QuerySet[Result], ids: Sequence[int]) -> list[Result]:
    """The rows of ``qs`` with these ids, in the ids' order (an id ``qs`` does not hold is left
    out): a page of ranked ids turned into its rows."""
    rows = qs.in_bulk(list(ids))
    return [rows[pk] for pk in ids if pk in rows]


def results_visible(user: Any) -> ResultQuerySet:
    return Result.objects.restrict(user, "view")


def result_shows_inventors(user: Any) -> bool:
    """Whether the result pages, the API and the exports name inventors and their shares to
    ``user`` at all: for those who may see people in the directory (not anonymous visitors)."""
    return permitted(user, Person, "view")


def result_has_details_access(user: Any, result: Result) -> bool:
    return allows(user, result, "view_details")


def result_can_change(user: Any, result: Result) -> bool:
    return allows(user, result, "change")


def result_can_onboard(user: Any) -> bool:
    """Whether ``user`` may onboard results at all (the list's button, the onboarding page)."""
    return permitted(user, Result, "add")


def result_onboards_any(user: Any) -> bool:
    """Whether ``user`` may onboard results of any owner (else only their organisation's: the
    form offers fewer owners and fills in theirs)."""
    return permitted(user, Result, "add", every_row=True)


def result_ip_assets(user: Any, result: Result) -> QuerySet[IPAsset]:
    return IPAsset.objects.restrict(user, "view").filter(result=result)


def result_inventorships(user: Any, result: Result | None = None) -> QuerySet[ResultInventor]:
    """The inventorships (person and contribution share) ``user`` may see: on results they may
    see, of people they may see in the directory (none for anonymous visitors). One rule for the
    result page, the API and the exports; without ``result``, the caller narrows it."""
    rows = ResultInventor.objects.restrict(user, "view").select_related("person")
    return rows if result is None else rows.filter(result=result)


def result_fundings(user: Any, result: Result) -> QuerySet[Funding]:
    return Funding.objects.restrict(user, "view").filter(result=result)


def result_attachments(user: Any, result: Result) -> QuerySet[Attachment]:
    """The result's attachments, for those who may read its confidential details."""
    return Attachment.objects.restrict(user, "view").filter(result=result)


def result_timeline(user: Any, result: Result) -> QuerySet[StageTransition]:
    return (
        StageTransition.objects.restrict(user, "view").filter(result=result).select_related("actor")
    )


def attachments_downloadable(user: Any) -> QuerySet[Attachment]:
    """Attachments ``user`` may download: of results whose confidential details they may read."""
    return Attachment.objects.restrict(user, "view").select_related("result")


def _text_query(q: str, *, with_details: bool) -> Q:
    condition = Q()
    for term in q.split():
        term_q = (
            Q(title_zh__icontains=term)
            | Q(title_en__icontains=term)
            | Q(abstract_zh__icontains=term)
            | Q(abstract_en__icontains=term)
            | Q(keywords_zh__icontains=term)
            | Q(keywords_en__icontains=term)
            | Q(ip_assets__application_number__icontains=term)
        )
        if with_details:
            term_q |= Q(details_zh__icontains=term) | Q(details_en__icontains=term)
        condition &= term_q
    return condition


def _ranked_hits(user: Any, q: str) -> list[int]:
    """Ids of the visible results matching ``q`` through the matching engine, best first (see
    :func:`result_search`). Raises when the index cannot be used."""
    from opentto.search.index import ids_of, search_details, search_results

    visible = results_visible(user)
    # Every visible id (100,000 at the load benchmark's size): from the cache while unchanged.
    visible_ids = visible.values("pk")
    allowed = cached_ids(visible_ids, "result-ids", functools.partial(ids_of, visible_ids))
    hits = search_results(q, allowed_ids=allowed, top=1000, mode="lexical").hits
    readable = Result.objects.restrict(user, "view_details").filter(pk__in=visible_ids).values("pk")
    detail_allowed = cached_ids(readable, "result-ids", functools.partial(ids_of, readable))
    detail_hits = search_details(q, allowed_ids=detail_allowed)
    # Each index's scores relative to its best hit; a result found in both keeps the better.
    best: dict[int, float] = {}
    for group in (hits, detail_hits):
        if group:
            top = group[0].score
            for h in group:
                if h.score >= top * 0.25:
                    pk, share = int(h.id), h.score / top if top else 0.0
                    if share > best.get(pk, -1.0):
                        best[pk] = share
    return sorted(best, key=lambda pk: (-best[pk], pk))


def _number_condition(q: str) -> Q | None:
    """Patent numbers match as substrings; none without a digit (no substring scan then)."""
    if not any(ch.isdigit() for ch in q):
        return None
    numbers = Q()
    for term in q.split():
        numbers &= Q(ip_assets__application_number__icontains=term)
    return numbers


def result_search(user: Any, q: str) -> ResultQuerySet:
    """Results matching ``q`` through the matching engine (BM25 over segmented Chinese and stemmed
    English with synonyms, and English→Chinese query-term translation), the same engine as the
    demands' matches (``opentto.search.index``). Hits weaker than a quarter of the best are left
    out. Confidential details are searched in their own index, only among the results whose
    details the user may read, so a hit never reveals what a user may not see. Patent numbers
    match as substrings. If the index cannot be used, the plain word-by-word database search
    answers instead."""
    visible = results_visible(user)
    q = q.strip()
    if not q:
        return visible
    try:
        found = _ranked_hits(user, q)
        numbers = _number_condition(q)
        if numbers is None:
            return visible.filter(pk__in=found)
        return visible.filter(
            Q(pk__in=found) | Q(pk__in=Result.objects.filter(numbers).values("pk"))
        )
    except Exception:
        import logging

        logging.getLogger(__name__).exception("matching index unavailable; searching the database")
    summary_hits = Result.objects.filter(_text_query(q, with_details=False)).values("pk")
    detail_hits_qs = (
        Result.objects.restrict(user, "view_details")
        .filter(_text_query(q, with_details=True))
        .values("pk")
    )
    return visible.filter(Q(pk__in=summary_hits) | Q(pk__in=detail_hits_qs))


def result_search_ranked(user: Any, q: str, **filters: Any) -> list[int] | None:
    """The ids :func:`result_search` finds, best first (engine hits by relevance, then patent
    numbers), narrowed by :func:`result_list`'s other ``filters`` (stage, field, kind, owner,
    public), for a search sorted by relevance; ``None`` when the index cannot answer (the
    caller then lists :func:`result_search`'s rows in another order)."""
    ranked = _ranked_ids(user, q.strip())
    filters = {k: v for k, v in filters.items() if v}
    if ranked and filters:
        keep = set(result_list(user, **filters).filter(pk__in=ranked).values_list("pk", flat=True))
        ranked = [pk for pk in ranked if pk in keep]
    return ranked


def _ranked_ids(user: Any, q: str) -> list[int] | None:
    try:
        ranked = _ranked_hits(user, q)
    except Exception:
        import logging

        logging.getLogger(__name__).exception("matching index unavailable; searching the database")
        return None
    numbers = _number_condition(q)
    if numbers is not None:
        seen = set(ranked)
        extra = (
            results_visible(user)
            .filter(pk__in=Result.objects.filter(numbers).values("pk"))
            .order_by("-onboarded_at", "-id")
        )
        ranked += [pk for pk in extra.values_list("pk", flat=True) if pk not in seen]
    return ranked


def result_list(
    user: Any,
    *,
    q: str = "",
    stage: str = "",
    field: str = "",
    kind: str = "",
    owner: int | None = None,
    public: str = "",
    sort: str = "newest",
) -> ResultQuerySet:
    qs = result_search(user, q)
    if stage:
        qs = qs.filter(stage=stage)
    if field:
        qs = qs.filter(field=field)
    if kind:
        qs = qs.filter(kind=kind)
    if owner:
        qs = qs.filter(pk__in=Result.objects.filter(ownerships__organisation_id=owner).values("pk"))
    if public in {"public", "confidential"}:
        qs = qs.filter(is_public=(public == "public"))
    return qs.order_by(*SORTS.get(sort, SORTS["newest"])).prefetch_related(
        "ownerships__organisation"
    )
