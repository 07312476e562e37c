"""Notifications are their recipient's alone: not even the TTO reads or marks another user's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from opentto.core.models import Grant
from opentto.core.permissions import clear_grant_cache
from opentto.notifications.models import Notification, NotificationPreference
from opentto.notifications.services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_preference_set,
    notification_send,
)

from ..security.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(inventor):
    return notification_send(
        recipients=[inventor],
        kind="access.request",
        title_zh="私人通知",
        title_en="Private note",
        url="/en/results/",
    )[0]


def test_only_the_recipient_reads_it(inventor, manager, admin_user, enterprise_user, note):
    assert list(Notification.objects.restrict(inventor, "view")) == [note]
    for other in (manager, admin_user, enterprise_user, AnonymousUser()):
        assert not Notification.objects.restrict(other, "view").exists()
    assert (
        "Private note" in client_for(inventor).get(reverse("notifications:list")).content.decode()
    )
    assert (
        "Private note"
        not in client_for(manager).get(reverse("notifications:list")).content.decode()
    )


def test_opening_someone_elses_notification_is_404_and_marks_nothing(inventor, manager, note):
    url = reverse("notifications:open", args=[note.pk])
    assert client_for(manager).post(url).status_code == 404
    with pytest.raises(PermissionError):
        notification_mark_read(notification=note, actor=manager)
    assert notification_mark_all_read(actor=manager) == 0
    note.refresh_from_db()
    assert note.read_at is None
    assert client_for(inventor).post(url).status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None


def test_a_disabled_grant_takes_the_notifications_away(inventor, note):
    Grant.objects.filter(role="inventor", object_type="notifications.notification").update(
        enabled=False
    )
    clear_grant_cache(inventor)
    assert not Notification.objects.restrict(inventor, "view").exists()
    assert (
        client_for(inventor).post(reverse("notifications:open", args=[note.pk])).status_code == 404
    )
    note.refresh_from_db()
    assert note.read_at is None


def test_preferences_are_set_by_the_user_only(inventor, manager):
    with pytest.raises(PermissionError):
        notification_preference_set(user=inventor, email_mode="off", actor=manager)
    assert not NotificationPreference.objects.filter(
        user=inventor
    ).exists()  # the row made for the check is not kept
    notification_preference_set(user=inventor, email_mode="off", actor=inventor)
    assert NotificationPreference.objects.get(user=inventor).email_mode == "off"
