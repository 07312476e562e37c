"""Demand-driven matching in Debian's Chromium: an enterprise user posts a demand in English, finds
the Chinese result that fits it with the reasons, contacts its owners; a visitor browses the
public showcase signed out. Screenshots go to ``$OPENTTO_TEST_ARTIFACTS`` (default
``test-artifacts/``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from opentto.accounts.models import UserRoleChoices
from opentto.demands.models import Match
from opentto.results.services import result_onboard
from opentto.search import index

from ..conftest import PASSWORD, make_user, result_input
from ..factories import EnterpriseFactory, MembershipFactory, OrganisationFactory, PersonFactory
from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _lexical_index(settings, tmp_path: Path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.OPENTTO_INDEX_DIR = tmp_path / "index"
    settings.OPENTTO_MATCHING_DENSE = False
    yield
    index.reset_tiers()


def test_enterprise_finds_a_chinese_result_for_an_english_demand_and_contacts_its_owners(
    live_server, browser: Browser
) -> None:
    institute = OrganisationFactory(
        name_zh="交叉信息研究院",
        name_en="Institute for Interdisciplinary Information Sciences",
        kind="institute",
    )
    person = MembershipFactory(
        organisation=institute, person=PersonFactory(name_zh="李明", name_en="Li Ming")
    ).person
    manager = make_user(UserRoleChoices.MANAGER, first_name="Mei")
    result = result_onboard(
        data=result_input(
            [institute],
            [(person, "100")],
            ip_assets=[],
            title_en="",
            abstract_en="",
            abstract_zh="基于强化学习的机械臂控制方法，使机器人进行多步决策，泛化到新的装配任务。",
        ),
        actor=manager,
    )
    make_user(
        UserRoleChoices.ENTERPRISE,
        EnterpriseFactory(name_en="SmartMake Robotics Ltd"),
        first_name="Jun",
        username="buyer",
    )
    errors: list[str] = []
    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "422" not in m.text else None,
    )

    page.goto(f"{live_server.url}/en/accounts/login/")
    page.fill("#id_username", "buyer")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/en/demands/new/")
    page.fill("#id_title_en", "Robot arm control that adapts to new assembly tasks")
    page.fill(
        "#id_problem_en",
        "Our robot arms need reinforcement learning control with multi-step decisions for new assembly tasks.",
    )
    page.check("input[name=cooperation][value=licence]")
    page.check("#id_is_public_1")
    page.click("button[name=publish]")
    expect(page.locator("h1")).to_have_text("Robot arm control that adapts to new assembly tasks")
    expect(page.locator(".meta .stage")).to_have_text("Open")

    page.click("text=Find matches")
    card = page.locator(f".match-card[data-result='{result.pk}']")
    expect(card).to_be_visible()
    expect(
        card.locator(".term.translated").first
    ).to_be_visible()  # English words reached the Chinese text
    expect(card.locator(".passage mark").first).to_be_visible()
    shot(page, "demands-01-matches-en")
    card.locator("[data-action=contact]").click()
    expect(page).to_have_url(re.compile(r"/en/demands/matches/\d+/$"))
    expect(page.locator(".stage").first).to_have_text("Contacted")
    assert Match.objects.get().status == "contacted"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/zh-hans/demands/")
    shot(page, "demands-02-list-zh-phone")
    assert errors == []


def test_a_visitor_browses_the_showcase_signed_out(live_server, browser: Browser) -> None:
    institute = OrganisationFactory(
        name_zh="交叉信息研究院",
        name_en="Institute for Interdisciplinary Information Sciences",
        kind="institute",
    )
    person = MembershipFactory(organisation=institute, person=PersonFactory()).person
    result_onboard(
        data=result_input([institute], [(person, "100")], ip_assets=[]),
        actor=make_user(UserRoleChoices.MANAGER),
    )
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/zh-hans/showcase/?q=机械臂")
    page.click(".card-title a")
    expect(page).to_have_url(
        re.compile(
            r"/zh-hans/showcase/\d+-generalisable-robot-arm-control-by-reinforcement-learning/$"
        )
    )
    expect(page.locator("h1")).to_have_text("强化学习驱动的通用机械臂控制")
    assert page.locator("link[rel=canonical]").get_attribute("href") == page.url
    assert (
        page.locator("meta[property='og:title']").get_attribute("content")
        == "强化学习驱动的通用机械臂控制"
    )
    shot(page, "demands-03-showcase-zh")


def test_a_targeted_rd_project_milestone_is_marked_done_and_the_team_reads_the_project(
    live_server, browser: Browser
) -> None:
    """The TTO marks a milestone done through the page's date field; the research team reads the
    project (Chinese, phone) without the enterprise's confidential demand."""
    from django.utils import timezone

    from opentto.demands.models import ProjectMilestone
    from opentto.demands.services import demand_create, project_create

    from ..demands.conftest import demand_input
    from ..demands.test_services import project_input
    from .conftest import login

    institute = OrganisationFactory(
        name_zh="交叉信息研究院",
        name_en="Institute for Interdisciplinary Information Sciences",
        kind="institute",
    )
    lead = MembershipFactory(
        organisation=institute, person=PersonFactory(name_zh="李明", name_en="Li Ming")
    ).person
    enterprise = EnterpriseFactory(name_zh="智造机器人有限公司", name_en="SmartMake Robotics Ltd")
    buyer = make_user(UserRoleChoices.ENTERPRISE, enterprise, username="buyer")
    make_user(UserRoleChoices.MANAGER, username="tto", first_name="Mei")
    make_user(UserRoleChoices.INVENTOR, institute, username="team")
    demand = demand_create(
        data=demand_input(
            enterprise,
            is_public=False,
            title_zh="保密需求：焊接机器人",
            title_en="Confidential: welding robot",
        ),
        actor=buyer,
        publish=True,
    )
    project = project_create(demand=demand, data=project_input(institute, lead), actor=buyer)
    first = project.milestones.order_by("position")[0]
    today = timezone.localdate()

    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    login(page, live_server.url, "tto")
    page.goto(f"{live_server.url}/en/demands/projects/{project.pk}/")
    expect(page.locator("body")).to_contain_text(
        "Confidential: welding robot"
    )  # the TTO sees the demand
    page.fill(f"#done-{first.pk}", today.isoformat())
    page.locator(f"form[action$='/milestones/{first.pk}/done/'] button").click()
    expect(page.locator("tbody tr").first).to_contain_text(today.strftime("%Y-%m-%d"))
    assert ProjectMilestone.objects.get(pk=first.pk).done_on == today
    shot(page, "demands-03-project-en")

    team = browser.new_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    login(team, live_server.url, "team")
    team.goto(f"{live_server.url}/zh-hans/demands/projects/{project.pk}/")
    expect(team.locator("h1")).to_have_text("定向研发：机械臂自适应控制")
    expect(team.locator("body")).to_contain_text(today.strftime("%Y-%m-%d"))
    body = team.locator("body").inner_text()
    assert "保密需求" not in body and "welding robot" not in body
    assert team.locator("input[type=date]").count() == 0  # only the TTO marks milestones
    shot(team, "demands-04-project-team-zh-phone")
    team.goto(f"{live_server.url}/zh-hans/dashboard/")
    team.click("text=定向研发项目")  # the dashboard's figure leads to the list
    expect(team).to_have_url(re.compile(r"/zh-hans/demands/projects/$"))
    expect(team.locator("tbody tr")).to_have_count(1)
    expect(team.locator("tbody tr").first).to_contain_text("1 / 2")
    assert "保密需求" not in team.locator("body").inner_text()
    shot(team, "demands-05-projects-team-zh-phone")
    page.goto(f"{live_server.url}/en/demands/projects/")
    expect(page.locator("tbody tr").first).to_contain_text("1 of 2")
    shot(page, "demands-06-projects-en")
