"""Deal pages for each kind of user: anonymous, unpermitted, permitted and constrained."""

import datetime as dt

import pytest

from opentto.core.models import AuditEvent
from opentto.landing.models import Deal, Distribution, Payment
from opentto.landing.services import DealTerms, deal_create, deal_notice_start

from ..conftest import make_user
from ..factories import EnterpriseFactory


@pytest.mark.django_db
def test_deal_pages_by_role(
    client, signed_deal, manager, inventor, other_inventor, enterprise_user, investor
):
    other = EnterpriseFactory()
    url = f"/en/deals/{signed_deal.pk}/"
    assert client.get(url).status_code == 302  # anonymous: sign in
    for user, expected in (
        (manager, 200),
        (inventor, 200),
        (enterprise_user, 200),
        (other_inventor, 404),
        (investor, 404),
        (make_user("enterprise", other, username="rival"), 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == expected, user.username
        listed = client.get("/en/deals/").content.decode()
        assert (f"/deals/{signed_deal.pk}/" in listed) == (expected == 200), user.username


@pytest.mark.django_db
def test_only_managers_record_payments_and_a_refusal_changes_nothing(
    client, signed_deal, manager, inventor, enterprise_user, other_inventor
):
    events = AuditEvent.objects.count()
    # The deal's parties see the deal but may not record a payment (403); someone else does not see it (404).
    for user, status in ((inventor, 403), (enterprise_user, 403), (other_inventor, 404)):
        client.force_login(user)
        response = client.post(
            f"/en/deals/{signed_deal.pk}/payments/",
            {"received_on": "2025-03-10", "amount_cny": "100"},
        )
        assert response.status_code == status, user.username
    assert Payment.objects.count() == 0 and AuditEvent.objects.count() == events
    client.force_login(manager)
    response = client.post(
        f"/en/deals/{signed_deal.pk}/payments/",
        {"received_on": "2025-03-10", "amount_cny": "100.01"},
    )
    assert (
        response.status_code == 302
        and Payment.objects.get().amount_cny
        == Payment._meta.get_field("amount_cny").to_python("100.01")
    )
    payment = Payment.objects.get()
    events = AuditEvent.objects.count()
    for user, status in ((enterprise_user, 403), (inventor, 403), (other_inventor, 404)):
        client.force_login(user)
        assert client.post(f"/en/deals/payments/{payment.pk}/distribute/").status_code == status, (
            user.username
        )
    assert not Distribution.objects.exists() and AuditEvent.objects.count() == events
    client.force_login(manager)
    assert client.post(f"/en/deals/payments/{payment.pk}/distribute/").status_code == 302
    page = client.get(f"/en/deals/{signed_deal.pk}/").content.decode()
    assert "¥100.01" in page and "Distribute</button>" not in page


@pytest.mark.django_db
def test_signing_before_a_notice_is_refused_with_a_message(
    client, manager, landing_result, enterprise_org
):
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="10",
        actor=manager,
        terms=DealTerms(price_method="negotiated"),
    )
    client.force_login(manager)
    response = client.post(
        f"/en/deals/{deal.pk}/sign/", {"signed_on": dt.date.today().isoformat()}, follow=True
    )
    assert "publicly noticed" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).status == "draft"


@pytest.mark.django_db
def test_public_notices_are_public(client, manager, landing_result, enterprise_org):
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="2860000",
        actor=manager,
        terms=DealTerms(price_method="negotiated"),
        title="Assignment of the arm",
    )
    deal_notice_start(
        deal=deal,
        starts_on=dt.date.today(),
        ends_on=dt.date.today() + dt.timedelta(days=14),
        actor=manager,
    )
    page = client.get("/zh-hans/deals/notices/").content.decode()
    assert "Assignment of the arm" in page and "¥2,860,000.00" in page


@pytest.mark.django_db
def test_rules_page_warns_below_the_floor(client, manager, university):
    client.force_login(manager)
    response = client.post(
        "/en/deals/rules/",
        {
            "organisation": university.pk,
            "team_share": "0.4",
            "tto_share": "0.1",
            "equity_team_share": "0.7",
            "legal_source": "Rules art. 3",
            "state_established": "on",
            "in_shanghai": "on",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "below the 50" in page and "Shanghai" in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_terms_form_shows_the_stored_dates_in_both_languages(
    client, signed_deal, manager, language
):
    """<input type="date"> takes only ISO dates: in Chinese Django wrote 2025/03/01, the browser
    showed an empty field and saving the terms cleared the dates."""
    from opentto.landing.services import deal_update_terms

    deal_update_terms(
        deal=signed_deal,
        terms=DealTerms(term_starts_on=dt.date(2025, 3, 1), term_ends_on=dt.date(2035, 2, 28)),
        amount_cny=signed_deal.amount_cny,
        actor=manager,
    )
    client.force_login(manager)
    page = client.get(f"/{language}/deals/{signed_deal.pk}/").content.decode()
    for name, value in (("term_starts_on", "2025-03-01"), ("term_ends_on", "2035-02-28")):
        assert f'<input type="date" name="{name}" value="{value}"' in page, name
    assert "2025/03/01" not in page


@pytest.mark.django_db
def test_royalty_report_flags_speak_of_payments_in_chinese(client, signed_deal, manager):
    """The flags had the words of other pages: a report not yet due was 征集中 (a demand's "open"),
    a paid one 已拨付 (a subsidy's "paid")."""
    from opentto.landing.services import deal_update_terms, payment_record, royalty_report_record

    deal_update_terms(
        deal=signed_deal,
        amount_cny=signed_deal.amount_cny,
        actor=manager,
        terms=DealTerms(royalty_rate="0.035"),
    )
    signed_deal.refresh_from_db()
    paid = royalty_report_record(
        deal=signed_deal,
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 6, 30),
        due_on=dt.date(2025, 7, 31),
        net_sales_cny="100000",
        actor=manager,
    )
    payment_record(
        deal=signed_deal,
        received_on=dt.date(2025, 7, 20),
        amount_cny=paid.royalty_due_cny,
        royalty_report=paid,
        actor=manager,
    )
    royalty_report_record(
        deal=signed_deal,
        period_start=dt.date(2025, 7, 1),
        period_end=dt.date(2025, 9, 30),
        due_on=dt.date.today() + dt.timedelta(days=30),
        net_sales_cny="100000",
        actor=manager,
    )
    client.force_login(manager)
    page = client.get(f"/zh-hans/deals/{signed_deal.pk}/").content.decode()
    assert (
        '<span class="flag flag-ok">已付清</span>' in page
        and '<span class="flag">未到期</span>' in page
    )
    assert "征集中" not in page and "已拨付" not in page
