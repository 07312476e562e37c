"""The planning pages follow the grants: the forms a page offers, the writes it accepts (403 for a
visible object, 404 for one the user may not see, nothing changed on a refusal), and the related
records a page or panel prints (only those the viewer may see: titles, amounts, counts)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from opentto.core import permissions
from opentto.core.models import AuditEvent, Grant
from opentto.financing.models import PoolAsset
from opentto.financing.services import ValuationInput, pool_asset_add, pool_create, valuation_create
from opentto.landing.models import Deal
from opentto.notifications.models import Notification
from opentto.patents.services import (
    FilingInput,
    calendar_feed_get_or_create,
    deadline_reminders_send,
    family_create,
    filing_create,
)
from opentto.planning.models import (
    DealRoom,
    DealRoomInvite,
    ServiceLogEntry,
    TransferOption,
    TransferPlan,
)
from opentto.planning.services import (
    deal_room_create,
    deal_room_invite,
    plan_create,
    plan_option_add,
    plan_submit,
    service_log_record,
    task_create,
)
from opentto.results.services import IPAssetInput, result_onboard
from tests.conftest import make_user, result_input
from tests.factories import EnterpriseFactory

LICENCE = {
    "licence_type": "exclusive",
    "territory": "CN",
    "term_years": "5",
    "royalty_rate": "0.05",
}


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def take_action(role: str, object_type: str, action: str, *users: Any) -> None:
    """Remove one action from a role's default grant on a type (the admin's edit in the admin site)."""
    grant = Grant.objects.get(role=role, object_type=object_type, constraint="all")
    assert action in grant.actions
    grant.actions = [a for a in grant.actions if a != action]
    grant.save()
    for user in users:
        permissions.clear_grant_cache(user)


def audit_count() -> int:
    return AuditEvent.objects.count()


@pytest.mark.django_db
def test_a_manager_without_the_plan_grant_reads_the_workspace_but_adds_nothing(
    in_planning, manager
):
    client = client_for(manager)
    assert (
        b"Start a new draft plan" in client.get(f"/en/planning/results/{in_planning.pk}/").content
    )
    take_action("manager", "results.result", "plan", manager)
    page = client.get(f"/en/planning/results/{in_planning.pk}/")
    assert page.status_code == 200 and b"Start a new draft plan" not in page.content
    assert (
        b"Add a patent family"
        not in client.get(f"/en/planning/results/{in_planning.pk}/ip/").content
    )
    before = audit_count()
    assert (
        client.post(
            f"/en/planning/results/{in_planning.pk}/plans/new/",
            {"transfer_mode": "licence", "summary_en": "x"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/en/planning/results/{in_planning.pk}/tasks/",
            {"title": "t", "kind": "legal", "owner": manager.pk, "due_on": "2027-01-01"},
        ).status_code
        == 403
    )
    assert TransferPlan.objects.count() == 0 and audit_count() == before
    with pytest.raises(PermissionError):
        plan_create(result=in_planning, actor=manager)
    assert client.get("/en/planning/").status_code == 404  # the planning desk is for those who plan


@pytest.mark.django_db
def test_deciding_on_a_plan_is_its_own_grant(in_planning, manager, admin_user):
    plan = plan_create(
        result=in_planning, transfer_mode="licence", summary_en="Licence.", actor=manager
    )
    plan_option_add(plan=plan, mode="licence", terms=LICENCE, actor=manager)
    plan_submit(plan=plan, actor=manager)
    client = client_for(manager)
    assert b'data-verb="approve"' in client.get(f"/en/planning/results/{in_planning.pk}/").content
    take_action("manager", "planning.transferplan", "decide", manager)
    page = client.get(f"/en/planning/results/{in_planning.pk}/").content
    assert b'data-verb="approve"' not in page and b'data-verb="reject"' not in page
    assert b"Plans awaiting approval" in client.get("/en/planning/").content
    assert not client.get("/en/planning/").context["awaiting"].exists()
    before = audit_count()
    assert client.post(f"/en/planning/plans/{plan.pk}/approve/", {"note": "ok"}).status_code == 403
    assert client.post(f"/en/planning/plans/{plan.pk}/reject/", {"note": "no"}).status_code == 403
    plan.refresh_from_db()
    assert plan.status == "submitted" and audit_count() == before
    assert (
        client_for(admin_user)
        .post(f"/en/planning/plans/{plan.pk}/approve/", {"note": "ok"})
        .status_code
        == 302
    )
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_by == admin_user


@pytest.mark.django_db
def test_outsiders_do_not_see_the_planning_of_a_public_result(
    in_planning, manager, inventor, enterprise_user, other_inventor
):
    """The result's page is public; its plans are not: outsiders get 404 on a plan's URLs (not 403,
    which would confirm the plan exists); the owning organisation's inventor sees it, read only (403)."""
    plan = plan_create(
        result=in_planning, transfer_mode="licence", summary_en="Licence.", actor=manager
    )
    option = plan_option_add(plan=plan, mode="licence", terms=LICENCE, actor=manager)
    before = audit_count()
    for user, status in ((enterprise_user, 404), (other_inventor, 404), (inventor, 403)):
        client = client_for(user)
        assert (
            client.post(
                f"/en/planning/plans/{plan.pk}/edit/",
                {"transfer_mode": "assignment", "summary_en": "x"},
            ).status_code
            == status
        )
        assert client.post(f"/en/planning/options/{option.pk}/remove/").status_code == status
        assert client.post(f"/en/planning/plans/{plan.pk}/submit/").status_code == status
    plan.refresh_from_db()
    assert (plan.status, plan.transfer_mode, plan.summary_en) == ("draft", "licence", "Licence.")
    assert TransferOption.objects.filter(pk=option.pk).exists() and audit_count() == before


