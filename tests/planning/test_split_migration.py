"""The planning split (issue 19) keeps every row: ``patents/0001`` and ``financing/0001`` take the
moved models over in the migration state only (their tables keep the ``planning_`` names), and
``planning/0009`` gives their content types and grants the new app label, keeping what an admin
changed. Migrated back, the names return."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from opentto.core.models import Grant
from opentto.financing.models import PoolCashFlow, SecuritisationPool
from opentto.patents.models import FeeSchedule, FeeScheduleItem, Filing
from opentto.planning.models import OverseasChannel

BEFORE = [("planning", "0007_english_only_choice_labels"), ("portfolio", "0001_initial")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_moved_models_keep_their_rows_content_types_and_grants():
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    assert old.get_model("planning", "Filing")._meta.db_table == "planning_filing"
    OldCT = old.get_model("contenttypes", "ContentType")
    OldGrant = old.get_model("core", "Grant")
    # Migrated back, the types have their old names again.
    assert not OldGrant.objects.filter(object_type__startswith="patents.").exists()
    assert not OldGrant.objects.filter(object_type__startswith="financing.").exists()
    assert OldCT.objects.filter(app_label="planning", model="pledgeloan").exists()
    old_ids = {
        m: OldCT.objects.get(app_label="planning", model=m).pk
        for m in ("filing", "pledgeloan", "feeschedule", "transferplan")
    }
    # An admin switched the managers' pledge-loan grant off and gave them one action less.
    OldGrant.objects.filter(
        role="manager", object_type="planning.pledgeloan", constraint="all"
    ).update(enabled=False, actions=["view"])

    counts_before = {
        model: old.get_model("planning", model).objects.count()
        for model in ("FeeSchedule", "FeeScheduleItem", "Filing")
    }
    schedule = old.get_model("planning", "FeeSchedule").objects.create(
        office="US", source="USPTO fee schedule", effective_from="2025-01-19"
    )
    old.get_model("planning", "FeeScheduleItem").objects.create(
        schedule=schedule, patent_kind="invention", fee_kind="application", amount_cny="2300.00"
    )
    pool = old.get_model("planning", "SecuritisationPool").objects.create(name_en="Pool one")

    _migrate(executor.loader.graph.leaf_nodes())

    # The rows are where they were, read through the new apps' models.
    assert FeeSchedule.objects.count() == counts_before["FeeSchedule"] + 1
    assert FeeScheduleItem.objects.count() == counts_before["FeeScheduleItem"] + 1
    assert Filing.objects.count() == counts_before["Filing"]
    assert FeeSchedule.objects.get(pk=schedule.pk).items.get().amount_cny == 2300
    assert SecuritisationPool.objects.get(pk=pool.pk).name_en == "Pool one"
    assert PoolCashFlow._meta.db_table == "planning_poolcashflow"
    assert OverseasChannel._meta.get_field("filings").remote_field.model is Filing
    # The same content-type rows, with the new app label; planning keeps its own.
    assert ContentType.objects.get_for_model(Filing).pk == old_ids["filing"]
    assert (
        ContentType.objects.get(app_label="financing", model="pledgeloan").pk
        == old_ids["pledgeloan"]
    )
    assert (
        ContentType.objects.get(app_label="patents", model="feeschedule").pk
        == old_ids["feeschedule"]
    )
    assert (
        ContentType.objects.get(app_label="planning", model="transferplan").pk
        == old_ids["transferplan"]
    )
    assert not ContentType.objects.filter(
        app_label="planning", model__in=["filing", "pledgeloan", "feeschedule"]
    ).exists()
    # The grants have the new names, and the admin's change is kept.
    assert not Grant.objects.filter(
        object_type__in=["planning.filing", "planning.pledgeloan", "planning.feeschedule"]
    ).exists()
    switched_off = Grant.objects.get(
        role="manager", object_type="financing.pledgeloan", constraint="all"
    )
    assert not switched_off.enabled and switched_off.actions == ["view"]
    assert Grant.objects.filter(
        role="inventor", object_type="patents.filing", constraint="with_family", enabled=True
    ).exists()
    assert Grant.objects.filter(role="admin", object_type="planning.transferplan").exists()
