"""The sources of "My work": one function per kind of line, ``(user, today) -> list[WorkItem]``.

Every source reads only through the permission system, with the action that doing the item
needs (``Model.objects.restrict(user, action)``): a review to score is an assignment the user may
``review``, a plan to approve one they may ``decide`` (and, under four-eyes approval, did not draft
or last change), a deal to sign one they may ``sign``, a payment overdue one on a deal they may
``record_payment``, and so on. Nothing is stored: a line is computed from the state of its object,
so it disappears as soon as the thing is done. Titles are in the active language, and a result's
title is shown only when the user may see the result (else its number).

| kind | object (action) | listed while |
|---|---|---|
| review_declare | evaluation.reviewassignment (review) | invited, the round open or in consensus |
| review_score | evaluation.reviewassignment (review) | accepted (no conflict declared), the round open or in consensus |
| round_reviewers | evaluation.reviewround (manage) | open, before its deadline, fewer active reviewers than the reviews required |
| round_close | evaluation.reviewround (manage) | open past its deadline, or waiting for consensus or for the outcome |
| plan_approve | planning.transferplan (decide) | submitted; four-eyes: not drafted or last changed by the user |
| notice_ending | landing.publicnotice (view) on a deal the user may change | running, ending within 15 days |
| deal_sign | landing.deal (sign) | a draft whose price needs no notice, or a notice that has ended |
| payment_overdue | landing.paymentscheduleitem (view) on a deal the user may record_payment | due date passed, less received than due |
| royalty_overdue | landing.royaltyreport (view) on a deal the user may record_payment | due date passed, less received than due |
| distribution_run | landing.payment (view) on a deal the user may distribute | no distribution yet |
| patent_deadline | planning.filingdeadline (change) | open, due within 90 days or overdue, of a family the user manages (or of no manager's, for those to be reminded) |
| access_request | access.accessrequest (decide) | pending |
| subsidy_decide | subsidies.application (decide) | submitted, reviewed (round finalised or override) or recognised |
| import_failed | imports.importjob (change) | the user's own job failed or was interrupted, and not run again |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from opentto.access.models import AccessRequest
from opentto.core.money import format_yuan
from opentto.evaluation.models import ReviewAssignment, ReviewRound
from opentto.imports.models import ImportJob
from opentto.landing.models import (
    Deal,
    Payment,
    PaymentScheduleItem,
    PriceMethodChoices,
    PublicNotice,
    RoyaltyReport,
)
from opentto.patents.models import FilingDeadline
from opentto.planning.models import TransferPlan
from opentto.planning.services import four_eyes_on
from opentto.results.models import Result
from opentto.subsidies.models import Application

from .items import HORIZON_DAYS, NOTICE_HORIZON_DAYS, WorkItem

Source = Callable[[Any, date], list[WorkItem]]
_MONEY = DecimalField(max_digits=16, decimal_places=2)
_ZERO = Value(Decimal("0.00"), output_field=_MONEY)


def _result_titles(user: Any, result_ids: Iterable[int]) -> dict[int, str]:
    """The titles of the results the user may see, by id (one query)."""
    ids = {i for i in result_ids if i is not None}
    if not ids:
        return {}
    return {
        r.pk: r.title
        for r in Result.objects.restrict(user, "view")
        .filter(pk__in=ids)
        .only("pk", "title_zh", "title_en")
    }


def _result_title(titles: dict[int, str], result_id: int) -> str:
    return titles.get(result_id) or _("Result #%(id)s") % {"id": result_id}


def _yuan(value: Decimal | float | int) -> Decimal:
    """A sum read from the database in yuan to the fen (SQLite sums decimals as floats), rounded
    ROUND_HALF_UP."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _deal_title(deal: Deal) -> str:
    return str(deal)


# --- evaluation ------------------------------------------------------------------------------------


def _assignments(user: Any, status: str) -> Any:
    return (
        ReviewAssignment.objects.restrict(user, "review")
        .filter(status=status, review_round__status__in=("open", "consensus"))
        .select_related("review_round__result", "review_round__rubric")
    )


def reviews_to_declare(user: Any, today: date) -> list[WorkItem]:
    """The user's invitations still waiting for their conflict-of-interest declaration."""
    return [
        WorkItem(
            "review_declare",
            a.review_round.result.title,
            a.review_round.deadline,
            a.review_round.deadline < today,
            reverse("evaluation:review", args=[a.pk]),
            "evaluation.reviewassignment",
            a.pk,
            a.review_round.rubric.title,
        )
        for a in _assignments(user, "invited")
    ]


