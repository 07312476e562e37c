"""A decision's filing and abandonment are now ``patents`` models (issue 19): the same tables, so
only the migration state changes (the foreign keys and their constraints stay as they are)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patents', '0001_initial'),
        ('portfolio', '0001_initial'),
    ]

    #: The new state only: the tables and their rows stay where they are (no SQL runs).
    state_operations = [
        migrations.AlterField(
            model_name='portfoliodecision',
            name='abandonment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='patents.abandonmentdecision', verbose_name='abandonment decision'),
        ),
        migrations.AlterField(
            model_name='portfoliodecision',
            name='filing',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='portfolio_decisions', to='patents.filing', verbose_name='patent'),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
