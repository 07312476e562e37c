"""Writes for operations planning: plans and their workflow, the IP layout and its deadlines,
financing (valuations, pledge loans, securitisation pools, deal rooms), overseas channels and
companion services. Every service validates first (``ValidationError`` keyed by field), then
writes in one transaction and records an audit event. Only TTO staff (admin, manager) write."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.organisations.models import Organisation, OrganisationKindChoices
from opentto.results.models import Attachment, IPAsset, Result, ResultStageChoices

from . import deadlines as engine
from . import valuation as calc
from .hooks import outcomes_for
from .models import (
    FILING_OFFICES,
    PLAN_TRANSITIONS,
    PLEDGE_STANDING,
    PLEDGE_TRANSITIONS,
    REMINDER_STEPS,
    AbandonmentDecision,
    ApplicantGroundChoices,
    CalendarFeed,
    ConfidentialityExamination,
    ConfidentialityOutcomeChoices,
    DeadlineReminder,
    DeadlineStatusChoices,
    DealRoom,
    DealRoomInvite,
    FeeReductionChoices,
    FeeSchedule,
    FeeScheduleItem,
    Filing,
    FilingApplicant,
    FilingDeadline,
    FilingFeeReduction,
    FilingRouteChoices,
    FilingStatusChoices,
    LicenceTypeChoices,
    NegotiationEntry,
    OverseasChannel,
    OverseasChannelStatusChoices,
    PatentFamily,
    PatentKindChoices,
    PlanTarget,
    PlanTargetStatusChoices,
    PledgedAsset,
    PledgeLoan,
    PledgeLoanStatusChoices,
    PoolAsset,
    PoolCashFlow,
    SecuritisationPool,
    ServiceKindChoices,
    ServiceLogEntry,
    ServiceTask,
    ServiceTaskStatusChoices,
    TransferModeChoices,
    TransferOption,
    TransferPlan,
    TransferPlanEvent,
    TransferPlanStatusChoices,
    Valuation,
    ValuationMethodChoices,
)
from .permissions import reminded_without_manager

P = TransferPlanStatusChoices
Errors = dict[str, list[str]]


def _require(actor: Any, obj: Any, action: str) -> None:
    """The rule the pages ask too (``opentto.planning.permissions``): refuse with PermissionError."""
    if not allows(actor, obj, action):
        raise PermissionError(_("Only TTO managers do operations planning."))


def _require_type(actor: Any, model: Any, action: str) -> None:
    if not permitted(actor, model, action):
        raise PermissionError(_("Only TTO managers do operations planning."))


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _money(value: object, field: str, errors: Errors, *, required: bool = False, positive: bool = False) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(field, []).append(_("This amount is required."))
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter an amount in yuan, e.g. 1200000.00."))
        return None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        errors.setdefault(field, []).append(_("Enter an amount above zero.") if positive else _("An amount cannot be negative."))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.setdefault(field, []).append(_("Amounts are in yuan with at most two decimals (fen)."))
        return None
    return amount


def _fraction(value: object, field: str, errors: Errors, *, required: bool = True, upper: Decimal = Decimal(1), lower_open: bool = False) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(field, []).append(_("This rate is required."))
        return None
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter a rate as a fraction, e.g. 0.05 for 5%."))
        return None
    if not rate.is_finite() or rate < 0 or rate >= upper or (lower_open and rate == 0):
        errors.setdefault(field, []).append(_("Enter a rate as a fraction from 0 up to (not including) %(upper)s, e.g. 0.05 for 5%%.") % {"upper": upper})
        return None
    return rate


# --- transfer plan ----------------------------------------------------------------------------


def _plan_event(plan: TransferPlan, source: str, target: str, actor: User | None, note: str = "", at: datetime | None = None) -> None:
    TransferPlanEvent.objects.create(plan=plan, from_status=source, to_status=target, actor=actor, note=note, occurred_at=at or timezone.now())


def plan_create(*, result: Result, transfer_mode: str = "", summary_zh: str = "", summary_en: str = "", actor: User) -> TransferPlan:
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
            result=result, transfer_mode=transfer_mode, summary_zh=summary_zh.strip(), summary_en=summary_en.strip(),
            created_by=actor, changed_by=actor, status=P.DRAFT,
        )
        _plan_event(plan, "", P.DRAFT, actor)
        audit_record(actor=actor, action="plan.create", obj=plan, payload={"result": result.pk, "outcomes": outcomes_for(result)})
    return plan


def plan_update(*, plan: TransferPlan, transfer_mode: str, summary_zh: str, summary_en: str, actor: User) -> TransferPlan:
    _require(actor, plan, "change")
    if transfer_mode and transfer_mode not in TransferModeChoices.values:
        raise ValidationError({"transfer_mode": [_("Choose the transfer mode.")]})
    with transaction.atomic():
        locked = TransferPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != P.DRAFT:
            raise ValidationError({"status": [_("Only a draft plan can be changed; revise a rejected plan first.")]})
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
MONEY_TERMS = ("upfront_fee_cny", "minimum_annual_royalty_cny", "price_cny", "valuation_cny", "registered_capital_cny", "budget_cny")
TEXT_TERMS = ("licence_type", "field_of_use", "territory", "vesting", "company_name", "founders", "formation_plan", "partner_scope", "ip_ownership", "notes")
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
    clean["royalty_rate"] = _fraction(terms.get("royalty_rate"), "royalty_rate", errors, required=False)
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
        amount = _money(p.get("amount_cny"), f"payment_schedule-{i}-amount_cny", errors, required=True)
        total += amount or 0
        schedule.append({"due": due_date.isoformat() if due_date else "", "amount_cny": str(amount) if amount is not None else ""})
    if schedule and clean.get("price_cny") is not None and total != clean["price_cny"]:
        errors["payment_schedule"] = [_("The payments add up to %(total)s yuan, not the price of %(price)s yuan.") % {"total": total, "price": clean["price_cny"]}]
    clean["payment_schedule"] = schedule
    if mode == TransferModeChoices.LICENCE and clean["royalty_rate"] is None and clean["upfront_fee_cny"] is None and not {"royalty_rate", "upfront_fee_cny"} & errors.keys():
        errors.setdefault("royalty_rate", []).append(_("A licence needs an upfront fee, a running royalty, or both."))
    return clean, errors


def plan_option_add(*, plan: TransferPlan, mode: str, terms: dict[str, Any], actor: User) -> TransferOption:
    _require(actor, plan, "change")
    clean, errors = _clean_option_terms(mode, terms)
    _raise(errors)
    with transaction.atomic():
        locked = TransferPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != P.DRAFT:
            raise ValidationError({"mode": [_("Only a draft plan can be changed; revise a rejected plan first.")]})
        option = TransferOption.objects.create(plan=locked, mode=mode, **clean)
        locked.changed_by = actor
        locked.save(update_fields=["changed_by"])
        audit_record(actor=actor, action="plan.option_add", obj=option, payload={"plan": locked.pk, "mode": mode})
    return option


def plan_option_remove(*, option: TransferOption, actor: User) -> None:
    _require(actor, option.plan, "change")
    with transaction.atomic():
        plan = TransferPlan.objects.select_for_update().get(pk=option.plan_id)
        if plan.status != P.DRAFT:
            raise ValidationError({"mode": [_("Only a draft plan can be changed; revise a rejected plan first.")]})
        audit_record(actor=actor, action="plan.option_remove", obj=plan, payload={"option": option.pk, "mode": option.mode})
        option.delete()
        plan.changed_by = actor
        plan.save(update_fields=["changed_by"])


def plan_target_add(*, plan: TransferPlan, organisation: Organisation, rationale: str = "", actor: User) -> PlanTarget:
    _require(actor, plan, "change")
    errors: Errors = {}
    if organisation.kind not in {OrganisationKindChoices.ENTERPRISE, OrganisationKindChoices.INVESTOR}:
        errors["organisation"] = [_("A target is an enterprise (or an investor for a spin-off).")]
    if plan.targets.filter(organisation=organisation).exists():
        errors["organisation"] = [_("This enterprise is already a target of the plan.")]
    _raise(errors)
    with transaction.atomic():
        target = PlanTarget.objects.create(plan=plan, organisation=organisation, rationale=rationale.strip())
        audit_record(actor=actor, action="plan.target_add", obj=target, payload={"plan": plan.pk, "organisation": organisation.pk})
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
        audit_record(actor=actor, action="plan.target_status", obj=locked, payload={"from": before, "to": status})
    return locked


def negotiation_record(*, plan: TransferPlan, occurred_on: date, summary: str, organisation: Organisation | None = None, next_step: str = "", actor: User) -> NegotiationEntry:
    _require(actor, plan, "change")
    errors: Errors = {}
    if not summary.strip():
        errors["summary"] = [_("Write what was discussed.")]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("A negotiation is logged after it happened: the date cannot be in the future.")]
    if organisation is not None and not plan.targets.filter(organisation=organisation).exists():
        errors["organisation"] = [_("Add the enterprise as a target of the plan first.")]
    _raise(errors)
    with transaction.atomic():
        entry = NegotiationEntry.objects.create(plan=plan, organisation=organisation, occurred_on=occurred_on, summary=summary.strip(), next_step=next_step.strip(), actor=actor)
        if organisation is not None:
            plan.targets.filter(organisation=organisation, status__in=[PlanTargetStatusChoices.PROPOSED, PlanTargetStatusChoices.CONTACTED]).update(status=PlanTargetStatusChoices.NEGOTIATING)
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
        return _("Four-eyes approval: you drafted or last changed this plan, so another manager or an admin must approve it.")
    return None


def plan_problem(plan: TransferPlan, target: str, actor: Any = None) -> str | None:
    """Why ``plan`` cannot move to ``target`` now (``None`` when it can); with ``actor``, also
    whether the four-eyes rule lets them approve it."""
    if (plan.status, target) not in PLAN_TRANSITIONS:
        return _("A plan cannot move from “%(source)s” to “%(target)s”.") % {"source": P(plan.status).label, "target": P(target).label if target in P.values else target}
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


def _plan_move(plan: TransferPlan, target: str, actor: User, note: str = "", at: datetime | None = None) -> TransferPlan:
    _require(actor, plan, "decide" if target in {P.APPROVED, P.REJECTED} else "change")
    with transaction.atomic():
        locked = TransferPlan.objects.select_for_update().select_related("result").get(pk=plan.pk)
        problem = plan_problem(locked, target, actor)
        if problem is None and target == P.REJECTED and not note.strip():
            problem = _("Give the reason for rejecting the plan.")
        if problem is not None:
            raise ValidationError({"status": [problem]})
        source = locked.status
        when = at or timezone.now()
        fields = ["status"]
        if target == P.SUBMITTED:
            locked.submitted_at = when
            fields.append("submitted_at")
        if target == P.APPROVED:
            for previous in TransferPlan.objects.select_for_update().filter(result_id=locked.result_id, status=P.APPROVED):
                previous.status = P.SUPERSEDED
                previous.save(update_fields=["status"])
                _plan_event(previous, P.APPROVED, P.SUPERSEDED, actor, at=when)
            locked.approved_by = actor
            locked.approved_at = when
            fields += ["approved_by", "approved_at"]
        if target in {P.APPROVED, P.REJECTED}:
            locked.decision_note = note.strip()
            fields.append("decision_note")
        locked.status = target
        locked.save(update_fields=fields)
        _plan_event(locked, source, target, actor, note.strip(), when)
        payload: dict[str, Any] = {"from": source, "to": target, "note": note.strip()}
        if target == P.APPROVED:  # what the approval knew of other outcomes (e.g. proof of concept: hooks.py)
            payload["outcomes"] = outcomes_for(locked.result)
        audit_record(actor=actor, action=f"plan.{PLAN_TRANSITIONS[(source, target)]}", obj=locked, payload=payload)
    return locked


def plan_submit(*, plan: TransferPlan, actor: User) -> TransferPlan:
    return _plan_move(plan, P.SUBMITTED, actor)


def plan_decide_approve(*, plan: TransferPlan, note: str = "", actor: User, at: datetime | None = None) -> TransferPlan:
    """The manager's approval of a submitted plan; a previously approved plan is superseded."""
    return _plan_move(plan, P.APPROVED, actor, note, at)


