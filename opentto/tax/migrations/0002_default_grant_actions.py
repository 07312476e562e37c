"""The tax report became an action on ``organisations.organisation`` (opentto/tax/permissions.py).
On a new database the default grants carry it already; here the TTO's default rows of an existing
database get it (the action did not exist, so no admin's choice is undone; a disabled row stays
disabled). ADR 0012. Frozen here."""

from django.db import migrations

ADDED = [(role, "organisations.organisation", "all", ("tax_report",)) for role in ("admin", "manager")]


def add_actions(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for role, object_type, constraint, actions in ADDED:
        for grant in Grant.objects.using(db).filter(role=role, object_type=object_type, constraint=constraint, is_default=True):
            grant.actions = sorted({*grant.actions, *actions})
            grant.save(update_fields=["actions"])


def remove_actions(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for role, object_type, constraint, actions in ADDED:
        for grant in Grant.objects.using(db).filter(role=role, object_type=object_type, constraint=constraint, is_default=True):
            grant.actions = sorted(set(grant.actions) - set(actions))
            grant.save(update_fields=["actions"])


class Migration(migrations.Migration):
    dependencies = [("tax", "0001_initial"), ("core", "0005_idempotency_key"), ("organisations", "0005_directory_grant_actions")]
    operations = [migrations.RunPython(add_actions, remove_actions)]
