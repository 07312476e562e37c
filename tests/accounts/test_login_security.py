"""Sign-in protection: ten wrong passwords lock the account; throttling per address; TOTP."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from opentto.accounts import crypto, totp
from opentto.accounts.models import User
from opentto.accounts.services import totp_begin, totp_confirm, user_unlock
from opentto.core.models import AuditEvent

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/en/accounts/login/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_ten_wrong_passwords_lock_the_account(manager):
    client = Client()
    for i in range(9):
        response = _login(client, "manager", f"wrong-{i}")
        assert response.status_code == 200 and "Please enter a correct username and password" in response.content.decode()
    assert User.objects.get(pk=manager.pk).failed_logins == 9 and not User.objects.get(pk=manager.pk).is_locked
    response = _login(client, "manager", "wrong-10")
    assert "This account is locked after 10 wrong passwords" in response.content.decode()
    locked = User.objects.get(pk=manager.pk)
    assert locked.is_locked
    # The right password no longer gets in, and no session is created.
    response = _login(Client(), "manager", PASSWORD)
    assert response.status_code == 200 and "locked" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    assert AuditEvent.objects.filter(action="user.login_failed", object_id=str(manager.pk)).count() == 10
    assert AuditEvent.objects.filter(action="user.locked", object_id=str(manager.pk)).count() == 1


def test_unlock_and_success_reset_the_counter(manager, admin_user):
    for i in range(10):
        _login(Client(), "manager", f"wrong-{i}")
    user_unlock(user=User.objects.get(pk=manager.pk), actor=admin_user)
    response = _login(Client(), "manager", PASSWORD)
    assert response.status_code == 302
    assert User.objects.get(pk=manager.pk).failed_logins == 0
    assert AuditEvent.objects.filter(action="user.login", object_id=str(manager.pk)).exists()


def test_a_correct_password_resets_the_count_of_wrong_ones(manager):
    for i in range(9):
        _login(Client(), "manager", f"wrong-{i}")
    assert _login(Client(), "manager", PASSWORD).status_code == 302
    for i in range(9):
        _login(Client(), "manager", f"wrong-{i}")
    assert not User.objects.get(pk=manager.pk).is_locked


def test_the_lock_ends_after_its_time(manager, settings):
    for i in range(10):
        _login(Client(), "manager", f"wrong-{i}")
    User.objects.filter(pk=manager.pk).update(locked_until="2000-01-01T00:00:00Z")
    assert _login(Client(), "manager", PASSWORD).status_code == 302


def test_the_admin_sign_in_page_counts_wrong_passwords_too(admin_user):
    for i in range(10):
        Client().post("/en/admin/login/", {"username": "admin", "password": f"wrong-{i}"})
    assert User.objects.get(pk=admin_user.pk).is_locked


@override_settings(OPENTTO_LOGIN_IP_LIMIT=5)
def test_one_address_is_throttled_across_accounts(manager, inventor):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(5):
        _login(client, f"nobody{i}", "wrong")
    response = _login(client, "manager", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    # Another address is not affected.
    assert _login(Client(REMOTE_ADDR="198.51.100.2"), "manager", PASSWORD).status_code == 302


def test_unknown_user_and_wrong_password_look_the_same(manager):
    a = _login(Client(), "nobody", "wrong").content.decode()
    b = _login(Client(), "manager", "wrong").content.decode()
    assert "Please enter a correct username and password" in a and "Please enter a correct username and password" in b


# --- TOTP -----------------------------------------------------------------------------------------


def test_rfc6238_test_vectors():
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", 8 digits.
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    for at, expected in ((59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924"), (2000000000, "69279037")):
        assert totp.totp(secret, at=at, digits=8) == expected


def test_verify_accepts_one_step_of_drift_and_refuses_replay():
    secret = totp.new_secret()
    now = 1_700_000_000
    code = totp.totp(secret, at=now - 30)
    counter = totp.verify(secret, code, at=now)
    assert counter == (now - 30) // 30
    assert totp.verify(secret, code, at=now, last_counter=counter) is None
    assert totp.verify(secret, totp.totp(secret, at=now - 90), at=now) is None
    assert totp.verify(secret, "abc", at=now) is None


def _enable_totp(user: User) -> tuple[str, list[str]]:
    secret = totp_begin(user=user, actor=user)
    codes = totp_confirm(user=user, code=totp.totp(secret, at=time.time() - 30), actor=user)
    return secret, codes


def test_totp_secret_is_encrypted_at_rest(inventor):
    secret, _codes = _enable_totp(inventor)
    stored = User.objects.get(pk=inventor.pk).totp_secret_encrypted
    assert secret not in stored and crypto.decrypt(stored) == secret


def test_sign_in_with_two_factor_needs_the_code(inventor):
    secret, codes = _enable_totp(inventor)
    client = Client()
    response = _login(client, "inventor", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/en/account/verify/"
    assert client.get("/en/dashboard/").status_code == 302  # not signed in yet
    response = client.post("/en/account/verify/", {"code": "000000"})
    assert response.status_code == 422 and "That code is not right" in response.content.decode()
    code = totp.totp(secret)  # one code for both tries: a fresh one would differ once the 30 s step turns
    response = client.post("/en/account/verify/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/en/dashboard/"
    assert client.get("/en/dashboard/").status_code == 200
    # The same code cannot be used again in another session.
    other = Client()
    _login(other, "inventor", PASSWORD)
    assert other.post("/en/account/verify/", {"code": code}).status_code == 422
    # A recovery code works once.
    assert other.post("/en/account/verify/", {"code": codes[0]}).status_code == 302
    third = Client()
    _login(third, "inventor", PASSWORD)
    assert third.post("/en/account/verify/", {"code": codes[0]}).status_code == 422


def test_verify_without_a_password_first_goes_back_to_sign_in():
    response = Client().get("/en/account/verify/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_session_signed_in_elsewhere_must_still_give_the_code(inventor):
    _enable_totp(inventor)
    client = Client()
    client.force_login(inventor)  # as the admin's sign-in page would
    response = client.get("/en/results/")
    assert response.status_code == 302 and response["Location"].startswith("/en/account/verify/")


@override_settings(OPENTTO_TOTP_REQUIRED_ROLES=["admin", "manager"])
def test_required_roles_are_sent_to_set_up_two_factor(manager, inventor):
    client = Client()
    client.force_login(manager)
    response = client.get("/en/results/")
    assert response.status_code == 302 and response["Location"] == "/en/account/two-factor/"
    assert client.get("/en/account/two-factor/").status_code == 200
    other = Client()
    other.force_login(inventor)
    assert other.get("/en/results/").status_code == 200


def test_two_factor_page_sets_up_and_turns_off(inventor):
    client = Client()
    client.force_login(inventor)
    client.post("/en/account/two-factor/", {"action": "begin"})
    page = client.get("/en/account/two-factor/").content.decode()
    assert "data:image/svg+xml;base64," in page and "<script" not in page.split("<body", 1)[1].replace('<script src="/static/', "")
    secret = crypto.decrypt(User.objects.get(pk=inventor.pk).totp_secret_encrypted)
    response = client.post("/en/account/two-factor/", {"action": "confirm", "code": totp.totp(secret)})
    assert response.status_code == 200 and "Your recovery codes" in response.content.decode()
    assert User.objects.get(pk=inventor.pk).has_two_factor
    response = client.post("/en/account/two-factor/", {"action": "disable", "password": "wrong"})
    assert response.status_code == 422 and User.objects.get(pk=inventor.pk).has_two_factor
    client.post("/en/account/two-factor/", {"action": "disable", "password": PASSWORD})
    assert not User.objects.get(pk=inventor.pk).has_two_factor


def test_password_policy_refuses_weak_passwords(inventor):
    client = Client()
    client.force_login(inventor)
    for weak in ("12345678901", "password123", "short"):
        response = client.post("/en/account/password/", {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak})
        assert response.status_code == 200 and "error" in response.content.decode()
    response = client.post("/en/account/password/", {"old_password": PASSWORD, "new_password1": "x" * 300 + "Aa1", "new_password2": "x" * 300 + "Aa1"})
    assert "at most 256 characters" in response.content.decode()
    strong = "plum-orbit-canal-7"
    response = client.post("/en/account/password/", {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong})
    assert response.status_code == 302
    assert User.objects.get(pk=inventor.pk).check_password(strong)


def test_argon2_is_the_hasher_outside_tests():
    from opentto.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_account_page_and_my_data(inventor):
    client = Client()
    client.force_login(inventor)
    page = client.get("/en/account/")
    assert page.status_code == 200 and "Two-factor authentication" in page.content.decode()
    assert client.get("/en/account/my-data/").status_code == 405
    response = client.post("/en/account/my-data/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    data = response.json()
    assert data["person"]["name_en"] == "Li Ming" and data["user"]["username"] == "inventor"
    assert AuditEvent.objects.filter(action="person.export").exists()
