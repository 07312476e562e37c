"""What each fee due on a filing costs: the full amount from the official schedule (kept as data,
``FeeSchedule``), the reduction that applies and why, and the amount to pay.

Rules (docs/regime.md (patent fees); how sure we are is stated there and in STANDARDS.md):

* 专利收费减缴办法 (财税〔2016〕78号): 85% of the fee is waived for a single qualifying applicant, 70%
  for two or more applicants together, every one of whom qualifies; who qualifies: 财税〔2019〕45号
  (fairly sure). It covers the application fee, the substantive-examination fee, the
  re-examination fee and the annual fees of the year of grant and the following nine years (ten
  years since 财税〔2018〕37号; fairly sure).
* During an open licence (开放许可) the annual fees are reduced 15% (财税〔2024〕23号), not on top of
  another reduction: the 15% applies only to an annual fee no other reduction covers (fairly sure).
* The amount to pay is ``full × (100 − percent) / 100`` rounded to the fen, half up
  (``ROUND_HALF_UP``): 900 at 85% → 135.00; at 70% → 270.00; at 15% → 765.00.
* The newest schedule of the office in effect on the fee's due date prices it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from . import deadlines as engine
from .deadlines import covered_years
from .models import FeeKindChoices, FeeReductionChoices

if TYPE_CHECKING:
    from .models import Filing, FilingDeadline

FEN = Decimal("0.01")
#: The open-licence reduction of annual fees, in per cent (财税〔2024〕23号).
OPEN_LICENCE_PERCENT = 15
#: The fees the 85% / 70% reduction covers (财税〔2016〕78号).
REDUCIBLE_FEES = frozenset(
    {
        FeeKindChoices.APPLICATION,
        FeeKindChoices.SUBSTANTIVE_EXAMINATION,
        FeeKindChoices.RE_EXAMINATION,
        FeeKindChoices.ANNUITY,
    }
)
SOURCE_REDUCTION = "专利收费减缴办法 (财税〔2016〕78号); qualifying applicants: 财税〔2019〕45号; ten years of annual fees: 财税〔2018〕37号"
SOURCE_OPEN_LICENCE = "财税〔2024〕23号: annual fees reduced 15% during an open licence (开放许可), not on top of another reduction"


def reduced_amount(full: Decimal, percent: int) -> Decimal:
    """The amount to pay when ``percent`` of ``full`` is waived, to the fen (ROUND_HALF_UP)."""
    return (full * (100 - percent) / Decimal(100)).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class FeeDue:
    """One fee with its full amount, the reduction applied (``percent`` 0 when none) and why."""

    fee_kind: str
    year: int | None
    due: date
    full_cny: Decimal
    percent: int
    reduction: str  # "85", "70", "open_licence" or ""
    reason: str
    payable_cny: Decimal
    schedule_source: str
    is_confirmed: bool

    @property
    def fee_label(self) -> str:
        return str(FeeKindChoices(self.fee_kind).label)

    @property
    def saving_cny(self) -> Decimal:
        return self.full_cny - self.payable_cny


def price_fee(
    *,
    fee_kind: str,
    year: int | None,
    due: date,
    full_cny: Decimal,
    reduction: str,
    covered: tuple[int, int] | None,
    open_licence: tuple[date | None, date | None] | None,
    schedule_source: str = "",
    is_confirmed: bool = True,
) -> FeeDue:
    """Apply the rules to one fee: the 85% / 70% reduction where it covers the fee, else the
    open-licence 15% on an annual fee due within the open licence, else the full amount."""
    percent, applied, reason = 0, "", ""
    if (
        reduction in (FeeReductionChoices.PERCENT_85, FeeReductionChoices.PERCENT_70)
        and fee_kind in REDUCIBLE_FEES
    ):
        if fee_kind != FeeKindChoices.ANNUITY:
            percent, applied = int(reduction), str(reduction)
            reason = _("%(percent)s%% reduction (Caishui [2016] No. 78): this fee is covered.") % {
                "percent": percent
            }
        elif covered is not None and year is not None and covered[0] <= year <= covered[1]:
            percent, applied = int(reduction), str(reduction)
            reason = _(
                "%(percent)s%% reduction (Caishui [2016] No. 78): year %(year)s is within the covered years %(first)s–%(last)s."
            ) % {"percent": percent, "year": year, "first": covered[0], "last": covered[1]}
        elif covered is not None and year is not None:
            reason = _(
                "Full price: year %(year)s is outside the covered years %(first)s–%(last)s."
            ) % {"year": year, "first": covered[0], "last": covered[1]}
    if not applied and fee_kind == FeeKindChoices.ANNUITY and open_licence is not None:
        start, end = open_licence
        if start is not None and start <= due and (end is None or due <= end):
            percent, applied = OPEN_LICENCE_PERCENT, "open_licence"
            reason = _(
                "%(percent)s%% open-licence reduction (Caishui [2024] No. 23): due during the open licence; no other reduction applies."
            ) % {"percent": OPEN_LICENCE_PERCENT}
    return FeeDue(
        fee_kind=fee_kind,
        year=year,
        due=due,
        full_cny=full_cny,
        percent=percent,
        reduction=applied,
        reason=reason,
        payable_cny=reduced_amount(full_cny, percent),
        schedule_source=schedule_source,
        is_confirmed=is_confirmed,
    )


class FeeCatalogue:
    """Every schedule and its fees, read once (the tables are small): a page pricing many
    deadlines asks this instead of the database for each."""

    def __init__(self) -> None:
        from .models import FeeSchedule

        self.schedules = list(
            FeeSchedule.objects.order_by("-effective_from", "-id").prefetch_related("items")
        )

    def schedule_for(self, office: str, day: date) -> Any:
        """The newest schedule of ``office`` in effect on ``day`` (None: no schedule yet)."""
        return next(
            (s for s in self.schedules if s.office == office and s.effective_from <= day), None
        )

    def item(
        self, *, office: str, day: date, patent_kind: str, fee_kind: str, year: int | None = None
    ) -> Any:
        schedule = self.schedule_for(office, day)
        if schedule is None:
            return None
        for item in schedule.items.all():
            if item.patent_kind != patent_kind or item.fee_kind != fee_kind:
                continue
            if fee_kind == FeeKindChoices.ANNUITY and (
                year is None or not item.year_from <= year <= item.year_to
            ):
                continue
            return item
        return None


#: Which fee a deadline of the engine is the date for (CN only).
DEADLINE_FEES: dict[str, str] = {
    "annuity": FeeKindChoices.ANNUITY,
    "cn_examination_request": FeeKindChoices.SUBSTANTIVE_EXAMINATION,
    "national_phase": FeeKindChoices.APPLICATION,
}


def reduction_terms(
    filing: Filing,
) -> tuple[str, tuple[int, int] | None, tuple[date | None, date | None] | None]:
    """The filing's reduction rate, the annual-fee years it covers and its open-licence period."""
    record = getattr(filing, "fee_reduction", None) if filing.pk else None
    if record is None:
        return FeeReductionChoices.NONE, None, None
    years = (
        covered_years(filing.filing_date, filing.grant_date)
        if record.reduction != FeeReductionChoices.NONE
        else None
    )
    licence = (
        (record.open_licence_from, record.open_licence_until) if record.open_licence_from else None
    )
    return record.reduction, years, licence


