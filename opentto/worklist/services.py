"""The bulk actions of "My work". Each item is checked again through the permission system when
the action runs, and written on its own: an item refused (not visible, not allowed, or refused by
the domain service) is reported with its reason and leaves nothing behind, the others go ahead.

- :func:`work_items_assign_reviewer`: one reviewer to several results' open review rounds, through
  ``evaluation.services.review_assign`` (which asks ``manage`` on the round and checks conflicts).
- :func:`work_items_remind`: a reminder to whoever can do something about the item (the reviewers
  who have not submitted, the counterparty's users of an overdue payment or royalty, the manager of
  a patent family), through ``notifications.services.notification_send``; each reminder is
  recorded in the audit log (``worklist.remind``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, users_permitted
from opentto.evaluation.models import ReviewRound
from opentto.evaluation.services import review_assign
from opentto.landing.models import Deal, PaymentScheduleItem, RoyaltyReport
from opentto.notifications.services import notification_send
from opentto.patents.models import FilingDeadline

from .items import ROUND_KINDS, WorkItem
from .selectors import items_by_key, work_items


@dataclass
class BulkOutcome:
    """What a bulk action did: the items done, and those refused with the reason."""

    done: list[WorkItem] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (item title or key, reason)


def _selected(actor: User, keys: list[str], outcome: BulkOutcome) -> list[WorkItem]:
    """The actor's current lines named by ``keys``; the others are refused (not waiting for them)."""
    found, missing = items_by_key(work_items(actor), keys)
    for key in missing:
        outcome.refused.append(
            (key, _("This item is not in your work queue (done already, or not yours)."))
        )
    return found


def work_items_assign_reviewer(*, keys: list[str], reviewer: User, actor: User) -> BulkOutcome:
    """Invite ``reviewer`` to the review rounds named by ``keys`` (lines of the round kinds)."""
    outcome = BulkOutcome()
    for item in _selected(actor, keys, outcome):
        if item.kind not in ROUND_KINDS:
            outcome.refused.append((item.title, _("Reviewers are assigned to review rounds only.")))
            continue
        review_round = (
            ReviewRound.objects.restrict(actor, "manage").filter(pk=item.object_id).first()
        )
        if review_round is None:
            outcome.refused.append((item.title, _("You may not run this review round.")))
            continue
        try:
            review_assign(review_round=review_round, reviewer=reviewer, actor=actor)
        except ValidationError as exc:
            outcome.refused.append((item.title, " ".join(exc.messages)))
        except PermissionError as exc:
            outcome.refused.append((item.title, str(exc)))
        else:
            outcome.done.append(item)
    return outcome


@dataclass(frozen=True)
class Reminder:
    recipients: list[User]
    obj: Any
    url: str
    title_zh: str
    title_en: str


def _reminder(item: WorkItem, actor: User) -> Reminder | str:
    """Whom to remind of ``item`` and what to tell them, or why no one can be reminded."""
    if item.kind in ROUND_KINDS:
        review_round = (
            ReviewRound.objects.restrict(actor, "manage")
            .select_related("result")
            .filter(pk=item.object_id)
            .first()
        )
        if review_round is None:
            return _("You may not run this review round.")
        pending = review_round.assignments.filter(
            status__in=("invited", "accepted")
        ).select_related("reviewer")
        r = review_round.result
        return Reminder(
            [a.reviewer for a in pending if allows(a.reviewer, a, "review")],
            review_round,
            reverse("evaluation:my_reviews"),
            f"评审提醒：{r.title_zh or r.title_en}（截止 {review_round.deadline:%Y-%m-%d}）",
            f"Review reminder: {r.title_en or r.title_zh} (due {review_round.deadline:%Y-%m-%d})",
        )
    if item.kind in ("payment_overdue", "royalty_overdue"):
        model = PaymentScheduleItem if item.kind == "payment_overdue" else RoyaltyReport
        row = (
            model.objects.restrict(actor, "view")
            .select_related("deal")
            .filter(pk=item.object_id)
            .first()
        )
        if row is None or not allows(actor, row.deal, "record_payment"):
            return _("You may not record payments of this deal.")
        deal: Deal = row.deal
        recipients = [
            u
            for u in users_permitted(Deal, "view").filter(organisation_id=deal.counterparty_id)
            if allows(u, deal, "view")
        ]
        what_zh, what_en = (
            ("付款", "Payment") if item.kind == "payment_overdue" else ("提成费", "Royalty")
        )
        return Reminder(
            recipients,
            row,
            item.url,
            f"{what_zh}逾期提醒：{deal.name_in('zh-hans')}（{row}，应付日 {row.due_on:%Y-%m-%d}）",
            f"{what_en} overdue: {deal.name_in('en')} ({row}, due {row.due_on:%Y-%m-%d})",
        )
    if item.kind == "patent_deadline":
        deadline = (
            FilingDeadline.objects.restrict(actor, "change")
            .select_related("filing__family__manager")
            .filter(pk=item.object_id)
            .first()
        )
        if deadline is None:
            return _("You may not change this deadline.")
        manager = deadline.filing.family.manager
        recipients = (
            [manager]
            if manager is not None
            and manager.pk != actor.pk
            and allows(manager, deadline, "change")
            else []
        )
        family = deadline.filing.family
        return Reminder(
            recipients,
            deadline,
            item.url,
            f"专利期限提醒：{deadline.label} · {family.title_zh or family.title_en}（{deadline.due:%Y-%m-%d}）",
            f"Patent deadline: {deadline.label} · {family.title_en or family.title_zh} ({deadline.due:%Y-%m-%d})",
        )
    return _("There is no one else to remind of this item.")


def work_items_remind(*, keys: list[str], actor: User) -> BulkOutcome:
    """Send a reminder for each item named by ``keys`` that has someone to remind."""
    outcome = BulkOutcome()
    for item in _selected(actor, keys, outcome):
        reminder = _reminder(item, actor)
        if isinstance(reminder, str):
            outcome.refused.append((item.title, reminder))
            continue
        recipients = [u for u in reminder.recipients if u.is_active]
        if not recipients:
            outcome.refused.append((item.title, _("There is no one else to remind of this item.")))
            continue
        with transaction.atomic():
            notification_send(
                recipients=recipients,
                kind=f"worklist.remind_{item.kind}",
                title_zh=reminder.title_zh,
                title_en=reminder.title_en,
                url=reminder.url,
            )
            audit_record(
                actor=actor,
                action="worklist.remind",
                obj=reminder.obj,
                payload={"kind": item.kind, "recipients": sorted(u.pk for u in recipients)},
            )
        outcome.done.append(item)
    return outcome
