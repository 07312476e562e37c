"""Learning to rank from relevance feedback, over the engine's score parts (no Django).

The engine's hybrid fusion ranks candidates; a :class:`LinearRanker` trained on judgements
re-orders the best ``RERANK_DEPTH`` of them. Features (:data:`FEATURES`) come from a hit and its
:class:`~opentto.matching.engine.Explanation` (:func:`hit_features`) and, for what the engine does
not know (field, TRL, age, keywords of a result), from the caller (``extra``); a feature the caller
does not give is 0.

:func:`add_list_features` adds two features that compare a candidate with the best of its list.

The model is a linear function of the standardised features, fitted by logistic regression on
pairwise differences (RankSVM-style: for each judged group, every pair with different labels
gives ``z_better − z_worse`` → 1 and its negation → 0; scikit-learn ``LogisticRegression``, L2,
no intercept). Linear keeps it explainable: a result's learned score is the sum of its
per-feature contributions ``weight × standardised value`` (:meth:`LinearRanker.contributions`).

:func:`train` refuses fewer than ``MIN_JUDGEMENTS`` judgements; :func:`should_replace` says
whether a candidate model beats the current ranking on held-out groups by ``MARGIN`` nDCG@10.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: every feature a ranker may use, in this order
FEATURES: tuple[str, ...] = (
    "fused",  # today's fused score (hybrid: z-units; lexical: BM25)
    "dense_z",  # the meaning side: cosine standardised over the index
    "lexical_z",  # the word side: BM25 standardised over the index
    "translated_share",  # share of the word side carried by translated terms
    "matched_terms",  # log(1 + distinct matched terms)
    "top_term_share",  # the best term's share of the word side (one word carrying it all)
    "rank_prior",  # 1 / (1 + the fusion's rank − 1)
    "keyword_overlap",  # share of the result's keywords matched by the query (caller)
    "field_fit",  # 1 same field, 0 other field, 0.5 unknown (caller)
    "trl",  # technology readiness level / 9 (caller)
    "recency",  # 0.5 ** (age in years / 3) (caller)
    "coverage",  # matched terms / the most any candidate of the list matches (add_list_features)
    "score_ratio",  # fused score / the list's best (add_list_features; 0 when that is not positive)
)
#: judgements needed before a model is trained
MIN_JUDGEMENTS = 100
#: the nDCG@10 a new model must add on the held-out groups to replace the current ranking
MARGIN = 0.01
#: share of the groups held out to evaluate a new model
HELD_OUT_SHARE = 0.3
#: candidates (the fusion's best) the ranker re-orders
RERANK_DEPTH = 50
#: L2 strength (scikit-learn's inverse: smaller is stronger)
DEFAULT_C = 0.1


class TooFewJudgements(ValueError):
    pass


def hit_features(hit: Any, rank: int, extra: Mapping[str, float] | None = None) -> dict[str, float]:
    """The features of ``hit`` (a :class:`~opentto.matching.engine.Hit`, explained), at ``rank``
    (1-based) in the fusion's order; ``extra`` adds or overrides (the caller's own features)."""
    why = getattr(hit, "explanation", None)
    basis = getattr(why, "basis", None)
    out = dict.fromkeys(FEATURES, 0.0)
    out["fused"] = float(hit.score)
    if basis is not None and basis.mode == "hybrid":
        if basis.dense_sd >= 1e-9:
            out["dense_z"] = (float(hit.dense) - basis.dense_mean) / basis.dense_sd
        if basis.lexical_sd >= 1e-9:
            out["lexical_z"] = (float(hit.lexical) - basis.lexical_mean) / basis.lexical_sd
    elif basis is not None and basis.mode == "dense":
        out["dense_z"] = float(hit.dense)
    else:
        out["lexical_z"] = float(hit.lexical)
    terms = tuple(getattr(why, "terms", ()) or ())
    total = sum(max(t.score, 0.0) for t in terms)
    if total > 0:
        out["translated_share"] = sum(max(t.score, 0.0) for t in terms if t.translated) / total
        out["top_term_share"] = max(t.score for t in terms) / total
    out["matched_terms"] = math.log1p(len({t.term for t in terms}))
    out["rank_prior"] = 1.0 / max(rank, 1)
    for key, value in (extra or {}).items():
        if key in out:
            out[key] = float(value)
    return out


def add_list_features(features: Sequence[dict[str, float]]) -> None:
    """Set the features that compare a candidate with the others of its list (the fusion's best
    ``RERANK_DEPTH`` for one query, best first), in place: a linear model of per-candidate
    features cannot see how a candidate stands against its query's best one."""
    if not features:
        return
    most = max(f.get("matched_terms", 0.0) for f in features)
    best = max(f.get("fused", 0.0) for f in features)
    for f in features:
        f["coverage"] = f.get("matched_terms", 0.0) / most if most > 0 else 0.0
        f["score_ratio"] = f.get("fused", 0.0) / best if best > 0 else 0.0


