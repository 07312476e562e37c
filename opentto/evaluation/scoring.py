"""Aggregating a round's stored scores: weighted totals per reviewer and overall, dispersion per
criterion, the profile per dimension, and the disagreement that sends a round to consensus.

Pure functions over stored rows, so the page, the PDF and the figures always agree and a report can
be reproduced from the scores at any time.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language

from opentto.core.i18n import bilingual

if TYPE_CHECKING:
    from .models import ReviewAssignment, ReviewRound, Rubric, RubricCriterion

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


def q1(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def q2(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def to_percent(score: float | Decimal, low: int, high: int) -> Decimal:
    """A score on ``low…high`` as 0–100."""
    return q1((Decimal(str(score)) - low) * 100 / (high - low))


@dataclass
class CriterionStats:
    criterion: RubricCriterion
    weight: Decimal  # share of the total, 0…1
    scores: list[int]  # submitted scores, in reviewer order
    mean: Decimal | None = None
    median: Decimal | None = None
    minimum: int | None = None
    maximum: int | None = None
    sd: Decimal | None = None  # population standard deviation
    spread: int | None = None  # maximum − minimum
    disagrees: bool = False
    #: Each reviewer's score, aligned with ``RoundStatistics.reviewers`` (``None``: not scored).
    by_reviewer: list[int | None] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.criterion.title


@dataclass
class ReviewerTotal:
    label: str  # "Reviewer 1" … (identities are not part of statistics)
    assignment: ReviewAssignment
    total: Decimal | None  # weighted mean on the rubric's scale
    percent: Decimal | None


@dataclass
class GroupProfile:
    key: str
    label_zh: str
    label_en: str
    mean: Decimal | None  # weighted mean of the criteria means, on the scale
    percent: Decimal | None

    @property
    def label(self) -> str:
        return bilingual(self.label_zh, self.label_en, get_language())


@dataclass
class RoundStatistics:
    scale_min: int
    scale_max: int
    criteria: list[CriterionStats] = field(default_factory=list)
    reviewers: list[ReviewerTotal] = field(default_factory=list)
    groups: list[GroupProfile] = field(default_factory=list)
    overall: Decimal | None = None  # mean of reviewer totals, on the scale
    overall_percent: Decimal | None = None
    trl_median: int | None = None

    @property
    def disagreements(self) -> list[CriterionStats]:
        return [c for c in self.criteria if c.disagrees]

    @property
    def submitted_count(self) -> int:
        return len(self.reviewers)


def criteria_in_use(review_round: ReviewRound) -> list[tuple[RubricCriterion, Decimal]]:
    """The round's criteria with their normalised weights (fixed in ``review_round.weights`` at opening)."""
    raw = {k: Decimal(str(v)) for k, v in (review_round.weights or {}).items()}
    criteria = [c for c in review_round.rubric.criteria.all() if raw.get(c.key, Decimal("0")) > 0]
    total = sum((raw[c.key] for c in criteria), Decimal("0"))
    return [(c, raw[c.key] / total if total else Decimal("0")) for c in criteria]


def lower_median(values: list[int]) -> int:
    """The median; with an even count the lower middle value (the conservative TRL)."""
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def round_statistics(
    review_round: ReviewRound, *, include_unsubmitted: bool = False
) -> RoundStatistics:
    rubric = review_round.rubric
    stats = RoundStatistics(scale_min=rubric.scale_min, scale_max=rubric.scale_max)
    in_use = criteria_in_use(review_round)
    statuses = {"submitted"} | ({"accepted"} if include_unsubmitted else set())
    assignments = [
        a for a in review_round.assignments.all().prefetch_related("scores") if a.status in statuses
    ]
    score_map: dict[int, dict[int, int]] = {
        a.pk: {s.criterion_id: s.score for s in a.scores.all() if s.score is not None}
        for a in assignments
    }
    threshold = review_round.spread_threshold
    for criterion, weight in in_use:
        values = [
            score_map[a.pk][criterion.pk] for a in assignments if criterion.pk in score_map[a.pk]
        ]
        row = CriterionStats(criterion=criterion, weight=weight, scores=values)
        if values:
            row.mean = q2(statistics.fmean(values))
            row.median = q2(statistics.median(values))
            row.minimum, row.maximum = min(values), max(values)
            row.sd = q2(statistics.pstdev(values)) if len(values) > 1 else Decimal("0.00")
            row.spread = row.maximum - row.minimum
            row.disagrees = len(values) > 1 and Decimal(row.spread) >= threshold
        stats.criteria.append(row)
    for n, a in enumerate(assignments, start=1):
        scores = score_map[a.pk]
        used = [(c, w) for c, w in in_use if c.pk in scores]
        weight_sum = sum((w for _c, w in used), Decimal("0"))
        total = (
            q2(sum((w * scores[c.pk] for c, w in used), Decimal("0")) / weight_sum)
            if used and weight_sum
            else None
        )
        stats.reviewers.append(
            ReviewerTotal(
                label=str(n),
                assignment=a,
                total=total,
                percent=to_percent(total, rubric.scale_min, rubric.scale_max)
                if total is not None
                else None,
            )
        )
    totals = [r.total for r in stats.reviewers if r.total is not None]
    if totals:
        stats.overall = q2(sum(totals, Decimal("0")) / len(totals))
        stats.overall_percent = to_percent(stats.overall, rubric.scale_min, rubric.scale_max)
    groups: dict[str, list[CriterionStats]] = {}
    for row in stats.criteria:
        groups.setdefault(row.criterion.group_key, []).append(row)
    for key, rows in groups.items():
        scored = [r for r in rows if r.mean is not None]
        weight_sum = sum((r.weight for r in scored), Decimal("0"))
        mean = (
            q2(
                sum((r.weight * r.mean for r in scored if r.mean is not None), Decimal("0"))
                / weight_sum
            )
            if scored and weight_sum
            else None
        )
        first = rows[0].criterion
        stats.groups.append(
            GroupProfile(
                key=key,
                label_zh=first.group_zh,
                label_en=first.group_en,
                mean=mean,
                percent=to_percent(mean, rubric.scale_min, rubric.scale_max)
                if mean is not None
                else None,
            )
        )
    for row in stats.criteria:
        row.by_reviewer = [score_map[a.pk].get(row.criterion.pk) for a in assignments]
    if rubric.is_readiness and stats.criteria and stats.criteria[0].scores:
        stats.trl_median = lower_median(stats.criteria[0].scores)
    return stats


