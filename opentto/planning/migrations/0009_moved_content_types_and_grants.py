"""The moved models' names follow them (issue 19): ``planning.filing`` is now ``patents.filing``,
``planning.pledgeloan`` is ``financing.pledgeloan``, and so on.

* Content types: the ``django_content_type`` rows of the moved models get their new app label, so
  whatever points at them (admin log entries, auth permissions, any generic relation) keeps
  pointing at the same rows. A row already made under the new label (a database where the new
  apps' content types were created before this step) is left as it is and the old row too.
* Grants: ``core.Grant.object_type`` names a model's type (``app_label.modelname``); the rows of
  the moved types are renamed, keeping what an admin changed (actions, a switched-off grant). If a
  row under the new name exists already (made by ``install_default_grants`` before this step ran),
  the renamed old row wins and the new one is removed.

Audit events keep the type they were written with (their hash chain covers it): events before
the move say ``planning.filing``, later ones ``patents.filing`` (docs/adr/0015-two-patent-records.md).
"""

from django.db import migrations

MOVED = {
    "patents": (
        "patentfamily", "filing", "confidentialityexamination", "filingdeadline", "deadlinereminder", "abandonmentdecision",
        "calendarfeed", "feeschedule", "feescheduleitem", "filingfeereduction", "filingapplicant",
    ),
    "financing": ("valuation", "pledgeloan", "pledgedasset", "securitisationpool", "poolasset", "poolcashflow"),
}


def _rename(apps, schema_editor, *, forwards):
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Grant = apps.get_model("core", "Grant")
    for app_label, models in MOVED.items():
        old_label, new_label = ("planning", app_label) if forwards else (app_label, "planning")
        for model in models:
            if not ContentType.objects.using(db).filter(app_label=new_label, model=model).exists():
                ContentType.objects.using(db).filter(app_label=old_label, model=model).update(app_label=new_label)
            old_type, new_type = f"{old_label}.{model}", f"{new_label}.{model}"
            for grant in Grant.objects.using(db).filter(object_type=old_type):
                Grant.objects.using(db).filter(role=grant.role, object_type=new_type, constraint=grant.constraint).delete()
                grant.object_type = new_type
                grant.save(update_fields=["object_type"])


def forwards(apps, schema_editor):
    _rename(apps, schema_editor, forwards=True)


def backwards(apps, schema_editor):
    _rename(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0008_move_out_ip_and_financing"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0005_idempotency_key"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
