"""Reads for operations planning: plans, deal rooms, overseas channels, companion services, and
the panels that gather a result's planning records (the result page's panel, the dashboard's
figures, the timeline) from this app, ``opentto.patents`` and ``opentto.financing``. Every
selector takes the user and reads through the grants: ``Model.objects.restrict(user, action)``,
so a child never outruns its parent and a related panel shows only what the user may see.

With the default grants: TTO staff (admin, manager) see every planning record; an inventor the
plans, IP layout, channels, tasks and service log of results whose confidential details they may
read (their organisation's results), read only; an investor the open deal rooms they are invited
to; anyone else nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.permissions import allows, permitted
from opentto.financing.models import (
    PledgeLoan,
)
from opentto.patents.models import (
    DeadlineStatusChoices,
    Filing,
    FilingDeadline,
    FilingStatusChoices,
)
from opentto.patents.selectors import calendar_deadlines
from opentto.results.models import Result

from .models import (
    DealRoom,
    DealRoomInvite,
    NegotiationEntry,
    OverseasChannel,
    PlanTarget,
    ServiceKindChoices,
    ServiceLogEntry,
    ServiceTask,
    ServiceTaskStatusChoices,
    TransferOption,
    TransferPlan,
    TransferPlanEvent,
    TransferPlanStatusChoices,
)
from .permissions import does_planning


def planning_results(user: Any, action: str = "view") -> QuerySet[Result]:
    """Results whose planning records ``user`` may read (``view``) or add to (``change``)."""
    return Result.objects.restrict(user, "plan" if action == "change" else "view_planning")


def _plan_parts(user: Any) -> list[Prefetch[Any]]:
    return [
        Prefetch("options", queryset=TransferOption.objects.restrict(user, "view")),
        Prefetch(
            "targets",
            queryset=PlanTarget.objects.restrict(user, "view").select_related("organisation"),
        ),
        Prefetch(
            "negotiations",
            queryset=NegotiationEntry.objects.restrict(user, "view").select_related("organisation"),
        ),
        Prefetch(
            "events",
            queryset=TransferPlanEvent.objects.restrict(user, "view").select_related("actor"),
        ),
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
    return (
        TransferPlan.objects.restrict(user, "decide")
        .filter(status=TransferPlanStatusChoices.SUBMITTED)
        .select_related("result")
    )


def deal_rooms_for(user: Any) -> QuerySet[DealRoom]:
    """The deal rooms the user may see (the grants on ``planning.dealroom``: staff every room, an
    investor the open rooms they are invited to), with the invitations they may see."""
    return (
        DealRoom.objects.restrict(user, "view")
        .select_related("result")
        .prefetch_related(
            Prefetch(
                "invites",
                queryset=DealRoomInvite.objects.restrict(user, "view").select_related("user"),
            )
        )
    )


# --- companion services ------------------------------------------------------------------------


def channels_for(user: Any, result: Result) -> QuerySet[OverseasChannel]:
    """The result's overseas channels with the filings the user may see."""
    return (
        OverseasChannel.objects.restrict(user, "view")
        .filter(result=result)
        .prefetch_related(Prefetch("filings", queryset=Filing.objects.restrict(user, "view")))
    )


def tasks_for(user: Any, result: Result) -> QuerySet[ServiceTask]:
    return ServiceTask.objects.restrict(user, "view").filter(result=result).select_related("owner")


def service_log_for(user: Any, result: Result) -> QuerySet[ServiceLogEntry]:
    return (
        ServiceLogEntry.objects.restrict(user, "view").filter(result=result).select_related("actor")
    )


OPEN_TASK = (ServiceTaskStatusChoices.OPEN, ServiceTaskStatusChoices.IN_PROGRESS)