def plan_reject(*, plan: TransferPlan, reason: str, actor: User) -> TransferPlan:
    return _plan_move(plan, P.REJECTED, actor, reason)


def plan_revise(*, plan: TransferPlan, actor: User) -> TransferPlan:
    return _plan_move(plan, P.DRAFT, actor)


def _plan_one_step(
    *, result: Result, transfer_mode: str, summary_zh: str, summary_en: str, terms: dict[str, Any] | None,
    drafter: User, when: datetime,
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
        result=result, transfer_mode=transfer_mode, summary_zh=summary_zh.strip(), summary_en=summary_en.strip(),
        created_by=drafter, changed_by=drafter, created_at=when, status=P.DRAFT,
    )
    _plan_event(plan, "", P.DRAFT, drafter, at=when)
    TransferOption.objects.create(plan=plan, mode=transfer_mode, created_at=when, **clean)
    audit_record(actor=drafter, action="plan.create", obj=plan, payload={"result": result.pk, "one_step": True, "terms": terms is not None})
    return _plan_move(plan, P.SUBMITTED, drafter, at=when)


def plan_propose(
    *, result: Result, transfer_mode: str, summary_zh: str = "", summary_en: str = "", terms: dict[str, Any], actor: User,
) -> TransferPlan:
    """The one-step form under four-eyes approval: create a plan with the recommended mode and its
    terms (validated as in the workspace) and submit it; another manager or an admin approves it."""
    _require(actor, result, "plan")
    with transaction.atomic():
        return _plan_one_step(result=result, transfer_mode=transfer_mode, summary_zh=summary_zh, summary_en=summary_en, terms=terms, drafter=actor, when=timezone.now())


def plan_approve(
    *, result: Result, transfer_mode: str, summary_zh: str = "", summary_en: str = "", terms: dict[str, Any] | None = None,
    note: str = "", actor: User, drafted_by: User | None = None, approved_at: datetime | None = None,
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
        raise ValidationError({"status": [_("Four-eyes approval: you drafted or last changed this plan, so another manager or an admin must approve it.")]})
    when = approved_at or timezone.now()
    with transaction.atomic():
        plan = _plan_one_step(result=result, transfer_mode=transfer_mode, summary_zh=summary_zh, summary_en=summary_en, terms=terms, drafter=drafter, when=when)
        plan = _plan_move(plan, P.APPROVED, actor, note, at=when)
    return plan


# --- IP layout --------------------------------------------------------------------------------


def _planner(user: User | None, obj: Any, action: str, field: str, errors: Errors) -> None:
    """A user chosen for planning work (a family's manager, a task's owner, an abandonment's
    approver) must be allowed that work on ``obj``."""
    if user is not None and not allows(user, obj, action):
        errors[field] = [_("Choose a TTO manager.")]


def family_create(
    *, result: Result, kind: str, title_zh: str = "", title_en: str = "", made_in_china: bool = True,
    target_offices: Sequence[str] = (), manager: User | None = None, actor: User,
) -> PatentFamily:
    _require(actor, result, "plan")
    errors: Errors = {}
    if kind not in PatentKindChoices.values:
        errors["kind"] = [_("Choose invention, utility model or design.")]
    if not title_zh.strip() and not title_en.strip():
        errors["title_zh"] = [_("Give the title in Chinese, in English, or both.")]
    offices: list[str] = []
    try:
        offices = engine.parse_offices(list(target_offices))
    except engine.DeadlineError:
        errors["target_offices"] = [_("Choose offices from: %(offices)s.") % {"offices": ", ".join(engine.OFFICES)}]
    if kind in engine.KIND_OFFICES and (refused := [o for o in offices if o not in engine.KIND_OFFICES[kind]]):
        errors["target_offices"] = [_("These offices grant no such right: %(offices)s.") % {"offices": ", ".join(refused)}]
    _planner(manager, result, "plan", "manager", errors)
    _raise(errors)
    with transaction.atomic():
        family = PatentFamily.objects.create(
            result=result, kind=kind, title_zh=title_zh.strip(), title_en=title_en.strip(), made_in_china=made_in_china,
            target_offices=offices, manager=manager or actor,
        )
        audit_record(actor=actor, action="ip.family_create", obj=family, payload={"result": result.pk, "kind": kind, "offices": offices})
    return family


def confidentiality_clearance(family: PatentFamily) -> ConfidentialityExamination | None:
    """The record that allows a foreign filing: a cleared examination, or the request made by
    filing the PCT application at CNIPA (the PCT itself may then proceed)."""
    return family.confidentiality_examinations.filter(outcome=ConfidentialityOutcomeChoices.CLEARED).first()


def foreign_filing_problem(family: PatentFamily, *, office: str, route: str, receiving_office: str = "", parent: Filing | None = None) -> str | None:
    """Patent Law art. 19(1): an invention or utility model made in China is filed abroad only
    after the confidentiality examination; filing a PCT application at CNIPA counts as the
    request (art. 19(2)); a breach means no Chinese patent (art. 19(4))."""
    if not family.needs_confidentiality_examination:
        return None
    if office == "CN" and route != FilingRouteChoices.PCT:
        return None
    if route == FilingRouteChoices.PCT and receiving_office == "CN":
        return None  # the PCT filing at CNIPA is itself the request
    if route == FilingRouteChoices.NATIONAL_PHASE and parent is not None and parent.receiving_office == "CN":
        return None
    if confidentiality_clearance(family) is not None:
        return None
    refused = family.confidentiality_examinations.filter(outcome=ConfidentialityOutcomeChoices.REFUSED).exists()
    if refused:
        return _("CNIPA found this invention needs secrecy: it may not be filed abroad (Patent Law art. 19).")
    return _(
        "Record CNIPA's confidentiality examination first: an invention or utility model made in China "
        "may be filed abroad only after it, or the Chinese patent is forfeited (Patent Law art. 19). Filing the PCT "
        "application at CNIPA counts as the request."
    )


def confidentiality_record(
    *, family: PatentFamily, requested_on: date, outcome: str, decided_on: date | None = None, reference: str = "", actor: User,
) -> ConfidentialityExamination:
    _require(actor, family, "change")
    errors: Errors = {}
    if outcome not in ConfidentialityOutcomeChoices.values:
        errors["outcome"] = [_("Choose the outcome.")]
    if outcome != ConfidentialityOutcomeChoices.REQUESTED and decided_on is None:
        errors["decided_on"] = [_("Give the date of CNIPA's decision.")]
    if decided_on is not None and decided_on < requested_on:
        errors["decided_on"] = [_("The decision cannot come before the request.")]
    if requested_on > timezone.localdate():
        errors["requested_on"] = [_("The date cannot be in the future.")]
    _raise(errors)
    with transaction.atomic():
        record = ConfidentialityExamination.objects.create(
            family=family, requested_on=requested_on, outcome=outcome, decided_on=decided_on if outcome != ConfidentialityOutcomeChoices.REQUESTED else None,
            reference=reference.strip(), recorded_by=actor,
        )
        audit_record(actor=actor, action="ip.confidentiality_record", obj=record, payload={"family": family.pk, "outcome": outcome})
    return record


@dataclass
class FilingInput:
    office: str
    route: str
    application_number: str = ""
    filing_date: date | None = None
    priority_date: date | None = None
    planned_by: date | None = None
    grant_date: date | None = None
    receiving_office: str = ""
    parent: Filing | None = None
    compensation_days: int = 0
    ip_asset: IPAsset | None = None


def _engine_rows(filing: Filing) -> list[engine.Deadline]:
    """The engine's deadlines for one filing, as this filing owns them."""
    family = filing.family
    if filing.filing_date is None:
        return []
    kind = family.kind
    if filing.route == FilingRouteChoices.PCT:
        offices = [o for o in family.target_offices if o in engine.KIND_OFFICES[kind]] or ["CN"]
        # Offices already covered by a filing made there (a national-phase entry, or the first
        # filing itself, e.g. CN) need no national-phase deadline.
        entered = set(
            family.filings.exclude(route=FilingRouteChoices.PCT)
            .exclude(status__in=[FilingStatusChoices.PLANNED, FilingStatusChoices.ABANDONED])
            .values_list("office", flat=True)
        ) if family.pk else set()
        rows = engine.compute_deadlines(kind=kind, filing_date=filing.filing_date, priority_date=filing.priority_date, pct=True, offices=offices)
        return [r for r in rows if r.key == "national_phase" and r.office not in entered]
    office = filing.office
    filing_date = filing.filing_date
    if filing.route == FilingRouteChoices.NATIONAL_PHASE and filing.parent is not None and filing.parent.filing_date:
        filing_date = filing.parent.filing_date  # PCT art. 11(3): the international filing date
    rows = engine.compute_deadlines(
        kind=kind, filing_date=filing_date, priority_date=filing.priority_date, grant_date=filing.grant_date,
        offices=[office], first_office=office, compensation_days=filing.compensation_days,
    )
    keep = []
    for r in rows:
        if r.key == "paris_priority" and filing.route != FilingRouteChoices.FIRST:
            continue
        if r.key == "cn_examination_request" and filing.grant_date is not None:
            continue  # granted: the request was made
        keep.append(r)
    return keep


def _deadline_errors(filing: Filing) -> str | None:
    try:
        _engine_rows(filing)
    except engine.DeadlineError as exc:
        return str(exc)
    return None


def filing_deadlines_refresh(*, filing: Filing) -> list[FilingDeadline]:
    """Derive the filing's deadlines again. Open rows the engine no longer gives are removed;
    rows already done stay; abandoned and lapsed filings have no open deadlines."""
    rows = [] if filing.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED} else _engine_rows(filing)
    with transaction.atomic():
        seen: set[int] = set()
        for r in rows:
            obj, _created = FilingDeadline.objects.update_or_create(
                filing=filing, key=r.key, office=r.office, year=r.year,
                defaults={"due": r.due, "late_until": r.late_until, "source": r.source, "note": r.note or ""},
            )
            seen.add(obj.pk)
        stale = filing.deadlines.filter(status=DeadlineStatusChoices.OPEN).exclude(pk__in=seen)
        if filing.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            stale.update(status=DeadlineStatusChoices.WAIVED)
        else:
            stale.delete()
    return list(filing.deadlines.all())