def reviews_to_score(user: Any, today: date) -> list[WorkItem]:
    """The user's accepted reviews not yet submitted."""
    return [
        WorkItem(
            "review_score",
            a.review_round.result.title,
            a.review_round.deadline,
            a.review_round.deadline < today,
            reverse("evaluation:review", args=[a.pk]),
            "evaluation.reviewassignment",
            a.pk,
            a.review_round.rubric.title,
        )
        for a in _assignments(user, "accepted")
    ]


def rounds_needing_reviewers(user: Any, today: date) -> list[WorkItem]:
    """Open rounds the user runs, before their deadline, with fewer active reviewers than required."""
    rounds = list(
        ReviewRound.objects.restrict(user, "manage")
        .filter(status="open", deadline__gte=today)
        .annotate(
            active=Count(
                "assignments",
                filter=Q(assignments__status__in=("invited", "accepted", "submitted")),
            )
        )
        .filter(active__lt=F("min_reviews"))
        .order_by("deadline", "pk")
    )
    titles = _result_titles(user, (r.result_id for r in rounds))
    return [
        WorkItem(
            "round_reviewers",
            _result_title(titles, r.result_id),
            r.deadline,
            False,
            reverse("evaluation:round", args=[r.pk]),
            "evaluation.reviewround",
            r.pk,
            _("%(active)d of %(required)d reviewers invited")
            % {"active": r.active, "required": r.min_reviews},
        )
        for r in rounds
    ]


def rounds_to_close(user: Any, today: date) -> list[WorkItem]:
    """Rounds the user runs that wait for them: open past their deadline, in consensus, scored."""
    rounds = list(
        ReviewRound.objects.restrict(user, "manage")
        .filter(Q(status="open", deadline__lt=today) | Q(status__in=("consensus", "scored")))
        .order_by("deadline", "pk")
    )
    titles = _result_titles(user, (r.result_id for r in rounds))
    return [
        WorkItem(
            "round_close",
            _result_title(titles, r.result_id),
            r.deadline,
            r.deadline < today,
            reverse("evaluation:round", args=[r.pk]),
            "evaluation.reviewround",
            r.pk,
            r.get_status_display(),
        )
        for r in rounds
    ]


# --- planning --------------------------------------------------------------------------------------


def plans_to_approve(user: Any, today: date) -> list[WorkItem]:
    """Submitted plans the user may decide on; under four-eyes approval not those they drafted or
    last changed (``planning.services.four_eyes_problem`` refuses them the approval)."""
    plans = TransferPlan.objects.restrict(user, "decide").filter(status="submitted")
    if four_eyes_on():
        plans = plans.exclude(created_by_id=user.pk).exclude(changed_by_id=user.pk)
    rows = list(plans.order_by("submitted_at", "pk"))
    titles = _result_titles(user, (p.result_id for p in rows))
    return [
        WorkItem(
            "plan_approve",
            _result_title(titles, p.result_id),
            None,
            False,
            reverse("planning:result", args=[p.result_id]),
            "planning.transferplan",
            p.pk,
            _("Submitted %(date)s") % {"date": f"{p.submitted_at:%Y-%m-%d}"}
            if p.submitted_at
            else "",
        )
        for p in rows
    ]


def patent_deadlines(user: Any, today: date) -> list[WorkItem]:
    """Open deadlines due within 90 days (or overdue) that the user may change, of the families
    they manage, and of families without a manager for those the TTO reminds (``be_reminded``)."""
    reminded = FilingDeadline.objects.restrict(user, "be_reminded").values("pk")
    rows = (
        FilingDeadline.objects.restrict(user, "change")
        .filter(status="open", due__lte=today + timedelta(days=HORIZON_DAYS))
        .exclude(filing__status__in=("abandoned", "lapsed"))
        .filter(
            Q(filing__family__manager_id=user.pk)
            | Q(filing__family__manager__isnull=True, pk__in=reminded)
        )
        .select_related("filing__family")
        .order_by("due", "pk")
    )
    items = []
    for d in rows:
        family = d.filing.family
        items.append(
            WorkItem(
                "patent_deadline",
                f"{d.label} · {family.title}",
                d.due,
                d.due < today,
                reverse("planning:result_ip", args=[family.result_id]),
                "patents.filingdeadline",
                d.pk,
                f"{d.office}"
                + (f" · {_('late until')} {d.late_until:%Y-%m-%d}" if d.late_until else ""),
            )
        )
    return items


