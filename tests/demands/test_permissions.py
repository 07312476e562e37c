"""The demands app's object types as grants (opentto.demands.permissions): the defaults give each
role what the hand-written selectors gave, a child never outruns its parent (a match shows neither
a result nor a demand nor a deal its reader may not see), and switching a grant off (or on) changes
what the pages, the API and the exports show, without code."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from opentto.accounts.models import UserRoleChoices
from opentto.core import permissions
from opentto.core.models import AuditEvent, Grant
from opentto.core.permissions import permitted
from opentto.demands.models import (
    Demand,
    DemandEvent,
    Match,
    MatchEvent,
    MatchFeedback,
    MatchStatusChoices,
    ProjectMilestone,
    TargetedProject,
)
from opentto.demands.services import (
    demand_create,
    demand_notify_strong_matches,
    demand_update,
    feedback_record,
    match_contact,
    match_deal_create,
    match_express_interest,
    match_transition,
    project_create,
)
from opentto.landing.models import Deal
from opentto.notifications.models import Notification
from opentto.organisations.models import Organisation
from opentto.results.models import Result

from ..conftest import make_user
from ..factories import EnterpriseFactory
from .conftest import demand_input
from .test_services import project_input

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "admin_user",
    "manager",
    "inventor",
    "other_inventor",
    "enterprise_user",
    "reviewer",
    "official",
    "investor",
]


def user_of(request: pytest.FixtureRequest, who: str) -> Any:
    return AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)


def ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def client_for(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def switch_off(role: str, object_type: str, constraint: str, *users: Any) -> None:
    assert (
        Grant.objects.filter(role=role, object_type=object_type, constraint=constraint).update(
            enabled=False
        )
        == 1
    )
    for user in users:
        permissions.clear_grant_cache(user)


def export_rows(user: Any, what: str) -> list[dict[str, str]]:
    response = client_for(user).get(f"/en/imports/export/{what}.csv")
    assert response.status_code == 200
    return list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )


@pytest.fixture
def rival_demand(manager: Any) -> Demand:
    return demand_create(
        data=demand_input(
            EnterpriseFactory(name_en="Rival Corp"), is_public=False, title_en="Rival secret need"
        ),
        actor=manager,
        publish=True,
    )


@pytest.fixture
def draft_demand(enterprise_user: Any, enterprise_org: Organisation) -> Demand:
    return demand_create(
        data=demand_input(enterprise_org, title_en="Public draft"), actor=enterprise_user
    )


# -- demands -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "who, seen, acted_on, followed",
    [
        ("anonymous", "", "", ""),
        ("admin_user", "open secret draft rival", "open secret draft rival", ""),
        (
            "manager",
            "open secret draft rival",
            "open secret draft rival",
            "open secret draft rival",
        ),
        ("enterprise_user", "open secret draft", "open secret draft", ""),
        ("inventor", "open", "", "open"),
        ("other_inventor", "open", "", "open"),
        ("reviewer", "open", "", ""),
        ("official", "open", "", ""),
        ("investor", "open", "", ""),
    ],
)
def test_default_demand_grants(
    request, who, seen, acted_on, followed, open_demand, secret_demand, draft_demand, rival_demand
):
    user = user_of(request, who)
    names = {
        "open": open_demand.pk,
        "secret": secret_demand.pk,
        "draft": draft_demand.pk,
        "rival": rival_demand.pk,
    }

    def expect(words: str) -> set[int]:
        return {names[w] for w in words.split()}

    assert ids(Demand.objects.restrict(user, "view")) == expect(seen)
    for action in ("change", "match", "commission"):
        assert ids(Demand.objects.restrict(user, action)) == expect(acted_on), action
    assert ids(Demand.objects.restrict(user, "follow")) == expect(followed)
    # the timeline follows its demand
    assert {e.demand_id for e in DemandEvent.objects.restrict(user, "view")} == expect(seen)


def test_switching_the_enterprises_own_demands_grant_off_leaves_it_the_public_ones(
    enterprise_user, open_demand, secret_demand
):
    switch_off("enterprise", "demands.demand", "own_organisation", enterprise_user)
    assert ids(Demand.objects.restrict(enterprise_user, "view")) == {open_demand.pk}
    client = client_for(enterprise_user)
    assert client.get(reverse("demands:detail", args=[secret_demand.pk])).status_code == 404
    page = client.get(reverse("demands:detail", args=[open_demand.pk]))
    assert page.status_code == 200 and (
        page.context["can_change"],
        page.context["can_match"],
        page.context["can_commission"],
    ) == (False, False, False)
    assert "Find matches" not in page.content.decode()
    before = AuditEvent.objects.count()
    assert (
        client.post(
            reverse("demands:transition", args=[open_demand.pk]), {"target": "withdrawn"}
        ).status_code
        == 404
    )
    assert client.get(reverse("demands:matches", args=[open_demand.pk])).status_code == 404
    open_demand.refresh_from_db()
    assert open_demand.status == "open" and AuditEvent.objects.count() == before
    with pytest.raises(PermissionError):
        demand_update(
            demand=open_demand,
            data=demand_input(open_demand.organisation, title_en="Changed"),
            actor=enterprise_user,
        )
    assert (
        Demand.objects.get(pk=open_demand.pk).title_en
        == "Adaptive control for collaborative robot arms"
    )


def test_a_new_grant_lets_inventors_work_the_matches_of_public_demands(
    inventor, open_demand, secret_demand, arm_result
):
    """Granting ``match`` on public demands to inventors: the button, the page and the actions follow."""
    client = client_for(inventor)
    assert client.get(reverse("demands:matches", args=[open_demand.pk])).status_code == 404
    Grant.objects.filter(role="inventor", object_type="demands.demand", constraint="public").update(
        actions=["follow", "match", "view"]
    )
    permissions.clear_grant_cache(inventor)
    page = client.get(reverse("demands:detail", args=[open_demand.pk]))
    assert (
        page.context["can_match"] is True
        and page.context["can_change"] is False
        and "Find matches" in page.content.decode()
    )
    assert client.get(reverse("demands:matches", args=[open_demand.pk])).status_code == 200
    assert client.get(reverse("demands:matches", args=[secret_demand.pk])).status_code == 404
    feedback_record(demand=open_demand, result=arm_result, verdict="shortlisted", actor=inventor)
    assert list(
        MatchFeedback.objects.restrict(inventor, "view").values_list("demand_id", flat=True)
    ) == [open_demand.pk]


def test_posting_follows_the_grants_on_organisations(
    manager, enterprise_user, enterprise_org, university, inventor
):
    enterprises = Organisation.objects.restrict(manager, "post_demand")
    assert enterprise_org in enterprises and university not in enterprises
    assert list(Organisation.objects.restrict(enterprise_user, "post_demand")) == [enterprise_org]
    assert not Organisation.objects.restrict(inventor, "post_demand").exists()
    assert list(Organisation.objects.restrict(enterprise_user, "express_interest")) == [
        enterprise_org
    ]
    assert not Organisation.objects.restrict(manager, "express_interest").exists()
    # the form offers the manager the enterprises, and the enterprise user no choice (their own)
    form = client_for(manager).get(reverse("demands:create")).context["form"]
    assert (
        enterprise_org in form.fields["organisation"].queryset
        and university not in form.fields["organisation"].queryset
    )
    assert (
        "organisation"
        not in client_for(enterprise_user).get(reverse("demands:create")).context["form"].fields
    )
    # switched off: the enterprise user may no longer post, through the page, the API or the service
    switch_off("enterprise", "organisations.organisation", "own_organisation", enterprise_user)
    assert client_for(enterprise_user).get(reverse("demands:create")).status_code == 403
    assert (
        client_for(enterprise_user)
        .post("/api/v1/demands/", {}, content_type="application/json")
        .status_code
        == 403
    )
    with pytest.raises(PermissionError):
        demand_create(data=demand_input(enterprise_org), actor=enterprise_user)
    assert Demand.objects.count() == 0


def test_expressing_interest_follows_its_grant(enterprise_user, arm_result):
    url = reverse(
        "showcase:detail",
        kwargs={
            "pk": arm_result.pk,
            "slug": "generalisable-robot-arm-control-by-reinforcement-learning",
        },
    )
    assert client_for(enterprise_user).get(url).context["can_express_interest"] is True
    switch_off("enterprise", "organisations.organisation", "own_organisation", enterprise_user)
    assert client_for(enterprise_user).get(url).context["can_express_interest"] is False
    assert (
        client_for(enterprise_user)
        .post(reverse("showcase:interest", args=[arm_result.pk]))
        .status_code
        == 403
    )
    assert Match.objects.count() == 0


# -- matches -----------------------------------------------------------------------------------
@pytest.fixture
def three_matches(
    enterprise_user, manager, open_demand, secret_demand, arm_result, battery_result
) -> dict[str, Match]:
    rival = make_user(UserRoleChoices.ENTERPRISE, EnterpriseFactory(), username="rival")
    return {
        "public": match_contact(demand=open_demand, result=arm_result, actor=enterprise_user),
        "secret": match_contact(demand=secret_demand, result=arm_result, actor=enterprise_user),
        "rival": match_express_interest(result=battery_result, actor=rival),
    }


@pytest.mark.parametrize(
    "who, seen, changed, negotiated",
    [
        ("anonymous", "", "", ""),
        ("admin_user", "public secret rival", "public secret rival", "public secret rival"),
        ("manager", "public secret rival", "public secret rival", "public secret rival"),
        ("enterprise_user", "public secret", "public secret", ""),
        (
            "inventor",
            "public",
            "",
            "",
        ),  # their organisation's result; not the confidential demand's match
        ("other_inventor", "rival", "", ""),  # the battery is their organisation's
        ("reviewer", "", "", ""),
        ("official", "", "", ""),
        ("investor", "", "", ""),
    ],
)
def test_default_match_grants(request, who, seen, changed, negotiated, three_matches):
    user = user_of(request, who)

    def expect(words: str) -> set[int]:
        return {three_matches[w].pk for w in words.split()}

    assert ids(Match.objects.restrict(user, "view")) == expect(seen)
    assert ids(Match.objects.restrict(user, "change")) == expect(changed)
    assert ids(Match.objects.restrict(user, "negotiate")) == expect(negotiated)
    assert ids(Match.objects.restrict(user, "make_deal")) == expect(negotiated)
    assert {e.match_id for e in MatchEvent.objects.restrict(user, "view")} == expect(seen)


def test_a_match_never_shows_a_demand_its_reader_may_not_see(
    enterprise_user, inventor, three_matches, arm_result, open_demand
):
    """The demand turned confidential after the match: the result's side loses the match on every page."""
    match = three_matches["public"]
    assert client_for(inventor).get(reverse("demands:match", args=[match.pk])).status_code == 200
    demand_update(
        demand=open_demand,
        data=demand_input(open_demand.organisation, is_public=False),
        actor=enterprise_user,
    )
    client = client_for(inventor)
    assert client.get(reverse("demands:match", args=[match.pk])).status_code == 404
    for body in (
        client.get(reverse("demands:match_list")).content.decode(),
        client.get(reverse("results:detail", args=[arm_result.pk])).content.decode(),
        str(export_rows(inventor, "matches")),
        client.get("/api/v1/matches/").content.decode(),
    ):
        assert (
            "Adaptive control for collaborative robot arms" not in body
            and "Confidential: robot-arm assembly" not in body
        )


