"""Writes of the patent portfolio: recording a keep / license / abandon decision. Abandoning
goes through the planning app's ``filing_abandon`` in the same transaction (the abandonment
decision with its approver; the filing's open deadlines are waived, so the reminder task sends
nothing more for them)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.patents.models import Filing, FilingStatusChoices
from opentto.patents.services import filing_abandon

from .models import PortfolioDecision, PortfolioDecisionChoices


def portfolio_decision_record(
    *,
    filing: Filing,
    decision: str,
    reason: str,
    actor: User,
    approved_by: User | None = None,
    decided_on: date | None = None,
) -> PortfolioDecision:
    """Record the decision on a CN patent (filed or granted). A new row each time: the history
    stays. ``abandon`` abandons the filing (``filing_abandon``: reason, approver, deadlines
    waived) and links the abandonment decision."""
    if not permitted(actor, PortfolioDecision, "decide") or not allows(actor, filing, "view"):
        raise PermissionError(_("Only the TTO decides on the patent portfolio."))
    errors: dict[str, list[str]] = {}
    if decision not in PortfolioDecisionChoices.values:
        errors["decision"] = [_("Choose keep, license or abandon.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason for the decision.")]
    if filing.office != "CN" or filing.status not in {
        FilingStatusChoices.FILED,
        FilingStatusChoices.GRANTED,
    }:
        errors["decision"] = [_("Decisions are recorded on CN patents that are filed or granted.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing.pk)
        if locked.status not in {FilingStatusChoices.FILED, FilingStatusChoices.GRANTED}:
            raise ValidationError({"decision": [_("This patent is already abandoned or lapsed.")]})
        abandonment = None
        if decision == PortfolioDecisionChoices.ABANDON:
            abandonment = filing_abandon(
                filing=locked,
                decided_on=decided_on or timezone.localdate(),
                reason=reason,
                approved_by=approved_by or actor,
                actor=actor,
            )
        record = PortfolioDecision.objects.create(
            filing=locked,
            decision=decision,
            reason=reason.strip(),
            abandonment=abandonment,
            decided_by=actor,
        )
        audit_record(
            actor=actor,
            action="portfolio.decision_record",
            obj=record,
            payload={
                "filing": locked.pk,
                "decision": decision,
                "reason": reason.strip(),
                "abandonment": abandonment.pk if abandonment else None,
            },
        )
    return record