@pytest.mark.django_db
def test_an_invited_investor_sees_the_room_but_does_not_change_it(in_planning, manager, investor):
    room = deal_room_create(result=in_planning, title="Series A", actor=manager)
    deal_room_invite(room=room, user=investor, actor=manager)
    other = make_user("investor", username="investor2")
    client = client_for(investor)
    page = client.get(f"/en/planning/rooms/{room.pk}/")
    assert (
        page.status_code == 200
        and b"Invited investors" not in page.content
        and b"Close the room" not in page.content
    )
    before = audit_count()
    assert (
        client.post(f"/en/planning/rooms/{room.pk}/invite/", {"user": other.pk}).status_code == 403
    )
    assert client.post(f"/en/planning/rooms/{room.pk}/toggle/").status_code == 403
    room.refresh_from_db()
    assert (
        room.is_open
        and list(DealRoomInvite.objects.values_list("user", flat=True)) == [investor.pk]
        and audit_count() == before
    )
    # Anyone else: the room does not exist for them.
    assert client_for(other).post(f"/en/planning/rooms/{room.pk}/toggle/").status_code == 404
    # Who may be invited is a grant too: without it, the investor is refused and absent from the choice.
    take_action("investor", "planning.dealroominvite", "receive")
    assert b"investor2" not in client_for(manager).get(f"/en/planning/rooms/{room.pk}/").content
    assert (
        client_for(manager)
        .post(f"/en/planning/rooms/{room.pk}/invite/", {"user": other.pk})
        .status_code
        == 302
    )
    assert not DealRoomInvite.objects.filter(user=other).exists()


