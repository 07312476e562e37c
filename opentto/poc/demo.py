"""Demo proof of concept: a district programme as a site would configure it (its cap of 500,000.00
yuan per project is a site setting for the demo, not a confirmed figure of any real programme),
one project running (budget from two sources, one milestone done with evidence, one to come) and
one concluded "go" through a finalised go/no-go round of the evaluation app. Results keep their
stages: a proof of concept is not a pipeline step."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opentto.accounts.models import User
from opentto.evaluation.models import LIVE_ROUND_STATUSES, Rubric
from opentto.evaluation.selectors import reviewer_conflicts
from opentto.evaluation.services import ScoreInput, review_declare, review_save, round_finalise
from opentto.results.models import Result

from . import services
from .models import PocProject

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SOURCE_ZH = "区级概念验证项目资助办法（本站配置；上限为本站设置，请以该办法原文为准）"
SOURCE_EN = "District proof-of-concept funding measures (configured by this site; the cap is this site's setting: check it against the measures' own text)"


def _doc(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _project(
    result: Result,
    manager: User,
    programme: Any,
    title_zh: str,
    title_en: str,
    *,
    done: int,
    total: int,
) -> PocProject:
    today = timezone.localdate()
    project = services.project_create(
        result=result, title_zh=title_zh, title_en=title_en, lead=manager, actor=manager
    )
    services.budget_commit(
        project=project,
        source="district_programme",
        programme=programme,
        amount_cny="300000.00",
        actor=manager,
        note="区级资助 / District grant",
    )
    services.budget_commit(
        project=project,
        source="institution",
        amount_cny="150000.00",
        actor=manager,
        note="院所配套 / Institution's match",
    )
    steps = [
        ("样机搭建", "Prototype built"),
        ("用户现场测试", "Field test with a first user"),
        ("成本核算", "Unit cost worked out"),
    ][:total]
    milestones = [
        services.milestone_add(
            project=project,
            title_zh=zh,
            title_en=en,
            due_on=today + timedelta(days=30 * (n + 1) - 90),
            actor=manager,
        )
        for n, (zh, en) in enumerate(steps)
    ]
    services.project_start(project=project, actor=manager)
    line = project.budget_lines.get(source="district_programme")
    services.spending_record(
        line=line,
        amount_cny="120000.00",
        spent_on=today - timedelta(days=20),
        description="样机材料 / Prototype materials",
        actor=manager,
    )
    for m in milestones[:done]:
        services.milestone_complete(
            milestone=m,
            done_on=today - timedelta(days=10),
            note="样机通过内部测试。 / The prototype passed internal tests.",
            evidence=[_doc("test-report.pdf")],
            actor=manager,
        )
    project.refresh_from_db()
    return project


def load(context: Any) -> None:
    manager = context.users["manager"]
    reviewer = context.users.get("reviewer")
    today = timezone.localdate()
    programme = services.programme_create(
        name_zh="区级概念验证计划",
        name_en="District proof-of-concept programme",
        funder="区科学技术委员会 / District science and technology commission",
        source_zh=SOURCE_ZH,
        source_en=SOURCE_EN,
        cap_per_project_cny=Decimal("500000.00"),
        active_from=date(today.year - 1, 1, 1),
        actor=None,
    )
    rubric = Rubric.objects.filter(key="result-value", is_active=True).first()
    candidates = [
        r
        for r in Result.objects.filter(stage__in=services.START_STAGES).order_by("pk")
        if not r.review_rounds.filter(status__in=LIVE_ROUND_STATUSES).exists()
    ]
    if len(candidates) < 2 or rubric is None:
        return
    _project(
        candidates[0],
        manager,
        programme,
        "概念验证：样机与首个用户",
        "Proof of concept: prototype and a first user",
        done=1,
        total=2,
    )
    concluded = _project(
        candidates[1],
        manager,
        programme,
        "概念验证：中试可行性",
        "Proof of concept: pilot feasibility",
        done=2,
        total=2,
    )
    experts = [
        u
        for u in User.objects.filter(username__in=("expert-lin", "expert-qiao")).order_by(
            "username"
        )
        if not reviewer_conflicts(u, concluded.result)
    ]
    if reviewer is not None and not experts:
        experts = [reviewer]
    if not experts:
        return
    concluded = services.project_open_review(
        project=concluded,
        rubric=rubric,
        deadline=today + timedelta(days=14),
        reviewers=experts,
        min_reviews=len(experts),
        actor=manager,
    )
    assert concluded.review_round is not None
    for assignment in concluded.review_round.assignments.order_by("pk"):
        review_declare(assignment=assignment, has_conflict=False, actor=assignment.reviewer)
        scores = {
            key: ScoreInput(
                4,
                "样机数据可信，首个用户愿意试用。 / Credible prototype data; a first user will try it.",
            )
            for key in concluded.review_round.weights
        }
        review_save(
            assignment=assignment,
            scores=scores,
            actor=assignment.reviewer,
            submit=True,
            notify=False,
        )
    round_finalise(
        review_round=concluded.review_round,
        recommendation="proceed",
        transfer_modes=["licence"],
        actor=manager,
        strengths_zh="样机达到设计指标。",
        strengths_en="The prototype meets its design targets.",
        risks_zh="量产成本仍需验证。",
        risks_en="The cost at volume is still to be shown.",
        store_report=False,
        notify=False,
    )
    services.project_conclude(project=concluded, actor=manager)
