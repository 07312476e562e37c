"""The IP layout moved to ``opentto.patents`` and financing to ``opentto.financing`` (issue 19):
their models leave planning's migration state only; the tables and rows stay, now owned by the
new apps' state (``patents/0001``, ``financing/0001``). The overseas channels' filings point at
``patents.Filing`` (the same table)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portfolio', '0002_filings_moved_to_patents'),
        ('financing', '0001_initial'),
        ('patents', '0001_initial'),
        ('planning', '0007_english_only_choice_labels'),
    ]

    #: The new state only: the tables and their rows stay where they are (no SQL runs).
    state_operations = [
        migrations.RemoveField(
            model_name='calendarfeed',
            name='user',
        ),
        migrations.RemoveField(
            model_name='confidentialityexamination',
            name='family',
        ),
        migrations.RemoveField(
            model_name='confidentialityexamination',
            name='recorded_by',
        ),
        migrations.RemoveField(
            model_name='deadlinereminder',
            name='deadline',
        ),
        migrations.RemoveField(
            model_name='deadlinereminder',
            name='recipient',
        ),
        migrations.RemoveField(
            model_name='feescheduleitem',
            name='schedule',
        ),
        migrations.RemoveField(
            model_name='filing',
            name='family',
        ),
        migrations.RemoveField(
            model_name='filing',
            name='ip_asset',
        ),
        migrations.RemoveField(
            model_name='filing',
            name='parent',
        ),
        migrations.RemoveField(
            model_name='filingdeadline',
            name='filing',
        ),
        migrations.RemoveField(
            model_name='filingfeereduction',
            name='filing',
        ),
        migrations.RemoveField(
            model_name='filingapplicant',
            name='organisation',
        ),
        migrations.RemoveField(
            model_name='filingapplicant',
            name='reduction',
        ),
        migrations.RemoveField(
            model_name='filingfeereduction',
            name='recorded_by',
        ),
        migrations.RemoveField(
            model_name='patentfamily',
            name='manager',
        ),
        migrations.RemoveField(
            model_name='patentfamily',
            name='result',
        ),
        migrations.RemoveField(
            model_name='pledgedasset',
            name='ip_asset',
        ),
        migrations.RemoveField(
            model_name='pledgedasset',
            name='loan',
        ),
        migrations.RemoveField(
            model_name='pledgeloan',
            name='created_by',
        ),
        migrations.RemoveField(
            model_name='pledgeloan',
            name='lender',
        ),
        migrations.RemoveField(
            model_name='pledgeloan',
            name='result',
        ),
        migrations.RemoveField(
            model_name='pledgeloan',
            name='valuation',
        ),
        migrations.RemoveField(
            model_name='poolasset',
            name='licensee',
        ),
        migrations.RemoveField(
            model_name='poolasset',
            name='pool',
        ),
        migrations.RemoveField(
            model_name='poolasset',
            name='result',
        ),
        migrations.RemoveField(
            model_name='poolcashflow',
            name='asset',
        ),
        migrations.RemoveField(
            model_name='securitisationpool',
            name='arranger',
        ),
        migrations.RemoveField(
            model_name='securitisationpool',
            name='created_by',
        ),
        migrations.RemoveField(
            model_name='valuation',
            name='created_by',
        ),
        migrations.RemoveField(
            model_name='valuation',
            name='result',
        ),
        migrations.AlterField(
            model_name='overseaschannel',
            name='filings',
            field=models.ManyToManyField(blank=True, related_name='channels', to='patents.filing', verbose_name='filings needed'),
        ),
        migrations.DeleteModel(
            name='AbandonmentDecision',
        ),
        migrations.DeleteModel(
            name='CalendarFeed',
        ),
        migrations.DeleteModel(
            name='ConfidentialityExamination',
        ),
        migrations.DeleteModel(
            name='DeadlineReminder',
        ),
        migrations.DeleteModel(
            name='FeeSchedule',
        ),
        migrations.DeleteModel(
            name='FeeScheduleItem',
        ),
        migrations.DeleteModel(
            name='FilingDeadline',
        ),
        migrations.DeleteModel(
            name='Filing',
        ),
        migrations.DeleteModel(
            name='FilingApplicant',
        ),
        migrations.DeleteModel(
            name='FilingFeeReduction',
        ),
        migrations.DeleteModel(
            name='PatentFamily',
        ),
        migrations.DeleteModel(
            name='PledgedAsset',
        ),
        migrations.DeleteModel(
            name='PledgeLoan',
        ),
        migrations.DeleteModel(
            name='PoolAsset',
        ),
        migrations.DeleteModel(
            name='PoolCashFlow',
        ),
        migrations.DeleteModel(
            name='SecuritisationPool',
        ),
        migrations.DeleteModel(
            name='Valuation',
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
