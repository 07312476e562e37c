"""The money and the reports on top of :func:`opentto.dashboard.selectors.figures`.

Every table here is computed from the data for the viewer's scope (the same scope as the
figures: :func:`opentto.dashboard.selectors.figure_scope`), so what a viewer may not see never
enters a figure, a chart, an export or the annual report. ``user=None`` is the whole platform
(command line). Every table but the two series by year ("amounts received" and "by year", which
span every year) is for the selected year (Shanghai calendar, :func:`opentto.dashboard.selectors.in_year`).

Definitions:
- headline: :func:`opentto.dashboard.selectors.headline`, the year beside all time;
- amounts received: payments recorded on deals in scope, by the year received, by the owner
  organisation of the deal's results and by the results' field (a payment counts in full for
  each organisation or field of its deal);
- funnel conversion: of the results in scope onboarded in the year, the share that ever reached
  each stage;
- time in stage: the mean and median days between entering a stage and leaving it, over the stays
  that ended in the year (stays not yet ended are not counted);
- China's annual report (高校和科研院所科技成果转化年度报告) headings: number and value of transfer,
  licence and equity-investment contracts signed in the year; technology development, consulting
  and service contracts; cash rewards to individuals (team members' lines of the distributions of
  payments received in the year, those the viewer may count); equity rewards to individuals (the stake's valuation times the team's equity share
  of the owner's rule — an estimate, labelled as such);
- AUTM-style: invention disclosures (results onboarded), new patent applications (IP assets
  filed), issued patents, licences and options executed, start-ups (spin-off deals), licence
  income (payments received on licence deals).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.landing.models import (
    EQUITY_TYPES,
    LICENCE_TYPES,
    TECH_SERVICE_TYPES,
    TRANSFER_TYPES,
    DealTypeChoices,
    DistributionLine,
    DistributionRule,
    PartyChoices,
)
from opentto.organisations.models import Organisation
from opentto.results.models import (
    PIPELINE_STAGES,
    IPAsset,
    ResultFieldChoices,
    ResultStageChoices,
    StageTransition,
)

from .selectors import DEFINITIONS, figure_scope, headline, in_year, shanghai_year, year_bounds

ZERO = Decimal("0.00")


@dataclass
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    money_columns: tuple[int, ...] = ()


def scopes(user: Any) -> tuple[Any, Any, Any]:
    """(results, counted deals, payments) in the viewer's scope."""
    scope = figure_scope(user)
    return scope.results, scope.counted_deals, scope.payments


def amounts_received(user: Any) -> tuple[Decimal, list[tuple[int, Decimal]]]:
    _results, _deals, payments = scopes(user)
    total = payments.aggregate(t=Sum("amount_cny"))["t"] or ZERO
    by_year = [
        (y, t)
        for y, t in payments.annotate(y=ExtractYear("received_on"))
        .values_list("y")
        .annotate(t=Sum("amount_cny"))
        .order_by("y")
    ]
    return total, by_year


def received_by(
    user: Any, dimension: str, year: int | None = None
) -> list[tuple[str, str, int, Decimal]]:
    """Payments received on deals in scope, by the owner organisation of the deal's results
    (``dimension="organisation"``) or by the results' field (``"field"``): (key, label, payments,
    yuan). Like the transaction value by organisation, a payment on a deal whose results two
    organisations own (or that span two fields) counts in full for each, so the rows may add up to
    more than the total. Largest first."""
    _results, _deals, payments = scopes(user)
    payments = payments.filter(in_year("received_on", year, dated=True))
    path = {
        "organisation": "deal__results__ownerships__organisation",
        "field": "deal__results__field",
    }[dimension]
    amounts = dict(payments.values_list("pk", "amount_cny"))
    keys: dict[Any, set[int]] = defaultdict(set)
    for payment_id, key in payments.values_list("pk", path).distinct():
        if key is not None:
            keys[key].add(payment_id)
    labels: dict[Any, str] = (
        {o.pk: o.name for o in Organisation.objects.filter(pk__in=list(keys))}
        if dimension == "organisation"
        else {k: str(v) for k, v in ResultFieldChoices.choices}
    )
    rows = [
        (str(k), str(labels.get(k, k)), len(ids), sum((amounts[i] for i in ids), ZERO))
        for k, ids in keys.items()
    ]
    return sorted(rows, key=lambda r: (-r[3], r[1]))


def funnel_conversion(user: Any, year: int | None = None) -> list[tuple[str, str, int, Decimal]]:
    """(stage, label, results that ever reached it, share of all results in scope in %), over the
    results onboarded in ``year`` (all of them for ``None``)."""
    results, _d, _p = scopes(user)
    results = results.filter(in_year("onboarded_at", year))
    total = results.count()
    reached = dict(
        StageTransition.objects.filter(
            result__in=results.values("pk"), to_stage__in=PIPELINE_STAGES
        )
        .values_list("to_stage")
        .annotate(n=Count("result", distinct=True))
        .order_by()
    )
    out = []
    for stage in PIPELINE_STAGES:
        n = total if stage == ResultStageChoices.ONBOARDING else reached.get(stage, 0)
        share = (Decimal(100) * n / total).quantize(Decimal("0.1")) if total else Decimal("0.0")
        out.append((stage.value, str(stage.label), n, share))
    return out


