"""A filing and the result's IP asset it is linked to are two records of one patent (ADR 0016);
``filing_asset_disagreements`` says where they differ, ``filings_out_of_step`` lists the filings a
user may see that do."""

from __future__ import annotations

import datetime as dt

import pytest

from opentto.patents.selectors import filing_asset_disagreements, filings_out_of_step
from opentto.patents.services import FilingInput, family_create, filing_create
from opentto.results.models import IPAsset


@pytest.fixture
def linked(onboarded, manager):
    asset: IPAsset = onboarded.ip_assets.get()  # CN202210123456.1, no dates
    IPAsset.objects.filter(pk=asset.pk).update(filing_date=dt.date(2022, 1, 10))
    asset.refresh_from_db()
    fam = family_create(
        result=onboarded,
        kind="invention",
        title_en="Robot-arm control",
        target_offices=["CN"],
        manager=manager,
        actor=manager,
    )
    filing = filing_create(
        family=fam,
        data=FilingInput(
            office="CN",
            route="first",
            application_number="202210123456.1",
            filing_date=dt.date(2022, 1, 10),
            ip_asset=asset,
        ),
        actor=manager,
    )
    return filing, asset


@pytest.mark.django_db
def test_a_filing_in_step_with_its_asset_has_no_disagreement(linked, manager):
    filing, _asset = linked
    assert filing_asset_disagreements(filing) == []  # the office prefix is not a difference
    assert filings_out_of_step(manager) == []


@pytest.mark.django_db
def test_each_difference_is_named_and_the_filing_listed_for_who_may_see_it(
    linked, manager, enterprise_user
):
    filing, asset = linked
    IPAsset.objects.filter(pk=asset.pk).update(
        jurisdiction="US",
        application_number="US17703679",
        filing_date=dt.date(2022, 1, 11),
        grant_date=dt.date(2024, 5, 21),
    )
    filing.refresh_from_db()
    filing.grant_date = dt.date(2024, 5, 20)
    assert filing_asset_disagreements(filing) == [
        "office",
        "application_number",
        "filing_date",
        "grant_date",
    ]
    filing.refresh_from_db()
    assert [(f.pk, found) for f, found in filings_out_of_step(manager)] == [
        (filing.pk, ["office", "application_number", "filing_date"])
    ]
    assert filings_out_of_step(enterprise_user) == []  # a filing they may not see is not listed


@pytest.mark.django_db
def test_a_filing_without_an_asset_or_with_blanks_has_nothing_to_disagree_on(linked):
    filing, asset = linked
    IPAsset.objects.filter(pk=asset.pk).update(filing_date=None)
    filing.refresh_from_db()
    assert filing_asset_disagreements(filing) == []
    filing.ip_asset = None
    assert filing_asset_disagreements(filing) == []
