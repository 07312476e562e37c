"""The one place that reads a deal's contract facts for the tax rules: its classification
(``Deal.contract_kind``, ``contract_object``, ``bundled_support_services``, the reliefs it claims)
and its registration (``ContractRegistration``: registered or not, when, the technology income the
office set). A deal not yet classified takes the kind its deal type implies, where unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from opentto.landing.models import Deal, registration_of

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


def deal_facts(deal: Deal) -> DealFacts:
    registration = registration_of(deal)
    return DealFacts(
        contract_kind=deal.contract_kind or KIND_FROM_DEAL_TYPE.get(deal.deal_type, ""),
        contract_object=deal.contract_object,
        bundled_support_services=deal.bundled_support_services,
        claims_vat_exemption=deal.claims_vat_exemption,
        claims_income_tax_relief=deal.claims_income_tax_relief,
        is_registered=registration is not None and registration.is_registered,
        registered_on=registration.registered_on if registration is not None else None,
        technology_income_cny=registration.technology_income_cny
        if registration is not None
        else None,
        non_exclusive=deal.deal_type == "licence_non_exclusive",
        term_starts_on=deal.term_starts_on or deal.signed_on,
        term_ends_on=deal.term_ends_on,
    )


def vat_input(facts: DealFacts) -> rules.VatInput:
    return rules.VatInput(
        contract_kind=facts.contract_kind,
        bundled_support_services=facts.bundled_support_services,
        is_registered=facts.is_registered,
        claims_exemption=facts.claims_vat_exemption,
    )