def fee_for_deadline(
    deadline: FilingDeadline, catalogue: FeeCatalogue | None = None
) -> FeeDue | None:
    """The fee due on a deadline of a CN filing, priced and reduced (None: no fee, or no
    schedule has it)."""
    fee_kind = DEADLINE_FEES.get(deadline.key)
    if fee_kind is None or deadline.office != "CN":
        return None
    filing = deadline.filing
    return fee_for(
        filing, fee_kind=fee_kind, year=deadline.year, due=deadline.due, catalogue=catalogue
    )


def fee_for(
    filing: Filing,
    *,
    fee_kind: str,
    year: int | None,
    due: date,
    catalogue: FeeCatalogue | None = None,
) -> FeeDue | None:
    catalogue = catalogue or FeeCatalogue()
    item = catalogue.item(
        office="CN", day=due, patent_kind=filing.family.kind, fee_kind=fee_kind, year=year
    )
    if item is None:
        return None
    reduction, years, licence = reduction_terms(filing)
    return price_fee(
        fee_kind=fee_kind,
        year=year,
        due=due,
        full_cny=item.amount_cny,
        reduction=reduction,
        covered=years,
        open_licence=licence,
        schedule_source=item.schedule.source,
        is_confirmed=item.is_confirmed,
    )


def cost_windows(start: date, years: int = 5) -> list[tuple[date, date]]:
    """``years`` consecutive twelve-month windows from ``start``: (first day, last day)."""
    return [
        (engine.add_years(start, i), engine.add_years(start, i + 1) - timedelta(days=1))
        for i in range(years)
    ]


def annual_costs(
    filing: Filing, *, start: date, years: int = 5, catalogue: FeeCatalogue | None = None
) -> list[Decimal]:
    """What keeping ``filing`` costs in each of the ``years`` twelve-month windows from
    ``start``: the payable amounts of its open fee deadlines due in the window (reduced where a
    reduction applies). Fees the schedule does not price count nothing."""
    catalogue = catalogue or FeeCatalogue()
    windows = cost_windows(start, years)
    totals = [Decimal("0.00") for _ in windows]
    for deadline in filing.deadlines.all():
        if deadline.status != "open":
            continue
        index = next(
            (i for i, (first, last) in enumerate(windows) if first <= deadline.due <= last), None
        )
        if index is None:
            continue
        fee = fee_for_deadline(deadline, catalogue)
        if fee is not None:
            totals[index] += fee.payable_cny
    return totals
