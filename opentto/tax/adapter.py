"""The one place that reads a deal's contract facts for the tax rules.

The contract-registration fields (``Deal.contract_kind``, ``contract_object``,
``bundled_support_services``, ``claims_vat_exemption``, ``claims_income_tax_relief`` and the
one-to-one ``deal.registration`` with ``is_registered`` and ``technology_income_cny``) come from
the contract-registration work in ``opentto.landing.models``. Until they exist this module falls
back on what a deal already records: the kind from ``deal_type``, "registered" from the
registration number, no technology income. Once they exist, they are read as they are and the
fallbacks are used only where a field is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from . import rules

#: The contract kind a deal type implies, where the deal records none (技术合同认定规则 classes).
KIND_FROM_DEAL_TYPE: dict[str, str] = {
    "licence_exclusive": rules.LICENCE,
    "licence_sole": rules.LICENCE,
    "licence_non_exclusive": rules.LICENCE,
    "assignment": rules.TRANSFER,
    "commissioned_rd": rules.DEV_COMMISSIONED,
    "tech_development": rules.DEV_COMMISSIONED,
    "joint_development": rules.DEV_COOPERATIVE,
    "tech_consulting": rules.CONSULTING,
    "tech_service": rules.SERVICE,
}


@dataclass(frozen=True)
class DealFacts:
    contract_kind: str
    contract_object: str
    bundled_support_services: bool
    claims_vat_exemption: bool
    claims_income_tax_relief: bool
    is_registered: bool
    registered_on: date | None
    technology_income_cny: Decimal | None
    non_exclusive: bool
    term_starts_on: date | None
    term_ends_on: date | None


def _registration(deal: Any) -> Any:
    """``deal.registration`` or ``None`` (a missing one-to-one raises an ``AttributeError`` subclass)."""
    try:
        return getattr(deal, "registration", None)
    except Exception:  # noqa: BLE001  (RelatedObjectDoesNotExist and its kin: no registration)
        return None


def deal_facts(deal: Any) -> DealFacts:
    registration = _registration(deal)
    if registration is not None:
        registered = bool(getattr(registration, "is_registered", False))
        registered_on = getattr(registration, "registered_on", None)
        technology_income = getattr(registration, "technology_income_cny", None)
    else:
        registered = bool(getattr(deal, "registration_number", ""))
        registered_on = getattr(deal, "registration_date", None)
        technology_income = None
    return DealFacts(
        contract_kind=str(getattr(deal, "contract_kind", "") or KIND_FROM_DEAL_TYPE.get(deal.deal_type, "")),
        contract_object=str(getattr(deal, "contract_object", "") or ""),
        bundled_support_services=bool(getattr(deal, "bundled_support_services", False)),
        claims_vat_exemption=bool(getattr(deal, "claims_vat_exemption", False)),
        claims_income_tax_relief=bool(getattr(deal, "claims_income_tax_relief", True)),
        is_registered=registered,
        registered_on=registered_on,
        technology_income_cny=technology_income,
        non_exclusive=deal.deal_type == "licence_non_exclusive",
        term_starts_on=deal.term_starts_on or deal.signed_on,
        term_ends_on=deal.term_ends_on,
    )


def vat_input(facts: DealFacts) -> rules.VatInput:
    return rules.VatInput(
        contract_kind=facts.contract_kind, bundled_support_services=facts.bundled_support_services,
        is_registered=facts.is_registered, claims_exemption=facts.claims_vat_exemption,
    )
