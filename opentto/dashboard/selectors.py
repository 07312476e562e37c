"""The figures a district reports, computed from the data (never typed in).

- results incubated: every onboarded result not withdrawn or declined (landed and on-hold included);
- projects landed: results in ``landed``;
- transaction value: contract amounts of signed deals that are not terminated, in CNY;
- the funnel by stage; each figure per organisation, per field and per year.

``figures(user)`` honours the viewer's permissions (``restrict(user, "figures")``); ``figures(None)``
is the whole platform, for the command line. ``figures(user, year)`` gives the same tables for one
calendar year (results onboarded, landed and deals signed that year; the funnel of the results
onboarded that year); ``by_year`` always spans every year.

**The headline figures per year** (:func:`headline`, one selector per figure below it, each taking
``(user, year)`` with ``year=None`` for all time) are defined once here and used by the
dashboard, its Excel export, the annual report and the API; :data:`DEFINITIONS` holds the text
the dashboard's tooltips and ``docs/figures.md`` give. A year is a calendar year in Asia/Shanghai:
times stored in UTC are bucketed by their Shanghai date (2024-12-31 17:00 UTC is 2025-01-01 01:00
in Shanghai, so 2025); dates (signing, receipt) are calendar dates already.

**One scope per viewer** (:func:`figure_scope`): the results they may count, the deals over those
results they may count, the payments on those deals and the distributions of those payments they
may count. A count and the value beside it are always computed from the same queryset, and a
result with a signed deal the viewer may not count is left out of their results (its landing
would otherwise stand beside money they cannot see: an inventor's "landed 8" beside "¥0.00").
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractYear
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from opentto.core.cache import _lookup, _sql, timeout
from opentto.core.permissions import permitted
from opentto.evaluation.models import EvaluationSummary
from opentto.landing.models import Deal, DealQuerySet, Distribution, Payment
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

T = TypeVar("T")
ZERO = Decimal("0.00")
#: The calendar the figures' years follow (times are stored in UTC).
SHANGHAI = ZoneInfo("Asia/Shanghai")


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first instant of ``year`` and of the next one, in Asia/Shanghai."""
    return datetime(year, 1, 1, tzinfo=SHANGHAI), datetime(year + 1, 1, 1, tzinfo=SHANGHAI)


def in_year(name: str, year: int | None, *, dated: bool = False) -> Q:
    """``name`` falls in ``year`` (Shanghai calendar; any time for ``None``). ``dated``: a DateField."""
    if year is None:
        return Q()
    if dated:
        return Q(**{f"{name}__year": year})
    start, end = year_bounds(year)
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


def shanghai_year(name: str) -> ExtractYear:
    """The Shanghai calendar year of the time ``name`` (for grouping by year)."""
    return ExtractYear(name, tzinfo=SHANGHAI)


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
    year: int | None = None

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
    """(results, deals of any status) the viewer's figures count; see :func:`figure_scope`."""
    if user is None:
        return Result.objects.all(), Deal.objects.all()
    results = Result.objects.restrict(user, "figures")
    deals = Deal.objects.restrict(user, "figures")
    if not permitted(user, Deal, "figures", every_row=True):
        # A result with a signed deal the viewer may not count is not theirs to count either.
        through = Deal.results.through.objects
        hidden = (
            through.filter(deal__signed_on__isnull=False)
            .exclude(deal__in=deals.values("pk"))
            .values("result_id")
        )
        results = results.exclude(pk__in=hidden)
    deals = deals.filter(results__in=results.values("pk")).distinct()
    return results, deals


@dataclass(frozen=True)
class FigureScope:
    """The querysets every figure of one viewer is computed from."""

    results: QuerySet[Result]
    deals: DealQuerySet  # every status (signed, terminated, drafts) over ``results``
    payments: QuerySet[Payment]
    distributions: QuerySet[Distribution] | None  # None: the viewer may not count distributions

    @property
    def counted_deals(self) -> QuerySet[Deal]:
        """Signed and not terminated (the deals that count in landings and values)."""
        return Deal.objects.filter(pk__in=self.deals.counted().values("pk"))


