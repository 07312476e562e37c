"""Install the default grants, chain the audit entries written before the chain existed, and on
PostgreSQL forbid UPDATE and DELETE on the audit table with a trigger."""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION opentto_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION opentto_audit_append_only();
"""
DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS opentto_audit_append_only();
"""


def install_grants(apps, schema_editor):
    from opentto.core.permissions import DEFAULT_GRANTS

    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for role, object_type, constraint, actions in DEFAULT_GRANTS:
        Grant.objects.using(db).get_or_create(
            role=role, object_type=object_type, constraint=constraint,
            defaults={"actions": sorted(actions), "is_default": True},
        )


def chain_existing(apps, schema_editor):
    from opentto.core.audit import GENESIS, entry_hash

    AuditEvent = apps.get_model("core", "AuditEvent")
    db = schema_editor.connection.alias
    previous = GENESIS
    for event in AuditEvent.objects.using(db).order_by("id").iterator():
        digest = entry_hash(
            prev_hash=previous, occurred_at=event.occurred_at, actor_id=event.actor_id, action=event.action,
            object_type=event.object_type, object_id=event.object_id, payload=event.payload,
            remote_addr=event.remote_addr, user_agent=event.user_agent,
        )
        AuditEvent.objects.using(db).filter(pk=event.pk).update(prev_hash=previous, hash=digest)
        previous = digest


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER_SQL)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_chain_and_grants")]

    operations = [
        migrations.RunPython(install_grants, migrations.RunPython.noop),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
