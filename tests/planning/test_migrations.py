"""The 0003 data step: stored Chinese deadlines cite the 2023 rule numbers, plans get changed_by."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps

from opentto.planning import deadlines as engine
from opentto.planning.models import FilingDeadline, TransferPlan
from opentto.planning.services import FilingInput, filing_create, plan_create
from tests.planning.test_ip_layout import family

step = importlib.import_module("opentto.planning.migrations.0003_plan_changed_by")


@pytest.mark.django_db
def test_old_sources_are_rewritten_and_plans_get_their_changer(onboarded, in_planning, manager):
    fam = family(onboarded, manager, ("CN",))
    cn = filing_create(family=fam, data=FilingInput(office="CN", route="first", filing_date=dt.date(2024, 1, 31), grant_date=dt.date(2026, 6, 15)), actor=manager)
    old = dict(step.REPLACEMENTS)
    reverse = {new: old_text for old_text, new in step.REPLACEMENTS}
    later = cn.deadlines.filter(key="annuity", year=4).get()
    FilingDeadline.objects.filter(pk=later.pk).update(source=reverse[engine.SOURCE_CN_ANNUITY])
    assert "rule 98 in the 2010 text" in FilingDeadline.objects.get(pk=later.pk).source
    plan = plan_create(result=in_planning, transfer_mode="licence", summary_en="x", actor=manager)
    TransferPlan.objects.filter(pk=plan.pk).update(changed_by=None)
    step.forwards(apps, None)
    assert FilingDeadline.objects.get(pk=later.pk).source == engine.SOURCE_CN_ANNUITY
    assert TransferPlan.objects.get(pk=plan.pk).changed_by == manager
    assert len(old) == 6
