"""Learning to rank from the site's own feedback (``MatchJudgement``), per site.

- :func:`pair_grades`: every judged (demand, result) pair's grade: 3 a deal made or signed, 2 an
  NDA, 1 relevant (marked relevant, owners contacted, added by a TTO manager), 0 not relevant (the
  latest explicit mark, when no stronger signal came after it).
- :func:`training_rows`: for each judged demand, today's ``RERANK_DEPTH`` best results (the ones a
  ranker re-orders), with their features (:func:`features_of`) and grades; a result nobody judged
  counts as not relevant, as a shown result nobody took up. A demand none of whose relevant
  results is among them gives no pair.
- :func:`ranker_train` (``opentto train_ranker``, the ``demands.train_ranker`` task): at least
  ``MIN_JUDGEMENTS`` judged pairs; trains on part of the demands, compares with the active ranker
  (or today's fusion) on the others, and keeps the new :class:`RankerVersion` active only when it
  adds ``MARGIN`` nDCG@10 there; every version is recorded, active or not.
- :func:`rerank`: the matches page's hits re-ordered by the active ranker (same matching mode as
  it was trained in), each with its per-feature contributions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from opentto.core.audit import audit_record
from opentto.matching import Hit
from opentto.matching.ranker import (
    MARGIN,
    MIN_JUDGEMENTS,
    RERANK_DEPTH,
    Judged,
    LinearRanker,
    TooFewJudgements,
    add_list_features,
    hit_features,
    train_and_check,
)
from opentto.results.models import Result, ResultStageChoices
from opentto.search import index

from .models import (
    Demand,
    JudgementKindChoices,
    JudgementLabelChoices,
    MatchJudgement,
    RankerVersion,
)

GRADES: dict[str, int] = {
    JudgementKindChoices.SIGNED: 3,
    JudgementKindChoices.DEAL: 3,
    JudgementKindChoices.NDA: 2,
    JudgementKindChoices.CONTACT: 1,
    JudgementKindChoices.MANUAL: 1,
}
#: a result's recency halves every this many years since it was onboarded
RECENCY_HALF_LIFE_YEARS = 3.0

__all__ = [
    "MARGIN",
    "LinearRanker",
    "MIN_JUDGEMENTS",
    "TooFewJudgements",
    "pair_grades",
    "ranker_train",
    "rerank",
    "training_rows",
]


def feature_label(name: str) -> str:
    """A feature's name on the matches page."""
    labels = {
        "fused": gettext("Today's score (words and meaning)"),
        "dense_z": gettext("Meaning, against the index's average"),
        "lexical_z": gettext("Words, against the index's average"),
        "translated_share": gettext("Share of the words found by translation"),
        "matched_terms": gettext("Number of matched words"),
        "top_term_share": gettext("Share of the best single word"),
        "rank_prior": gettext("Rank before learning"),
        "keyword_overlap": gettext("Result keywords in the demand"),
        "field_fit": gettext("Same field as the demand"),
        "trl": gettext("Technology readiness (TRL)"),
        "recency": gettext("Recency"),
        "coverage": gettext("Matched words, against the best result's"),
        "score_ratio": gettext("Today's score, against the best result's"),
    }
    return labels.get(name, name)


def pair_grades(judgements: Iterable[MatchJudgement] | None = None) -> dict[tuple[int, int], int]:
    """(demand id, result id) → grade (see the module's docstring)."""
    rows = (
        judgements
        if judgements is not None
        else MatchJudgement.objects.order_by("created_at", "id")
    )
    strongest: dict[tuple[int, int], int] = {}
    explicit: dict[tuple[int, int], int] = {}
    mark_last: dict[tuple[int, int], bool] = {}  # the explicit mark came after every other signal
    for j in rows:
        key = (j.demand_id, j.result_id)
        if j.kind == JudgementKindChoices.EXPLICIT:
            explicit[key] = 1 if j.label == JudgementLabelChoices.RELEVANT else 0
            mark_last[key] = True
        else:
            strongest[key] = max(strongest.get(key, 0), GRADES.get(j.kind, 1))
            mark_last[key] = False
    return {
        key: 0
        if explicit.get(key) == 0 and mark_last[key]
        else max(strongest.get(key, 0), explicit.get(key, 0))
        for key in mark_last
    }


def _years(since: Any) -> float:
    return max(0.0, (timezone.now() - since).days / 365.25)


def features_of(hit: Hit, rank: int, demand: Demand, result: Result) -> dict[str, float]:
    """The engine's features of ``hit`` and the site's own: field fit, TRL, recency, keywords."""
    keywords = {k.lower() for k in [*(result.keywords_zh or []), *(result.keywords_en or [])] if k}
    text = demand.match_text().lower()
    extra = {
        "field_fit": 0.5
        if not demand.field or not result.field
        else float(demand.field == result.field),
        "trl": (result.trl or 0) / 9.0,
        "recency": math.pow(0.5, _years(result.onboarded_at) / RECENCY_HALF_LIFE_YEARS),
        "keyword_overlap": sum(1 for k in keywords if k in text) / len(keywords)
        if keywords
        else 0.0,
    }
    return hit_features(hit, rank, extra)


