"""Reads for the IP layout: patent families with what the user may see of them, the lapse
outlook, the deadline calendar and a manager's feed. Every selector takes the user and reads
through the grants (``opentto.patents.permissions``): ``Model.objects.restrict(user, action)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from opentto.accounts.models import User
from opentto.results.models import IPAsset, Result

from .models import (
    DEADLINE_LABELS,
    AbandonmentDecision,
    ConfidentialityExamination,
    ConfidentialityOutcomeChoices,
    DeadlineStatusChoices,
    Filing,
    FilingDeadline,
    FilingStatusChoices,
    PatentFamily,
)


def changeable(qs: QuerySet[Any], user: Any, action: str = "change") -> set[int]:
    """The ids among ``qs`` that ``user`` may ``action`` (the flags of a page's forms)."""
    return set(
        qs.model._default_manager.restrict(user, action)
        .filter(pk__in=qs.values("pk"))
        .values_list("pk", flat=True)
    )


# --- IP layout ---------------------------------------------------------------------------------

#: What happens when a deadline of this kind passes with nothing done.
LAPSE_CONSEQUENCES = {
    "paris_priority": gettext_lazy(
        "The priority right expires: filings abroad can no longer claim the first filing's date, so anything published since then counts against them."
    ),
    "pct_filing": gettext_lazy(
        "The PCT application can no longer claim the priority of the first filing."
    ),
    "national_phase": gettext_lazy(
        "No patent in this office: the PCT application's effect there ends."
    ),
    "cn_examination_request": gettext_lazy("The Chinese application is deemed withdrawn."),
    "annuity": gettext_lazy(
        "The Chinese patent lapses for non-payment (restoration may be requested within 2 months of the notice, for a fee)."
    ),
    "us_maintenance": gettext_lazy("The US patent expires for non-payment of the maintenance fee."),
    "ep_renewal": gettext_lazy(
        "The European application is deemed withdrawn (or the patent lapses in that state) for non-payment."
    ),
    "term_end": gettext_lazy("The patent expires at the end of its term; nothing can be done."),
}


def families_for(user: Any, result: Result) -> QuerySet[PatentFamily]:
    """The result's patent families with the filings, deadlines, abandonment decisions and
    confidentiality examinations the user may see (``clearance``: the cleared examination among them)."""
    deadlines = FilingDeadline.objects.restrict(user, "view")
    abandonments = AbandonmentDecision.objects.restrict(user, "view").select_related("approved_by")
    filings = (
        Filing.objects.restrict(user, "view")
        .select_related("ip_asset")
        .prefetch_related(Prefetch("deadlines", queryset=deadlines))
        .prefetch_related(Prefetch("abandonment", queryset=abandonments))
    )
    return (
        PatentFamily.objects.restrict(user, "view")
        .filter(result=result)
        .select_related("manager")
        .prefetch_related(Prefetch("filings", queryset=filings))
        .prefetch_related(
            Prefetch(
                "confidentiality_examinations",
                queryset=ConfidentialityExamination.objects.restrict(user, "view"),
            )
        )
    )


def clearance(family: PatentFamily) -> ConfidentialityExamination | None:
    """The cleared confidentiality examination among the family's (prefetched, visible) ones."""
    return next(
        (
            e
            for e in family.confidentiality_examinations.all()
            if e.outcome == ConfidentialityOutcomeChoices.CLEARED
        ),
        None,
    )


@dataclass
class LapseRow:
    deadline: FilingDeadline
    consequence: str
    days_left: int


def lapse_outlook(families: Any, today: date | None = None) -> list[LapseRow]:
    """For each live filing, its next open deadline and what lapses if nothing is done by its
    last day (the late period included)."""
    today = today or timezone.localdate()
    rows: list[LapseRow] = []
    for family in families:
        for filing in family.filings.all():
            if filing.status in {
                FilingStatusChoices.ABANDONED,
                FilingStatusChoices.LAPSED,
                FilingStatusChoices.PLANNED,
            }:
                continue
            open_rows = sorted(
                (
                    d
                    for d in filing.deadlines.all()
                    if d.status == DeadlineStatusChoices.OPEN and d.key != "term_end"
                ),
                key=lambda d: d.due,
            )
            if not open_rows:
                continue
            first = open_rows[0]
            last_day = first.late_until or first.due
            rows.append(
                LapseRow(first, str(LAPSE_CONSEQUENCES.get(first.key, "")), (last_day - today).days)
            )
    return sorted(rows, key=lambda r: r.deadline.due)


def calendar_deadlines(
    user: Any, *, manager: User | None = None, start: date | None = None, days: int = 120
) -> QuerySet[FilingDeadline]:
    """Open deadlines the user may see, from ``start`` (default: 30 days back, to show what is
    overdue) over ``days`` days, of families managed by ``manager`` (``None``: every manager)."""
    today = timezone.localdate()
    start = start or today - timedelta(days=30)
    qs = (
        FilingDeadline.objects.restrict(user, "view")
        .filter(
            status=DeadlineStatusChoices.OPEN, due__gte=start, due__lte=today + timedelta(days=days)
        )
        .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
    )
    if manager is not None:
        qs = qs.filter(filing__family__manager=manager)
    return qs.select_related("filing__family__result", "filing__family__manager").order_by(
        "due", "id"
    )


def calendar_managers(user: Any) -> QuerySet[User]:
    """The managers of the patent families the user may see (the calendar's choice)."""
    families = PatentFamily.objects.restrict(user, "view")
    return User.objects.filter(pk__in=families.values("manager")).order_by("username")


def feed_deadlines(owner: User) -> QuerySet[FilingDeadline]:
    """Every open deadline the owner may see of the families they manage, for their ICS feed (from
    a year back): the feed reads with its owner's grants."""
    today = timezone.localdate()
    return (
        FilingDeadline.objects.restrict(owner, "view")
        .filter(
            status=DeadlineStatusChoices.OPEN,
            filing__family__manager=owner,
            due__gte=today - timedelta(days=365),
        )
        .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
        .select_related("filing__family__result")
        .order_by("due", "id")
    )


def deadline_label(key: str) -> str:
    return str(DEADLINE_LABELS.get(key, key))


# --- the two patent records (docs/adr/0016-two-patent-records.md) ----------------------------------


def _digits(number: str) -> str:
    """An application number compared by its letters and digits (``CN202210123456.1`` and
    ``202210123456.1`` name the same application; the office prefix is compared separately)."""
    return "".join(ch for ch in number.upper() if ch.isalnum())


def filing_asset_disagreements(filing: Filing) -> list[str]:
    """What a filing and the result's IP asset it is linked to disagree on (the office and the
    asset's jurisdiction, the application number, the filing and grant dates), each a field name;
    empty when they agree, when a side leaves it blank, or when the filing has no asset. Each
    record keeps its own copy on purpose (ADR 0016); this is the check that they stay in step."""
    asset = filing.ip_asset
    if asset is None:
        return []
    found = []
    if filing.office != "WO" and asset.jurisdiction and filing.office != asset.jurisdiction:
        found.append("office")
    if filing.application_number and asset.application_number:
        mine, theirs = _digits(filing.application_number), _digits(asset.application_number)
        if mine.removeprefix(filing.office) != theirs.removeprefix(
            asset.jurisdiction or filing.office
        ):
            found.append("application_number")
    for field in ("filing_date", "grant_date"):
        if (
            getattr(filing, field)
            and getattr(asset, field)
            and getattr(filing, field) != getattr(asset, field)
        ):
            found.append(field)
    return found


def filings_out_of_step(user: Any) -> list[tuple[Filing, list[str]]]:
    """The filings ``user`` may see whose linked IP asset (one they may see) disagrees with them."""
    rows = (
        Filing.objects.restrict(user, "view")
        .filter(ip_asset__in=IPAsset.objects.restrict(user, "view"))
        .select_related("ip_asset")
    )
    return [
        (filing, found)
        for filing in rows.order_by("pk")
        if (found := filing_asset_disagreements(filing))
    ]
