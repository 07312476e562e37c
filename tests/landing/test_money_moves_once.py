"""Money on deals moves once: a form posted twice with its key records once and answers with the
first outcome; an identical payment or cost sent again with a new key is held back until it is
confirmed; signing, royalty reports and distributions answer a repeat without an error page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from opentto.core.models import AuditEvent, IdempotencyKey
from opentto.landing.models import Deal, Distribution, Payment, ResultCost, RoyaltyReport
from opentto.landing.services import (
    DealTerms,
    cost_record,
    deal_create,
    deal_update_terms,
    payment_record,
)

pytestmark = pytest.mark.django_db

KEY = "2f0c1d3e4b5a69788796a5b4c3d2e1f0"
RECEIVED = "2025-03-10"


def post_payment(client, deal, key=KEY, **extra):
    data = {"received_on": RECEIVED, "amount_cny": "100000.00", "note": "first instalment", **extra}
    if key:
        data["idempotency_key"] = key
    return client.post(f"/en/deals/{deal.pk}/payments/", data)


def page_messages(client, deal) -> str:
    return client.get(f"/en/deals/{deal.pk}/").content.decode()


def test_every_form_of_the_deal_page_carries_its_own_key(client, manager, signed_deal):
    client.force_login(manager)
    page = page_messages(client, signed_deal)
    keys = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    forms = (
        page.count('method="post"')
        - page.count('action="/i18n/setlang/"')
        - page.count("/accounts/logout/")
    )
    assert len(keys) == forms and len(set(keys)) == len(keys) and len(keys) >= 7
    assert page_messages(client, signed_deal).count(keys[0]) == 0  # drawn anew each time


def test_a_payment_form_posted_twice_records_once_and_says_so(client, manager, signed_deal):
    client.force_login(manager)
    first, second = post_payment(client, signed_deal), post_payment(client, signed_deal)
    assert (
        first.status_code == second.status_code == 302
        and first["Location"] == second["Location"] == f"/en/deals/{signed_deal.pk}/"
    )
    assert (
        Payment.objects.count() == 1
        and AuditEvent.objects.filter(action="deal.payment").count() == 1
    )
    key = IdempotencyKey.objects.get()
    assert (key.key, key.actor, key.object_type, key.object_id) == (
        KEY,
        manager,
        "landing.payment",
        str(Payment.objects.get().pk),
    )
    page = page_messages(client, signed_deal)
    assert "The payment was recorded." in page
    assert "This form was already submitted at " in page and "it was not recorded again." in page


def test_the_same_key_with_other_values_records_nothing(client, manager, signed_deal):
    client.force_login(manager)
    post_payment(client, signed_deal)
    response = post_payment(
        client, signed_deal, amount_cny="999.00"
    )  # the back button, then a change
    assert response.status_code == 302 and Payment.objects.count() == 1
    assert "This form was already used at " in page_messages(client, signed_deal)


def test_an_identical_payment_with_a_new_key_is_held_back_until_confirmed(
    client, manager, signed_deal
):
    client.force_login(manager)
    post_payment(client, signed_deal, key="a" * 32)
    held = post_payment(client, signed_deal, key="b" * 32)
    page = held.content.decode()
    assert held.status_code == 200 and Payment.objects.count() == 1
    assert (
        "An identical payment (100,000.00 yuan received on 2025-03-10) was already recorded at "
        in page
    )
    assert (
        'name="confirm_duplicate"' in page and 'value="' + "b" * 32 + '"' in page
    )  # the same key, kept for the confirmation
    assert (
        IdempotencyKey.objects.filter(key="b" * 32).count() == 0
    )  # nothing written: the key is still free
    confirmed = post_payment(client, signed_deal, key="b" * 32, confirm_duplicate="on")
    assert confirmed.status_code == 302 and Payment.objects.count() == 2
    post_payment(
        client, signed_deal, key="b" * 32, confirm_duplicate="on"
    )  # the confirmation clicked twice
    assert Payment.objects.count() == 2
    event = AuditEvent.objects.filter(action="deal.payment").order_by("-id").first()
    assert event is not None and event.payload["confirmed_duplicate"] is True


def test_a_form_without_a_key_is_still_held_back_as_a_duplicate(client, manager, signed_deal):
    client.force_login(manager)
    post_payment(client, signed_deal, key="")
    assert post_payment(client, signed_deal, key="").status_code == 200
    assert Payment.objects.count() == 1
    post_payment(client, signed_deal, key="", note="second instalment")  # a different payment
    assert Payment.objects.count() == 2


def test_payment_record_refuses_an_identical_payment_unless_confirmed(manager, signed_deal):
    payment_record(
        deal=signed_deal,
        received_on=dt.date(2025, 3, 10),
        amount_cny="500.00",
        note="x",
        actor=manager,
    )
    with pytest.raises(ValidationError) as exc:
        payment_record(
            deal=signed_deal,
            received_on=dt.date(2025, 3, 10),
            amount_cny="500",
            note=" x ",
            actor=manager,
        )
    assert (
        list(exc.value.error_dict) == ["confirm_duplicate"]
        and exc.value.error_dict["confirm_duplicate"][0].code == "duplicate"
    )
    for other in ({"amount_cny": "500.01"}, {"received_on": dt.date(2025, 3, 11)}, {"note": "y"}):
        payment_record(
            deal=signed_deal,
            **{"received_on": dt.date(2025, 3, 10), "amount_cny": "500.00", "note": "x", **other},
            actor=manager,
        )
    payment_record(
        deal=signed_deal,
        received_on=dt.date(2025, 3, 10),
        amount_cny="500",
        note="x",
        actor=manager,
        confirm_duplicate=True,
    )
    assert (
        Payment.objects.filter(
            amount_cny=Decimal("500.00"), received_on=dt.date(2025, 3, 10), note="x"
        ).count()
        == 2
    )


def test_a_cost_posted_twice_records_once_and_an_identical_one_needs_confirming(
    client, manager, signed_deal, landing_result
):
    client.force_login(manager)
    data = {
        "result": landing_result.pk,
        "kind": "agent",
        "amount_cny": "8000.00",
        "incurred_on": "2025-02-01",
        "description": "Agent's invoice",
    }
    for _ in range(2):
        assert (
            client.post(
                f"/en/deals/{signed_deal.pk}/costs/", {**data, "idempotency_key": KEY}
            ).status_code
            == 302
        )
    assert ResultCost.objects.count() == 1
    held = client.post(f"/en/deals/{signed_deal.pk}/costs/", {**data, "idempotency_key": "c" * 32})
    assert held.status_code == 200 and ResultCost.objects.count() == 1
    assert (
        "An identical cost (8,000.00 yuan on 2025-02-01) was already recorded at "
        in held.content.decode()
    )
    client.post(
        f"/en/deals/{signed_deal.pk}/costs/",
        {**data, "idempotency_key": "c" * 32, "confirm_duplicate": "on"},
    )
    assert ResultCost.objects.count() == 2


def test_cost_record_refuses_an_identical_cost_unless_confirmed(manager, landing_result):
    kwargs = {
        "result": landing_result,
        "kind": "legal",
        "amount_cny": "100",
        "incurred_on": dt.date(2025, 1, 5),
        "description": "Opinion",
    }
    cost_record(**kwargs, actor=manager)
    with pytest.raises(ValidationError) as exc:
        cost_record(**kwargs, actor=manager)
    assert "confirm_duplicate" in exc.value.error_dict
    cost_record(**kwargs, actor=manager, confirm_duplicate=True)
    assert ResultCost.objects.count() == 2


def test_signing_posted_twice_signs_once_and_answers_the_repeat_without_an_error(
    client, manager, landing_result, enterprise_org
):
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="licence_exclusive",
        amount_cny="10",
        actor=manager,
    )
    client.force_login(manager)
    for _ in range(2):
        assert (
            client.post(
                f"/en/deals/{deal.pk}/sign/", {"signed_on": "2025-03-01", "idempotency_key": KEY}
            ).status_code
            == 302
        )
    assert (
        Deal.objects.get(pk=deal.pk).status == "signed"
        and AuditEvent.objects.filter(action="deal.sign").count() == 1
    )
    page = page_messages(client, deal)
    assert "This form was already submitted at " in page and "cannot move" not in page
    # without a key the repeat is refused by the deal's status, with a message (no error page)
    response = client.post(f"/en/deals/{deal.pk}/sign/", {"signed_on": "2025-03-01"}, follow=True)
    assert response.status_code == 200 and "cannot move" in response.content.decode()


def test_a_royalty_report_posted_twice_is_recorded_once(client, manager, signed_deal):
    deal_update_terms(
        deal=signed_deal,
        amount_cny=signed_deal.amount_cny,
        actor=manager,
        terms=DealTerms(royalty_rate="0.05"),
    )
    client.force_login(manager)
    data = {
        "period_start": "2025-03-01",
        "period_end": "2025-06-30",
        "due_on": "2025-07-31",
        "net_sales_cny": "1000",
    }
    for _ in range(2):
        assert (
            client.post(
                f"/en/deals/{signed_deal.pk}/royalties/", {**data, "idempotency_key": KEY}
            ).status_code
            == 302
        )
    assert RoyaltyReport.objects.count() == 1
    response = client.post(
        f"/en/deals/{signed_deal.pk}/royalties/", data, follow=True
    )  # no key: the period is taken
    assert (
        RoyaltyReport.objects.count() == 1
        and "A report for this period is already recorded." in response.content.decode()
    )


def test_a_distribution_posted_twice_distributes_once(client, manager, signed_deal):
    payment = payment_record(
        deal=signed_deal, received_on=dt.date(2025, 3, 10), amount_cny="1000.00", actor=manager
    )
    client.force_login(manager)
    for _ in range(2):
        assert (
            client.post(
                f"/en/deals/payments/{payment.pk}/distribute/", {"idempotency_key": KEY}
            ).status_code
            == 302
        )
    assert (
        Distribution.objects.count() == 1
        and AuditEvent.objects.filter(action="payment.distribute").count() == 1
    )
    assert "This form was already submitted at " in page_messages(client, signed_deal)


def test_a_refused_post_with_a_key_stores_nothing(
    client, signed_deal, enterprise_user, inventor, manager
):
    for user in (enterprise_user, inventor):
        client.force_login(user)
        assert (
            post_payment(client, signed_deal).status_code == 403
        )  # they see the deal, may not record payments
    client.force_login(manager)
    assert (
        post_payment(client, signed_deal, received_on="2099-01-01").status_code == 302
    )  # invalid: refused with a message
    assert Payment.objects.count() == 0 and IdempotencyKey.objects.count() == 0
    assert (
        post_payment(client, signed_deal).status_code == 302 and Payment.objects.count() == 1
    )  # the same key, now valid


def test_a_malformed_key_counts_as_none(client, manager, signed_deal):
    client.force_login(manager)
    post_payment(client, signed_deal, key="not a key")
    assert Payment.objects.count() == 1 and IdempotencyKey.objects.count() == 0
    assert (
        post_payment(client, signed_deal, key="not a key").status_code == 200
    )  # still held back as a duplicate
    assert Payment.objects.count() == 1
