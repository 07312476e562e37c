"""Reads for operations planning. Every selector takes the user and reads through the grants
(``opentto.planning.permissions``): ``Model.objects.restrict(user, action)``, so a child never
outruns its parent and a related panel shows only what the user may see.

With the default grants: TTO staff (admin, manager) see every planning record; an inventor the
plans, IP layout, channels, tasks and service log of results whose confidential details they may
read (their organisation's results), read only; an investor the open deal rooms they are invited
to; anyone else nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.accounts.models import User
from opentto.core.permissions import allows, permitted
from opentto.results.models import Result

from .models import (
    DEADLINE_LABELS,
    AbandonmentDecision,
    ConfidentialityExamination,
    ConfidentialityOutcomeChoices,
    DeadlineStatusChoices,
    DealRoom,
    DealRoomInvite,
    Filing,
    FilingDeadline,
    FilingStatusChoices,
    NegotiationEntry,
    OverseasChannel,
    PatentFamily,
    PlanTarget,
    PledgedAsset,
    PledgeLoan,
    PoolAsset,
    PoolCashFlow,
    SecuritisationPool,
    ServiceKindChoices,
    ServiceLogEntry,
    ServiceTask,
    ServiceTaskStatusChoices,
    TransferOption,
    TransferPlan,
    TransferPlanEvent,
    TransferPlanStatusChoices,
    Valuation,
)
from .permissions import does_planning


def planning_results(user: Any, action: str = "view") -> QuerySet[Result]:
    """Results whose planning records ``user`` may read (``view``) or add to (``change``)."""
    return Result.objects.restrict(user, "plan" if action == "change" else "view_planning")


def changeable(qs: QuerySet[Any], user: Any, action: str = "change") -> set[int]:
    """The ids among ``qs`` that ``user`` may ``action`` (the flags of a page's forms)."""
    return set(qs.model._default_manager.restrict(user, action).filter(pk__in=qs.values("pk")).values_list("pk", flat=True))


def _plan_parts(user: Any) -> list[Prefetch[Any]]:
    return [
        Prefetch("options", queryset=TransferOption.objects.restrict(user, "view")),
        Prefetch("targets", queryset=PlanTarget.objects.restrict(user, "view").select_related("organisation")),
        Prefetch("negotiations", queryset=NegotiationEntry.objects.restrict(user, "view").select_related("organisation")),
        Prefetch("events", queryset=TransferPlanEvent.objects.restrict(user, "view").select_related("actor")),
    ]


def plans_for(user: Any, result: Result) -> QuerySet[TransferPlan]:
    """The result's plans with the options, targets, negotiations and decisions the user may see."""
    return plans_visible(user).filter(result=result).select_related("approved_by", "created_by")


def plans_visible(user: Any) -> QuerySet[TransferPlan]:
    """Every transfer plan ``user`` may see, with the parts they may see (the API and the export)."""
    return TransferPlan.objects.restrict(user, "view").prefetch_related(*_plan_parts(user))


def plan_visible(user: Any, pk: int) -> QuerySet[TransferPlan]:
    return plans_visible(user).filter(pk=pk)


def plans_awaiting_approval(user: Any) -> QuerySet[TransferPlan]:
    """Submitted plans the user may decide on."""
    return TransferPlan.objects.restrict(user, "decide").filter(status=TransferPlanStatusChoices.SUBMITTED).select_related("result")


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
    """The result's patent families with the filings, deadlines, abandonment decisions and
    confidentiality examinations the user may see (``clearance``: the cleared examination among them)."""
    deadlines = FilingDeadline.objects.restrict(user, "view")
    abandonments = AbandonmentDecision.objects.restrict(user, "view").select_related("approved_by")
    filings = (
        Filing.objects.restrict(user, "view").select_related("ip_asset")
        .prefetch_related(Prefetch("deadlines", queryset=deadlines))
        .prefetch_related(Prefetch("abandonment", queryset=abandonments))
    )
    return (
        PatentFamily.objects.restrict(user, "view").filter(result=result).select_related("manager")
        .prefetch_related(Prefetch("filings", queryset=filings))
        .prefetch_related(Prefetch("confidentiality_examinations", queryset=ConfidentialityExamination.objects.restrict(user, "view")))
    )


def clearance(family: PatentFamily) -> ConfidentialityExamination | None:
    """The cleared confidentiality examination among the family's (prefetched, visible) ones."""
    return next((e for e in family.confidentiality_examinations.all() if e.outcome == ConfidentialityOutcomeChoices.CLEARED), None)


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
    """Open deadlines the user may see, from ``start`` (default: 30 days back, to show what is
    overdue) over ``days`` days, of families managed by ``manager`` (``None``: every manager)."""
    today = timezone.localdate()
    start = start or today - timedelta(days=30)
    qs = FilingDeadline.objects.restrict(user, "view").filter(
        status=DeadlineStatusChoices.OPEN, due__gte=start, due__lte=today + timedelta(days=days)
    ).exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
    if manager is not None:
        qs = qs.filter(filing__family__manager=manager)
    return qs.select_related("filing__family__result", "filing__family__manager").order_by("due", "id")


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
        .filter(status=DeadlineStatusChoices.OPEN, filing__family__manager=owner, due__gte=today - timedelta(days=365))
        .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
        .select_related("filing__family__result")
        .order_by("due", "id")
    )


