"""Proof of concept: the programme's cap per project (in the service, in the database, under
concurrent commitments), the stage guard, the state machine and its refusals (which write
nothing), spending within what each source committed, milestones with evidence, and the outcome
read by the plan."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from opentto.core.models import AuditEvent
from opentto.evaluation.models import Rubric
from opentto.evaluation.services import evaluation_record, round_cancel
from opentto.planning.services import plan_create
from opentto.poc import services
from opentto.poc.models import (
    PocBudgetLine,
    PocCommitment,
    PocEvent,
    PocEvidence,
    PocProject,
    PocSpending,
)
from opentto.results.pipeline import result_transition

from ..conftest import make_user
from .conftest import TODAY, concluded, doc, running


def state(project):
    """What a refusal must leave unchanged."""
    project.refresh_from_db()
    return (
        project.status,
        project.committed_cny,
        project.spent_cny,
        PocCommitment.objects.count(),
        PocSpending.objects.count(),
        PocEvent.objects.count(),
        AuditEvent.objects.filter(action__startswith="poc.").count(),
    )


@pytest.mark.django_db
def test_a_commitment_above_the_cap_is_refused_with_the_cap_what_is_committed_and_what_remains_and_exactly_the_cap_is_allowed(
    project, programme, manager
):
    line = services.budget_commit(
        project=project,
        source="district_programme",
        programme=programme,
        amount_cny="300000",
        actor=manager,
    )
    assert (line.cap_cny, line.committed_cny, line.cap_remaining_cny) == (
        Decimal("500000.00"),
        Decimal("300000.00"),
        Decimal("200000.00"),
    )
    before = state(project)
    with pytest.raises(ValidationError) as refused:
        services.budget_commit(
            project=project,
            source="district_programme",
            programme=programme,
            amount_cny="200000.01",
            actor=manager,
        )
    assert refused.value.message_dict == {
        "amount_cny": [
            "District proof-of-concept programme caps a project at 500,000.00 yuan: 300,000.00 yuan is committed and 200,000.00 yuan remains, "
            "so 200,000.01 yuan cannot be committed."
        ]
    }
    assert state(project) == before
    line = services.budget_commit(
        project=project,
        source="district_programme",
        programme=programme,
        amount_cny="200000.00",
        actor=manager,
    )
    assert (line.committed_cny, line.cap_remaining_cny) == (Decimal("500000.00"), Decimal("0.00"))
    project.refresh_from_db()
    assert project.committed_cny == Decimal("500000.00")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused_zh:
        services.budget_commit(
            project=project,
            source="district_programme",
            programme=programme,
            amount_cny="0.01",
            actor=manager,
        )
    assert refused_zh.value.messages == [
        "区级概念验证计划每个项目上限为 500,000.00 元：已承诺 500,000.00 元，剩余 0.00 元，因此不能承诺 0.01 元。"
    ]
    # the cap binds the programme's money only: the institution may add more
    services.budget_commit(
        project=project, source="institution", amount_cny="250000", actor=manager
    )
    project.refresh_from_db()
    assert project.committed_cny == Decimal("750000.00")
    # the cap is per project: another project has its own
    other = services.project_create(result=project.result, title_en="Second proof", actor=manager)
    assert services.budget_commit(
        project=other,
        source="district_programme",
        programme=programme,
        amount_cny="500000",
        actor=manager,
    ).committed_cny == Decimal("500000.00")


@pytest.mark.django_db
def test_the_database_refuses_a_line_above_its_cap(project, programme, manager):
    line = services.budget_commit(
        project=project,
        source="district_programme",
        programme=programme,
        amount_cny="500000",
        actor=manager,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PocBudgetLine.objects.filter(pk=line.pk).update(committed_cny=Decimal("500000.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PocBudgetLine.objects.filter(pk=line.pk).update(spent_cny=Decimal("500000.01"))


@pytest.mark.django_db
def test_a_lowered_programme_cap_binds_later_commitments_never_below_what_is_committed(
    project, programme, manager
):
    services.budget_commit(
        project=project,
        source="district_programme",
        programme=programme,
        amount_cny="300000",
        actor=manager,
    )
    type(programme).objects.filter(pk=programme.pk).update(cap_per_project_cny=Decimal("200000"))
    programme.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.budget_commit(
            project=project,
            source="district_programme",
            programme=programme,
            amount_cny="1",
            actor=manager,
        )
    assert refused.value.messages == [
        "District proof-of-concept programme caps a project at 300,000.00 yuan: 300,000.00 yuan is committed and 0.00 yuan remains, "
        "so 1.00 yuan cannot be committed."
    ]


@pytest.mark.django_db
def test_an_inactive_programme_and_a_source_without_its_programme_are_refused(
    project, programme, manager
):
    type(programme).objects.filter(pk=programme.pk).update(
        active_until=TODAY - dt.timedelta(days=1)
    )
    programme.refresh_from_db()
    before = state(project)
    with pytest.raises(ValidationError) as refused:
        services.budget_commit(
            project=project,
            source="district_programme",
            programme=programme,
            amount_cny="1",
            actor=manager,
        )
    assert refused.value.message_dict == {
        "programme": [f"District proof-of-concept programme is not active on {TODAY.isoformat()}."]
    }
    with pytest.raises(ValidationError) as refused:
        services.budget_commit(
            project=project, source="district_programme", amount_cny="1", actor=manager
        )
    assert refused.value.message_dict == {"programme": ["Choose the district programme."]}
    with pytest.raises(ValidationError) as refused:
        services.budget_commit(project=project, source="enterprise", amount_cny="0", actor=manager)
    assert refused.value.message_dict == {
        "amount_cny": ["The amount must be more than 0 and at most 99,999,999,999,999.99 yuan."]
    }
    assert state(project) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_commitments_at_the_same_moment_cannot_pass_the_cap(onboarded, manager, admin_user):
    """No line exists yet: the project's row lock makes the second find the first's line."""
    programme = services.programme_create(
        name_zh="区级概念验证计划",
        name_en="District proof-of-concept programme",
        funder="District",
        source_zh="办法",
        cap_per_project_cny="500000",
        active_from=TODAY - dt.timedelta(days=1),
        actor=None,
    )
    result_transition(result=onboarded, target="evaluation", actor=manager)
    project = services.project_create(result=onboarded, title_en="Prototype proof", actor=manager)
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def commit(actor, key):
        translation.activate("en")  # the active language is per thread
        try:
            barrier.wait()
            services.budget_commit(
                project=project,
                source="district_programme",
                programme=programme,
                amount_cny="300000",
                actor=actor,
            )
            outcome[key] = "committed"
        except ValidationError as exc:
            outcome[key] = " ".join(exc.messages)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=commit, args=(manager, "a")),
        threading.Thread(target=commit, args=(admin_user, "b")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome.values()) == [
        "District proof-of-concept programme caps a project at 500,000.00 yuan: 300,000.00 yuan is committed and 200,000.00 yuan remains, "
        "so 300,000.00 yuan cannot be committed.",
        "committed",
    ]
    line = PocBudgetLine.objects.get()
    assert (
        line.committed_cny,
        PocProject.objects.get().committed_cny,
        PocCommitment.objects.count(),
    ) == (Decimal("300000.00"), Decimal("300000.00"), 1)


@pytest.mark.django_db
def test_a_project_starts_only_while_its_result_is_in_evaluation_or_planning(onboarded, manager):
    with pytest.raises(ValidationError) as refused:
        services.project_create(result=onboarded, title_en="Too early", actor=manager)
    assert refused.value.message_dict == {
        "result": [
            "A proof of concept runs while its result is in evaluation or planning; this result is in “Onboarding”."
        ]
    }
    assert (
        PocProject.objects.count() == 0
        and not AuditEvent.objects.filter(action="poc.project_create").exists()
    )
    result_transition(result=onboarded, target="evaluation", actor=manager)
    project = services.project_create(result=onboarded, title_en="Now", actor=manager)
    services.budget_commit(project=project, source="institution", amount_cny="1000", actor=manager)
    services.milestone_add(project=project, title_en="Prototype", due_on=TODAY, actor=manager)
    result_transition(result=onboarded, target="on_hold", actor=manager, reason="Funding paused.")
    before = state(project)
    with pytest.raises(ValidationError) as refused:
        services.project_start(project=project, actor=manager)
    assert refused.value.message_dict == {
        "status": [
            "A proof of concept runs while its result is in evaluation or planning; this result is in “On hold”."
        ]
    }
    assert state(project) == before


@pytest.mark.django_db
def test_transitions_and_their_refusals_write_nothing(project, manager, reviewer, inventor):
    before = state(project)
    with pytest.raises(ValidationError) as refused:
        services.project_start(project=project, actor=manager)
    assert refused.value.message_dict == {
        "status": ["Commit a budget from at least one source first."]
    }
    with pytest.raises(PermissionError):
        services.budget_commit(
            project=project, source="institution", amount_cny="1000", actor=inventor
        )
    with pytest.raises(ValidationError) as refused:
        services.project_conclude(project=project, actor=manager)
    assert refused.value.message_dict == {
        "status": ["The project is concluded once its go/no-go review round is finalised."]
    }
    assert state(project) == before
    milestone = running(project, manager)
    project.refresh_from_db()
    assert (project.status, project.started_at is not None) == ("running", True)
    line = project.budget_lines.get()
    # spending never passes what the source committed
    before = state(project)
    with pytest.raises(ValidationError) as refused:
        services.spending_record(
            line=line, amount_cny="300000.01", spent_on=TODAY, description="Parts", actor=manager
        )
    assert refused.value.message_dict == {
        "amount_cny": [
            "Institution committed 300,000.00 yuan and 0.00 yuan is spent: 300,000.00 yuan remains, so 300,000.01 yuan cannot be recorded."
        ]
    }
    assert state(project) == before
    services.spending_record(
        line=line, amount_cny="1000.005", spent_on=TODAY, description="Parts", actor=manager
    )  # half-up to the fen
    project.refresh_from_db()
    assert (project.spent_cny, PocBudgetLine.objects.get().spent_cny) == (
        Decimal("1000.01"),
        Decimal("1000.01"),
    )
    # an identical record is held back unless confirmed
    before = state(project)
    with pytest.raises(ValidationError) as held:
        services.spending_record(
            line=line, amount_cny="1000.01", spent_on=TODAY, description="Parts", actor=manager
        )
    assert list(held.value.error_dict) == ["confirm_duplicate"]
    assert state(project) == before
    services.spending_record(
        line=line,
        amount_cny="1000.01",
        spent_on=TODAY,
        description="Parts",
        actor=manager,
        confirm_duplicate=True,
    )
    assert PocSpending.objects.count() == 2
    # the review waits for every milestone, done with evidence checked by its content
    rubric = Rubric.objects.get(key="result-value", is_active=True)
    before = state(project)
    with pytest.raises(ValidationError) as refused:
        services.project_open_review(
            project=project,
            rubric=rubric,
            deadline=TODAY + dt.timedelta(days=14),
            reviewers=[reviewer],
            actor=manager,
        )
    assert refused.value.message_dict == {
        "status": ["Every milestone must be done, with its evidence, before the go/no-go review."]
    }
    with pytest.raises(ValidationError) as refused:
        services.milestone_complete(
            milestone=milestone,
            done_on=TODAY,
            note="Done",
            actor=manager,
            evidence=[
                SimpleUploadedFile("fake.pdf", b"MZ not a pdf", content_type="application/pdf")
            ],
        )
    assert refused.value.message_dict == {
        "evidence": ["fake.pdf is not a PDF, an image or an Office file (checked by its content)."]
    }
    assert (
        state(project) == before
        and project.review_round_id is None
        and PocEvidence.objects.count() == 0
    )
    services.milestone_complete(
        milestone=milestone, done_on=TODAY, note="Done", evidence=[doc("test.pdf")], actor=manager
    )
    assert PocEvidence.objects.get().original_name == "test.pdf"
    project = services.project_open_review(
        project=project,
        rubric=rubric,
        deadline=TODAY + dt.timedelta(days=14),
        reviewers=[reviewer],
        min_reviews=1,
        actor=manager,
    )
    assert (project.status, project.review_round.purpose) == ("review", "poc_gate")
    # a cancelled round sends the project back to work; a live one does not
    with pytest.raises(ValidationError):
        services.project_resume(project=project, actor=manager)
    round_cancel(review_round=project.review_round, reason="Wrong panel.", actor=manager)
    project = services.project_resume(project=project, actor=manager)
    assert project.status == "running"
    # stopping needs a reason; a stopped project goes nowhere
    with pytest.raises(ValidationError) as refused:
        services.project_stop(project=project, reason=" ", actor=manager)
    assert refused.value.message_dict == {"reason": ["Give the reason for stopping the project."]}
    project = services.project_stop(project=project, reason="The partner left.", actor=manager)
    assert (project.status, project.outcome, project.stop_reason, project.ended_at is not None) == (
        "stopped",
        "",
        "The partner left.",
        True,
    )
    before = state(project)
    with pytest.raises(ValidationError) as refused:
        services.project_start(project=project, actor=manager)
    assert refused.value.message_dict == {
        "status": ["A proof-of-concept project cannot go from “Stopped” to “Running”."]
    }
    assert state(project) == before
    assert list(
        PocEvent.objects.filter(project=project).values_list("from_status", "to_status")
    ) == [
        ("", "proposed"),
        ("proposed", "running"),
        ("running", "review"),
        ("review", "running"),
        ("running", "stopped"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("recommendation", "outcome"), [("proceed", "go"), ("decline", "no_go"), ("improve", "pivot")]
)
def test_the_rounds_recommendation_concludes_the_project_and_feeds_the_plan(
    project, manager, reviewer, recommendation, outcome
):
    project = concluded(project, manager, reviewer, recommendation)
    assert (project.status, project.outcome, project.ended_at is not None) == (
        "concluded",
        outcome,
        True,
    )
    assert AuditEvent.objects.filter(action="poc.conclude").get().payload["outcome"] == outcome
    # the plan (planning never imports poc) records what the proof of concept concluded
    result = project.result
    evaluation_record(
        result=result, decision="proceed", summary_en="Strong.", trl_assessed=5, actor=manager
    )
    result_transition(result=result, target="planning", actor=manager)
    plan = plan_create(
        result=result, transfer_mode="licence", summary_en="License it.", actor=manager
    )
    assert AuditEvent.objects.get(action="plan.create", object_id=str(plan.pk)).payload[
        "outcomes"
    ] == {"poc": [{"project": project.pk, "status": "concluded", "outcome": outcome}]}


@pytest.mark.django_db
def test_a_second_reviewer_cannot_see_nor_run_the_project(project, manager):
    enterprise = make_user("enterprise", username="someone")
    assert not PocProject.objects.restrict(enterprise, "view").exists()
    with pytest.raises(PermissionError):
        services.project_start(project=project, actor=enterprise)
