"""The deal record: statuses, the public notice, foreign currency, spin-off data, counted deals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from opentto.core.models import AuditEvent
from opentto.landing.models import COUNTED_STATUSES, Deal, PublicNotice
from opentto.landing.services import (
    DealTerms,
    deal_bring_into_force,
    deal_complete,
    deal_create,
    deal_notice_start,
    deal_notice_withdraw,
    deal_sign,
    deal_terminate,
    deal_update_terms,
)

from ..factories import EnterpriseFactory

TODAY = timezone.localdate


@pytest.mark.django_db
def test_counted_means_signed_in_force_or_completed_and_never_terminated(
    manager, landing_result, enterprise_org, signed_deal
):
    assert set(COUNTED_STATUSES) == {"signed", "in_force", "completed"}
    assert list(Deal.objects.counted()) == [signed_deal]
    deal_bring_into_force(deal=signed_deal, in_force_on=dt.date(2025, 3, 2), actor=manager)
    assert list(Deal.objects.counted()) == [signed_deal]
    deal_complete(deal=signed_deal, completed_on=dt.date(2025, 4, 1), actor=manager)
    landing_result.refresh_from_db()
    assert landing_result.stage == "landed" and Deal.objects.counted().count() == 1
    with pytest.raises(ValidationError):  # completed is final
        deal_terminate(
            deal=signed_deal, terminated_on=dt.date(2025, 5, 1), reason="x", actor=manager
        )


@pytest.mark.django_db
def test_terminating_an_in_force_deal_returns_the_result_unless_another_deal_counts(
    manager, landing_result, enterprise_org, signed_deal
):
    second = deal_sign(
        deal=deal_create(
            results=[landing_result],
            counterparty=EnterpriseFactory(),
            deal_type="licence_non_exclusive",
            amount_cny="5",
            actor=manager,
        ),
        signed_on=dt.date(2025, 3, 5),
        actor=manager,
    )
    deal_bring_into_force(deal=signed_deal, in_force_on=dt.date(2025, 3, 2), actor=manager)
    deal_terminate(
        deal=signed_deal, terminated_on=dt.date(2025, 6, 1), reason="Breach", actor=manager
    )
    landing_result.refresh_from_db()
    assert landing_result.stage == "landed"  # the second deal still counts
    deal_terminate(deal=second, terminated_on=dt.date(2025, 6, 1), reason="Breach", actor=manager)
    landing_result.refresh_from_db()
    assert landing_result.stage == "landing"
    assert Deal.objects.get(pk=signed_deal.pk).termination_reason == "Breach"


@pytest.mark.django_db
def test_a_negotiated_price_is_noticed_for_15_days_before_signing(
    manager, landing_result, enterprise_org
):
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="2860000",
        actor=manager,
        terms=DealTerms(price_method="negotiated"),
    )
    with pytest.raises(ValidationError) as exc:
        deal_sign(deal=deal, signed_on=TODAY(), actor=manager)
    assert "publicly noticed" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        deal_notice_start(
            deal=deal, starts_on=TODAY(), ends_on=TODAY() + dt.timedelta(days=13), actor=manager
        )  # 14 days
    assert "at least 15 days" in exc.value.message_dict["ends_on"][0]
    notice = deal_notice_start(
        deal=deal, starts_on=TODAY(), ends_on=TODAY() + dt.timedelta(days=14), actor=manager
    )
    assert (
        notice.days == 15
        and notice.price_cny == Decimal("2860000.00")
        and "2860000.00" in notice.text_zh
    )
    deal.refresh_from_db()
    assert deal.status == "notice"
    with pytest.raises(ValidationError) as exc:  # the notice is still running
        deal_sign(deal=deal, signed_on=TODAY(), actor=manager)
    assert "signed_on" in exc.value.message_dict
    with pytest.raises(ValidationError):  # the price is fixed while noticed
        deal_update_terms(
            deal=deal, terms=DealTerms(price_method="negotiated"), amount_cny="1", actor=manager
        )
    # an objection: withdraw, back to draft
    deal_notice_withdraw(
        deal=deal, reason="Objection from a co-inventor", objections="Price too low", actor=manager
    )
    deal.refresh_from_db()
    assert deal.status == "draft" and PublicNotice.objects.get(pk=notice.pk).status == "withdrawn"


@pytest.mark.django_db
def test_signing_after_the_notice_ended(manager, landing_result, enterprise_org):
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="100",
        actor=manager,
        terms=DealTerms(price_method="negotiated"),
    )
    deal_notice_start(
        deal=deal, starts_on=TODAY(), ends_on=TODAY() + dt.timedelta(days=14), actor=manager
    )
    # the notice ran in the past (as if published 20 days ago)
    PublicNotice.objects.filter(deal=deal).update(
        starts_on=TODAY() - dt.timedelta(days=20), ends_on=TODAY() - dt.timedelta(days=5)
    )
    deal_sign(deal=deal, signed_on=TODAY(), actor=manager)
    landing_result.refresh_from_db()
    assert landing_result.stage == "landed"


@pytest.mark.django_db
def test_a_foreign_currency_deal_keeps_amount_currency_and_rate(
    manager, landing_result, enterprise_org
):
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="licence_sole",
        amount_cny=None,
        actor=manager,
        terms=DealTerms(currency="usd", amount_foreign="150000.00", fx_rate="7.1234"),
    )
    assert (deal.currency, deal.amount_foreign, deal.fx_rate, deal.amount_cny) == (
        "USD",
        Decimal("150000.00"),
        Decimal("7.1234"),
        Decimal("1068510.00"),
    )
    with pytest.raises(ValidationError) as exc:
        deal_create(
            results=[landing_result],
            counterparty=enterprise_org,
            deal_type="licence_sole",
            amount_cny=None,
            actor=manager,
            terms=DealTerms(currency="EUR", amount_foreign="10"),
        )
    assert "fx_rate" in exc.value.message_dict


@pytest.mark.django_db
def test_spin_off_credit_code_is_validated_and_nothing_is_saved_on_error(
    manager, landing_result, enterprise_org
):
    deals, events = Deal.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        deal_create(
            results=[landing_result],
            counterparty=enterprise_org,
            deal_type="spin_off",
            amount_cny="1",
            actor=manager,
            terms=DealTerms(spinoff_name="Arm Robotics", spinoff_credit_code="91310104MA1FL0000X"),
        )
    assert "spinoff_credit_code" in exc.value.message_dict
    assert Deal.objects.count() == deals and AuditEvent.objects.count() == events
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="spin_off",
        amount_cny="1",
        actor=manager,
        terms=DealTerms(
            spinoff_name="Arm Robotics",
            spinoff_credit_code="91310104MA1FL0000M",
            equity_percent="30",
            equity_shares="3000000",
        ),
    )
    assert deal.spinoff_credit_code == "91310104MA1FL0000M" and deal.equity_percent == Decimal("30")


@pytest.mark.django_db
def test_database_refuses_an_inconsistent_currency(signed_deal):
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=signed_deal.pk).update(currency="CNY", fx_rate=Decimal("7"))


@pytest.mark.django_db
def test_only_managers_create_deals(inventor, landing_result, enterprise_org):
    with pytest.raises(PermissionError):
        deal_create(
            results=[landing_result],
            counterparty=enterprise_org,
            deal_type="assignment",
            amount_cny="1",
            actor=inventor,
        )
