"""Writes for operations planning: plans and their workflow, deal rooms, overseas channels and
companion services (the IP layout's writes are in ``opentto.patents.services``, financing's in
``opentto.financing.services``). Every service validates first (``ValidationError`` keyed by field), then
writes in one transaction and records an audit event. Only TTO staff (admin, manager) write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.core.transitions import transition
from opentto.organisations.models import Organisation, OrganisationKindChoices
from opentto.patents.checks import Errors
from opentto.patents.checks import fraction as _fraction
from opentto.patents.checks import money as _money
from opentto.patents.checks import planner as _planner
from opentto.patents.checks import raise_errors as _raise
from opentto.patents.checks import require as _require
from opentto.patents.models import (
    Filing,
)
from opentto.results.models import Attachment, Result, ResultStageChoices

from .hooks import outcomes_for
from .models import (
    PLAN_TRANSITIONS,
    TASK_TRANSITIONS,
    DealRoom,
    DealRoomInvite,
    LicenceTypeChoices,
    NegotiationEntry,
    OverseasChannel,
    OverseasChannelStatusChoices,
    PlanTarget,
    PlanTargetStatusChoices,
    ServiceKindChoices,
    ServiceLogEntry,
    ServiceTask,
    ServiceTaskStatusChoices,
    TransferModeChoices,
    TransferOption,
    TransferPlan,
    TransferPlanEvent,
    TransferPlanStatusChoices,
)

P = TransferPlanStatusChoices


# --- transfer plan ----------------------------------------------------------------------------


def _plan_event(
    plan: TransferPlan,
    source: str,
    target: str,
    actor: User | None,
    note: str = "",
    at: datetime | None = None,
) -> None:
    TransferPlanEvent.objects.create(
        plan=plan,
        from_status=source,
        to_status=target,
        actor=actor,
        note=note,
        occurred_at=at or timezone.now(),
    )


def plan_create(
    *,
    result: Result,
    transfer_mode: str = "",
    summary_zh: str = "",
    summary_en: str = "",
    actor: User,
) -> TransferPlan:
    """A draft plan for a result in planning (or landing, to revise the approach)."""
    _require(actor, result, "plan")
    errors: Errors = {}
    if transfer_mode and transfer_mode not in TransferModeChoices.values:
        errors["transfer_mode"] = [_("Choose the transfer mode.")]
    if result.stage not in {ResultStageChoices.PLANNING, ResultStageChoices.LANDING}:
        errors["result"] = [_("Plans are made for results in planning or landing.")]
    _raise(errors)
    with transaction.atomic():
        plan = TransferPlan.objects.create(
            result=result,
            transfer_mode=transfer_mode,
            summary_zh=summary_zh.strip(),
            summary_en=summary_en.strip(),
            created_by=actor,
            changed_by=actor,
            status=P.DRAFT,
        )
        _plan_event(plan, "", P.DRAFT, actor)
        audit_record(
            actor=actor,
            action="plan.create",
            obj=plan,
            payload={"result": result.pk, "outcomes": outcomes_for(result)},
        )
    return plan


def plan_update(
    *, plan: TransferPlan, transfer_mode: str, summary_zh: str, summary_en: str, actor: User
) -> TransferPlan:
    _require(actor, plan, "change")
    if transfer_mode and transfer_mode not in TransferModeChoices.values:
        raise ValidationError({"transfer_mode": [_("Choose the transfer mode.")]})
    with transaction.atomic():
        locked = TransferPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != P.DRAFT:
            raise ValidationError(
                {"status": [_("Only a draft plan can be changed; revise a rejected plan first.")]}
            )
        locked.transfer_mode = transfer_mode
        locked.summary_zh = summary_zh.strip()
        locked.summary_en = summary_en.strip()
        locked.changed_by = actor
        locked.save(update_fields=["transfer_mode", "summary_zh", "summary_en", "changed_by"])
        audit_record(actor=actor, action="plan.update", obj=locked, payload={"mode": transfer_mode})
    return locked


#: Terms each mode requires, beyond the mode itself.
OPTION_REQUIRED: dict[str, tuple[str, ...]] = {
    TransferModeChoices.LICENCE: ("licence_type", "territory", "term_years"),
    TransferModeChoices.ASSIGNMENT: ("price_cny",),
    TransferModeChoices.EQUITY: ("valuation_cny", "equity_share_percent"),
    TransferModeChoices.SPIN_OFF: ("company_name", "founders", "registered_capital_cny"),
    TransferModeChoices.JOINT_DEVELOPMENT: ("partner_scope", "budget_cny", "duration_months"),
    TransferModeChoices.COMMISSIONED_RD: ("partner_scope", "budget_cny", "duration_months"),
}
MONEY_TERMS = (
    "upfront_fee_cny",
    "minimum_annual_royalty_cny",
    "price_cny",
    "valuation_cny",
    "registered_capital_cny",
    "budget_cny",
)
TEXT_TERMS = (
    "licence_type",
    "field_of_use",
    "territory",
    "vesting",
    "company_name",
    "founders",
    "formation_plan",
    "partner_scope",
    "ip_ownership",
    "notes",
)
INT_TERMS = ("term_years", "duration_months")


def _clean_option_terms(mode: str, terms: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    clean: dict[str, Any] = {}
    if mode not in TransferModeChoices.values:
        errors["mode"] = [_("Choose the transfer mode.")]
        return clean, errors
    for name in TEXT_TERMS:
        clean[name] = str(terms.get(name) or "").strip()
    if clean["licence_type"] and clean["licence_type"] not in LicenceTypeChoices.values:
        errors["licence_type"] = [_("Choose exclusive, sole or non-exclusive.")]
    for name in MONEY_TERMS:
        clean[name] = _money(terms.get(name), name, errors)
    for name in INT_TERMS:
        raw = terms.get(name)
        if raw in (None, ""):
            clean[name] = None
            continue
        try:
            number = int(str(raw))
        except ValueError:
            number = 0
        if number <= 0 or number > 100 * 12:
            errors[name] = [_("Enter a whole number above zero.")]
        clean[name] = number if number > 0 else None
    clean["royalty_rate"] = _fraction(
        terms.get("royalty_rate"), "royalty_rate", errors, required=False
    )
    share = terms.get("equity_share_percent")
    clean["equity_share_percent"] = None
    if share not in (None, ""):
        try:
            value = Decimal(str(share))
            if not (0 < value <= 100):
                raise InvalidOperation
            clean["equity_share_percent"] = value.quantize(Decimal("0.01"))
        except InvalidOperation:
            errors["equity_share_percent"] = [_("Enter a share above 0 and at most 100 (%).")]
    for name in OPTION_REQUIRED[mode]:
        if clean.get(name) in (None, "") and name not in errors:
            errors[name] = [_("Required for this transfer mode.")]
    # milestones: [{"event", "amount_cny"}]
    milestones = []
    for i, m in enumerate(terms.get("milestones") or []):
        event = str(m.get("event", "")).strip()
        amount = _money(m.get("amount_cny"), f"milestones-{i}-amount_cny", errors, required=True)
        if not event:
            errors[f"milestones-{i}-event"] = [_("Name the milestone.")]
        milestones.append({"event": event, "amount_cny": str(amount) if amount is not None else ""})
    clean["milestones"] = milestones
    schedule = []
    total = Decimal(0)
    for i, p in enumerate(terms.get("payment_schedule") or []):
        due = p.get("due")
        try:
            due_date = due if isinstance(due, date) else date.fromisoformat(str(due))
        except ValueError:
            errors[f"payment_schedule-{i}-due"] = [_("Enter the date as YYYY-MM-DD.")]
            due_date = None
        amount = _money(
            p.get("amount_cny"), f"payment_schedule-{i}-amount_cny", errors, required=True
        )
        total += amount or 0
        schedule.append(
            {
                "due": due_date.isoformat() if due_date else "",
                "amount_cny": str(amount) if amount is not None else "",
            }
        )
    if schedule and clean.get("price_cny") is not None and total != clean["price_cny"]:
        errors["payment_schedule"] = [
            _("The payments add up to %(total)s yuan, not the price of %(price)s yuan.")
            % {"total": total, "price": clean["price_cny"]}
        ]
    clean["payment_schedule"] = schedule
    if (
        mode == TransferModeChoices.LICENCE
        and clean["royalty_rate"] is None
        and clean["upfront_fee_cny"] is None
        and not {"royalty_rate", "upfront_fee_cny"} & errors.keys()
    ):
        errors.setdefault("royalty_rate", []).append(
            _("A licence needs an upfront fee, a running royalty, or both.")
        )
    return clean, errors


def plan_option_add(
    *, plan: TransferPlan, mode: str, terms: dict[str, Any], actor: User
) -> TransferOption:
    _require(actor, plan, "change")
    clean, errors = _clean_option_terms(mode, terms)
    _raise(errors)
    with transaction.atomic():
        locked = TransferPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != P.DRAFT:
            raise ValidationError(
                {"mode": [_("Only a draft plan can be changed; revise a rejected plan first.")]}
            )
        option = TransferOption.objects.create(plan=locked, mode=mode, **clean)
        locked.changed_by = actor
        locked.save(update_fields=["changed_by"])
        audit_record(
            actor=actor,
            action="plan.option_add",
            obj=option,
            payload={"plan": locked.pk, "mode": mode},
        )
    return option


def plan_option_remove(*, option: TransferOption, actor: User) -> None:
    _require(actor, option.plan, "change")
    with transaction.atomic():
        plan = TransferPlan.objects.select_for_update().get(pk=option.plan_id)
        if plan.status != P.DRAFT:
            raise ValidationError(
                {"mode": [_("Only a draft plan can be changed; revise a rejected plan first.")]}
            )
        audit_record(
            actor=actor,
            action="plan.option_remove",
            obj=plan,
            payload={"option": option.pk, "mode": option.mode},
        )
        option.delete()
        plan.changed_by = actor
        plan.save(update_fields=["changed_by"])


def plan_target_add(
    *, plan: TransferPlan, organisation: Organisation, rationale: str = "", actor: User
) -> PlanTarget:
    _require(actor, plan, "change")
    errors: Errors = {}
    if organisation.kind not in {
        OrganisationKindChoices.ENTERPRISE,
        OrganisationKindChoices.INVESTOR,
    }:
        errors["organisation"] = [_("A target is an enterprise (or an investor for a spin-off).")]
    if plan.targets.filter(organisation=organisation).exists():
        errors["organisation"] = [_("This enterprise is already a target of the plan.")]
    _raise(errors)
    with transaction.atomic():
        target = PlanTarget.objects.create(
            plan=plan, organisation=organisation, rationale=rationale.strip()
        )
        audit_record(
            actor=actor,
            action="plan.target_add",
            obj=target,
            payload={"plan": plan.pk, "organisation": organisation.pk},
        )
    return target


def plan_target_set_status(*, target: PlanTarget, status: str, actor: User) -> PlanTarget:
    _require(actor, target.plan, "change")
    if status not in PlanTargetStatusChoices.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    with transaction.atomic():
        locked = PlanTarget.objects.select_for_update().get(pk=target.pk)
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="plan.target_status",
            obj=locked,
            payload={"from": before, "to": status},
        )
    return locked


def negotiation_record(
    *,
    plan: TransferPlan,
    occurred_on: date,
    summary: str,
    organisation: Organisation | None = None,
    next_step: str = "",
    actor: User,
) -> NegotiationEntry:
    _require(actor, plan, "change")
    errors: Errors = {}
    if not summary.strip():
        errors["summary"] = [_("Write what was discussed.")]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [
            _("A negotiation is logged after it happened: the date cannot be in the future.")
        ]
    if organisation is not None and not plan.targets.filter(organisation=organisation).exists():
        errors["organisation"] = [_("Add the enterprise as a target of the plan first.")]
    _raise(errors)
    with transaction.atomic():
        entry = NegotiationEntry.objects.create(
            plan=plan,
            organisation=organisation,
            occurred_on=occurred_on,
            summary=summary.strip(),
            next_step=next_step.strip(),
            actor=actor,
        )
        if organisation is not None:
            plan.targets.filter(
                organisation=organisation,
                status__in=[PlanTargetStatusChoices.PROPOSED, PlanTargetStatusChoices.CONTACTED],
            ).update(status=PlanTargetStatusChoices.NEGOTIATING)
        audit_record(actor=actor, action="plan.negotiation", obj=entry, payload={"plan": plan.pk})
    return entry


def four_eyes_on() -> bool:
    """Whether plans need a second pair of eyes (``OPENTTO_PLAN_FOUR_EYES``, on by default)."""
    return bool(getattr(settings, "OPENTTO_PLAN_FOUR_EYES", True))


def four_eyes_problem(plan: TransferPlan, actor: Any) -> str | None:
    """Why ``actor`` may not approve ``plan`` under the four-eyes rule (``None`` when they may):
    whoever drafted the plan or last changed its content needs another manager or an admin."""
    if not four_eyes_on() or actor is None or actor.pk is None:
        return None
    if actor.pk in {plan.created_by_id, plan.changed_by_id}:
        return _(
            "Four-eyes approval: you drafted or last changed this plan, so another manager or an admin must approve it."
        )
    return None


def plan_problem(plan: TransferPlan, target: str, actor: Any = None) -> str | None:
    """Why ``plan`` cannot move to ``target`` now (``None`` when it can); with ``actor``, also
    whether the four-eyes rule lets them approve it."""
    if (plan.status, target) not in PLAN_TRANSITIONS:
        return PLAN_TRANSITIONS.illegal_problem(plan.status, target).message
    if target in {P.SUBMITTED, P.APPROVED}:
        if not plan.summary_zh.strip() and not plan.summary_en.strip():
            return _("Write the summary in Chinese, in English, or both.")
        if not plan.transfer_mode:
            return _("Choose the recommended transfer mode.")
        if not plan.options.filter(mode=plan.transfer_mode).exists():
            return _("Add the terms of the recommended transfer mode as an option first.")
    if target == P.APPROVED and plan.result.stage != ResultStageChoices.PLANNING:
        return _("The result is not in planning.")
    if target == P.APPROVED and actor is not None:
        return four_eyes_problem(plan, actor)
    return None


def _plan_move(
    plan: TransferPlan, target: str, actor: User, note: str = "", at: datetime | None = None
) -> TransferPlan:
    """One move through ``PLAN_TRANSITIONS`` (``opentto.core.transitions.transition``): the
    permission first (``decide`` to approve or reject, else ``change``), then the edge, what the
    plan needs (``plan_problem``, four-eyes included) and, to reject, a reason."""
    when = at or timezone.now()
    note = note.strip()

    def fields(locked: TransferPlan) -> dict[str, Any]:
        problem = plan_problem(locked, target, actor)
        if problem is not None:
            raise ValidationError({"status": [problem]})
        values: dict[str, Any] = {}
        if target == P.SUBMITTED:
            values["submitted_at"] = when
        if target == P.APPROVED:
            for previous in TransferPlan.objects.select_for_update().filter(
                result_id=locked.result_id, status=P.APPROVED
            ):
                previous.status = P.SUPERSEDED
                previous.save(update_fields=["status"])
                _plan_event(previous, P.APPROVED, P.SUPERSEDED, actor, at=when)
            values.update(approved_by=actor, approved_at=when)
        if target in {P.APPROVED, P.REJECTED}:
            values["decision_note"] = note
        return values

    def payload(locked: TransferPlan, source: str) -> dict[str, Any]:
        found: dict[str, Any] = {"from": source, "to": target, "note": note}
        if (
            target == P.APPROVED
        ):  # what the approval knew of other outcomes (e.g. proof of concept: hooks.py)
            found["outcomes"] = outcomes_for(locked.result)
        return found

    return transition(
        obj=plan,
        target=target,
        actor=actor,
        table=PLAN_TRANSITIONS,
        queryset=TransferPlan.objects.select_related("result"),
        fields=fields,
        reason=note,
        event=lambda locked, source, edge: _plan_event(
            locked, source, edge.target, actor, note, when
        ),
        audit_payload=payload,
    )


def plan_submit(*, plan: TransferPlan, actor: User) -> TransferPlan:
    return _plan_move(plan, P.SUBMITTED, actor)


def plan_decide_approve(
    *, plan: TransferPlan, note: str = "", actor: User, at: datetime | None = None
) -> TransferPlan:
    """The manager's approval of a submitted plan; a previously approved plan is superseded."""
    return _plan_move(plan, P.APPROVED, actor, note, at)


