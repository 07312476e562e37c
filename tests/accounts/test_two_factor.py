"""Two-factor authentication (django-otp devices): the authenticator app's codes (RFC 6238, each
accepted once, wrong ones throttled), recovery codes (each works once), the sign-in's code step,
setting up and turning off, and the roles that must use it."""

from __future__ import annotations

import base64
import time
from unittest import mock

import pytest
from django.test import Client, override_settings

from opentto.accounts import crypto
from opentto.accounts.models import RecoveryCode, RecoveryCodeDevice, TOTPDevice, User
from opentto.accounts.services import totp_disable, two_factor_verify
from opentto.core.models import AuditEvent

from ..conftest import PASSWORD
from .helpers import LOGIN, VERIFY, code_at, current_code, enable_two_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_throttle(settings):
    settings.OPENTTO_OTP_THROTTLE_FACTOR = 0


def test_rfc6238_test_vectors(inventor):
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", 8 digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    device = TOTPDevice.objects.create(
        user=inventor, name="t", key_encrypted=crypto.encrypt(secret), digits=8
    )
    for at, expected in (
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ):
        assert code_at(device, at) == expected
        with mock.patch("opentto.accounts.models.time.time", return_value=at):
            assert device.verify_token(expected)
            device.last_t = -1
            device.save()


def test_one_step_of_drift_is_accepted_a_code_once_and_no_older_one(inventor, no_throttle):
    enable_two_factor(inventor)
    device = TOTPDevice.objects.get(user=inventor, confirmed=True)
    now = time.time()
    assert device.verify_token(
        code_at(device, now + 30)
    )  # the next step (a phone's clock a little ahead)
    assert not device.verify_token(code_at(device, now + 30))  # used
    assert not device.verify_token(code_at(device, now))  # older than the last used
    assert not device.verify_token(code_at(device, now + 90))  # too far ahead
    assert not device.verify_token("abc")


def test_the_secret_is_encrypted_at_rest(inventor):
    secret, _codes = enable_two_factor(inventor)
    stored = TOTPDevice.objects.get(user=inventor).key_encrypted
    assert secret not in stored and crypto.decrypt(stored) == secret


def test_recovery_codes_are_stored_as_digests(inventor):
    _secret, codes = enable_two_factor(inventor)
    digests = set(
        RecoveryCode.objects.filter(device__user=inventor).values_list("digest", flat=True)
    )
    assert len(codes) == len(digests) == 8 and not digests & set(codes)


def test_wrong_codes_are_throttled(inventor):
    enable_two_factor(inventor)
    assert two_factor_verify(user=inventor, code="000000") is None
    # Within the second that follows, even the right code is refused…
    assert two_factor_verify(user=inventor, code=current_code(inventor)) is None
    # …and accepted once the wait is over.
    TOTPDevice.objects.filter(user=inventor).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    assert two_factor_verify(user=inventor, code=current_code(inventor)) is not None
    assert (
        AuditEvent.objects.filter(action="user.totp_failed", object_id=str(inventor.pk)).count()
        == 2
    )


