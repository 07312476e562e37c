"""The pipeline's edges, onboarding (``add``) and the access log (``view_access_log``) became actions
on results (opentto/results/permissions.py). On a new database the default grants carry them
already; here the default rows of an existing database get them (the actions did not exist, so
no admin's choice is undone; a disabled row stays disabled). Frozen here."""

from django.db import migrations

PIPELINE = ("submit", "proceed", "return", "decline", "land", "hold", "resume", "withdraw")
ADDED = [
    ("admin", "results.result", "all", ("add", "view_access_log", *PIPELINE)),
    ("manager", "results.result", "all", ("add", "view_access_log", *PIPELINE)),
    ("inventor", "results.result", "own_organisation", ("add", "view_access_log", "submit", "withdraw")),
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
    dependencies = [("results", "0002_ipasset_held_for_clash"), ("core", "0004_reviewer_official_investor_grants")]
    operations = [migrations.RunPython(add_actions, remove_actions)]
