# The hand-written lockout counters (django-axes counts now) and TOTP fields (moved to the
# django-otp devices by 0004) go.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_two_factor_to_devices'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='user',
            name='failed_logins',
        ),
        migrations.RemoveField(
            model_name='user',
            name='locked_until',
        ),
        migrations.RemoveField(
            model_name='user',
            name='totp_confirmed_at',
        ),
        migrations.RemoveField(
            model_name='user',
            name='totp_last_counter',
        ),
        migrations.RemoveField(
            model_name='user',
            name='totp_recovery_hashes',
        ),
        migrations.RemoveField(
            model_name='user',
            name='totp_secret_encrypted',
        ),
    ]
