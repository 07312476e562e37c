"""Writes through the API go through the services: matches (contact, and the moves of a match),
transfer plans (a draft, its options, its workflow) and subsidy applications (a draft, submit,
withdraw). The object acted on comes from the caller's selector (404 for the rest), the service
decides who may (403) and what is valid (400, with its message); a refusal changes nothing.

Permission comes first: a caller whose role may never write through a resource gets 403 for any
POST, before the body is validated (an empty POST included)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from opentto.accounts.models import User, UserRoleChoices
from opentto.core.models import AuditEvent
from opentto.demands.models import Demand, Match, MatchEvent
from opentto.landing.models import Payment
from opentto.organisations.models import Organisation, Person
from opentto.planning.models import TransferOption, TransferPlan
from opentto.results.models import Result
from opentto.results.services import result_onboard
from opentto.subsidies.models import Application, BudgetLine
from opentto.subsidies.services import BudgetLineInput, application_create
from tests.conftest import make_user, result_input
from tests.planning.conftest import to_planning
from tests.security.helpers import PDF

from . import fixtures as api_fixtures
from .fixtures import World
from .test_api import client_for as _client_for

pytestmark = pytest.mark.django_db
world = api_fixtures.world  # the fixture: a record of every app resource


def client_for(user: User | None, scope: str = "read") -> APIClient:
    """A token client asking for English answers (the messages are compared)."""
    client = _client_for(user, scope)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def snapshot() -> tuple[Any, ...]:
    """Everything a write of these resources could change (rows, statuses, audit events)."""
    return (
        AuditEvent.objects.exclude(action__startswith="api_token.").count(),
        Payment.objects.count(),
        Result.objects.count(),
        Organisation.objects.count(),
        Person.objects.count(),
        list(Demand.objects.order_by("pk").values_list("pk", "status")),
        list(Match.objects.order_by("pk").values_list("pk", "status")),
        MatchEvent.objects.count(),
        list(TransferPlan.objects.order_by("pk").values_list("pk", "status", "decision_note")),
        TransferOption.objects.count(),
        list(Application.objects.order_by("pk").values_list("pk", "status")),
        BudgetLine.objects.count(),
    )


# --- permission before validation -------------------------------------------------------------


WRITE_URLS = {
    "/api/v1/payments/": {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER},
    "/api/v1/plans/": {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER},
    "/api/v1/organisations/": {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER},
    "/api/v1/people/": {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER},
    "/api/v1/results/": {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER, UserRoleChoices.INVENTOR},
    "/api/v1/demands/": {
        UserRoleChoices.ADMIN,
        UserRoleChoices.MANAGER,
        UserRoleChoices.ENTERPRISE,
    },
    "/api/v1/matches/": {
        UserRoleChoices.ADMIN,
        UserRoleChoices.MANAGER,
        UserRoleChoices.ENTERPRISE,
    },
    "/api/v1/subsidy-applications/": {
        UserRoleChoices.ADMIN,
        UserRoleChoices.MANAGER,
        UserRoleChoices.ENTERPRISE,
        UserRoleChoices.INVENTOR,
    },
}


def test_an_empty_post_from_a_role_that_may_never_write_is_403_before_validation(
    world: World,
    admin_user: User,
    manager: User,
    inventor: User,
    enterprise_user: User,
    reviewer: User,
    official: User,
    investor: User,
) -> None:
    users = [admin_user, manager, inventor, enterprise_user, reviewer, official, investor]
    before = snapshot()
    for url, writers in WRITE_URLS.items():
        assert APIClient().post(url, {}, format="json").status_code == 401, url
        for user in users:
            response = client_for(user, "write").post(url, {}, format="json")
            if user.role in writers:
                assert response.status_code == 400, (
                    url,
                    user.role,
                    response.content,
                )  # the body is validated
            else:
                assert response.status_code == 403, (url, user.role, response.content)
                assert set(response.json()) == {"detail"}, (
                    url,
                    user.role,
                )  # no field errors: the body was never read
            # a read token may not write, whoever holds it
            assert client_for(user).post(url, {}, format="json").status_code == 403, (
                url,
                user.role,
            )
    assert snapshot() == before


def test_the_refusal_says_why(
    world: World, enterprise_user: User, official: User, inventor: User
) -> None:
    client = client_for(enterprise_user, "write")
    assert client.post("/api/v1/payments/", {}, format="json").json() == {
        "detail": "Only TTO managers record payments."
    }
    assert client.post("/api/v1/plans/", {"result": "x"}, format="json").json() == {
        "detail": "Only TTO managers do operations planning."
    }
    assert client_for(official, "write").post(
        "/api/v1/subsidy-applications/", {}, format="json"
    ).json() == {"detail": "You may apply only for your own organisation."}
    assert client_for(inventor, "write").post(
        f"/api/v1/matches/{world.match.pk}/transition/", {}, format="json"
    ).json() == {"detail": "You may not change this match."}


def test_a_method_a_route_does_not_have_is_still_405(
    world: World, manager: User, enterprise_user: User
) -> None:
    for user in (manager, enterprise_user):
        assert (
            client_for(user, "write")
            .post(f"/api/v1/payments/{world.payment.pk}/", {}, format="json")
            .status_code
            == 405
        )
        assert (
            client_for(user, "write")
            .put(f"/api/v1/plans/{world.plan.pk}/", {}, format="json")
            .status_code
            == 405
        )


# --- matches ----------------------------------------------------------------------------------


def test_contacting_a_results_owners_for_a_demand(
    world: World,
    manager: User,
    enterprise_user: User,
    inventor: User,
    onboarded: Result,
    confidential_result: Result,
    enterprise_org: Organisation,
) -> None:
    secret = world.secret_demand
    body = {"demand": secret.pk, "result": onboarded.pk, "message": "We would like to talk."}
    rival = make_user(
        UserRoleChoices.ENTERPRISE,
        Organisation.objects.create(name_zh="竞争企业", name_en="Rival", kind="enterprise"),
        username="rival",
    )
    before = snapshot()
    assert APIClient().post("/api/v1/matches/", body, format="json").status_code == 401
    assert (
        client_for(inventor, "write").post("/api/v1/matches/", body, format="json").status_code
        == 403
    )
    unseen = client_for(rival, "write").post("/api/v1/matches/", body, format="json")
    assert unseen.status_code == 400 and unseen.json() == {"demand": ["Unknown demand id."]}
    hidden = client_for(enterprise_user, "write").post(
        "/api/v1/matches/", {**body, "result": confidential_result.pk}, format="json"
    )
    assert hidden.status_code == 400 and hidden.json() == {"result": ["Unknown result id."]}
    invalid = client_for(enterprise_user, "write").post(
        "/api/v1/matches/", {**body, "message": "x" * 2001}, format="json"
    )
    assert invalid.status_code == 400 and set(invalid.json()) == {"message"}
    assert snapshot() == before
    created = client_for(enterprise_user, "write").post("/api/v1/matches/", body, format="json")
    assert created.status_code == 201, created.content
    match = Match.objects.get(demand=secret, result=onboarded)
    row = created.json()
    assert (
        row["id"],
        row["status"],
        row["source"],
        row["organisation"]["id"],
        row["demand"]["id"],
        row["result"]["id"],
    ) == (match.pk, "contacted", "engine", enterprise_org.pk, secret.pk, onboarded.pk)
    assert (match.status, match.message, match.created_by_id) == (
        "contacted",
        "We would like to talk.",
        enterprise_user.pk,
    )
    secret.refresh_from_db()
    assert secret.status == "matched"
    # the same pair again: the match already made, unchanged
    again = client_for(manager, "write").post("/api/v1/matches/", body, format="json")
    assert (
        again.status_code == 200
        and again.json()["id"] == match.pk
        and Match.objects.filter(demand=secret, result=onboarded).count() == 1
    )


def test_moving_a_match(
    world: World, manager: User, enterprise_user: User, inventor: User, other_inventor: User
) -> None:
    match = world.match  # contacted, the enterprise's, on the inventor's organisation's result
    url = f"/api/v1/matches/{match.pk}/transition/"
    rival = make_user(
        UserRoleChoices.ENTERPRISE,
        Organisation.objects.create(name_zh="竞争企业", name_en="Rival", kind="enterprise"),
        username="rival",
    )
    before = snapshot()
    assert (
        APIClient().post(url, {"target": "declined", "note": "no"}, format="json").status_code
        == 401
    )
    assert (
        client_for(enterprise_user)
        .post(url, {"target": "declined", "note": "no"}, format="json")
        .status_code
        == 403
    )  # read token
    assert (
        client_for(inventor, "write")
        .post(url, {"target": "declined", "note": "no"}, format="json")
        .status_code
        == 403
    )  # sees it, may not move it
    assert (
        client_for(rival, "write")
        .post(url, {"target": "declined", "note": "no"}, format="json")
        .status_code
        == 404
    )
    assert (
        client_for(manager, "write")
        .post("/api/v1/matches/2000000000/transition/", {"target": "nda"}, format="json")
        .status_code
        == 404
    )
    nda = client_for(enterprise_user, "write").post(url, {"target": "nda"}, format="json")
    assert nda.status_code == 403 and nda.json() == {
        "detail": "The TTO records NDAs and negotiations."
    }
    no_reason = client_for(enterprise_user, "write").post(
        url, {"target": "declined"}, format="json"
    )
    assert no_reason.status_code == 400 and no_reason.json() == {"note": ["Give the reason."]}
    to_deal = client_for(manager, "write").post(url, {"target": "deal"}, format="json")
    assert to_deal.status_code == 400 and to_deal.json() == {
        "status": ["A match becomes a deal when the deal is created from it."]
    }
    backwards = client_for(manager, "write").post(url, {"target": "contacted"}, format="json")
    assert backwards.status_code == 400 and backwards.json() == {
        "status": ["A match cannot move from “Contacted” to “Contacted”."]
    }
    bogus = client_for(manager, "write").post(url, {"target": "shortlisted"}, format="json")
    assert bogus.status_code == 400 and set(bogus.json()) == {"target"}
    assert snapshot() == before
    moved = client_for(manager, "write").post(url, {"target": "nda"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["status"] == "nda" and Match.objects.get(pk=match.pk).status == "nda"
    declined = client_for(enterprise_user, "write").post(
        url, {"target": "declined", "note": "Went another way."}, format="json"
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert list(
        MatchEvent.objects.filter(match=match)
        .order_by("pk")
        .values_list("from_status", "to_status", "actor_id", "note")
    )[-2:] == [
        ("contacted", "nda", manager.pk, ""),
        ("nda", "declined", enterprise_user.pk, "Went another way."),
    ]


# --- transfer plans ---------------------------------------------------------------------------


@pytest.fixture
def planning_result(manager: User, university: Organisation, researcher: Person) -> Result:
    result = result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_en="Soft gripper",
            title_zh="软体夹爪",
            ip_assets=[],
        ),
        actor=manager,
    )
    return to_planning(result, manager)


LICENCE = {
    "mode": "licence",
    "licence_type": "exclusive",
    "territory": "China",
    "term_years": 10,
    "upfront_fee_cny": "500000.00",
    "royalty_rate": "0.035",
    "milestones": [{"event": "First sale", "amount_cny": "100000.00"}],
}


def test_a_plan_is_drafted_given_its_terms_submitted_and_approved(
    settings: Any,
    world: World,
    manager: User,
    admin_user: User,
    inventor: User,
    enterprise_user: User,
    planning_result: Result,
    confidential_result: Result,
) -> None:
    settings.OPENTTO_PLAN_FOUR_EYES = True
    body = {
        "result": planning_result.pk,
        "transfer_mode": "licence",
        "summary_en": "Licence to a gripper maker.",
    }
    before = snapshot()
    assert APIClient().post("/api/v1/plans/", body, format="json").status_code == 401
    for user in (inventor, enterprise_user):
        assert (
            client_for(user, "write").post("/api/v1/plans/", body, format="json").status_code == 403
        )
    wrong_stage = client_for(manager, "write").post(
        "/api/v1/plans/", {**body, "result": confidential_result.pk}, format="json"
    )
    assert wrong_stage.status_code == 400 and wrong_stage.json() == {
        "result": ["Plans are made for results in planning or landing."]
    }
    unknown = client_for(manager, "write").post(
        "/api/v1/plans/", {**body, "result": 2_000_000_000}, format="json"
    )
    assert unknown.status_code == 400 and unknown.json() == {"result": ["Unknown result id."]}
    bad_mode = client_for(manager, "write").post(
        "/api/v1/plans/", {**body, "transfer_mode": "barter"}, format="json"
    )
    assert bad_mode.status_code == 400 and set(bad_mode.json()) == {"transfer_mode"}
    assert snapshot() == before

    created = client_for(manager, "write").post("/api/v1/plans/", body, format="json")
    assert created.status_code == 201, created.content
    plan = TransferPlan.objects.get(result=planning_result)
    row = created.json()
    assert (row["id"], row["status"], row["transfer_mode"], row["summary_en"], row["options"]) == (
        plan.pk,
        "draft",
        "licence",
        body["summary_en"],
        [],
    )
    assert (plan.status, plan.created_by_id) == ("draft", manager.pk)
    plan_url = f"/api/v1/plans/{plan.pk}/"

    # submitting needs the recommended mode's option
    early = client_for(manager, "write").post(
        plan_url + "transition/", {"target": "submitted"}, format="json"
    )
    assert early.status_code == 400 and early.json() == {
        "status": ["Add the terms of the recommended transfer mode as an option first."]
    }
    before = snapshot()
    for user in (inventor, enterprise_user):
        assert (
            client_for(user, "write")
            .post(plan_url + "options/", LICENCE, format="json")
            .status_code
            == 403
        )
    missing = client_for(manager, "write").post(
        plan_url + "options/", {**LICENCE, "territory": ""}, format="json"
    )
    assert missing.status_code == 400 and missing.json() == {
        "territory": ["Required for this transfer mode."]
    }
    bad_rate = client_for(manager, "write").post(
        plan_url + "options/", {**LICENCE, "royalty_rate": "1.5"}, format="json"
    )
    assert bad_rate.status_code == 400 and set(bad_rate.json()) == {"royalty_rate"}
    assert (
        client_for(manager, "write")
        .post("/api/v1/plans/2000000000/options/", LICENCE, format="json")
        .status_code
        == 404
    )
    assert snapshot() == before
    option = client_for(manager, "write").post(plan_url + "options/", LICENCE, format="json")
    assert option.status_code == 201, option.content
    terms = option.json()["options"][0]
    assert (
        terms["mode"],
        terms["licence_type"],
        terms["territory"],
        terms["term_years"],
        terms["upfront_fee_cny"],
        terms["royalty_rate"],
    ) == ("licence", "exclusive", "China", 10, "500000.00", "0.035000")
    assert terms["milestones"] == [{"event": "First sale", "amount_cny": "100000.00"}]

    # the workflow: submit; the drafter may not approve it (four eyes); an admin does
    before = snapshot()
    assert (
        client_for(inventor, "write")
        .post(plan_url + "transition/", {"target": "submitted"}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(enterprise_user, "write")
        .post(plan_url + "transition/", {"target": "submitted"}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(manager, "write")
        .post(plan_url + "transition/", {"target": "superseded"}, format="json")
        .status_code
        == 400
    )
    assert snapshot() == before
    submitted = client_for(manager, "write").post(
        plan_url + "transition/", {"target": "submitted"}, format="json"
    )
    assert (
        submitted.status_code == 200
        and submitted.json()["status"] == "submitted"
        and submitted.json()["submitted_at"]
    )
    own = client_for(manager, "write").post(
        plan_url + "transition/", {"target": "approved"}, format="json"
    )
    assert own.status_code == 400 and own.json() == {
        "status": [
            "Four-eyes approval: you drafted or last changed this plan, so another manager or an admin must approve it."
        ]
    }
    approved = client_for(admin_user, "write").post(
        plan_url + "transition/", {"target": "approved", "note": "Go."}, format="json"
    )
    assert approved.status_code == 200, approved.content
    plan.refresh_from_db()
    assert (plan.status, plan.approved_by_id, plan.decision_note) == (
        "approved",
        admin_user.pk,
        "Go.",
    )
    assert approved.json()["status"] == "approved" and approved.json()["decision_note"] == "Go."
    again = client_for(admin_user, "write").post(
        plan_url + "transition/", {"target": "approved"}, format="json"
    )
    assert again.status_code == 400 and again.json() == {
        "status": ["A plan cannot move from “Approved” to “Approved”."]
    }
    # an approved plan takes no more options
    late = client_for(manager, "write").post(plan_url + "options/", LICENCE, format="json")
    assert late.status_code == 400 and late.json() == {
        "mode": ["Only a draft plan can be changed; revise a rejected plan first."]
    }


def test_a_plan_is_rejected_with_a_reason_and_revised(
    world: World, manager: User, planning_result: Result
) -> None:
    client = client_for(manager, "write")
    plan_id = client.post(
        "/api/v1/plans/",
        {"result": planning_result.pk, "transfer_mode": "licence", "summary_zh": "许可"},
        format="json",
    ).json()["id"]
    url = f"/api/v1/plans/{plan_id}/transition/"
    assert (
        client.post(f"/api/v1/plans/{plan_id}/options/", LICENCE, format="json").status_code == 201
    )
    assert client.post(url, {"target": "submitted"}, format="json").json()["status"] == "submitted"
    before = snapshot()
    no_reason = client.post(url, {"target": "rejected"}, format="json")
    assert no_reason.status_code == 400 and no_reason.json() == {
        "status": ["Give the reason for rejecting the plan."]
    }
    assert snapshot() == before
    rejected = client.post(url, {"target": "rejected", "note": "Price too low."}, format="json")
    assert rejected.status_code == 200 and (
        rejected.json()["status"],
        rejected.json()["decision_note"],
    ) == ("rejected", "Price too low.")
    revised = client.post(url, {"target": "draft"}, format="json")
    assert revised.status_code == 200 and TransferPlan.objects.get(pk=plan_id).status == "draft"


# --- subsidy applications ---------------------------------------------------------------------


def test_an_application_is_drafted_through_the_service(
    world: World,
    manager: User,
    enterprise_user: User,
    official: User,
    reviewer: User,
    enterprise_org: Organisation,
    university: Organisation,
    other_university: Organisation,
    onboarded: Result,
    confidential_result: Result,
) -> None:
    programme = world.application.programme
    body = {
        "programme": programme.pk,
        "project_title_zh": "夹爪产业化",
        "project_title_en": "Gripper industrialisation",
        "requested_cny": "800000.00",
        "partners": [university.pk],
        "results": [onboarded.pk],
        "deal": world.deal.pk,
        "budget_lines": [
            {"category": "equipment", "description": "Assembly line", "amount_cny": "1200000.00"},
            {"category": "personnel", "description": "Engineers", "amount_cny": "400000.00"},
        ],
    }
    url = "/api/v1/subsidy-applications/"
    before = snapshot()
    assert APIClient().post(url, body, format="json").status_code == 401
    for user in (official, reviewer):
        assert client_for(user, "write").post(url, body, format="json").status_code == 403
    not_theirs = client_for(enterprise_user, "write").post(
        url, {**body, "applicant": other_university.pk}, format="json"
    )
    assert not_theirs.status_code == 403 and not_theirs.json() == {
        "detail": "You may apply only for your own organisation."
    }
    hidden = client_for(enterprise_user, "write").post(
        url, {**body, "results": [onboarded.pk, confidential_result.pk]}, format="json"
    )
    assert hidden.status_code == 400 and hidden.json() == {"results": ["Unknown result id."]}
    untitled = client_for(enterprise_user, "write").post(
        url, {**body, "project_title_zh": "", "project_title_en": ""}, format="json"
    )
    assert untitled.status_code == 400 and untitled.json() == {
        "project_title_zh": ["Give the project a title."]
    }
    self_partner = client_for(enterprise_user, "write").post(
        url, {**body, "partners": [enterprise_org.pk]}, format="json"
    )
    assert self_partner.status_code == 400 and self_partner.json() == {
        "partners": ["The applicant is not its own partner."]
    }
    bad_line = client_for(enterprise_user, "write").post(
        url,
        {**body, "budget_lines": [{"category": "yachts", "description": "x", "amount_cny": "1"}]},
        format="json",
    )
    assert bad_line.status_code == 400 and set(bad_line.json()) == {"budget_lines"}
    no_programme = client_for(manager, "write").post(
        url, {**body, "programme": 2_000_000_000}, format="json"
    )
    assert no_programme.status_code == 400 and no_programme.json() == {
        "programme": ["Unknown programme id."],
        "applicant": ["Name the applicant organisation."],
    }
    assert snapshot() == before

    created = client_for(enterprise_user, "write").post(url, body, format="json")
    assert created.status_code == 201, created.content
    application = Application.objects.get(project_title_zh="夹爪产业化")
    row = created.json()
    assert (
        row["id"],
        row["status"],
        row["applicant"]["id"],
        row["requested_cny"],
        row["eligible_costs_cny"],
        row["results"],
        row["deal"],
    ) == (
        application.pk,
        "draft",
        enterprise_org.pk,
        "800000.00",
        "1600000.00",
        [onboarded.pk],
        world.deal.pk,
    )
    assert [p["id"] for p in row["partners"]] == [university.pk]
    assert (application.created_by_id, application.eligible_costs_cny) == (
        enterprise_user.pk,
        Decimal("1600000.00"),
    )
    assert list(application.budget_lines.order_by("pk").values_list("category", "amount_cny")) == [
        ("equipment", Decimal("1200000.00")),
        ("personnel", Decimal("400000.00")),
    ]
    # a TTO manager names the applicant
    for_them = client_for(manager, "write").post(
        url,
        {**body, "applicant": other_university.pk, "partners": [enterprise_org.pk], "deal": None},
        format="json",
    )
    assert for_them.status_code == 201 and for_them.json()["applicant"]["id"] == other_university.pk


def test_an_application_is_submitted_and_withdrawn(
    world: World,
    manager: User,
    enterprise_user: User,
    official: User,
    inventor: User,
    other_inventor: User,
) -> None:
    mine = world.application
    url = f"/api/v1/subsidy-applications/{mine.pk}/"
    before = snapshot()
    assert APIClient().post(url + "submit/", format="json").status_code == 401
    assert (
        client_for(enterprise_user).post(url + "submit/", format="json").status_code == 403
    )  # read token
    assert (
        client_for(official, "write").post(url + "submit/", format="json").status_code == 403
    )  # officials decide, never apply
    assert (
        client_for(other_inventor, "write").post(url + "submit/", format="json").status_code == 404
    )  # another organisation's
    assert (
        client_for(inventor, "write").post(url + "submit/", format="json").status_code == 404
    )  # a partner only: not theirs to see
    theirs = client_for(enterprise_user, "write").post(
        f"/api/v1/subsidy-applications/{world.other_application.pk}/submit/", format="json"
    )
    assert theirs.status_code == 404
    assert snapshot() == before
    # the eligibility check runs: the budget lines carry no supporting documents (uploaded on the form), so it fails
    submitted = client_for(enterprise_user, "write").post(url + "submit/", format="json")
    assert submitted.status_code == 200, submitted.content
    mine.refresh_from_db()
    assert (
        submitted.json()["status"] == mine.status == "ineligible" and mine.submitted_at is not None
    )
    assert [c["key"] for c in mine.eligibility if not c["passed"]] == ["budget", "share"]
    before = snapshot()
    again = client_for(enterprise_user, "write").post(url + "submit/", format="json")
    assert again.status_code == 400 and again.json() == {
        "status": ["An application in status “Ineligible” cannot move to “Submitted”."]
    }
    late = client_for(enterprise_user, "write").post(url + "withdraw/", format="json")
    assert late.status_code == 400 and late.json() == {
        "status": ["An application in status “Ineligible” cannot move to “Withdrawn”."]
    }
    assert (
        client_for(enterprise_user, "write")
        .post(f"/api/v1/subsidy-applications/{world.other_application.pk}/withdraw/", format="json")
        .status_code
        == 404
    )
    assert snapshot() == before
    withdrawn = client_for(other_inventor, "write").post(
        f"/api/v1/subsidy-applications/{world.other_application.pk}/withdraw/", format="json"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert Application.objects.get(pk=world.other_application.pk).status == "withdrawn"


def test_an_eligible_application_is_submitted(
    world: World, enterprise_user: User, university: Organisation, onboarded: Result
) -> None:
    draft = application_create(
        programme=world.application.programme,
        applicant=enterprise_user.organisation,
        partners=[university],
        results=[onboarded],
        deal=world.deal,
        project_title_zh="有凭证的项目",
        requested_cny="500000",
        actor=enterprise_user,
        budget_lines=[
            BudgetLineInput(
                category="equipment",
                description="Line",
                amount_cny="1200000",
                document=SimpleUploadedFile("quote.pdf", PDF, content_type="application/pdf"),
            )
        ],
    )
    submitted = client_for(enterprise_user, "write").post(
        f"/api/v1/subsidy-applications/{draft.pk}/submit/", format="json"
    )
    assert submitted.status_code == 200, submitted.content
    draft.refresh_from_db()
    assert (draft.status, draft.cap_cny, draft.share_cap_cny) == (
        "submitted",
        Decimal("5000000.00"),
        Decimal("600000.00"),
    )
    row = submitted.json()
    assert (row["status"], row["cap_cny"], row["share_cap_cny"]) == (
        "submitted",
        "5000000.00",
        "600000.00",
    )
    assert all(c["passed"] for c in draft.eligibility)