@pytest.mark.django_db
def test_the_panel_and_the_workspace_print_only_the_records_the_viewer_may_see(
    in_planning, manager, inventor
):
    service_log_record(
        result=in_planning,
        kind="legal",
        hours="2",
        notes="Reviewed the licence draft LOG77",
        occurred_on=timezone.localdate(),
        actor=manager,
    )
    task_create(
        result=in_planning,
        title="Call the licensee TASK55",
        kind="legal",
        owner=manager,
        due_on=timezone.localdate(),
        actor=manager,
    )
    client = client_for(inventor)
    assert (
        "LOG77" in client.get(f"/en/planning/results/{in_planning.pk}/services/").content.decode()
    )
    Grant.objects.filter(role="inventor", object_type="planning.servicelogentry").update(
        enabled=False
    )
    services = client.get(f"/en/planning/results/{in_planning.pk}/services/").content.decode()
    assert "LOG77" not in services and "TASK55" in services and "Nothing logged yet." in services
    result_page = client.get(f"/en/results/{in_planning.pk}/").content.decode()
    assert "Operations planning" in result_page and "LOG77" not in result_page
    assert ServiceLogEntry.objects.filter(notes__contains="LOG77").exists()
    # Without reading the result's planning at all, no panel and no workspace.
    Grant.objects.filter(
        role="inventor", object_type="results.result", constraint="details_readable"
    ).update(enabled=False)
    assert client.get(f"/en/planning/results/{in_planning.pk}/").status_code == 404
    assert (
        "Open the planning workspace"
        not in client.get(f"/en/results/{in_planning.pk}/").content.decode()
    )


