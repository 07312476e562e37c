"""Reads of the patent portfolio: one row per CN patent (filed or granted) of an organisation's
results, restricted to what the user may see. Every figure on a row is read through the user's
own restricted querysets: income from the payments they may see, the evaluation they may see,
the demands they may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet, Sum

from opentto.core.permissions import allows, permitted
from opentto.evaluation.models import EvaluationSummary
from opentto.landing.models import Payment
from opentto.organisations.models import Organisation
from opentto.patents import fees
from opentto.patents.deadlines import add_years
from opentto.patents.models import Filing, FilingDeadline, FilingStatusChoices
from opentto.results.models import Result, ResultOwner

from .models import PortfolioDecision

YEARS = 5
ZERO = Decimal("0.00")


def portfolio_organisations(user: Any) -> QuerySet[Organisation]:
    """The organisations whose portfolio ``user`` may see."""
    return (
        Organisation.objects.restrict(user, "view_portfolio")
        .filter(ownerships__isnull=False)
        .distinct()
        .order_by("name_zh", "name_en", "id")
    )


def may_see_portfolio(user: Any) -> bool:
    return permitted(user, Organisation, "view_portfolio")


def may_decide(user: Any) -> bool:
    return permitted(user, PortfolioDecision, "decide")


def portfolio_filings(
    user: Any, *, organisations: Iterable[Organisation], field_: str = ""
) -> QuerySet[Filing]:
    """CN filings, filed or granted, of results owned by ``organisations`` that ``user`` may see."""
    qs = (
        Filing.objects.restrict(user, "view")
        .filter(office="CN", status__in=[FilingStatusChoices.FILED, FilingStatusChoices.GRANTED])
        .filter(
            pk__in=Filing.objects.filter(
                family__result__ownerships__organisation__in=[o.pk for o in organisations]
            ).values("pk")
        )
        .select_related("family__result", "fee_reduction")
        .prefetch_related(
            Prefetch("deadlines", queryset=FilingDeadline.objects.order_by("due", "id"))
        )
        .order_by("family__result__field", "filing_date", "id")
    )
    if field_:
        qs = qs.filter(family__result__field=field_)
    return qs


def decisions_visible(user: Any) -> QuerySet[PortfolioDecision]:
    return PortfolioDecision.objects.restrict(user, "view").select_related(
        "decided_by", "abandonment"
    )


@dataclass
class PortfolioRow:
    filing: Filing
    result: Result
    costs: list[Decimal]
    income_recent: Decimal
    income_total: Decimal
    score: Decimal | None
    evaluation: EvaluationSummary | None
    demands: int | None
    decision: PortfolioDecision | None
    reduction: str = ""
    owners: list[str] = field(default_factory=list)

    @property
    def cost_total(self) -> Decimal:
        return sum(self.costs, ZERO)


def _income(user: Any, result_ids: list[int], since: date) -> dict[int, tuple[Decimal, Decimal]]:
    """(last five years, total) of the payments the user may see, per result: payments received
    on deals covering the result (a deal covering several results counts in full for each)."""
    payments = Payment.objects.restrict(user, "view").filter(deal__results__in=result_ids)
    out: dict[int, tuple[Decimal, Decimal]] = {}
    totals = {
        row["deal__results"]: row["t"]
        for row in payments.values("deal__results").annotate(t=Sum("amount_cny"))
    }
    recent = {
        row["deal__results"]: row["t"]
        for row in payments.filter(received_on__gte=since)
        .values("deal__results")
        .annotate(t=Sum("amount_cny"))
    }
    for rid in result_ids:
        out[rid] = (recent.get(rid) or ZERO, totals.get(rid) or ZERO)
    return out


def _evaluations(user: Any, result_ids: list[int]) -> dict[int, EvaluationSummary]:
    latest: dict[int, EvaluationSummary] = {}
    for summary in (
        EvaluationSummary.objects.restrict(user, "view")
        .filter(result_id__in=result_ids)
        .select_related("review_round")
        .order_by("-decided_at", "-id")
    ):
        latest.setdefault(summary.result_id, summary)
    return latest


def matching_demands(user: Any, result: Result) -> int | None:
    """How many live demands the user may see fit ``result`` (the result page's "Who needs
    this?", ``opentto.demands.selectors.result_demands``); None when the user sees no demands."""
    from opentto.demands.models import Demand
    from opentto.demands.selectors import result_demands

    if not permitted(user, Demand, "view"):
        return None
    return len(result_demands(user, result).demands)


def portfolio_rows(
    user: Any, *, organisations: Iterable[Organisation], field_: str = "", today: date
) -> list[PortfolioRow]:
    """The portfolio table: for each patent, the cost of keeping it in each of the next five
    twelve-month windows from ``today``, the income of its result, its evaluation score, the
    demands that fit it and the standing decision."""
    orgs = list(organisations)
    filings = list(portfolio_filings(user, organisations=orgs, field_=field_))
    result_ids = sorted({f.family.result_id for f in filings})
    results = Result.objects.restrict(user, "view").in_bulk(result_ids)
    income = _income(user, result_ids, add_years(today, -YEARS))
    evaluations = _evaluations(user, result_ids)
    decisions: dict[int, PortfolioDecision] = {}
    for d in decisions_visible(user).filter(filing__in=[f.pk for f in filings]):
        decisions.setdefault(d.filing_id, d)
    visible_orgs = {
        o.pk: o
        for o in Organisation.objects.restrict(user, "view").filter(
            ownerships__result_id__in=result_ids
        )
    }
    owners: dict[int, list[str]] = {}
    for rid, oid in (
        ResultOwner.objects.filter(result_id__in=result_ids)
        .values_list("result_id", "organisation_id")
        .order_by("id")
    ):
        if oid in visible_orgs:
            owners.setdefault(rid, []).append(visible_orgs[oid].name)
    demand_counts: dict[int, int | None] = {}
    catalogue = fees.FeeCatalogue()
    rows = []
    for filing in filings:
        result = results.get(filing.family.result_id)
        if result is None:
            continue
        if result.pk not in demand_counts:
            demand_counts[result.pk] = matching_demands(user, result)
        summary = evaluations.get(result.pk)
        score = (
            summary.review_round.overall_score
            if summary is not None and summary.review_round is not None
            else None
        )
        record = getattr(filing, "fee_reduction", None)
        rows.append(
            PortfolioRow(
                filing=filing,
                result=result,
                costs=fees.annual_costs(filing, start=today, years=YEARS, catalogue=catalogue),
                income_recent=income[result.pk][0],
                income_total=income[result.pk][1],
                score=score,
                evaluation=summary,
                demands=demand_counts[result.pk],
                decision=decisions.get(filing.pk),
                reduction=record.get_reduction_display()
                if record is not None and record.reduction != "none"
                else "",
                owners=owners.get(result.pk, []),
            )
        )
    return rows


def filing_for_portfolio(user: Any, pk: int) -> Filing | None:
    """A CN patent on the portfolio of an organisation whose portfolio ``user`` may see (None:
    the user may not see it, which the page answers with 404)."""
    filing = (
        Filing.objects.restrict(user, "view")
        .filter(pk=pk, office="CN")
        .select_related("family__result", "fee_reduction")
        .first()
    )
    if filing is None or not allows(user, filing.family.result, "view"):
        return None
    orgs = portfolio_organisations(user).filter(ownerships__result_id=filing.family.result_id)
    return filing if orgs.exists() else None
