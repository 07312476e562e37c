import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from opentto.accounts.models import UserRoleChoices
from opentto.core.models import AuditEvent
from opentto.evaluation.models import (
    CriterionScore,
    EvaluationSummary,
    ReviewAssignment,
    ReviewerConflict,
)
from opentto.evaluation.scoring import round_statistics
from opentto.evaluation.services import (
    ScoreInput,
    evaluation_record,
    review_assign,
    review_declare,
    review_save,
    round_accept_spread,
    round_cancel,
    round_finalise,
    round_reopen_criteria,
)
from opentto.notifications.models import Notification
from opentto.results.pipeline import TransitionError, result_transition

from ..conftest import make_user
from .conftest import open_round, review, scores_for, trl_rubric

FINAL = dict(
    recommendation="proceed",
    transfer_modes=["licence"],
    strengths_zh="算法泛化能力强",
    risks_en="Needs a pilot customer.",
)


@pytest.mark.django_db
def test_the_whole_round_with_disagreement_consensus_and_the_decision_moving_the_result(
    manager, in_evaluation, reviewer_a, reviewer_b, university
):
    review_round = open_round(in_evaluation, manager)
    # A reviewer from an owner organisation is refused with the reason, and nothing is created.
    insider = make_user(
        UserRoleChoices.REVIEWER, university, username="insider", first_name="In", last_name="Sider"
    )
    with pytest.raises(ValidationError) as exc:
        review_assign(review_round=review_round, reviewer=insider, actor=manager)
    assert "an owner of this result" in exc.value.message_dict["reviewer"][0]
    assert not ReviewAssignment.objects.filter(reviewer=insider).exists()

    a = review(review_round, reviewer_a, manager, 4, {"advancement": 5, "market_size": 1})
    review_round.refresh_from_db()
    assert review_round.status == "open"  # reviewer B is still to come
    b = review(review_round, reviewer_b, manager, 4, {"advancement": 4, "market_size": 4})
    review_round.refresh_from_db()
    assert review_round.status == "consensus"
    stats = round_statistics(review_round)
    assert [c.criterion.key for c in stats.disagreements] == ["market_size"]
    market = next(c for c in stats.criteria if c.criterion.key == "market_size")
    assert (market.minimum, market.maximum, str(market.sd), str(market.mean)) == (
        1,
        4,
        "1.50",
        "2.50",
    )
    assert Notification.objects.filter(recipient=manager, kind="evaluation.consensus").count() == 1

    # The finalised outcome is refused while the reviewers disagree.
    with pytest.raises(ValidationError):
        round_finalise(review_round=review_round, actor=manager, **FINAL)

    round_reopen_criteria(
        review_round=review_round,
        criterion_keys=["market_size"],
        note="请重新核对市场规模",
        actor=manager,
    )
    review_round.refresh_from_db()
    assert review_round.status == "open"
    a.refresh_from_db()
    assert a.status == "accepted"
    # Only the reopened criterion may change.
    with pytest.raises(ValidationError) as exc:
        review_save(
            assignment=a, scores={"advancement": ScoreInput(3, "x")}, actor=reviewer_a, submit=True
        )
    assert "advancement" in exc.value.message_dict
    review_save(
        assignment=a, scores={"market_size": ScoreInput(3, "")}, actor=reviewer_a, submit=True
    )
    review_round.refresh_from_db()
    assert review_round.status == "open"  # reviewer B re-scores too
    b = ReviewAssignment.objects.get(pk=b.pk)
    review_save(
        assignment=b, scores={"market_size": ScoreInput(4, "")}, actor=reviewer_b, submit=True
    )
    review_round.refresh_from_db()
    assert review_round.status == "scored"
    assert not CriterionScore.objects.filter(
        assignment__review_round=review_round, needs_rescore=True
    ).exists()

    stats = round_statistics(review_round)
    assert [r.total for r in stats.reviewers] == [
        stats.reviewers[0].total,
        stats.reviewers[1].total,
    ]
    final = round_finalise(
        review_round=review_round, actor=manager, trl_assessed=5, apply_decision=True, **FINAL
    )
    assert final.status == "finalised"
    assert final.overall_score == stats.overall_percent
    in_evaluation.refresh_from_db()
    assert (in_evaluation.stage, in_evaluation.trl) == ("planning", 5)
    summary = EvaluationSummary.objects.get(result=in_evaluation)
    assert (summary.review_round_id, summary.decision, summary.is_override) == (
        final.pk,
        "proceed",
        False,
    )
    assert "优势：算法泛化能力强" in summary.summary_zh
    assert final.report_file and final.report_sha256
    assert (
        AuditEvent.objects.filter(
            action="evaluation.round_finalise", object_id=str(final.pk)
        ).count()
        == 1
    )
    assert b.reviewer_id == reviewer_b.pk


@pytest.mark.django_db
def test_an_inventor_or_a_declared_conflict_blocks_the_assignment(
    manager, in_evaluation, researcher, reviewer_a
):
    review_round = open_round(in_evaluation, manager)
    inventor_reviewer = make_user(
        UserRoleChoices.REVIEWER, None, username="coinventor", person=researcher
    )
    with pytest.raises(ValidationError) as exc:
        review_assign(review_round=review_round, reviewer=inventor_reviewer, actor=manager)
    assert "is an inventor of this result" in " ".join(exc.value.messages)
    # A conflict declared on a first invitation blocks later ones.
    assignment = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    with pytest.raises(ValidationError):
        review_declare(assignment=assignment, has_conflict=True, statement="", actor=reviewer_a)
    review_declare(
        assignment=assignment, has_conflict=True, statement="我曾为该团队提供咨询", actor=reviewer_a
    )
    assignment.refresh_from_db()
    assert assignment.status == "conflict" and assignment.declared_at is None
    assert ReviewerConflict.objects.filter(reviewer=reviewer_a, result=in_evaluation).exists()
    round_cancel(review_round=review_round, reason="重新组织", actor=manager)
    second = open_round(in_evaluation, manager)
    with pytest.raises(ValidationError) as exc:
        review_assign(review_round=second, reviewer=reviewer_a, actor=manager)
    assert "declared a conflict of interest" in exc.value.messages[0]


