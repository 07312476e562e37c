"""Landing's object types under the grants (``opentto/landing/permissions.py``): who sees what,
a switched-off grant takes the access away, what hangs off a deal never outruns the deal, and the
deal page and the services ask the same action (one rule: edit the grant and both follow)."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from opentto.core import permissions
from opentto.core.models import AuditEvent, Grant
from opentto.landing.models import (
    Agreement,
    Deal,
    Distribution,
    DistributionLine,
    DistributionRule,
    Payment,
    PaymentScheduleItem,
    PublicNotice,
    ResultCost,
    RoyaltyReport,
)
from opentto.landing.selectors import deal_page, people_with_statements, running_notices, statement
from opentto.landing.services import (
    DealTerms,
    agreement_create,
    cost_record,
    deal_create,
    deal_notice_start,
    deal_update_terms,
    payment_distribute,
    payment_record,
    royalty_report_record,
    rule_set,
    schedule_item_add,
)

from ..conftest import make_user
from ..factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def _off(role: str, object_type: str, constraint: str | None = None, *users) -> None:
    """Switch a default grant off (as an admin does) and forget the users' cached grants."""
    rows = Grant.objects.filter(role=role, object_type=object_type)
    if constraint:
        rows = rows.filter(constraint=constraint)
    assert rows.update(enabled=False) >= 1
    for user in users:
        permissions.clear_grant_cache(user)


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


@pytest.fixture
def money(signed_deal, manager, university):
    """A payment on the signed deal, distributed (a rule with the team's share), a schedule item, a
    royalty report and a cost of the deal's result."""
    deal_update_terms(
        deal=signed_deal,
        amount_cny=signed_deal.amount_cny,
        actor=manager,
        terms=DealTerms(royalty_rate="0.05"),
    )
    signed_deal.refresh_from_db()
    item = schedule_item_add(
        deal=signed_deal,
        kind="upfront",
        amount_cny="1000.00",
        due_on=dt.date(2025, 4, 1),
        actor=manager,
    )
    report = royalty_report_record(
        deal=signed_deal,
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 6, 30),
        due_on=dt.date(2025, 7, 31),
        net_sales_cny="1000",
        actor=manager,
    )
    cost = cost_record(
        result=signed_deal.results.get(),
        kind="agent",
        amount_cny="100.00",
        incurred_on=dt.date(2025, 2, 1),
        actor=manager,
    )
    rule_set(organisation=university, team_share="0.7", legal_source="Rules art. 3", actor=manager)
    payment = payment_record(
        deal=signed_deal,
        received_on=dt.date(2025, 3, 10),
        amount_cny="1000.00",
        schedule_item=item,
        actor=manager,
    )
    distribution = payment_distribute(payment=payment, actor=manager)
    return {
        "item": item,
        "report": report,
        "cost": cost,
        "payment": payment,
        "distribution": distribution,
    }


# --- who sees what -----------------------------------------------------------------------------


def test_the_default_grants_of_each_type(
    money,
    signed_deal,
    manager,
    inventor,
    enterprise_user,
    other_inventor,
    official,
    investor,
    reviewer,
):
    children = (Payment, PaymentScheduleItem, RoyaltyReport)
    for user, sees_deal, sees_split in (
        (manager, True, True),
        (inventor, True, True),
        (enterprise_user, True, False),
        (other_inventor, False, False),
        (official, False, False),
        (investor, False, False),
        (reviewer, False, False),
        (AnonymousUser(), False, False),
    ):
        name = getattr(user, "username", "anonymous")
        assert (signed_deal.pk in _ids(Deal.objects.restrict(user, "view"))) == sees_deal, name
        for model in children:
            assert (
                bool(model.objects.restrict(user, "view").filter(deal=signed_deal).exists())
                == sees_deal
            ), (name, model)
        # the internal split is the owners' business: the TTO and the owning organisation, not the counterparty
        assert Distribution.objects.restrict(user, "view").exists() == sees_split, name
        assert (
            DistributionLine.objects.restrict(user, "view").filter(party="organisation").exists()
            == sees_split
        ), name
    # costs: the TTO (results whose details it reads); nobody else by default
    assert _ids(ResultCost.objects.restrict(manager, "view")) == {money["cost"].pk}
    for user in (inventor, enterprise_user, official):
        assert not ResultCost.objects.restrict(user, "view").exists()
    # the type-level actions: the TTO alone
    for action_model in (
        (Deal, "add"),
        (ResultCost, "add"),
        (Agreement, "add"),
        (DistributionRule, "add"),
    ):
        assert permissions.permitted(manager, *action_model)
        assert not any(
            permissions.permitted(u, *action_model)
            for u in (inventor, enterprise_user, official, investor, reviewer)
        )


