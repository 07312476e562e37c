"""Reads for landing; every one takes the viewer.

Deals follow ``Deal.objects.restrict`` (``opentto/landing/permissions.py``); what hangs
off a deal (payments, royalty reports, distributions) is visible exactly when its deal is.
Agreements: staff see all, an organisation's users see those it is a party to. Statements: staff
see everyone's, a person their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from opentto.accounts.models import UserRoleChoices
from opentto.core.permissions import is_platform_staff, user_role
from opentto.organisations.models import Person

from .models import (
    Agreement,
    Deal,
    DistributionLine,
    DistributionRule,
    NoticeStatusChoices,
    PartyChoices,
    Payment,
    PublicNotice,
    RoyaltyReport,
)

ZERO = Decimal("0.00")


def deals_visible(user: Any, action: str = "view") -> QuerySet[Deal]:
    return Deal.objects.restrict(user, action).select_related("counterparty")


def payments_visible(user: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(deal__in=Deal.objects.restrict(user, "view").values("pk"))


def royalty_reports_visible(user: Any) -> QuerySet[RoyaltyReport]:
    return RoyaltyReport.objects.filter(deal__in=Deal.objects.restrict(user, "view").values("pk"))


def royalty_flags(user: Any) -> list[RoyaltyReport]:
    """Overdue or short royalty payments the viewer may see."""
    today = timezone.localdate()
    return [r for r in royalty_reports_visible(user).select_related("deal").filter(due_on__lt=today) if r.shortfall_cny > 0]


def agreements_visible(user: Any) -> QuerySet[Agreement]:
    if is_platform_staff(user):
        return Agreement.objects.all()
    role = user_role(user)
    org_id = getattr(user, "organisation_id", None)
    if role in {UserRoleChoices.INVENTOR, UserRoleChoices.ENTERPRISE} and org_id:
        return Agreement.objects.filter(pk__in=Agreement.objects.filter(parties=org_id).values("pk"))
    return Agreement.objects.none()


def running_notices() -> QuerySet[PublicNotice]:
    """Public by law: the results' names and the negotiated price, while the notice runs."""
    today = timezone.localdate()
    return PublicNotice.objects.filter(status=NoticeStatusChoices.RUNNING, starts_on__lte=today, ends_on__gte=today).select_related("deal")


def rules_visible(user: Any) -> QuerySet[DistributionRule]:
    if is_platform_staff(user):
        return DistributionRule.objects.select_related("organisation")
    org_id = getattr(user, "organisation_id", None)
    if user_role(user) == UserRoleChoices.INVENTOR and org_id:
        return DistributionRule.objects.filter(organisation_id=org_id).select_related("organisation")
    return DistributionRule.objects.none()


def people_with_statements(user: Any) -> list[tuple[Person, int, Decimal]]:
    """(person, year, total) the viewer may open a statement for."""
    lines = DistributionLine.objects.filter(party=PartyChoices.PERSON)
    if not is_platform_staff(user):
        person_id = getattr(user, "person_id", None)
        if user_role(user) is None or person_id is None:
            return []
        lines = lines.filter(person_id=person_id)
    rows = (
        lines.annotate(y=ExtractYear("distribution__payment__received_on"))
        .values_list("person_id", "y").annotate(t=Sum("amount_cny")).order_by("person_id", "-y")
    )
    people = Person.objects.in_bulk({pk for pk, _y, _t in rows})
    return [(people[pk], y, t) for pk, y, t in rows]


def may_see_statement(user: Any, person: Person) -> bool:
    return is_platform_staff(user) or (user_role(user) is not None and getattr(user, "person_id", None) == person.pk)


@dataclass
class StatementLine:
    received_on: Any
    deal: Deal
    organisation: str
    amount: Decimal
    tax_base: Decimal


@dataclass
class Statement:
    person: Person
    year: int
    lines: list[StatementLine] = field(default_factory=list)
    total: Decimal = ZERO
    tax_base: Decimal = ZERO
    by_deal_type: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))


def statement(person: Person, year: int) -> Statement:
    """A person's rewards received in a year, with the base the half-taxation rule applies to
    (财税〔2018〕58号: cash rewards from transferring results, paid by non-profit research
    institutions and universities, are taxed on half their amount)."""
    out = Statement(person=person, year=year)
    qs = (
        DistributionLine.objects.filter(person=person, party=PartyChoices.PERSON, distribution__payment__received_on__year=year)
        .select_related("distribution__payment__deal", "organisation").order_by("distribution__payment__received_on", "id")
    )
    for line in qs:
        payment = line.distribution.payment
        research = line.organisation.is_research
        tax_base = (line.amount_cny / 2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if research else line.amount_cny
        out.lines.append(StatementLine(payment.received_on, payment.deal, line.organisation.name, line.amount_cny, tax_base))
        out.total += line.amount_cny
        out.tax_base += tax_base
    return out
