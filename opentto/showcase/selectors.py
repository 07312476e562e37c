"""What the public showcase lists and how it searches it (anonymous visitors included)."""

from __future__ import annotations

from django.urls import reverse

from opentto.results.models import Result, ResultQuerySet, ResultStageChoices
from opentto.results.slugs import result_slug
from opentto.search import index


def showcase_results() -> ResultQuerySet:
    """What the showcase lists: results public to everyone, not withdrawn or declined."""
    return Result.objects.restrict(None, "view").exclude(
        stage__in=[ResultStageChoices.WITHDRAWN, ResultStageChoices.DECLINED]
    )


def showcase_url(result: Result) -> str:
    return reverse("showcase:detail", kwargs={"pk": result.pk, "slug": result_slug(result)})


def showcase_search(qs: ResultQuerySet, q: str) -> tuple[list[Result] | ResultQuerySet, str]:
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
