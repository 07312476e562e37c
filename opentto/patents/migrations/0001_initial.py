"""The IP layout's models moved here from ``opentto.planning`` (issue 19): created in the migration
state only, each on its old table (``db_table = "planning_..."``), so every row is kept and no
table is copied. ``planning/0008`` removes them from planning's state; ``planning/0009`` repoints
their content types and renames their grants."""

import django.db.models.deletion
import django.utils.timezone
import opentto.patents.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('planning', '0007_english_only_choice_labels'),
        ('organisations', '0005_directory_grant_actions'),
        ('results', '0003_pipeline_actions_in_default_grants'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    #: The new state only: the tables and their rows stay where they are (no SQL runs).
    state_operations = [
        migrations.CreateModel(
            name='CalendarFeed',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(default=opentto.patents.models._calendar_token, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='planning_calendar', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'planning_calendarfeed',
            },
        ),
        migrations.CreateModel(
            name='FeeSchedule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('office', models.CharField(default='CN', max_length=4, verbose_name='office')),
                ('source', models.TextField(help_text='Where the figures come from: the notice or page, and how sure we are.', verbose_name='source')),
                ('effective_from', models.DateField(verbose_name='in effect from')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'fee schedule',
                'verbose_name_plural': 'fee schedules',
                'db_table': 'planning_feeschedule',
                'ordering': ['office', '-effective_from', '-id'],
                'constraints': [models.UniqueConstraint(fields=('office', 'effective_from'), name='planning_fee_schedule_unique'), models.CheckConstraint(condition=models.Q(('source', ''), _negated=True), name='planning_fee_schedule_source_present')],
            },
        ),
        migrations.CreateModel(
            name='Filing',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('office', models.CharField(choices=[('CN', 'CN'), ('WO', 'WO'), ('EP', 'EP'), ('US', 'US'), ('JP', 'JP'), ('KR', 'KR')], max_length=4, verbose_name='office')),
                ('route', models.CharField(choices=[('first', 'First filing'), ('paris', 'Paris Convention filing claiming priority'), ('pct', 'PCT international application'), ('national_phase', 'PCT national/regional phase')], max_length=16, verbose_name='route')),
                ('receiving_office', models.CharField(blank=True, max_length=4, verbose_name='receiving office (PCT)')),
                ('application_number', models.CharField(blank=True, max_length=40, verbose_name='application number')),
                ('filing_date', models.DateField(blank=True, null=True, verbose_name='filing date')),
                ('priority_date', models.DateField(blank=True, null=True, verbose_name='priority date')),
                ('planned_by', models.DateField(blank=True, null=True, verbose_name='file by')),
                ('grant_date', models.DateField(blank=True, null=True, verbose_name='grant date')),
                ('compensation_days', models.PositiveIntegerField(default=0, verbose_name='patent-term compensation (days)')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('filed', 'Filed'), ('granted', 'Granted'), ('abandoned', 'Abandoned'), ('lapsed', 'Lapsed')], default='planned', max_length=12, verbose_name='status')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('ip_asset', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='filings', to='results.ipasset', verbose_name='IP asset')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='national_phases', to='patents.filing', verbose_name='PCT application')),
            ],
            options={
                'verbose_name': 'filing',
                'verbose_name_plural': 'filings',
                'db_table': 'planning_filing',
                'ordering': ['filing_date', 'planned_by', 'id'],
            },
        ),
        migrations.CreateModel(
            name='FilingDeadline',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=32, verbose_name='deadline')),
                ('office', models.CharField(max_length=4, verbose_name='office')),
                ('year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='year')),
                ('due', models.DateField(db_index=True, verbose_name='due')),
                ('late_until', models.DateField(blank=True, null=True, verbose_name='late until')),
                ('source', models.TextField(verbose_name='legal source')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done'), ('waived', 'Waived (abandoned)')], default='open', max_length=8, verbose_name='status')),
                ('done_on', models.DateField(blank=True, null=True, verbose_name='done on')),
                ('filing', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deadlines', to='patents.filing')),
            ],
            options={
                'db_table': 'planning_filingdeadline',
                'ordering': ['due', 'id'],
            },
        ),
        migrations.CreateModel(
            name='DeadlineReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('step', models.CharField(choices=[('60', '60 days before'), ('30', '30 days before'), ('7', '7 days before'), ('overdue', 'Overdue')], max_length=8)),
                ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('recipient', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('deadline', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='patents.filingdeadline')),
            ],
            options={
                'db_table': 'planning_deadlinereminder',
            },
        ),
        migrations.CreateModel(
            name='FilingFeeReduction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reduction', models.CharField(choices=[('85', '85% (a single qualifying applicant)'), ('70', '70% (two or more applicants, every one qualifying)'), ('none', 'No reduction')], default='none', max_length=4, verbose_name='fee reduction')),
                ('open_licence_from', models.DateField(blank=True, null=True, verbose_name='open licence from')),
                ('open_licence_until', models.DateField(blank=True, null=True, verbose_name='open licence until')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('filing', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='fee_reduction', to='patents.filing')),
                ('recorded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'fee reduction',
                'verbose_name_plural': 'fee reductions',
                'db_table': 'planning_filingfeereduction',
            },
        ),
        migrations.CreateModel(
            name='FilingApplicant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ground', models.CharField(choices=[('individual', 'Individual with less than 60,000 yuan of income in the previous year'), ('enterprise', 'Enterprise with less than 1,000,000 yuan of taxable income in the previous year'), ('public_institution', 'Public institution'), ('social_organisation', 'Social organisation'), ('non_profit_research', 'Non-profit research body'), ('not_qualifying', 'Does not qualify')], max_length=24, verbose_name='ground')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisations.organisation', verbose_name='applicant')),
                ('reduction', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='applicants', to='patents.filingfeereduction')),
            ],
            options={
                'db_table': 'planning_filingapplicant',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='PatentFamily',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title_zh', models.CharField(blank=True, max_length=300, verbose_name='title (Chinese)')),
                ('title_en', models.CharField(blank=True, max_length=300, verbose_name='title (English)')),
                ('kind', models.CharField(choices=[('invention', 'Invention'), ('utility', 'Utility model'), ('design', 'Design')], max_length=12, verbose_name='kind')),
                ('made_in_china', models.BooleanField(default=True, help_text='Inventions and utility models made in China need a confidentiality examination before any foreign or PCT filing (Patent Law art. 19).', verbose_name='made in China')),
                ('target_offices', models.JSONField(blank=True, default=list, verbose_name='target offices')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('manager', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='patent_families', to=settings.AUTH_USER_MODEL, verbose_name='responsible manager')),
                ('result', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='patent_families', to='results.result')),
            ],
            options={
                'verbose_name': 'patent family',
                'verbose_name_plural': 'patent families',
                'db_table': 'planning_patentfamily',
                'ordering': ['id'],
            },
        ),
        migrations.AddField(
            model_name='filing',
            name='family',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='filings', to='patents.patentfamily'),
        ),
        migrations.CreateModel(
            name='ConfidentialityExamination',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_on', models.DateField(verbose_name='requested on')),
                ('via_pct_at_cnipa', models.BooleanField(default=False, verbose_name='requested by filing the PCT application at CNIPA')),
                ('reference', models.CharField(blank=True, max_length=100, verbose_name='reference')),
                ('outcome', models.CharField(choices=[('requested', 'Requested, pending'), ('cleared', 'Cleared: may be filed abroad'), ('refused', 'Found to need secrecy: no foreign filing')], max_length=12, verbose_name='outcome')),
                ('decided_on', models.DateField(blank=True, null=True, verbose_name='decided on')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('recorded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('family', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='confidentiality_examinations', to='patents.patentfamily')),
            ],
            options={
                'db_table': 'planning_confidentialityexamination',
                'ordering': ['-requested_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='FeeScheduleItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('patent_kind', models.CharField(choices=[('invention', 'Invention'), ('utility', 'Utility model'), ('design', 'Design')], max_length=12, verbose_name='kind of patent')),
                ('fee_kind', models.CharField(choices=[('application', 'Application fee'), ('substantive_examination', 'Substantive-examination fee'), ('re_examination', 'Re-examination fee'), ('annuity', 'Annual fee')], max_length=24, verbose_name='fee')),
                ('year_from', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='from year')),
                ('year_to', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='to year')),
                ('amount_cny', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='amount (CNY)')),
                ('is_confirmed', models.BooleanField(default=True, help_text='Untick when the figure is not confirmed against the official schedule.', verbose_name='confirmed')),
                ('schedule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='patents.feeschedule')),
            ],
            options={
                'verbose_name': 'fee',
                'verbose_name_plural': 'fees',
                'db_table': 'planning_feescheduleitem',
                'ordering': ['schedule', 'patent_kind', 'fee_kind', 'year_from', 'id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('patent_kind__in', ['invention', 'utility', 'design'])), name='planning_fee_item_kind_valid'), models.CheckConstraint(condition=models.Q(('fee_kind__in', ['application', 'substantive_examination', 're_examination', 'annuity'])), name='planning_fee_item_fee_valid'), models.CheckConstraint(condition=models.Q(('amount_cny__gte', 0)), name='planning_fee_item_amount_positive'), models.CheckConstraint(condition=models.Q(models.Q(models.Q(('fee_kind', 'annuity'), _negated=True), ('year_from__isnull', True), ('year_to__isnull', True)), models.Q(('fee_kind', 'annuity'), ('year_from__gte', 1), ('year_to__gte', models.F('year_from'))), _connector='OR'), name='planning_fee_item_years')],
            },
        ),
        migrations.CreateModel(
            name='AbandonmentDecision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('decided_on', models.DateField(verbose_name='decided on')),
                ('reason', models.TextField(verbose_name='reason')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('approved_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approved by')),
                ('decided_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('filing', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='abandonment', to='patents.filing')),
            ],
            options={
                'db_table': 'planning_abandonmentdecision',
                'constraints': [models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='planning_abandonment_reason_present')],
            },
        ),
        migrations.AddConstraint(
            model_name='filingdeadline',
            constraint=models.UniqueConstraint(fields=('filing', 'key', 'office', 'year'), name='planning_deadline_unique'),
        ),
        migrations.AddConstraint(
            model_name='filingdeadline',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'done', 'waived'])), name='planning_deadline_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='filingdeadline',
            constraint=models.CheckConstraint(condition=models.Q(('late_until__isnull', True), ('late_until__gte', models.F('due')), _connector='OR'), name='planning_deadline_late_after_due'),
        ),
        migrations.AddConstraint(
            model_name='deadlinereminder',
            constraint=models.UniqueConstraint(fields=('deadline', 'step'), name='planning_reminder_once_per_step'),
        ),
        migrations.AddConstraint(
            model_name='filingfeereduction',
            constraint=models.CheckConstraint(condition=models.Q(('reduction__in', ['85', '70', 'none'])), name='planning_fee_reduction_valid'),
        ),
        migrations.AddConstraint(
            model_name='filingfeereduction',
            constraint=models.CheckConstraint(condition=models.Q(('open_licence_until__isnull', True), models.Q(('open_licence_from__isnull', False), ('open_licence_until__gte', models.F('open_licence_from'))), _connector='OR'), name='planning_open_licence_period'),
        ),
        migrations.AddConstraint(
            model_name='filingapplicant',
            constraint=models.UniqueConstraint(fields=('reduction', 'organisation'), name='planning_filing_applicant_unique'),
        ),
        migrations.AddConstraint(
            model_name='filingapplicant',
            constraint=models.CheckConstraint(condition=models.Q(('ground__in', ['individual', 'enterprise', 'public_institution', 'social_organisation', 'non_profit_research', 'not_qualifying'])), name='planning_applicant_ground_valid'),
        ),
        migrations.AddConstraint(
            model_name='patentfamily',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['invention', 'utility', 'design'])), name='planning_family_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='patentfamily',
            constraint=models.CheckConstraint(condition=models.Q(('title_en', ''), ('title_zh', ''), _negated=True), name='planning_family_title_present'),
        ),
        migrations.AddConstraint(
            model_name='filing',
            constraint=models.CheckConstraint(condition=models.Q(('office__in', ('CN', 'WO', 'EP', 'US', 'JP', 'KR'))), name='planning_filing_office_valid'),
        ),
        migrations.AddConstraint(
            model_name='filing',
            constraint=models.CheckConstraint(condition=models.Q(('route__in', ['first', 'paris', 'pct', 'national_phase'])), name='planning_filing_route_valid'),
        ),
        migrations.AddConstraint(
            model_name='filing',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['planned', 'filed', 'granted', 'abandoned', 'lapsed'])), name='planning_filing_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='filing',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'planned'), ('filing_date__isnull', False), _connector='OR'), name='planning_filing_filed_has_date'),
        ),
        migrations.AddConstraint(
            model_name='filing',
            constraint=models.CheckConstraint(condition=models.Q(('grant_date__isnull', True), ('grant_date__gte', models.F('filing_date')), _connector='OR'), name='planning_filing_grant_after_filing'),
        ),
        migrations.AddConstraint(
            model_name='filing',
            constraint=models.CheckConstraint(condition=models.Q(('priority_date__isnull', True), ('filing_date__isnull', True), ('priority_date__lte', models.F('filing_date')), _connector='OR'), name='planning_filing_priority_before_filing'),
        ),
        migrations.AddConstraint(
            model_name='confidentialityexamination',
            constraint=models.CheckConstraint(condition=models.Q(('outcome__in', ['requested', 'cleared', 'refused'])), name='planning_confidentiality_outcome_valid'),
        ),
        migrations.AddConstraint(
            model_name='confidentialityexamination',
            constraint=models.CheckConstraint(condition=models.Q(('outcome', 'requested'), ('decided_on__isnull', False), _connector='OR'), name='planning_confidentiality_decided_has_date'),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