def _validate_filing(family: PatentFamily, data: FilingInput, errors: Errors) -> None:
    if data.office not in FILING_OFFICES:
        errors["office"] = [_("Choose an office.")]
    if data.route not in FilingRouteChoices.values:
        errors["route"] = [_("Choose the route.")]
    if data.route == FilingRouteChoices.PCT and data.office != "WO":
        errors["office"] = [_("A PCT international application is filed with WO as its office.")]
    if data.route != FilingRouteChoices.PCT and data.office == "WO":
        errors["route"] = [_("WO is used only for PCT international applications.")]
    if data.route == FilingRouteChoices.PCT and family.kind == PatentKindChoices.DESIGN:
        errors["route"] = [_("Designs go abroad through the Hague system, not the PCT.")]
    if data.route == FilingRouteChoices.PCT and not data.receiving_office:
        errors["receiving_office"] = [_("Give the receiving office (CN for CNIPA).")]
    if data.route == FilingRouteChoices.NATIONAL_PHASE and (
        data.parent is None or data.parent.route != FilingRouteChoices.PCT or data.parent.family_id != family.pk
    ):
        errors["parent"] = [_("Choose the PCT application of this family that enters the national phase.")]
    if data.route in {FilingRouteChoices.PARIS, FilingRouteChoices.NATIONAL_PHASE} and data.priority_date is None and data.parent is None:
        errors["priority_date"] = [_("Give the priority date claimed.")]
    if data.office in engine.OFFICES and family.kind in engine.KIND_OFFICES and data.office not in engine.KIND_OFFICES[family.kind]:
        errors["office"] = [_("This office grants no such right.")]
    if data.filing_date is None and data.planned_by is None:
        errors["filing_date"] = [_("Give the filing date, or the date to file by for a planned filing.")]
    if data.grant_date is not None and data.filing_date is None:
        errors["grant_date"] = [_("A granted filing needs its filing date.")]
    if data.grant_date is not None and data.filing_date is not None and data.grant_date < data.filing_date:
        errors["grant_date"] = [_("The grant date cannot be before the filing date.")]
    if data.filing_date is not None and data.filing_date > timezone.localdate():
        errors["filing_date"] = [_("A filing date cannot be in the future; use “file by” for a planned filing.")]
    if data.ip_asset is not None and data.ip_asset.result_id != family.result_id:
        errors["ip_asset"] = [_("Choose an IP asset of this result.")]
    if data.filing_date is not None and (problem := foreign_filing_problem(family, office=data.office, route=data.route, receiving_office=data.receiving_office, parent=data.parent)):
        errors["office"] = [problem]


def filing_create(*, family: PatentFamily, data: FilingInput, actor: User) -> Filing:
    """A filing (or a planned one) in the layout; its deadlines are derived at once. A foreign or
    PCT filing of an invention made in China is refused until the confidentiality examination is
    recorded (``foreign_filing_problem``)."""
    _require(actor, family, "change")
    errors: Errors = {}
    priority = data.priority_date or (data.parent.priority_date or data.parent.filing_date if data.parent else None)
    data.priority_date = priority
    _validate_filing(family, data, errors)
    _raise(errors)
    status = FilingStatusChoices.PLANNED
    if data.filing_date is not None:
        status = FilingStatusChoices.GRANTED if data.grant_date else FilingStatusChoices.FILED
    filing = Filing(
        family=family, office=data.office, route=data.route, receiving_office=data.receiving_office.strip().upper(),
        parent=data.parent, application_number=data.application_number.strip(), filing_date=data.filing_date,
        priority_date=priority, planned_by=data.planned_by, grant_date=data.grant_date,
        compensation_days=data.compensation_days, status=status, ip_asset=data.ip_asset,
    )
    if problem := _deadline_errors(filing):
        raise ValidationError({"filing_date": [problem]})
    with transaction.atomic():
        filing.save()
        _record_pct_request(filing, actor)
        filing_deadlines_refresh(filing=filing)
        if filing.parent is not None and filing.status != FilingStatusChoices.PLANNED:
            filing_deadlines_refresh(filing=filing.parent)
        audit_record(actor=actor, action="ip.filing_create", obj=filing, payload={"family": family.pk, "office": filing.office, "route": filing.route, "status": status})
    return filing


def _record_pct_request(filing: Filing, actor: User) -> None:
    """A PCT application filed at CNIPA counts as the confidentiality-examination request
    (Patent Law art. 19; Implementing Regulations (2023 revision) rule 8): record it once."""
    family = filing.family
    if (
        filing.route == FilingRouteChoices.PCT and filing.receiving_office == "CN" and filing.filing_date
        and family.needs_confidentiality_examination
        and not family.confidentiality_examinations.filter(via_pct_at_cnipa=True, reference=filing.application_number).exists()
    ):
        ConfidentialityExamination.objects.create(
            family=family, requested_on=filing.filing_date, via_pct_at_cnipa=True, outcome=ConfidentialityOutcomeChoices.REQUESTED,
            reference=filing.application_number, recorded_by=actor,
        )


#: Fields the edit screen may change, in the order the audit event lists them.
FILING_EDIT_FIELDS = (
    "office", "route", "receiving_office", "parent_id", "application_number", "filing_date", "priority_date", "planned_by",
    "grant_date", "compensation_days", "ip_asset_id",
)


