from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opentto.evaluation.models import Rubric
from opentto.evaluation.services import ScoreInput, review_declare, review_save, round_finalise
from opentto.poc import services
from opentto.results.pipeline import result_transition

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TODAY = timezone.localdate()


def doc(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def programme(db):
    return services.programme_create(
        name_zh="区级概念验证计划",
        name_en="District proof-of-concept programme",
        funder="District commission",
        source_zh="区级概念验证项目资助办法",
        source_en="District measures",
        cap_per_project_cny="500000",
        active_from=TODAY - dt.timedelta(days=30),
        actor=None,
    )


@pytest.fixture
def in_evaluation(onboarded, manager):
    return result_transition(result=onboarded, target="evaluation", actor=manager)


@pytest.fixture
def project(in_evaluation, manager):
    return services.project_create(
        result=in_evaluation, title_zh="样机验证", title_en="Prototype proof", actor=manager
    )


def running(project, manager, programme=None, amount="300000"):
    """Committed (the programme's money, else the institution's), one milestone, started."""
    if programme is not None:
        services.budget_commit(
            project=project,
            source="district_programme",
            programme=programme,
            amount_cny=amount,
            actor=manager,
        )
    else:
        services.budget_commit(
            project=project, source="institution", amount_cny=amount, actor=manager
        )
    milestone = services.milestone_add(
        project=project,
        title_en="Prototype built",
        due_on=TODAY + dt.timedelta(days=30),
        actor=manager,
    )
    services.project_start(project=project, actor=manager)
    return milestone


def concluded(project, manager, reviewer, recommendation="proceed"):
    """Run the project to the end: milestone done, go/no-go round scored and finalised, concluded."""
    milestone = running(project, manager)
    services.milestone_complete(
        milestone=milestone, done_on=TODAY, note="It works.", evidence=[doc()], actor=manager
    )
    project = services.project_open_review(
        project=project,
        rubric=Rubric.objects.get(key="result-value", is_active=True),
        deadline=TODAY + dt.timedelta(days=14),
        reviewers=[reviewer],
        min_reviews=1,
        actor=manager,
    )
    assignment = project.review_round.assignments.get()
    review_declare(assignment=assignment, has_conflict=False, actor=reviewer)
    review_save(
        assignment=assignment,
        scores={k: ScoreInput(4, "data") for k in project.review_round.weights},
        actor=reviewer,
        submit=True,
        notify=False,
    )
    round_finalise(
        review_round=project.review_round,
        recommendation=recommendation,
        transfer_modes=["licence"] if recommendation == "proceed" else [],
        strengths_en="Works.",
        risks_en="Cost.",
        actor=manager,
        store_report=False,
        notify=False,
    )
    return services.project_conclude(project=project, actor=manager)
