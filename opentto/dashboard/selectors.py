"""The figures a district reports, computed from the data (never typed in).

- results incubated: every onboarded result not withdrawn or declined (landed and on-hold included);
- projects landed: results in ``landed``;
- transaction value: contract amounts of signed deals that are not terminated, in CNY;
- the funnel by stage; each figure per organisation, per field and per year.

``figures(user)`` honours the viewer's permissions (``restrict(user, "figures")``); ``figures(None)``
is the whole platform, for the command line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear

from opentto.landing.models import Deal
from opentto.organisations.models import Organisation
from opentto.results.models import (
    NOT_INCUBATED_STAGES,
    PIPELINE_STAGES,
    SIDE_STAGES,
    Result,
    ResultFieldChoices,
    ResultStageChoices,
    StageTransition,
)

from .cache import cached

ZERO = Decimal("0.00")


@dataclass
class FigureRow:
    key: str
    label: str
    results_incubated: int = 0
    projects_landed: int = 0
    transaction_value_cny: Decimal = ZERO


@dataclass
class Figures:
    results_incubated: int
    projects_landed: int
    transaction_value_cny: Decimal
    funnel: dict[str, int]
    by_organisation: list[FigureRow] = field(default_factory=list)
    by_field: list[FigureRow] = field(default_factory=list)
    by_year: list[FigureRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        def rows(items: list[FigureRow]) -> list[dict[str, Any]]:
            return [
                {
                    "key": r.key,
                    "label": r.label,
                    "results_incubated": r.results_incubated,
                    "projects_landed": r.projects_landed,
                    "transaction_value_cny": str(r.transaction_value_cny),
                }
                for r in items
            ]

        return {
            "results_incubated": self.results_incubated,
            "projects_landed": self.projects_landed,
            "transaction_value_cny": str(self.transaction_value_cny),
            "funnel": self.funnel,
            "by_organisation": rows(self.by_organisation),
            "by_field": rows(self.by_field),
            "by_year": rows(self.by_year),
        }


def _scopes(user: Any) -> tuple[Any, Any]:
    if user is None:
        return Result.objects.all(), Deal.objects.all()
    results = Result.objects.restrict(user, "figures")
    deals = Deal.objects.restrict(user, "figures").filter(results__in=results.values("pk")).distinct()
    return results, deals


def figures(user: Any) -> Figures:
    """The figures ``user`` may see, from the figures cache (:mod:`opentto.dashboard.cache`)
    while nothing has changed them; ``figures(None)`` is always computed."""
    return cached(user, "figures", lambda: compute_figures(user))


def compute_figures(user: Any) -> Figures:
    """The figures computed from the rows (every call reads the whole scope)."""
    results, deals_all = _scopes(user)
    incubated = results.exclude(stage__in=NOT_INCUBATED_STAGES)
    counted = Deal.objects.filter(pk__in=deals_all.counted().values("pk"))
    stage_counts = dict(results.values_list("stage").annotate(n=Count("pk")).order_by())
    funnel = {stage.value: stage_counts.get(stage.value, 0) for stage in (*PIPELINE_STAGES, *SIDE_STAGES)}
    total_value = counted.aggregate(total=Sum("amount_cny"))["total"] or ZERO

    # Per organisation (owners of the results).
    by_org: dict[int, FigureRow] = {}
    org_names = {o.pk: o.name for o in Organisation.objects.filter(ownerships__result__in=results.values("pk")).distinct()}
    for org_id, n in incubated.values_list("ownerships__organisation").annotate(n=Count("pk", distinct=True)).order_by():
        if org_id is not None:
            by_org.setdefault(org_id, FigureRow(str(org_id), org_names.get(org_id, ""))).results_incubated = n
    for org_id, n in (
        results.filter(stage=ResultStageChoices.LANDED)
        .values_list("ownerships__organisation").annotate(n=Count("pk", distinct=True)).order_by()
    ):
        if org_id is not None:
            by_org.setdefault(org_id, FigureRow(str(org_id), org_names.get(org_id, ""))).projects_landed = n
    org_deals: dict[int, set[int]] = defaultdict(set)
    amounts = dict(counted.values_list("pk", "amount_cny"))
    for deal_id, org_id in counted.values_list("pk", "results__ownerships__organisation").distinct():
        if org_id is not None:
            org_deals[org_id].add(deal_id)
    for org_id, deal_ids in org_deals.items():
        row = by_org.setdefault(org_id, FigureRow(str(org_id), org_names.get(org_id, "")))
        row.transaction_value_cny = sum((amounts[d] for d in deal_ids), ZERO)

    # Per field.
    by_field: dict[str, FigureRow] = {}
    labels = dict(ResultFieldChoices.choices)
    for key, n in incubated.values_list("field").annotate(n=Count("pk")).order_by():
        by_field.setdefault(key, FigureRow(key, str(labels.get(key, key)))).results_incubated = n
    for key, n in results.filter(stage=ResultStageChoices.LANDED).values_list("field").annotate(n=Count("pk")).order_by():
        by_field.setdefault(key, FigureRow(key, str(labels.get(key, key)))).projects_landed = n
    field_deals: dict[str, set[int]] = defaultdict(set)
    for deal_id, key in counted.values_list("pk", "results__field").distinct():
        field_deals[key].add(deal_id)
    for key, deal_ids in field_deals.items():
        by_field.setdefault(key, FigureRow(key, str(labels.get(key, key)))).transaction_value_cny = sum(
            (amounts[d] for d in deal_ids), ZERO
        )

    # Per year: onboarded that year (and still incubated), landed that year, deals signed that year.
    by_year: dict[int, FigureRow] = {}
    for year, n in incubated.annotate(y=ExtractYear("onboarded_at")).values_list("y").annotate(n=Count("pk")).order_by():
        by_year.setdefault(year, FigureRow(str(year), str(year))).results_incubated = n
    landed_ids = results.filter(stage=ResultStageChoices.LANDED).values("pk")
    landed_years: dict[int, int] = {}
    for result_id, year in (
        StageTransition.objects.filter(result__in=landed_ids, to_stage=ResultStageChoices.LANDED)
        .annotate(y=ExtractYear("occurred_at")).order_by("occurred_at").values_list("result_id", "y")
    ):
        landed_years[result_id] = year  # the latest landing counts
    for year in landed_years.values():
        by_year.setdefault(year, FigureRow(str(year), str(year))).projects_landed += 1
    for year, total in counted.annotate(y=ExtractYear("signed_on")).values_list("y").annotate(t=Sum("amount_cny")).order_by():
        by_year.setdefault(year, FigureRow(str(year), str(year))).transaction_value_cny = total or ZERO

    return Figures(
        results_incubated=incubated.count(),
        projects_landed=results.filter(stage=ResultStageChoices.LANDED).count(),
        transaction_value_cny=Decimal(total_value).quantize(Decimal("0.01")),
        funnel=funnel,
        by_organisation=sorted(by_org.values(), key=lambda r: (-r.results_incubated, r.label)),
        by_field=sorted(by_field.values(), key=lambda r: (-r.results_incubated, r.key)),
        by_year=sorted(by_year.values(), key=lambda r: r.key),
    )