def my_open_tasks(user: Any) -> QuerySet[ServiceTask]:
    return (
        ServiceTask.objects.restrict(user, "view")
        .filter(owner_id=getattr(user, "pk", None), status__in=OPEN_TASK)
        .select_related("result")
    )


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
    entries = ServiceLogEntry.objects.restrict(user, "figures").filter(
        occurred_on__gte=since, occurred_on__lte=until
    )
    today = timezone.localdate()
    open_tasks = ServiceTask.objects.restrict(user, "view").filter(status__in=OPEN_TASK)
    tasks: dict[int, dict[str, Any]] = {
        row["owner"]: dict(row)
        for row in open_tasks.values("owner").annotate(
            open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today))
        )
    }
    hours: dict[int, dict[str, Any]] = {
        row["actor"]: dict(row)
        for row in entries.values("actor").annotate(
            hours=Sum("hours"), entries=Count("id"), results=Count("result", distinct=True)
        )
    }
    by_manager = []
    for manager in User.objects.filter(pk__in={*tasks, *hours}):
        row: dict[str, Any] = hours.get(manager.pk, {})
        counts = tasks.get(manager.pk, {})
        by_manager.append(
            {
                "manager": manager,
                "hours": row.get("hours") or Decimal(0),
                "entries": row.get("entries", 0),
                "results": row.get("results", 0),
                "open_tasks": counts.get("open", 0),
                "overdue_tasks": counts.get("overdue", 0),
            }
        )
    by_manager.sort(key=lambda r: (-r["hours"], r["manager"].username))
    kinds: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row)
        for row in entries.values("kind").annotate(hours=Sum("hours"), entries=Count("id"))
    }
    by_kind = [
        {
            "kind": k,
            "label": label,
            "hours": kinds.get(k, {}).get("hours") or Decimal(0),
            "entries": kinds.get(k, {}).get("entries", 0),
        }
        for k, label in ServiceKindChoices.choices
    ]
    total = sum((r["hours"] for r in by_kind), Decimal(0))
    return Workload(
        by_manager=by_manager,
        by_kind=by_kind,
        total_hours=total,
        open_tasks=sum(r["open_tasks"] for r in by_manager),
    )


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
    plans = list(
        TransferPlan.objects.restrict(user, "view")
        .filter(result=result)
        .values_list("pk", flat=True)
    )
    for e in (
        TransferPlanEvent.objects.restrict(user, "view")
        .filter(plan__in=plans)
        .select_related("actor")
        if plans
        else ()
    ):
        items.append(
            TimelineItem(
                timezone.localtime(e.occurred_at).date(),
                "plan",
                _("Transfer plan: %(status)s")
                % {"status": TransferPlanStatusChoices(e.to_status).label},
                e.note,
                e.actor,
            )
        )
    for n in (
        NegotiationEntry.objects.restrict(user, "view")
        .filter(plan__in=plans)
        .select_related("organisation", "actor")
        if plans
        else ()
    ):
        items.append(
            TimelineItem(
                n.occurred_on,
                "negotiation",
                _("Negotiation") + (f" · {n.organisation}" if n.organisation else ""),
                n.summary,
                n.actor,
            )
        )
    for f in (
        Filing.objects.restrict(user, "view")
        .filter(family__result=result)
        .exclude(filing_date__isnull=True)
    ):
        items.append(
            TimelineItem(
                f.filing_date,
                "filing",
                _("Filed: %(office)s %(number)s")
                % {"office": f.office, "number": f.application_number},
            )
        )
    for entry in service_log_for(user, result)[:limit]:
        items.append(
            TimelineItem(
                entry.occurred_on,
                "service",
                f"{entry.get_kind_display()} · {entry.hours} h",
                entry.notes,
                entry.actor,
            )
        )
    for task in tasks_for(user, result).filter(status=ServiceTaskStatusChoices.DONE):
        if task.completed_at:
            items.append(
                TimelineItem(
                    timezone.localtime(task.completed_at).date(),
                    "task",
                    _("Task done: %(title)s") % {"title": task.title},
                    "",
                    task.owner,
                )
            )
    items.sort(key=lambda i: i.on, reverse=True)
    return items[:limit]


def result_panel(user: Any, result: Result) -> dict[str, Any] | None:
    """What the result page's planning panel shows the user (``None``: no panel): the plans not
    superseded, the next open deadlines, pledge loans and the timeline — each what the user may see."""
    if not allows(
        user, result, "view_planning"
    ):  # no query when the grant covers every result (or none)
        return None
    return {
        "plans": list(
            plans_for(user, result).exclude(status=TransferPlanStatusChoices.SUPERSEDED)[:3]
        ),
        "deadlines": list(
            FilingDeadline.objects.restrict(user, "view")
            .filter(filing__family__result=result, status=DeadlineStatusChoices.OPEN)
            .exclude(key="term_end")
            .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
            .select_related("filing")
            .order_by("due")[:5]
        ),
        "pledges": list(
            PledgeLoan.objects.restrict(user, "view")
            .filter(result=result)
            .select_related("lender")[:3]
        ),
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
