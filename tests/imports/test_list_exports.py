"""Every list exports to CSV and xlsx through the one mechanism: the rows the list shows that
user (same selector, same filters), nothing confidential for those who may not read it, formulas
written as text, and an xlsx that opens."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from opentto.accounts.models import User
from opentto.imports.exports import EXPORTS
from opentto.results.models import Result
from tests.api import fixtures as api_fixtures
from tests.api.fixtures import World

pytestmark = pytest.mark.django_db
world = api_fixtures.world  # the fixture: a record of every app resource


def rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def exported_ids(client: Any, what: str, **query: str) -> set[int]:
    return {int(r["id"]) for r in rows(client.get(f"/en/imports/export/{what}.csv", query))}


def test_every_list_is_registered() -> None:
    assert {
        "results",
        "organisations",
        "people",
        "demands",
        "matches",
        "deals",
        "payments",
        "evaluations",
        "plans",
        "subsidy-applications",
        "subsidy-programmes",
    } <= set(EXPORTS)


def test_signed_in_lists_refuse_anonymous_callers(client: Any, world: World) -> None:
    for what in (
        "demands",
        "matches",
        "deals",
        "payments",
        "evaluations",
        "plans",
        "subsidy-applications",
    ):
        assert client.get(f"/en/imports/export/{what}.csv").status_code == 404, what
        assert client.get(f"/en/imports/export/{what}.xlsx").status_code == 404, what
    assert client.get("/en/imports/export/nothing.csv").status_code == 404
    assert client.get("/en/imports/export/demands.pdf").status_code == 404
    assert [r["code"] for r in rows(client.get("/en/imports/export/subsidy-programmes.csv"))] == [
        "xuhui"
    ]


def test_exports_hold_what_each_list_shows(
    client: Any,
    world: World,
    manager: User,
    enterprise_user: User,
    inventor: User,
    other_inventor: User,
) -> None:
    expected: dict[str, dict[str, set[int]]] = {
        "demands": {
            "manager": {world.public_demand.pk, world.secret_demand.pk},
            "enterprise": {world.public_demand.pk, world.secret_demand.pk},
            "inventor": {world.public_demand.pk},
            "other": {world.public_demand.pk},
        },
        "matches": {
            "manager": {world.match.pk},
            "enterprise": {world.match.pk},
            "inventor": {world.match.pk},
            "other": set(),
        },
        "deals": {
            "manager": {world.deal.pk},
            "enterprise": {world.deal.pk},
            "inventor": {world.deal.pk},
            "other": set(),
        },
        "payments": {
            "manager": {world.payment.pk},
            "enterprise": {world.payment.pk},
            "inventor": {world.payment.pk},
            "other": set(),
        },
        "evaluations": {
            "manager": {world.round.pk},
            "enterprise": set(),
            "inventor": {world.round.pk},
            "other": set(),
        },
        "plans": {
            "manager": {world.plan.pk},
            "enterprise": set(),
            "inventor": {world.plan.pk},
            "other": set(),
        },
        "subsidy-applications": {
            "manager": {world.application.pk, world.other_application.pk},
            "enterprise": {world.application.pk},
            "inventor": set(),
            "other": {world.other_application.pk},
        },
    }
    users = {
        "manager": manager,
        "enterprise": enterprise_user,
        "inventor": inventor,
        "other": other_inventor,
    }
    for who, user in users.items():
        client.force_login(user)
        for what, by_user in expected.items():
            assert exported_ids(client, what) == by_user[who], (what, who)


def test_exports_apply_the_lists_filters(client: Any, world: World, manager: User) -> None:
    client.force_login(manager)
    assert exported_ids(client, "demands", status="matched") == {world.public_demand.pk}
    assert exported_ids(client, "demands", status="bogus") == {
        world.public_demand.pk,
        world.secret_demand.pk,
    }
    assert exported_ids(client, "matches", status="declined") == set()
    assert exported_ids(client, "deals", status="draft") == set()
    assert exported_ids(client, "payments", status="draft") == set()  # payments of the deals listed
    assert exported_ids(client, "payments", deal=str(world.deal.pk)) == {world.payment.pk}
    assert exported_ids(client, "evaluations", status="open") == set()
    assert exported_ids(client, "plans", status="approved") == {world.plan.pk}
    assert exported_ids(client, "subsidy-applications", status="approved") == set()


def test_nothing_confidential_for_those_who_may_not_read_it(
    client: Any, world: World, enterprise_user: User, inventor: User, confidential_result: Result
) -> None:
    client.force_login(inventor)
    evaluation = rows(client.get("/en/imports/export/evaluations.csv"))
    text = str(evaluation)
    assert (
        evaluation[0]["recommendation"] == "proceed" and "Ada" not in text and "rev_" not in text
    )  # reviewers never named
    client.force_login(enterprise_user)
    deals = rows(client.get("/en/imports/export/deals.csv"))
    assert deals[0]["results"] == str(world.deal.results.get().pk)
    body = b"".join(
        client.get("/en/imports/export/subsidy-applications.csv").streaming_content
    ).decode("utf-8-sig")
    assert confidential_result.title_en not in body and "secret parameter" not in body
    matches = b"".join(client.get("/en/imports/export/matches.csv").streaming_content).decode(
        "utf-8-sig"
    )
    assert confidential_result.title_en not in matches


def test_formulas_are_neutralised_and_xlsx_opens(client: Any, world: World, manager: User) -> None:
    client.force_login(manager)
    demand = next(
        r
        for r in rows(client.get("/en/imports/export/demands.csv"))
        if int(r["id"]) == world.public_demand.pk
    )
    assert demand["title_zh"] == "'=SUM(A1:A9) robot arm"
    payment = rows(client.get("/en/imports/export/payments.csv"))[0]
    assert payment["note"] == "'@first instalment" and payment["amount_cny"] == "250000.00"
    for what in (
        "demands",
        "matches",
        "deals",
        "payments",
        "evaluations",
        "plans",
        "subsidy-applications",
        "subsidy-programmes",
    ):
        response = client.get(f"/en/imports/export/{what}.xlsx")
        assert response.status_code == 200 and response["Content-Type"].startswith(
            "application/vnd.openxmlformats"
        ), what
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][0] == "id" and len(values) >= 2, what
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), (
            what
        )  # never a formula
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/en/imports/export/demands.xlsx").content)
    ).active
    titles = {row[1].value: row[1] for row in sheet.iter_rows(min_row=2)}
    title = titles[
        "=SUM(A1:A9) robot arm"
    ]  # the text as it is, shown as text (Excel's quote prefix)
    assert title.data_type == "s" and title.quotePrefix


def test_each_list_page_has_the_export_control(client: Any, world: World, manager: User) -> None:
    client.force_login(manager)
    pages = {
        "/en/demands/?status=matched": "/en/imports/export/demands.csv?status=matched",
        "/en/demands/matches/": "/en/imports/export/matches.xlsx",
        "/en/deals/": "/en/imports/export/payments.csv",
        "/en/evaluations/": "/en/imports/export/evaluations.csv",
        "/en/subsidies/applications/": "/en/imports/export/subsidy-applications.xlsx",
        "/en/subsidies/": "/en/imports/export/subsidy-programmes.csv",
        "/en/planning/": "/en/imports/export/plans.csv",
    }
    for page, link in pages.items():
        response = client.get(page)
        assert response.status_code == 200, page
        assert link in response.content.decode(), page
