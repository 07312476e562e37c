"""The deal's actions beyond view/change/figures (sign, record_payment, distribute, add) for the TTO's default grants.

The default grants of a new site are installed with every action (``opentto.core.permissions``
installs them after ``migrate``); on a site that already has these rows (installed with fewer
actions), the new actions are added to the default rows. A row an admin switched off stays off.
"""

from django.db import migrations

#: (role, object type, constraint, actions added)
ADDED = [
    ('admin', 'landing.deal', 'all', ('add', 'distribute', 'record_payment', 'sign')),
    ('manager', 'landing.deal', 'all', ('add', 'distribute', 'record_payment', 'sign')),
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
    dependencies = [("landing", "0002_agreement_coownershare_distribution_distributionline_and_more"), ("core", "0004_reviewer_official_investor_grants")]
    operations = [migrations.RunPython(add_actions, remove_actions)]
