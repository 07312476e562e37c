"""Feedback that trains the ranking: every signal kept as a labelled pair, who may give it, the
ranker's training gate (100 judgements, held-out margin) and its effect on the matches page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opentto.accounts.models import UserRoleChoices
from opentto.demands import ranking
from opentto.demands.models import MatchJudgement, RankerVersion
from opentto.demands.selectors import demand_matches
from opentto.demands.services import (
    demand_create,
    feedback_record,
    match_contact,
    match_deal_create,
    match_transition,
)
from opentto.landing.services import deal_sign
from opentto.matching.ranker import (
    FEATURES,
    Judged,
    LinearRanker,
    TooFewJudgements,
    train,
    train_and_check,
)
from opentto.results.models import Result
from opentto.results.services import result_onboard

from ..conftest import make_user, result_input
from ..factories import EnterpriseFactory
from .conftest import demand_input

pytestmark = pytest.mark.django_db


def _pairs() -> list[tuple[str, str, str]]:
    return list(MatchJudgement.objects.order_by("id").values_list("kind", "label", "reason"))


# -- storing each signal ----------------------------------------------------------------------------
def test_an_explicit_mark_is_kept_with_its_reason_and_undo_removes_the_marks(
    open_demand, enterprise_user, arm_result
):
    feedback_record(
        demand=open_demand,
        result=arm_result,
        verdict="not_relevant",
        reason="wrong_field",
        actor=enterprise_user,
        rank=2,
        score=1.25,
    )
    feedback_record(
        demand=open_demand, result=arm_result, verdict="shortlisted", actor=enterprise_user
    )
    assert _pairs() == [("explicit", "not_relevant", "wrong_field"), ("explicit", "relevant", "")]
    first = MatchJudgement.objects.order_by("id").first()
    assert (first.demand_id, first.result_id, first.actor_id, first.rank, first.score) == (
        open_demand.pk,
        arm_result.pk,
        enterprise_user.pk,
        2,
        1.25,
    )
    feedback_record(demand=open_demand, result=arm_result, verdict="", actor=enterprise_user)
    assert _pairs() == []


def test_a_reason_is_from_the_list_and_only_for_not_relevant(
    open_demand, enterprise_user, arm_result
):
    from django.core.exceptions import ValidationError

    for verdict, reason in (("not_relevant", "too_expensive"), ("shortlisted", "off_topic")):
        with pytest.raises(ValidationError):
            feedback_record(
                demand=open_demand,
                result=arm_result,
                verdict=verdict,
                reason=reason,
                actor=enterprise_user,
            )
    assert _pairs() == []


def test_contact_nda_deal_and_signing_are_each_kept(
    open_demand, enterprise_user, manager, arm_result
):
    match = match_contact(demand=open_demand, result=arm_result, actor=enterprise_user)
    match = match_transition(match=match, target="nda", actor=manager)
    match = match_transition(match=match, target="negotiating", actor=manager)
    Result.objects.filter(pk=arm_result.pk).update(stage="landing")
    deal = match_deal_create(
        match=match, deal_type="licence_non_exclusive", amount_cny="100000", actor=manager
    )
    deal_sign(deal=deal, signed_on=timezone.localdate() - timedelta(days=1), actor=manager)
    assert _pairs() == [
        ("contact", "relevant", ""),
        ("nda", "relevant", ""),
        ("deal", "relevant", ""),
        ("signed", "relevant", ""),
    ]
    assert ranking.pair_grades() == {(open_demand.pk, arm_result.pk): 3}


def test_a_result_a_manager_adds_by_hand_is_kept_as_manual(open_demand, manager, arm_result):
    match_contact(demand=open_demand, result=arm_result, actor=manager)
    assert _pairs() == [("manual", "relevant", "")]


def test_grades_a_mark_after_a_contact_overrides_it_but_not_before(
    open_demand, enterprise_user, arm_result, battery_result
):
    feedback_record(
        demand=open_demand, result=battery_result, verdict="not_relevant", actor=enterprise_user
    )
    match_contact(demand=open_demand, result=arm_result, actor=enterprise_user)
    feedback_record(
        demand=open_demand,
        result=arm_result,
        verdict="not_relevant",
        reason="already_known",
        actor=enterprise_user,
    )
    assert ranking.pair_grades() == {
        (open_demand.pk, battery_result.pk): 0,
        (open_demand.pk, arm_result.pk): 0,
    }
    feedback_record(
        demand=open_demand, result=battery_result, verdict="shortlisted", actor=enterprise_user
    )
    assert ranking.pair_grades()[(open_demand.pk, battery_result.pk)] == 1


# -- permission -------------------------------------------------------------------------------------
def test_feedback_from_the_page_anonymous_unpermitted_and_permitted(
    client, open_demand, enterprise_user, inventor, arm_result
):
    url = reverse("demands:feedback", args=[open_demand.pk, arm_result.pk])
    data = {
        "verdict": "not_relevant",
        "reason": "off_topic",
        "rank": "1",
        "score": "2.5",
        "mode": "lexical",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(inventor)  # sees the public demand but may not act on it
    assert client.post(url, data).status_code == 404
    assert MatchJudgement.objects.count() == 0
    client.force_login(enterprise_user)
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="match-actions"' in body and "feedback-status" in body and "<html" not in body
    assert _pairs() == [("explicit", "not_relevant", "off_topic")]
    response = client.post(
        url, {**data, "reason": "cheap"}
    )  # without JS: back to the page, nothing stored
    assert response.status_code == 303 and _pairs() == [("explicit", "not_relevant", "off_topic")]


def test_feedback_through_the_api(client, open_demand, enterprise_user, inventor, arm_result):
    url = f"/api/v1/demands/{open_demand.pk}/feedback/"
    payload = {"result": arm_result.pk, "verdict": "not_relevant", "reason": "trl_too_early"}
    assert client.post(url, payload, content_type="application/json").status_code in (401, 403)
    client.force_login(inventor)  # may act on no demand: refused before the body is read
    assert client.post(url, payload, content_type="application/json").status_code == 403
    other = make_user(UserRoleChoices.ENTERPRISE, EnterpriseFactory(), username="stranger")
    client.force_login(other)  # acts on its own demands, not on this one
    assert client.post(url, payload, content_type="application/json").status_code == 404
    assert MatchJudgement.objects.count() == 0
    client.force_login(enterprise_user)
    response = client.post(url, payload, content_type="application/json")
    assert response.status_code == 200 and response.json() == payload
    assert _pairs() == [("explicit", "not_relevant", "trl_too_early")]


def test_judgements_are_seen_by_who_may_match_the_demand(
    open_demand, enterprise_user, inventor, manager, arm_result
):
    feedback_record(
        demand=open_demand, result=arm_result, verdict="shortlisted", actor=enterprise_user
    )
    assert MatchJudgement.objects.restrict(enterprise_user, "view").count() == 1
    assert MatchJudgement.objects.restrict(manager, "view").count() == 1
    assert MatchJudgement.objects.restrict(inventor, "view").count() == 0


# -- the ranker (no database) -----------------------------------------------------------------------
def _row(group: str, doc: str, rank: int, hidden: float, label: float) -> Judged:
    features = dict.fromkeys(FEATURES, 0.0)
    features.update({"fused": 10.0 - rank, "rank_prior": 1.0 / rank, "field_fit": hidden})
    return Judged(group, doc, features, label)


def _groups(n: int, *, hidden_decides: bool) -> list[Judged]:
    """Groups of 5: the fusion ranks them 1..5; the relevant ones are those with ``field_fit``
    (ranked 4 and 5) or, without ``hidden_decides``, the first two."""
    rows = []
    for g in range(n):
        for rank in range(1, 6):
            fits = rank >= 4
            relevant = fits if hidden_decides else rank <= 2
            rows.append(
                _row(f"g{g}", f"d{rank}", rank, 1.0 if fits else 0.0, 1.0 if relevant else 0.0)
            )
    return rows


def test_training_refuses_fewer_than_100_judgements():
    with pytest.raises(TooFewJudgements):
        train(_groups(19, hidden_decides=True))  # 95 rows
    assert isinstance(train(_groups(20, hidden_decides=True)), LinearRanker)


def test_a_new_model_replaces_the_ranking_only_when_it_is_better_on_the_held_out_part():
    better = train_and_check(_groups(30, hidden_decides=True))
    assert better.replace and better.after >= better.before + 0.01
    assert better.ranker.feature_weights()["field_fit"] > 0
    same = train_and_check(
        _groups(30, hidden_decides=False)
    )  # the fusion is already right: nothing to gain
    assert not same.replace and same.before == pytest.approx(1.0)


def test_contributions_add_up_to_the_learned_score():
    model = train(_groups(30, hidden_decides=True))
    features = _groups(1, hidden_decides=True)[3].features
    parts = model.contributions(features)
    assert {name for name, _v in parts} == set(FEATURES)
    assert sum(v for _n, v in parts) == pytest.approx(model.score(features))
    assert abs(parts[0][1]) == max(abs(v) for _n, v in parts)


# -- on the site ------------------------------------------------------------------------------------
@pytest.fixture
def field_results(manager, university, researcher):
    """Three results that share many words with the robot-arm demand but are of another field, and
    three of its field that share fewer."""
    made = {}
    for i in range(3):
        made[f"wordy{i}"] = result_onboard(
            data=result_input(
                [university],
                [(researcher, "100")],
                ip_assets=[],
                field="new_materials",
                title_zh=f"机械臂多步决策装配任务控制材料{i}",
                title_en=f"Robot-arm control for multi-step decisions in assembly tasks, material {i}",
                abstract_zh="机械臂 控制 多步决策 装配任务 泛化。",
                abstract_en="Robot arm control that makes multi-step decisions and generalises to new assembly tasks.",
            ),
            actor=manager,
            confirm_duplicates=True,
        )
        made[f"fit{i}"] = result_onboard(
            data=result_input(
                [university],
                [(researcher, "100")],
                ip_assets=[],
                field="ai",
                title_zh=f"协作机器人算法{i}",
                title_en=f"Collaborative robot algorithm {i}",
                abstract_zh="协作机器人的自适应算法。",
                abstract_en="Adaptive algorithm for collaborative robots.",
            ),
            actor=manager,
            confirm_duplicates=True,
        )
    return made


def _top(user, demand, n=3):
    return [m.result.pk for m in demand_matches(user, demand, top=n).results]


def test_training_from_the_site_below_100_judgements_records_nothing(
    open_demand, enterprise_user, arm_result
):
    feedback_record(
        demand=open_demand, result=arm_result, verdict="shortlisted", actor=enterprise_user
    )
    with pytest.raises(TooFewJudgements):
        ranking.ranker_train()
    assert RankerVersion.objects.count() == 0


def test_the_ranking_changes_after_training_and_explains_itself(
    enterprise_user, enterprise_org, manager, field_results
):
    demands = [
        demand_create(
            data=demand_input(
                enterprise_org, title_en=f"Adaptive control for collaborative robot arms {i}"
            ),
            actor=enterprise_user,
            publish=True,
        )
        for i in range(6)
    ]
    fits = {field_results[f"fit{i}"].pk for i in range(3)}
    wordy = {field_results[f"wordy{i}"].pk for i in range(3)}
    fresh = demands[-1]
    assert set(_top(enterprise_user, fresh)) == wordy  # today's fusion: the wordy ones first
    for demand in demands[:-1]:
        for pk in fits:
            feedback_record(
                demand=demand,
                result=Result.objects.get(pk=pk),
                verdict="shortlisted",
                actor=enterprise_user,
            )
        for pk in wordy:
            feedback_record(
                demand=demand,
                result=Result.objects.get(pk=pk),
                verdict="not_relevant",
                reason="wrong_field",
                actor=enterprise_user,
            )
    refused = ranking.ranker_train(min_judgements=30, margin=1.5)  # cannot gain 1.5: kept aside
    assert (refused.version, refused.active, refused.judgements) == (1, False, 30)
    assert set(_top(enterprise_user, fresh)) == wordy
    version = ranking.ranker_train(min_judgements=30)
    assert (version.version, version.active) == (2, True)
    assert version.held_out_after >= version.held_out_before + ranking.MARGIN
    assert LinearRanker.from_dict(version.model).feature_weights()["field_fit"] > 0
    found = demand_matches(enterprise_user, fresh, top=3)
    assert {m.result.pk for m in found.results} == fits and found.ranker_version == 2
    first = found.results[0]
    assert {key for key, _label, _v in first.contributions} == set(FEATURES)
    assert sum(v for _k, _l, v in first.contributions) == pytest.approx(first.learned)


def test_the_matches_page_shows_the_learned_parts_to_who_may_see_scores(
    client, enterprise_user, enterprise_org, manager, field_results
):
    demand = demand_create(data=demand_input(enterprise_org), actor=enterprise_user, publish=True)
    rows = [
        _row(f"g{g}", f"d{r}", r, float(r >= 4), float(r >= 4))
        for g in range(25)
        for r in range(1, 6)
    ]
    model = train(rows)
    model.meta["mode"] = "lexical"
    RankerVersion.objects.create(
        version=1,
        judgements=125,
        held_out_before=0.5,
        held_out_after=0.9,
        margin=0.01,
        active=True,
        model=model.to_dict(),
    )
    client.force_login(manager)
    body = client.get(reverse("demands:matches", args=[demand.pk])).content.decode()
    assert 'class="profile learned-parts"' in body and 'data-feature="field_fit"' in body
    client.force_login(enterprise_user)
    body = client.get(reverse("demands:matches", args=[demand.pk])).content.decode()
    assert "learned-parts" not in body and 'name="reason"' in body


def test_the_command_refuses_to_train_below_100_judgements(
    open_demand, enterprise_user, arm_result
):
    from django.core.management import CommandError, call_command

    feedback_record(
        demand=open_demand, result=arm_result, verdict="shortlisted", actor=enterprise_user
    )
    with pytest.raises(CommandError, match="1 judged pairs; at least 100"):
        call_command("train_ranker")
    assert RankerVersion.objects.count() == 0


def test_the_task_trains_nothing_below_100_judgements():
    from opentto.demands.tasks import train_ranker

    assert train_ranker() is None and RankerVersion.objects.count() == 0