def filing_edit(*, filing: Filing, data: FilingInput, actor: User) -> Filing:
    """Correct or complete a filing (the edit screen): every field the creation form has. The
    office and the route change only while the filing is planned; a filed application keeps a
    filing date; an abandoned or lapsed filing is not changed. The filing's deadlines (and its PCT
    application's) are derived again; all of it in one transaction, or nothing."""
    _require(actor, filing, "change")
    with transaction.atomic():
        locked = Filing.objects.select_for_update(of=("self",)).select_related("family__result", "parent").get(pk=filing.pk)
        if locked.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            raise ValidationError({"status": [_("An abandoned or lapsed filing is not changed.")]})
        errors: Errors = {}
        if locked.status != FilingStatusChoices.PLANNED and (data.office != locked.office or data.route != locked.route):
            errors["office"] = [_("The office and the route of a filed application do not change: abandon it and add the right one.")]
        if locked.status != FilingStatusChoices.PLANNED and data.filing_date is None:
            errors["filing_date"] = [_("A filed application keeps its filing date.")]
        if data.parent is not None and data.parent.pk == locked.pk:
            errors["parent"] = [_("Choose the PCT application of this family that enters the national phase.")]
        if locked.route == FilingRouteChoices.PCT and data.route != FilingRouteChoices.PCT and locked.national_phases.exists():
            errors["route"] = [_("National-phase entries depend on this PCT application: it stays a PCT application.")]
        if locked.ip_asset_id and (data.ip_asset is None or data.ip_asset.pk != locked.ip_asset_id) and PledgedAsset.objects.filter(ip_asset_id=locked.ip_asset_id, is_standing=True).exists():
            errors["ip_asset"] = [_("This patent is under a standing pledge: it stays linked to its filing until the pledge is released.")]
        if data.route != FilingRouteChoices.NATIONAL_PHASE:
            data.parent = None
        if data.route != FilingRouteChoices.PCT:
            data.receiving_office = ""
        data.priority_date = data.priority_date or (data.parent.priority_date or data.parent.filing_date if data.parent else None)
        fixed: Errors = {k: errors[k] for k in ("office", "route") if k in errors}
        _validate_filing(locked.family, data, errors)
        errors.update(fixed)  # a filed application's office and route: the first thing to correct
        _raise(errors)
        before = {name: getattr(locked, name) for name in FILING_EDIT_FIELDS}
        old_parent = locked.parent
        was_planned = locked.status == FilingStatusChoices.PLANNED
        locked.office, locked.route = data.office, data.route
        locked.receiving_office = data.receiving_office.strip().upper()
        locked.parent = data.parent
        locked.application_number = data.application_number.strip()
        locked.filing_date, locked.priority_date, locked.planned_by = data.filing_date, data.priority_date, data.planned_by
        locked.grant_date, locked.compensation_days, locked.ip_asset = data.grant_date, data.compensation_days, data.ip_asset
        locked.status = FilingStatusChoices.PLANNED
        if data.filing_date is not None:
            locked.status = FilingStatusChoices.GRANTED if data.grant_date else FilingStatusChoices.FILED
        if problem := _deadline_errors(locked):
            raise ValidationError({"filing_date": [problem]})
        locked.save()
        if was_planned:
            _record_pct_request(locked, actor)
        filing_deadlines_refresh(filing=locked)
        for parent in {p.pk: p for p in (old_parent, locked.parent) if p is not None}.values():
            filing_deadlines_refresh(filing=parent)
        changed = {
            name: [str(before[name] or ""), str(getattr(locked, name) or "")]
            for name in FILING_EDIT_FIELDS if before[name] != getattr(locked, name)
        }
        audit_record(actor=actor, action="ip.filing_edit", obj=locked, payload={"status": locked.status, "changed": changed})
    return locked


def filing_update(
    *, filing: Filing, application_number: str, filing_date: date | None, grant_date: date | None,
    compensation_days: int = 0, actor: User,
) -> Filing:
    """Record progress (filed, granted) on a filing; its deadlines follow."""
    _require(actor, filing, "change")
    with transaction.atomic():
        locked = Filing.objects.select_for_update(of=("self",)).select_related("family", "parent").get(pk=filing.pk)
        if locked.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            raise ValidationError({"status": [_("An abandoned or lapsed filing is not changed.")]})
        data = FilingInput(
            office=locked.office, route=locked.route, application_number=application_number, filing_date=filing_date,
            priority_date=locked.priority_date, planned_by=locked.planned_by, grant_date=grant_date,
            receiving_office=locked.receiving_office, parent=locked.parent, compensation_days=compensation_days, ip_asset=locked.ip_asset,
        )
        errors: Errors = {}
        _validate_filing(locked.family, data, errors)
        _raise(errors)
        locked.application_number = application_number.strip()
        locked.filing_date = filing_date
        locked.grant_date = grant_date
        locked.compensation_days = compensation_days
        if filing_date is not None:
            locked.status = FilingStatusChoices.GRANTED if grant_date else FilingStatusChoices.FILED
        if problem := _deadline_errors(locked):
            raise ValidationError({"filing_date": [problem]})
        locked.save()
        filing_deadlines_refresh(filing=locked)
        if locked.parent is not None:
            filing_deadlines_refresh(filing=locked.parent)
        audit_record(actor=actor, action="ip.filing_update", obj=locked, payload={"status": locked.status})
    return locked


def deadline_mark_done(*, deadline: FilingDeadline, done_on: date, actor: User) -> FilingDeadline:
    _require(actor, deadline, "change")
    with transaction.atomic():
        locked = FilingDeadline.objects.select_for_update().get(pk=deadline.pk)
        if locked.status != DeadlineStatusChoices.OPEN:
            raise ValidationError({"status": [_("This deadline is no longer open.")]})
        if done_on > timezone.localdate():
            raise ValidationError({"done_on": [_("The date cannot be in the future.")]})
        locked.status = DeadlineStatusChoices.DONE
        locked.done_on = done_on
        locked.save(update_fields=["status", "done_on"])
        audit_record(actor=actor, action="ip.deadline_done", obj=locked, payload={"key": locked.key, "office": locked.office, "year": locked.year})
    return locked


def filing_abandon(*, filing: Filing, decided_on: date, reason: str, approved_by: User, actor: User) -> AbandonmentDecision:
    """Stop a filing (no more fees): recorded with its reason and the approving manager; its
    open deadlines are waived."""
    _require(actor, filing, "change")
    errors: Errors = {}
    if not reason.strip():
        errors["reason"] = [_("Give the reason for abandoning the patent.")]
    _planner(approved_by, filing, "change", "approved_by", errors)
    if decided_on > timezone.localdate():
        errors["decided_on"] = [_("The date cannot be in the future.")]
    _raise(errors)
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing.pk)
        if locked.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            raise ValidationError({"status": [_("This filing is already abandoned or lapsed.")]})
        if locked.ip_asset_id and PledgedAsset.objects.filter(ip_asset_id=locked.ip_asset_id, is_standing=True).exists():
            raise ValidationError({"status": [_("This patent is under a standing pledge: release the pledge before abandoning it.")]})
        decision = AbandonmentDecision.objects.create(filing=locked, decided_on=decided_on, reason=reason.strip(), decided_by=actor, approved_by=approved_by)
        locked.status = FilingStatusChoices.ABANDONED
        locked.save(update_fields=["status"])
        filing_deadlines_refresh(filing=locked)
        audit_record(actor=actor, action="ip.filing_abandon", obj=locked, payload={"reason": reason.strip(), "approved_by": approved_by.pk})
    return decision


def layout_proposals(family: PatentFamily, today: date | None = None) -> list[FilingInput]:
    """Filings the layout still needs to cover its target offices, with the date to file by:
    a PCT application within the priority year when two or more offices abroad are still
    uncovered, otherwise Paris filings; national-phase entries once a PCT application exists."""
    today = today or timezone.localdate()
    filings = list(family.filings.exclude(status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED]))
    first = next((f for f in filings if f.route == FilingRouteChoices.FIRST and f.filing_date), None)
    if first is None or first.filing_date is None:
        return []
    covered = {f.office for f in filings if f.route != FilingRouteChoices.PCT}
    missing = [o for o in family.target_offices if o not in covered]
    if not missing:
        return []
    priority = first.filing_date
    months = engine.PRIORITY_MONTHS[family.kind]
    paris_end = engine.add_months(priority, months)
    pct = next((f for f in filings if f.route == FilingRouteChoices.PCT), None)
    proposals: list[FilingInput] = []
    if pct is not None and pct.filing_date is not None:
        for office in missing:
            due = pct.deadlines.filter(key="national_phase", office=office).values_list("due", flat=True).first()
            if due is not None:
                proposals.append(FilingInput(office=office, route=FilingRouteChoices.NATIONAL_PHASE, planned_by=due, parent=pct, priority_date=pct.priority_date or pct.filing_date))
        return proposals
    if paris_end < today:
        return []
    if len(missing) >= 2 and family.kind != PatentKindChoices.DESIGN and pct is None:
        return [FilingInput(office="WO", route=FilingRouteChoices.PCT, planned_by=paris_end, priority_date=priority, receiving_office="CN")]
    return [FilingInput(office=o, route=FilingRouteChoices.PARIS, planned_by=paris_end, priority_date=priority) for o in missing]


def layout_propose_filings(*, family: PatentFamily, actor: User) -> list[Filing]:
    """Add the proposed filings to the layout as planned filings."""
    _require(actor, family, "change")
    created = []
    with transaction.atomic():
        for proposal in layout_proposals(family):
            if family.filings.filter(office=proposal.office, route=proposal.route, status=FilingStatusChoices.PLANNED).exists():
                continue
            created.append(filing_create(family=family, data=proposal, actor=actor))
    return created


