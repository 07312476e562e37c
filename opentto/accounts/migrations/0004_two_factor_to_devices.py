"""Move enrolled two-factor secrets and unused recovery codes from the user row to the django-otp
devices, so that nobody has to enrol again (docs/adr/0007-two-factor-with-django-otp.md).

The secret's ciphertext is copied as it is (the same key decrypts it); the step of the last code
accepted becomes the device's ``last_t``, so a code used before the migration is still refused
after it; the recovery-code digests are copied as they are (``recovery_code_digest`` computes the
same digest), so each unused code works once and a used one not at all. A set-up that was begun
but not confirmed becomes an unconfirmed device. Lockout counters are not moved: django-axes
starts counting afresh."""

from django.db import migrations


def move_two_factor_to_devices(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    TOTPDevice = apps.get_model("accounts", "TOTPDevice")
    RecoveryCodeDevice = apps.get_model("accounts", "RecoveryCodeDevice")
    RecoveryCode = apps.get_model("accounts", "RecoveryCode")
    users = User.objects.exclude(totp_secret_encrypted="").order_by("pk")
    for user in users.iterator():
        confirmed = user.totp_confirmed_at is not None
        device = TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=confirmed, key_encrypted=user.totp_secret_encrypted,
            last_t=user.totp_last_counter if user.totp_last_counter is not None else -1,
        )
        if confirmed:
            TOTPDevice.objects.filter(pk=device.pk).update(created_at=user.totp_confirmed_at)
            recovery = RecoveryCodeDevice.objects.create(user=user, name="recovery codes", confirmed=True)
            RecoveryCode.objects.bulk_create(
                [RecoveryCode(device=recovery, digest=str(digest)) for digest in (user.totp_recovery_hashes or [])]
            )


def move_devices_back(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    TOTPDevice = apps.get_model("accounts", "TOTPDevice")
    RecoveryCode = apps.get_model("accounts", "RecoveryCode")
    for device in TOTPDevice.objects.order_by("user_id", "-confirmed", "-pk"):
        user = User.objects.get(pk=device.user_id)
        if user.totp_secret_encrypted:
            continue  # the user's first (confirmed) device was moved back already
        user.totp_secret_encrypted = device.key_encrypted
        user.totp_confirmed_at = (device.created_at or device.last_used_at) if device.confirmed else None
        user.totp_last_counter = device.last_t if device.last_t >= 0 else None
        user.totp_recovery_hashes = list(
            RecoveryCode.objects.filter(device__user_id=user.pk, device__confirmed=True).order_by("pk").values_list("digest", flat=True)
        ) if device.confirmed else []
        user.save(update_fields=["totp_secret_encrypted", "totp_confirmed_at", "totp_last_counter", "totp_recovery_hashes"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_two_factor_devices'),
    ]

    operations = [
        migrations.RunPython(move_two_factor_to_devices, move_devices_back),
    ]
