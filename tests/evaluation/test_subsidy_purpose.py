"""The subsidy project review purpose: a round opens, weighs like a transfer evaluation, is scored
and finalised through the same services, and never moves the result's pipeline."""

from __future__ import annotations

import pytest

from opentto.core.pdf import extract_text
from opentto.evaluation.models import EvaluationSummary, ReviewPurposeChoices
from opentto.evaluation.services import round_finalise

from .conftest import open_round, review


@pytest.mark.django_db
def test_subsidy_review_round_weighs_like_transfer_and_finalises_without_moving_the_pipeline(
    manager, in_evaluation, reviewer_a, reviewer_b
):
    assert ReviewPurposeChoices.SUBSIDY_REVIEW == "subsidy_review"
    review_round = open_round(in_evaluation, manager, purpose="subsidy_review")
    transfer_weights = {
        c.key: str(c.weight_for("transfer", in_evaluation.kind))
        for c in review_round.rubric.criteria.all()
        if c.weight_for("transfer", in_evaluation.kind) > 0
    }
    assert review_round.weights == transfer_weights
    assert review_round.get_purpose_display() == "Subsidy project review"
    review(review_round, reviewer_a, manager, 4)
    review(review_round, reviewer_b, manager, 4)
    review_round.refresh_from_db()
    assert review_round.status == "scored"
    round_finalise(
        review_round=review_round,
        recommendation="proceed",
        transfer_modes=["licence"],
        strengths_en="Strong",
        risks_en="Cost",
        actor=manager,
        apply_decision=True,
    )
    review_round.refresh_from_db()
    in_evaluation.refresh_from_db()
    assert review_round.status == "finalised"
    assert review_round.overall_score == 75
    assert in_evaluation.stage == "evaluation"  # a subsidy review never moves the pipeline
    assert not EvaluationSummary.objects.filter(result=in_evaluation).exists()
    with review_round.report_file.open("rb") as handle:
        assert "补贴项目评审" in extract_text(handle.read())


@pytest.mark.django_db
def test_subsidy_review_round_opens_before_the_evaluation_step(manager, onboarded):
    review_round = open_round(onboarded, manager, purpose="subsidy_review")
    assert review_round.purpose == "subsidy_review" and review_round.status == "open"