@pytest.mark.django_db
def test_a_pool_shows_a_viewer_only_the_licences_of_results_they_may_see(
    manager, official, university, researcher, in_planning
):
    """A role granted the pools (here: district officials, by the admin) sees the licences of results
    it may see: a confidential result's title, amount and share stay out, and the totals with them."""
    secret = result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_en="Secret pooled result SP9",
            title_zh="保密池成果SP9",
            is_public=False,
            ip_assets=[IPAssetInput(application_number="CN202310000001.5", ip_kind="invention")],
        ),
        actor=manager,
    )
    pool = pool_create(name_en="District pool", actor=manager)
    licensee = EnterpriseFactory(name_en="Licensee Co")
    pool_asset_add(
        pool=pool,
        result=in_planning,
        licensee=licensee,
        cash_flows=[("2027", "300")],
        actor=manager,
    )
    pool_asset_add(
        pool=pool, result=secret, licensee=licensee, cash_flows=[("2027", "98765")], actor=manager
    )
    for object_type, constraint in (
        ("financing.securitisationpool", "all"),
        ("financing.poolasset", "with_pool_and_result"),
        ("financing.poolcashflow", "with_asset"),
    ):
        Grant.objects.create(
            role="official", object_type=object_type, constraint=constraint, actions=["view"]
        )
    page = client_for(official).get(f"/en/planning/pools/{pool.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and in_planning.title_en in body
    assert "SP9" not in body and "98,765" not in body
    assert page.context["summary"].total == Decimal("300.00") and len(page.context["assets"]) == 1
    assert "Edit pool" not in body and "Add a licence to the pool" not in body
    before = audit_count()
    assert (
        client_for(official)
        .post(
            f"/en/planning/pools/{pool.pk}/",
            {"result": in_planning.pk, "licensee": licensee.pk, "cash_flows": "2028 | 1"},
        )
        .status_code
        == 403
    )
    asset = PoolAsset.objects.get(result=in_planning)
    assert (
        client_for(official).post(f"/en/planning/pool-licences/{asset.pk}/remove/").status_code
        == 403
    )
    hidden = PoolAsset.objects.get(result=secret)
    assert (
        client_for(official).post(f"/en/planning/pool-licences/{hidden.pk}/remove/").status_code
        == 404
    )
    assert PoolAsset.objects.count() == 2 and audit_count() == before
    # The manager sees both.
    assert "SP9" in client_for(manager).get(f"/en/planning/pools/{pool.pk}/").content.decode()


@pytest.mark.django_db
def test_the_memo_does_not_name_a_comparable_deal_the_reader_may_not_see(
    in_planning, manager, enterprise_org
):
    deal = Deal.objects.create(
        title="Comparable CD3",
        counterparty=enterprise_org,
        deal_type="assignment",
        amount_cny="500000.00",
        status="signed",
        signed_on=dt.date(2025, 3, 1),
        created_by=manager,
    )
    valuation = valuation_create(
        result=in_planning,
        data=ValuationInput(
            valuation_date=timezone.localdate(),
            revenues=["1000000"],
            royalty_rate="0.05",
            tax_rate="0.25",
            discount_rate="0.10",
            comparable_deal_ids=[deal.pk],
            concluded_method="market",
        ),
        actor=manager,
    )
    assert (
        f"#{deal.pk}"
        in client_for(manager).get(f"/en/planning/valuations/{valuation.pk}/").content.decode()
    )
    take_action("manager", "landing.deal", "view", manager)
    body = client_for(manager).get(f"/en/planning/valuations/{valuation.pk}/").content.decode()
    assert (
        f"#{deal.pk}<" not in body and "2025-03-01" not in body and "¥500,000.00" in body
    )  # the recorded amount is the valuation's


@pytest.mark.django_db
def test_a_reminder_goes_to_the_manager_only_while_they_may_see_the_deadline(
    in_planning, manager, second_manager, other_university
):
    family = family_create(
        result=in_planning,
        kind="invention",
        title_en="Arm",
        target_offices=["CN"],
        manager=second_manager,
        actor=manager,
    )
    filing_create(
        family=family,
        data=FilingInput(
            office="CN",
            route="first",
            filing_date=dt.date(2024, 1, 31),
            grant_date=dt.date(2026, 6, 15),
        ),
        actor=manager,
    )
    # The family's manager left the TTO for another university: the result's title is not theirs to read.
    second_manager.role, second_manager.organisation = "inventor", other_university
    second_manager.save()
    assert deadline_reminders_send(today=dt.date(2026, 12, 5)) == 1
    notice = Notification.objects.get()
    assert notice.recipient == manager and in_planning.title_en in notice.title_en
    assert not Notification.objects.filter(recipient=second_manager).exists()


@pytest.mark.django_db
def test_the_feed_reads_with_its_owners_grants(in_planning, manager):
    family = family_create(
        result=in_planning,
        kind="invention",
        title_en="Arm",
        target_offices=["CN"],
        manager=manager,
        actor=manager,
    )
    filing_create(
        family=family,
        data=FilingInput(
            office="CN",
            route="first",
            filing_date=dt.date(2024, 1, 31),
            grant_date=dt.date(2026, 6, 15),
        ),
        actor=manager,
    )
    feed = calendar_feed_get_or_create(user=manager)
    assert (
        "BEGIN:VEVENT" in Client().get(f"/en/planning/calendar/{feed.token}.ics").content.decode()
    )
    Grant.objects.filter(role="manager", object_type="patents.filingdeadline").update(enabled=False)
    body = Client().get(f"/en/planning/calendar/{feed.token}.ics").content.decode()
    assert "BEGIN:VCALENDAR" in body and "BEGIN:VEVENT" not in body
    Grant.objects.filter(
        role="manager", object_type="patents.calendarfeed", constraint="own"
    ).update(enabled=False)
    assert Client().get(f"/en/planning/calendar/{feed.token}.ics").status_code == 404


@pytest.mark.django_db
def test_the_workload_report_is_a_grant(manager):
    assert client_for(manager).get("/en/planning/workload/").status_code == 200
    take_action("manager", "planning.servicelogentry", "figures", manager)
    assert client_for(manager).get("/en/planning/workload/").status_code == 404


@pytest.mark.django_db
def test_deal_rooms_list_for_those_with_a_room_grant(manager, investor, inventor):
    assert (
        client_for(investor).get("/en/planning/rooms/").status_code == 200
    )  # none yet: an empty list
    assert client_for(inventor).get("/en/planning/rooms/").status_code == 404
    Grant.objects.filter(role="investor", object_type="planning.dealroom").update(enabled=False)
    assert client_for(investor).get("/en/planning/rooms/").status_code == 404
    assert DealRoom.objects.count() == 0