def time_in_stage(
    user: Any, year: int | None = None
) -> list[tuple[str, str, int, Decimal, Decimal]]:
    """(stage, label, stays counted, mean days, median days) over the stays that ended in ``year``
    (Shanghai calendar; every ended stay for ``None``)."""
    results, _d, _p = scopes(user)
    start, end = (None, None) if year is None else year_bounds(year)
    stays: dict[str, list[float]] = defaultdict(list)
    previous: dict[int, tuple[str, Any]] = {}
    for result_id, to_stage, occurred in (
        StageTransition.objects.filter(result__in=results.values("pk"))
        .order_by("result_id", "occurred_at", "id")
        .values_list("result_id", "to_stage", "occurred_at")
    ):
        if result_id in previous and (start is None or start <= occurred < end):  # type: ignore[operator]
            stage, since = previous[result_id]
            stays[stage].append((occurred - since).total_seconds() / 86400)
        previous[result_id] = (to_stage, occurred)
    out = []
    for stage in (*PIPELINE_STAGES[:-1], ResultStageChoices.ON_HOLD):
        days = stays.get(stage, [])
        mean = Decimal(str(round(statistics.fmean(days), 1))) if days else Decimal("0.0")
        median = Decimal(str(round(statistics.median(days), 1))) if days else Decimal("0.0")
        out.append((stage.value, str(stage.label), len(days), mean, median))
    return out


def _count_value(deals: Any, types: tuple[str, ...]) -> tuple[int, Decimal]:
    agg = deals.filter(deal_type__in=types).aggregate(n=Count("pk"), t=Sum("amount_cny"))
    return agg["n"] or 0, agg["t"] or ZERO


def china_annual(user: Any, year: int) -> list[tuple[str, str, int | str, Decimal]]:
    """(key, heading, number, value in yuan) for the annual report's headings."""
    scope = figure_scope(user)
    signed = scope.counted_deals.filter(signed_on__year=year)
    rows: list[tuple[str, str, int | str, Decimal]] = []
    for key, heading, types in (
        ("transfer", _("Transfer (assignment) contracts"), TRANSFER_TYPES),
        ("licence", _("Licence contracts"), LICENCE_TYPES),
        ("equity", _("Equity-investment contracts"), EQUITY_TYPES),
        (
            "tech_services",
            _("Technology development, consulting and service contracts"),
            TECH_SERVICE_TYPES,
        ),
    ):
        n, value = _count_value(signed, types)
        rows.append((key, heading, n, value))
    cash_heading = _("Cash rewards to individuals")
    if scope.distributions is None:  # the split of a payment is the owners' business
        rows.append(("cash_rewards", cash_heading, "—", "—"))  # type: ignore[arg-type]
    else:
        lines = DistributionLine.objects.filter(
            party=PartyChoices.PERSON,
            distribution__in=scope.distributions.filter(payment__received_on__year=year).values(
                "pk"
            ),
        )
        agg = lines.aggregate(t=Sum("amount_cny"), n=Count("person", distinct=True))
        rows.append(("cash_rewards", cash_heading, agg["n"] or 0, agg["t"] or ZERO))
    equity_total = ZERO
    rules = {r.organisation_id: r.equity_team_share for r in DistributionRule.objects.all()}
    for deal in signed.filter(
        deal_type__in=EQUITY_TYPES, equity_valuation_cny__isnull=False
    ).prefetch_related("owners"):
        owners = list(deal.owners.all())
        if not owners:
            continue
        share = sum((rules.get(o.pk, Decimal("0.5")) for o in owners), Decimal(0)) / len(owners)
        equity_total += ((deal.equity_valuation_cny or ZERO) * share).quantize(Decimal("0.01"))
    rows.append(
        ("equity_rewards", _("Equity rewards to individuals (estimate)"), "—", equity_total)
    )
    return rows


def autm(user: Any, year: int) -> list[tuple[str, str, int | str, Decimal | str]]:
    results, counted, payments = scopes(user)
    signed = counted.filter(signed_on__year=year)
    ips = IPAsset.objects.filter(
        result__in=results.values("pk"), ip_kind__in=["invention", "utility", "design", "pct"]
    )
    licences = signed.filter(deal_type__in=LICENCE_TYPES)
    income = (
        payments.filter(received_on__year=year, deal__deal_type__in=LICENCE_TYPES).aggregate(
            t=Sum("amount_cny")
        )["t"]
        or ZERO
    )
    return [
        (
            "disclosures",
            _("Invention disclosures"),
            results.filter(in_year("onboarded_at", year)).count(),
            "—",
        ),
        (
            "patent_applications",
            _("New patent applications"),
            ips.filter(filing_date__year=year).count(),
            "—",
        ),
        ("patents_issued", _("Issued patents"), ips.filter(grant_date__year=year).count(), "—"),
        (
            "licences",
            _("Licences and options executed"),
            licences.count(),
            licences.aggregate(t=Sum("amount_cny"))["t"] or ZERO,
        ),
        (
            "startups",
            _("Start-ups formed"),
            signed.filter(deal_type=DealTypeChoices.SPIN_OFF).count(),
            "—",
        ),
        ("licence_income", _("Licence income received"), "—", income),
    ]