# --- landing ---------------------------------------------------------------------------------------


def notices_ending(user: Any, today: date) -> list[WorkItem]:
    """Running public notices (公示) ending within 15 days, of deals the user may change."""
    notices = (
        PublicNotice.objects.restrict(user, "view")
        .filter(
            status="running",
            ends_on__gte=today,
            ends_on__lte=today + timedelta(days=NOTICE_HORIZON_DAYS),
        )
        .filter(deal__in=Deal.objects.restrict(user, "change").values("pk"))
        .select_related("deal")
        .order_by("ends_on", "pk")
    )
    return [
        WorkItem(
            "notice_ending",
            _deal_title(n.deal),
            n.ends_on,
            False,
            reverse("landing:detail", args=[n.deal_id]),
            "landing.publicnotice",
            n.pk,
            _("Notice %(start)s – %(end)s")
            % {"start": f"{n.starts_on:%Y-%m-%d}", "end": f"{n.ends_on:%Y-%m-%d}"},
        )
        for n in notices
    ]


def deals_to_sign(user: Any, today: date) -> list[WorkItem]:
    """Deals the user may sign that can be signed now: a draft whose price needs no public notice,
    or a deal whose notice has run its full period (it may be signed the day after it ends),
    covering only results in landing."""
    not_landing = Deal.objects.filter(
        results__stage__in=(
            "onboarding",
            "evaluation",
            "planning",
            "on_hold",
            "withdrawn",
            "declined",
        )
    )
    deals = (
        Deal.objects.restrict(user, "sign")
        .filter(status__in=("draft", "notice"))
        .exclude(pk__in=not_landing.values("pk"))
        .select_related("counterparty")
        .prefetch_related("notices")
        .order_by("pk")
    )
    items = []
    for deal in deals:
        if deal.status == "draft":
            if deal.price_method == PriceMethodChoices.NEGOTIATED:
                continue
            due = None
        else:
            ended = [
                n.ends_on for n in deal.notices.all() if n.status == "running" and n.ends_on < today
            ]
            if not ended:
                continue
            due = max(ended) + timedelta(days=1)
        items.append(
            WorkItem(
                "deal_sign",
                _deal_title(deal),
                due,
                False,
                reverse("landing:detail", args=[deal.pk]),
                "landing.deal",
                deal.pk,
                str(deal.counterparty),
            )
        )
    return items


def _money_deals(user: Any, action: str) -> Any:
    return Deal.objects.restrict(user, action).values("pk")


def _short(amount: Decimal | None, received: Decimal | float | int) -> bool:
    """Less received than due (nothing at all, when no amount is set), compared to the fen."""
    return _yuan(received) == 0 if amount is None else _yuan(received) < amount


def payments_overdue(user: Any, today: date) -> list[WorkItem]:
    """Schedule items past due with less received than due (nothing, when no amount is set), on
    signed deals the user may record payments of."""
    rows = (
        PaymentScheduleItem.objects.restrict(user, "view")
        .filter(
            deal__in=_money_deals(user, "record_payment"),
            deal__status__in=("signed", "in_force"),
            due_on__lt=today,
        )
        .annotate(received=Coalesce(Sum("payments__amount_cny"), _ZERO))
        .select_related("deal")
        .order_by("due_on", "pk")
    )
    items = []
    for s in rows:
        if not _short(s.amount_cny, s.received):
            continue
        detail = (
            _("%(due)s due, %(received)s received")
            % {"due": format_yuan(s.amount_cny), "received": format_yuan(_yuan(s.received))}
            if s.amount_cny is not None
            else ""
        )
        items.append(
            WorkItem(
                "payment_overdue",
                f"{_deal_title(s.deal)} · {s}",
                s.due_on,
                True,
                reverse("landing:detail", args=[s.deal_id]),
                "landing.paymentscheduleitem",
                s.pk,
                detail,
            )
        )
    return items


def royalties_overdue(user: Any, today: date) -> list[WorkItem]:
    """Royalty reports past their payment date with less received than due."""
    rows = (
        RoyaltyReport.objects.restrict(user, "view")
        .filter(deal__in=_money_deals(user, "record_payment"), due_on__lt=today)
        .annotate(received=Coalesce(Sum("payments__amount_cny"), _ZERO))
        .select_related("deal")
        .order_by("due_on", "pk")
    )
    return [
        WorkItem(
            "royalty_overdue",
            f"{_deal_title(r.deal)} · {r}",
            r.due_on,
            True,
            reverse("landing:detail", args=[r.deal_id]),
            "landing.royaltyreport",
            r.pk,
            _("%(due)s due, %(received)s received")
            % {"due": format_yuan(r.royalty_due_cny), "received": format_yuan(_yuan(r.received))},
        )
        for r in rows
        if _yuan(r.received) < r.royalty_due_cny
    ]