# --- reminders and calendar -------------------------------------------------------------------


OVERDUE_WINDOW_DAYS = 60


def _reminder_step(deadline: FilingDeadline, today: date) -> str | None:
    if deadline.due < today:
        return "overdue"
    days = (deadline.due - today).days
    for step, limit in REMINDER_STEPS:
        if days <= limit:
            return step
    return None


def deadline_reminders_send(*, today: date | None = None) -> int:
    """Remind each family's manager of open deadlines 60, 30 and 7 days ahead and once when
    overdue. Idempotent: one reminder per deadline and step (a unique constraint)."""
    from opentto.notifications.services import notification_send

    today = today or timezone.localdate()
    horizon = today + timedelta(days=max(limit for _step, limit in REMINDER_STEPS))
    candidates = (
        FilingDeadline.objects.filter(status=DeadlineStatusChoices.OPEN, due__lte=horizon)
        # Overdue: still within its late period, or missed within the last 60 days (older open
        # rows are history entered late, not news).
        .filter(Q(due__gte=today - timedelta(days=OVERDUE_WINDOW_DAYS)) | Q(late_until__gte=today))
        .exclude(key="term_end")
        .exclude(filing__status__in=[FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED])
        .select_related("filing__family__result", "filing__family__manager")
    )
    fallback = list(reminded_without_manager())
    sent = 0
    for deadline in candidates:
        step = _reminder_step(deadline, today)
        if step is None or deadline.reminders.filter(step=step).exists():
            continue
        family = deadline.filing.family
        # The family's manager, while they may still see the deadline (a notification names the result).
        manager = family.manager
        recipients = [manager] if manager is not None and manager.is_active and allows(manager, deadline, "view") else fallback
        with transaction.atomic():
            try:
                with transaction.atomic():
                    DeadlineReminder.objects.create(deadline=deadline, step=step, recipient=recipients[0] if recipients else None)
            except IntegrityError:
                continue
            overdue = step == "overdue"
            result = family.result
            late = deadline.late_until.isoformat() if deadline.late_until else "—"
            with translation.override("zh-hans"):
                label_zh = str(deadline.label)
            with translation.override("en"):
                label_en = str(deadline.label)
            title_zh = f"{'已逾期' if overdue else '期限临近'}：{label_zh}（{deadline.office}，{deadline.due.isoformat()}）· {result.title_zh or result.title_en}"
            title_en = f"{'Overdue' if overdue else 'Deadline coming'}: {label_en} ({deadline.office}, {deadline.due.isoformat()}) · {result.title_en or result.title_zh}"
            notification_send(
                recipients=recipients, kind="planning.deadline_overdue" if overdue else "planning.deadline_due",
                title_zh=title_zh[:300], title_en=title_en[:300],
                body_zh=f"到期日 {deadline.due.isoformat()}；宽限期至 {late}。依据：{deadline.source}",
                body_en=f"Due {deadline.due.isoformat()}; late until {late}. Source: {deadline.source}",
                url=f"/planning/results/{result.pk}/ip/",
            )
            sent += 1
    return sent


def calendar_feed_get_or_create(*, user: User) -> CalendarFeed:
    _require_type(user, CalendarFeed, "add")
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if created:
        audit_record(actor=user, action="planning.calendar_feed_create", obj=feed)
    return feed


def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """A new secret address; the old one stops working."""
    _require_type(user, CalendarFeed, "add")
    with transaction.atomic():
        CalendarFeed.objects.filter(user=user).delete()
        feed = CalendarFeed.objects.create(user=user)
        audit_record(actor=user, action="planning.calendar_feed_reset", obj=feed)
    return feed


# --- valuation --------------------------------------------------------------------------------


def remaining_term_years(result: Result, on: date) -> int | None:
    """Whole years from ``on`` to the latest end of term among the result's live filings
    (``term_end`` deadlines), else from its Chinese patent assets (20/10 years from filing)."""
    ends = list(
        FilingDeadline.objects.filter(filing__family__result=result, key="term_end", status=DeadlineStatusChoices.OPEN).values_list("due", flat=True)
    )
    if not ends:
        for asset in result.ip_assets.filter(filing_date__isnull=False, ip_kind__in=["invention", "utility", "design"]).exclude(status__in=["lapsed", "withdrawn"]):
            kind = asset.ip_kind
            try:
                rows = engine.compute_deadlines(kind=kind, filing_date=asset.filing_date, offices=["CN"]) if asset.filing_date else []
            except engine.DeadlineError:
                continue
            ends += [r.due for r in rows if r.key == "term_end"]
    if not ends:
        return None
    end = max(ends)
    years = end.year - on.year - ((end.month, end.day) < (on.month, on.day))
    return max(years, 0)


@dataclass
class ValuationInput:
    valuation_date: date
    revenues: list[str]
    royalty_rate: str
    tax_rate: str
    discount_rate: str
    decay: str = "0"
    reproduction_costs: list[str] | None = None
    obsolescence_rates: list[str] | None = None
    comparable_deal_ids: list[int] | None = None
    market_scale: str = "1"
    concluded_method: str = ValuationMethodChoices.RELIEF_FROM_ROYALTY
    purpose: str = ""
    assumptions_zh: str = ""
    assumptions_en: str = ""


def comparable_deals(user: Any, result: Result | None = None) -> Any:
    """Signed landed deals the user may see that can serve as comparables (the landing app's
    ``Deal.objects.counted()``; only ``amount_cny``, ``deal_type``, ``signed_on``, ``status``,
    ``results`` are read)."""
    from opentto.landing.models import Deal

    qs = Deal.objects.restrict(user, "view").counted().filter(amount_cny__gt=0).order_by("-signed_on", "-id")
    if result is not None:
        qs = qs.exclude(results=result)
    return qs


def valuation_compute(result: Result, data: ValuationInput, *, actor: Any) -> tuple[dict[str, Any], Errors]:
    """Run the approaches; return the fields of a ``Valuation`` and any errors by field. The
    comparables are deals ``actor`` may see."""
    errors: Errors = {}
    values: dict[str, Any] = {}
    revenues: list[Decimal] = []
    for text in data.revenues:
        amount = _money(text, "revenues", errors, required=True)
        if amount is not None:
            revenues.append(amount)
    if not data.revenues:
        errors["revenues"] = [_("Give the revenue forecast, one amount per year.")]
    royalty = _fraction(data.royalty_rate, "royalty_rate", errors)
    tax = _fraction(data.tax_rate, "tax_rate", errors)
    discount = _fraction(data.discount_rate, "discount_rate", errors)
    decay = _fraction(data.decay or "0", "decay", errors)
    remaining = remaining_term_years(result, data.valuation_date)
    if remaining is not None and len(data.revenues) > remaining:
        errors.setdefault("revenues", []).append(
            _("The economic life (%(years)s years) cannot be longer than the remaining patent term (%(remaining)s whole years).") % {"years": len(data.revenues), "remaining": remaining}
        )
    if data.concluded_method not in ValuationMethodChoices.values:
        errors["concluded_method"] = [_("Choose the approach the value is concluded on.")]
    if errors or royalty is None or tax is None or discount is None or decay is None:
        return values, errors
    rfr = calc.relief_from_royalty(revenues, royalty, tax, discount, decay=decay)
    values.update(revenues=[str(r) for r in revenues], royalty_rate=royalty, tax_rate=tax, discount_rate=discount, decay=decay, remaining_term_years=remaining, rfr_value_cny=rfr.value)
    costs = [c for c in (data.reproduction_costs or []) if str(c).strip()]
    obsolescence = [o for o in (data.obsolescence_rates or []) if str(o).strip()]
    values["reproduction_costs"] = [str(c) for c in costs]
    values["obsolescence_rates"] = [str(o) for o in obsolescence]
    values["cost_value_cny"] = None
    if costs:
        try:
            values["cost_value_cny"] = calc.cost_approach([calc.parse_decimal(str(c), "cost") for c in costs], [calc.parse_decimal(str(o), "rate") for o in obsolescence])
        except calc.ValuationError as exc:
            errors["reproduction_costs"] = [str(exc)]
    deal_ids = [int(i) for i in (data.comparable_deal_ids or [])]
    values["comparable_deal_ids"] = deal_ids
    values["comparable_values"] = []
    values["market_value_cny"] = None
    try:
        scale = Decimal(str(data.market_scale or "1"))
    except InvalidOperation:
        errors["market_scale"] = [_("Enter the scale as a number, e.g. 0.8.")]
        scale = Decimal(1)
    values["market_scale"] = scale
    if deal_ids:
        deals = {d.pk: d for d in comparable_deals(actor, result).filter(pk__in=deal_ids)}
        if len(deals) != len(set(deal_ids)):
            errors["comparable_deal_ids"] = [_("Choose signed deals on the platform that do not cover this result.")]
        else:
            amounts = [deals[i].amount_cny for i in deal_ids]
            values["comparable_values"] = [str(a) for a in amounts]
            try:
                values["market_value_cny"] = calc.market_approach(amounts, scale=scale)
            except calc.ValuationError as exc:
                errors["market_scale"] = [str(exc)]
    method = data.concluded_method
    by_method: dict[str, Any] = {ValuationMethodChoices.RELIEF_FROM_ROYALTY: values["rfr_value_cny"], ValuationMethodChoices.COST: values["cost_value_cny"], ValuationMethodChoices.MARKET: values["market_value_cny"]}
    concluded = by_method.get(method)
    if concluded is None and "concluded_method" not in errors:
        errors["concluded_method"] = [_("The approach concluded on has no value: give its inputs.")]
    values["concluded_method"] = method
    values["concluded_value_cny"] = concluded
    return values, errors


