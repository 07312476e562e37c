"""Writes for deals: create, sign (the covered results become ``landed``), terminate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.money import to_yuan
from opentto.core.permissions import is_platform_staff
from opentto.organisations.models import Organisation, OrganisationKindChoices
from opentto.results.models import Result, ResultStageChoices
from opentto.results.pipeline import result_transition

from .models import DEAL_TRANSITIONS, Deal, DealStatusChoices, DealTypeChoices

MAX_AMOUNT = Decimal("99999999999999.99")
COUNTERPARTY_KINDS = {OrganisationKindChoices.ENTERPRISE, OrganisationKindChoices.INVESTOR, OrganisationKindChoices.BANK}


def deal_create(
    *,
    results: Sequence[Result],
    counterparty: Organisation,
    deal_type: str,
    amount_cny: Decimal | str,
    title: str = "",
    actor: User,
) -> Deal:
    if not is_platform_staff(actor):
        raise PermissionError(_("Only TTO managers create deals."))
    errors: dict[str, list[str]] = {}
    if not results:
        errors["results"] = [_("A deal covers at least one result.")]
    if deal_type not in DealTypeChoices.values:
        errors["deal_type"] = [_("Choose the type of deal.")]
    if counterparty.kind not in COUNTERPARTY_KINDS:
        errors["counterparty"] = [_("The counterparty must be an enterprise, an investor or a bank.")]
    if counterparty.pk in {o.pk for r in results for o in r.owners.all()}:
        errors.setdefault("counterparty", []).append(_("The counterparty cannot be an owner of the result."))
    try:
        amount = to_yuan(amount_cny)
        if amount < 0 or amount > MAX_AMOUNT:
            errors["amount_cny"] = [_("The contract amount must be between 0 and 99,999,999,999,999.99 yuan.")]
    except (TypeError, ValueError):
        errors["amount_cny"] = [_("Enter the contract amount in yuan, e.g. 1200000.00.")]
    for result in results:
        if result.stage not in {ResultStageChoices.LANDING, ResultStageChoices.LANDED}:
            errors.setdefault("results", []).append(
                _("“%(title)s” is not in landing: a deal is made once the plan is approved.") % {"title": result.title}
            )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        deal = Deal.objects.create(
            title=title.strip(), counterparty=counterparty, deal_type=deal_type, amount_cny=amount, created_by=actor
        )
        deal.results.set(results)
        audit_record(actor=actor, action="deal.create", obj=deal, payload={"results": [r.pk for r in results], "amount_cny": amount})
    return deal


def _move_deal(deal: Deal, target: str) -> Deal:
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if target not in DEAL_TRANSITIONS[locked.status]:
        raise ValidationError(
            {"status": [_("A %(status)s deal cannot become %(target)s.") % {
                "status": locked.get_status_display(), "target": DealStatusChoices(target).label}]},
            code="illegal_transition",
        )
    return locked


def deal_sign(*, deal: Deal, signed_on: date, actor: User, at: datetime | None = None) -> Deal:
    """Sign a deal: every result it covers that is in ``landing`` becomes ``landed``."""
    if not is_platform_staff(actor):
        raise PermissionError(_("Only TTO managers record signed deals."))
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": [_("The signing date cannot be in the future.")]})
    with transaction.atomic():
        locked = _move_deal(deal, DealStatusChoices.SIGNED)
        results = list(locked.results.select_for_update())
        for result in results:
            if result.stage not in {ResultStageChoices.LANDING, ResultStageChoices.LANDED}:
                raise ValidationError({"results": [_("“%(title)s” is not in landing.") % {"title": result.title}]})
        locked.status = DealStatusChoices.SIGNED
        locked.signed_on = signed_on
        locked.save(update_fields=["status", "signed_on"])
        audit_record(actor=actor, action="deal.sign", obj=locked, payload={"signed_on": signed_on})
        for result in results:
            if result.stage == ResultStageChoices.LANDING:
                result_transition(
                    result=result, target=ResultStageChoices.LANDED, actor=actor, system=True, occurred_at=at,
                    reason=_("Deal signed: %(deal)s") % {"deal": locked.title or f"#{locked.pk}"},
                )
    return locked


def deal_terminate(*, deal: Deal, terminated_on: date, reason: str, actor: User) -> Deal:
    """Terminate a signed deal; a result no other signed deal covers goes back to ``landing``."""
    if not is_platform_staff(actor):
        raise PermissionError(_("Only TTO managers terminate deals."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason for this step.")]})
    with transaction.atomic():
        locked = _move_deal(deal, DealStatusChoices.TERMINATED)
        if locked.signed_on and terminated_on < locked.signed_on:
            raise ValidationError({"terminated_on": [_("A deal cannot end before it was signed.")]})
        locked.status = DealStatusChoices.TERMINATED
        locked.terminated_on = terminated_on
        locked.save(update_fields=["status", "terminated_on"])
        audit_record(actor=actor, action="deal.terminate", obj=locked, payload={"reason": reason.strip()})
        for result in locked.results.all():
            if result.stage == ResultStageChoices.LANDED and not result.deals.counted().exists():
                result_transition(
                    result=result, target=ResultStageChoices.LANDING, actor=actor, system=True,
                    reason=_("Deal terminated: %(reason)s") % {"reason": reason.strip()},
                )
    return locked
