"""Installs the three built-in rubrics (version 1) so they exist as soon as ``opentto migrate`` ran."""

from django.db import migrations


def install(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opentto.evaluation.installer import install_builtin_rubrics

    install_builtin_rubrics(apps)


def uninstall(apps, schema_editor):  # type: ignore[no-untyped-def]
    Rubric = apps.get_model("evaluation", "Rubric")
    Rubric.objects.filter(is_builtin=True, version=1, rounds__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_rubrics_and_review_rounds")]
    operations = [migrations.RunPython(install, uninstall)]
