"""The directory's new actions on the TTO's existing default grants: ``add`` (organisations and
people) and ``view_email`` (people's e-mail), which were role checks in the views and services.
A fresh database gets them from opentto.organisations.permissions; a database whose default grant
rows were installed before keeps its rows (install_default_grants never rewrites one), so the
actions are added to them here. A row the admin disabled stays disabled."""

from django.db import migrations

ADDED = {"organisations.organisation": ("add",), "organisations.person": ("add", "view_email")}


def add_actions(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for object_type, actions in ADDED.items():
        for grant in Grant.objects.using(db).filter(object_type=object_type, role__in=("admin", "manager"), constraint="all", is_default=True):
            grant.actions = sorted(set(grant.actions or []) | set(actions))
            grant.save(update_fields=["actions"])


class Migration(migrations.Migration):
    dependencies = [("organisations", "0004_organisation_held_for_clash"), ("core", "0004_reviewer_official_investor_grants")]
    operations = [migrations.RunPython(add_actions, migrations.RunPython.noop)]
