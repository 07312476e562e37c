"""Per-user e-mail preferences and the daily digest; ``notification_send`` keeps its signature."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from opentto.accounts.models import User
from opentto.notifications.models import Notification
from opentto.notifications.services import (
    notification_digest_send,
    notification_preference_set,
    notification_send,
)
from opentto.notifications.tasks import notification_digest_task

pytestmark = pytest.mark.django_db


def send(user: User, kind: str = "evaluation.assigned", title: str = "评审任务") -> None:
    notification_send(
        recipients=[user],
        kind=kind,
        title_zh=title,
        title_en="Review task",
        body_zh="请评审",
        body_en="Please review",
        url="/en/results/1/",
    )


def test_immediate_by_default(manager: User, django_capture_on_commit_callbacks: Any) -> None:
    manager.email, manager.language = "m@example.org", "en"
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        send(manager)
    assert [m.subject for m in mail.outbox] == ["[OpenTTO] Review task"]
    assert Notification.objects.get().emailed_at is not None


def test_a_mail_has_a_text_and_an_absolute_link(
    manager: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.OPENTTO_BASE_URL = "https://tto.example.gov.cn/"
    manager.email, manager.language = "m@example.org", "zh-hans"
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipients=[manager],
            kind="evaluation.assigned",
            title_zh="新的评审任务",
            title_en="New review",
            url="/zh-hans/results/1/",
        )
    # no body text: the title stands above the link, which opens from a mail client
    assert mail.outbox[0].body == "新的评审任务\n\nhttps://tto.example.gov.cn/zh-hans/results/1/"


def test_off_and_muted_kinds_keep_the_in_app_notification(
    manager: User, inventor: User, django_capture_on_commit_callbacks: Any
) -> None:
    manager.email = inventor.email = "x@example.org"
    manager.save()
    inventor.save()
    notification_preference_set(user=manager, email_mode="off", actor=manager)
    notification_preference_set(
        user=inventor, email_mode="immediate", muted_kinds=["evaluation.assigned"], actor=inventor
    )
    with django_capture_on_commit_callbacks(execute=True):
        send(manager)
        send(inventor)
        send(inventor, kind="deal.signed")
    assert len(mail.outbox) == 1 and Notification.objects.count() == 3
    with pytest.raises(PermissionError):
        notification_preference_set(user=manager, email_mode="immediate", actor=inventor)


def test_daily_digest_once_a_day_with_what_is_new(
    manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    manager.email, manager.language = "m@example.org", "zh-hans"
    manager.save()
    notification_preference_set(user=manager, email_mode="digest", actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        send(manager, title="第一条")
        send(manager, title="第二条")
    assert mail.outbox == []  # nothing at once
    assert notification_digest_task.apply().result == 1
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "第一条" in body and "第二条" in body and "2" in mail.outbox[0].subject
    assert notification_digest_send() == 0  # not twice a day
    send(manager, title="第三条")
    assert notification_digest_send(now=timezone.now() + timedelta(days=1)) == 1
    assert "第三条" in mail.outbox[1].body and "第一条" not in mail.outbox[1].body


def test_preferences_page(client: Any, manager: User) -> None:
    client.force_login(manager)
    response = client.get("/en/notifications/preferences/")
    assert response.status_code == 200 and "daily digest" in response.content.decode()
    response = client.post("/en/notifications/preferences/", {"email_mode": "digest"})
    assert response.status_code == 302
    assert manager.notification_preference.email_mode == "digest"
    assert (
        client.post("/en/notifications/preferences/", {"email_mode": "sometimes"}).status_code
        == 200
    )
    manager.notification_preference.refresh_from_db()
    assert manager.notification_preference.email_mode == "digest"


def test_digest_is_scheduled() -> None:
    from opentto.celery import collect_beat_schedule

    assert (
        collect_beat_schedule()["notifications-daily-digest"]["task"]
        == "opentto.notifications.digest"
    )


def test_opening_a_notification_marks_it_read_and_follows_only_local_links(
    manager: User, reviewer: User
) -> None:
    """POST only, the recipient's own notifications only (404 for anyone else, nothing marked); an
    off-site link is not followed (the list instead)."""
    from django.test import Client

    notification_send(
        recipients=[manager],
        kind="evaluation.assigned",
        title_zh="任务",
        title_en="Task",
        url="/en/results/1/",
    )
    notification_send(
        recipients=[manager],
        kind="evaluation.assigned",
        title_zh="外链",
        title_en="Outside",
        url="https://evil.example/x",
    )
    local, outside = Notification.objects.order_by("pk")
    url = f"/en/notifications/{local.pk}/open/"
    response = Client().post(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    stranger = Client()
    stranger.force_login(reviewer)
    assert stranger.post(url).status_code == 404
    owner = Client()
    owner.force_login(manager)
    assert owner.get(url).status_code == 405
    local.refresh_from_db()
    assert local.read_at is None
    response = owner.post(url)
    assert response.status_code == 302 and response["Location"] == "/en/results/1/"
    local.refresh_from_db()
    assert local.read_at is not None
    response = owner.post(f"/en/notifications/{outside.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/en/notifications/"
    outside.refresh_from_db()
    assert outside.read_at is not None
