"""Sign-in throttling (django-axes): a user name is locked from one address after the tenth wrong
password; a locked sign-in, an unknown user and a wrong password get the same page; a lock at one
address leaves the owner free at another; the lock is audited, shown in the admin and undone by
the unlock action."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.utils import timezone

from opentto.accounts.models import User
from opentto.accounts.selectors import sign_in_locks
from opentto.accounts.services import user_unlock
from opentto.core.models import AuditEvent

from ..conftest import PASSWORD
from .helpers import LOGIN, enable_two_factor, verified_session, without_csrf

pytestmark = pytest.mark.django_db
ADDRESS_A = "203.0.113.9"
ADDRESS_B = "198.51.100.2"
WRONG = "Please enter a correct username and password"


def _login(username: str, password: str, address: str = ADDRESS_A):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password})


def _lock(username: str, address: str = ADDRESS_A, count: int = 10) -> None:
    for i in range(count):
        _login(username, f"wrong-{i}", address)


def test_the_tenth_wrong_password_locks_the_user_name_at_that_address(manager):
    _lock("manager", count=9)
    assert (
        _login("manager", PASSWORD).status_code == 302
    )  # nine: not locked; the right password clears the count
    _lock("manager", count=10)
    response = _login("manager", PASSWORD)
    assert response.status_code == 200 and WRONG in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    assert sign_in_locks(user=manager) == [ADDRESS_A]


def test_locked_unknown_and_wrong_password_answers_are_identical(manager):
    _lock("manager")
    locked = _login("manager", PASSWORD)
    unknown = _login("nobody-here", PASSWORD)
    wrong = _login("manager", "wrong-password", ADDRESS_B)
    for response in (locked, unknown, wrong):
        assert response.status_code == 200
        assert response["Content-Type"] == "text/html; charset=utf-8"
    # The user name is echoed in the form's field; give all three the same one.
    wrong_same_name = _login("manager", "wrong-password", "192.0.2.77")
    unknown_same_page = _login("nobody-here", "x", "192.0.2.78")
    assert without_csrf(locked.content) == without_csrf(wrong_same_name.content)
    assert without_csrf(unknown.content).replace(b"nobody-here", b"manager") == without_csrf(
        wrong_same_name.content
    )
    assert without_csrf(unknown_same_page.content) == without_csrf(unknown.content)
    assert WRONG in locked.content.decode()
    assert "lock" not in locked.content.decode().lower()


def test_each_refusal_hashes_one_password(manager):
    """Timing: an unknown user (Django hashes a dummy), a wrong password and a locked pair (OpenTTO
    hashes the given password) each cost one password hash."""
    _lock("manager")
    original = MD5PasswordHasher.encode
    for username, password, address in (
        ("manager", PASSWORD, ADDRESS_A),
        ("nobody-here", "x", ADDRESS_A),
        ("manager", "wrong", ADDRESS_B),
    ):
        with mock.patch.object(
            MD5PasswordHasher, "encode", autospec=True, side_effect=original
        ) as encode:
            assert WRONG in _login(username, password, address).content.decode()
        assert encode.call_count == 1, (username, address)


def test_a_lock_at_one_address_leaves_the_owner_free_at_another(manager):
    _lock("manager", ADDRESS_A)
    assert WRONG in _login("manager", PASSWORD, ADDRESS_A).content.decode()
    response = _login("manager", PASSWORD, ADDRESS_B)
    assert response.status_code == 302 and response["Location"] == "/en/dashboard/"


def test_the_lock_is_audited_once(manager):
    _lock("manager", count=14)
    events = AuditEvent.objects.filter(action="user.locked", object_id=str(manager.pk))
    assert events.count() == 1
    assert events.get().payload == {"ip_address": ADDRESS_A, "failures": 10}
    assert events.get().remote_addr == ADDRESS_A
    # Each refused sign-in of the account is recorded too (not those of unknown names).
    assert (
        AuditEvent.objects.filter(action="user.login_failed", object_id=str(manager.pk)).count()
        == 14
    )
    _lock("nobody-here", count=10)
    assert AuditEvent.objects.filter(action="user.locked").count() == 1


def test_the_lock_shows_in_the_admin(manager, admin_user):
    _lock("manager")
    enable_two_factor(admin_user)
    client = verified_session(admin_user)
    attempts = client.get("/en/admin/axes/accessattempt/")
    assert attempts.status_code == 200
    assert "manager" in attempts.content.decode() and ADDRESS_A in attempts.content.decode()
    change = client.get(f"/en/admin/accounts/user/{manager.pk}/change/")
    assert change.status_code == 200 and ADDRESS_A in change.content.decode()


def test_unlock_clears_the_lock_everywhere_and_is_audited(manager, admin_user):
    _lock("manager", ADDRESS_A)
    _lock("manager", ADDRESS_B)
    assert sign_in_locks(user=manager) == [ADDRESS_B, ADDRESS_A]
    user_unlock(user=User.objects.get(pk=manager.pk), actor=admin_user)
    assert (
        sign_in_locks(user=manager) == []
        and not AccessAttempt.objects.filter(username="manager").exists()
    )
    assert _login("manager", PASSWORD, ADDRESS_A).status_code == 302
    event = AuditEvent.objects.get(action="user.unlock", object_id=str(manager.pk))
    assert event.actor_id == admin_user.pk and event.payload == {"attempts_cleared": 2}


def test_the_admin_unlock_action(manager, admin_user):
    _lock("manager")
    enable_two_factor(admin_user)
    client = verified_session(admin_user)
    response = client.post(
        "/en/admin/accounts/user/", {"action": "unlock", "_selected_action": [manager.pk]}
    )
    assert response.status_code == 302
    assert sign_in_locks(user=manager) == []


@pytest.mark.parametrize("who", ["inventor", "enterprise_user", "reviewer"])
def test_only_admins_and_managers_unlock(request, who, manager):
    _lock("manager")
    with pytest.raises(PermissionError):
        user_unlock(user=manager, actor=request.getfixturevalue(who))
    assert sign_in_locks(user=manager) == [ADDRESS_A]
    assert not AuditEvent.objects.filter(action="user.unlock").exists()


def test_a_manager_unlocks(manager, inventor):
    _lock("inventor")
    user_unlock(user=inventor, actor=manager)
    assert sign_in_locks(user=inventor) == []


def test_the_lock_ends_after_its_time(manager, settings):
    _lock("manager")
    AccessAttempt.objects.filter(username="manager").update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert _login("manager", PASSWORD).status_code == 302


def test_tries_during_a_lock_do_not_extend_it(manager):
    _lock("manager")
    failures = AccessAttempt.objects.get(username="manager").failures_since_start
    _lock("manager", count=3)
    assert AccessAttempt.objects.get(username="manager").failures_since_start == failures == 10


def test_the_admin_has_no_password_form_of_its_own(admin_user):
    """The admin signs in through the platform's sign-in page: the same throttle and answers."""
    response = Client().post("/en/admin/login/", {"username": "admin", "password": PASSWORD})
    assert (
        response.status_code == 302
        and response["Location"] == "/en/accounts/login/?next=%2Fen%2Fadmin%2F"
    )
    assert "_auth_user_id" not in response.wsgi_request.session
    response = Client().get("/en/admin/")
    assert (
        response.status_code == 302 and response["Location"] == "/en/admin/login/?next=/en/admin/"
    )
    response = Client().get("/en/admin/login/?next=/en/admin/accounts/user/")
    assert response["Location"] == "/en/accounts/login/?next=%2Fen%2Fadmin%2Faccounts%2Fuser%2F"
    # A foreign next is not followed.
    assert (
        Client().get("/en/admin/login/?next=https://evil.example/")["Location"]
        == "/en/accounts/login/?next=%2Fen%2Fadmin%2F"
    )
    # The admin's users are throttled there like everyone.
    _lock("admin")
    assert WRONG in _login("admin", PASSWORD).content.decode()


def test_a_signed_in_user_without_the_admin_gets_403_not_a_loop(inventor):
    client = Client()
    client.force_login(inventor)
    assert client.get("/en/admin/login/").status_code == 403


def test_a_lockout_without_a_rendered_page_names_no_account(rf):
    from opentto.accounts.throttling import lockout_response

    page = lockout_response(rf.post(LOGIN), mock.sentinel.page, {"username": "manager"})
    assert page is mock.sentinel.page
    response = lockout_response(rf.post(LOGIN), None, {"username": "manager"})
    assert (
        response.status_code == 403
        and b"manager" not in response.content
        and b"lock" not in response.content.lower()
    )
