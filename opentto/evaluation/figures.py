"""Evaluation figures for the dashboard, computed (never stored) over the finalised rounds of the
results the viewer may count (``Result.objects.restrict(user, "figures")``: managers, admins and
officials count all). With ``year``: the rounds finalised in that calendar year (Asia/Shanghai),
their months January to December; rounds under way are counted now, whatever the year."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from opentto.results.models import Result

from .models import ReviewRound

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCORE_BANDS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 101))


@dataclass
class Bar:
    label: str
    count: int
    width: float = 0.0


@dataclass
class EvaluationFigures:
    finalised: int = 0
    in_progress: int = 0
    per_month: list[Bar] = field(default_factory=list)
    median_days: float | None = None
    mean_days: float | None = None
    trl: list[Bar] = field(default_factory=list)
    scores: list[Bar] = field(default_factory=list)


def _scale(bars: list[Bar]) -> list[Bar]:
    top = max((b.count for b in bars), default=0) or 1
    for b in bars:
        b.width = round(100 * b.count / top, 1)
    return bars


def _months_back(today: date, n: int) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    out = []
    for _i in range(n):
        out.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(out))


def evaluation_figures(
    user: Any, *, today: date | None = None, year: int | None = None
) -> EvaluationFigures:
    counted = Result.objects.restrict(user, "figures").values("pk")
    rounds = ReviewRound.objects.filter(result_id__in=counted)
    done = rounds.filter(status="finalised")
    if year is not None:
        done = done.filter(
            finalised_at__gte=datetime(year, 1, 1, tzinfo=SHANGHAI),
            finalised_at__lt=datetime(year + 1, 1, 1, tzinfo=SHANGHAI),
        )
    finished = list(done.values("opened_at", "finalised_at", "trl_assessed", "overall_score"))
    figures = EvaluationFigures(
        finalised=len(finished),
        in_progress=rounds.filter(status__in=("open", "consensus", "scored")).count(),
    )
    today = today or timezone.localdate()
    months = _months_back(today, 12) if year is None else [(year, m) for m in range(1, 13)]
    counts = dict.fromkeys(months, 0)
    for row in finished:
        local = timezone.localtime(row["finalised_at"], SHANGHAI)
        key = (local.year, local.month)
        if key in counts:
            counts[key] += 1
    figures.per_month = _scale([Bar(f"{y}-{m:02d}", counts[(y, m)]) for y, m in months])
    days = [
        (row["finalised_at"] - row["opened_at"]).total_seconds() / 86400
        for row in finished
        if row["finalised_at"]
    ]
    if days:
        figures.median_days = round(statistics.median(days), 1)
        figures.mean_days = round(statistics.fmean(days), 1)
    trl_counts = {n: 0 for n in range(1, 10)}
    for row in finished:
        if row["trl_assessed"]:
            trl_counts[row["trl_assessed"]] += 1
    figures.trl = _scale([Bar(f"TRL {n}", c) for n, c in trl_counts.items()])
    bands = []
    for low, high in SCORE_BANDS:
        n = sum(
            1
            for row in finished
            if row["overall_score"] is not None and low <= row["overall_score"] < high
        )
        bands.append(Bar(f"{low}–{min(high, 100)}", n))
    figures.scores = _scale(bands)
    return figures
