"""Reads for landing; every one takes the viewer and reads through the grants of
``opentto/landing/permissions.py`` (``Model.objects.restrict(user, action)``).

Deals follow ``Deal.objects.restrict``; what hangs off a deal (schedule, notices, royalty reports,
payments and their distribution) is visible exactly when its deal is (its constraint is built from
the deal's restricted queryset). A page shows a related object, an amount or a count only through
these: the deal page's "received so far" adds up the payments the viewer may see.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opentto.core.permissions import allows, permitted
from opentto.organisations.models import Person
from opentto.results.models import Result

from .models import (
    Agreement,
    AgreementKindChoices,
    ContractRegistration,
    ContractRegistrationDocument,
    CoOwnerShare,
    Deal,
    Distribution,
    DistributionLine,
    DistributionRule,
    PartyChoices,
    Payment,
    PaymentScheduleItem,
    PublicNotice,
    ResultCost,
    RoyaltyReport,
    deal_registration_flags,
)
from .permissions import statement_open

ZERO = Decimal("0.00")


def deals_visible(user: Any, action: str = "view") -> QuerySet[Deal]:
    return Deal.objects.restrict(user, action).select_related("counterparty")


def registration_documents_visible(user: Any) -> QuerySet[ContractRegistrationDocument]:
    """The registration documents of the deals the user may see."""
    return ContractRegistrationDocument.objects.restrict(user, "view")


def payments_visible(user: Any) -> QuerySet[Payment]:
    return Payment.objects.restrict(user, "view")


def royalty_reports_visible(user: Any) -> QuerySet[RoyaltyReport]:
    return RoyaltyReport.objects.restrict(user, "view")


def royalty_flags(user: Any) -> list[RoyaltyReport]:
    """Overdue or short royalty payments, for those who record the payments of those deals."""
    today = timezone.localdate()
    chased = Deal.objects.restrict(user, "record_payment").values("pk")
    reports = (
        royalty_reports_visible(user)
        .filter(deal__in=chased, due_on__lt=today)
        .select_related("deal")
    )
    return [r for r in reports if r.shortfall_cny > 0]


def agreements_visible(user: Any) -> QuerySet[Agreement]:
    return Agreement.objects.restrict(user, "view")


def agreement_list(user: Any) -> QuerySet[Agreement]:
    """The agreement list's rows, with the parties and the co-owners' shares the viewer may see."""
    return agreements_visible(user).prefetch_related(
        "parties",
        Prefetch(
            "shares",
            queryset=CoOwnerShare.objects.restrict(user, "view").select_related("organisation"),
        ),
    )


def running_notices(user: Any = None) -> QuerySet[PublicNotice]:
    """Public by law: the results' names and the negotiated price, while the notice runs (the
    ``running`` grant, to everyone, anonymous visitors included)."""
    today = timezone.localdate()
    return (
        PublicNotice.objects.restrict(user, "view")
        .filter(status="running", starts_on__lte=today, ends_on__gte=today)
        .select_related("deal__counterparty")
        .prefetch_related("deal__results")
    )


def rules_visible(user: Any) -> QuerySet[DistributionRule]:
    return DistributionRule.objects.restrict(user, "view").select_related("organisation")


@dataclass
class DealPage:
    """What the deal page shows beside the deal, each part read through its own grant."""

    results: list[tuple[Result, bool]]
    notices: list[PublicNotice]
    schedule: list[PaymentScheduleItem]
    payments: list[Payment]
    reports: list[RoyaltyReport]
    received: Decimal
    costs: list[ResultCost]
    source_plan: Any
    can: dict[str, bool]
    registration: ContractRegistration | None = None
    registration_documents: list[ContractRegistrationDocument] = field(default_factory=list)
    registration_flags: list[str] = field(default_factory=list)


def deal_page(user: Any, deal: Deal) -> DealPage:
    """The deal page's parts for ``user``: the covered results (those the user may not see are
    unnamed), notices, schedule, royalty reports, payments with their distribution (and its lines)
    where the user may see them, what was received (over the payments the user may see), the costs
    of the results and what the user may do (``can``: one flag per action)."""
    visible_results = set(
        Result.objects.restrict(user, "view").filter(deals=deal).values_list("pk", flat=True)
    )
    payments = _payments_with_distribution(user, deal)
    schedule = list(PaymentScheduleItem.objects.restrict(user, "view").filter(deal=deal))
    reports = list(royalty_reports_visible(user).filter(deal=deal))
    _received(user, schedule, "schedule_item")
    _received(user, reports, "royalty_report")
    for r in reports:
        r.shown_check = _royalty_check(r)  # type: ignore[attr-defined]
    plan = None
    if deal.source_plan_id is not None:
        from opentto.planning.selectors import plans_visible

        plan = plans_visible(user).filter(pk=deal.source_plan_id).first()
    can = {
        action: allows(user, deal, action)
        for action in ("change", "sign", "record_payment", "distribute", "register_contract")
    }
    can["record_cost"] = permitted(user, ResultCost, "add")
    registration = ContractRegistration.objects.restrict(user, "view").filter(deal=deal).first()
    documents = (
        list(registration_documents_visible(user).filter(registration=registration))
        if registration
        else []
    )
    return DealPage(
        registration=registration,
        registration_documents=documents,
        registration_flags=deal_registration_flags(deal),
        results=[(r, r.pk in visible_results) for r in deal.results.all()],
        notices=list(PublicNotice.objects.restrict(user, "view").filter(deal=deal)),
        schedule=schedule,
        payments=payments,
        reports=reports,
        received=sum((p.amount_cny for p in payments), ZERO),
        costs=list(
            ResultCost.objects.restrict(user, "view")
            .filter(result__deals=deal)
            .order_by("incurred_on", "id")
        ),
        source_plan=plan,
        can=can,
    )


def _royalty_check(report: RoyaltyReport) -> str:
    """The royalty report's flag over the payments the viewer may see: overdue, short, open or paid."""
    received: Decimal = report.shown_received  # type: ignore[attr-defined]
    short = max(report.royalty_due_cny - received, ZERO)
    if short > 0 and report.due_on < timezone.localdate():
        return "overdue"
    if short > 0:
        return "short" if received > 0 else "open"
    return "paid"


