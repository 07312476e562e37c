from django.db import migrations, models


class Migration(migrations.Migration):
    """A review round may be a proof-of-concept go/no-go review (opentto/poc links it)."""

    dependencies = [
        ('evaluation', '0005_default_grant_actions'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='reviewround',
            name='evaluation_round_purpose_valid',
        ),
        migrations.AlterField(
            model_name='reviewround',
            name='purpose',
            field=models.CharField(choices=[('transfer', 'Transfer evaluation'), ('pre_filing', 'Pre-filing assessment (is it worth patenting?)'), ('pledge', 'IP pledge financing'), ('portfolio', 'Portfolio review (keep paying for the patent?)'), ('subsidy_review', 'Subsidy project review'), ('poc_gate', 'Proof-of-concept go/no-go review')], max_length=16, verbose_name='purpose'),
        ),
        migrations.AddConstraint(
            model_name='reviewround',
            constraint=models.CheckConstraint(condition=models.Q(('purpose__in', ['transfer', 'pre_filing', 'pledge', 'portfolio', 'subsidy_review', 'poc_gate'])), name='evaluation_round_purpose_valid'),
        ),
    ]