def report_years(user: Any) -> list[int]:
    results, counted, payments = scopes(user)
    years = {d.year for d in counted.exclude(signed_on=None).values_list("signed_on", flat=True)}
    years |= {d.year for d in payments.values_list("received_on", flat=True)}
    years |= set(
        results.order_by()
        .annotate(y=shanghai_year("onboarded_at"))
        .values_list("y", flat=True)
        .distinct()
    )
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def default_year(user: Any) -> int:
    _results, counted, _p = scopes(user)
    latest: date | None = (
        counted.exclude(signed_on=None)
        .order_by("-signed_on")
        .values_list("signed_on", flat=True)
        .first()
    )
    return latest.year if latest else timezone.localdate().year


def headline_table(user: Any, year: int) -> Table:
    """The headline figures of ``year`` beside all time (:func:`opentto.dashboard.selectors.headline`)."""
    rows: list[list[Any]] = []
    for this_year, all_time in headline(user, year).figures:
        name = DEFINITIONS[this_year.key].name
        rows.append(
            [
                str(name),
                this_year.count,
                "—" if this_year.value_cny is None else this_year.value_cny,
                all_time.count,
                "—" if all_time.value_cny is None else all_time.value_cny,
            ]
        )
    return Table(
        "headline",
        _("Headline figures %(year)s") % {"year": year},
        [
            _("Figure"),
            _("Number %(year)s") % {"year": year},
            _("Value %(year)s (CNY)") % {"year": year},
            _("Number, all time"),
            _("Value, all time (CNY)"),
        ],
        rows,
        (2, 4),
    )


def tables(user: Any, year: int, figures_data: Any = None) -> dict[str, Table]:
    """Every table of the dashboard, as the page, the Excel export and the PDF show it."""
    from .selectors import figures

    f = figures_data or figures(user, year)
    out: dict[str, Table] = {}
    out["headline"] = headline_table(user, year)

    def rows_of(items: Any) -> list[list[Any]]:
        return [
            [r.label, r.results_incubated, r.projects_landed, r.transaction_value_cny]
            for r in items
        ]

    head = [_("Incubated"), _("Landed"), _("Transaction value (CNY)")]
    out["by_organisation"] = Table(
        "by_organisation",
        _("By organisation"),
        [_("Organisation"), *head],
        rows_of(f.by_organisation),
        (3,),
    )
    out["by_field"] = Table(
        "by_field", _("By field"), [_("Field"), *head], rows_of(f.by_field), (3,)
    )
    out["by_year"] = Table(
        "by_year", _("By year (every year)"), [_("Year"), *head], rows_of(f.by_year), (3,)
    )
    total, by_year = amounts_received(user)
    out["received"] = Table(
        "received",
        _("Amounts received (every year)"),
        [_("Year"), _("Received (CNY)")],
        [[str(y), t] for y, t in by_year] + [[_("Total"), total]],
        (1,),
    )
    for dim, key, title, first in (
        (
            "organisation",
            "received_by_organisation",
            _("Amounts received by organisation"),
            _("Organisation"),
        ),
        ("field", "received_by_field", _("Amounts received by field"), _("Field")),
    ):
        out[key] = Table(
            key,
            title,
            [first, _("Payments"), _("Received (CNY)")],
            [[label, n, t] for _k, label, n, t in received_by(user, dim, year)],
            (2,),
        )
    out["conversion"] = Table(
        "conversion",
        _("Funnel conversion"),
        [_("Stage"), _("Results that reached it"), _("Share (%)")],
        [[label, n, share] for _k, label, n, share in funnel_conversion(user, year)],
    )
    out["time_in_stage"] = Table(
        "time_in_stage",
        _("Time in each stage (days)"),
        [_("Stage"), _("Stays ended"), _("Mean"), _("Median")],
        [[label, n, mean, median] for _k, label, n, mean, median in time_in_stage(user, year)],
    )
    out["china"] = Table(
        "china",
        _("China annual report %(year)s") % {"year": year},
        [_("Heading"), _("Number"), _("Value (CNY)")],
        [[h, n, v] for _k, h, n, v in china_annual(user, year)],
        (2,),
    )
    out["autm"] = Table(
        "autm",
        _("AUTM-style metrics %(year)s") % {"year": year},
        [_("Metric"), _("Number"), _("Value (CNY)")],
        [[h, n, v] for _k, h, n, v in autm(user, year)],
        (2,),
    )
    return out
