"""accounts.0004 moves enrolled secrets and unused recovery codes from the user row (the
hand-written TOTP) to the django-otp devices: nobody enrols again, a code used before the
migration is still refused after it, each unused recovery code works once and a used one never."""

from __future__ import annotations

import base64
import secrets
import time

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from opentto.accounts import crypto
from opentto.accounts.models import RecoveryCodeDevice, TOTPDevice, User, recovery_code_digest
from opentto.accounts.services import two_factor_verify

from .helpers import code_at

BEFORE = [("accounts", "0003_two_factor_devices")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_enrolled_secrets_and_unused_recovery_codes_move_to_devices(settings):
    settings.OPENTTO_OTP_THROTTLE_FACTOR = 0
    executor = _migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldUser = old_apps.get_model("accounts", "User")
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    codes = ["a1b2c3-d4e5f6", "0a0b0c-0d0e0f", "ffeedd-ccbbaa"]
    last_step = int(time.time() // 30)  # the code of this step was used before the migration
    enrolled_at = timezone.now().replace(microsecond=0) - timezone.timedelta(days=30)
    OldUser.objects.create(
        username="enrolled",
        password="x",
        role="inventor",
        totp_secret_encrypted=crypto.encrypt(secret),
        totp_confirmed_at=enrolled_at,
        totp_last_counter=last_step,
        totp_recovery_hashes=[recovery_code_digest(c) for c in codes[:2]],  # the third was used
    )
    OldUser.objects.create(
        username="pending",
        password="x",
        role="inventor",
        totp_secret_encrypted=crypto.encrypt(secret),
    )
    OldUser.objects.create(username="plain", password="x", role="inventor")

    _migrate(executor.loader.graph.leaf_nodes())

    enrolled = User.objects.get(username="enrolled")
    assert enrolled.has_two_factor and enrolled.two_factor_since == enrolled_at
    device = TOTPDevice.objects.get(user=enrolled)
    assert device.confirmed and device.secret == secret and device.last_t == last_step
    # The code used before the migration stays used; the next one works.
    assert two_factor_verify(user=enrolled, code=code_at(device, last_step * 30)) is None
    assert two_factor_verify(user=enrolled, code=code_at(device, (last_step + 1) * 30)) == device
    # Unused recovery codes work once each; the used one does not.
    assert two_factor_verify(user=enrolled, code=codes[2]) is None
    assert isinstance(two_factor_verify(user=enrolled, code=codes[0]), RecoveryCodeDevice)
    assert two_factor_verify(user=enrolled, code=codes[0]) is None
    assert isinstance(two_factor_verify(user=enrolled, code=codes[1].upper()), RecoveryCodeDevice)
    assert RecoveryCodeDevice.objects.get(user=enrolled).codes.count() == 0

    pending = User.objects.get(username="pending")
    assert not pending.has_two_factor
    assert TOTPDevice.objects.get(user=pending, confirmed=False).secret == secret
    assert not RecoveryCodeDevice.objects.filter(user=pending).exists()
    plain = User.objects.get(username="plain")
    assert (
        not TOTPDevice.objects.filter(user=plain).exists()
        and not RecoveryCodeDevice.objects.filter(user=plain).exists()
    )