def figure_scope(user: Any) -> FigureScope:
    """The viewer's scope (``None``: the whole platform)."""
    results, deals = _scopes(user)
    payments = Payment.objects.filter(deal__in=deals.values("pk"))
    distributions: QuerySet[Distribution] | None = Distribution.objects.filter(
        payment__in=payments.values("pk")
    )
    if user is not None and distributions is not None:
        if permitted(user, Distribution, "figures"):
            distributions = distributions.filter(
                pk__in=Distribution.objects.restrict(user, "figures").values("pk")
            )
        else:
            distributions = None
    return FigureScope(results, deals, payments, distributions)


def scope_key(user: Any) -> str:
    """A digest of what ``user``'s figures count: equal digests mean equal rows (kept on the user
    object for the rest of the request, like its grants)."""
    known = getattr(user, "_opentto_figures_scope", None)
    if known is not None:
        return str(known)
    scope = figure_scope(user)
    distributions = (
        _sql(scope.distributions) if scope.distributions is not None else ("no distributions", ())
    )
    raw = repr((_sql(scope.results), _sql(scope.deals), distributions))
    key = hashlib.sha256(raw.encode()).hexdigest()[:32]
    with contextlib.suppress(AttributeError):  # objects that refuse attributes
        user._opentto_figures_scope = key
    return key