def test_the_code_page_says_when_to_wait(inventor):
    enable_two_factor(inventor)
    client = Client()
    client.post(LOGIN, {"username": "inventor", "password": PASSWORD})
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 422 and "That code is not right" in response.content.decode()
    response = client.post(
        VERIFY, {"code": current_code(inventor)}
    )  # within the second that follows
    assert response.status_code == 422 and "Too many wrong codes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_with_two_factor_needs_the_code(inventor, no_throttle):
    _secret, codes = enable_two_factor(inventor)
    client = Client()
    response = client.post(LOGIN, {"username": "inventor", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session  # not signed in yet
    assert client.get("/en/dashboard/")["Location"] == "/en/accounts/login/?next=/en/dashboard/"
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 422 and "That code is not right" in response.content.decode()
    code = current_code(inventor)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 302 and response["Location"] == "/en/dashboard/"
    assert client.get("/en/dashboard/").status_code == 200
    login = AuditEvent.objects.filter(action="user.login", object_id=str(inventor.pk)).get()
    assert login.payload == {"two_factor": True}
    # The same code cannot be used again, in another session.
    other = Client()
    other.post(LOGIN, {"username": "inventor", "password": PASSWORD})
    assert other.post(VERIFY, {"code": code}).status_code == 422
    # A recovery code works once.
    assert other.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    assert other.get("/en/dashboard/").status_code == 200
    third = Client()
    third.post(LOGIN, {"username": "inventor", "password": PASSWORD})
    assert third.post(VERIFY, {"code": codes[0]}).status_code == 422
    assert third.get("/en/dashboard/").status_code == 302
    used = AuditEvent.objects.get(action="user.totp_recovery_code_used", object_id=str(inventor.pk))
    assert used.payload == {"left": 7}
    # The other seven still work, each once.
    fourth = Client()
    fourth.post(LOGIN, {"username": "inventor", "password": PASSWORD})
    assert fourth.post(VERIFY, {"code": codes[7]}).status_code == 302
    assert RecoveryCode.objects.filter(device__user=inventor).count() == 6


def test_the_code_step_keeps_a_safe_next(inventor, no_throttle):
    enable_two_factor(inventor)
    client = Client()
    client.post(
        LOGIN + "?next=/en/results/",
        {"username": "inventor", "password": PASSWORD, "next": "/en/results/"},
    )
    assert client.post(VERIFY, {"code": current_code(inventor)})["Location"] == "/en/results/"


def test_the_code_step_expires(inventor):
    enable_two_factor(inventor)
    client = Client()
    client.post(LOGIN, {"username": "inventor", "password": PASSWORD})
    session = client.session
    session["opentto_2fa_pending"]["at"] = time.time() - 301
    session.save()
    response = client.post(VERIFY, {"code": current_code(inventor)})
    assert response.status_code == 302 and response["Location"] == "/en/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_verify_without_a_password_first_goes_back_to_sign_in():
    response = Client().get(VERIFY)
    assert response.status_code == 302 and response["Location"] == "/en/accounts/login/"


def test_a_session_signed_in_without_the_code_gives_it_on_the_code_page(inventor):
    enable_two_factor(inventor)
    client = Client()
    client.force_login(inventor)  # any door that authenticates without the code
    response = client.get("/en/results/?page=1")
    assert (
        response.status_code == 302
        and response["Location"] == "/en/account/verify/?next=%2Fen%2Fresults%2F%3Fpage%3D1"
    )
    response = client.post(response["Location"], {"code": current_code(inventor)})
    assert response.status_code == 302 and response["Location"] == "/en/results/?page=1"
    assert client.get("/en/results/").status_code == 200


@override_settings(OPENTTO_TOTP_REQUIRED_ROLES=["admin", "manager"])
def test_required_roles_are_sent_to_set_up_two_factor_and_reach_nothing_else(manager, inventor):
    client = Client()
    client.force_login(manager)
    for path in ("/en/results/", "/en/account/", "/en/account/privacy/", "/en/dashboard/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/en/account/two-factor/", (
            path
        )
    assert client.get("/api/v1/results/").status_code == 401
    assert client.get("/en/account/two-factor/").status_code == 200
    client.post("/en/account/two-factor/", {"action": "begin"})
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    response = client.post(
        "/en/account/two-factor/", {"action": "confirm", "code": code_at(device, time.time())}
    )
    assert response.status_code == 200 and "Your recovery codes" in response.content.decode()
    # Setting it up verified this session.
    assert client.get("/en/results/").status_code == 200
    # A required role cannot turn it off.
    assert (
        client.post(
            "/en/account/two-factor/", {"action": "disable", "password": PASSWORD}
        ).status_code
        == 403
    )
    assert User.objects.get(pk=manager.pk).has_two_factor
    other = Client()
    other.force_login(inventor)
    assert other.get("/en/results/").status_code == 200


def test_two_factor_page_sets_up_and_turns_off(inventor):
    client = Client()
    client.force_login(inventor)
    client.post("/en/account/two-factor/", {"action": "begin"})
    page = client.get("/en/account/two-factor/").content.decode()
    assert "data:image/svg+xml;base64," in page and "<script" not in page.split("<body", 1)[
        1
    ].replace('<script src="/static/', "")
    device = TOTPDevice.objects.get(user=inventor, confirmed=False)
    assert " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4)) in page
    response = client.post("/en/account/two-factor/", {"action": "confirm", "code": "000000"})
    assert response.status_code == 422 and not User.objects.get(pk=inventor.pk).has_two_factor
    response = client.post(
        "/en/account/two-factor/", {"action": "confirm", "code": code_at(device, time.time())}
    )
    assert response.status_code == 200 and "Your recovery codes" in response.content.decode()
    assert User.objects.get(pk=inventor.pk).has_two_factor
    assert RecoveryCodeDevice.objects.get(user=inventor).codes.count() == 8
    response = client.post("/en/account/two-factor/", {"action": "disable", "password": "wrong"})
    assert response.status_code == 422 and User.objects.get(pk=inventor.pk).has_two_factor
    client.post("/en/account/two-factor/", {"action": "disable", "password": PASSWORD})
    assert not User.objects.get(pk=inventor.pk).has_two_factor
    assert (
        not TOTPDevice.objects.filter(user=inventor).exists()
        and not RecoveryCodeDevice.objects.filter(user=inventor).exists()
    )
    assert [
        e.action
        for e in AuditEvent.objects.filter(
            object_id=str(inventor.pk), action__startswith="user.totp"
        ).order_by("id")
    ] == ["user.totp_begin", "user.totp_enable", "user.totp_disable"]


def test_an_admin_turns_off_a_lost_device_and_others_cannot(inventor, manager, enterprise_user):
    enable_two_factor(inventor)
    with pytest.raises(PermissionError):
        totp_disable(user=inventor, actor=enterprise_user)
    assert User.objects.get(pk=inventor.pk).has_two_factor
    totp_disable(user=inventor, actor=manager)
    assert not User.objects.get(pk=inventor.pk).has_two_factor
    assert AuditEvent.objects.get(action="user.totp_disable").actor_id == manager.pk