def plan_reject(*, plan: TransferPlan, reason: str, actor: User) -> TransferPlan:
    return _plan_move(plan, P.REJECTED, actor, reason)


def plan_revise(*, plan: TransferPlan, actor: User) -> TransferPlan:
    return _plan_move(plan, P.DRAFT, actor)


def _plan_one_step(
    *,
    result: Result,
    transfer_mode: str,
    summary_zh: str,
    summary_en: str,
    terms: dict[str, Any] | None,
    drafter: User,
    when: datetime,
) -> TransferPlan:
    """Create a plan with one option (the recommended mode with its terms) and submit it."""
    errors: Errors = {}
    if transfer_mode not in TransferModeChoices.values:
        errors["transfer_mode"] = [_("Choose the transfer mode.")]
    if not summary_zh.strip() and not summary_en.strip():
        errors["summary_zh"] = [_("Write the summary in Chinese, in English, or both.")]
    if result.stage != ResultStageChoices.PLANNING:
        errors.setdefault("transfer_mode", []).append(_("The result is not in planning."))
    clean: dict[str, Any] = {}
    if terms is not None and transfer_mode in TransferModeChoices.values:
        clean, term_errors = _clean_option_terms(transfer_mode, terms)
        errors.update(term_errors)
    _raise(errors)
    plan = TransferPlan.objects.create(
        result=result,
        transfer_mode=transfer_mode,
        summary_zh=summary_zh.strip(),
        summary_en=summary_en.strip(),
        created_by=drafter,
        changed_by=drafter,
        created_at=when,
        status=P.DRAFT,
    )
    _plan_event(plan, "", P.DRAFT, drafter, at=when)
    TransferOption.objects.create(plan=plan, mode=transfer_mode, created_at=when, **clean)
    audit_record(
        actor=drafter,
        action="plan.create",
        obj=plan,
        payload={"result": result.pk, "one_step": True, "terms": terms is not None},
    )
    return _plan_move(plan, P.SUBMITTED, drafter, at=when)


