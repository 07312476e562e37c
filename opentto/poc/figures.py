"""Proof-of-concept figures for the dashboard, computed (never stored) over the projects the
viewer may count (``PocProject.objects.restrict(user, "figures")``: the TTO and officials all, an
inventor their organisation's). ``year``: ``None`` for the figures as they stand today; a year for
what happened in it (projects running at some time in it, money committed and spent in it,
projects concluded in it).

- running: status running or under go/no-go review;
- committed / spent: the sum of the commitments and the spending records (yuan, to the fen);
- go rate, no-go rate, pivot rate: the share of concluded projects with that outcome, in percent
  with one decimal place, rounded half-up (``None`` when none is concluded);
- the funnel's sub-count: the results in a stage with a project under way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet, Sum

from .models import (
    UNDER_WAY,
    PocCommitment,
    PocOutcomeChoices,
    PocProject,
    PocSpending,
    PocStatusChoices,
)

ZERO = Decimal("0.00")
FEN = Decimal("0.01")


def _fen(total: Decimal | None) -> Decimal:
    """A sum in yuan to the fen (SQLite returns ``Decimal("900000")``)."""
    return (total or ZERO).quantize(FEN, rounding=ROUND_HALF_UP)


def projects_counted(user: Any) -> QuerySet[PocProject]:
    """The projects ``user``'s figures count (``user=None``: the whole platform)."""
    qs = PocProject.objects.all()
    return qs if user is None else qs.restrict(user, "figures")


def running_count(user: Any, year: int | None = None) -> int:
    qs = projects_counted(user)
    if year is None:
        return qs.filter(status__in=UNDER_WAY).count()
    return (
        qs.filter(started_at__year__lte=year)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__year__gte=year))
        .count()
    )


def money_committed(user: Any, year: int | None = None) -> Decimal:
    qs = PocCommitment.objects.filter(line__project__in=projects_counted(user).values("pk"))
    if year is not None:
        qs = qs.filter(committed_at__year=year)
    return _fen(qs.aggregate(t=Sum("amount_cny"))["t"])


def money_spent(user: Any, year: int | None = None) -> Decimal:
    qs = PocSpending.objects.filter(line__project__in=projects_counted(user).values("pk"))
    if year is not None:
        qs = qs.filter(spent_on__year=year)
    return _fen(qs.aggregate(t=Sum("amount_cny"))["t"])


@dataclass(frozen=True)
class GateRates:
    concluded: int
    go: int
    no_go: int
    pivot: int

    def _rate(self, n: int) -> Decimal | None:
        if not self.concluded:
            return None
        return (Decimal(100 * n) / Decimal(self.concluded)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def go_rate(self) -> Decimal | None:
        return self._rate(self.go)

    @property
    def no_go_rate(self) -> Decimal | None:
        return self._rate(self.no_go)

    @property
    def pivot_rate(self) -> Decimal | None:
        return self._rate(self.pivot)


def gate_rates(user: Any, year: int | None = None) -> GateRates:
    qs = projects_counted(user).filter(status=PocStatusChoices.CONCLUDED)
    if year is not None:
        qs = qs.filter(ended_at__year=year)
    outcomes = list(qs.values_list("outcome", flat=True))
    return GateRates(
        concluded=len(outcomes),
        go=outcomes.count(PocOutcomeChoices.GO),
        no_go=outcomes.count(PocOutcomeChoices.NO_GO),
        pivot=outcomes.count(PocOutcomeChoices.PIVOT),
    )


def funnel_in_poc(user: Any, stage: str, year: int | None = None) -> int:
    """The results in ``stage`` with a proof-of-concept project under way ("of which in proof of
    concept"); with ``year``, among the results onboarded that year (the dashboard's funnel is the
    funnel of that year's cohort; a year is a calendar year in Asia/Shanghai, as its figures)."""
    qs = projects_counted(user).filter(status__in=UNDER_WAY, result__stage=stage)
    if year is not None:
        shanghai = ZoneInfo("Asia/Shanghai")
        qs = qs.filter(
            result__onboarded_at__gte=datetime(year, 1, 1, tzinfo=shanghai),
            result__onboarded_at__lt=datetime(year + 1, 1, 1, tzinfo=shanghai),
        )
    return qs.values("result_id").distinct().count()


@dataclass(frozen=True)
class PocFigures:
    running: int
    committed_cny: Decimal
    spent_cny: Decimal
    rates: GateRates


def poc_figures(user: Any, year: int | None = None) -> PocFigures:
    return PocFigures(
        running=running_count(user, year),
        committed_cny=money_committed(user, year),
        spent_cny=money_spent(user, year),
        rates=gate_rates(user, year),
    )
