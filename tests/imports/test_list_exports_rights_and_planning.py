"""The exports of the agreement list, the public notices, the IP pledge loans and the deal rooms:
each holds exactly the rows its list page shows the caller (same selector), nothing for those the
page shows nothing, formulas written as text, and an xlsx with the same rows. (The targeted R&D
projects' export is tested with their list, in tests/demands/test_views.py.)"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from opentto.accounts.models import User
from opentto.financing.models import PledgeLoan
from opentto.financing.services import ValuationInput, pledge_loan_create, valuation_create
from opentto.imports.exports import EXPORTS
from opentto.landing.models import Agreement, PublicNotice
from opentto.landing.services import DealTerms, agreement_create, deal_create, deal_notice_start
from opentto.organisations.models import Organisation
from opentto.planning.models import DealRoom
from opentto.planning.services import deal_room_create, deal_room_invite, deal_room_set_open
from opentto.results.models import IPAsset, Result
from tests.api import fixtures as api_fixtures
from tests.api.fixtures import World
from tests.factories import OrganisationFactory

from .test_list_exports import exported_ids, rows

pytestmark = pytest.mark.django_db
world = api_fixtures.world  # the fixture: a record of every app resource
LISTS = {
    "agreements": "/en/deals/agreements/",
    "notices": "/en/deals/notices/",
    "pledges": "/en/planning/pledges/",
    "rooms": "/en/planning/rooms/",
}


class More:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


@pytest.fixture
def more(
    world: World,
    manager: User,
    investor: User,
    onboarded: Result,
    confidential_result: Result,
    university: Organisation,
    other_university: Organisation,
    enterprise_org: Organisation,
) -> More:
    ours = agreement_create(
        kind="nda",
        title="=HYPERLINK(evil) NDA on the arm",
        parties=[enterprise_org, university],
        signed_on=dt.date(2025, 2, 1),
        notes="private note N1",
        actor=manager,
    )
    co_owners = agreement_create(
        kind="mta",
        title="Co-owners of the arm",
        parties=[university, other_university],
        results=[onboarded],
        signed_on=dt.date(2025, 1, 1),
        expires_on=dt.date(2026, 1, 1),
        actor=manager,
    )
    deal = deal_create(
        results=[onboarded],
        counterparty=enterprise_org,
        deal_type="licence_non_exclusive",
        amount_cny="860000",
        actor=manager,
        title="Non-exclusive licence of the arm",
        terms=DealTerms(price_method="negotiated"),
    )
    today = timezone.localdate()
    notice = deal_notice_start(
        deal=deal,
        starts_on=today,
        ends_on=today + dt.timedelta(days=14),
        text_en="+objections to the TTO",
        actor=manager,
    )
    bank = OrganisationFactory(name_zh="浦江银行", name_en="Pujiang Bank", kind="bank")
    valuation = valuation_create(
        result=confidential_result,
        data=ValuationInput(
            valuation_date=today,
            revenues=["1000000", "2000000"],
            royalty_rate="0.05",
            tax_rate="0.25",
            discount_rate="0.10",
        ),
        actor=manager,
    )
    patent = IPAsset.objects.create(
        result=confidential_result, ip_kind="invention", application_number="CN202310000009.X"
    )
    loan = pledge_loan_create(
        result=confidential_result,
        lender=bank,
        valuation=valuation,
        ip_assets=[patent],
        amount_cny="10000",
        term_months=12,
        annual_rate="0.035",
        actor=manager,
    )
    open_room = deal_room_create(result=onboarded, title="Angel round of the arm", actor=manager)
    closed_room = deal_room_create(
        result=confidential_result, title="Closed room of the chip", actor=manager
    )
    for room in (open_room, closed_room):
        deal_room_invite(room=room, user=investor, actor=manager)
    deal_room_set_open(room=closed_room, is_open=False, actor=manager)
    return More(
        ours=ours,
        co_owners=co_owners,
        notice=notice,
        loan=loan,
        open_room=open_room,
        closed_room=closed_room,
    )


def test_the_new_lists_are_registered() -> None:
    assert {"agreements", "notices", "pledges", "rooms", "projects"} <= set(EXPORTS)
    assert [
        EXPORTS[w].signed_in for w in ("agreements", "notices", "pledges", "rooms", "projects")
    ] == [True, False, True, True, True]


def test_anonymous_callers_get_the_public_notices_only(client: Any, more: More) -> None:
    for what in ("agreements", "pledges", "rooms"):
        assert client.get(f"/en/imports/export/{what}.csv").status_code == 404, what
        assert client.get(f"/en/imports/export/{what}.xlsx").status_code == 404, what
    assert exported_ids(client, "notices") == {more.notice.pk}
    assert client.get("/en/imports/export/notices.xlsx").status_code == 200


def _titles(what: str, m: More) -> dict[int, str]:
    """Each exportable object's text as its list page shows it."""
    return {
        "agreements": {m.ours.pk: "NDA on the arm", m.co_owners.pk: "Co-owners of the arm"},
        "notices": {m.notice.pk: "Non-exclusive licence of the arm"},
        "pledges": {m.loan.pk: "Pujiang Bank"},
        "rooms": {
            m.open_room.pk: "Angel round of the arm",
            m.closed_room.pk: "Closed room of the chip",
        },
    }[what]