def plan_propose(
    *,
    result: Result,
    transfer_mode: str,
    summary_zh: str = "",
    summary_en: str = "",
    terms: dict[str, Any],
    actor: User,
) -> TransferPlan:
    """The one-step form under four-eyes approval: create a plan with the recommended mode and its
    terms (validated as in the workspace) and submit it; another manager or an admin approves it."""
    _require(actor, result, "plan")
    with transaction.atomic():
        return _plan_one_step(
            result=result,
            transfer_mode=transfer_mode,
            summary_zh=summary_zh,
            summary_en=summary_en,
            terms=terms,
            drafter=actor,
            when=timezone.now(),
        )


def plan_approve(
    *,
    result: Result,
    transfer_mode: str,
    summary_zh: str = "",
    summary_en: str = "",
    terms: dict[str, Any] | None = None,
    note: str = "",
    actor: User,
    drafted_by: User | None = None,
    approved_at: datetime | None = None,
) -> TransferPlan:
    """Create, submit and approve a one-option plan in one step (the result page's quick form, the
    demo story). ``terms`` are the recommended mode's terms, validated and recorded as in the
    workspace (the quick form always sends them); without them the option carries only the mode
    (decisions recorded elsewhere, e.g. the demo story). ``note`` is the decision note.

    Under four-eyes approval (``OPENTTO_PLAN_FOUR_EYES``) the approver must not be the drafter:
    ``drafted_by`` names the colleague who drafted the plan; without it the actor is the drafter
    and the approval is refused (use ``plan_propose``, and another manager approves)."""
    if not allows(actor, result, "plan") or not permitted(actor, TransferPlan, "decide"):
        raise PermissionError(_("Only TTO managers approve transfer plans."))
    drafter = drafted_by or actor
    if drafted_by is not None and not allows(drafted_by, result, "plan"):
        raise ValidationError({"drafted_by": [_("Choose a TTO manager.")]})
    if four_eyes_on() and drafter.pk == actor.pk:
        raise ValidationError(
            {
                "status": [
                    _(
                        "Four-eyes approval: you drafted or last changed this plan, so another manager or an admin must approve it."
                    )
                ]
            }
        )
    when = approved_at or timezone.now()
    with transaction.atomic():
        plan = _plan_one_step(
            result=result,
            transfer_mode=transfer_mode,
            summary_zh=summary_zh,
            summary_en=summary_en,
            terms=terms,
            drafter=drafter,
            when=when,
        )
        plan = _plan_move(plan, P.APPROVED, actor, note, at=when)
    return plan


