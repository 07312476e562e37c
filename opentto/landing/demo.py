"""Demo money for the story's landed deals: schedules, payments received, costs, distribution
rules and the distribution of each payment; a royalty-bearing licence with reports (one short and
overdue); a negotiated deal under public notice; agreements beside the deals. Everything goes
through the services. The story's figures (92 incubated, 10 landed, the transaction value) are
untouched: no counted deal is added, changed in amount or terminated."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.utils import timezone

from opentto.organisations.models import Organisation
from opentto.results.models import ResultStageChoices

from . import services
from .models import (
    COUNTED_STATUSES,
    AgreementKindChoices,
    ContractKindChoices,
    ContractObjectChoices,
    Deal,
    DealTypeChoices,
    PriceMethodChoices,
    ScheduleKindChoices,
)
from .services import DealTerms

FEN = Decimal("0.01")


def _part(amount: Decimal, share: str) -> Decimal:
    return (amount * Decimal(share)).quantize(FEN, rounding=ROUND_DOWN)


def _terms_of(deal: Deal, **changes: Any) -> DealTerms:
    values = {k: getattr(deal, k) for k in DealTerms.__dataclass_fields__}
    for k in ("spinoff_name", "spinoff_credit_code"):
        values[k] = values[k] or ""
    values.update(changes)
    return DealTerms(**values)


def load(context: Any) -> None:
    manager = context.users["manager"]
    today = timezone.localdate()
    research = {o.pk: o for o in context.organisations.values() if o.is_research}

    # Distribution rules: most institutions follow Shanghai's 70%; one has kept the national floor,
    # so the platform's warning shows.
    for n, org in enumerate(sorted(research.values(), key=lambda o: o.pk)):
        team = Decimal("0.50") if n == 1 else Decimal("0.70")
        services.rule_set(
            organisation=org,
            team_share=team,
            tto_share=Decimal("0.10"),
            equity_team_share=Decimal("0.70"),
            legal_source=f"{org.name_zh}科技成果转化管理办法 / {org.name_en} rules on the transfer of results",
            state_established=True,
            in_shanghai=True,
            actor=manager,
        )

    deals = list(
        Deal.objects.filter(status__in=COUNTED_STATUSES)
        .order_by("signed_on", "pk")
        .prefetch_related("results", "owners")
    )
    for n, deal in enumerate(deals):
        signed = deal.signed_on or today
        services.deal_update_terms(
            deal=deal,
            amount_cny=deal.amount_cny,
            actor=manager,
            terms=_terms_of(
                deal, term_starts_on=signed, term_ends_on=signed.replace(year=signed.year + 10)
            ),
        )
        # an odd upfront amount on purpose (distributed to the fen with nothing lost); the schedule
        # asks for exactly what arrives, so no payment is "overdue" by a fen in anyone's work queue
        upfront = _part(deal.amount_cny, "0.3") - Decimal("0.01") * (n % 3)
        services.schedule_item_add(
            deal=deal,
            kind=ScheduleKindChoices.UPFRONT,
            amount_cny=upfront,
            due_on=signed + timedelta(days=30),
            description="首付款 / Upfront payment",
            actor=manager,
        )
        services.schedule_item_add(
            deal=deal,
            kind=ScheduleKindChoices.MILESTONE,
            amount_cny=deal.amount_cny - upfront,
            due_on=signed + timedelta(days=400),
            description="产品注册证获批 / Product registration granted",
            actor=manager,
        )
        result = deal.results.first()
        if result is not None:
            services.cost_record(
                result=result,
                kind="filing_fee",
                amount_cny=Decimal("3450.00"),
                incurred_on=min(signed, today),
                description="申请费、审查费 / Filing and examination fees",
                actor=manager,
            )
            services.cost_record(
                result=result,
                kind="agent",
                amount_cny=Decimal("8000.00"),
                incurred_on=min(signed, today),
                description="代理机构发票 / Patent agent's invoice",
                actor=manager,
            )
        received_on = min(signed + timedelta(days=25), today)
        first = services.payment_record(
            deal=deal,
            received_on=received_on,
            amount_cny=upfront,
            schedule_item=deal.schedule.first(),
            note="首付款到账 / Upfront received",
            actor=manager,
        )
        services.payment_distribute(payment=first, actor=manager)
        if n % 2 == 0 and signed + timedelta(days=400) <= today:
            second = services.payment_record(
                deal=deal,
                received_on=signed + timedelta(days=400),
                amount_cny=_part(deal.amount_cny - upfront, "0.5"),
                schedule_item=deal.schedule.last(),
                note="里程碑款（部分） / Milestone (part)",
                actor=manager,
            )
            services.payment_distribute(payment=second, actor=manager)
        if n == 0:
            services.deal_bring_into_force(deal=deal, in_force_on=signed, actor=manager)
        if n == 1:
            services.deal_bring_into_force(deal=deal, in_force_on=signed, actor=manager)
            services.deal_complete(deal=deal, completed_on=today, actor=manager)

    # A licence with running royalties: two reports, the second short and overdue.
    licence = next(
        (
            d
            for d in deals[2:] + deals[:1]
            if d.deal_type
            in {
                DealTypeChoices.LICENCE_NON_EXCLUSIVE,
                DealTypeChoices.LICENCE_SOLE,
                DealTypeChoices.LICENCE_EXCLUSIVE,
            }
        ),
        None,
    )
    if licence is not None and licence.signed_on:
        licence.refresh_from_db()
        services.deal_update_terms(
            deal=licence,
            amount_cny=licence.amount_cny,
            actor=manager,
            terms=_terms_of(
                licence, royalty_rate=Decimal("0.035"), royalty_minimum_cny=Decimal("50000.00")
            ),
        )
        licence.refresh_from_db()
        start = date(licence.signed_on.year + 1, 1, 1)
        if date(start.year, 12, 31) + timedelta(days=60) < today:
            r1 = services.royalty_report_record(
                deal=licence,
                period_start=start,
                period_end=date(start.year, 6, 30),
                due_on=date(start.year, 7, 31),
                net_sales_cny=Decimal("8765432.10"),
                actor=manager,
            )
            p1 = services.payment_record(
                deal=licence,
                received_on=date(start.year, 7, 28),
                amount_cny=r1.royalty_due_cny,
                royalty_report=r1,
                note="提成费 / Royalty",
                actor=manager,
            )
            services.payment_distribute(payment=p1, actor=manager)
            r2 = services.royalty_report_record(
                deal=licence,
                period_start=date(start.year, 7, 1),
                period_end=date(start.year, 12, 31),
                due_on=date(start.year + 1, 1, 31),
                net_sales_cny=Decimal("12000000.00"),
                actor=manager,
            )
            services.payment_record(
                deal=licence,
                received_on=date(start.year + 1, 2, 10),
                amount_cny=Decimal("300000.00"),
                royalty_report=r2,
                note="提成费（不足） / Royalty (short)",
                actor=manager,
            )

    _register_contracts(deals, licence, manager, today)

    # A negotiated price under public notice, on a result still in landing (not counted: figures unchanged).
    landing = [
        r
        for r in context.results.values()
        if r.stage == ResultStageChoices.LANDING and not r.deals.exists()
    ]
    enterprises = [o for o in context.organisations.values() if o.kind == "enterprise"]
    if landing and enterprises:
        result = landing[0]
        owners = set(result.ownerships.values_list("organisation_id", flat=True))
        buyer = next(o for o in enterprises if o.pk not in owners)
        draft = services.deal_create(
            results=[result],
            counterparty=buyer,
            deal_type=DealTypeChoices.ASSIGNMENT,
            amount_cny=Decimal("2860000.00"),
            title="",
            actor=manager,
            terms=DealTerms(
                price_method=PriceMethodChoices.NEGOTIATED
            ),  # untitled: named in the reader's language
        )
        services.deal_notice_start(
            deal=draft, starts_on=today, ends_on=today + timedelta(days=15), actor=manager
        )
        # a foreign-currency draft licence: amount, currency and rate kept
        if len(landing) > 1:
            other = landing[1]
            owners = set(other.ownerships.values_list("organisation_id", flat=True))
            buyer2 = next(o for o in reversed(enterprises) if o.pk not in owners)
            services.deal_create(
                results=[other],
                counterparty=buyer2,
                deal_type=DealTypeChoices.LICENCE_NON_EXCLUSIVE,
                amount_cny=None,
                title="",
                actor=manager,
                terms=DealTerms(
                    price_method=PriceMethodChoices.EXCHANGE,
                    currency="USD",
                    amount_foreign=Decimal("150000.00"),
                    fx_rate=Decimal("7.1234"),
                ),
            )

    # Agreements beside the deals.
    if deals:
        deal = deals[0]
        owner: Organisation | None = deal.owners.first()
        if owner is not None:
            services.agreement_create(
                kind=AgreementKindChoices.NDA,
                title="保密协议（尽职调查） / NDA for due diligence",
                parties=[owner, deal.counterparty],
                results=list(deal.results.all()),
                signed_on=(deal.signed_on or today) - timedelta(days=90),
                actor=manager,
            )
            services.agreement_create(
                kind=AgreementKindChoices.MTA,
                title="材料转移协议（样品测试） / MTA for sample testing",
                parties=[owner, deal.counterparty],
                results=list(deal.results.all()),
                signed_on=(deal.signed_on or today) - timedelta(days=60),
                expires_on=(deal.signed_on or today) + timedelta(days=305),
                actor=manager,
            )
    co_owned = [r for r in context.results.values() if r.ownerships.count() > 1]
    if co_owned:
        r = co_owned[0]
        orgs = [o.organisation for o in r.ownerships.select_related("organisation")]
        if len(orgs) == 2:
            shares = [(orgs[0], Decimal("60")), (orgs[1], Decimal("40"))]
            services.agreement_create(
                kind=AgreementKindChoices.CO_OWNER,
                title=f"“{r.title_zh}”共有权人协议 / Co-owner agreement",
                parties=orgs,
                results=[r],
                signed_on=r.onboarded_at.date(),
                shares=shares,
                actor=manager,
            )


#: A one-page PDF standing for the office's registration certificate (登记证明).
CERTIFICATE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
OFFICE = (
    "上海市技术合同认定登记机构（示例） / Shanghai technology-contract registration office (demo)"
)


def _register_contracts(deals: list[Deal], licence: Deal | None, manager: Any, today: date) -> None:
    """Technology-contract registration: every counted deal classified (development deals as
    commissioned; equity as a transfer of the patent, 技术入股); the royalty-bearing licence
    registered with its technology-related income and claiming both reliefs, with the office's
    certificate; the other deals registered, except the last one, which claims both reliefs while
    its application is still pending (flagged on its page, in the list and in the API)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    pending = next((d for d in reversed(deals) if d != licence), None)
    for n, deal in enumerate(deals):
        deal.refresh_from_db()
        signed = deal.signed_on or today
        kind = deal.contract_kind or (
            ContractKindChoices.TRANSFER
            if deal.deal_type in (DealTypeChoices.EQUITY, DealTypeChoices.SPIN_OFF)
            else ContractKindChoices.DEV_COMMISSIONED
        )
        obj = (
            ContractObjectChoices.PATENT
            if kind in (ContractKindChoices.TRANSFER, ContractKindChoices.LICENCE)
            else ""
        )
        claims = deal in (licence, pending)
        services.deal_classify(
            deal=deal,
            contract_kind=kind,
            contract_object=obj,
            bundled_support_services=deal == licence,
            claims_vat_exemption=claims,
            claims_income_tax_relief=claims,
            actor=manager,
        )
        services.registration_apply(
            deal=deal,
            applied_on=min(signed + timedelta(days=10), today),
            office=OFFICE,
            actor=manager,
        )
        if deal == pending:
            continue
        # the office leaves out what is not technology (equipment, materials): 90 % here, to the fen
        income = (
            deal.amount_cny
            if kind in (ContractKindChoices.TRANSFER, ContractKindChoices.LICENCE)
            else _part(deal.amount_cny, "0.9")
        )
        documents = (
            [
                SimpleUploadedFile(
                    "技术合同登记证明.pdf", CERTIFICATE_PDF, content_type="application/pdf"
                )
            ]
            if deal == licence
            else []
        )
        services.registration_register(
            deal=deal,
            number=f"{signed.year}31010{4000 + n:05d}",
            registered_on=min(signed + timedelta(days=20), today),
            technology_income_cny=income,
            documents=documents,
            actor=manager,
        )