def test_a_match_never_shows_a_result_its_reader_may_not_see(
    manager, enterprise_user, open_demand, secret_arm_result, three_matches
):
    """A manager contacted the owners of a confidential result for the enterprise's demand: the
    enterprise sees neither the match nor the result's title, anywhere; and when the admin takes the
    managers' results away, their matches go too."""
    hidden = match_contact(demand=open_demand, result=secret_arm_result, actor=manager)
    assert hidden.source == "manager"  # the TTO on the enterprise's behalf
    client = client_for(enterprise_user)
    assert client.get(reverse("demands:match", args=[hidden.pk])).status_code == 404
    pages = [
        client.get(reverse("demands:detail", args=[open_demand.pk])),
        client.get(reverse("demands:match_list")),
        client.get(reverse("demands:matches", args=[open_demand.pk])),
        client.get("/api/v1/matches/"),
    ]
    for response in pages:
        assert response.status_code == 200
        assert (
            "Confidential robot-arm reinforcement-learning controller"
            not in response.content.decode()
        )
    assert str(hidden.pk) not in [row["id"] for row in export_rows(enterprise_user, "matches")]
    assert hidden.pk in ids(Match.objects.restrict(manager, "view"))
    switch_off("manager", "results.result", "all", manager)
    assert not Match.objects.restrict(manager, "view").exists()
    assert client_for(manager).get(reverse("demands:match", args=[hidden.pk])).status_code == 404