# --- deal rooms ----------------------------------------------------------------------------------


def deal_room_create(
    *, result: Result, title: str, attachments: Sequence[Attachment] = (), actor: User
) -> DealRoom:
    _require(actor, result, "plan")
    errors: Errors = {}
    if not title.strip():
        errors["title"] = [_("Give the room a title.")]
    # Only documents of this result the actor may read themselves are shared.
    if any(a.result_id != result.pk for a in attachments) or (
        attachments and not allows(actor, result, "view_details")
    ):
        errors["attachments"] = [_("Choose documents of this result.")]
    _raise(errors)
    with transaction.atomic():
        room = DealRoom.objects.create(result=result, title=title.strip(), created_by=actor)
        room.attachments.set(attachments)
        audit_record(
            actor=actor,
            action="deal_room.create",
            obj=room,
            payload={"result": result.pk, "attachments": [a.pk for a in attachments]},
        )
    return room


def deal_room_invite(*, room: DealRoom, user: User, actor: User) -> DealRoomInvite:
    from opentto.notifications.services import notification_send

    _require(actor, room, "change")
    errors: Errors = {}
    if not permitted(user, DealRoomInvite, "receive"):
        errors["user"] = [_("Only investor users are invited to a deal room.")]
    elif room.invites.filter(user=user).exists():
        errors["user"] = [_("This investor is already invited.")]
    _raise(errors)
    with transaction.atomic():
        invite = DealRoomInvite.objects.create(room=room, user=user, invited_by=actor)
        notification_send(
            recipients=[user],
            kind="planning.deal_room_invite",
            title_zh=f"邀请您进入项目资料室：{room.title}",
            title_en=f"You are invited to the deal room: {room.title}",
            url=f"/planning/rooms/{room.pk}/",
        )
        audit_record(actor=actor, action="deal_room.invite", obj=room, payload={"user": user.pk})
    return invite