@pytest.mark.django_db
def test_scoring_rules(manager, in_evaluation, reviewer_a):
    review_round = open_round(in_evaluation, manager)
    a = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    key = next(iter(review_round.weights))
    with pytest.raises(ValidationError):  # no scoring before the declaration
        review_save(assignment=a, scores={key: ScoreInput(3)}, actor=reviewer_a)
    review_declare(assignment=a, has_conflict=False, actor=reviewer_a)
    with pytest.raises(PermissionError):
        review_save(assignment=a, scores={key: ScoreInput(3)}, actor=manager)
    with pytest.raises(ValidationError) as exc:
        review_save(assignment=a, scores={key: ScoreInput(6)}, actor=reviewer_a)
    assert exc.value.message_dict[key] == ["Score from 1 to 5."]
    review_save(
        assignment=a, scores={key: ScoreInput(5)}, actor=reviewer_a
    )  # a draft may be incomplete
    assert a.scores.get(criterion__key=key).score == 5
    with pytest.raises(ValidationError) as exc:
        review_save(assignment=a, scores={}, actor=reviewer_a, submit=True)
    errors = exc.value.message_dict
    assert errors[key] == ["Justify the lowest and the highest score."]
    assert all(errors[k] == ["Give a score."] for k in review_round.weights if k != key)
    a.refresh_from_db()
    assert a.status == "accepted" and a.submitted_at is None


@pytest.mark.django_db
def test_dimensions_depend_on_the_kind_and_weights_on_the_purpose(manager, in_evaluation):
    transfer = open_round(in_evaluation, manager)
    assert "originality" in transfer.weights  # an invention patent is judged on its science
    pledge = open_round(in_evaluation, manager, rubric=None, purpose="pledge") if False else None
    assert pledge is None
    in_evaluation.kind = "software_copyright"
    in_evaluation.save(update_fields=["kind"])
    round_cancel(review_round=transfer, reason="kind corrected", actor=manager)
    software = open_round(in_evaluation, manager)
    assert "originality" not in software.weights and "market_size" in software.weights


@pytest.mark.django_db
def test_a_trl_round_updates_the_result_trl_from_the_median_level(
    manager, in_evaluation, reviewer_a, reviewer_b
):
    review_round = open_round(in_evaluation, manager, rubric=trl_rubric())
    review(review_round, reviewer_a, manager, 6)
    review(review_round, reviewer_b, manager, 5)
    review_round.refresh_from_db()
    assert review_round.status == "scored"
    final = round_finalise(review_round=review_round, actor=manager, **FINAL)
    assert (final.trl_assessed, final.overall_score) == (5, None)
    in_evaluation.refresh_from_db()
    assert (in_evaluation.trl, in_evaluation.stage) == (5, "evaluation")


@pytest.mark.django_db
def test_accepting_the_spread_needs_a_note(manager, in_evaluation, reviewer_a, reviewer_b):
    review_round = open_round(in_evaluation, manager, rubric=trl_rubric())
    review(review_round, reviewer_a, manager, 3)
    review(review_round, reviewer_b, manager, 7)
    review_round.refresh_from_db()
    assert review_round.status == "consensus"
    with pytest.raises(ValidationError):
        round_accept_spread(review_round=review_round, note=" ", actor=manager)
    round_accept_spread(
        review_round=review_round, note="两位专家对临床证据理解不同，取保守值", actor=manager
    )
    review_round.refresh_from_db()
    assert review_round.status == "scored"


@pytest.mark.django_db
def test_the_guard_needs_a_finalised_round_or_an_override(manager, in_evaluation, reviewer_a):
    with pytest.raises(TransitionError) as exc:
        result_transition(result=in_evaluation, target="planning", actor=manager)
    assert "Finalise an evaluation round first" in exc.value.messages[0]
    # A manager's override: the written reason is required and audited.
    with pytest.raises(ValidationError):
        evaluation_record(result=in_evaluation, decision="proceed", actor=manager)
    summary = evaluation_record(
        result=in_evaluation,
        decision="proceed",
        summary_en="Urgent licence request; panel not available.",
        actor=manager,
        decided_at=timezone.now() - dt.timedelta(hours=1),
    )
    event = AuditEvent.objects.get(action="evaluation.record", object_id=str(summary.pk))
    assert event.payload["override"] is True and event.payload["reason"].startswith("Urgent")
    # A round opened after the override blocks the move until it ends.
    review_round = open_round(in_evaluation, manager)
    with pytest.raises(TransitionError) as exc:
        result_transition(result=in_evaluation, target="planning", actor=manager)
    assert "still under way" in exc.value.messages[0]
    round_cancel(review_round=review_round, reason="override stands", actor=manager)
    result_transition(result=in_evaluation, target="planning", actor=manager)
    in_evaluation.refresh_from_db()
    assert in_evaluation.stage == "planning"


@pytest.mark.django_db
def test_only_managers_open_rounds_and_the_deadline_is_in_the_future(
    inventor, manager, in_evaluation, onboarded
):
    with pytest.raises(PermissionError):
        open_round(in_evaluation, inventor)
    with pytest.raises(ValidationError) as exc:
        open_round(in_evaluation, manager, deadline=timezone.localdate())
    assert "deadline" in exc.value.message_dict
    assert scores_for  # helper in use
