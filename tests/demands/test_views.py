"""Demand pages, matches, the reverse panel and the public showcase: permission matrices
(anonymous, unpermitted, permitted, constrained), nothing changed on refusal, explanations escaped,
metadata for search engines."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from opentto.accounts.models import UserRoleChoices
from opentto.demands.models import Demand, Match, MatchFeedback
from opentto.results.services import result_onboard

from ..conftest import make_user, result_input
from ..factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def stranger(db):
    return make_user(UserRoleChoices.ENTERPRISE, EnterpriseFactory(), username="stranger")


@pytest.mark.parametrize(
    "who, public_status, secret_status",
    [
        ("enterprise_user", 200, 200),
        ("stranger", 200, 404),
        ("inventor", 200, 404),
        ("reviewer", 200, 404),
        ("manager", 200, 200),
    ],
)
def test_demand_detail_permission_matrix(
    request, who, public_status, secret_status, open_demand, secret_demand
):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("demands:detail", args=[open_demand.pk])).status_code == public_status
    assert (
        client.get(reverse("demands:detail", args=[secret_demand.pk])).status_code == secret_status
    )
    listing = client.get(reverse("demands:list")).content.decode()
    assert ("Confidential: robot-arm assembly" in listing or "保密需求" in listing) is (
        secret_status == 200
    )


def test_anonymous_visitors_are_sent_to_sign_in(open_demand):
    for url in (
        reverse("demands:list"),
        reverse("demands:detail", args=[open_demand.pk]),
        reverse("demands:matches", args=[open_demand.pk]),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_draft_is_seen_by_its_enterprise_and_the_managers_only(
    enterprise_user, enterprise_org, inventor, manager
):
    from opentto.demands.services import demand_create

    from .conftest import demand_input

    draft = demand_create(data=demand_input(enterprise_org), actor=enterprise_user)
    assert (
        client_for(enterprise_user).get(reverse("demands:detail", args=[draft.pk])).status_code
        == 200
    )
    assert client_for(manager).get(reverse("demands:detail", args=[draft.pk])).status_code == 200
    assert client_for(inventor).get(reverse("demands:detail", args=[draft.pk])).status_code == 404


def test_posting_a_demand_through_the_form(enterprise_user):
    response = client_for(enterprise_user).post(
        reverse("demands:create"),
        {
            "title_zh": "",
            "title_en": "Cheaper thermal pads",
            "problem_en": "Our thermal pads cost too much.",
            "field": "new_materials",
            "cooperation": ["licence", "consulting"],
            "budget_min_cny": "",
            "budget_max_cny": "800000",
            "deadline": "",
            "is_public": "public",
            "publish": "1",
        },
    )
    demand = Demand.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "demands:detail", args=[demand.pk]
    )
    assert (demand.status, demand.is_public, demand.cooperation, demand.organisation_id) == (
        "open",
        True,
        ["licence", "consulting"],
        enterprise_user.organisation_id,
    )


def test_the_form_shows_errors_on_their_fields_in_chinese(enterprise_user):
    response = client_for(enterprise_user).post(
        "/zh-hans/demands/new/",
        {
            "title_en": "",
            "problem_en": "x",
            "is_public": "public",
            "budget_min_cny": "9",
            "budget_max_cny": "1",
        },
    )
    assert response.status_code == 422
    assert Demand.objects.count() == 0
    body = response.content.decode()
    assert (
        'data-field="title_zh"' in body
        and 'data-field="cooperation"' in body
        and 'data-field="budget_max_cny"' in body
    )


@pytest.mark.parametrize("who", ["inventor", "reviewer", "official"])
def test_other_roles_cannot_open_the_form(request, who):
    assert (
        client_for(request.getfixturevalue(who)).get(reverse("demands:create")).status_code == 403
    )


def test_matches_page_ranks_visible_results_with_escaped_explanations(
    enterprise_user, manager, university, researcher, open_demand, arm_result, secret_arm_result
):
    nasty = result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            ip_assets=[],
            title_en="<script>alert(1)</script> robot-arm control",
            title_zh="机械臂控制<b>粗体</b>",
            abstract_zh="机械臂 多步决策 <img src=x onerror=alert(1)>",
            details_zh="保密的Z5细节",
        ),
        actor=manager,
        confirm_duplicates=True,
    )
    response = client_for(enterprise_user).get(reverse("demands:matches", args=[open_demand.pk]))
    assert response.status_code == 200
    found = response.context["found"]
    ranked = [m.result.pk for m in found.results]
    assert (
        secret_arm_result.pk not in ranked
    )  # the confidential result is never a candidate for the enterprise
    assert ranked[:1] == [arm_result.pk] and nasty.pk in ranked
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body and "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    # The confidential markers in full: two letters alone can occur inside the page's CSRF token.
    for secret in (
        "保密的机械臂",
        "机密参数Q7",
        "parameter Q7",
        "保密的Z5细节",
        "策略网络X9结构",
        "X9-policy",
    ):
        assert secret not in body, secret
    assert re.search(r"<mark>机械臂</mark>", body)
    assert found.teams[0].person == researcher
    # the manager sees the confidential result among the candidates
    manager_ranked = [
        m.result.pk
        for m in client_for(manager)
        .get(reverse("demands:matches", args=[open_demand.pk]))
        .context["found"]
        .results
    ]
    assert secret_arm_result.pk in manager_ranked


@pytest.mark.parametrize("who, status", [("stranger", 404), ("inventor", 404), ("reviewer", 404)])
def test_matches_and_actions_are_refused_to_others_and_nothing_changes(
    request, who, status, open_demand, arm_result
):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("demands:matches", args=[open_demand.pk])).status_code == status
    assert (
        client.post(reverse("demands:contact", args=[open_demand.pk, arm_result.pk])).status_code
        == status
    )
    assert (
        client.post(
            reverse("demands:feedback", args=[open_demand.pk, arm_result.pk]),
            {"verdict": "not_relevant"},
        ).status_code
        == status
    )
    assert Match.objects.count() == 0 and MatchFeedback.objects.count() == 0
    open_demand.refresh_from_db()
    assert open_demand.status == "open"


def test_shortlist_not_relevant_and_contact_through_the_page(
    enterprise_user, open_demand, arm_result, battery_result
):
    client = client_for(enterprise_user)
    url = reverse("demands:matches", args=[open_demand.pk])
    assert [m.result.pk for m in client.get(url).context["found"].results] == [arm_result.pk]
    client.post(
        reverse("demands:feedback", args=[open_demand.pk, arm_result.pk]),
        {"verdict": "not_relevant", "rank": "1", "score": "0.5", "mode": "lexical"},
    )
    assert list(MatchFeedback.objects.values_list("verdict", "rank", "score", "mode")) == [
        ("not_relevant", 1, 0.5, "lexical")
    ]
    assert client.get(url).context["found"].results == []
    assert [m.result.pk for m in client.get(url, {"dismissed": "1"}).context["found"].results] == [
        arm_result.pk
    ]
    response = client.post(
        reverse("demands:contact", args=[open_demand.pk, arm_result.pk]), {"score": "2.5"}
    )
    match = Match.objects.get()
    assert response["Location"] == reverse("demands:match", args=[match.pk])
    assert (match.status, match.score) == ("contacted", 2.5)


def test_contacting_about_a_confidential_result_answers_404(
    enterprise_user, open_demand, secret_arm_result
):
    assert (
        client_for(enterprise_user)
        .post(reverse("demands:contact", args=[open_demand.pk, secret_arm_result.pk]))
        .status_code
        == 404
    )
    assert Match.objects.count() == 0


def test_filters_narrow_the_candidates_before_the_cut(
    enterprise_user, open_demand, arm_result, battery_result
):
    client = client_for(enterprise_user)
    url = reverse("demands:matches", args=[open_demand.pk])
    assert [
        m.result.pk for m in client.get(url, {"field": "green_energy"}).context["found"].results
    ] == [battery_result.pk] or client.get(url, {"field": "green_energy"}).context[
        "found"
    ].results == []
    assert arm_result.pk not in [
        m.result.pk for m in client.get(url, {"field": "green_energy"}).context["found"].results
    ]
    assert [m.result.pk for m in client.get(url, {"trl_min": "9"}).context["found"].results] == []
    htmx = client.get(url, {"kind": "invention_patent"}, HTTP_HX_REQUEST="true")
    assert htmx.templates[0].name == "demands/partials/match_results.html"


def test_who_needs_this_on_the_result_page(
    inventor, manager, open_demand, secret_demand, arm_result
):
    body = (
        client_for(inventor).get(reverse("results:detail", args=[arm_result.pk])).content.decode()
    )
    assert "Who needs this?" in body
    assert "Adaptive control for collaborative robot arms" in body
    assert (
        "Confidential: robot-arm assembly" not in body
    )  # the inventor may not see the confidential demand
    body = client_for(manager).get(reverse("results:detail", args=[arm_result.pk])).content.decode()
    assert "Confidential: robot-arm assembly" in body
    assert (
        "Who needs this?"
        not in Client().get(reverse("results:detail", args=[arm_result.pk])).content.decode()
    )


def test_match_pages_follow_permissions(
    enterprise_user, manager, inventor, stranger, open_demand, arm_result
):
    from opentto.demands.services import match_contact

    match = match_contact(demand=open_demand, result=arm_result, actor=enterprise_user)
    url = reverse("demands:match", args=[match.pk])
    assert client_for(enterprise_user).get(url).status_code == 200
    assert (
        client_for(inventor).get(url).status_code == 200
    )  # the owning organisation, public demand
    assert client_for(stranger).get(url).status_code == 404
    assert (
        client_for(stranger)
        .post(
            reverse("demands:match_transition", args=[match.pk]),
            {"target": "declined", "note": "x"},
        )
        .status_code
        == 404
    )
    assert (
        client_for(inventor)
        .post(
            reverse("demands:match_transition", args=[match.pk]),
            {"target": "declined", "note": "x"},
        )
        .status_code
        == 403
    )
    match.refresh_from_db()
    assert match.status == "contacted"
    client_for(manager).post(
        reverse("demands:match_transition", args=[match.pk]), {"target": "nda"}
    )
    match.refresh_from_db()
    assert match.status == "nda"


def test_dashboard_panel_counts(enterprise_user, open_demand):
    body = client_for(enterprise_user).get(reverse("dashboard")).content.decode()
    assert "Demands and matching" in body


# -- showcase ----------------------------------------------------------------------------------
def test_showcase_lists_and_searches_public_results_signed_out(
    arm_result, secret_arm_result, battery_result
):
    response = Client().get(reverse("showcase:list"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["page"].object_list] == [
        battery_result.pk,
        arm_result.pk,
    ]
    response = Client().get(reverse("showcase:list"), {"q": "robot arm"})
    assert [r.pk for r in response.context["page"].object_list] == [arm_result.pk]
    assert [
        r.pk
        for r in Client().get(reverse("showcase:list"), {"q": "Q7"}).context["page"].object_list
    ] == []
    assert (
        "保密的机械臂"
        not in Client().get(reverse("showcase:list"), {"q": "机械臂"}).content.decode()
    )


def test_showcase_page_has_clean_url_and_metadata(arm_result, secret_arm_result):
    url = reverse(
        "showcase:detail",
        kwargs={
            "pk": arm_result.pk,
            "slug": "generalisable-robot-arm-control-by-reinforcement-learning",
        },
    )
    assert (
        url
        == f"/en/showcase/{arm_result.pk}-generalisable-robot-arm-control-by-reinforcement-learning/"
    )
    response = Client().get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        '<meta name="description" content="A reinforcement-learning method for robot-arm control'
        in body
    )
    assert f'<link rel="canonical" href="http://testserver{url}">' in body
    assert (
        f'hreflang="zh-Hans" href="http://testserver/zh-hans/showcase/{arm_result.pk}-generalisable-robot-arm-control-by-reinforcement-learning/"'
        in body
    )
    assert (
        '<meta property="og:title" content="Generalisable robot-arm control by reinforcement learning">'
        in body
    )
    assert "TRL 4 / 9" in body and "Sign in to express interest" in body
    assert "X9-policy" not in body and "策略网络X9结构" not in body
    # the short and the wrong slug redirect to the canonical URL; a confidential result is 404
    assert Client().get(f"/en/showcase/{arm_result.pk}/")["Location"] == url
    assert Client().get(f"/en/showcase/{arm_result.pk}-wrong/").status_code == 301
    assert Client().get(f"/en/showcase/{secret_arm_result.pk}/").status_code == 404
    zh = (
        Client()
        .get(
            f"/zh-hans/showcase/{arm_result.pk}-generalisable-robot-arm-control-by-reinforcement-learning/"
        )
        .content.decode()
    )
    assert "强化学习驱动的通用机械臂控制" in zh and '<html lang="zh-Hans">' in zh


def test_express_interest(enterprise_user, inventor, arm_result):
    url = reverse("showcase:interest", args=[arm_result.pk])
    assert "/accounts/login/" in Client().post(url)["Location"]
    assert client_for(inventor).post(url).status_code == 403
    assert Match.objects.count() == 0
    response = client_for(enterprise_user).post(url, {"message": "We would like a licence."})
    assert response.status_code == 303
    match = Match.objects.get()
    assert (match.source, match.status, match.message, match.organisation_id) == (
        "interest",
        "suggested",
        "We would like a licence.",
        enterprise_user.organisation_id,
    )
    page = client_for(enterprise_user).get(response["Location"]).content.decode()
    assert "Your organisation has expressed interest" in page


def test_sitemap_lists_public_pages_in_both_languages(arm_result, secret_arm_result):
    response = Client().get(reverse("showcase:sitemap"))
    assert response["Content-Type"] == "application/xml"
    body = response.content.decode()
    assert body.count("<url>") == 2
    assert (
        f"/en/showcase/{arm_result.pk}-" in body and f"/zh-hans/showcase/{arm_result.pk}-" in body
    )
    assert f"/{secret_arm_result.pk}-" not in body


def test_project_page_and_its_milestones_for_every_kind_of_user(
    manager, enterprise_user, open_demand, university, researcher
):
    """A targeted R&D project: the commissioning enterprise reads it, a stranger gets 404, only the
    TTO marks milestones done (refused before the date is read), and a bad date is a message, not
    an error page."""
    import datetime as dt

    from django.utils import timezone

    from opentto.demands.services import project_create

    from .test_services import project_input

    project = project_create(
        demand=open_demand, data=project_input(university, researcher), actor=enterprise_user
    )
    first = project.milestones.order_by("position")[0]
    page, done = (
        f"/en/demands/projects/{project.pk}/",
        f"/en/demands/projects/milestones/{first.pk}/done/",
    )
    anonymous = Client()
    assert (
        anonymous.get(page).status_code == 302
        and anonymous.post(done, {"done_on": "2025-01-02"}).status_code == 302
    )
    stranger = client_for(
        make_user(UserRoleChoices.ENTERPRISE, EnterpriseFactory(), username="stranger")
    )
    assert (
        stranger.get(page).status_code == 404
        and stranger.post(done, {"done_on": "2025-01-02"}).status_code == 404
    )
    owner = client_for(enterprise_user)
    body = owner.get(page).content.decode()
    assert "定向研发：机械臂自适应控制" in body and "Mark done" not in body
    for value in ("2025-01-02", "", "2025-02-30"):
        assert owner.post(done, {"done_on": value}).status_code == 403
    tto = client_for(manager)
    assert "Mark done" in tto.get(page).content.decode()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    for value, message in (
        ("", "Give the date as YYYY-MM-DD."),
        ("2025-02-30", "Give the date as YYYY-MM-DD."),
        (tomorrow, "The date cannot be in the future."),
    ):
        response = tto.post(done, {"done_on": value}, follow=True)
        assert response.status_code == 200 and message in response.content.decode()
    first.refresh_from_db()
    assert first.done_on is None
    response = tto.post(done, {"done_on": "2025-01-02"})
    assert response.status_code == 303 and response["Location"] == page
    first.refresh_from_db()
    assert first.done_on == dt.date(2025, 1, 2)
    # recorded once: a second date is refused, the first one stays
    again = tto.post(done, {"done_on": "2025-03-04"}, follow=True)
    assert "This milestone was already recorded as done on 2025-01-02." in again.content.decode()
    first.refresh_from_db()
    assert first.done_on == dt.date(2025, 1, 2)
    # a terminated project's milestones stay as they are
    from opentto.demands.services import project_transition

    project_transition(project=project, target="terminated", actor=manager)
    second = project.milestones.order_by("position")[1]
    closed = tto.post(
        f"/en/demands/projects/milestones/{second.pk}/done/", {"done_on": "2025-01-02"}, follow=True
    )
    assert "The project was terminated: its milestones stay as they are." in closed.content.decode()
    second.refresh_from_db()
    assert second.done_on is None


def test_project_list_and_export_for_every_kind_of_user(
    manager, enterprise_user, inventor, reviewer, enterprise_org, university, researcher
):
    """The list holds the projects the user may see (the commissioning enterprise's, the research
    team's, all for the TTO); a confidential demand's title appears in neither the list nor its
    export for the team; the status filter narrows both."""
    import csv
    import io

    from opentto.demands.services import demand_create, project_create

    from .conftest import demand_input
    from .test_services import project_input

    demand = demand_create(
        data=demand_input(enterprise_org, is_public=False, title_en="Secret welding need"),
        actor=enterprise_user,
        publish=True,
    )
    project = project_create(
        demand=demand, data=project_input(university, researcher), actor=enterprise_user
    )

    def listed(user, **params):
        response = client_for(user).get("/en/demands/projects/", params)
        assert response.status_code == 200
        return [p.pk for p in response.context["page"].object_list], response.content.decode()

    def exported(user, **params):
        response = client_for(user).get("/en/imports/export/projects.csv", params)
        assert response.status_code == 200
        return list(
            csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
        )

    response = Client().get("/en/demands/projects/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Client().get("/en/imports/export/projects.csv").status_code == 404
    stranger = make_user(UserRoleChoices.ENTERPRISE, EnterpriseFactory(), username="stranger")
    for user in (stranger, reviewer):
        assert listed(user)[0] == [] and exported(user) == []
    for user in (manager, enterprise_user, inventor):
        pks, body = listed(user)
        assert pks == [project.pk] and "定向研发：机械臂自适应控制" in body
        rows = exported(user)
        assert [
            (r["id"], r["status"], r["milestones"], r["milestones_done"], r["budget_cny"])
            for r in rows
        ] == [(str(project.pk), "proposed", "2", "0", "1000000.00")]
    _pks, body = listed(inventor)
    assert "Secret welding need" not in body and "Secret welding need" not in str(
        exported(inventor)
    )
    assert (
        listed(manager, status="completed")[0] == [] and exported(manager, status="completed") == []
    )
    assert listed(manager, status="proposed")[0] == [project.pk]
    import openpyxl

    response = client_for(enterprise_user).get("/en/imports/export/projects.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheet = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert sheet[0][:3] == ("id", "title_zh", "title_en") and [row[0] for row in sheet[1:]] == [
        project.pk
    ]
    assert (
        "/en/demands/projects/"
        in client_for(enterprise_user).get("/en/dashboard/").content.decode()
    )


def test_status_buttons_say_what_they_do_in_both_languages(enterprise_user, enterprise_org):
    from opentto.demands.services import demand_create, demand_transition

    from .conftest import demand_input

    draft = demand_create(data=demand_input(enterprise_org), actor=enterprise_user, publish=False)
    client = client_for(enterprise_user)
    assert "发布" in client.get(f"/zh-hans/demands/{draft.pk}/").content.decode()
    matched = demand_create(data=demand_input(enterprise_org), actor=enterprise_user, publish=True)
    demand_transition(demand=matched, target="matched", actor=None, system=True)
    english = client.get(f"/en/demands/{matched.pk}/").content.decode()
    assert "Reopen" in english and "Publish" not in english and "Close: not met" in english
    chinese = client.get(f"/zh-hans/demands/{matched.pk}/").content.decode()
    assert (
        "重新开放" in chinese and "关闭：需求未满足" in chinese and "Close: not met" not in chinese
    )