def test_the_deal_of_a_match_is_shown_only_to_who_may_see_it(
    manager, enterprise_user, open_demand, arm_result
):
    """Fixed leak: the match page printed the deal made from the match (title, amount) to anyone who
    saw the match, and the API and the export gave its id, even after the deal went to another
    counterparty."""
    match = match_contact(demand=open_demand, result=arm_result, actor=enterprise_user)
    match_transition(match=match, target=MatchStatusChoices.NEGOTIATING, actor=manager)
    Result.objects.filter(pk=arm_result.pk).update(stage="landing")
    deal = match_deal_create(
        match=match,
        deal_type="licence_non_exclusive",
        amount_cny="4321000.00",
        title="Arm licence DL7",
        actor=manager,
    )
    page = (
        client_for(enterprise_user).get(reverse("demands:match", args=[match.pk])).content.decode()
    )
    assert "Arm licence DL7" in page  # their organisation is the counterparty
    assert client_for(enterprise_user).get(f"/api/v1/matches/{match.pk}/").json()["deal"] == deal.pk
    Deal.objects.filter(pk=deal.pk).update(
        counterparty=EnterpriseFactory()
    )  # the deal is now another enterprise's
    permissions.clear_grant_cache(enterprise_user)
    page = (
        client_for(enterprise_user).get(reverse("demands:match", args=[match.pk])).content.decode()
    )
    assert "Arm licence DL7" not in page and "4,321,000" not in page and "4321000" not in page
    assert client_for(enterprise_user).get(f"/api/v1/matches/{match.pk}/").json()["deal"] is None
    assert [row["deal"] for row in export_rows(enterprise_user, "matches")] == [""]
    assert (
        "Arm licence DL7"
        in client_for(manager).get(reverse("demands:match", args=[match.pk])).content.decode()
    )
    assert [row["deal"] for row in export_rows(manager, "matches")] == [str(deal.pk)]


