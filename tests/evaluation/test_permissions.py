"""Evaluation's object types under the grants (``opentto/evaluation/permissions.py``): rubrics,
rounds, assignments, scores, evidence and outcomes; a switched-off grant takes the access away,
scores and outcomes never outrun their round or result, and the pages and the services ask the
same action."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opentto.core import permissions
from opentto.core.models import AuditEvent, Grant
from opentto.evaluation.models import (
    CriterionScore,
    EvaluationSummary,
    ReviewAssignment,
    ReviewRound,
    Rubric,
)
from opentto.evaluation.selectors import (
    reviewers_available,
    reviewers_eligible,
    round_statistics_for,
)
from opentto.evaluation.services import (
    evaluation_record,
    review_assign,
    review_declare,
    review_save,
    round_cancel,
    round_finalise,
    round_open,
    rubric_revise,
)
from opentto.notifications.models import Notification

from ..conftest import make_user
from .conftest import open_round, review, scores_for
from .test_views import FINAL, login

pytestmark = pytest.mark.django_db


def _off(role: str, object_type: str, *users, constraint: str | None = None) -> None:
    rows = Grant.objects.filter(role=role, object_type=object_type)
    if constraint:
        rows = rows.filter(constraint=constraint)
    assert rows.update(enabled=False) >= 1
    for user in users:
        permissions.clear_grant_cache(user)


@pytest.fixture
def finalised(manager, in_evaluation, reviewer_a, reviewer_b) -> ReviewRound:
    review_round = open_round(in_evaluation, manager)
    review(review_round, reviewer_a, manager, 4, {"market_size": 5})
    review(review_round, reviewer_b, manager, 3, {"market_size": 4})
    return round_finalise(
        review_round=ReviewRound.objects.get(pk=review_round.pk),
        actor=manager,
        store_report=False,
        **FINAL,
    )


def test_rubrics_are_read_by_everyone_signed_in_and_revised_by_admins(
    client, admin_user, manager, reviewer_a, investor
):
    rubric = Rubric.objects.get(key="result-value", is_active=True)
    for user in (admin_user, manager, reviewer_a, investor):
        assert Rubric.objects.restrict(user, "view").filter(pk=rubric.pk).exists()
    assert list(Rubric.objects.restrict(admin_user, "revise").filter(pk=rubric.pk)) == [rubric]
    assert not Rubric.objects.restrict(manager, "revise").exists()
    assert (
        client.get(reverse("evaluation:rubric", args=[rubric.pk])).status_code == 302
    )  # anonymous: sign in
    page = (
        login(client, admin_user)
        .get(reverse("evaluation:rubric", args=[rubric.pk]))
        .content.decode()
    )
    assert reverse("evaluation:rubric_revise", args=[rubric.pk]) in page
    # the admin's revise grant switched off: no link, the editor refuses (403), the service too
    Grant.objects.filter(role="admin", object_type="evaluation.rubric").update(actions=["view"])
    permissions.clear_grant_cache(admin_user)
    page = client.get(reverse("evaluation:rubric", args=[rubric.pk])).content.decode()
    assert reverse("evaluation:rubric_revise", args=[rubric.pk]) not in page
    assert client.get(reverse("evaluation:rubric_revise", args=[rubric.pk])).status_code == 403
    with pytest.raises(PermissionError):
        rubric_revise(
            rubric=rubric,
            criteria=[],
            title_zh="x",
            title_en="x",
            revision_note="x",
            actor=admin_user,
        )
    assert Rubric.objects.filter(key="result-value").count() == 1


def test_running_a_round_follows_the_manage_grant_in_the_page_and_the_service(
    client, manager, in_evaluation, reviewer_a
):
    review_round = open_round(in_evaluation, manager)
    login(client, manager)
    assert client.get(reverse("evaluation:round", args=[review_round.pk])).status_code == 200
    Grant.objects.filter(role="manager", object_type="evaluation.reviewround").update(
        actions=["view"]
    )
    permissions.clear_grant_cache(manager)
    events = AuditEvent.objects.count()
    # still sees the round (its report once finalised), may not run it
    assert client.get(reverse("evaluation:round", args=[review_round.pk])).status_code == 302
    assert (
        client.post(
            reverse("evaluation:assign", args=[review_round.pk]), {"assign-reviewer": reviewer_a.pk}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("evaluation:cancel", args=[review_round.pk]), {"cancel-reason": "x"}
        ).status_code
        == 403
    )
    assert client.post(reverse("evaluation:open", args=[in_evaluation.pk]), {}).status_code == 403
    with pytest.raises(PermissionError):
        review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    with pytest.raises(PermissionError):
        round_cancel(review_round=review_round, reason="x", actor=manager)
    with pytest.raises(PermissionError):
        open_round(in_evaluation, manager, rubric=Rubric.objects.get(key="trl", is_active=True))
    assert (
        not ReviewAssignment.objects.exists()
        and ReviewRound.objects.get().status == "open"
        and AuditEvent.objects.count() == events
    )


def test_the_reviewer_reviews_through_the_review_grant(client, manager, in_evaluation, reviewer_a):
    review_round = open_round(in_evaluation, manager, min_reviews=1)
    assignment = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    url = reverse("evaluation:review", args=[assignment.pk])
    Grant.objects.filter(role="reviewer", object_type="evaluation.reviewassignment").update(
        actions=["view"]
    )
    permissions.clear_grant_cache(reviewer_a)
    login(client, reviewer_a)
    assert client.get(url).status_code == 200  # reads the assignment
    assert (
        client.post(
            reverse("evaluation:declare", args=[assignment.pk]), {"has_conflict": ""}
        ).status_code
        == 403
    )
    with pytest.raises(PermissionError):
        review_declare(assignment=assignment, has_conflict=False, actor=reviewer_a)
    assert ReviewAssignment.objects.get(pk=assignment.pk).status == "invited"
    Grant.objects.filter(role="reviewer", object_type="evaluation.reviewassignment").update(
        actions=["view", "review"]
    )
    permissions.clear_grant_cache(reviewer_a)
    review_declare(assignment=assignment, has_conflict=False, actor=reviewer_a)
    assert (
        client.post(
            url, {**{f"score-{k}": "3" for k in review_round.weights}, "action": "draft"}
        ).status_code
        == 302
    )


def test_who_may_be_invited_to_review_is_the_review_grant(
    manager, in_evaluation, reviewer_a, investor
):
    review_round = open_round(in_evaluation, manager)
    assert reviewer_a in reviewers_eligible() and investor not in reviewers_eligible()
    assert reviewer_a in reviewers_available(review_round)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        review_assign(review_round=review_round, reviewer=investor, actor=manager)
    # the admin lets investors review too: they may now be invited
    Grant.objects.create(
        role="investor",
        object_type="evaluation.reviewassignment",
        constraint="own_assignment",
        actions=["view", "review"],
    )
    assert investor in reviewers_available(review_round)
    assert (
        review_assign(review_round=review_round, reviewer=investor, actor=manager).reviewer
        == investor
    )


def test_the_review_panel_shows_the_others_scores_only_in_an_open_round_after_submitting(
    manager, in_evaluation, reviewer_a, reviewer_b
):
    for blind in (False, True):
        review_round = open_round(
            in_evaluation,
            manager,
            is_blind=blind,
            rubric=Rubric.objects.get(key="trl" if blind else "result-value", is_active=True),
        )
        a = review(review_round, reviewer_a, manager, 4)
        b = review_assign(review_round=review_round, reviewer=reviewer_b, actor=manager)
        review_declare(assignment=b, has_conflict=False, actor=reviewer_b)
        others = CriterionScore.objects.filter(assignment=a)
        # reviewer b has not submitted: only their own scores
        assert not others.restrict(reviewer_b, "view").exists()
        review_save(assignment=b, scores=scores_for(review_round, 4), actor=reviewer_b, submit=True)
        assert others.restrict(reviewer_b, "view").exists() == (not blind), blind
        assert (round_statistics_for(reviewer_b, review_round) is not None) == (not blind), blind
        assert round_statistics_for(manager, review_round) is not None


def test_the_report_follows_the_round_and_its_scores(
    client, finalised, inventor, other_inventor, enterprise_user
):
    url = reverse("evaluation:report", args=[finalised.pk])
    assert login(client, inventor).get(url).status_code == 200
    for user in (other_inventor, enterprise_user):
        assert login(client, user).get(url).status_code == 404
    # the inventor's grant on the scores switched off: the round is still theirs, its report is refused
    _off("inventor", "evaluation.criterionscore", inventor, constraint="of_visible_round")
    events = AuditEvent.objects.count()
    login(client, inventor)
    assert client.get(url).status_code == 403
    assert client.get(reverse("evaluation:report_pdf", args=[finalised.pk])).status_code == 403
    assert AuditEvent.objects.count() == events  # nothing read, nothing recorded


def test_outcomes_on_the_result_page_follow_the_summary_grant(
    client, finalised, manager, inventor, enterprise_user
):
    summary = EvaluationSummary.objects.get()
    assert list(EvaluationSummary.objects.restrict(inventor, "view")) == [summary]
    assert not EvaluationSummary.objects.restrict(enterprise_user, "view").exists()
    url = reverse("results:detail", args=[finalised.result_id])
    assert "From the review round" in login(client, inventor).get(url).content.decode()
    assert "From the review round" not in login(client, enterprise_user).get(url).content.decode()
    _off("inventor", "evaluation.evaluationsummary", inventor)
    assert "From the review round" not in login(client, inventor).get(url).content.decode()


def test_the_managers_override_follows_the_add_grant(client, manager, in_evaluation, inventor):
    url = reverse("results:evaluation", args=[in_evaluation.pk])
    body = {"decision": "proceed", "summary_en": "Reason"}
    assert (
        login(client, inventor).post(url, body).status_code == 403
    )  # sees the result, may not record its outcome
    page = (
        login(client, manager)
        .get(reverse("results:detail", args=[in_evaluation.pk]))
        .content.decode()
    )
    assert reverse("results:evaluation", args=[in_evaluation.pk]) in page
    Grant.objects.filter(
        role="manager", object_type="evaluation.evaluationsummary", constraint="all"
    ).update(enabled=False)
    permissions.clear_grant_cache(manager)
    page = client.get(reverse("results:detail", args=[in_evaluation.pk])).content.decode()
    assert reverse("results:evaluation", args=[in_evaluation.pk]) not in page
    assert client.post(url, body).status_code == 403
    with pytest.raises(PermissionError):
        evaluation_record(
            result=in_evaluation, decision="proceed", summary_en="Reason", actor=manager
        )
    assert not EvaluationSummary.objects.exists()


def test_the_api_names_reviewers_only_to_those_who_run_the_round(
    finalised, manager, inventor, reviewer_a, reviewer_b
):
    from rest_framework.test import APIClient

    def reviews(user):  # type: ignore[no-untyped-def]
        api = APIClient()
        api.force_authenticate(user)
        return api.get(f"/api/v1/evaluations/{finalised.pk}/").json()["reviews"]

    assert {r["reviewer"]["id"] for r in reviews(manager)} == {reviewer_a.pk, reviewer_b.pk}
    assert all(r["reviewer"] is None for r in reviews(inventor))
    Grant.objects.filter(role="manager", object_type="evaluation.reviewround").update(
        actions=["view"]
    )
    permissions.clear_grant_cache(manager)
    assert all(r["reviewer"] is None for r in reviews(manager))


def test_the_outcome_is_told_to_the_owning_organisations_people_who_may_read_it(
    manager, in_evaluation, reviewer_a, inventor, other_inventor, university
):
    colleague = make_user("inventor", university, username="colleague")
    enterprise_member = make_user(
        "enterprise", university, username="odd_member"
    )  # same organisation, no grant on rounds
    review_round = open_round(in_evaluation, manager, min_reviews=1)
    review(review_round, reviewer_a, manager, 4)
    round_finalise(
        review_round=ReviewRound.objects.get(pk=review_round.pk),
        actor=manager,
        store_report=False,
        **FINAL,
    )
    told = set(
        Notification.objects.filter(kind="evaluation.finalised").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {inventor.pk, colleague.pk}
    assert (
        other_inventor.pk not in told
        and enterprise_member.pk not in told
        and manager.pk not in told
    )


def test_a_round_opened_through_the_service_needs_the_add_grant(manager, in_evaluation):
    Grant.objects.filter(role="manager", object_type="evaluation.reviewround").update(
        actions=["view", "manage"]
    )
    permissions.clear_grant_cache(manager)
    with pytest.raises(PermissionError):
        round_open(
            result=in_evaluation,
            rubric=Rubric.objects.get(key="trl", is_active=True),
            purpose="transfer",
            deadline=timezone.localdate() + dt.timedelta(days=9),
            actor=manager,
        )
    assert not ReviewRound.objects.exists()
