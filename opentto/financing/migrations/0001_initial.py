"""Valuations, pledge loans and securitisation pools moved here from ``opentto.planning`` (issue
19): created in the migration state only, each on its old table (``db_table = "planning_..."``),
so every row is kept and no table is copied. ``planning/0008`` removes them from planning's state;
``planning/0009`` repoints their content types and renames their grants."""

import django.db.models.deletion
import django.utils.timezone
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
            name='SecuritisationPool',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name_zh', models.CharField(blank=True, max_length=200, verbose_name='name (Chinese)')),
                ('name_en', models.CharField(blank=True, max_length=200, verbose_name='name (English)')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('arranger', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisations.organisation', verbose_name='arranger')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'planning_securitisationpool',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='PoolAsset',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('licensee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisations.organisation', verbose_name='licensee')),
                ('result', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pool_memberships', to='results.result')),
                ('pool', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assets', to='financing.securitisationpool')),
            ],
            options={
                'db_table': 'planning_poolasset',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='Valuation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(blank=True, max_length=200, verbose_name='purpose')),
                ('valuation_date', models.DateField(verbose_name='valuation date')),
                ('revenues', models.JSONField(default=list, verbose_name='revenue forecast (CNY per year)')),
                ('royalty_rate', models.DecimalField(decimal_places=6, max_digits=7, verbose_name='royalty rate')),
                ('tax_rate', models.DecimalField(decimal_places=6, max_digits=7, verbose_name='tax rate')),
                ('discount_rate', models.DecimalField(decimal_places=6, max_digits=7, verbose_name='discount rate')),
                ('decay', models.DecimalField(decimal_places=6, default=0, max_digits=7, verbose_name='yearly royalty decay')),
                ('remaining_term_years', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='remaining patent term (whole years)')),
                ('rfr_value_cny', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='relief-from-royalty value (CNY)')),
                ('reproduction_costs', models.JSONField(blank=True, default=list, verbose_name='reproduction costs')),
                ('obsolescence_rates', models.JSONField(blank=True, default=list, verbose_name='obsolescence rates')),
                ('cost_value_cny', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True, verbose_name='cost-approach value (CNY)')),
                ('comparable_deal_ids', models.JSONField(blank=True, default=list, verbose_name='comparable deals')),
                ('comparable_values', models.JSONField(blank=True, default=list)),
                ('market_scale', models.DecimalField(decimal_places=4, default=1, max_digits=8, verbose_name='market scale factor')),
                ('market_value_cny', models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True, verbose_name='market-approach value (CNY)')),
                ('concluded_method', models.CharField(choices=[('relief_from_royalty', 'Income approach: relief from royalty'), ('cost', 'Cost approach'), ('market', 'Market approach')], max_length=24, verbose_name='method concluded on')),
                ('concluded_value_cny', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='concluded value (CNY)')),
                ('assumptions_zh', models.TextField(blank=True, verbose_name='assumptions (Chinese)')),
                ('assumptions_en', models.TextField(blank=True, verbose_name='assumptions (English)')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('result', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='valuations', to='results.result')),
            ],
            options={
                'verbose_name': 'valuation',
                'verbose_name_plural': 'valuations',
                'db_table': 'planning_valuation',
                'ordering': ['-valuation_date', '-id'],
            },
        ),
        migrations.CreateModel(
            name='PledgeLoan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount_cny', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='loan amount (CNY)')),
                ('max_ltv', models.DecimalField(decimal_places=4, default=0.5, help_text="The lender's ceiling, as a fraction of the valuation (e.g. 0.5).", max_digits=5, verbose_name='maximum loan-to-value')),
                ('term_months', models.PositiveSmallIntegerField(verbose_name='term (months)')),
                ('annual_rate', models.DecimalField(decimal_places=5, max_digits=6, verbose_name='annual interest rate')),
                ('registration_number', models.CharField(blank=True, max_length=60, verbose_name='pledge registration number')),
                ('registration_date', models.DateField(blank=True, null=True, verbose_name='pledge registration date')),
                ('status', models.CharField(choices=[('applied', 'Applied'), ('registered', 'Pledge registered, loan drawn'), ('released', 'Repaid, pledge released'), ('cancelled', 'Cancelled')], default='applied', max_length=12, verbose_name='status')),
                ('released_on', models.DateField(blank=True, null=True, verbose_name='released on')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('lender', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisations.organisation', verbose_name='lender')),
                ('result', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pledge_loans', to='results.result')),
                ('valuation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pledge_loans', to='financing.valuation', verbose_name='valuation used')),
            ],
            options={
                'verbose_name': 'IP pledge loan',
                'verbose_name_plural': 'IP pledge loans',
                'db_table': 'planning_pledgeloan',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='PledgedAsset',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('is_standing', models.BooleanField(default=True)),
                ('ip_asset', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pledges', to='results.ipasset')),
                ('loan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pledged_assets', to='financing.pledgeloan')),
            ],
            options={
                'db_table': 'planning_pledgedasset',
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_standing', True)), fields=('ip_asset',), name='planning_ip_asset_pledged_once'), models.UniqueConstraint(fields=('loan', 'ip_asset'), name='planning_pledged_asset_unique')],
            },
        ),
        migrations.CreateModel(
            name='PoolCashFlow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.CharField(help_text='YYYY-Qn or YYYY', max_length=7, verbose_name='period')),
                ('amount_cny', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='expected royalty (CNY)')),
                ('asset', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cash_flows', to='financing.poolasset')),
            ],
            options={
                'db_table': 'planning_poolcashflow',
                'ordering': ['period', 'id'],
                'constraints': [models.UniqueConstraint(fields=('asset', 'period'), name='planning_cash_flow_unique'), models.CheckConstraint(condition=models.Q(('amount_cny__gte', 0)), name='planning_cash_flow_positive')],
            },
        ),
        migrations.AddConstraint(
            model_name='securitisationpool',
            constraint=models.CheckConstraint(condition=models.Q(('name_en', ''), ('name_zh', ''), _negated=True), name='planning_pool_name_present'),
        ),
        migrations.AddConstraint(
            model_name='poolasset',
            constraint=models.UniqueConstraint(fields=('pool', 'result', 'licensee'), name='planning_pool_asset_unique'),
        ),
        migrations.AddConstraint(
            model_name='valuation',
            constraint=models.CheckConstraint(condition=models.Q(('royalty_rate__gte', 0), ('royalty_rate__lt', 1)), name='planning_valuation_royalty_fraction'),
        ),
        migrations.AddConstraint(
            model_name='valuation',
            constraint=models.CheckConstraint(condition=models.Q(('tax_rate__gte', 0), ('tax_rate__lt', 1)), name='planning_valuation_tax_fraction'),
        ),
        migrations.AddConstraint(
            model_name='valuation',
            constraint=models.CheckConstraint(condition=models.Q(('discount_rate__gt', -1), ('discount_rate__lt', 1)), name='planning_valuation_discount_range'),
        ),
        migrations.AddConstraint(
            model_name='valuation',
            constraint=models.CheckConstraint(condition=models.Q(('concluded_value_cny__gte', 0)), name='planning_valuation_value_positive'),
        ),
        migrations.AddConstraint(
            model_name='valuation',
            constraint=models.CheckConstraint(condition=models.Q(('concluded_method__in', ['relief_from_royalty', 'cost', 'market'])), name='planning_valuation_method_valid'),
        ),
        migrations.AddConstraint(
            model_name='pledgeloan',
            constraint=models.CheckConstraint(condition=models.Q(('amount_cny__gt', 0)), name='planning_pledge_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='pledgeloan',
            constraint=models.CheckConstraint(condition=models.Q(('max_ltv__gt', 0), ('max_ltv__lte', 1)), name='planning_pledge_ltv_range'),
        ),
        migrations.AddConstraint(
            model_name='pledgeloan',
            constraint=models.CheckConstraint(condition=models.Q(('annual_rate__gte', 0), ('annual_rate__lt', 1)), name='planning_pledge_rate_range'),
        ),
        migrations.AddConstraint(
            model_name='pledgeloan',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['applied', 'registered', 'released', 'cancelled'])), name='planning_pledge_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='pledgeloan',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['registered', 'released']), _negated=True), models.Q(('registration_date__isnull', False), models.Q(('registration_number', ''), _negated=True)), _connector='OR'), name='planning_pledge_registered_has_number'),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
