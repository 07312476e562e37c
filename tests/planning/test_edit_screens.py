"""Edit screens for filings, overseas channels and securitisation pools: services (validated,
audited, all or nothing) and pages (anonymous, unpermitted, permitted; errors in place)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from opentto.core.models import AuditEvent
from opentto.financing.models import PoolAsset, PoolCashFlow, SecuritisationPool
from opentto.financing.services import (
    pool_asset_add,
    pool_asset_remove,
    pool_asset_update,
    pool_create,
    pool_update,
)
from opentto.patents.models import ConfidentialityExamination, FilingDeadline
from opentto.patents.services import FilingInput, filing_create, filing_edit
from opentto.planning.services import channel_create, channel_update
from tests.factories import EnterpriseFactory
from tests.planning.test_ip_layout import family
from tests.planning.test_views import client_for


def deadline_rows(filing):
    return sorted(
        FilingDeadline.objects.filter(filing=filing).values_list(
            "key", "office", "year", "due", "late_until", "status"
        ),
        key=str,
    )


def filing_state(filing):
    filing.refresh_from_db()
    return (
        filing.office,
        filing.route,
        filing.application_number,
        filing.filing_date,
        filing.priority_date,
        filing.planned_by,
        filing.grant_date,
        filing.status,
        deadline_rows(filing),
    )


def inp(filing, **changes):
    data = {
        "office": filing.office,
        "route": filing.route,
        "application_number": filing.application_number,
        "filing_date": filing.filing_date,
        "priority_date": filing.priority_date,
        "planned_by": filing.planned_by,
        "grant_date": filing.grant_date,
        "receiving_office": filing.receiving_office,
        "parent": filing.parent,
        "compensation_days": filing.compensation_days,
        "ip_asset": filing.ip_asset,
    }
    data.update(changes)
    return FilingInput(**data)


@pytest.fixture
def cn_filing(onboarded, manager):
    fam = family(onboarded, manager, ("CN", "EP", "US"))
    return filing_create(
        family=fam,
        data=FilingInput(
            office="CN",
            route="first",
            application_number="CN2024100001",
            filing_date=dt.date(2024, 1, 31),
        ),
        actor=manager,
    )


# --- filings ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_editing_a_filing_corrects_it_and_derives_its_deadlines_again(cn_filing, manager):
    assert cn_filing.deadlines.get(key="paris_priority").due == dt.date(2025, 1, 31)
    edited = filing_edit(
        filing=cn_filing,
        data=inp(cn_filing, application_number=" CN2024100002 ", filing_date=dt.date(2024, 2, 29)),
        actor=manager,
    )
    assert (edited.application_number, edited.filing_date, edited.status) == (
        "CN2024100002",
        dt.date(2024, 2, 29),
        "filed",
    )
    assert edited.deadlines.get(key="paris_priority").due == dt.date(
        2025, 2, 28
    )  # leap day + 12 months
    assert edited.deadlines.get(key="cn_examination_request").due == dt.date(2027, 2, 28)
    event = AuditEvent.objects.get(action="ip.filing_edit")
    assert event.payload["changed"] == {
        "application_number": ["CN2024100001", "CN2024100002"],
        "filing_date": ["2024-01-31", "2024-02-29"],
    }


@pytest.mark.django_db
def test_a_filed_application_keeps_its_office_route_and_filing_date(cn_filing, manager):
    before = filing_state(cn_filing)
    with pytest.raises(ValidationError) as refused:
        filing_edit(
            filing=cn_filing,
            data=inp(cn_filing, office="US", route="paris", priority_date=dt.date(2024, 1, 31)),
            actor=manager,
        )
    assert refused.value.message_dict["office"] == [
        "The office and the route of a filed application do not change: abandon it and add the right one."
    ]
    with pytest.raises(ValidationError) as refused:
        filing_edit(
            filing=cn_filing,
            data=inp(cn_filing, filing_date=None, planned_by=dt.date(2027, 1, 1)),
            actor=manager,
        )
    assert refused.value.message_dict == {
        "filing_date": ["A filed application keeps its filing date."]
    }
    with pytest.raises(ValidationError) as refused:
        filing_edit(
            filing=cn_filing, data=inp(cn_filing, grant_date=dt.date(2023, 1, 1)), actor=manager
        )
    assert refused.value.message_dict == {
        "grant_date": ["The grant date cannot be before the filing date."]
    }
    assert filing_state(cn_filing) == before
    assert not AuditEvent.objects.filter(action="ip.filing_edit").exists()


@pytest.mark.django_db
def test_a_planned_filing_may_change_office_and_a_pct_at_cnipa_records_the_request(
    cn_filing, manager
):
    fam = cn_filing.family
    planned = filing_create(
        family=fam,
        data=FilingInput(
            office="US",
            route="paris",
            priority_date=dt.date(2024, 1, 31),
            planned_by=dt.date(2025, 1, 31),
        ),
        actor=manager,
    )
    assert planned.status == "planned" and not planned.deadlines.exists()
    pct = filing_edit(
        filing=planned,
        data=inp(
            planned,
            office="WO",
            route="pct",
            receiving_office="cn",
            priority_date=dt.date(2024, 1, 31),
        ),
        actor=manager,
    )
    assert (pct.office, pct.route, pct.receiving_office, pct.status) == (
        "WO",
        "pct",
        "CN",
        "planned",
    )
    assert not ConfidentialityExamination.objects.filter(family=fam).exists()
    filed = filing_edit(
        filing=pct,
        data=inp(pct, application_number="PCT/CN2025/000001", filing_date=dt.date(2025, 1, 20)),
        actor=manager,
    )
    assert filed.status == "filed"
    assert list(
        ConfidentialityExamination.objects.filter(family=fam).values_list(
            "via_pct_at_cnipa", "requested_on", "outcome"
        )
    ) == [
        (True, dt.date(2025, 1, 20), "requested"),
    ]
    # National phases in EP and US (CN is covered by the first filing), 30/31 months from the priority date.
    assert sorted(filed.deadlines.values_list("office", "due")) == [
        ("EP", dt.date(2026, 8, 31)),
        ("US", dt.date(2026, 7, 31)),
    ]


@pytest.mark.django_db
def test_an_abandoned_filing_is_not_edited(cn_filing, manager):
    from opentto.patents.services import filing_abandon

    filing_abandon(
        filing=cn_filing,
        decided_on=dt.date(2025, 6, 1),
        reason="No market.",
        approved_by=manager,
        actor=manager,
    )
    before = filing_state(cn_filing)
    with pytest.raises(ValidationError) as refused:
        filing_edit(filing=cn_filing, data=inp(cn_filing, application_number="X"), actor=manager)
    assert refused.value.message_dict == {
        "status": ["An abandoned or lapsed filing is not changed."]
    }
    assert filing_state(cn_filing) == before


@pytest.mark.django_db
# The result is public, but its planning is not: outsiders do not see the filing (404); the
# inventor of the owning organisation sees it, read only (403).
@pytest.mark.parametrize(
    ("who", "status"), [(None, 302), ("inventor", 403), ("enterprise_user", 404), ("investor", 404)]
)
def test_filing_edit_page_refusals_change_nothing(request, cn_filing, who, status):
    user = request.getfixturevalue(who) if who else None
    url = f"/en/planning/filings/{cn_filing.pk}/edit/"
    before = filing_state(cn_filing)
    assert client_for(user).get(url).status_code == status
    assert (
        client_for(user)
        .post(
            url,
            {
                "office": "CN",
                "route": "first",
                "application_number": "HACK",
                "filing_date": "2024-01-31",
            },
        )
        .status_code
        == status
    )
    assert filing_state(cn_filing) == before


@pytest.mark.django_db
def test_filing_edit_page_for_a_manager(cn_filing, manager):
    client = client_for(manager)
    url = f"/en/planning/filings/{cn_filing.pk}/edit/"
    page = client.get(url).content.decode()
    assert 'value="CN2024100001"' in page and 'value="2024-01-31"' in page
    ip_tab = client.get(f"/en/planning/results/{cn_filing.family.result_id}/ip/").content.decode()
    assert f'href="/en/planning/filings/{cn_filing.pk}/edit/"' in ip_tab
    before = filing_state(cn_filing)
    bad = client.post(
        url,
        {
            "office": "CN",
            "route": "first",
            "application_number": "CN2024100009",
            "filing_date": "2024-01-31",
            "grant_date": "2023-01-01",
        },
    )
    assert bad.status_code == 400
    assert (
        'data-field="grant_date">The grant date cannot be before the filing date.'
        in bad.content.decode()
    )
    assert 'value="CN2024100009"' in bad.content.decode()  # what was typed is kept
    assert filing_state(cn_filing) == before
    ok = client.post(
        url,
        {
            "office": "CN",
            "route": "first",
            "application_number": "CN2024100009",
            "filing_date": "2024-01-31",
            "grant_date": "2026-03-02",
            "compensation_days": "0",
        },
    )
    assert ok.status_code == 302 and ok["Location"].endswith(f"/ip/#family-{cn_filing.family_id}")
    cn_filing.refresh_from_db()
    assert (cn_filing.application_number, cn_filing.status, cn_filing.grant_date) == (
        "CN2024100009",
        "granted",
        dt.date(2026, 3, 2),
    )
    assert cn_filing.deadlines.filter(key="annuity").count() == 18  # years 3 to 20


# --- overseas channels --------------------------------------------------------------------------


@pytest.fixture
def channel(cn_filing, manager):
    return channel_create(
        result=cn_filing.family.result,
        country="Germany",
        partner="",
        status="exploring",
        actor=manager,
    )


def channel_state(channel):
    channel.refresh_from_db()
    return (
        channel.country,
        channel.partner,
        channel.status,
        channel.notes,
        sorted(channel.filings.values_list("pk", flat=True)),
    )


@pytest.mark.django_db
def test_channel_update_validates_audits_and_sets_filings(
    channel, cn_filing, manager, other_university
):
    ep = filing_create(
        family=cn_filing.family,
        data=FilingInput(
            office="EP",
            route="paris",
            priority_date=dt.date(2024, 1, 31),
            planned_by=dt.date(2025, 1, 31),
        ),
        actor=manager,
    )
    before = channel_state(channel)
    with pytest.raises(ValidationError) as refused:
        channel_update(channel=channel, country=" ", status="bogus", actor=manager)
    assert refused.value.message_dict == {
        "country": ["Name the country or region."],
        "status": ["Choose a status."],
    }
    assert channel_state(channel) == before
    updated = channel_update(
        channel=channel,
        country="Germany (DACH)",
        partner="MedTech Partners GmbH",
        filings=[ep],
        status="in_talks",
        notes="Met at MEDICA.",
        actor=manager,
    )
    assert channel_state(updated) == (
        "Germany (DACH)",
        "MedTech Partners GmbH",
        "in_talks",
        "Met at MEDICA.",
        [ep.pk],
    )
    event = AuditEvent.objects.get(action="channel.update")
    assert event.payload["changed"]["status"] == ["exploring", "in_talks"] and event.payload[
        "changed"
    ]["filings"] == [[], [ep.pk]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"), [(None, 302), ("inventor", 403), ("enterprise_user", 404)]
)
def test_channel_edit_page_refusals_change_nothing(request, channel, who, status):
    user = request.getfixturevalue(who) if who else None
    url = f"/en/planning/channels/{channel.pk}/edit/"
    before = channel_state(channel)
    assert client_for(user).get(url).status_code == status
    assert (
        client_for(user).post(url, {"country": "Hacked", "status": "closed"}).status_code == status
    )
    assert channel_state(channel) == before


@pytest.mark.django_db
def test_channel_edit_page_for_a_manager(channel, manager):
    client = client_for(manager)
    url = f"/en/planning/channels/{channel.pk}/edit/"
    assert 'value="Germany"' in client.get(url).content.decode()
    services_tab = client.get(
        f"/en/planning/results/{channel.result_id}/services/"
    ).content.decode()
    assert f'href="/en/planning/channels/{channel.pk}/edit/"' in services_tab
    bad = client.post(url, {"country": "", "partner": "Typed partner", "status": "active"})
    assert (
        bad.status_code == 400
        and "This field is required." in bad.content.decode()
        and 'value="Typed partner"' in bad.content.decode()
    )
    assert channel_state(channel) == ("Germany", "", "exploring", "", [])
    assert (
        client.post(
            url, {"country": "Japan", "partner": "Osaka Medical", "status": "active", "notes": ""}
        ).status_code
        == 302
    )
    assert channel_state(channel) == ("Japan", "Osaka Medical", "active", "", [])


# --- securitisation pools -----------------------------------------------------------------------


@pytest.fixture
def pool_with_licence(onboarded, manager, enterprise_org):
    pool = pool_create(name_en="Medical devices pool", actor=manager)
    asset = pool_asset_add(
        pool=pool,
        result=onboarded,
        licensee=enterprise_org,
        cash_flows=[("2027-Q1", "300"), ("2027-Q2", "450")],
        actor=manager,
    )
    return pool, asset


def flows(asset):
    return sorted(PoolCashFlow.objects.filter(asset=asset).values_list("period", "amount_cny"))


@pytest.mark.django_db
def test_pool_update_and_licence_edit_are_all_or_nothing(pool_with_licence, manager, university):
    pool, asset = pool_with_licence
    with pytest.raises(ValidationError):
        pool_update(pool=pool, name_zh=" ", name_en="", actor=manager)
    pool = pool_update(
        pool=pool,
        name_zh="医疗器械许可资产池",
        name_en="Medical devices pool I",
        arranger=university,
        notes="Arranged with the exchange.",
        actor=manager,
    )
    assert (pool.name_zh, pool.name_en, pool.arranger, pool.notes) == (
        "医疗器械许可资产池",
        "Medical devices pool I",
        university,
        "Arranged with the exchange.",
    )
    with pytest.raises(ValidationError) as refused:
        pool_asset_update(
            asset=asset,
            licensee=asset.licensee,
            cash_flows=[("2027-Q1", "100"), ("2027", "5")],
            actor=manager,
        )
    assert refused.value.message_dict == {
        "cash_flows": ["Use one kind of period (years or quarters) for the whole licence."]
    }
    with pytest.raises(ValidationError) as refused:
        pool_asset_update(
            asset=asset, licensee=university, cash_flows=[("2027-Q1", "100")], actor=manager
        )
    assert refused.value.message_dict == {"licensee": ["The licensee is an enterprise."]}
    assert flows(asset) == [("2027-Q1", Decimal("300.00")), ("2027-Q2", Decimal("450.00"))]
    other = EnterpriseFactory()
    pool_asset_update(
        asset=asset,
        licensee=other,
        cash_flows=[("2028-Q1", "500.50"), ("2028-Q2", "600")],
        actor=manager,
    )
    asset.refresh_from_db()
    assert asset.licensee == other
    assert flows(asset) == [("2028-Q1", Decimal("500.50")), ("2028-Q2", Decimal("600.00"))]
    assert AuditEvent.objects.filter(action__in=["pool.update", "pool.asset_update"]).count() == 2
    pool_asset_remove(asset=asset, actor=manager)
    assert not PoolAsset.objects.filter(pk=asset.pk).exists() and not PoolCashFlow.objects.exists()
    assert AuditEvent.objects.filter(action="pool.asset_remove").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "status"), [(None, 302), ("inventor", 404), ("investor", 404)])
def test_pool_edit_pages_refusals_change_nothing(request, pool_with_licence, who, status):
    pool, asset = pool_with_licence
    user = request.getfixturevalue(who) if who else None
    client = client_for(user)
    before = (list(SecuritisationPool.objects.values_list("name_en", "notes")), flows(asset))
    for url, data in (
        (f"/en/planning/pools/{pool.pk}/edit/", {"name_en": "Hacked"}),
        (
            f"/en/planning/pool-licences/{asset.pk}/edit/",
            {"licensee": asset.licensee_id, "cash_flows": "2030 | 1"},
        ),
    ):
        assert client.get(url).status_code == status
        assert client.post(url, data).status_code == status
    assert client.post(f"/en/planning/pool-licences/{asset.pk}/remove/").status_code == status
    assert (
        list(SecuritisationPool.objects.values_list("name_en", "notes")),
        flows(asset),
    ) == before


@pytest.mark.django_db
def test_pool_edit_pages_for_a_manager(pool_with_licence, manager):
    pool, asset = pool_with_licence
    client = client_for(manager)
    detail = client.get(f"/en/planning/pools/{pool.pk}/").content.decode()
    assert (
        f'href="/en/planning/pool-licences/{asset.pk}/edit/"' in detail
        and f'href="/en/planning/pools/{pool.pk}/edit/"' in detail
    )
    edit = client.get(f"/en/planning/pool-licences/{asset.pk}/edit/").content.decode()
    assert "2027-Q1 | 300.00\n2027-Q2 | 450.00" in edit
    bad = client.post(
        f"/en/planning/pool-licences/{asset.pk}/edit/",
        {"licensee": asset.licensee_id, "cash_flows": "2027-Q1 | 300\n2027-Q5 | 1"},
    )
    assert (
        bad.status_code == 400
        and "Write the period as YYYY or YYYY-Qn, e.g. 2027-Q1." in bad.content.decode()
    )
    assert flows(asset) == [("2027-Q1", Decimal("300.00")), ("2027-Q2", Decimal("450.00"))]
    ok = client.post(
        f"/en/planning/pool-licences/{asset.pk}/edit/",
        {"licensee": asset.licensee_id, "cash_flows": "2027-Q1 | 320\n2027-Q2 | 450"},
    )
    assert ok.status_code == 302 and ok["Location"] == f"/en/planning/pools/{pool.pk}/"
    assert flows(asset)[0] == ("2027-Q1", Decimal("320.00"))
    assert (
        client.post(
            f"/en/planning/pools/{pool.pk}/edit/", {"name_zh": "", "name_en": "", "notes": "x"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/en/planning/pools/{pool.pk}/edit/", {"name_zh": "", "name_en": "Pool A", "notes": ""}
        ).status_code
        == 302
    )
    pool.refresh_from_db()
    assert pool.name_en == "Pool A"
    assert client.get(f"/zh-hans/planning/pools/{pool.pk}/edit/").status_code == 200


@pytest.mark.django_db
def test_date_inputs_carry_iso_dates_in_chinese_too(cn_filing, manager):
    # <input type="date"> only understands YYYY-MM-DD; the zh-hans locale format (2024/01/31) shows an empty field.
    page = (
        client_for(manager).get(f"/zh-hans/planning/filings/{cn_filing.pk}/edit/").content.decode()
    )
    assert 'name="filing_date" value="2024-01-31"' in page
