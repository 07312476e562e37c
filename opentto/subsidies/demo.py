"""Demo subsidies: the Xuhui programme (cap 5,000,000 yuan per project) with a budget for this
year and one application at every status, made through the services; an IP pledge interest
subsidy programme as a second programme type. Figures of the story are untouched."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opentto.landing.models import COUNTED_STATUSES, Deal

from . import services
from .models import ProgrammeKindChoices, Tranche

XUHUI_BASIS_ZH = "《徐汇区关于促进科技成果转移转化的实施意见》"
XUHUI_BASIS_EN = "Xuhui District implementing opinions on promoting the transfer and transformation of scientific and technological achievements"

# A minimal valid PDF, as the supporting document of each budget line.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _doc(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def load(context: Any) -> None:
    manager, official = context.users["manager"], context.users["official"]
    reviewer = context.users.get("reviewer", official)
    today = timezone.localdate()
    year = today.year
    xuhui = services.programme_create(
        code="xuhui-transfer", kind=ProgrammeKindChoices.INDUSTRIALISATION,
        name_zh="徐汇区科技成果转化产业化项目支持", name_en="Xuhui support for industrialising research results",
        legal_basis_zh=XUHUI_BASIS_ZH, legal_basis_en=XUHUI_BASIS_EN,
        who_may_apply_zh="高校、科研院所与企业合作开展科技成果产业化的项目，由企业或院所申报。",
        who_may_apply_en="Projects in which a university or research institute cooperates with an enterprise on industrialising a result; the enterprise or the institute applies.",
        cap_per_project_cny=Decimal("5000000.00"), window_opens=date(year, 1, 1), window_closes=date(year, 12, 31),
        requires_deal=True, budgets=[(year, Decimal("20000000.00")), (year - 1, Decimal("15000000.00"))], actor=None,
    )
    services.programme_create(
        code="xuhui-ip-pledge", kind=ProgrammeKindChoices.IP_PLEDGE_INTEREST,
        name_zh="知识产权质押融资贴息", name_en="IP pledge financing interest subsidy",
        legal_basis_zh=XUHUI_BASIS_ZH, legal_basis_en=XUHUI_BASIS_EN,
        who_may_apply_zh="以知识产权质押获得银行贷款的企业。", who_may_apply_en="Enterprises with bank loans secured by a pledge of IP.",
        cap_per_project_cny=Decimal("500000.00"), window_opens=date(year, 1, 1), window_closes=date(year, 12, 31),
        requires_research_partner=False, requires_enterprise_partner=True, budgets=[(year, Decimal("3000000.00"))], actor=None,
    )
    deals = [
        d for d in Deal.objects.filter(status__in=COUNTED_STATUSES, counterparty__kind="enterprise").select_related("counterparty").prefetch_related("results", "owners").order_by("pk")
        if any(o.is_research for o in d.owners.all())
    ]
    statuses = ["draft", "submitted", "ineligible", "under_review", "recognised", "approved", "disbursed", "rejected", "withdrawn"]
    for n, status in enumerate(statuses):
        deal = deals[n % len(deals)]
        owner = next((o for o in deal.owners.all() if o.is_research), None)
        results = list(deal.results.all())
        enterprise = deal.counterparty
        requested = Decimal("6200000.00") if status == "ineligible" else Decimal(1200000 + 350000 * n)
        application = services.application_create(
            programme=xuhui, applicant=enterprise, partners=[owner] if owner else [], results=results, deal=deal,
            project_title_zh=f"{results[0].title_zh}产业化" if results else "产业化项目",
            project_title_en=f"Industrialising: {results[0].title_en}" if results else "Industrialisation project",
            description="企业与院所合作，完成中试与量产准备。 / The enterprise and the institute take the result through pilot production.",
            requested_cny=requested, year=year,
            budget_lines=[
                services.BudgetLineInput("equipment", "中试设备 / Pilot-line equipment", requested, _doc("equipment-quote.pdf")),
                services.BudgetLineInput("licence_fee", "技术许可费 / Licence fee", requested / 2, _doc("licence-invoice.pdf")),
            ],
            actor=manager,
        )
        if status == "draft":
            continue
        if status == "withdrawn":
            services.application_withdraw(application=application, actor=manager)
            continue
        application = services.application_submit(application=application, actor=manager, today=today)
        if application.status == "ineligible" and status != "ineligible":
            raise RuntimeError(application.eligibility)
        if status in {"submitted", "ineligible"}:
            continue
        if status == "rejected":
            services.application_reject(application=application, reason="项目产业化路径不清晰 / The path to industrialisation is unclear.", actor=official)
            continue
        services.application_start_review(application=application, actor=official)
        services.review_record(application=application, score=82 + n, recommendation="support", recommended_cny=requested,
                               comments="技术成熟，合作方具备量产能力。 / Mature technology; the partner can produce at scale.", actor=reviewer)
        if status == "under_review":
            continue
        services.application_recognise(application=application, recognition_number=f"XH-{year}-{n:03d}", actor=official)
        if status == "recognised":
            continue
        approved = min(requested, Decimal("5000000.00"))
        services.application_approve(application=application, amount_cny=approved, actor=official)
        first = (approved * Decimal("0.6")).quantize(Decimal("0.01"))
        t1 = services.tranche_add(application=application, milestone="中试线建成 / Pilot line built", amount_cny=first, actor=official)
        t2 = services.tranche_add(application=application, milestone="首批产品交付 / First products delivered", amount_cny=approved - first, actor=official)
        services.tranche_accept(tranche=t1, acceptance_note="现场验收：中试线运行正常。 / Site check: the pilot line runs.", actor=official)
        services.tranche_pay(tranche=t1, paid_on=today, actor=official)
        if status == "disbursed":
            services.tranche_accept(tranche=Tranche.objects.get(pk=t2.pk), acceptance_note="交付单据核验。 / Delivery notes verified.", actor=official)
            services.tranche_pay(tranche=Tranche.objects.get(pk=t2.pk), paid_on=today, actor=official)