def test_each_export_holds_exactly_the_rows_of_its_page(
    client: Any,
    more: More,
    manager: User,
    enterprise_user: User,
    inventor: User,
    other_inventor: User,
    investor: User,
) -> None:
    m = more
    expected: dict[str, dict[str, set[int]]] = {
        "agreements": {
            "manager": {m.ours.pk, m.co_owners.pk},
            "enterprise": {m.ours.pk},
            "inventor": {m.ours.pk, m.co_owners.pk},
            "other": {m.co_owners.pk},
            "investor": set(),
        },
        "notices": {
            who: {m.notice.pk} for who in ("manager", "enterprise", "inventor", "other", "investor")
        },
        "pledges": {
            "manager": {m.loan.pk},
            "enterprise": set(),
            "inventor": set(),
            "other": set(),
            "investor": set(),
        },
        "rooms": {
            "manager": {m.open_room.pk, m.closed_room.pk},
            "enterprise": set(),
            "inventor": set(),
            "other": set(),
            "investor": {m.open_room.pk},
        },
    }
    users = {
        "manager": manager,
        "enterprise": enterprise_user,
        "inventor": inventor,
        "other": other_inventor,
        "investor": investor,
    }
    for who, user in users.items():
        client.force_login(user)
        for what, by_user in expected.items():
            got = exported_ids(client, what)
            assert got == by_user[who], (what, who)
            sheet = openpyxl.load_workbook(
                io.BytesIO(client.get(f"/en/imports/export/{what}.xlsx").content)
            ).active
            assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == got, (
                what,
                who,
            )
            # the list page shows the same objects (or is not there at all when it would show none)
            page = client.get(LISTS[what])
            if page.status_code == 404:
                assert got == set(), (what, who)
                continue
            assert page.status_code == 200, (what, who)
            body = page.content.decode()
            for pk, text in _titles(what, m).items():
                assert (text in body) == (pk in got), (what, who, text)


def test_the_columns_are_the_pages_and_formulas_are_text(
    client: Any, more: More, manager: User, enterprise_user: User, confidential_result: Result
) -> None:
    client.force_login(manager)
    agreements = {int(r["id"]): r for r in rows(client.get("/en/imports/export/agreements.csv"))}
    ours = agreements[more.ours.pk]
    assert (
        ours["title"] == "'=HYPERLINK(evil) NDA on the arm"
        and ours["kind"] == "nda"
        and ours["signed_on"] == "2025-02-01"
    )
    assert "notes" not in ours and "private note N1" not in str(
        agreements
    )  # the page does not show the notes
    assert (
        agreements[more.co_owners.pk]["shares"],
        agreements[more.co_owners.pk]["expires_on"],
        ours["expires_on"],
    ) == ("", "2026-01-01", "")
    assert agreements[more.co_owners.pk]["parties"] == "交叉信息研究院;另一所大学"
    notice = rows(client.get("/en/imports/export/notices.csv"))[0]
    assert (notice["deal_title"], notice["price_cny"], notice["text_en"]) == (
        "Non-exclusive licence of the arm",
        "860000.00",
        "'+objections to the TTO",
    )
    loan = rows(client.get("/en/imports/export/pledges.csv"))[0]
    assert (loan["lender"], loan["amount_cny"], loan["status"], loan["result_title_en"]) == (
        "浦江银行",
        "10000.00",
        "applied",
        confidential_result.title_en,
    )
    assert loan["patents"] == ";".join(
        sorted(a.application_number for a in confidential_result.ip_assets.all())
    )
    assert Decimal(loan["valuation_cny"]) == PledgeLoan.objects.get().valuation.concluded_value_cny
    room = next(
        r
        for r in rows(client.get("/en/imports/export/rooms.csv"))
        if int(r["id"]) == more.open_room.pk
    )
    assert room == {
        "id": str(more.open_room.pk),
        "title": "Angel round of the arm",
        "field": more.open_room.result.field,
        "trl": str(more.open_room.result.trl),
    }
    # the enterprise is not told about the pledged confidential result
    client.force_login(enterprise_user)
    for what in ("agreements", "notices", "pledges", "rooms"):
        body = b"".join(client.get(f"/en/imports/export/{what}.csv").streaming_content).decode(
            "utf-8-sig"
        )
        assert confidential_result.title_en not in body and "Pujiang" not in body, what


def test_each_new_list_page_has_the_export_control(client: Any, more: More, manager: User) -> None:
    client.force_login(manager)
    for what, page in LISTS.items():
        response = client.get(page + "?x=1")
        assert response.status_code == 200, page
        body = response.content.decode()
        assert (
            f"/en/imports/export/{what}.csv?x=1" in body
            and f"/en/imports/export/{what}.xlsx?x=1" in body
        ), page
    assert (
        Agreement.objects.count() == 2
        and PublicNotice.objects.count() == 1
        and DealRoom.objects.count() == 2
    )