@dataclass
class OpportunityRisk:
    """The IPscore-style reading of a profile: criteria scored high are strengths / opportunities,
    criteria scored low are risks. Thresholds on the rubric's scale (on 1–5: at least 4, at most 2)."""

    high_from: Decimal
    low_to: Decimal
    opportunities: list[CriterionStats] = field(default_factory=list)  # highest mean first
    risks: list[CriterionStats] = field(default_factory=list)  # lowest mean first
    middle: list[CriterionStats] = field(default_factory=list)


def opportunity_risk(stats: RoundStatistics) -> OpportunityRisk:
    """Split the scored criteria: mean ≥ the upper quarter of the scale → opportunity; mean ≤ the
    lower quarter → risk; the rest in the middle. Ties keep the rubric's order (more weight first)."""
    span = Decimal(stats.scale_max - stats.scale_min)
    view = OpportunityRisk(
        high_from=q2(stats.scale_min + span * Decimal("0.75")),
        low_to=q2(stats.scale_min + span * Decimal("0.25")),
    )
    scored = [c for c in stats.criteria if c.mean is not None]
    for c in scored:
        assert c.mean is not None
        if c.mean >= view.high_from:
            view.opportunities.append(c)
        elif c.mean <= view.low_to:
            view.risks.append(c)
        else:
            view.middle.append(c)
    view.opportunities.sort(key=lambda c: (-(c.mean or 0), -c.weight))
    view.risks.sort(key=lambda c: (c.mean or 0, -c.weight))
    return view


def profile_points(
    stats: RoundStatistics, *, left: int = 210, width: int = 480, row: int = 34, top: int = 34
) -> dict[str, object]:
    """Coordinates of the IPscore-style profile (one point per dimension on the rubric's scale) for an SVG."""
    span = stats.scale_max - stats.scale_min
    ticks = [
        {"value": v, "x": left + round(width * (v - stats.scale_min) / span, 1)}
        for v in range(stats.scale_min, stats.scale_max + 1)
    ]
    points = []
    for n, g in enumerate(stats.groups):
        y = top + n * row
        x = (
            None
            if g.mean is None
            else left + round(float(width * (g.mean - stats.scale_min) / span), 1)
        )
        points.append({"group": g, "x": x, "y": y, "label_x": None if x is None else x + 8})
    line = " ".join(f"{p['x']},{p['y']}" for p in points if p["x"] is not None)
    height = top + max(len(points) - 1, 0) * row + 24
    return {
        "ticks": ticks,
        "points": points,
        "line": line,
        "height": height,
        "left": left,
        "right": left + width,
        "width": left + width + 30,
        "bottom": height - 10,
    }


def rubric_weight_shares(rubric: Rubric) -> list[dict[str, Any]]:
    """Per criterion, the share (%) of the total weight it carries for each purpose in this version
    (before the kinds of result are taken into account): what the relative weights mean."""
    from .models import ReviewPurposeChoices

    criteria = list(rubric.criteria.all())
    totals = {
        p: sum((c.purpose_weight(p) for c in criteria), Decimal("0"))
        for p in ReviewPurposeChoices.values
    }
    return [
        {
            "criterion": c,
            "shares": [
                (c.purpose_weight(p) * 100 / totals[p]) if totals[p] else Decimal("0")
                for p in ReviewPurposeChoices.values
            ],
        }
        for c in criteria
    ]
