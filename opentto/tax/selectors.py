"""Reads for the tax consequences; every one takes the viewer and reads through the grants
(``Model.objects.restrict(user, action)``). ``user=None`` is the whole platform (the command line,
as ``figures(None)``).

The inputs of :mod:`opentto.tax.rules` are built here from the deals, the payments and the
distribution lines the viewer may see, with the contract facts read by :mod:`opentto.tax.adapter`:

* an institution's income from a deal in a year is its share of the payments received that year
  (split between the owner institutions by their co-owner agreement, as the distribution splits
  it, by largest remainder to the fen); where the registration office recorded the contract's
  technology income (技术性收入), the income counted over the years stops at the institution's
  share of it (our reading; not confirmed);
* its costs and taxes are those recorded for the deal, institution and year (:class:`DealTaxYear`);
* an inventor's cash reward is a distribution line paying a person; it is paid on the day the
  payment was distributed (Asia/Shanghai) and its income is the payment's receipt date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from opentto.core.permissions import allows
from opentto.landing.distribution import split_largest_remainder
from opentto.landing.models import Deal, DistributionLine, PartyChoices, Payment
from opentto.landing.services import _coowner_weights
from opentto.organisations.models import Organisation, OrganisationKindChoices

from . import adapter, rules
from .models import DealTaxFacts, DealTaxYear, TaxProfile

ZERO = rules.ZERO
#: Taxed as resident enterprises where no profile says otherwise: public institutions (事业单位:
#: universities, institutes, hospitals) and enterprises (STANDARDS.md, fairly sure).
NOT_RESIDENT_BY_DEFAULT = (OrganisationKindChoices.GOVERNMENT,)
#: Non-profit research institutes and universities where no profile says otherwise (财税〔2018〕58号).
NON_PROFIT_RESEARCH_BY_DEFAULT = (
    OrganisationKindChoices.UNIVERSITY,
    OrganisationKindChoices.INSTITUTE,
)


def _read(model: type[Model], user: Any, action: str = "view") -> QuerySet[Any]:
    manager = model._default_manager
    return manager.all() if user is None else manager.restrict(user, action)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Profile:
    resident_enterprise: bool
    non_profit_research: bool
    legal_source: str
    recorded: bool  # False: the defaults for the organisation's kind


def profile_of(user: Any, organisation: Organisation) -> Profile:
    row = _read(TaxProfile, user).filter(organisation=organisation).first()
    if row is not None:
        return Profile(row.resident_enterprise, row.non_profit_research, row.legal_source, True)
    return Profile(
        organisation.kind not in NOT_RESIDENT_BY_DEFAULT,
        organisation.kind in NON_PROFIT_RESEARCH_BY_DEFAULT,
        "",
        False,
    )


def may_see_report(user: Any, organisation: Organisation) -> bool:
    return user is None or allows(user, organisation, "tax_report")


def institutions_reported(user: Any) -> QuerySet[Organisation]:
    """The organisations whose tax report the viewer may open (owners of some deal)."""
    return (
        _read(Organisation, user, "tax_report")
        .filter(deals_as_owner__isnull=False)
        .distinct()
        .order_by("name_en", "name_zh", "id")
    )


def _deals_of(user: Any, organisation: Organisation) -> list[Deal]:
    owned = Q(owners=organisation) | Q(
        owners__isnull=True, results__ownerships__organisation=organisation
    )
    ids = Deal.objects.filter(owned).values("pk")
    return list(
        _read(Deal, user)
        .filter(pk__in=ids)
        .select_related("counterparty")
        .order_by("signed_on", "id")
    )


def institution_income(
    deal: Deal,
    organisation: Organisation,
    payments: list[Payment],
    year: int,
    technology_income: Decimal | None,
) -> Decimal:
    """The institution's share of the payments received in ``year`` (capped, over the years, at its
    share of the registered technology income when there is one)."""
    weights = _coowner_weights(deal)
    if organisation.pk not in {o.pk for o, _w in weights}:
        return ZERO

    def share(amount: Decimal) -> Decimal:
        return split_largest_remainder(amount, [(str(o.pk), w) for o, w in weights])[
            str(organisation.pk)
        ]

    before = sum((share(p.amount_cny) for p in payments if p.received_on.year < year), ZERO)
    this = sum((share(p.amount_cny) for p in payments if p.received_on.year == year), ZERO)
    if technology_income is None:
        return this
    cap = share(technology_income)
    return min(before + this, cap) - min(before, cap)


def eit_inputs(
    user: Any, organisation: Organisation, year: int, deals: list[Deal] | None = None
) -> list[rules.EitIncome]:
    deals = _deals_of(user, organisation) if deals is None else deals
    ids = [d.pk for d in deals]
    payments: dict[int, list[Payment]] = defaultdict(list)
    for p in _read(Payment, user).filter(deal_id__in=ids, received_on__year__lte=year):
        payments[p.deal_id].append(p)
    years = {
        r.deal_id: r
        for r in _read(DealTaxYear, user).filter(
            deal_id__in=ids, organisation=organisation, year=year
        )
    }
    related = set(
        _read(DealTaxFacts, user)
        .filter(deal_id__in=ids, wholly_owned_related_party=True)
        .values_list("deal_id", flat=True)
    )
    out: list[rules.EitIncome] = []
    for deal in deals:
        facts = adapter.deal_facts(deal)
        income = institution_income(
            deal, organisation, payments[deal.pk], year, facts.technology_income_cny
        )
        row = years.get(deal.pk)
        if income == ZERO and row is None:
            continue
        out.append(
            rules.EitIncome(
                deal_id=deal.pk,
                label=str(deal),
                contract_kind=facts.contract_kind,
                contract_object=facts.contract_object,
                income=income,
                costs=row.costs_cny if row else ZERO,
                taxes=row.taxes_cny if row else ZERO,
                is_registered=facts.is_registered,
                non_exclusive=facts.non_exclusive,
                licence_starts_on=facts.term_starts_on,
                licence_ends_on=facts.term_ends_on,
                bundled_support_services=facts.bundled_support_services,
                wholly_owned_related_party=deal.pk in related,
                claims_relief=facts.claims_income_tax_relief,
            )
        )
    return out


@dataclass
class RewardRow:
    line_id: int
    deal: Deal
    person: str
    income_received_on: date
    paid_on: date
    answer: rules.RewardAnswer

    def as_json(self) -> dict[str, object]:
        return {
            "line": self.line_id,
            "deal": self.deal.pk,
            "person": self.person,
            "income_received_on": self.income_received_on.isoformat(),
            "paid_on": self.paid_on.isoformat(),
            **self.answer.as_json(),
        }


def _reward_rows(
    user: Any, lines: QuerySet[DistributionLine], profiles: dict[int, Profile]
) -> list[RewardRow]:
    out: list[RewardRow] = []
    facts: dict[int, adapter.DealFacts] = {}
    for line in lines.select_related(
        "distribution__payment__deal", "person", "organisation"
    ).order_by("distribution__created_at", "id"):
        payment = line.distribution.payment
        deal = payment.deal
        if deal.pk not in facts:
            facts[deal.pk] = adapter.deal_facts(deal)
        if line.organisation_id not in profiles:
            profiles[line.organisation_id] = profile_of(user, line.organisation)
        paid_on = timezone.localdate(line.distribution.created_at)
        answer = rules.reward_iit(
            rules.RewardInput(
                amount=line.amount_cny,
                non_profit_research=profiles[line.organisation_id].non_profit_research,
                contract_kind=facts[deal.pk].contract_kind,
                is_registered=facts[deal.pk].is_registered,
                income_received_on=payment.received_on,
                paid_on=paid_on,
            )
        )
        person = line.person
        out.append(
            RewardRow(
                line.pk,
                deal,
                person.name if person is not None else "",
                payment.received_on,
                paid_on,
                answer,
            )
        )
    return out


@dataclass
class TaxYearReport:
    organisation: Organisation
    year: int
    profile: Profile
    table: rules.EitTable
    rewards: list[RewardRow] = field(default_factory=list)
    rewards_total: Decimal = ZERO
    rewards_taxable: Decimal = ZERO

    def as_json(self) -> dict[str, object]:
        return {
            "organisation": {"id": self.organisation.pk, "name": self.organisation.name},
            "year": self.year,
            "profile": {
                "resident_enterprise": self.profile.resident_enterprise,
                "non_profit_research": self.profile.non_profit_research,
                "legal_source": self.profile.legal_source,
                "recorded": self.profile.recorded,
            },
            "eit": self.table.as_json(),
            "rewards": [r.as_json() for r in self.rewards],
            "rewards_total": str(self.rewards_total),
            "rewards_taxable": str(self.rewards_taxable),
        }


def tax_year_report(user: Any, year: int, organisation: Organisation) -> TaxYearReport:
    """The institution's year: its EIT worked table over the deals it owns that the viewer may see,
    and the cash rewards it paid that year (the lines the viewer may see). The caller checks
    :func:`may_see_report` first."""
    profile = profile_of(user, organisation)
    table = rules.eit_relief_table(
        year,
        organisation.name,
        eit_inputs(user, organisation, year),
        resident_enterprise=profile.resident_enterprise,
    )
    lines = _read(DistributionLine, user).filter(
        party=PartyChoices.PERSON, organisation=organisation
    )
    rewards = [
        r for r in _reward_rows(user, lines, {organisation.pk: profile}) if r.paid_on.year == year
    ]
    return TaxYearReport(
        organisation=organisation,
        year=year,
        profile=profile,
        table=table,
        rewards=rewards,
        rewards_total=sum((r.answer.amount for r in rewards), ZERO),
        rewards_taxable=sum((r.answer.taxable for r in rewards), ZERO),
    )


@dataclass
class DealYear:
    organisation: Organisation
    year: int
    row: rules.EitRow
    table: rules.EitTable


@dataclass
class DealTax:
    vat: rules.VatAnswer
    registered: bool
    years: list[DealYear]
    rewards: list[RewardRow]


def deal_tax(user: Any, deal: Deal) -> DealTax:
    """The deal page's tax panel: the VAT answer; for each owner institution whose report the
    viewer may open and each year with income or recorded costs, this deal's row in that year's
    table (with the table's totals); each cash reward line the viewer may see."""
    facts = adapter.deal_facts(deal)
    years: list[DealYear] = []
    owners = list(deal.owners.all()) or list(
        Organisation.objects.filter(ownerships__result__deals=deal).distinct()
    )
    pay_years = set(
        _read(Payment, user).filter(deal=deal).values_list("received_on__year", flat=True)
    )
    for org in owners:
        if not may_see_report(user, org):
            continue
        cost_years = set(
            _read(DealTaxYear, user)
            .filter(deal=deal, organisation=org)
            .values_list("year", flat=True)
        )
        profile = profile_of(user, org)
        for year in sorted(pay_years | cost_years):
            table = rules.eit_relief_table(
                year,
                org.name,
                eit_inputs(user, org, year),
                resident_enterprise=profile.resident_enterprise,
            )
            row = next((r for r in table.rows if r.deal_id == deal.pk), None)
            if row is not None:
                years.append(DealYear(org, year, row, table))
    lines = _read(DistributionLine, user).filter(
        party=PartyChoices.PERSON, distribution__payment__deal=deal
    )
    return DealTax(
        vat=rules.vat_exemption(adapter.vat_input(facts)),
        registered=facts.is_registered,
        years=years,
        rewards=_reward_rows(user, lines, {}),
    )