def deadline_label(key: str) -> str:
    return str(DEADLINE_LABELS.get(key, key))


# --- financing ---------------------------------------------------------------------------------


def valuations_for(user: Any, result: Result) -> QuerySet[Valuation]:
    return Valuation.objects.restrict(user, "view").filter(result=result).select_related("created_by")


def valuation_visible(user: Any) -> QuerySet[Valuation]:
    return Valuation.objects.restrict(user, "view").select_related("result", "created_by")


def pledge_loans(user: Any) -> QuerySet[PledgeLoan]:
    """The pledge loans the user may see, with the pledged patents they may see."""
    return PledgeLoan.objects.restrict(user, "view").select_related("result", "lender", "valuation").prefetch_related(
        Prefetch("pledged_assets", queryset=PledgedAsset.objects.restrict(user, "view").select_related("ip_asset"))
    )


def pools(user: Any) -> QuerySet[SecuritisationPool]:
    return SecuritisationPool.objects.restrict(user, "view").select_related("arranger")


def pool_assets(user: Any, pool: SecuritisationPool | None = None) -> QuerySet[PoolAsset]:
    """The pool licences the user may see (of one pool), with the cash flows they may see."""
    qs = PoolAsset.objects.restrict(user, "view").select_related("pool", "result", "licensee").prefetch_related(
        Prefetch("cash_flows", queryset=PoolCashFlow.objects.restrict(user, "view"))
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
        out = [(k, v, (v * 100 / total).quantize(Decimal("0.01")) if total else Decimal(0)) for k, v in data.items()]
        return sorted(out, key=lambda r: (-r[1], r[0]))

    by_licensee = shares(per_licensee)
    hhi = int(sum((((v / total) * 100) ** 2 for v in per_licensee.values()), Decimal(0)).to_integral_value()) if total else 0
    rows = list(pool_assets(user, pool).order_by("pk"))
    for row in rows:
        row.total = sum((cf.amount_cny for cf in row.cash_flows.all()), Decimal(0))  # type: ignore[attr-defined]
    return PoolSummary(
        periods=sorted(per_period.items()), total=total, by_licensee=by_licensee, by_result=shares(per_result), hhi=hhi,
        largest_share=by_licensee[0][2] if by_licensee else Decimal(0), rows=rows,
    )


def deal_rooms_for(user: Any) -> QuerySet[DealRoom]:
    """The deal rooms the user may see (the grants on ``planning.dealroom``: staff every room, an
    investor the open rooms they are invited to), with the invitations they may see."""
    return DealRoom.objects.restrict(user, "view").select_related("result").prefetch_related(
        Prefetch("invites", queryset=DealRoomInvite.objects.restrict(user, "view").select_related("user"))
    )


# --- companion services ------------------------------------------------------------------------


def channels_for(user: Any, result: Result) -> QuerySet[OverseasChannel]:
    """The result's overseas channels with the filings the user may see."""
    return OverseasChannel.objects.restrict(user, "view").filter(result=result).prefetch_related(
        Prefetch("filings", queryset=Filing.objects.restrict(user, "view"))
    )


def tasks_for(user: Any, result: Result) -> QuerySet[ServiceTask]:
    return ServiceTask.objects.restrict(user, "view").filter(result=result).select_related("owner")


def service_log_for(user: Any, result: Result) -> QuerySet[ServiceLogEntry]:
    return ServiceLogEntry.objects.restrict(user, "view").filter(result=result).select_related("actor")


OPEN_TASK = (ServiceTaskStatusChoices.OPEN, ServiceTaskStatusChoices.IN_PROGRESS)


def my_open_tasks(user: Any) -> QuerySet[ServiceTask]:
    return ServiceTask.objects.restrict(user, "view").filter(owner_id=getattr(user, "pk", None), status__in=OPEN_TASK).select_related("result")


@dataclass
class Workload:
    by_manager: list[dict[str, Any]]
    by_kind: list[dict[str, Any]]
    total_hours: Decimal
    open_tasks: int


def workload(user: Any, *, since: date, until: date) -> Workload | None:
    """Hours of service per manager and per kind of service between two dates (inclusive), over
    the service log the user may count (``figures``), with each manager's open and overdue tasks
    among those the user may see. ``None`` for a user who may count none."""
    if not permitted(user, ServiceLogEntry, "figures"):
        return None
    entries = ServiceLogEntry.objects.restrict(user, "figures").filter(occurred_on__gte=since, occurred_on__lte=until)
    today = timezone.localdate()
    open_tasks = ServiceTask.objects.restrict(user, "view").filter(status__in=OPEN_TASK)
    tasks: dict[int, dict[str, Any]] = {
        row["owner"]: dict(row) for row in open_tasks.values("owner").annotate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    }
    hours: dict[int, dict[str, Any]] = {row["actor"]: dict(row) for row in entries.values("actor").annotate(hours=Sum("hours"), entries=Count("id"), results=Count("result", distinct=True))}
    by_manager = []
    for manager in User.objects.filter(pk__in={*tasks, *hours}):
        row: dict[str, Any] = hours.get(manager.pk, {})
        counts = tasks.get(manager.pk, {})
        by_manager.append({
            "manager": manager, "hours": row.get("hours") or Decimal(0), "entries": row.get("entries", 0), "results": row.get("results", 0),
            "open_tasks": counts.get("open", 0), "overdue_tasks": counts.get("overdue", 0),
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


def result_timeline(user: Any, result: Result, limit: int = 30) -> list[TimelineItem]:
    """The companion-service timeline of a result: plan decisions, negotiations, filings, service
    log entries and completed tasks the user may see, newest first."""
    items: list[TimelineItem] = []
    # the plans' ids once: most results have none, and then their events and negotiations are not asked for
    plans = list(TransferPlan.objects.restrict(user, "view").filter(result=result).values_list("pk", flat=True))
    for e in TransferPlanEvent.objects.restrict(user, "view").filter(plan__in=plans).select_related("actor") if plans else ():
        items.append(TimelineItem(timezone.localtime(e.occurred_at).date(), "plan", _("Transfer plan: %(status)s") % {"status": TransferPlanStatusChoices(e.to_status).label}, e.note, e.actor))
    for n in NegotiationEntry.objects.restrict(user, "view").filter(plan__in=plans).select_related("organisation", "actor") if plans else ():
        items.append(TimelineItem(n.occurred_on, "negotiation", _("Negotiation") + (f" · {n.organisation}" if n.organisation else ""), n.summary, n.actor))
    for f in Filing.objects.restrict(user, "view").filter(family__result=result).exclude(filing_date__isnull=True):
        items.append(TimelineItem(f.filing_date, "filing", _("Filed: %(office)s %(number)s") % {"office": f.office, "number": f.application_number}))
    for entry in service_log_for(user, result)[:limit]:
        items.append(TimelineItem(entry.occurred_on, "service", f"{entry.get_kind_display()} · {entry.hours} h", entry.notes, entry.actor))
    for task in tasks_for(user, result).filter(status=ServiceTaskStatusChoices.DONE):
        if task.completed_at:
            items.append(TimelineItem(timezone.localtime(task.completed_at).date(), "task", _("Task done: %(title)s") % {"title": task.title}, "", task.owner))
    items.sort(key=lambda i: i.on, reverse=True)
    return items[:limit]


def result_panel(user: Any, result: Result) -> dict[str, Any] | None:
    """What the result page's planning panel shows the user (``None``: no panel): the plans not
    superseded, the next open deadlines, pledge loans and the timeline — each what the user may see."""
    if not allows(user, result, "view_planning"):  # no query when the grant covers every result (or none)
        return None
    return {
        "plans": list(plans_for(user, result).exclude(status=TransferPlanStatusChoices.SUPERSEDED)[:3]),
        "deadlines": list(
            FilingDeadline.objects.restrict(user, "view")
            .filter(filing__family__result=result, status=DeadlineStatusChoices.OPEN)
            .exclude(key="term_end")
            .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
            .select_related("filing")
            .order_by("due")[:5]
        ),
        "pledges": list(PledgeLoan.objects.restrict(user, "view").filter(result=result).select_related("lender")[:3]),
        "timeline": result_timeline(user, result, limit=12),
    }


def dashboard_panel(user: Any) -> dict[str, int] | None:
    """The dashboard's planning figures for someone who plans (``None`` otherwise): their overdue
    and coming deadlines, the plans awaiting their decision, their open tasks."""
    if not does_planning(user):
        return None
    today = timezone.localdate()
    mine = calendar_deadlines(user, manager=user, days=30)
    return {
        "overdue": mine.filter(due__lt=today).count(),
        "due_30": mine.filter(due__gte=today).count(),
        "awaiting": plans_awaiting_approval(user).count(),
        "open_tasks": my_open_tasks(user).count(),
    }
