"""Reads for operations planning. Every selector takes the user.

Who sees what:
* TTO staff (admin, manager): all planning records.
* inventors: the plan, IP layout, channels, tasks and service log of results whose confidential
  details they may read (their organisation's results) — read only.
* investors: only the deal rooms they are invited to, while open.
* everyone else: nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.accounts.models import User, UserRoleChoices
from opentto.core.permissions import is_platform_staff, restrict, user_role
from opentto.results.models import Result

from .models import (
    DEADLINE_LABELS,
    DeadlineStatusChoices,
    DealRoom,
    Filing,
    FilingDeadline,
    FilingStatusChoices,
    PatentFamily,
    PledgeLoan,
    SecuritisationPool,
    ServiceKindChoices,
    ServiceLogEntry,
    ServiceTask,
    ServiceTaskStatusChoices,
    TransferPlan,
    TransferPlanStatusChoices,
)


def planning_results(user: Any, action: str = "view") -> QuerySet[Result]:
    """Results whose planning records ``user`` may read (``view``) or write (``change``)."""
    if is_platform_staff(user):
        return Result.objects.all()
    if action == "view" and user_role(user) == UserRoleChoices.INVENTOR:
        return Result.objects.restrict(user, "view_details")
    return Result.objects.none()


def plans_for(user: Any, result: Result) -> QuerySet[TransferPlan]:
    if not planning_results(user).filter(pk=result.pk).exists():
        return TransferPlan.objects.none()
    return result.plans.select_related("approved_by", "created_by").prefetch_related("options", "targets__organisation", "negotiations__organisation", "events__actor")


def plans_visible(user: Any) -> QuerySet[TransferPlan]:
    """Every transfer plan of the results ``user`` may plan for (the API and the export)."""
    return TransferPlan.objects.filter(result__in=planning_results(user).values("pk"))


def plan_visible(user: Any, pk: int) -> QuerySet[TransferPlan]:
    return plans_visible(user).filter(pk=pk)


def plans_awaiting_approval(user: Any) -> QuerySet[TransferPlan]:
    if not is_platform_staff(user):
        return TransferPlan.objects.none()
    return TransferPlan.objects.filter(status=TransferPlanStatusChoices.SUBMITTED).select_related("result")


# --- IP layout ---------------------------------------------------------------------------------

#: What happens when a deadline of this kind passes with nothing done.
LAPSE_CONSEQUENCES = {
    "paris_priority": gettext_lazy("The priority right expires: filings abroad can no longer claim the first filing's date, so anything published since then counts against them."),
    "pct_filing": gettext_lazy("The PCT application can no longer claim the priority of the first filing."),
    "national_phase": gettext_lazy("No patent in this office: the PCT application's effect there ends."),
    "cn_examination_request": gettext_lazy("The Chinese application is deemed withdrawn."),
    "annuity": gettext_lazy("The Chinese patent lapses for non-payment (restoration may be requested within 2 months of the notice, for a fee)."),
    "us_maintenance": gettext_lazy("The US patent expires for non-payment of the maintenance fee."),
    "ep_renewal": gettext_lazy("The European application is deemed withdrawn (or the patent lapses in that state) for non-payment."),
    "term_end": gettext_lazy("The patent expires at the end of its term; nothing can be done."),
}


def families_for(user: Any, result: Result) -> QuerySet[PatentFamily]:
    if not planning_results(user).filter(pk=result.pk).exists():
        return PatentFamily.objects.none()
    return result.patent_families.select_related("manager").prefetch_related(
        "filings__deadlines", "filings__abandonment__approved_by", "confidentiality_examinations", "filings__ip_asset"
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
            if filing.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED, FilingStatusChoices.PLANNED}:
                continue
            open_rows = sorted((d for d in filing.deadlines.all() if d.status == DeadlineStatusChoices.OPEN and d.key != "term_end"), key=lambda d: d.due)
            if not open_rows:
                continue
            first = open_rows[0]
            last_day = first.late_until or first.due
            rows.append(LapseRow(first, str(LAPSE_CONSEQUENCES.get(first.key, "")), (last_day - today).days))
    return sorted(rows, key=lambda r: r.deadline.due)


def calendar_deadlines(user: Any, *, manager: User | None = None, start: date | None = None, days: int = 120) -> QuerySet[FilingDeadline]:
    """Open deadlines from ``start`` (default: 30 days back, to show what is overdue) over
    ``days`` days, of families managed by ``manager`` (default: ``user``). Staff only."""
    if not is_platform_staff(user):
        return FilingDeadline.objects.none()
    today = timezone.localdate()
    start = start or today - timedelta(days=30)
    qs = FilingDeadline.objects.filter(
        status=DeadlineStatusChoices.OPEN, due__gte=start, due__lte=today + timedelta(days=days)
    ).exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
    if manager is not None:
        qs = qs.filter(filing__family__manager=manager)
    return qs.select_related("filing__family__result", "filing__family__manager").order_by("due", "id")


def feed_deadlines(owner: User) -> QuerySet[FilingDeadline]:
    """Every open deadline of the families ``owner`` manages, for the ICS feed (from a year back)."""
    today = timezone.localdate()
    return (
        FilingDeadline.objects.filter(status=DeadlineStatusChoices.OPEN, filing__family__manager=owner, due__gte=today - timedelta(days=365))
        .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
        .select_related("filing__family__result")
        .order_by("due", "id")
    )


def deadline_label(key: str) -> str:
    return str(DEADLINE_LABELS.get(key, key))


# --- financing ---------------------------------------------------------------------------------


def valuations_for(user: Any, result: Result) -> Any:
    if not is_platform_staff(user):
        return result.valuations.none()
    return result.valuations.select_related("created_by")


def pledge_loans(user: Any) -> QuerySet[PledgeLoan]:
    if not is_platform_staff(user):
        return PledgeLoan.objects.none()
    return PledgeLoan.objects.select_related("result", "lender", "valuation").prefetch_related("pledged_assets__ip_asset")


def pools(user: Any) -> QuerySet[SecuritisationPool]:
    if not is_platform_staff(user):
        return SecuritisationPool.objects.none()
    return SecuritisationPool.objects.select_related("arranger")


@dataclass
class PoolSummary:
    periods: list[tuple[str, Decimal]]
    total: Decimal
    by_licensee: list[tuple[str, Decimal, Decimal]]  # name, amount, share in %
    by_result: list[tuple[str, Decimal, Decimal]]
    hhi: int  # Herfindahl–Hirschman index over licensees, 0–10000
    largest_share: Decimal
    rows: list[Any] = field(default_factory=list)


def pool_summary(pool: SecuritisationPool) -> PoolSummary:
    """The pool's expected royalty cash flow per period, aggregated, and its concentration by
    licensee (shares and the Herfindahl–Hirschman index) and by result."""
    from .models import PoolCashFlow

    flows = PoolCashFlow.objects.filter(asset__pool=pool).select_related("asset__licensee", "asset__result")
    per_period: dict[str, Decimal] = defaultdict(Decimal)
    per_licensee: dict[str, Decimal] = defaultdict(Decimal)
    per_result: dict[str, Decimal] = defaultdict(Decimal)
    for f in flows:
        per_period[f.period] += f.amount_cny
        per_licensee[str(f.asset.licensee)] += f.amount_cny
        per_result[f.asset.result.title] += f.amount_cny
    total = sum(per_period.values(), Decimal(0))

    def shares(data: dict[str, Decimal]) -> list[tuple[str, Decimal, Decimal]]:
        out = [(k, v, (v * 100 / total).quantize(Decimal("0.01")) if total else Decimal(0)) for k, v in data.items()]
        return sorted(out, key=lambda r: (-r[1], r[0]))

    by_licensee = shares(per_licensee)
    hhi = int(sum((((v / total) * 100) ** 2 for v in per_licensee.values()), Decimal(0)).to_integral_value()) if total else 0
    return PoolSummary(
        periods=sorted(per_period.items()), total=total, by_licensee=by_licensee, by_result=shares(per_result), hhi=hhi,
        largest_share=by_licensee[0][2] if by_licensee else Decimal(0),
        rows=list(pool.assets.select_related("result", "licensee").annotate(total=Sum("cash_flows__amount_cny"), periods=Count("cash_flows"))),
    )


def deal_rooms_for(user: Any) -> QuerySet[DealRoom]:
    """Staff: every room. Investors: the open rooms they are invited to. Others: none (the grants
    on ``planning.dealroom``)."""
    return restrict(DealRoom.objects.select_related("result"), user, "view")


# --- companion services ------------------------------------------------------------------------


def tasks_for(user: Any, result: Result) -> QuerySet[ServiceTask]:
    if not planning_results(user).filter(pk=result.pk).exists():
        return ServiceTask.objects.none()
    return result.service_tasks.select_related("owner")


def service_log_for(user: Any, result: Result) -> QuerySet[ServiceLogEntry]:
    if not planning_results(user).filter(pk=result.pk).exists():
        return ServiceLogEntry.objects.none()
    return result.service_log.select_related("actor")


def my_open_tasks(user: Any) -> QuerySet[ServiceTask]:
    if not is_platform_staff(user):
        return ServiceTask.objects.none()
    return ServiceTask.objects.filter(owner=user, status__in=[ServiceTaskStatusChoices.OPEN, ServiceTaskStatusChoices.IN_PROGRESS]).select_related("result")


@dataclass
class Workload:
    by_manager: list[dict[str, Any]]
    by_kind: list[dict[str, Any]]
    total_hours: Decimal
    open_tasks: int


def workload(user: Any, *, since: date, until: date) -> Workload | None:
    """Hours of service per manager and per kind of service between two dates (inclusive),
    with each manager's open and overdue tasks. Staff only (``None`` otherwise)."""
    if not is_platform_staff(user):
        return None
    entries = ServiceLogEntry.objects.filter(occurred_on__gte=since, occurred_on__lte=until)
    today = timezone.localdate()
    open_q = Q(planning_tasks__status__in=[ServiceTaskStatusChoices.OPEN, ServiceTaskStatusChoices.IN_PROGRESS])
    managers = {
        u.pk: u
        for u in User.objects.filter(Q(role__in=[UserRoleChoices.MANAGER, UserRoleChoices.ADMIN]) | Q(is_superuser=True)).annotate(
            open_tasks=Count("planning_tasks", filter=open_q, distinct=True),
            overdue_tasks=Count("planning_tasks", filter=open_q & Q(planning_tasks__due_on__lt=today), distinct=True),
        )
    }
    hours: dict[int, dict[str, Any]] = {row["actor"]: dict(row) for row in entries.values("actor").annotate(hours=Sum("hours"), entries=Count("id"), results=Count("result", distinct=True))}
    by_manager = []
    for pk, manager in managers.items():
        row: dict[str, Any] = hours.get(pk, {})
        if not row and not manager.open_tasks:  # type: ignore[attr-defined]
            continue
        by_manager.append({
            "manager": manager, "hours": row.get("hours") or Decimal(0), "entries": row.get("entries", 0), "results": row.get("results", 0),
            "open_tasks": manager.open_tasks, "overdue_tasks": manager.overdue_tasks,  # type: ignore[attr-defined]
        })
    by_manager.sort(key=lambda r: (-r["hours"], r["manager"].username))
    kinds: dict[str, dict[str, Any]] = {row["kind"]: dict(row) for row in entries.values("kind").annotate(hours=Sum("hours"), entries=Count("id"))}
    by_kind = [
        {"kind": k, "label": label, "hours": kinds.get(k, {}).get("hours") or Decimal(0), "entries": kinds.get(k, {}).get("entries", 0)}
        for k, label in ServiceKindChoices.choices
    ]
    total = sum((r["hours"] for r in by_kind), Decimal(0))
    return Workload(by_manager=by_manager, by_kind=by_kind, total_hours=total, open_tasks=sum(r["open_tasks"] for r in by_manager))