def valuation_create(*, result: Result, data: ValuationInput, actor: User) -> Valuation:
    _require(actor, result, "plan")
    values, errors = valuation_compute(result, data, actor=actor)
    if data.valuation_date > timezone.localdate():
        errors["valuation_date"] = [_("The valuation date cannot be in the future.")]
    _raise(errors)
    with transaction.atomic():
        valuation = Valuation.objects.create(
            result=result, valuation_date=data.valuation_date, purpose=data.purpose.strip(),
            assumptions_zh=data.assumptions_zh.strip(), assumptions_en=data.assumptions_en.strip(), created_by=actor, **values,
        )
        audit_record(actor=actor, action="valuation.create", obj=valuation, payload={"result": result.pk, "value": str(valuation.concluded_value_cny), "method": valuation.concluded_method})
    return valuation


# --- pledge loans ------------------------------------------------------------------------------

PATENT_KINDS = ("invention", "utility", "design")


def ip_asset_is_pledged(asset: IPAsset) -> bool:
    """True while a pledge over ``asset`` stands. The landing app calls this before an
    assignment: a pledged patent may not be assigned (nor pledged again)."""
    return PledgedAsset.objects.filter(ip_asset_id=asset.pk, is_standing=True).exists()


def ip_assets_pledged(assets: Iterable[IPAsset]) -> list[IPAsset]:
    """The assets among ``assets`` under a standing pledge."""
    ids = [a.pk for a in assets]
    pledged = set(PledgedAsset.objects.filter(ip_asset_id__in=ids, is_standing=True).values_list("ip_asset_id", flat=True))
    return [a for a in assets if a.pk in pledged]


def assignment_problem(assets: Iterable[IPAsset]) -> str | None:
    """The message to refuse an assignment with, when a patent in it is pledged."""
    pledged = ip_assets_pledged(list(assets))
    if not pledged:
        return None
    return _("These patents are under a standing pledge and cannot be assigned until it is released: %(numbers)s.") % {"numbers": ", ".join(a.application_number for a in pledged)}


def pledge_loan_create(
    *, result: Result, lender: Organisation, valuation: Valuation, ip_assets: Sequence[IPAsset], amount_cny: object,
    term_months: int, annual_rate: object, max_ltv: object = "0.5", actor: User,
) -> PledgeLoan:
    """An IP pledge loan; the patents are encumbered from the application on. The loan may not
    exceed ``max_ltv`` × the valuation used."""
    _require(actor, result, "plan")
    errors: Errors = {}
    if lender.kind != OrganisationKindChoices.BANK:
        errors["lender"] = [_("The lender must be a bank.")]
    if valuation.result_id != result.pk or not allows(actor, valuation, "view"):
        errors["valuation"] = [_("Use a valuation of this result.")]
    amount = _money(amount_cny, "amount_cny", errors, required=True, positive=True)
    ltv = _fraction(max_ltv, "max_ltv", errors, upper=Decimal("1.0001"), lower_open=True)
    rate = _fraction(annual_rate, "annual_rate", errors)
    if not term_months or term_months <= 0 or term_months > 600:
        errors["term_months"] = [_("Enter the term in months (1–600).")]
    if not ip_assets:
        errors["ip_assets"] = [_("Choose the patents pledged.")]
    for asset in ip_assets:
        if asset.result_id != result.pk:
            errors["ip_assets"] = [_("Choose patents of this result.")]
        elif asset.ip_kind not in PATENT_KINDS:
            errors["ip_assets"] = [_("Only patents can be pledged here (not %(kind)s).") % {"kind": asset.get_ip_kind_display()}]
        elif asset.status in {"lapsed", "withdrawn"}:
            errors["ip_assets"] = [_("A lapsed or withdrawn patent cannot be pledged.")]
    if ip_assets and (pledged := ip_assets_pledged(ip_assets)):
        errors["ip_assets"] = [_("Already pledged under a standing pledge: %(numbers)s. A patent cannot be pledged twice.") % {"numbers": ", ".join(a.application_number for a in pledged)}]
    if amount is not None and ltv is not None and "valuation" not in errors:
        ceiling = (valuation.concluded_value_cny * ltv).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if amount > ceiling:
            errors["amount_cny"] = [_("The loan of %(amount)s yuan exceeds %(ltv)s%% of the valuation (%(value)s yuan): at most %(ceiling)s yuan.") % {"amount": amount, "ltv": f"{(ltv * 100).normalize():f}", "value": valuation.concluded_value_cny, "ceiling": ceiling}]
    _raise(errors)
    assert amount is not None and ltv is not None and rate is not None
    try:
        with transaction.atomic():
            loan = PledgeLoan.objects.create(result=result, lender=lender, valuation=valuation, amount_cny=amount, max_ltv=ltv, term_months=term_months, annual_rate=rate, created_by=actor)
            for asset in ip_assets:
                PledgedAsset.objects.create(loan=loan, ip_asset=asset, is_standing=True)
            audit_record(actor=actor, action="pledge.create", obj=loan, payload={"result": result.pk, "amount": str(amount), "assets": [a.pk for a in ip_assets]})
    except IntegrityError as exc:  # a concurrent pledge of the same patent won the race
        raise ValidationError({"ip_assets": [_("A patent in this loan was pledged meanwhile. A patent cannot be pledged twice.")]}) from exc
    return loan


def _pledge_move(loan: PledgeLoan, target: str, actor: User, **fields: Any) -> PledgeLoan:
    _require(actor, loan, "change")
    with transaction.atomic():
        locked = PledgeLoan.objects.select_for_update().get(pk=loan.pk)
        if (locked.status, target) not in PLEDGE_TRANSITIONS:
            raise ValidationError({"status": [_("A loan cannot move from “%(source)s” to “%(target)s”.") % {"source": PledgeLoanStatusChoices(locked.status).label, "target": PledgeLoanStatusChoices(target).label}]})
        source = locked.status
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.status = target
        locked.save()
        if target not in PLEDGE_STANDING:
            locked.pledged_assets.update(is_standing=False)
        audit_record(actor=actor, action=f"pledge.{PLEDGE_TRANSITIONS[(source, target)]}", obj=locked, payload={"from": source, "to": target, **{k: str(v) for k, v in fields.items()}})
    return locked


def pledge_loan_register(*, loan: PledgeLoan, registration_number: str, registration_date: date, actor: User) -> PledgeLoan:
    """The pledge is registered with CNIPA and the loan drawn."""
    errors: Errors = {}
    if not registration_number.strip():
        errors["registration_number"] = [_("Give the pledge registration number.")]
    if registration_date > timezone.localdate():
        errors["registration_date"] = [_("The date cannot be in the future.")]
    _raise(errors)
    return _pledge_move(loan, PledgeLoanStatusChoices.REGISTERED, actor, registration_number=registration_number.strip(), registration_date=registration_date)


def pledge_loan_release(*, loan: PledgeLoan, released_on: date, actor: User) -> PledgeLoan:
    if loan.registration_date and released_on < loan.registration_date:
        raise ValidationError({"released_on": [_("The release cannot come before the registration.")]})
    return _pledge_move(loan, PledgeLoanStatusChoices.RELEASED, actor, released_on=released_on)


def pledge_loan_cancel(*, loan: PledgeLoan, actor: User) -> PledgeLoan:
    return _pledge_move(loan, PledgeLoanStatusChoices.CANCELLED, actor)


# --- securitisation ----------------------------------------------------------------------------


def pool_create(*, name_zh: str = "", name_en: str = "", arranger: Organisation | None = None, notes: str = "", actor: User) -> SecuritisationPool:
    _require_type(actor, SecuritisationPool, "add")
    if not name_zh.strip() and not name_en.strip():
        raise ValidationError({"name_zh": [_("Give the name in Chinese, in English, or both.")]})
    with transaction.atomic():
        pool = SecuritisationPool.objects.create(name_zh=name_zh.strip(), name_en=name_en.strip(), arranger=arranger, notes=notes.strip(), created_by=actor)
        audit_record(actor=actor, action="pool.create", obj=pool)
    return pool


def pool_update(*, pool: SecuritisationPool, name_zh: str = "", name_en: str = "", arranger: Organisation | None = None, notes: str = "", actor: User) -> SecuritisationPool:
    """Edit a pool's names, arranger and notes."""
    _require(actor, pool, "change")
    if not name_zh.strip() and not name_en.strip():
        raise ValidationError({"name_zh": [_("Give the name in Chinese, in English, or both.")]})
    with transaction.atomic():
        locked = SecuritisationPool.objects.select_for_update().get(pk=pool.pk)
        before = {"name_zh": locked.name_zh, "name_en": locked.name_en, "arranger": locked.arranger_id, "notes": locked.notes}
        locked.name_zh, locked.name_en, locked.arranger, locked.notes = name_zh.strip(), name_en.strip(), arranger, notes.strip()
        locked.save(update_fields=["name_zh", "name_en", "arranger", "notes"])
        after = {"name_zh": locked.name_zh, "name_en": locked.name_en, "arranger": locked.arranger_id, "notes": locked.notes}
        audit_record(actor=actor, action="pool.update", obj=locked, payload={"changed": {k: [before[k], after[k]] for k in before if before[k] != after[k]}})
    return locked


