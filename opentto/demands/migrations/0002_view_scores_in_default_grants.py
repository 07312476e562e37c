"""Seeing the matches page's scores and how they are made (``view_scores`` on demands) became an
action of the TTO's default grants (ADR 0012). On a new database the default grants carry it
already; here the default rows of an existing database get it (a row an admin switched off stays
off). Without it the page explains each result in a sentence, with no numbers. Frozen here."""

from django.db import migrations

#: (role, object type, constraint, actions added)
ADDED = [
    ("admin", "demands.demand", "all", ("view_scores",)),
    ("manager", "demands.demand", "all", ("view_scores",)),
]


def add_actions(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for role, object_type, constraint, actions in ADDED:
        for grant in Grant.objects.using(db).filter(role=role, object_type=object_type, constraint=constraint, is_default=True):
            merged = sorted(set(grant.actions or []) | set(actions))
            if merged != sorted(grant.actions or []):
                grant.actions = merged
                grant.save(update_fields=["actions"])


def remove_actions(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for role, object_type, constraint, actions in ADDED:
        for grant in Grant.objects.using(db).filter(role=role, object_type=object_type, constraint=constraint, is_default=True):
            grant.actions = sorted(set(grant.actions or []) - set(actions))
            grant.save(update_fields=["actions"])


class Migration(migrations.Migration):
    dependencies = [("demands", "0001_initial"), ("core", "0004_reviewer_official_investor_grants")]
    operations = [migrations.RunPython(add_actions, remove_actions)]
