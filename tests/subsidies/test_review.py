"""A subsidy application's expert review is a round of the evaluation app (purpose
``subsidy_review``) on its first linked result: recognition waits for the finalised round (or an
official's recorded override), the outcome and scores show on the application page, and the
earlier simple review records are kept as the override that completed their step."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from opentto.core.models import AuditEvent
from opentto.evaluation.models import ReviewRound, Rubric
from opentto.evaluation.services import round_cancel
from opentto.subsidies import services
from opentto.subsidies.models import Application, Review

from ..conftest import make_user
from ..factories import PersonFactory
from .test_subsidies import apply, finalised_review, programme  # noqa: F401  (fixture)


@pytest.fixture
def under_review(
    programme, enterprise_org, enterprise_user, university, onboarded, official, manager
):
    app = apply(
        programme, enterprise_org, university, onboarded, "4000000", "20000000", enterprise_user
    )
    services.application_submit(application=app, actor=enterprise_user)
    return services.application_start_review(application=app, actor=official)


def value_rubric():
    return Rubric.objects.get(key="result-value", is_active=True)


def deadline():
    return timezone.localdate() + dt.timedelta(days=14)


@pytest.mark.django_db
def test_the_review_is_a_subsidy_review_round_on_the_first_linked_result(
    under_review, onboarded, manager, official, reviewer
):
    review_round = services.application_review_open(
        application=under_review,
        rubric=value_rubric(),
        deadline=deadline(),
        reviewers=[reviewer],
        min_reviews=1,
        actor=manager,
    )
    under_review.refresh_from_db()
    assert under_review.review_round == review_round
    assert (review_round.purpose, review_round.result, review_round.status) == (
        "subsidy_review",
        onboarded,
        "open",
    )
    assert list(review_round.assignments.values_list("reviewer", flat=True)) == [reviewer.pk]
    assert (
        AuditEvent.objects.filter(
            action="subsidy.review_open", object_id=str(under_review.pk)
        ).count()
        == 1
    )
    # recognition waits for the finalised round: refused, nothing changes
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.application_recognise(
            application=under_review, recognition_number="XH-1", actor=official
        )
    assert "expert review round is finalised" in " ".join(exc.value.messages)
    assert (
        Application.objects.get(pk=under_review.pk).status == "under_review"
        and AuditEvent.objects.count() == events
    )
    # a second round is refused while this one is live
    with pytest.raises(ValidationError):
        services.application_review_open(
            application=under_review, rubric=value_rubric(), deadline=deadline(), actor=manager
        )
    assert ReviewRound.objects.count() == 1


@pytest.mark.django_db
def test_recognition_follows_the_finalised_round_and_the_page_shows_outcome_and_scores(
    client, under_review, manager, official, reviewer, enterprise_user
):
    review_round = finalised_review(under_review, manager, reviewer, score=4)
    assert review_round.status == "finalised" and review_round.overall_score == Decimal("75.0")
    app = services.application_recognise(
        application=under_review, recognition_number="XH-2026-007", actor=official
    )
    assert app.status == "recognised" and app.review_complete and not app.review_override_reason
    event = AuditEvent.objects.get(action="subsidy.recognise", object_id=str(app.pk))
    assert event.payload["round"] == review_round.pk and event.payload["override"] is False
    client.force_login(
        enterprise_user
    )  # the applicant sees the outcome and the scores, not who scored
    page = client.get(f"/en/subsidies/applications/{app.pk}/").content.decode()
    assert 'data-outcome="proceed"' in page and "<strong>Support</strong>" in page
    assert "75.0 / 100" in page and "Mature pilot line" in page
    assert page.count("data-criterion=") == len(review_round.weights)
    assert reviewer.username not in page and "/evaluation/rounds/" not in page
    client.force_login(official)
    assert (
        reviewer.get_full_name()
        in client.get(f"/en/subsidies/applications/{app.pk}/").content.decode()
    )
    with translation.override("zh-hans"):
        zh = client.get(f"/zh-hans/subsidies/applications/{app.pk}/").content.decode()
    assert "75.0 / 100" in zh and 'data-outcome="proceed"' in zh


@pytest.mark.django_db
def test_an_override_needs_an_official_and_a_reason(
    under_review, manager, official, enterprise_user
):
    for actor in (manager, enterprise_user):
        with pytest.raises(PermissionError):
            services.application_review_override(
                application=under_review, reason="urgent", actor=actor
            )
    with pytest.raises(ValidationError):
        services.application_review_override(application=under_review, reason="  ", actor=official)
    assert Application.objects.get(pk=under_review.pk).review_override_reason == ""
    services.application_review_override(
        application=under_review, reason="Panel met offline; minutes filed", actor=official
    )
    app = services.application_recognise(
        application=under_review, recognition_number="XH-9", actor=official
    )
    assert app.status == "recognised" and app.review_override_by == official
    assert (
        AuditEvent.objects.get(action="subsidy.recognise", object_id=str(app.pk)).payload[
            "override"
        ]
        is True
    )


@pytest.mark.django_db
def test_only_tto_managers_open_the_round_and_a_cancelled_round_is_replaced(
    client, under_review, manager, official, enterprise_user, reviewer
):
    with pytest.raises(PermissionError):
        services.application_review_open(
            application=under_review, rubric=value_rubric(), deadline=deadline(), actor=official
        )
    client.force_login(enterprise_user)  # the applicant: refused, nothing opened
    response = client.post(
        f"/en/subsidies/applications/{under_review.pk}/review/",
        {"rubric": value_rubric().pk, "deadline": deadline().isoformat(), "min_reviews": 1},
    )
    assert response.status_code == 403 and not ReviewRound.objects.exists()
    client.force_login(manager)
    response = client.post(
        f"/en/subsidies/applications/{under_review.pk}/review/",
        {
            "rubric": value_rubric().pk,
            "deadline": deadline().isoformat(),
            "min_reviews": 1,
            "reviewers": [reviewer.pk],
        },
    )
    assert response.status_code == 302
    first = Application.objects.get(pk=under_review.pk).review_round
    assert (
        first is not None and first.purpose == "subsidy_review" and first.assignments.count() == 1
    )
    round_cancel(review_round=first, reason="Wrong rubric", actor=manager)
    second = services.application_review_open(
        application=under_review, rubric=value_rubric(), deadline=deadline(), actor=manager
    )
    assert Application.objects.get(pk=under_review.pk).review_round == second != first


@pytest.mark.django_db
def test_the_round_is_opened_only_under_review_and_with_a_linked_result(
    programme, enterprise_org, enterprise_user, university, manager, official
):
    app = services.application_create(
        programme=programme,
        applicant=enterprise_org,
        partners=[university],
        project_title_zh="x",
        requested_cny="100",
        actor=enterprise_user,
    )
    with pytest.raises(ValidationError):  # a draft
        services.application_review_open(
            application=app, rubric=value_rubric(), deadline=deadline(), actor=manager
        )
    Application.objects.filter(pk=app.pk).update(status="under_review")
    with pytest.raises(ValidationError) as exc:
        services.application_review_open(
            application=app, rubric=value_rubric(), deadline=deadline(), actor=manager
        )
    assert "Link a result" in " ".join(exc.value.messages)
    assert not ReviewRound.objects.exists()


@pytest.mark.django_db
def test_a_reviewer_sees_only_the_applications_of_their_rounds(
    client, under_review, manager, reviewer
):
    other = make_user("reviewer", username="other_reviewer", person=PersonFactory())
    services.application_review_open(
        application=under_review,
        rubric=value_rubric(),
        deadline=deadline(),
        reviewers=[reviewer],
        actor=manager,
    )
    client.force_login(reviewer)
    assert client.get(f"/en/subsidies/applications/{under_review.pk}/").status_code == 200
    client.force_login(other)
    assert client.get(f"/en/subsidies/applications/{under_review.pk}/").status_code == 404


@pytest.mark.django_db
def test_earlier_simple_reviews_are_kept_and_complete_the_step_as_an_override(
    under_review, reviewer, official
):
    Review.objects.create(
        application=under_review,
        reviewer=reviewer,
        score=80,
        recommendation="support",
        comments="Good",
    )
    Review.objects.create(
        application=under_review,
        reviewer=official,
        score=90,
        recommendation="support_reduced",
        comments="Fine",
    )
    migration = importlib.import_module("opentto.subsidies.migrations.0002_review_round")
    migration.legacy_reviews_to_override(apps, None)
    app = Application.objects.get(pk=under_review.pk)
    assert (
        "2 review(s), mean score 85.0/100 (support, support_reduced)" in app.review_override_reason
    )
    assert app.review_complete and app.reviews.count() == 2
    assert (
        services.application_recognise(
            application=app, recognition_number="XH-3", actor=official
        ).status
        == "recognised"
    )


@pytest.mark.django_db
def test_the_override_view_by_role(client, under_review, official, enterprise_user, manager):
    url = f"/en/subsidies/applications/{under_review.pk}/review/override/"
    assert client.post(url, {"reason": "x"}).status_code == 302  # anonymous: to sign in
    for user in (enterprise_user, manager):  # the applicant, the TTO: refused
        client.force_login(user)
        assert client.post(url, {"reason": "x"}).status_code == 403
    assert Application.objects.get(pk=under_review.pk).review_override_reason == ""
    client.force_login(official)
    assert client.post(url, {"reason": "Minutes of the panel filed"}).status_code == 302
    app = Application.objects.get(pk=under_review.pk)
    assert (
        app.review_override_reason == "Minutes of the panel filed"
        and app.review_override_by == official
    )
    page = client.get(f"/en/subsidies/applications/{app.pk}/").content.decode()
    assert (
        "data-override" in page and "Minutes of the panel filed" in page and "/recognise/" in page
    )
