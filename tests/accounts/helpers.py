"""Two-factor helpers for tests: turn it on through the services, compute the app's codes."""

from __future__ import annotations

import re
import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from opentto.accounts.models import TOTPDevice, User
from opentto.accounts.services import totp_begin, totp_confirm

from ..conftest import PASSWORD

LOGIN = "/en/accounts/login/"
VERIFY = "/en/account/verify/"


def code_at(device: TOTPDevice, at: float) -> str:
    """The code the app shows at Unix time ``at``."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    return str(totp.token()).zfill(device.digits)


def current_code(user: User) -> str:
    return code_at(TOTPDevice.objects.get(user=user, confirmed=True), time.time())


def enable_two_factor(user: User) -> tuple[str, list[str]]:
    """Turn two-factor on as the user would (the first code is the previous step's, so the
    current one is still unused). Returns the secret and the recovery codes."""
    secret = totp_begin(user=user, actor=user)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    codes = totp_confirm(user=user, code=code_at(device, time.time() - 30), actor=user)
    return secret, codes


def password_only_session(user: User) -> Client:
    """A session signed in with the password and nothing else (as any door that authenticates
    without the code would leave it)."""
    client = Client()
    client.force_login(user)
    return client


def signed_in_with_code(user: User) -> Client:
    """A session signed in with the password and the app's current code, through the sign-in
    pages (once per user and 30-second step: a code is accepted once)."""
    client = Client()
    assert client.post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 302
    response = client.post(VERIFY, {"code": current_code(user)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def verified_session(user: User) -> Client:
    """A session verified by the user's app (what ``django_otp.login`` records), made directly."""
    client = password_only_session(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return client


def without_csrf(content: bytes) -> bytes:
    """A page with its CSRF tokens blanked (they differ on every response): the form's field and
    the one HTMX sends (``hx-headers`` on the body)."""
    content = re.sub(
        rb'name="csrfmiddlewaretoken" value="[^"]+"',
        b'name="csrfmiddlewaretoken" value=""',
        content,
    )
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b'"X-CSRFToken": ""', content)