def distributions_to_run(user: Any, today: date) -> list[WorkItem]:
    """Payments received without a distribution, on deals the user may distribute."""
    rows = (
        Payment.objects.restrict(user, "view")
        .filter(deal__in=_money_deals(user, "distribute"), distribution__isnull=True)
        .select_related("deal")
        .order_by("received_on", "pk")
    )
    return [
        WorkItem(
            "distribution_run",
            _deal_title(p.deal),
            None,
            False,
            reverse("landing:detail", args=[p.deal_id]),
            "landing.payment",
            p.pk,
            _("%(amount)s received on %(date)s")
            % {"amount": format_yuan(p.amount_cny), "date": f"{p.received_on:%Y-%m-%d}"},
        )
        for p in rows
    ]


# --- access, subsidies, imports --------------------------------------------------------------------


def access_requests(user: Any, today: date) -> list[WorkItem]:
    """Pending requests for access under NDA the user may decide."""
    rows = list(
        AccessRequest.objects.restrict(user, "decide")
        .filter(status="pending")
        .select_related("requester")
        .order_by("requested_at", "pk")
    )
    titles = _result_titles(user, (r.result_id for r in rows))
    return [
        WorkItem(
            "access_request",
            _result_title(titles, r.result_id),
            None,
            False,
            reverse("accounts:access"),
            "access.accessrequest",
            r.pk,
            _("Requested by %(name)s on %(date)s")
            % {
                "name": r.requester.get_full_name() or r.requester.username,
                "date": f"{r.requested_at:%Y-%m-%d}",
            },
        )
        for r in rows
    ]


def subsidy_decisions(user: Any, today: date) -> list[WorkItem]:
    """Applications waiting for the user's decision: submitted (send to review or reject), reviewed
    (recognise), recognised (approve)."""
    reviewed = Q(status="under_review") & (
        Q(review_round__status="finalised") | ~Q(review_override_reason="")
    )
    rows = (
        Application.objects.restrict(user, "decide")
        .filter(Q(status__in=("submitted", "recognised")) | reviewed)
        .select_related("applicant")
        .order_by("submitted_at", "pk")
    )
    return [
        WorkItem(
            "subsidy_decide",
            a.project_title or _("Application #%(id)s") % {"id": a.pk},
            None,
            False,
            reverse("subsidies:detail", args=[a.pk]),
            "subsidies.application",
            a.pk,
            f"{a.applicant} · {a.get_status_display()}",
        )
        for a in rows
    ]


def imports_failed(user: Any, today: date) -> list[WorkItem]:
    """The user's own import jobs that failed or were interrupted and were not run again (a newer
    job on the same file: a higher id, since two jobs can carry the same creation time)."""
    rerun = ImportJob.objects.filter(file=OuterRef("file"), pk__gt=OuterRef("pk"))
    rows = (
        ImportJob.objects.restrict(user, "change")
        .filter(created_by_id=user.pk, status__in=("failed", "interrupted"))
        .exclude(Exists(rerun))
        .order_by("created_at", "pk")
    )
    return [
        WorkItem(
            "import_failed",
            j.original_name,
            None,
            False,
            reverse("imports:job", args=[j.token]),
            "imports.importjob",
            j.pk,
            f"{j.get_kind_display()} · {j.get_status_display()}",
        )
        for j in rows
    ]


#: Every source, in the order of ``items.KINDS``.
SOURCES: dict[str, Source] = {
    "review_declare": reviews_to_declare,
    "review_score": reviews_to_score,
    "round_reviewers": rounds_needing_reviewers,
    "round_close": rounds_to_close,
    "plan_approve": plans_to_approve,
    "notice_ending": notices_ending,
    "deal_sign": deals_to_sign,
    "payment_overdue": payments_overdue,
    "royalty_overdue": royalties_overdue,
    "distribution_run": distributions_to_run,
    "patent_deadline": patent_deadlines,
    "access_request": access_requests,
    "subsidy_decide": subsidy_decisions,
    "import_failed": imports_failed,
}