def _received(user: Any, items: list[Any], field_name: str) -> None:
    """``shown_received`` on each schedule item or royalty report: the payments for it the viewer may see."""
    totals = dict(
        payments_visible(user)
        .filter(**{f"{field_name}__in": [i.pk for i in items]})
        .values_list(field_name)
        .annotate(t=Sum("amount_cny"))
        .order_by()
    )
    for item in items:
        item.shown_received = totals.get(item.pk) or ZERO


def _payments_with_distribution(user: Any, deal: Deal) -> list[Payment]:
    """The deal's payments the user may see; each carries ``shown_distribution`` (its distribution
    if the user may see it, with ``shown_lines``: the lines the user may see) and
    ``is_distributed`` (whether it has been distributed at all, so it is not offered again)."""
    payments = list(payments_visible(user).filter(deal=deal))
    ids = [p.pk for p in payments]
    done = set(Distribution.objects.filter(payment_id__in=ids).values_list("payment_id", flat=True))
    shown = {
        d.payment_id: d
        for d in Distribution.objects.restrict(user, "view").filter(payment_id__in=ids)
    }
    lines: dict[int, list[DistributionLine]] = defaultdict(list)
    for line in (
        DistributionLine.objects.restrict(user, "view")
        .filter(distribution__in=[d.pk for d in shown.values()])
        .select_related("organisation", "person")
    ):
        lines[line.distribution_id].append(line)
    for p in payments:
        d = shown.get(p.pk)
        if d is not None:
            d.shown_lines = lines.get(d.pk, [])  # type: ignore[attr-defined]
        p.shown_distribution = d  # type: ignore[attr-defined]
        p.is_distributed = p.pk in done  # type: ignore[attr-defined]
    return payments


def people_with_statements(user: Any) -> list[tuple[Person, int, Decimal]]:
    """(person, year, total) over the reward lines the viewer may read in statements."""
    lines = DistributionLine.objects.restrict(user, "statement").filter(party=PartyChoices.PERSON)
    rows = (
        lines.annotate(y=ExtractYear("distribution__payment__received_on"))
        .values_list("person_id", "y")
        .annotate(t=Sum("amount_cny"))
        .order_by("person_id", "-y")
    )
    people = Person.objects.in_bulk({pk for pk, _y, _t in rows})
    return [(people[pk], y, t) for pk, y, t in rows]


@dataclass
class StatementLine:
    received_on: Any
    deal: Deal | None  # None: a deal the viewer may not see
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


def statement_lines(user: Any, person: Person) -> QuerySet[DistributionLine]:
    return DistributionLine.objects.restrict(user, "statement").filter(
        person=person, party=PartyChoices.PERSON
    )


def may_see_statement(user: Any, person: Person) -> bool:
    return statement_open(user, person, has_lines=statement_lines(user, person).exists())


def statement(user: Any, person: Person, year: int) -> Statement:
    """A person's rewards received in a year, as far as ``user`` may read them, with the base the
    half-taxation rule applies to (财税〔2018〕58号: cash rewards from transferring results, paid by
    non-profit research institutions and universities, are taxed on half their amount). A deal
    the viewer may not see is not named (``StatementLine.deal`` is ``None``)."""
    out = Statement(person=person, year=year)
    qs = (
        statement_lines(user, person)
        .filter(distribution__payment__received_on__year=year)
        .select_related("distribution__payment__deal", "organisation")
        .order_by("distribution__payment__received_on", "id")
    )
    lines = list(qs)
    named = set(
        Deal.objects.restrict(user, "view")
        .filter(pk__in={line.distribution.payment.deal_id for line in lines})
        .values_list("pk", flat=True)
    )
    for line in lines:
        payment = line.distribution.payment
        research = line.organisation.is_research
        tax_base = (
            (line.amount_cny / 2).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if research
            else line.amount_cny
        )
        deal = payment.deal if payment.deal_id in named else None
        out.lines.append(
            StatementLine(
                payment.received_on, deal, line.organisation.name, line.amount_cny, tax_base
            )
        )
        out.total += line.amount_cny
        out.tax_base += tax_base
    return out


def coowner_shares_of_result(result: Any) -> tuple[dict[int, Decimal], str] | None:
    """The shares of income of the latest co-owner agreement covering ``result`` (by organisation id),
    with the agreement's title; ``None`` without one. Registered with rights as the owners' shares
    before a 赋权 (``opentto.rights.hooks``): a system read, not shown to any user."""
    agreement = (
        Agreement.objects.filter(kind=AgreementKindChoices.CO_OWNER, results=result)
        .order_by("-signed_on", "-id")
        .first()
    )
    if agreement is None:
        return None
    shares = {s.organisation_id: s.share for s in agreement.shares.all()}
    if not shares:
        return None
    with translation.override("zh-hans"):
        zh = _("co-owner agreement “%(title)s”") % {"title": agreement.title}
    with translation.override("en"):
        en = _("co-owner agreement “%(title)s”") % {"title": agreement.title}
    return shares, f"{zh} / {en}"
