"""The reviewer, district-official and investor rules as grant rows (they were conditions in the
evaluation, planning and subsidies selectors): review rounds and assignments, deal rooms, subsidy
applications and programmes. Rows are frozen here; opentto.core.permissions.DEFAULT_GRANTS
re-installs missing ones after every ``migrate``/``flush``. An existing row (even disabled) is kept."""

from django.db import migrations

GRANTS = [
    ('reviewer', 'results.result', 'assigned_reviewer_declared', ('view_details',)),
    ('admin', 'evaluation.reviewround', 'all', ('view',)),
    ('manager', 'evaluation.reviewround', 'all', ('view',)),
    ('inventor', 'evaluation.reviewround', 'finalised_own_organisation', ('view',)),
    ('reviewer', 'evaluation.reviewassignment', 'own_assignment', ('view',)),
    ('admin', 'planning.dealroom', 'all', ('view',)),
    ('manager', 'planning.dealroom', 'all', ('view',)),
    ('investor', 'planning.dealroom', 'invited_open', ('view',)),
    ('admin', 'subsidies.application', 'all', ('view',)),
    ('manager', 'subsidies.application', 'all', ('view',)),
    ('official', 'subsidies.application', 'all', ('view',)),
    ('reviewer', 'subsidies.application', 'assigned_or_reviewed', ('view',)),
    ('enterprise', 'subsidies.application', 'own_organisation', ('view',)),
    ('inventor', 'subsidies.application', 'own_organisation', ('view',)),
    ('admin', 'subsidies.programme', 'all', ('view',)),
    ('manager', 'subsidies.programme', 'all', ('view',)),
    ('official', 'subsidies.programme', 'all', ('view',)),
    ('anonymous', 'subsidies.programme', 'active', ('view',)),
    ('inventor', 'subsidies.programme', 'active', ('view',)),
    ('enterprise', 'subsidies.programme', 'active', ('view',)),
    ('reviewer', 'subsidies.programme', 'active', ('view',)),
    ('investor', 'subsidies.programme', 'active', ('view',)),
]


def install(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for role, object_type, constraint, actions in GRANTS:
        Grant.objects.using(db).get_or_create(
            role=role, object_type=object_type, constraint=constraint,
            defaults={"actions": sorted(actions), "is_default": True},
        )


def remove(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for role, object_type, constraint, _actions in GRANTS:
        Grant.objects.using(db).filter(role=role, object_type=object_type, constraint=constraint, is_default=True).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_default_grants_and_chain")]
    operations = [migrations.RunPython(install, remove)]
