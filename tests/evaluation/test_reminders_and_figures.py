import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from opentto.evaluation.figures import evaluation_figures
from opentto.evaluation.models import ReviewReminder
from opentto.evaluation.services import review_assign, round_finalise
from opentto.evaluation.tasks import send_review_reminders
from opentto.notifications.models import Notification

from .conftest import open_round, review


@pytest.mark.django_db
def test_the_periodic_task_reminds_before_the_deadline_and_when_overdue_once_each(
    manager, in_evaluation, reviewer_a, reviewer_b, time_machine=None
):
    today = timezone.localdate()
    review_round = open_round(in_evaluation, manager, deadline=today + dt.timedelta(days=2))
    a = review_assign(review_round=review_round, reviewer=reviewer_a, actor=manager)
    review(review_round, reviewer_b, manager, 3)  # submitted: never reminded
    assert send_review_reminders.apply().result == {"due_soon": 1, "overdue": 0}
    assert send_review_reminders.apply().result == {"due_soon": 0, "overdue": 0}  # idempotent
    # The deadline passes.
    type(review_round).objects.filter(pk=review_round.pk).update(
        deadline=today - dt.timedelta(days=1)
    )
    assert send_review_reminders.apply().result == {"due_soon": 0, "overdue": 1}
    assert send_review_reminders.apply().result == {"due_soon": 0, "overdue": 0}
    kinds = list(
        Notification.objects.filter(recipient=reviewer_a, kind__startswith="evaluation.reminder")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["evaluation.reminder_due_soon", "evaluation.reminder_overdue"]
    assert not Notification.objects.filter(
        recipient=reviewer_b, kind__startswith="evaluation.reminder"
    ).exists()
    assert set(ReviewReminder.objects.filter(assignment=a).values_list("kind", flat=True)) == {
        "due_soon",
        "overdue",
    }


@pytest.mark.django_db
def test_run_periodic_includes_the_reminders():
    from opentto.celery import collect_beat_schedule

    assert (
        collect_beat_schedule()["evaluation-review-reminders"]["task"]
        == "evaluation.send_review_reminders"
    )


@pytest.mark.django_db
def test_figures_count_finalised_rounds_within_the_viewers_scope(
    client, manager, official, enterprise_user, in_evaluation, reviewer_a, reviewer_b
):
    review_round = open_round(in_evaluation, manager)
    review(review_round, reviewer_a, manager, 4)
    review(review_round, reviewer_b, manager, 5)
    round_finalise(
        review_round=review_round,
        actor=manager,
        recommendation="proceed",
        transfer_modes=["licence"],
        strengths_en="s",
        risks_en="r",
        trl_assessed=6,
    )
    for user in (manager, official):
        f = evaluation_figures(user)
        assert (f.finalised, sum(b.count for b in f.trl), f.trl[5].count) == (1, 1, 1)
        assert sum(b.count for b in f.scores) == 1 and f.per_month[-1].count == 1
        assert f.median_days is not None
    assert (
        evaluation_figures(enterprise_user).finalised == 1
    )  # a public result: counted over what they see
    type(in_evaluation).objects.filter(pk=in_evaluation.pk).update(is_public=False)
    assert evaluation_figures(enterprise_user).finalised == 0
    assert evaluation_figures(official).finalised == 1
    client.force_login(manager)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-figure="evaluations_finalised">1<' in page
    assert "<title>" in page and "evaluations_finalised" not in page.split("</title>")[0]
    # the dashboard's year: rounds finalised that Shanghai year (2024-12-31 17:00 UTC is 2025-01-01 in Shanghai)
    review_round.__class__.objects.filter(pk=review_round.pk).update(
        finalised_at=dt.datetime(2024, 12, 31, 17, tzinfo=dt.UTC)
    )
    assert evaluation_figures(manager, year=2024).finalised == 0
    f = evaluation_figures(manager, year=2025)
    assert (
        f.finalised == 1
        and [b.label for b in f.per_month][0] == "2025-01"
        and f.per_month[0].count == 1
    )
    page = client.get(reverse("dashboard") + "?year=2025").content.decode()
    assert 'data-figure="evaluations_finalised">1<' in page and "Evaluation, 2025" in page
    assert (
        'data-figure="evaluations_finalised">0<'
        in client.get(reverse("dashboard") + "?year=2024").content.decode()
    )