def test_a_switched_off_grant_takes_the_access_away_and_the_children_follow_the_deal(
    money, signed_deal, enterprise_user, inventor
):
    assert _ids(Payment.objects.restrict(enterprise_user, "view")) == {money["payment"].pk}
    _off("enterprise", "landing.payment", None, enterprise_user)
    assert not Payment.objects.restrict(enterprise_user, "view").exists()
    assert Deal.objects.restrict(enterprise_user, "view").exists()  # the deal itself is still there
    # the deal's grant off: everything that hangs off it goes with it, whatever the children's grants say
    _off("inventor", "landing.deal", "covering_own_results", inventor)
    for model in (Payment, PaymentScheduleItem, RoyaltyReport, Distribution, DistributionLine):
        assert (
            not model.objects.restrict(inventor, "view")
            .exclude(**({"party": "person"} if model is DistributionLine else {}))
            .exists()
        ), model
    # a person's own reward line stays theirs (their statement), the deal is no longer named in it
    s = statement(inventor, inventor.person, 2025)
    assert s.total > 0 and all(line.deal is None for line in s.lines)


def test_public_notices_are_public_while_they_run_and_follow_their_grant(
    client, manager, landing_result, enterprise_org
):
    deal = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="2860000",
        actor=manager,
        terms=DealTerms(price_method="negotiated"),
        title="Noticed deal NX5",
    )
    notice = deal_notice_start(
        deal=deal,
        starts_on=dt.date.today(),
        ends_on=dt.date.today() + dt.timedelta(days=14),
        actor=manager,
    )
    assert list(running_notices()) == [notice] and list(running_notices(AnonymousUser())) == [
        notice
    ]
    assert "Noticed deal NX5" in client.get("/en/deals/notices/").content.decode()
    PublicNotice.objects.filter(pk=notice.pk).update(status="withdrawn")
    assert not running_notices().exists()
    assert list(PublicNotice.objects.restrict(manager, "view")) == [
        notice
    ]  # the deal's page still lists it
    PublicNotice.objects.filter(pk=notice.pk).update(status="running")
    _off("anonymous", "landing.publicnotice", "running")
    assert "Noticed deal NX5" not in client.get("/en/deals/notices/").content.decode()


# --- the deal page: panels and amounts over what the viewer may see -------------------------------


def test_the_counterparty_sees_its_payments_but_not_the_internal_split(
    client, money, signed_deal, enterprise_user, inventor, researcher
):
    url = f"/en/deals/{signed_deal.pk}/"
    client.force_login(enterprise_user)
    page = client.get(url).content.decode()
    assert "¥1,000.00" in page  # the payment it made
    assert (
        researcher.name_en not in page
        and "Distribute</button>" not in page
        and "Distributed" in page
    )
    client.force_login(inventor)
    page = client.get(url).content.decode()
    assert researcher.name_en in page  # the owning organisation sees the team's shares


def test_received_so_far_adds_up_only_the_payments_the_viewer_may_see(
    money, signed_deal, enterprise_user, manager
):
    payment_record(
        deal=signed_deal, received_on=dt.date(2025, 3, 11), amount_cny="500.00", actor=manager
    )
    assert deal_page(enterprise_user, signed_deal).received == Decimal("1500.00")
    _off("enterprise", "landing.payment", None, enterprise_user)
    page = deal_page(enterprise_user, signed_deal)
    assert page.received == Decimal("0.00") and page.payments == []
    assert [s.shown_received for s in page.schedule] == [
        Decimal("0.00")
    ]  # the schedule's column follows
    assert deal_page(manager, signed_deal).received == Decimal("1500.00")


def test_the_deal_page_shows_each_action_to_those_granted_it(
    client, money, signed_deal, manager, inventor
):
    client.force_login(inventor)
    page = client.get(f"/en/deals/{signed_deal.pk}/").content.decode()
    for action in ("payments/", "royalties/", "costs/", "schedule/", "terminate/", "edit/"):
        assert f"/deals/{signed_deal.pk}/{action}" not in page, action
    client.force_login(manager)
    page = client.get(f"/en/deals/{signed_deal.pk}/").content.decode()
    for action in ("payments/", "royalties/", "costs/", "schedule/", "terminate/", "edit/"):
        assert f"/deals/{signed_deal.pk}/{action}" in page, action
    # the manager without the payment grant: no payment form; the contract steps stay
    Grant.objects.filter(role="manager", object_type="landing.deal", constraint="all").update(
        actions=["view", "change", "sign"]
    )
    permissions.clear_grant_cache(manager)
    page = client.get(f"/en/deals/{signed_deal.pk}/").content.decode()
    assert (
        f"/deals/{signed_deal.pk}/payments/" not in page
        and f"/deals/{signed_deal.pk}/terminate/" in page
    )