def _check_period(period: str) -> bool:
    import re

    return bool(re.fullmatch(r"\d{4}(-Q[1-4])?", period))


def _clean_cash_flows(cash_flows: Sequence[tuple[str, object]], errors: Errors) -> list[tuple[str, Decimal]]:
    rows: list[tuple[str, Decimal]] = []
    seen: set[str] = set()
    for i, (period, amount) in enumerate(cash_flows):
        period = str(period).strip().upper()
        if not _check_period(period):
            errors[f"cash_flows-{i}-period"] = [_("Write the period as YYYY or YYYY-Qn, e.g. 2027-Q1.")]
        elif period in seen:
            errors[f"cash_flows-{i}-period"] = [_("Each period once.")]
        seen.add(period)
        value = _money(amount, f"cash_flows-{i}-amount_cny", errors, required=True)
        if value is not None:
            rows.append((period, value))
    if not cash_flows:
        errors["cash_flows"] = [_("Give the expected royalties per period.")]
    kinds = {len(p) for p, _a in rows}
    if len(kinds) > 1:
        errors["cash_flows"] = [_("Use one kind of period (years or quarters) for the whole licence.")]
    return rows


def pool_asset_add(*, pool: SecuritisationPool, result: Result, licensee: Organisation, cash_flows: Sequence[tuple[str, object]], actor: User) -> PoolAsset:
    """A licensed result in the pool with its expected royalty per period (``YYYY`` or ``YYYY-Qn``)."""
    _require(actor, pool, "change")
    errors: Errors = {}
    if not allows(actor, result, "view"):
        errors["result"] = [_("Unknown result id.")]
    elif pool.assets.filter(result=result, licensee=licensee).exists():
        errors["result"] = [_("This licence is already in the pool.")]
    if licensee.kind != OrganisationKindChoices.ENTERPRISE:
        errors["licensee"] = [_("The licensee is an enterprise.")]
    rows = _clean_cash_flows(cash_flows, errors)
    _raise(errors)
    with transaction.atomic():
        asset = PoolAsset.objects.create(pool=pool, result=result, licensee=licensee)
        PoolCashFlow.objects.bulk_create([PoolCashFlow(asset=asset, period=p, amount_cny=a) for p, a in rows])
        audit_record(actor=actor, action="pool.asset_add", obj=asset, payload={"pool": pool.pk, "result": result.pk, "total": str(sum(a for _p, a in rows))})
    return asset


def pool_asset_update(*, asset: PoolAsset, licensee: Organisation, cash_flows: Sequence[tuple[str, object]], actor: User) -> PoolAsset:
    """Edit a licence in a pool: its licensee and its expected royalties, which replace the old
    ones as a whole (one transaction: all of them or none)."""
    _require(actor, asset.pool, "change")
    errors: Errors = {}
    if licensee.kind != OrganisationKindChoices.ENTERPRISE:
        errors["licensee"] = [_("The licensee is an enterprise.")]
    elif PoolAsset.objects.filter(pool_id=asset.pool_id, result_id=asset.result_id, licensee=licensee).exclude(pk=asset.pk).exists():
        errors["licensee"] = [_("This licence is already in the pool.")]
    rows = _clean_cash_flows(cash_flows, errors)
    _raise(errors)
    with transaction.atomic():
        locked = PoolAsset.objects.select_for_update().get(pk=asset.pk)
        before = {"licensee": locked.licensee_id, "flows": {f.period: str(f.amount_cny) for f in locked.cash_flows.all()}}
        locked.licensee = licensee
        locked.save(update_fields=["licensee"])
        locked.cash_flows.all().delete()
        PoolCashFlow.objects.bulk_create([PoolCashFlow(asset=locked, period=p, amount_cny=a) for p, a in rows])
        after = {"licensee": licensee.pk, "flows": {p: str(a) for p, a in rows}}
        audit_record(actor=actor, action="pool.asset_update", obj=locked, payload={"pool": locked.pool_id, "before": before, "after": after})
    return locked


def pool_asset_remove(*, asset: PoolAsset, actor: User) -> None:
    """Take a licence out of its pool (with its cash flows)."""
    _require(actor, asset.pool, "change")
    with transaction.atomic():
        audit_record(actor=actor, action="pool.asset_remove", obj=asset.pool, payload={"asset": asset.pk, "result": asset.result_id, "licensee": asset.licensee_id})
        asset.delete()


# --- deal rooms ----------------------------------------------------------------------------------


def deal_room_create(*, result: Result, title: str, attachments: Sequence[Attachment] = (), actor: User) -> DealRoom:
    _require(actor, result, "plan")
    errors: Errors = {}
    if not title.strip():
        errors["title"] = [_("Give the room a title.")]
    # Only documents of this result the actor may read themselves are shared.
    if any(a.result_id != result.pk for a in attachments) or (attachments and not allows(actor, result, "view_details")):
        errors["attachments"] = [_("Choose documents of this result.")]
    _raise(errors)
    with transaction.atomic():
        room = DealRoom.objects.create(result=result, title=title.strip(), created_by=actor)
        room.attachments.set(attachments)
        audit_record(actor=actor, action="deal_room.create", obj=room, payload={"result": result.pk, "attachments": [a.pk for a in attachments]})
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
            recipients=[user], kind="planning.deal_room_invite",
            title_zh=f"邀请您进入项目资料室：{room.title}", title_en=f"You are invited to the deal room: {room.title}",
            url=f"/planning/rooms/{room.pk}/",
        )
        audit_record(actor=actor, action="deal_room.invite", obj=room, payload={"user": user.pk})
    return invite


def deal_room_set_open(*, room: DealRoom, is_open: bool, actor: User) -> DealRoom:
    _require(actor, room, "change")
    with transaction.atomic():
        room.is_open = is_open
        room.save(update_fields=["is_open"])
        audit_record(actor=actor, action="deal_room.open" if is_open else "deal_room.close", obj=room)
    return room


# --- overseas channels and companion services -------------------------------------------------


def _channel_validate(*, result_id: int, country: str, status: str, filings: Sequence[Filing]) -> None:
    """The rules shared by creating and editing an overseas channel."""
    errors: Errors = {}
    if not country.strip():
        errors["country"] = [_("Name the country or region.")]
    if status not in OverseasChannelStatusChoices.values:
        errors["status"] = [_("Choose a status.")]
    if any(f.family.result_id != result_id for f in filings):
        errors["filings"] = [_("Choose filings of this result.")]
    _raise(errors)


def channel_create(*, result: Result, country: str, partner: str = "", filings: Sequence[Filing] = (), status: str = OverseasChannelStatusChoices.EXPLORING, notes: str = "", actor: User) -> OverseasChannel:
    _require(actor, result, "plan")
    _channel_validate(result_id=result.pk, country=country, status=status, filings=filings)
    with transaction.atomic():
        channel = OverseasChannel.objects.create(result=result, country=country.strip(), partner=partner.strip(), status=status, notes=notes.strip())
        channel.filings.set(filings)
        audit_record(actor=actor, action="channel.create", obj=channel, payload={"result": result.pk, "country": channel.country})
    return channel


def channel_update(
    *, channel: OverseasChannel, country: str, partner: str = "", filings: Sequence[Filing] = (), status: str, notes: str = "", actor: User,
) -> OverseasChannel:
    """Edit an overseas channel: country or region, partner, the filings needed there, status, notes."""
    _require(actor, channel, "change")
    _channel_validate(result_id=channel.result_id, country=country, status=status, filings=filings)
    with transaction.atomic():
        locked = OverseasChannel.objects.select_for_update().get(pk=channel.pk)
        before = {"country": locked.country, "partner": locked.partner, "status": locked.status, "notes": locked.notes, "filings": sorted(locked.filings.values_list("pk", flat=True))}
        locked.country, locked.partner, locked.status, locked.notes = country.strip(), partner.strip(), status, notes.strip()
        locked.save(update_fields=["country", "partner", "status", "notes"])
        # The form offers the filings the actor may see: the others stay as they were.
        hidden = list(locked.filings.exclude(pk__in=Filing.objects.restrict(actor, "view").values("pk")))
        locked.filings.set([*filings, *hidden])
        after = {"country": locked.country, "partner": locked.partner, "status": locked.status, "notes": locked.notes, "filings": sorted(f.pk for f in [*filings, *hidden])}
        audit_record(actor=actor, action="channel.update", obj=locked, payload={"changed": {k: [before[k], after[k]] for k in before if before[k] != after[k]}})
    return locked


def channel_set_status(*, channel: OverseasChannel, status: str, actor: User) -> OverseasChannel:
    _require(actor, channel, "change")
    if status not in OverseasChannelStatusChoices.values:
        raise ValidationError({"status": [_("Choose a status.")]})
    with transaction.atomic():
        before = channel.status
        channel.status = status
        channel.save(update_fields=["status"])
        audit_record(actor=actor, action="channel.status", obj=channel, payload={"from": before, "to": status})
    return channel