def test_moves_on_a_match_follow_change_and_negotiate(manager, enterprise_user, three_matches):
    match = three_matches["public"]
    page = client_for(enterprise_user).get(reverse("demands:match", args=[match.pk]))
    assert [t for t, _label in page.context["transitions"]] == ["declined"]
    assert [
        t
        for t, _label in client_for(manager)
        .get(reverse("demands:match", args=[match.pk]))
        .context["transitions"]
    ] == ["nda", "negotiating", "declined"]
    # the enterprise may not negotiate: 403, nothing moved
    before = MatchEvent.objects.count()
    assert (
        client_for(enterprise_user)
        .post(reverse("demands:match_transition", args=[match.pk]), {"target": "nda"})
        .status_code
        == 403
    )
    match.refresh_from_db()
    assert match.status == "contacted" and MatchEvent.objects.count() == before
    # a new grant lets enterprises record NDAs on their own matches
    Grant.objects.filter(
        role="enterprise", object_type="demands.match", constraint="own_organisation"
    ).update(actions=["change", "negotiate", "view"])
    permissions.clear_grant_cache(enterprise_user)
    assert (
        client_for(enterprise_user)
        .post(reverse("demands:match_transition", args=[match.pk]), {"target": "nda"})
        .status_code
        == 303
    )
    match.refresh_from_db()
    assert match.status == "nda"


def test_new_match_notifications_follow_the_follow_grant(manager, enterprise_user, arm_result):
    match_express_interest(result=arm_result, actor=enterprise_user)
    assert list(
        Notification.objects.filter(kind="match.new").values_list("recipient__username", flat=True)
    ) == ["manager"]
    Grant.objects.filter(role="manager", object_type="demands.match", constraint="all").update(
        actions=["change", "make_deal", "negotiate"]
    )
    Notification.objects.all().delete()
    rival = make_user(UserRoleChoices.ENTERPRISE, EnterpriseFactory(), username="rival")
    match_express_interest(result=arm_result, actor=rival)
    assert not Notification.objects.filter(kind="match.new").exists()


