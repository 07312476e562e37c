"""The planning actions on existing default grant rows. New object types get their rows after
``migrate`` (``opentto.core.apps``); a row that already exists is kept as it is, so the TTO's
``all`` grants on results (``view_planning``, ``plan``) and on deal rooms (``change``) get the
new actions here. A row an admin disabled stays disabled."""

from django.db import migrations

ADDED = [
    (role, object_type, "all", actions)
    for role in ("admin", "manager")
    for object_type, actions in (("results.result", ("plan", "view_planning")), ("planning.dealroom", ("change",)))
]


def add_actions(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for role, object_type, constraint, actions in ADDED:
        for grant in Grant.objects.using(db).filter(role=role, object_type=object_type, constraint=constraint, is_default=True):
            merged = sorted({*(grant.actions or []), *actions})
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
    dependencies = [("planning", "0003_plan_changed_by"), ("core", "0004_reviewer_official_investor_grants")]
    operations = [migrations.RunPython(add_actions, remove_actions)]
