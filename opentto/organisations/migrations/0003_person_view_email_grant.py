"""A person's e-mail address became a grant of its own (``view_email`` on organisations.person):
the TTO's existing default directory grants get the action, so a site keeps showing what it
showed (a new site gets it from the default grants installed after ``migrate``)."""

from django.db import migrations

STAFF = ("admin", "manager")


def add_view_email(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for grant in Grant.objects.using(db).filter(object_type="organisations.person", constraint="all", role__in=STAFF, is_default=True):
        if "view_email" not in (grant.actions or []):
            grant.actions = sorted({*(grant.actions or []), "view_email"})
            grant.save(update_fields=["actions"])


def remove_view_email(apps, schema_editor):
    Grant = apps.get_model("core", "Grant")
    db = schema_editor.connection.alias
    for grant in Grant.objects.using(db).filter(object_type="organisations.person"):
        if "view_email" in (grant.actions or []):
            grant.actions = [a for a in grant.actions if a != "view_email"]
            grant.save(update_fields=["actions"])


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0002_person_personal_data"),
        ("core", "0004_reviewer_official_investor_grants"),
    ]

    operations = [migrations.RunPython(add_view_email, remove_view_email)]