def deal_room_set_open(*, room: DealRoom, is_open: bool, actor: User) -> DealRoom:
    _require(actor, room, "change")
    with transaction.atomic():
        room.is_open = is_open
        room.save(update_fields=["is_open"])
        audit_record(
            actor=actor, action="deal_room.open" if is_open else "deal_room.close", obj=room
        )
    return room


# --- overseas channels and companion services -------------------------------------------------


def _channel_validate(
    *, result_id: int, country: str, status: str, filings: Sequence[Filing]
) -> None:
    """The rules shared by creating and editing an overseas channel."""
    errors: Errors = {}
    if not country.strip():
        errors["country"] = [_("Name the country or region.")]
    if status not in OverseasChannelStatusChoices.values:
        errors["status"] = [_("Choose a status.")]
    if any(f.family.result_id != result_id for f in filings):
        errors["filings"] = [_("Choose filings of this result.")]
    _raise(errors)


def channel_create(
    *,
    result: Result,
    country: str,
    partner: str = "",
    filings: Sequence[Filing] = (),
    status: str = OverseasChannelStatusChoices.EXPLORING,
    notes: str = "",
    actor: User,
) -> OverseasChannel:
    _require(actor, result, "plan")
    _channel_validate(result_id=result.pk, country=country, status=status, filings=filings)
    with transaction.atomic():
        channel = OverseasChannel.objects.create(
            result=result,
            country=country.strip(),
            partner=partner.strip(),
            status=status,
            notes=notes.strip(),
        )
        channel.filings.set(filings)
        audit_record(
            actor=actor,
            action="channel.create",
            obj=channel,
            payload={"result": result.pk, "country": channel.country},
        )
    return channel