# --- view and service ask the same action ------------------------------------------------------------


def test_recording_a_payment_follows_one_grant_in_the_page_the_service_and_the_api(
    client, signed_deal, manager
):
    from rest_framework.test import APIClient

    Grant.objects.filter(role="manager", object_type="landing.deal").delete()
    Grant.objects.create(
        role="manager",
        object_type="landing.deal",
        constraint="all",
        actions=["view", "change", "sign"],
    )
    permissions.clear_grant_cache(manager)
    events = AuditEvent.objects.count()
    client.force_login(manager)
    response = client.post(
        f"/en/deals/{signed_deal.pk}/payments/", {"received_on": "2025-03-10", "amount_cny": "100"}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionError):
        payment_record(
            deal=signed_deal, received_on=dt.date(2025, 3, 10), amount_cny="100", actor=manager
        )
    api = APIClient()
    api.force_authenticate(manager)
    assert (
        api.post(
            "/api/v1/payments/",
            {"deal": signed_deal.pk, "received_on": "2025-03-10", "amount_cny": "100"},
            format="json",
        ).status_code
        == 403
    )
    assert not Payment.objects.exists() and AuditEvent.objects.count() == events
    # given the grant back, the same three record it
    Grant.objects.filter(role="manager", object_type="landing.deal").update(
        actions=["view", "change", "sign", "record_payment"]
    )
    permissions.clear_grant_cache(manager)
    assert (
        client.post(
            f"/en/deals/{signed_deal.pk}/payments/",
            {"received_on": "2025-03-10", "amount_cny": "100"},
        ).status_code
        == 302
    )
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    "path, data",
    [
        ("edit/", {"amount_cny": "1"}),
        ("sign/", {"signed_on": "2025-03-01"}),
        ("terminate/", {"terminated_on": "2025-04-01", "reason": "x"}),
        ("schedule/", {"kind": "upfront", "amount_cny": "5"}),
        ("royalties/", {}),
        ("costs/", {}),
        ("notice/", {}),
    ],
)
def test_a_party_of_the_deal_is_refused_each_step_with_403_and_nothing_changes(
    client, signed_deal, inventor, enterprise_user, other_inventor, path, data
):
    events, deal = AuditEvent.objects.count(), Deal.objects.values().get(pk=signed_deal.pk)
    for user, status in ((inventor, 403), (enterprise_user, 403), (other_inventor, 404)):
        client.force_login(user)
        assert client.post(f"/en/deals/{signed_deal.pk}/{path}", data).status_code == status, (
            user.username,
            path,
        )
    assert (
        AuditEvent.objects.count() == events
        and Deal.objects.values().get(pk=signed_deal.pk) == deal
    )
    assert (
        not PaymentScheduleItem.objects.exists()
        and not ResultCost.objects.exists()
        and not RoyaltyReport.objects.exists()
    )


def test_creating_a_deal_from_the_result_page(
    client, landing_result, enterprise_org, manager, inventor, other_inventor
):
    url = f"/en/results/{landing_result.pk}/deals/new/"
    body = {"counterparty": enterprise_org.pk, "deal_type": "assignment", "amount_cny": "100"}
    client.force_login(inventor)  # sees the result (their organisation's), may not make deals
    assert client.post(url, body).status_code == 403
    assert "Record deal" not in client.get(f"/en/results/{landing_result.pk}/").content.decode()
    type(landing_result).objects.filter(pk=landing_result.pk).update(is_public=False)
    client.force_login(other_inventor)  # does not see a confidential result of another organisation
    assert client.post(url, body).status_code == 404
    assert not Deal.objects.exists()
    client.force_login(manager)
    assert "Record deal" in client.get(f"/en/results/{landing_result.pk}/").content.decode()
    assert client.post(url, body).status_code == 302 and Deal.objects.count() == 1


