from decimal import Decimal

import pytest

from opentto.dashboard.selectors import figures
from opentto.demo import loader
from opentto.demo.story import MITRAL_CLIP_KEY, ROBOT_ARM_KEY, build_story
from opentto.evaluation.models import EvaluationSummary, ReviewAssignment, ReviewRound
from opentto.results.models import Result


@pytest.mark.django_db
def test_the_demo_has_finished_rounds_for_results_past_evaluation(monkeypatch):
    monkeypatch.setattr(loader, "DEMO_EXTENSIONS", ("opentto.evaluation.demo",))
    loader.load_demo(password="demo-pass-2022")
    story = build_story()
    titles = {r.key: r.title_en for r in story.results}
    past = [
        r
        for r in story.results
        if r.stage in ("planning", "landing", "landed")
        and r.evaluation
        and r.evaluation.decision == "proceed"
    ]
    assert len(past) >= 25
    for r in past:
        result = Result.objects.get(title_en=titles[r.key])
        rounds = list(result.review_rounds.all())
        assert rounds and all(x.status == "finalised" for x in rounds), r.key
        value = next(x for x in rounds if x.rubric.key == "result-value")
        assert 2 <= value.assignments.filter(status="submitted").count() <= 3
        assert value.opened_at < value.finalised_at
        assert EvaluationSummary.objects.get(result=result).review_round_id == value.pk
        assert result.trl == value.trl_assessed  # the demo keeps every TRL
    for key in (ROBOT_ARM_KEY, MITRAL_CLIP_KEY):
        result = Result.objects.get(title_en=titles[key])
        assert sorted(result.review_rounds.values_list("rubric__key", flat=True)) == [
            "result-value",
            "trl",
        ]
    live = ReviewRound.objects.get(status="open")
    assert ReviewAssignment.objects.filter(
        review_round=live, reviewer__username="reviewer", status="invited"
    ).exists()
    f = figures(None)
    assert (f.results_incubated, f.projects_landed, f.transaction_value_cny) == (
        92,
        10,
        Decimal("510160000.50"),
    )
