"""Writes for the tax facts: an organisation's tax profile, a deal's related-party flag, and the
costs and taxes attributable to a deal's income of one institution in one year. Each asks the
grant (``change`` on the type before anything is read, and on the row written, inside the
transaction), validates (a ``ValidationError`` keyed by field), writes in one transaction and
records an audit event."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.money import MAX_AMOUNT, MoneyError, parse_yuan
from opentto.core.permissions import allows, permitted
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation

from .models import DealTaxFacts, DealTaxYear, TaxProfile


def _require(
    actor: User | None, model: type[TaxProfile] | type[DealTaxFacts] | type[DealTaxYear]
) -> None:
    if not permitted(actor, model, "change"):
        raise PermissionError(_("Only TTO managers record tax facts."))


def _check_row(actor: User | None, row: TaxProfile | DealTaxFacts | DealTaxYear) -> None:
    if not allows(actor, row, "change"):
        raise ValidationError(
            {"__all__": [_("You may not record tax facts for this organisation.")]}
        )


def _amount(value: Decimal | str, name: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        return parse_yuan(
            value, minimum=Decimal("0"), maximum=MAX_AMOUNT, exact=True, blank=Decimal("0")
        )
    except MoneyError as exc:
        errors[name] = [
            _("Give an amount in yuan, e.g. 12345.67.")
            if exc.reason == "invalid"
            else _("Give the amount to the fen (at most two decimals).")
            if exc.reason == "too_precise"
            else _("Give an amount between 0 and 99,999,999,999,999.99 yuan.")
        ]
        return Decimal("0.00")


def tax_profile_set(
    *,
    organisation: Organisation,
    resident_enterprise: bool,
    non_profit_research: bool,
    legal_source: str,
    actor: User,
) -> TaxProfile:
    """Record how an organisation is taxed: as a resident enterprise (public institutions are) and
    whether it is a non-profit research institute or university (财税〔2018〕58号's reward rule)."""
    _require(actor, TaxProfile)
    if not legal_source.strip():
        raise ValidationError(
            {
                "legal_source": [
                    _(
                        "Cite the source (e.g. the institution's registration as a public institution)."
                    )
                ]
            }
        )
    with transaction.atomic():
        profile, created = TaxProfile.objects.update_or_create(
            organisation=organisation,
            defaults={
                "resident_enterprise": resident_enterprise,
                "non_profit_research": non_profit_research,
                "legal_source": legal_source.strip(),
                "updated_by": actor,
                "updated_at": timezone.now(),
            },
        )
        _check_row(actor, profile)
        audit_record(
            actor=actor,
            action="tax.profile_set",
            obj=profile,
            payload={
                "organisation": organisation.pk,
                "resident_enterprise": resident_enterprise,
                "non_profit_research": non_profit_research,
                "created": created,
            },
        )
    return profile


def deal_tax_facts_set(
    *, deal: Deal, wholly_owned_related_party: bool, note: str = "", actor: User
) -> DealTaxFacts:
    """Mark a deal as a transfer to a wholly-owned related party (excluded from the relief)."""
    _require(actor, DealTaxFacts)
    with transaction.atomic():
        facts, created = DealTaxFacts.objects.update_or_create(
            deal=deal,
            defaults={
                "wholly_owned_related_party": wholly_owned_related_party,
                "note": note.strip()[:300],
                "updated_by": actor,
                "updated_at": timezone.now(),
            },
        )
        _check_row(actor, facts)
        audit_record(
            actor=actor,
            action="tax.deal_facts_set",
            obj=deal,
            payload={
                "wholly_owned_related_party": wholly_owned_related_party,
                "created": created,
            },
        )
    return facts


def deal_tax_year_set(
    *,
    deal: Deal,
    organisation: Organisation,
    year: int,
    costs_cny: Decimal | str,
    taxes_cny: Decimal | str,
    note: str = "",
    actor: User,
) -> DealTaxYear:
    """Record the costs and taxes attributable to one institution's income from a deal in a year
    (技术转让所得 = income less its costs and taxes, 财税〔2010〕111号)."""
    _require(actor, DealTaxYear)
    errors: dict[str, list[str]] = {}
    costs = _amount(costs_cny, "costs_cny", errors)
    taxes = _amount(taxes_cny, "taxes_cny", errors)
    if not 1990 <= year <= 2100:
        errors["year"] = [_("Give a year between 1990 and 2100.")]
    owners = set(deal.owners.values_list("pk", flat=True)) or set(
        Organisation.objects.filter(ownerships__result__deals=deal).values_list("pk", flat=True)
    )
    if organisation.pk not in owners:
        errors["organisation"] = [_("The institution does not own this deal's results.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row, created = DealTaxYear.objects.update_or_create(
            deal=deal,
            organisation=organisation,
            year=year,
            defaults={
                "costs_cny": costs,
                "taxes_cny": taxes,
                "note": note.strip()[:300],
                "updated_by": actor,
                "updated_at": timezone.now(),
            },
        )
        _check_row(actor, row)
        audit_record(
            actor=actor,
            action="tax.deal_year_set",
            obj=deal,
            payload={
                "organisation": organisation.pk,
                "year": year,
                "costs": costs,
                "taxes": taxes,
                "created": created,
            },
        )
    return row