@dataclass
class TimelineItem:
    on: Any
    kind: str
    label: str
    detail: str = ""
    actor: Any = None


def result_timeline(user: Any, result: Result, limit: int = 30, *, visible: bool | None = None) -> list[TimelineItem]:
    """The companion-service timeline of a result: plan events, negotiations, filings, service
    log entries and completed tasks, newest first. ``visible``: the caller has just checked
    ``planning_results(user)`` for this result (its answer); ``None`` checks here."""
    if visible is None:
        visible = planning_results(user).filter(pk=result.pk).exists()
    if not visible:
        return []
    items: list[TimelineItem] = []
    for plan in result.plans.prefetch_related("events__actor"):
        for e in plan.events.all():
            items.append(TimelineItem(timezone.localtime(e.occurred_at).date(), "plan", _("Transfer plan: %(status)s") % {"status": TransferPlanStatusChoices(e.to_status).label}, e.note, e.actor))
        for n in plan.negotiations.select_related("organisation", "actor"):
            items.append(TimelineItem(n.occurred_on, "negotiation", _("Negotiation") + (f" · {n.organisation}" if n.organisation else ""), n.summary, n.actor))
    for f in Filing.objects.filter(family__result=result).exclude(filing_date__isnull=True):
        items.append(TimelineItem(f.filing_date, "filing", _("Filed: %(office)s %(number)s") % {"office": f.office, "number": f.application_number}))
    for entry in result.service_log.select_related("actor")[:limit]:
        items.append(TimelineItem(entry.occurred_on, "service", f"{entry.get_kind_display()} · {entry.hours} h", entry.notes, entry.actor))
    for task in result.service_tasks.filter(status=ServiceTaskStatusChoices.DONE).select_related("owner"):
        if task.completed_at:
            items.append(TimelineItem(timezone.localtime(task.completed_at).date(), "task", _("Task done: %(title)s") % {"title": task.title}, "", task.owner))
    items.sort(key=lambda i: i.on, reverse=True)
    return items[:limit]
