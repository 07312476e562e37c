"""``Deal.source_match`` becomes a foreign key to ``demands.Match``. The text column it was (a
reference such as ``"match:12"``, ``"#12"`` or ``"12"``) is renamed ``source_match_note``; a
reference whose number names an existing match moves to the key (and leaves the note), every other
one stays in the note as written, so nothing is lost. Reversed, the key goes back to the text as
``"match:<id>"`` where the note is empty."""

import re

import django.db.models.deletion
from django.db import migrations, models

NUMBER = re.compile(r"(\d+)\s*$")


def link_matches(apps, schema_editor):
    Deal = apps.get_model("landing", "Deal")
    Match = apps.get_model("demands", "Match")
    db = schema_editor.connection.alias
    for deal in Deal.objects.using(db).exclude(source_match_note="").only("pk", "source_match_note"):
        found = NUMBER.search(deal.source_match_note.strip())
        if found and Match.objects.using(db).filter(pk=int(found.group(1))).exists():
            Deal.objects.using(db).filter(pk=deal.pk).update(source_match_id=int(found.group(1)), source_match_note="")


def unlink_matches(apps, schema_editor):
    Deal = apps.get_model("landing", "Deal")
    db = schema_editor.connection.alias
    for deal in Deal.objects.using(db).filter(source_match__isnull=False, source_match_note="").only("pk", "source_match_id"):
        Deal.objects.using(db).filter(pk=deal.pk).update(source_match_note=f"match:{deal.source_match_id}")


class Migration(migrations.Migration):

    dependencies = [
        ("demands", "0002_view_scores_in_default_grants"),
        ("landing", "0008_english_only_choice_labels"),
    ]

    operations = [
        migrations.RenameField(model_name="deal", old_name="source_match", new_name="source_match_note"),
        migrations.AlterField(
            model_name="deal", name="source_match_note",
            field=models.CharField(blank=True, max_length=80, verbose_name="from match (as written)"),
        ),
        migrations.AddField(
            model_name="deal", name="source_match",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="sourced_deals",
                to="demands.match", verbose_name="from match",
            ),
        ),
        migrations.RunPython(link_matches, unlink_matches),
    ]