def test_strong_match_notifications_follow_the_follow_grant(
    open_demand, arm_result, manager, inventor
):
    Grant.objects.filter(role="inventor", object_type="demands.demand", constraint="public").update(
        actions=["view"]
    )
    sent = demand_notify_strong_matches(demand=open_demand)
    assert [n.recipient.username for n in sent] == ["manager"]


# -- targeted R&D projects and milestones ---------------------------------------------------------
@pytest.mark.parametrize(
    "who, sees, changes",
    [
        ("anonymous", False, False),
        ("admin_user", True, True),
        ("manager", True, True),
        ("enterprise_user", True, False),
        ("inventor", True, False),
        ("other_inventor", False, False),
        ("reviewer", False, False),
        ("official", False, False),
        ("investor", False, False),
    ],
)
def test_default_project_grants_and_milestones_follow_their_project(
    request, who, sees, changes, secret_demand, enterprise_user, university, researcher
):
    project = project_create(
        demand=secret_demand, data=project_input(university, researcher), actor=enterprise_user
    )
    user = user_of(request, who)
    assert (ids(TargetedProject.objects.restrict(user, "view")) == {project.pk}) is sees
    assert (ids(TargetedProject.objects.restrict(user, "change")) == {project.pk}) is changes
    milestones = ids(project.milestones.all())
    assert ids(ProjectMilestone.objects.restrict(user, "view")) == (milestones if sees else set())
    assert ids(ProjectMilestone.objects.restrict(user, "change")) == (
        milestones if changes else set()
    )
    assert not TargetedProject.objects.restrict(user, "view").exclude(pk=project.pk).exists()


def test_switching_the_research_teams_grant_off_hides_the_project_and_its_milestones(
    inventor, secret_demand, enterprise_user, university, researcher
):
    project = project_create(
        demand=secret_demand, data=project_input(university, researcher), actor=enterprise_user
    )
    client = client_for(inventor)
    page = client.get(reverse("demands:project", args=[project.pk]))
    assert (
        page.status_code == 200
        and page.context["demand_visible"] is False
        and page.context["can_change"] is False
    )
    assert (
        "Confidential: robot-arm assembly" not in page.content.decode()
    )  # the team does not see the demand
    switch_off("inventor", "demands.targetedproject", "research_organisation", inventor)
    assert client.get(reverse("demands:project", args=[project.pk])).status_code == 404
    assert list(client.get(reverse("demands:project_list")).context["page"].object_list) == []
    assert export_rows(inventor, "projects") == []
    first = project.milestones.order_by("position")[0]
    assert (
        client.post(
            reverse("demands:milestone_done", args=[first.pk]), {"done_on": "2025-01-02"}
        ).status_code
        == 404
    )
    first.refresh_from_db()
    assert first.done_on is None


def test_commissioning_follows_its_grant(enterprise_user, open_demand, university, researcher):
    switch_off("enterprise", "demands.demand", "own_organisation", enterprise_user)
    assert (
        client_for(enterprise_user)
        .get(reverse("demands:project_create", args=[open_demand.pk]))
        .status_code
        == 404
    )
    with pytest.raises(PermissionError):
        project_create(
            demand=open_demand, data=project_input(university, researcher), actor=enterprise_user
        )
    assert TargetedProject.objects.count() == 0


def test_the_dashboard_panel_and_the_result_panel_ask_for_demands(
    enterprise_user, official, open_demand, arm_result
):
    assert permitted(official, Demand, "view")
    switch_off("official", "demands.demand", "public", official)
    assert not permitted(official, Demand, "view")
    assert (
        "Demands and matching"
        not in client_for(official).get(reverse("dashboard")).content.decode()
    )
    assert (
        "Who needs this?"
        not in client_for(official)
        .get(reverse("results:detail", args=[arm_result.pk]))
        .content.decode()
    )
    assert (
        "Who needs this?"
        in client_for(enterprise_user)
        .get(reverse("results:detail", args=[arm_result.pk]))
        .content.decode()
    )
