"""The tax year of an institution from the platform's rows: selectors, CLI, services, views."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from opentto.core.models import AuditEvent
from opentto.landing.models import Deal
from opentto.tax.models import DealTaxFacts, DealTaxYear, TaxProfile
from opentto.tax.selectors import deal_tax, tax_year_report

from ..conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_worked_example_from_deals_and_payments(year_2025, manager, university):
    t = tax_year_report(manager, 2025, university).table
    by_deal = {r.deal_id: r for r in t.rows}
    assert by_deal[year_2025["a"].pk].taxable_income == D("2864321.10")
    assert (t.qualifying_income, t.exempt, t.above) == (
        D("7345678.91"),
        D("5000000.00"),
        D("2345678.91"),
    )
    assert (t.tax_without_relief, t.tax_due, t.relief) == (
        D("1836419.73"),
        D("293209.86"),
        D("1543209.87"),
    )
    assert not by_deal[year_2025["d"].pk].qualifies and not by_deal[year_2025["e"].pk].qualifies
    assert (t.excluded_income, t.tax_on_excluded) == (D("1190000.00"), D("297500.00"))
    # another year has no income
    assert tax_year_report(manager, 2024, university).table.rows == ()


def test_the_inventor_sees_their_own_organisation_and_the_official_nothing(
    year_2025, inventor, other_inventor, university
):
    assert tax_year_report(inventor, 2025, university).table.relief == D("1543209.87")
    # another university's inventor sees none of these deals
    assert tax_year_report(other_inventor, 2025, university).table.rows == ()


def test_rewards_half_taxable_on_the_deal_and_in_the_report(reward_deal, manager, university):
    rows = deal_tax(manager, reward_deal).rewards
    assert sorted((r.answer.amount, r.answer.taxable, r.answer.half_taxable) for r in rows) == [
        (D("2469.14"), D("1234.57"), True),
        (D("3703.70"), D("1851.85"), True),
    ]
    report = tax_year_report(manager, 2025, university)
    assert (report.rewards_total, report.rewards_taxable) == (D("6172.84"), D("3086.42"))
    # not a non-profit research institute (its profile says so): the whole reward is taxable
    from opentto.tax.services import tax_profile_set

    tax_profile_set(
        organisation=university,
        resident_enterprise=True,
        non_profit_research=False,
        legal_source="Statutes art. 2",
        actor=manager,
    )
    assert tax_year_report(manager, 2025, university).rewards_taxable == D("6172.84")


def test_an_unregistered_contract_is_flagged(
    manager, landing_result, enterprise_org, university, client
):
    from .conftest import make_deal

    deal = make_deal(
        manager,
        landing_result,
        enterprise_org,
        "assignment",
        "1000.00",
        "Unregistered",
        registered_on=None,
    )
    tax = deal_tax(manager, deal)
    assert not tax.registered and not tax.vat.applies
    assert [r.code for r in tax.years[0].row.reasons if not r.ok] == ["registered"]
    client.force_login(manager)
    for lang, text in (
        ("en", "This contract is not registered"),
        ("zh-hans", "本合同未经技术合同认定登记"),
    ):
        page = client.get(f"/{lang}/deals/{deal.pk}/").content.decode()
        assert 'data-flag="unregistered"' in page and text in page, lang


def test_cli_json_to_the_fen(year_2025, university, capsys):
    call_command("tax", "--json", "--year", "2025", "--org", str(university.pk))
    data = json.loads(capsys.readouterr().out)
    eit = data["eit"]
    assert (eit["qualifying_income"], eit["exempt"], eit["above"]) == (
        "7345678.91",
        "5000000.00",
        "2345678.91",
    )
    assert (eit["tax_without_relief"], eit["tax_due"], eit["relief"]) == (
        "1836419.73",
        "293209.86",
        "1543209.87",
    )
    assert [r["transfer_income"] for r in eit["rows"]][:1] == ["2864321.10"]
    assert data["rewards_taxable"] == "0.00" and data["profile"]["resident_enterprise"] is True
    call_command("tax", "--year", "2025", "--org", str(university.pk))
    assert "1,543,209.87" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["--year", "20x5", "--org", "1"],
        ["--year", "1800", "--org", "1"],
        ["--year", "2025", "--org", "999999"],
        ["--year", "2025", "--org", "abc"],
    ],
)
def test_cli_bad_year_or_org_exits_2_with_one_line(args, university, capsys):
    with pytest.raises(SystemExit) as exc:
        call_command("tax", *args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("opentto tax: ")


def test_the_year_page_by_role(
    client,
    year_2025,
    university,
    other_university,
    manager,
    inventor,
    other_inventor,
    official,
    enterprise_user,
):
    url = f"/en/tax/{university.pk}/?year=2025"
    assert client.get(url).status_code == 302  # anonymous: sign in
    for user, status in (
        (manager, 200),
        (inventor, 200),
        (other_inventor, 403),
        (official, 403),
        (enterprise_user, 403),
    ):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user.username
        if status == 200:
            page = response.content.decode()
            assert "¥1,543,209.87" in page and "¥293,209.86" in page and "¥2,864,321.10" in page
    client.force_login(other_inventor)
    assert (
        client.get(f"/en/tax/{other_university.pk}/?year=2025").status_code == 200
    )  # their own, empty
    assert client.get("/en/tax/999999/?year=2025").status_code == 404
    client.force_login(manager)
    zh = client.get(f"/zh-hans/tax/{university.pk}/?year=2025").content.decode()
    assert "¥1,543,209.87" in zh and "技术转让所得" in zh
    assert client.get(f"/en/tax/{university.pk}/?year=1800").status_code == 404
    client.force_login(official)
    assert client.get("/en/tax/").status_code == 403


def test_recording_tax_facts_by_role_and_nothing_written_on_a_refusal(
    client, year_2025, university, manager, inventor, other_inventor, enterprise_user
):
    deal = year_2025["b"]
    rows, facts, events = (
        DealTaxYear.objects.count(),
        DealTaxFacts.objects.count(),
        AuditEvent.objects.count(),
    )
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    data = {"organisation": university.pk, "year": "2026", "costs_cny": "1.00", "taxes_cny": "0.50"}
    response = client.post(f"/en/tax/deals/{deal.pk}/year/", data)
    assert response.status_code == 302 and "/login/" in response["Location"]
    for user, status in ((inventor, 403), (enterprise_user, 403), (other_inventor, 404)):
        client.force_login(user)
        assert client.post(f"/en/tax/deals/{deal.pk}/year/", data).status_code == status, (
            user.username
        )
        assert (
            client.post(
                f"/en/tax/deals/{deal.pk}/facts/", {"wholly_owned_related_party": "on"}
            ).status_code
            == status
        ), user.username
        assert (
            client.post(f"/en/tax/{university.pk}/profile/", {"legal_source": "x"}).status_code
            == 403
        ), user.username
    assert (
        DealTaxYear.objects.count(),
        DealTaxFacts.objects.count(),
        AuditEvent.objects.count(),
    ) == (rows, facts, events)
    assert not TaxProfile.objects.exists()
    client.force_login(manager)
    assert client.post(f"/en/tax/deals/{deal.pk}/year/", data).status_code == 302
    row = DealTaxYear.objects.get(deal=deal, year=2026)
    assert (row.costs_cny, row.taxes_cny) == (D("1.00"), D("0.50"))
    assert (
        client.post(
            f"/en/tax/deals/{deal.pk}/facts/", {"wholly_owned_related_party": "on"}
        ).status_code
        == 302
    )
    assert DealTaxFacts.objects.get(deal=deal).wholly_owned_related_party
    assert (
        client.post(
            f"/en/tax/{university.pk}/profile/",
            {"legal_source": "事业单位法人证书", "resident_enterprise": "on"},
        ).status_code
        == 302
    )
    assert TaxProfile.objects.get(organisation=university).non_profit_research is False
    assert set(AuditEvent.objects.filter(pk__gt=last_event).values_list("action", flat=True)) == {
        "tax.deal_year_set",
        "tax.deal_facts_set",
        "tax.profile_set",
    }


def test_services_validate(year_2025, manager, university, other_university):
    from django.core.exceptions import ValidationError

    from opentto.tax.services import deal_tax_year_set

    with pytest.raises(ValidationError) as exc:
        deal_tax_year_set(
            deal=year_2025["a"],
            organisation=other_university,
            year=2025,
            costs_cny="1.001",
            taxes_cny="-1",
            actor=manager,
        )
    assert set(exc.value.message_dict) == {"organisation", "costs_cny", "taxes_cny"}
    with pytest.raises(PermissionError):
        deal_tax_year_set(
            deal=year_2025["a"],
            organisation=university,
            year=2025,
            costs_cny="1",
            taxes_cny="0",
            actor=make_user("official", username="o2"),
        )


def test_the_deal_panel(client, year_2025, manager, inventor, enterprise_user):
    deal: Deal = year_2025["d"]
    client.force_login(manager)
    page = client.get(f"/en/deals/{deal.pk}/").content.decode()
    assert 'data-panel="tax"' in page and 'data-vat="applies"' in page
    assert (
        "A transfer to a wholly-owned related party is excluded." in page
        and "¥1,543,209.87" in page
    )
    client.force_login(
        enterprise_user
    )  # the counterparty sees the VAT answer but no institution's tax
    page = client.get(f"/en/deals/{deal.pk}/").content.decode()
    assert (
        'data-vat="applies"' in page and "¥1,543,209.87" not in page and "/tax/deals/" not in page
    )


def test_the_annual_report_has_a_tax_section(year_2025, manager, official):
    from opentto.dashboard.export import tax_section

    assert tax_section(manager, 2025)[0][1:5] == (
        D("7345678.91"),
        D("5000000.00"),
        D("2345678.91"),
        D("1543209.87"),
    )
    assert tax_section(official, 2025) == []