def cached(user: Any, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` for ``user``'s scope, from the cache when the figures have not changed.

    ``name`` says what is computed and with which arguments (e.g. ``"tables:2026"``); the scope,
    the language and the figures version are added here."""
    if user is None or timeout() <= 0:
        return compute()
    try:
        scope = scope_key(user)
    except Exception:
        return compute()
    return _lookup(f"{name}:{translation.get_language() or ''}:{scope}", compute)


# ---- The headline figures: one definition each, (user, year | None) -------------------------


@dataclass(frozen=True)
class FigureDefinition:
    """What a headline figure counts: its name, definition, the date that places it in a year, its
    scope, and the unit of its count when a value stands beside it."""

    name: Any
    definition: Any
    date: Any
    scope: Any
    unit: Any = ""


#: The headline figures' definitions: the dashboard's tooltips, the exports' and the annual
#: report's labels, and docs/figures.md (a figure added here needs a line there).
DEFINITIONS: dict[str, FigureDefinition] = {
    "results_onboarded": FigureDefinition(
        _("Results onboarded"),
        _("Results that entered the platform (onboarding), whatever their stage now."),
        _("onboarding date"),
        _("results you may count"),
    ),
    "results_evaluated": FigureDefinition(
        _("Results evaluated"),
        _(
            "Results with a recorded evaluation decision (proceed, improve or decline); a result evaluated twice in a year counts once."
        ),
        _("evaluation decision date"),
        _("results you may count"),
    ),
    "results_landed": FigureDefinition(
        _("Results landed"),
        _("Results in the landed stage now, counted in the year of their latest landing."),
        _("landing date"),
        _("results you may count"),
    ),
    "deals_signed": FigureDefinition(
        _("Deals signed"),
        _("Deals signed and not terminated, and the sum of their contract amounts in CNY."),
        _("signing date"),
        _("deals you may count, over the results you may count"),
        _("deals"),
    ),
    "money_received": FigureDefinition(
        _("Money received"),
        _(
            "Payments received on those deals (whatever the deal's status now), and their sum in CNY."
        ),
        _("date received"),
        _("payments on the deals you may count"),
        _("payments"),
    ),
    "distributions_paid": FigureDefinition(
        _("Distributions paid"),
        _(
            "Payments split among the owners, the TTO and the team, and the net income so paid out in CNY (counted in the year the payment was received, as the personal statements are)."
        ),
        _("date the payment was received"),
        _("distributions of those payments you may count"),
        _("distributions"),
    ),
}


@dataclass
class Figure:
    """One headline figure for one period: a count and, for money figures, the value beside it."""

    key: str
    count: int
    value_cny: Decimal | None = None


@dataclass
class Headline:
    """The headline figures of ``year`` and of all time, side by side."""

    year: int
    figures: list[tuple[Figure, Figure]]

    def get(self, key: str) -> tuple[Figure, Figure]:
        return next(pair for pair in self.figures if pair[0].key == key)

    def as_json(self) -> dict[str, Any]:
        def one(f: Figure) -> dict[str, Any]:
            return {"count": f.count} | (
                {} if f.value_cny is None else {"value_cny": str(f.value_cny)}
            )

        return {
            "year": self.year,
            "figures": {y.key: {"year": one(y), "all_time": one(a)} for y, a in self.figures},
        }


def _money(qs: QuerySet[Any], amount: str) -> tuple[int, Decimal]:
    agg = qs.aggregate(n=Count("pk", distinct=True), t=Sum(amount))
    return agg["n"] or 0, Decimal(agg["t"] or ZERO).quantize(Decimal("0.01"))


def _landed(scope: FigureScope, year: int | None) -> QuerySet[Result]:
    """Results landed now, with the time of their latest landing in ``year``."""
    landed = scope.results.filter(stage=ResultStageChoices.LANDED)
    if year is None:
        return landed
    latest = StageTransition.objects.filter(
        result=OuterRef("pk"), to_stage=ResultStageChoices.LANDED
    ).order_by("-occurred_at", "-id")
    return landed.annotate(landed_at=Subquery(latest.values("occurred_at")[:1])).filter(
        in_year("landed_at", year)
    )


def _onboarded_count(scope: FigureScope, year: int | None) -> int:
    return scope.results.filter(in_year("onboarded_at", year)).count()


def _evaluated_count(scope: FigureScope, year: int | None) -> int:
    decided = EvaluationSummary.objects.filter(result__in=scope.results.values("pk")).filter(
        in_year("decided_at", year)
    )
    return decided.values("result").distinct().count()


def _signed(scope: FigureScope, year: int | None) -> tuple[int, Decimal]:
    return _money(scope.counted_deals.filter(in_year("signed_on", year, dated=True)), "amount_cny")


def _received(scope: FigureScope, year: int | None) -> tuple[int, Decimal]:
    return _money(scope.payments.filter(in_year("received_on", year, dated=True)), "amount_cny")


def _distributed(scope: FigureScope, year: int | None) -> tuple[int, Decimal] | None:
    if scope.distributions is None:
        return None
    return _money(
        scope.distributions.filter(in_year("payment__received_on", year, dated=True)), "net_cny"
    )


def results_onboarded(user: Any, year: int | None) -> int:
    return _onboarded_count(figure_scope(user), year)


def results_evaluated(user: Any, year: int | None) -> int:
    return _evaluated_count(figure_scope(user), year)


def results_landed(user: Any, year: int | None) -> int:
    return _landed(figure_scope(user), year).count()


def deals_signed(user: Any, year: int | None) -> tuple[int, Decimal]:
    """(deals, their contract amounts in CNY)."""
    return _signed(figure_scope(user), year)


def money_received(user: Any, year: int | None) -> tuple[int, Decimal]:
    """(payments, their sum in CNY)."""
    return _received(figure_scope(user), year)


def distributions_paid(user: Any, year: int | None) -> tuple[int, Decimal] | None:
    """(distributions, the net income they paid out in CNY); None when the viewer may not count them."""
    return _distributed(figure_scope(user), year)


def _figures_of(scope: FigureScope, year: int | None) -> list[Figure]:
    out = [
        Figure("results_onboarded", _onboarded_count(scope, year)),
        Figure("results_evaluated", _evaluated_count(scope, year)),
        Figure("results_landed", _landed(scope, year).count()),
        Figure("deals_signed", *_signed(scope, year)),
        Figure("money_received", *_received(scope, year)),
    ]
    distributed = _distributed(scope, year)
    if distributed is not None:
        out.append(Figure("distributions_paid", *distributed))
    return out


def compute_headline(user: Any, year: int) -> Headline:
    scope = figure_scope(user)
    return Headline(
        year, list(zip(_figures_of(scope, year), _figures_of(scope, None), strict=True))
    )


def headline(user: Any, year: int) -> Headline:
    """The headline figures of ``year`` beside those of all time (cached per scope like the figures)."""
    return cached(user, f"headline:{year}", lambda: compute_headline(user, year))


# ---- The tables by organisation, field and year ---------------------------------------------


def figures(user: Any, year: int | None = None) -> Figures:
    """The figures ``user`` may see, from the figures cache (:mod:`opentto.core.cache`)
    while nothing has changed them; ``figures(None)`` is always computed."""
    return cached(
        user, "figures" if year is None else f"figures:{year}", lambda: compute_figures(user, year)
    )


def compute_figures(user: Any, year: int | None = None) -> Figures:
    """The figures computed from the rows (every call reads the whole scope). With ``year``:
    results onboarded that year (still incubated), landed that year, deals signed that year, and
    the funnel of the results onboarded that year; ``by_year`` spans every year."""
    scope = figure_scope(user)
    results = scope.results
    cohort = results.filter(in_year("onboarded_at", year))
    incubated = cohort.exclude(stage__in=NOT_INCUBATED_STAGES)
    landed = _landed(scope, year)
    counted = scope.counted_deals.filter(in_year("signed_on", year, dated=True))
    stage_counts = dict(cohort.values_list("stage").annotate(n=Count("pk")).order_by())
    funnel = {
        stage.value: stage_counts.get(stage.value, 0) for stage in (*PIPELINE_STAGES, *SIDE_STAGES)
    }
    total_value = counted.aggregate(total=Sum("amount_cny"))["total"] or ZERO

    # Per organisation (owners of the results).
    by_org: dict[int, FigureRow] = {}
    org_names = {
        o.pk: o.name
        for o in Organisation.objects.filter(ownerships__result__in=results.values("pk")).distinct()
    }
    for org_id, n in (
        incubated.values_list("ownerships__organisation")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    ):
        if org_id is not None:
            by_org.setdefault(
                org_id, FigureRow(str(org_id), org_names.get(org_id, ""))
            ).results_incubated = n
    for org_id, n in (
        results.filter(pk__in=landed.values("pk"))
        .values_list("ownerships__organisation")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    ):
        if org_id is not None:
            by_org.setdefault(
                org_id, FigureRow(str(org_id), org_names.get(org_id, ""))
            ).projects_landed = n
    org_deals: dict[int, set[int]] = defaultdict(set)
    amounts = dict(counted.values_list("pk", "amount_cny"))
    for deal_id, org_id in counted.values_list(
        "pk", "results__ownerships__organisation"
    ).distinct():
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
    for key, n in (
        results.filter(pk__in=landed.values("pk"))
        .values_list("field")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_field.setdefault(key, FigureRow(key, str(labels.get(key, key)))).projects_landed = n
    field_deals: dict[str, set[int]] = defaultdict(set)
    for deal_id, key in counted.values_list("pk", "results__field").distinct():
        field_deals[key].add(deal_id)
    for key, deal_ids in field_deals.items():
        by_field.setdefault(
            key, FigureRow(key, str(labels.get(key, key)))
        ).transaction_value_cny = sum((amounts[d] for d in deal_ids), ZERO)

    return Figures(
        results_incubated=incubated.count(),
        projects_landed=landed.count(),
        transaction_value_cny=Decimal(total_value).quantize(Decimal("0.01")),
        funnel=funnel,
        by_organisation=sorted(by_org.values(), key=lambda r: (-r.results_incubated, r.label)),
        by_field=sorted(by_field.values(), key=lambda r: (-r.results_incubated, r.key)),
        by_year=_by_year(scope),
        year=year,
    )


def _by_year(scope: FigureScope) -> list[FigureRow]:
    """Every year: results onboarded that year (still incubated), landed that year, value of the
    deals signed that year (the headline's definitions, Shanghai years)."""
    by_year: dict[int, FigureRow] = {}
    incubated = scope.results.exclude(stage__in=NOT_INCUBATED_STAGES)
    for year, n in (
        incubated.annotate(y=shanghai_year("onboarded_at"))
        .values_list("y")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_year.setdefault(year, FigureRow(str(year), str(year))).results_incubated = n
    landed_ids = scope.results.filter(stage=ResultStageChoices.LANDED).values("pk")
    landed_years: dict[int, int] = {}
    for result_id, year in (
        StageTransition.objects.filter(result__in=landed_ids, to_stage=ResultStageChoices.LANDED)
        .annotate(y=shanghai_year("occurred_at"))
        .order_by("occurred_at", "id")
        .values_list("result_id", "y")
    ):
        landed_years[result_id] = year  # the latest landing counts
    for year in landed_years.values():
        by_year.setdefault(year, FigureRow(str(year), str(year))).projects_landed += 1
    for year, total in (
        scope.counted_deals.annotate(y=ExtractYear("signed_on"))
        .values_list("y")
        .annotate(t=Sum("amount_cny"))
        .order_by()
    ):
        by_year.setdefault(year, FigureRow(str(year), str(year))).transaction_value_cny = (
            total or ZERO
        )
    return sorted(by_year.values(), key=lambda r: r.key)
