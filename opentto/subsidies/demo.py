"""Demo subsidies: the Xuhui programme (cap 5,000,000 yuan per project) with a budget for this
year and one application at every status, made through the services (the ones past review have a
finalised expert review round of the evaluation app; the one under review a round with one expert
still to score); an IP pledge interest
subsidy programme as a second programme type. Figures of the story are untouched."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from opentto.accounts.models import User
from opentto.evaluation.models import Rubric
from opentto.evaluation.selectors import reviewer_conflicts
from opentto.evaluation.services import ScoreInput, review_declare, review_save, round_finalise
from opentto.landing.models import COUNTED_STATUSES, Deal

from . import services
from .models import Application, ProgrammeKindChoices, Tranche

XUHUI_BASIS_ZH = "《徐汇区关于促进科技成果转移转化的实施意见》"
XUHUI_BASIS_EN = "Xuhui District implementing opinions on promoting the transfer and transformation of scientific and technological achievements"

# A minimal valid PDF, as the supporting document of each budget line.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _doc(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _review(
    application: Application, manager: User, panel: list[User], *, finalise: bool, centre: int
) -> None:
    """The expert review through the evaluation services: a subsidy-review round on the first
    linked result; finalised (every expert scored) or, while under review, with one expert to go."""
    result = services.review_result(application)
    assert result is not None
    experts = [u for u in panel if not reviewer_conflicts(u, result)][:2]
    review_round = services.application_review_open(
        application=application,
        rubric=Rubric.objects.get(key="result-value", is_active=True),
        deadline=timezone.localdate() + timedelta(days=14),
        reviewers=experts,
        min_reviews=len(experts),
        actor=manager,
    )
    for n, assignment in enumerate(review_round.assignments.order_by("pk")):
        if not finalise and n == len(experts) - 1:
            break  # the last expert (the demo reviewer where there is one) has still to score
        review_declare(assignment=assignment, has_conflict=False, actor=assignment.reviewer)
        scores = {
            key: ScoreInput(
                min(5, centre + (k + n) % 2),
                "中试数据与合作企业的量产计划可信。 / Credible pilot data and production plan.",
            )
            for k, key in enumerate(review_round.weights)
        }
        review_save(
            assignment=assignment,
            scores=scores,
            actor=assignment.reviewer,
            submit=True,
            notify=False,
        )
    if finalise:
        round_finalise(
            review_round=review_round,
            recommendation="proceed",
            transfer_modes=["licence"],
            actor=manager,
            strengths_zh="技术成熟，合作企业具备量产能力。",
            strengths_en="Mature technology; the partner can produce at scale.",
            risks_zh="量产投入较大，需按里程碑拨付。",
            risks_en="Production needs heavy investment: pay by milestone.",
            conditions_zh="中试线建成后拨付首笔资金。",
            conditions_en="The first tranche follows the pilot line.",
            store_report=False,
            notify=False,
        )


def _project_titles(results: list[Any], n: int) -> tuple[str, str]:
    """The project's name: after its result, unless the result is confidential. An application is
    read by officials and reviewers who may not see a confidential result, so its name must not
    give the result's title away (the application form's help says so)."""
    if not results:
        return "产业化项目", "Industrialisation project"
    first = results[0]
    if first.is_public:
        return f"{first.title_zh}产业化", f"Industrialising: {first.title_en}"
    with translation.override("zh-hans"):
        field_zh = str(first.get_field_display())
    with translation.override("en"):
        field_en = str(first.get_field_display()).lower()
    return (
        f"{field_zh}领域保密成果产业化项目（{n + 1}）",
        f"Industrialising a confidential {field_en} result ({n + 1})",
    )


def load(context: Any) -> None:
    manager, official = context.users["manager"], context.users["official"]
    reviewer = context.users.get("reviewer")
    lin, qiao = (
        User.objects.filter(username=name).first() for name in ("expert-lin", "expert-qiao")
    )
    panel = [
        u for u in (lin, reviewer, qiao) if u is not None
    ]  # the demo reviewer second: last to score
    today = timezone.localdate()
    year = today.year
    xuhui = services.programme_create(
        code="xuhui-transfer",
        kind=ProgrammeKindChoices.INDUSTRIALISATION,
        name_zh="徐汇区科技成果转化产业化项目支持",
        name_en="Xuhui support for industrialising research results",
        legal_basis_zh=XUHUI_BASIS_ZH,
        legal_basis_en=XUHUI_BASIS_EN,
        who_may_apply_zh="高校、科研院所与企业合作开展科技成果产业化的项目，由企业或院所申报。",
        who_may_apply_en="Projects in which a university or research institute cooperates with an enterprise on industrialising a result; the enterprise or the institute applies.",
        cap_per_project_cny=Decimal("5000000.00"),
        window_opens=date(year, 1, 1),
        window_closes=date(year, 12, 31),
        requires_deal=True,
        budgets=[(year, Decimal("20000000.00")), (year - 1, Decimal("15000000.00"))],
        actor=None,
    )
    services.programme_create(
        code="xuhui-ip-pledge",
        kind=ProgrammeKindChoices.IP_PLEDGE_INTEREST,
        name_zh="知识产权质押融资贴息",
        name_en="IP pledge financing interest subsidy",
        legal_basis_zh=XUHUI_BASIS_ZH,
        legal_basis_en=XUHUI_BASIS_EN,
        who_may_apply_zh="以知识产权质押获得银行贷款的企业。",
        who_may_apply_en="Enterprises with bank loans secured by a pledge of IP.",
        cap_per_project_cny=Decimal("500000.00"),
        window_opens=date(year, 1, 1),
        window_closes=date(year, 12, 31),
        requires_research_partner=False,
        requires_enterprise_partner=True,
        budgets=[(year, Decimal("3000000.00"))],
        actor=None,
    )
    deals = [
        d
        for d in Deal.objects.filter(status__in=COUNTED_STATUSES, counterparty__kind="enterprise")
        .select_related("counterparty")
        .prefetch_related("results", "owners")
        .order_by("pk")
        if any(o.is_research for o in d.owners.all())
    ]
    statuses = [
        "draft",
        "submitted",
        "ineligible",
        "under_review",
        "recognised",
        "approved",
        "disbursed",
        "rejected",
        "withdrawn",
    ]
    for n, status in enumerate(statuses):
        deal = deals[n % len(deals)]
        owner = next((o for o in deal.owners.all() if o.is_research), None)
        results = list(deal.results.all())
        enterprise = deal.counterparty
        requested = (
            Decimal("6200000.00") if status == "ineligible" else Decimal(1200000 + 350000 * n)
        )
        title_zh, title_en = _project_titles(results, n)
        application = services.application_create(
            programme=xuhui,
            applicant=enterprise,
            partners=[owner] if owner else [],
            results=results,
            deal=deal,
            project_title_zh=title_zh,
            project_title_en=title_en,
            description="企业与院所合作，完成中试与量产准备。 / The enterprise and the institute take the result through pilot production.",
            requested_cny=requested,
            year=year,
            budget_lines=[
                services.BudgetLineInput(
                    "equipment",
                    "中试设备 / Pilot-line equipment",
                    requested,
                    _doc("equipment-quote.pdf"),
                ),
                services.BudgetLineInput(
                    "licence_fee",
                    "技术许可费 / Licence fee",
                    requested / 2,
                    _doc("licence-invoice.pdf"),
                ),
            ],
            actor=manager,
        )
        if status == "draft":
            continue
        if status == "withdrawn":
            services.application_withdraw(application=application, actor=manager)
            continue
        application = services.application_submit(
            application=application, actor=manager, today=today
        )
        if application.status == "ineligible" and status != "ineligible":
            raise RuntimeError(application.eligibility)
        if status in {"submitted", "ineligible"}:
            continue
        if status == "rejected":
            services.application_reject(
                application=application,
                reason="项目产业化路径不清晰 / The path to industrialisation is unclear.",
                actor=official,
            )
            continue
        services.application_start_review(application=application, actor=official)
        _review(application, manager, panel, finalise=status != "under_review", centre=3 + n % 2)
        if status == "under_review":
            continue
        services.application_recognise(
            application=application, recognition_number=f"XH-{year}-{n:03d}", actor=official
        )
        if status == "recognised":
            continue
        approved = min(requested, Decimal("5000000.00"))
        services.application_approve(application=application, amount_cny=approved, actor=official)
        first = (approved * Decimal("0.6")).quantize(Decimal("0.01"))
        t1 = services.tranche_add(
            application=application,
            milestone="中试线建成 / Pilot line built",
            amount_cny=first,
            actor=official,
        )
        t2 = services.tranche_add(
            application=application,
            milestone="首批产品交付 / First products delivered",
            amount_cny=approved - first,
            actor=official,
        )
        services.tranche_accept(
            tranche=t1,
            acceptance_note="现场验收：中试线运行正常。 / Site check: the pilot line runs.",
            actor=official,
        )
        services.tranche_pay(tranche=t1, paid_on=today, actor=official)
        if status == "disbursed":
            services.tranche_accept(
                tranche=Tranche.objects.get(pk=t2.pk),
                acceptance_note="交付单据核验。 / Delivery notes verified.",
                actor=official,
            )
            services.tranche_pay(
                tranche=Tranche.objects.get(pk=t2.pk), paid_on=today, actor=official
            )