def channel_update(
    *,
    channel: OverseasChannel,
    country: str,
    partner: str = "",
    filings: Sequence[Filing] = (),
    status: str,
    notes: str = "",
    actor: User,
) -> OverseasChannel:
    """Edit an overseas channel: country or region, partner, the filings needed there, status, notes."""
    _require(actor, channel, "change")
    _channel_validate(result_id=channel.result_id, country=country, status=status, filings=filings)
    with transaction.atomic():
        locked = OverseasChannel.objects.select_for_update().get(pk=channel.pk)
        before = {
            "country": locked.country,
            "partner": locked.partner,
            "status": locked.status,
            "notes": locked.notes,
            "filings": sorted(locked.filings.values_list("pk", flat=True)),
        }
        locked.country, locked.partner, locked.status, locked.notes = (
            country.strip(),
            partner.strip(),
            status,
            notes.strip(),
        )
        locked.save(update_fields=["country", "partner", "status", "notes"])
        # The form offers the filings the actor may see: the others stay as they were.
        hidden = list(
            locked.filings.exclude(pk__in=Filing.objects.restrict(actor, "view").values("pk"))
        )
        locked.filings.set([*filings, *hidden])
        after = {
            "country": locked.country,
            "partner": locked.partner,
            "status": locked.status,
            "notes": locked.notes,
            "filings": sorted(f.pk for f in [*filings, *hidden]),
        }
        audit_record(
            actor=actor,
            action="channel.update",
            obj=locked,
            payload={
                "changed": {k: [before[k], after[k]] for k in before if before[k] != after[k]}
            },
        )
    return locked