def test_the_result_pages_deal_panel_lists_only_the_deals_the_viewer_sees(
    client, landing_result, enterprise_org, manager, inventor, enterprise_user
):
    rival = EnterpriseFactory(name_en="Rival Buyer")
    mine = deal_create(
        results=[landing_result],
        counterparty=enterprise_org,
        deal_type="licence_sole",
        amount_cny="111111",
        title="Mine DL1",
        actor=manager,
    )
    deal_create(
        results=[landing_result],
        counterparty=rival,
        deal_type="licence_sole",
        amount_cny="999999",
        title="Theirs DL2",
        actor=manager,
    )
    url = f"/en/results/{landing_result.pk}/"
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert (
        "Mine DL1" in page
        and "Theirs DL2" in page
        and "¥999,999.00" in page
        and f"/deals/{mine.pk}/sign/" in page
    )
    assert landing_result.is_public  # the enterprise may open the result's page
    client.force_login(enterprise_user)
    page = client.get(url).content.decode()
    assert "Mine DL1" in page and "¥111,111.00" in page
    assert "Theirs DL2" not in page and "¥999,999.00" not in page and "Rival Buyer" not in page
    assert "/sign/" not in page
    client.force_login(inventor)
    page = client.get(url).content.decode()
    assert (
        "Theirs DL2" in page and "/sign/" not in page
    )  # deals covering their organisation's result, no signing


# --- statements, agreements, rules ----------------------------------------------------------------


def test_statements_follow_the_statement_grant(
    client, money, manager, inventor, researcher, second_researcher, enterprise_user
):
    assert {(p.pk, y) for p, y, _t in people_with_statements(manager)} == {
        (researcher.pk, 2025),
        (second_researcher.pk, 2025),
    }
    assert {(p.pk, y) for p, y, _t in people_with_statements(inventor)} == {(researcher.pk, 2025)}
    assert people_with_statements(enterprise_user) == []
    client.force_login(enterprise_user)
    assert client.get(f"/en/deals/statements/{researcher.pk}/2025/").status_code == 404
    # without the grant on their own rewards the person's statement is empty
    _off("inventor", "landing.distributionline", "own_reward", inventor)
    assert statement(inventor, researcher, 2025).lines == []
    assert people_with_statements(inventor) == []


def test_agreements_and_rules_are_recorded_by_those_granted_it(
    client, manager, inventor, enterprise_user, university, enterprise_org, other_university
):
    nda = agreement_create(
        kind="nda",
        title="NDA with the enterprise",
        parties=[university, enterprise_org],
        signed_on=dt.date(2025, 1, 2),
        actor=manager,
    )
    agreement_create(
        kind="nda",
        title="Other NDA",
        parties=[other_university, EnterpriseFactory()],
        signed_on=dt.date(2025, 1, 2),
        actor=manager,
    )
    assert (
        _ids(Agreement.objects.restrict(enterprise_user, "view"))
        == {nda.pk}
        == _ids(Agreement.objects.restrict(inventor, "view"))
    )
    assert Agreement.objects.restrict(manager, "view").count() == 2
    events = AuditEvent.objects.count()
    client.force_login(inventor)
    assert client.post("/en/deals/agreements/", {"kind": "nda", "title": "x"}).status_code == 403
    assert (
        client.post(
            "/en/deals/rules/",
            {"organisation": university.pk, "team_share": "0.9", "legal_source": "x"},
        ).status_code
        == 403
    )
    assert (
        Agreement.objects.count() == 2
        and not DistributionRule.objects.exists()
        and AuditEvent.objects.count() == events
    )
    with pytest.raises(PermissionError):
        rule_set(organisation=university, team_share="0.9", legal_source="x", actor=inventor)
    rule = rule_set(organisation=university, team_share="0.7", legal_source="Rules", actor=manager)[
        0
    ]
    assert _ids(DistributionRule.objects.restrict(inventor, "view")) == {rule.pk}
    assert not DistributionRule.objects.restrict(
        make_user("inventor", other_university, username="inv_b"), "view"
    ).exists()


def test_the_migration_adds_the_new_actions_to_an_existing_sites_default_rows(manager):
    migration = importlib.import_module("opentto.landing.migrations.0003_default_grant_actions")
    Grant.objects.filter(role="manager", object_type="landing.deal", constraint="all").update(
        actions=["change", "figures", "view"]
    )
    Grant.objects.filter(role="admin", object_type="landing.deal", constraint="all").update(
        enabled=False, actions=["view"]
    )
    migration.add_actions(
        apps, type("Editor", (), {"connection": type("C", (), {"alias": "default"})()})()
    )
    manager_row = Grant.objects.get(role="manager", object_type="landing.deal", constraint="all")
    assert manager_row.actions == [
        "add",
        "change",
        "distribute",
        "figures",
        "record_payment",
        "sign",
        "view",
    ]
    admin_row = Grant.objects.get(role="admin", object_type="landing.deal", constraint="all")
    assert not admin_row.enabled  # switched off by the admin: stays off