@dataclass
class Judged:
    """One labelled pair: ``group`` (the demand or query), its candidate's features, ``label``
    (graded: 0 not relevant, 1 relevant, more for stronger signals)."""

    group: str
    doc: str
    features: dict[str, float]
    label: float


@dataclass
class LinearRanker:
    names: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    meta: dict[str, Any] = field(default_factory=dict)

    def _z(self, features: Mapping[str, float]) -> np.ndarray:
        x = np.array([float(features.get(n, 0.0)) for n in self.names])
        return (x - np.array(self.mean)) / np.array(self.scale)

    def score(self, features: Mapping[str, float]) -> float:
        return float(self._z(features) @ np.array(self.weights))

    def contributions(self, features: Mapping[str, float]) -> list[tuple[str, float]]:
        """Each feature's part of :meth:`score` (they add up to it), largest effect first."""
        parts = self._z(features) * np.array(self.weights)
        return sorted(
            ((n, float(p)) for n, p in zip(self.names, parts, strict=True)),
            key=lambda x: -abs(x[1]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "mean": self.mean,
            "scale": self.scale,
            "weights": self.weights,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinearRanker:
        return cls(
            tuple(data["names"]),
            list(data["mean"]),
            list(data["scale"]),
            list(data["weights"]),
            dict(data.get("meta") or {}),
        )

    def feature_weights(self) -> dict[str, float]:
        """The weights per unit of each raw feature (for the docs and the version record)."""
        return {
            n: round(w / s, 6) for n, w, s in zip(self.names, self.weights, self.scale, strict=True)
        }


def _groups(rows: Iterable[Judged]) -> dict[str, list[Judged]]:
    out: dict[str, list[Judged]] = {}
    for r in rows:
        out.setdefault(r.group, []).append(r)
    return out


def train(
    rows: Sequence[Judged],
    *,
    names: Sequence[str] = FEATURES,
    c: float = DEFAULT_C,
    min_judgements: int = MIN_JUDGEMENTS,
) -> LinearRanker:
    """Fit a :class:`LinearRanker` on ``rows``; raises :class:`TooFewJudgements` below
    ``min_judgements`` rows or without a single pair of different labels in one group."""
    from sklearn.linear_model import LogisticRegression

    if len(rows) < min_judgements:
        raise TooFewJudgements(f"{len(rows)} judgements; at least {min_judgements} are needed")
    names = tuple(names)
    x = np.array([[r.features.get(n, 0.0) for n in names] for r in rows], dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    index = {id(r): i for i, r in enumerate(rows)}
    diffs: list[np.ndarray] = []
    for members in _groups(rows).values():
        for a in members:
            for b in members:
                if a.label > b.label:
                    diffs.append(z[index[id(a)]] - z[index[id(b)]])
    if not diffs:
        raise TooFewJudgements("no group has both a better and a worse judged result")
    d = np.array(diffs)
    xs = np.vstack([d, -d])
    ys = np.concatenate([np.ones(len(d)), np.zeros(len(d))])
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=1000)
    model.fit(xs, ys)
    return LinearRanker(
        names,
        [float(v) for v in mean],
        [float(v) for v in scale],
        [float(v) for v in model.coef_[0]],
        {"pairs": len(d), "c": c},
    )


# -- evaluation ----------------------------------------------------------------------------------
def ndcg_at(
    ranked_labels: Sequence[float], k: int = 10, ideal: Sequence[float] | None = None
) -> float:
    """nDCG@k of labels in ranked order (gain 2^label − 1); ``ideal``: all the group's labels
    (default: these)."""

    def dcg(labels: Sequence[float]) -> float:
        return sum((2.0**lab - 1.0) / math.log2(i + 2) for i, lab in enumerate(labels[:k]))

    best = dcg(sorted(ideal if ideal is not None else ranked_labels, reverse=True))
    return dcg(ranked_labels) / best if best > 0 else 0.0


def order(members: Sequence[Judged], ranker: LinearRanker | None) -> list[Judged]:
    """``members`` best first: by the ranker, or (``None``) by today's fusion (its rank)."""
    if ranker is None:
        return sorted(
            members,
            key=lambda r: (
                -r.features.get("rank_prior", 0.0),
                -r.features.get("fused", 0.0),
                r.doc,
            ),
        )
    return sorted(members, key=lambda r: (-ranker.score(r.features), r.doc))


def evaluate(rows: Sequence[Judged], ranker: LinearRanker | None, k: int = 10) -> float:
    """Mean nDCG@k over the groups with a relevant row, each ranking its judged rows."""
    scores = []
    for members in _groups(rows).values():
        if not any(r.label > 0 for r in members):
            continue
        scores.append(ndcg_at([r.label for r in order(members, ranker)], k))
    return float(np.mean(scores)) if scores else 0.0


def split_groups(
    rows: Sequence[Judged], share: float = HELD_OUT_SHARE, seed: int = 0
) -> tuple[list[Judged], list[Judged]]:
    """(training rows, held-out rows), split by group (never a group on both sides)."""
    groups = sorted(_groups(rows))
    random.Random(seed).shuffle(groups)
    held = set(groups[: max(1, round(len(groups) * share))]) if len(groups) > 1 else set()
    return [r for r in rows if r.group not in held], [r for r in rows if r.group in held]


@dataclass
class Verdict:
    ranker: LinearRanker | None
    before: float
    after: float
    replace: bool
    n_train: int
    n_held_out: int


def train_and_check(
    rows: Sequence[Judged],
    *,
    current: LinearRanker | None = None,
    margin: float = MARGIN,
    c: float = DEFAULT_C,
    min_judgements: int = MIN_JUDGEMENTS,
    seed: int = 0,
) -> Verdict:
    """Train on part of ``rows`` and compare with ``current`` (``None``: the fusion) on the held-out
    groups; :attr:`Verdict.replace` when the new model adds at least ``margin`` nDCG@10 there. The
    model kept is then refitted on every row."""
    if len(rows) < min_judgements:
        raise TooFewJudgements(f"{len(rows)} judgements; at least {min_judgements} are needed")
    fit_rows, held = split_groups(rows, seed=seed)
    candidate = train(fit_rows, c=c, min_judgements=1)
    before, after = evaluate(held, current), evaluate(held, candidate)
    replace = after >= before + margin
    final = train(rows, c=c, min_judgements=1) if replace else candidate
    final.meta.update(
        {
            "held_out_before": round(before, 4),
            "held_out_after": round(after, 4),
            "judgements": len(rows),
        }
    )
    return Verdict(final, before, after, replace, len(fit_rows), len(held))


def rerank(
    items: Sequence[tuple[str, Mapping[str, float]]],
    ranker: LinearRanker | None,
    depth: int = RERANK_DEPTH,
) -> list[str]:
    """Ids of ``items`` (fusion order, each with its features) in the ranker's order: the first
    ``depth`` re-ordered, the rest kept after them."""
    if ranker is None:
        return [i for i, _f in items]
    head = sorted(items[:depth], key=lambda it: -ranker.score(it[1]))
    return [i for i, _f in head] + [i for i, _f in items[depth:]]
