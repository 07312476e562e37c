"""The registration number and date now live on ``ContractRegistration`` (moved by 0005)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("landing", "0005_registration_data")]
    operations = [
        migrations.RemoveField(model_name="deal", name="registration_date"),
        migrations.RemoveField(model_name="deal", name="registration_number"),
    ]