def channel_set_status(*, channel: OverseasChannel, status: str, actor: User) -> OverseasChannel:
    _require(actor, channel, "change")
    if status not in OverseasChannelStatusChoices.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    with transaction.atomic():
        before = channel.status
        channel.status = status
        channel.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="channel.status",
            obj=channel,
            payload={"from": before, "to": status},
        )
    return channel


def task_create(
    *, result: Result, title: str, kind: str, owner: User, due_on: date, actor: User
) -> ServiceTask:
    _require(actor, result, "plan")
    errors: Errors = {}
    if not title.strip():
        errors["title"] = [_("Describe the task.")]
    if kind not in ServiceKindChoices.values:
        errors["kind"] = [_("Choose the kind of service.")]
    _planner(owner, result, "plan", "owner", errors)
    _raise(errors)
    with transaction.atomic():
        task = ServiceTask.objects.create(
            result=result,
            title=title.strip(),
            kind=kind,
            owner=owner,
            due_on=due_on,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="task.create",
            obj=task,
            payload={"result": result.pk, "owner": owner.pk, "due": due_on.isoformat()},
        )
    return task


def task_set_status(*, task: ServiceTask, status: str, actor: User) -> ServiceTask:
    return transition(
        obj=task,
        target=status,
        actor=actor,
        table=TASK_TRANSITIONS,
        audit_action="task.status",
        fields=lambda locked: {
            "completed_at": timezone.now() if status == ServiceTaskStatusChoices.DONE else None
        },
    )


def service_log_record(
    *, result: Result, kind: str, hours: object, notes: str, occurred_on: date, actor: User
) -> ServiceLogEntry:
    _require(actor, result, "plan")
    errors: Errors = {}
    if kind not in ServiceKindChoices.values:
        errors["kind"] = [_("Choose the kind of service.")]
    try:
        value = Decimal(str(hours).strip())
        if (
            not value.is_finite()
            or not (0 < value <= 24)
            or value != value.quantize(Decimal("0.01"))
        ):
            raise InvalidOperation
    except InvalidOperation:
        errors["hours"] = [_("Enter the hours spent that day, above 0 and at most 24 (e.g. 1.5).")]
        value = Decimal(0)
    if not notes.strip():
        errors["notes"] = [_("Write what was done.")]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("The date cannot be in the future.")]
    _raise(errors)
    with transaction.atomic():
        entry = ServiceLogEntry.objects.create(
            result=result,
            kind=kind,
            hours=value,
            notes=notes.strip(),
            occurred_on=occurred_on,
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="service.log",
            obj=entry,
            payload={"result": result.pk, "kind": kind, "hours": str(value)},
        )
    return entry
