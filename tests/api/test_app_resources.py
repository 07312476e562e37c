"""The app resources of the API (demands, matches, evaluations, plans, payments, subsidy
applications): each lists exactly what the app's selectors give the caller, answers 404 for the
rest, hides what the caller may not read, and writes only through the services."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from opentto.accounts.models import User
from opentto.demands.models import Demand
from opentto.landing.models import Payment
from opentto.organisations.models import Organisation
from opentto.results.models import Result

from . import fixtures as api_fixtures
from .fixtures import World
from .test_api import client_for, ids

pytestmark = pytest.mark.django_db
world = api_fixtures.world  # the fixture: a record of every app resource


def status_of(client: APIClient, url: str) -> int:
    return client.get(url).status_code


def test_demands_follow_the_demand_rules(
    world: World, manager: User, enterprise_user: User, inventor: User
) -> None:
    public, secret = world.public_demand.pk, world.secret_demand.pk
    assert ids(APIClient().get("/api/v1/demands/")) == set()  # anonymous: none
    assert status_of(APIClient(), f"/api/v1/demands/{public}/") == 404
    assert ids(client_for(manager).get("/api/v1/demands/")) == {public, secret}
    assert ids(client_for(enterprise_user).get("/api/v1/demands/")) == {public, secret}
    assert ids(client_for(inventor).get("/api/v1/demands/")) == {public}
    assert status_of(client_for(inventor), f"/api/v1/demands/{secret}/") == 404
    row = client_for(inventor).get(f"/api/v1/demands/{public}/").json()
    assert (
        row["budget_max_cny"] == "500000.00"
        and row["organisation"]["name_zh"]
        and row["confidential"] is False
    )
    assert row["status"] == "matched" and row["cooperation"] == ["licence"]
    # filters and ordering
    client = client_for(manager)
    assert ids(client.get("/api/v1/demands/", {"status": "matched"})) == {public}
    assert ids(client.get("/api/v1/demands/", {"status": "bogus"})) == {public, secret}
    first = client.get("/api/v1/demands/", {"ordering": "id", "page_size": 1}).json()
    assert [r["id"] for r in first["results"]] == [public] and first["next"]


def test_a_demand_is_posted_through_the_service(
    enterprise_user: User, enterprise_org: Organisation, inventor: User
) -> None:
    body = {
        "title_zh": "需要视觉检测",
        "problem_en": "Defect detection on a line.",
        "cooperation": ["licence"],
        "publish": True,
        "is_public": True,
    }
    read_only = client_for(enterprise_user).post("/api/v1/demands/", body, format="json")
    assert (
        read_only.status_code == 403 and not Demand.objects.exists()
    )  # a read token may not write
    refused = client_for(inventor, "write").post("/api/v1/demands/", body, format="json")
    assert refused.status_code == 403 and not Demand.objects.exists()
    invalid = client_for(enterprise_user, "write").post(
        "/api/v1/demands/", {**body, "cooperation": []}, format="json"
    )
    assert invalid.status_code == 400 and not Demand.objects.exists()
    anonymous = APIClient().post("/api/v1/demands/", body, format="json")
    assert anonymous.status_code in {401, 403} and not Demand.objects.exists()
    created = client_for(enterprise_user, "write").post("/api/v1/demands/", body, format="json")
    assert created.status_code == 201, created.content
    demand = Demand.objects.get()
    assert (demand.organisation_id, demand.status, demand.created_by_id) == (
        enterprise_org.pk,
        "open",
        enterprise_user.pk,
    )
    assert created.json()["id"] == demand.pk


def test_matches_and_a_demands_ranked_results(
    world: World, manager: User, enterprise_user: User, inventor: User, other_inventor: User
) -> None:
    match = world.match.pk
    assert ids(client_for(manager).get("/api/v1/matches/")) == {match}
    assert ids(client_for(enterprise_user).get("/api/v1/matches/")) == {match}
    assert ids(client_for(inventor).get("/api/v1/matches/")) == {
        match
    }  # a match on their organisation's result
    assert ids(client_for(other_inventor).get("/api/v1/matches/")) == set()
    assert status_of(client_for(other_inventor), f"/api/v1/matches/{match}/") == 404
    assert (
        ids(client_for(manager).get("/api/v1/matches/", {"demand": world.secret_demand.pk}))
        == set()
    )
    row = client_for(enterprise_user).get(f"/api/v1/matches/{match}/").json()
    assert row["demand"]["id"] == world.public_demand.pk and row["status"] == "contacted"
    # ranked results: only for the demand's enterprise and the managers, and only visible results
    url = f"/api/v1/demands/{world.public_demand.pk}/matches/"
    assert status_of(client_for(inventor), url) == 404
    ranked = client_for(enterprise_user).get(url)
    assert ranked.status_code == 200, ranked.content
    shown = {r["result"]["id"] for r in ranked.json()["results"]}
    assert (
        world.round.result_id not in shown
    )  # the confidential result is never offered to the enterprise


def test_a_results_matching_demands(
    world: World, manager: User, inventor: User, other_inventor: User, onboarded: Result
) -> None:
    response = client_for(manager).get(f"/api/v1/results/{onboarded.pk}/demands/")
    assert response.status_code == 200
    assert response.json()["matches"] == [world.match.pk]
    assert (
        client_for(other_inventor).get(f"/api/v1/results/{onboarded.pk}/demands/").json()["matches"]
        == []
    )
    assert status_of(APIClient(), f"/api/v1/results/{world.round.result_id}/demands/") == 404


def test_evaluations_hide_reviewer_identities(
    world: World, manager: User, inventor: User, other_inventor: User, enterprise_user: User
) -> None:
    round_id = world.round.pk
    assert ids(client_for(manager).get("/api/v1/evaluations/")) == {round_id}
    assert ids(client_for(inventor).get("/api/v1/evaluations/")) == {
        round_id
    }  # finalised, their organisation's result
    for user in (other_inventor, enterprise_user):
        assert ids(client_for(user).get("/api/v1/evaluations/")) == set()
        assert status_of(client_for(user), f"/api/v1/evaluations/{round_id}/") == 404
    assert status_of(APIClient(), f"/api/v1/evaluations/{round_id}/") == 404
    staff = client_for(manager).get(f"/api/v1/evaluations/{round_id}/").json()
    assert sorted(r["reviewer"]["name"] for r in staff["reviews"]) == [
        "Ada Reviewer",
        "Bo Reviewer",
    ]
    mine = client_for(inventor).get(f"/api/v1/evaluations/{round_id}/")
    assert [(r["label"], r["reviewer"]) for r in mine.json()["reviews"]] == [
        ("Reviewer 1", None),
        ("Reviewer 2", None),
    ]
    assert "Ada" not in mine.content.decode() and "rev_Ada" not in mine.content.decode()
    assert (
        mine.json()["recommendation"] == "proceed"
        and mine.json()["transfer_modes"] == ["licence"]
        and mine.json()["is_blind"] is True
    )
    assert ids(client_for(manager).get("/api/v1/evaluations/", {"status": "open"})) == set()
    # a reviewer gets nothing from the list (their assignments are on their own page)
    reviewer = User.objects.get(username="rev_Ada")
    assert ids(client_for(reviewer).get("/api/v1/evaluations/")) == set()


def test_plans_with_their_terms(
    world: World, manager: User, inventor: User, other_inventor: User, enterprise_user: User
) -> None:
    plan = world.plan.pk
    assert ids(client_for(manager).get("/api/v1/plans/")) == {plan}
    assert ids(client_for(inventor).get("/api/v1/plans/")) == {plan}
    for user in (other_inventor, enterprise_user):
        assert ids(client_for(user).get("/api/v1/plans/")) == set()
        assert status_of(client_for(user), f"/api/v1/plans/{plan}/") == 404
    assert ids(APIClient().get("/api/v1/plans/")) == set()
    row = client_for(manager).get(f"/api/v1/plans/{plan}/").json()
    assert (
        row["status"] == "approved"
        and row["transfer_mode"] == "licence"
        and [o["mode"] for o in row["options"]] == ["licence"]
    )
    assert ids(client_for(manager).get("/api/v1/plans/", {"status": "draft"})) == set()


def test_payments_follow_their_deal(
    world: World, manager: User, enterprise_user: User, inventor: User, other_inventor: User
) -> None:
    payment = world.payment.pk
    assert ids(client_for(manager).get("/api/v1/payments/")) == {payment}
    assert ids(client_for(enterprise_user).get("/api/v1/payments/")) == {
        payment
    }  # the counterparty
    assert ids(client_for(inventor).get("/api/v1/payments/")) == {
        payment
    }  # covering their organisation's result
    assert ids(client_for(other_inventor).get("/api/v1/payments/")) == set()
    assert status_of(client_for(other_inventor), f"/api/v1/payments/{payment}/") == 404
    assert status_of(APIClient(), f"/api/v1/payments/{payment}/") == 404
    row = client_for(enterprise_user).get(f"/api/v1/payments/{payment}/").json()
    assert (row["deal"], row["amount_cny"], row["received_on"]) == (
        world.deal.pk,
        "250000.00",
        "2025-04-01",
    )


def test_recording_a_payment_goes_through_the_service(
    world: World, manager: User, enterprise_user: User, other_inventor: User
) -> None:
    body = {
        "deal": world.deal.pk,
        "received_on": "2025-05-01",
        "amount_cny": "100000.00",
        "note": "second",
    }
    refused = client_for(enterprise_user, "write").post("/api/v1/payments/", body, format="json")
    assert refused.status_code == 403
    unseen = client_for(other_inventor, "write").post("/api/v1/payments/", body, format="json")
    assert unseen.status_code == 403  # may never record a payment: refused before the body is read
    unknown = client_for(manager, "write").post(
        "/api/v1/payments/",
        {**body, "deal": 2_000_000_000},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert unknown.status_code == 400 and unknown.json() == {"deal": ["Unknown deal id."]}
    before_signing = client_for(manager, "write").post(
        "/api/v1/payments/", {**body, "received_on": "2025-01-01"}, format="json"
    )
    assert before_signing.status_code == 400 and "received_on" in before_signing.json()
    assert Payment.objects.count() == 1
    created = client_for(manager, "write").post("/api/v1/payments/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["amount_cny"] == "100000.00" and Payment.objects.count() == 2


def test_subsidy_applications(
    world: World,
    manager: User,
    official: User,
    enterprise_user: User,
    other_inventor: User,
    inventor: User,
) -> None:
    mine, theirs = world.application.pk, world.other_application.pk
    assert ids(client_for(official).get("/api/v1/subsidy-applications/")) == {mine, theirs}
    assert ids(client_for(manager).get("/api/v1/subsidy-applications/")) == {mine, theirs}
    assert ids(client_for(enterprise_user).get("/api/v1/subsidy-applications/")) == {mine}
    assert ids(client_for(other_inventor).get("/api/v1/subsidy-applications/")) == {theirs}
    assert (
        ids(client_for(inventor).get("/api/v1/subsidy-applications/")) == set()
    )  # the university is only a partner
    assert status_of(client_for(enterprise_user), f"/api/v1/subsidy-applications/{theirs}/") == 404
    assert status_of(APIClient(), f"/api/v1/subsidy-applications/{mine}/") == 404
    # the named results and deal only where the caller may see them
    row = client_for(enterprise_user).get(f"/api/v1/subsidy-applications/{mine}/").json()
    assert row["results"] == [world.deal.results.get().pk] and row["deal"] == world.deal.pk
    official_view = client_for(official).get(f"/api/v1/subsidy-applications/{mine}/").json()
    assert official_view["results"] == sorted(
        Result.objects.restrict(official, "view")
        .filter(subsidy_applications=mine)
        .values_list("pk", flat=True)
    )
    assert client_for(manager).get(f"/api/v1/subsidy-applications/{mine}/").json()[
        "results"
    ] == sorted([world.deal.results.get().pk, world.round.result_id])
    assert [
        p["code"] for p in APIClient().get("/api/v1/subsidy-programmes/").json()["results"]
    ] == ["xuhui"]


def test_an_investor_sees_public_demands_only(world: World, investor: User) -> None:
    assert ids(client_for(investor).get("/api/v1/demands/")) == {world.public_demand.pk}
    for url in ("matches", "evaluations", "plans", "payments", "subsidy-applications"):
        assert ids(client_for(investor).get(f"/api/v1/{url}/")) == set(), url
