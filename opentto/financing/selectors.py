"""Reads for financing: valuations, pledge loans and securitisation pools with their summary.
Every selector takes the user and reads through the grants (``opentto.financing.permissions``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from opentto.results.models import Result

from .models import (
    PledgedAsset,
    PledgeLoan,
    PoolAsset,
    PoolCashFlow,
    SecuritisationPool,
    Valuation,
)

# --- financing ---------------------------------------------------------------------------------


def valuations_for(user: Any, result: Result) -> QuerySet[Valuation]:
    return (
        Valuation.objects.restrict(user, "view").filter(result=result).select_related("created_by")
    )


def valuation_visible(user: Any) -> QuerySet[Valuation]:
    return Valuation.objects.restrict(user, "view").select_related("result", "created_by")


def pledge_loans(user: Any) -> QuerySet[PledgeLoan]:
    """The pledge loans the user may see, with the pledged patents they may see."""
    return (
        PledgeLoan.objects.restrict(user, "view")
        .select_related("result", "lender", "valuation")
        .prefetch_related(
            Prefetch(
                "pledged_assets",
                queryset=PledgedAsset.objects.restrict(user, "view").select_related("ip_asset"),
            )
        )
    )


def pools(user: Any) -> QuerySet[SecuritisationPool]:
    return SecuritisationPool.objects.restrict(user, "view").select_related("arranger")


def pool_assets(user: Any, pool: SecuritisationPool | None = None) -> QuerySet[PoolAsset]:
    """The pool licences the user may see (of one pool), with the cash flows they may see."""
    qs = (
        PoolAsset.objects.restrict(user, "view")
        .select_related("pool", "result", "licensee")
        .prefetch_related(
            Prefetch("cash_flows", queryset=PoolCashFlow.objects.restrict(user, "view"))
        )
    )
    return qs.filter(pool=pool) if pool is not None else qs


@dataclass
class PoolSummary:
    periods: list[tuple[str, Decimal]]
    total: Decimal
    by_licensee: list[tuple[str, Decimal, Decimal]]  # name, amount, share in %
    by_result: list[tuple[str, Decimal, Decimal]]
    hhi: int  # Herfindahl–Hirschman index over licensees, 0–10000
    largest_share: Decimal
    rows: list[Any] = field(default_factory=list)


def pool_summary(user: Any, pool: SecuritisationPool) -> PoolSummary:
    """The pool's expected royalty cash flow per period, aggregated, and its concentration by
    licensee (shares and the Herfindahl–Hirschman index) and by result — over the licences and
    cash flows the user may see."""
    flows = (
        PoolCashFlow.objects.restrict(user, "view")
        .filter(asset__in=pool_assets(user, pool).values("pk"))
        .select_related("asset__licensee", "asset__result")
    )
    per_period: dict[str, Decimal] = defaultdict(Decimal)
    per_licensee: dict[str, Decimal] = defaultdict(Decimal)
    per_result: dict[str, Decimal] = defaultdict(Decimal)
    for f in flows:
        per_period[f.period] += f.amount_cny
        per_licensee[str(f.asset.licensee)] += f.amount_cny
        per_result[f.asset.result.title] += f.amount_cny
    total = sum(per_period.values(), Decimal(0))

    def shares(data: dict[str, Decimal]) -> list[tuple[str, Decimal, Decimal]]:
        out = [
            (k, v, (v * 100 / total).quantize(Decimal("0.01")) if total else Decimal(0))
            for k, v in data.items()
        ]
        return sorted(out, key=lambda r: (-r[1], r[0]))

    by_licensee = shares(per_licensee)
    hhi = (
        int(
            sum(
                (((v / total) * 100) ** 2 for v in per_licensee.values()), Decimal(0)
            ).to_integral_value()
        )
        if total
        else 0
    )
    rows = list(pool_assets(user, pool).order_by("pk"))
    for row in rows:
        row.total = sum((cf.amount_cny for cf in row.cash_flows.all()), Decimal(0))  # type: ignore[attr-defined]
    return PoolSummary(
        periods=sorted(per_period.items()),
        total=total,
        by_licensee=by_licensee,
        by_result=shares(per_result),
        hhi=hhi,
        largest_share=by_licensee[0][2] if by_licensee else Decimal(0),
        rows=rows,
    )
