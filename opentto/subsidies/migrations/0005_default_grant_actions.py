"""The subsidy actions (apply, decide, disburse, open the expert review, see the experts, the dashboard) in the default grants.

The default grants of a new site are installed with every action (``opentto.core.permissions``
installs them after ``migrate``); on a site that already has these rows (installed with fewer
actions), the new actions are added to the default rows. A row an admin switched off stays off.
"""

from django.db import migrations

#: (role, object type, constraint, actions added)
ADDED = [
    ('admin', 'subsidies.application', 'all', ('add', 'apply', 'decide', 'disburse', 'figures', 'open_review', 'view_reviewers')),
    ('manager', 'subsidies.application', 'all', ('add', 'apply', 'figures', 'open_review', 'view_reviewers')),
    ('official', 'subsidies.application', 'all', ('decide', 'disburse', 'figures', 'view_reviewers')),
    ('enterprise', 'subsidies.application', 'own_organisation', ('add', 'apply')),
    ('inventor', 'subsidies.application', 'own_organisation', ('add', 'apply')),
    ('admin', 'subsidies.programme', 'all', ('add',)),
    ('manager', 'subsidies.programme', 'all', ('add',)),
    ('official', 'subsidies.programme', 'all', ('add',)),
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
    dependencies = [("subsidies", "0004_link_existing_applications"), ("core", "0004_reviewer_official_investor_grants")]
    operations = [migrations.RunPython(add_actions, remove_actions)]
