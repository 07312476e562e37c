"""People's private data (PIPL) became actions on ``organisations.person``
(opentto/access/permissions.py). On a new database the default grants carry them already; here
the TTO's default rows of an existing database get them (the actions did not exist, so no admin's
choice is undone; a disabled row stays disabled). Frozen here."""

from django.db import migrations

ADDED = [
    (role, "organisations.person", "all",
     ("view_private_data", "change_private_data", "erase", "manage_consent", "export_data"))
    for role in ("admin", "manager")
]


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
    dependencies = [("access", "0001_initial"), ("core", "0004_reviewer_official_investor_grants")]
    operations = [migrations.RunPython(add_actions, remove_actions)]