def _candidates() -> set[str]:
    return index.ids_of(
        Result.objects.exclude(
            stage__in=[ResultStageChoices.WITHDRAWN, ResultStageChoices.DECLINED]
        )
    )


@dataclass
class TrainingSet:
    rows: list[Judged]
    mode: str
    judged_pairs: int


def training_rows(grades: dict[tuple[int, int], int] | None = None) -> TrainingSet:
    grades = pair_grades() if grades is None else grades
    allowed = _candidates()
    rows: list[Judged] = []
    modes: set[str] = set()
    demands = Demand.objects.in_bulk({d for d, _r in grades})
    for demand in demands.values():
        outcome = index.search_results(
            demand.match_text(), allowed_ids=allowed, top=RERANK_DEPTH, explain=True
        )
        modes.add(outcome.mode)
        results = Result.objects.in_bulk([int(h.id) for h in outcome.hits])
        group = [
            Judged(
                str(demand.pk),
                h.id,
                features_of(h, i + 1, demand, results[int(h.id)]),
                float(grades.get((demand.pk, int(h.id)), 0)),
            )
            for i, h in enumerate(outcome.hits)
            if int(h.id) in results
        ]
        add_list_features([r.features for r in group])
        if any(r.label > 0 for r in group):
            rows += group
    return TrainingSet(rows, "hybrid" if modes == {"hybrid"} else "lexical", len(grades))


def active_version() -> RankerVersion | None:
    return RankerVersion.objects.filter(active=True).first()


def active_ranker() -> LinearRanker | None:
    version = active_version()
    return LinearRanker.from_dict(version.model) if version is not None else None


def ranker_train(
    *, min_judgements: int = MIN_JUDGEMENTS, margin: float = MARGIN, actor: Any = None
) -> RankerVersion:
    """Train a new version from every judgement (see the module's docstring); raises
    :class:`TooFewJudgements` below ``min_judgements`` judged pairs (nothing recorded)."""
    grades = pair_grades()
    if len(grades) < min_judgements:
        raise TooFewJudgements(f"{len(grades)} judged pairs; at least {min_judgements} are needed")
    data = training_rows(grades)
    current = active_version()
    current_ranker = (
        LinearRanker.from_dict(current.model)
        if current is not None and current.model.get("meta", {}).get("mode") == data.mode
        else None
    )
    verdict = train_and_check(data.rows, current=current_ranker, margin=margin, min_judgements=1)
    assert verdict.ranker is not None
    verdict.ranker.meta.update({"mode": data.mode, "judged_pairs": data.judged_pairs})
    with transaction.atomic():
        number = (RankerVersion.objects.aggregate(n=Max("version"))["n"] or 0) + 1
        if verdict.replace:
            RankerVersion.objects.filter(active=True).update(active=False)
        version = RankerVersion.objects.create(
            version=number,
            judgements=data.judged_pairs,
            held_out_before=round(verdict.before, 4),
            held_out_after=round(verdict.after, 4),
            margin=margin,
            active=verdict.replace,
            model=verdict.ranker.to_dict(),
        )
        audit_record(
            actor=actor,
            action="ranker.train",
            obj=version,
            payload={
                "version": number,
                "judgements": data.judged_pairs,
                "before": version.held_out_before,
                "after": version.held_out_after,
                "active": verdict.replace,
                "weights": verdict.ranker.feature_weights(),
            },
        )
    return version


@dataclass
class Reranked:
    hits: list[Hit]
    contributions: dict[str, list[tuple[str, float]]]
    learned: dict[str, float]
    version: int | None


def rerank(hits: Sequence[Hit], demand: Demand, results: dict[int, Result], mode: str) -> Reranked:
    """``hits`` (the fusion's order) re-ordered by the active ranker when it was trained in
    ``mode``; otherwise as they are, with no contribution."""
    version = active_version()
    if version is None or version.model.get("meta", {}).get("mode") != mode:
        return Reranked(list(hits), {}, {}, None)
    ranker = LinearRanker.from_dict(version.model)
    feats = {
        h.id: features_of(h, i + 1, demand, results[int(h.id)])
        for i, h in enumerate(hits[:RERANK_DEPTH])
        if int(h.id) in results
    }
    add_list_features(list(feats.values()))
    learned = {i: ranker.score(f) for i, f in feats.items()}
    head = sorted((h for h in hits[:RERANK_DEPTH] if h.id in feats), key=lambda h: -learned[h.id])
    ordered = head + [h for h in hits if h.id not in feats]
    return Reranked(
        ordered, {i: ranker.contributions(f) for i, f in feats.items()}, learned, version.version
    )