def task_create(*, result: Result, title: str, kind: str, owner: User, due_on: date, actor: User) -> ServiceTask:
    _require(actor, result, "plan")
    errors: Errors = {}
    if not title.strip():
        errors["title"] = [_("Describe the task.")]
    if kind not in ServiceKindChoices.values:
        errors["kind"] = [_("Choose the kind of service.")]
    _planner(owner, result, "plan", "owner", errors)
    _raise(errors)
    with transaction.atomic():
        task = ServiceTask.objects.create(result=result, title=title.strip(), kind=kind, owner=owner, due_on=due_on, created_by=actor)
        audit_record(actor=actor, action="task.create", obj=task, payload={"result": result.pk, "owner": owner.pk, "due": due_on.isoformat()})
    return task


TASK_TRANSITIONS = {
    (ServiceTaskStatusChoices.OPEN, ServiceTaskStatusChoices.IN_PROGRESS),
    (ServiceTaskStatusChoices.OPEN, ServiceTaskStatusChoices.DONE),
    (ServiceTaskStatusChoices.OPEN, ServiceTaskStatusChoices.CANCELLED),
    (ServiceTaskStatusChoices.IN_PROGRESS, ServiceTaskStatusChoices.DONE),
    (ServiceTaskStatusChoices.IN_PROGRESS, ServiceTaskStatusChoices.CANCELLED),
    (ServiceTaskStatusChoices.IN_PROGRESS, ServiceTaskStatusChoices.OPEN),
}


def task_set_status(*, task: ServiceTask, status: str, actor: User) -> ServiceTask:
    _require(actor, task, "change")
    with transaction.atomic():
        locked = ServiceTask.objects.select_for_update().get(pk=task.pk)
        if (locked.status, status) not in TASK_TRANSITIONS:
            raise ValidationError({"status": [_("A task cannot move from “%(source)s” to “%(target)s”.") % {"source": ServiceTaskStatusChoices(locked.status).label, "target": ServiceTaskStatusChoices(status).label if status in ServiceTaskStatusChoices.values else status}]})
        before = locked.status
        locked.status = status
        locked.completed_at = timezone.now() if status == ServiceTaskStatusChoices.DONE else None
        locked.save(update_fields=["status", "completed_at"])
        audit_record(actor=actor, action="task.status", obj=locked, payload={"from": before, "to": status})
    return locked


def service_log_record(*, result: Result, kind: str, hours: object, notes: str, occurred_on: date, actor: User) -> ServiceLogEntry:
    _require(actor, result, "plan")
    errors: Errors = {}
    if kind not in ServiceKindChoices.values:
        errors["kind"] = [_("Choose the kind of service.")]
    try:
        value = Decimal(str(hours).strip())
        if not value.is_finite() or not (0 < value <= 24) or value != value.quantize(Decimal("0.01")):
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
        entry = ServiceLogEntry.objects.create(result=result, kind=kind, hours=value, notes=notes.strip(), occurred_on=occurred_on, actor=actor)
        audit_record(actor=actor, action="service.log", obj=entry, payload={"result": result.pk, "kind": kind, "hours": str(value)})
    return entry


# --- fee reductions -------------------------------------------------------------------------


def fee_reduction_allowed(grounds: Sequence[str]) -> str:
    """The reduction the applicants' grounds give (专利收费减缴办法, 财税〔2016〕78号): 85% for a
    single qualifying applicant, 70% for two or more when every one qualifies, else none."""
    if not grounds or any(g == ApplicantGroundChoices.NOT_QUALIFYING for g in grounds):
        return FeeReductionChoices.NONE
    return FeeReductionChoices.PERCENT_85 if len(grounds) == 1 else FeeReductionChoices.PERCENT_70


def filing_fee_reduction_record(
    *, filing: Filing, reduction: str, grounds: dict[int, str], open_licence_from: date | None = None,
    open_licence_until: date | None = None, actor: User,
) -> FilingFeeReduction:
    """Record a CN filing's fee-reduction status: the rate, the ground of each applicant (the
    applicants are the result's owners, every one of them) and an open licence with its period.
    85% only for a single qualifying applicant, 70% only for two or more that all qualify
    (财税〔2016〕78号; qualifying: 财税〔2019〕45号)."""
    _require(actor, filing, "change")
    errors: Errors = {}
    if filing.office != "CN":
        errors["reduction"] = [_("Fee reductions are recorded on CN filings only.")]
    if reduction not in FeeReductionChoices.values:
        errors["reduction"] = [_("Choose %(a)s%%, %(b)s%% or no reduction.") % {"a": 85, "b": 70}]
    owners = {o.pk: o for o in Organisation.objects.filter(ownerships__result_id=filing.family.result_id)}
    if not owners:
        errors["grounds"] = [_("The result has no owner recorded: the applicants are the result's owners, record them first.")]
    elif set(grounds) != set(owners):
        errors["grounds"] = [_("Give a ground for every applicant (the result's owners), and for no one else.")]
    elif any(g not in ApplicantGroundChoices.values for g in grounds.values()):
        errors["grounds"] = [_("Choose a ground for each applicant.")]
    if not errors:
        allowed = fee_reduction_allowed(list(grounds.values()))
        if reduction == FeeReductionChoices.PERCENT_85 and len(grounds) != 1:
            errors["reduction"] = [_("85%% is for a single applicant; this filing has %(n)s applicants (two or more qualifying applicants get 70%%).") % {"n": len(grounds)}]
        elif reduction == FeeReductionChoices.PERCENT_70 and len(grounds) < 2:
            errors["reduction"] = [_("%(b)s%% is for two or more applicants together; a single qualifying applicant gets %(a)s%%.") % {"a": 85, "b": 70}]
        elif reduction != FeeReductionChoices.NONE and allowed == FeeReductionChoices.NONE:
            names = ", ".join(owners[pk].name for pk, g in grounds.items() if g == ApplicantGroundChoices.NOT_QUALIFYING)
            errors["reduction"] = [_("Every applicant must qualify for the reduction; %(names)s does not.") % {"names": names}]
    if open_licence_until is not None and open_licence_from is None:
        errors["open_licence_from"] = [_("Give the date the open licence starts.")]
    if open_licence_from and open_licence_until and open_licence_until < open_licence_from:
        errors["open_licence_until"] = [_("The open licence cannot end before it starts.")]
    _raise(errors)
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing.pk)
        if locked.status in {FilingStatusChoices.ABANDONED, FilingStatusChoices.LAPSED}:
            raise ValidationError({"reduction": [_("An abandoned or lapsed filing is not changed.")]})
        record, created = FilingFeeReduction.objects.get_or_create(filing=locked, defaults={"recorded_by": actor})
        before = {"reduction": record.reduction, "grounds": {str(a.organisation_id): a.ground for a in record.applicants.all()},
                  "open_licence_from": record.open_licence_from, "open_licence_until": record.open_licence_until}
        record.reduction = reduction
        record.open_licence_from, record.open_licence_until = open_licence_from, open_licence_until
        record.recorded_by, record.recorded_at = actor, timezone.now()
        record.save()
        record.applicants.all().delete()
        FilingApplicant.objects.bulk_create([FilingApplicant(reduction=record, organisation=owners[pk], ground=g) for pk, g in sorted(grounds.items())])
        audit_record(actor=actor, action="ip.fee_reduction_record", obj=locked, payload={
            "before": None if created else before,
            "reduction": reduction, "grounds": {str(pk): g for pk, g in sorted(grounds.items())},
            "open_licence_from": open_licence_from, "open_licence_until": open_licence_until,
        })
    return record


# --- the fee schedule (edited in the admin) ---------------------------------------------------


def _fee_fields(obj: Any, names: Sequence[str]) -> dict[str, str]:
    return {name: str(getattr(obj, name)) for name in names}


SCHEDULE_FIELDS = ("office", "source", "effective_from", "note")
ITEM_FIELDS = ("patent_kind", "fee_kind", "year_from", "year_to", "amount_cny", "is_confirmed")


def fee_schedule_save(*, schedule: FeeSchedule, actor: User) -> FeeSchedule:
    """Save a fee schedule as the admin edited it (validated), with an audit event holding what
    changed."""
    schedule.full_clean()
    with transaction.atomic():
        before = _fee_fields(FeeSchedule.objects.get(pk=schedule.pk), SCHEDULE_FIELDS) if schedule.pk else None
        schedule.save()
        audit_record(actor=actor, action="fees.schedule_save", obj=schedule, payload={"before": before, "after": _fee_fields(schedule, SCHEDULE_FIELDS)})
    return schedule


def fee_schedule_item_save(*, item: FeeScheduleItem, actor: User) -> FeeScheduleItem:
    item.full_clean()
    with transaction.atomic():
        before = _fee_fields(FeeScheduleItem.objects.get(pk=item.pk), ITEM_FIELDS) if item.pk else None
        item.save()
        audit_record(actor=actor, action="fees.item_save", obj=item, payload={"schedule": item.schedule_id, "before": before, "after": _fee_fields(item, ITEM_FIELDS)})
    return item


def fee_schedule_item_delete(*, item: FeeScheduleItem, actor: User) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action="fees.item_delete", obj=item.schedule, payload={"item": item.pk, "was": _fee_fields(item, ITEM_FIELDS)})
        item.delete()


def fee_schedule_delete(*, schedule: FeeSchedule, actor: User) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action="fees.schedule_delete", payload={"schedule": schedule.pk, "was": _fee_fields(schedule, SCHEDULE_FIELDS)})
        schedule.delete()
