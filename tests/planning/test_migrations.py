"""The 0003 data step: stored Chinese deadlines cite the 2023 rule numbers, plans get changed_by."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps

from opentto.patents import deadlines as engine
from opentto.patents.models import FilingDeadline
from opentto.patents.services import FilingInput, filing_create
from opentto.planning.models import TransferPlan
from opentto.planning.services import plan_create
from tests.planning.test_ip_layout import family

step = importlib.import_module("opentto.planning.migrations.0003_plan_changed_by")


class _AppsBeforeTheSplit:
    """The app registry as migration 0003 saw it: the deadlines were ``planning`` models then
    (they are ``patents`` models since planning/0008; the table is the same)."""

    def get_model(self, app_label: str, model_name: str) -> Any:
        if (app_label, model_name) == ("planning", "FilingDeadline"):
            app_label = "patents"
        return apps.get_model(app_label, model_name)


@pytest.mark.django_db
def test_old_sources_are_rewritten_and_plans_get_their_changer(onboarded, in_planning, manager):
    fam = family(onboarded, manager, ("CN",))
    cn = filing_create(
        family=fam,
        data=FilingInput(
            office="CN",
            route="first",
            filing_date=dt.date(2024, 1, 31),
            grant_date=dt.date(2026, 6, 15),
        ),
        actor=manager,
    )
    old = dict(step.REPLACEMENTS)
    reverse = {new: old_text for old_text, new in step.REPLACEMENTS}
    later = cn.deadlines.filter(key="annuity", year=4).get()
    FilingDeadline.objects.filter(pk=later.pk).update(source=reverse[engine.SOURCE_CN_ANNUITY])
    assert "rule 98 in the 2010 text" in FilingDeadline.objects.get(pk=later.pk).source
    plan = plan_create(result=in_planning, transfer_mode="licence", summary_en="x", actor=manager)
    TransferPlan.objects.filter(pk=plan.pk).update(changed_by=None)
    step.forwards(_AppsBeforeTheSplit(), None)
    assert FilingDeadline.objects.get(pk=later.pk).source == engine.SOURCE_CN_ANNUITY
    assert TransferPlan.objects.get(pk=plan.pk).changed_by == manager
    assert len(old) == 6


grant_step = importlib.import_module("opentto.planning.migrations.0004_planning_grant_actions")


@pytest.mark.django_db
def test_existing_default_grants_get_the_planning_actions():
    from types import SimpleNamespace

    from django.db import connection

    from opentto.core.models import Grant

    room = Grant.objects.get(role="manager", object_type="planning.dealroom", constraint="all")
    result = Grant.objects.get(role="admin", object_type="results.result", constraint="all")
    # As a database migrated before planning had these actions (the admin had switched the room grant off).
    Grant.objects.filter(pk=room.pk).update(actions=["view"], enabled=False)
    Grant.objects.filter(pk=result.pk).update(
        actions=[a for a in result.actions if a not in {"plan", "view_planning"}]
    )
    grant_step.add_actions(apps, SimpleNamespace(connection=connection))
    room.refresh_from_db()
    result.refresh_from_db()
    assert room.actions == ["change", "view"] and not room.enabled
    assert {"plan", "view_planning", "view", "view_details"} <= set(result.actions)
    grant_step.add_actions(apps, SimpleNamespace(connection=connection))  # idempotent
    assert Grant.objects.get(pk=room.pk).actions == ["change", "view"]
