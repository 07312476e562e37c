"""Proof-of-concept figures against hand counts (per viewer and per year), the funnel's
sub-count and the dashboard panel, the plan page's panel, and every page and form for the
anonymous visitor, an unpermitted user, a constrained user (another organisation's inventor; an
official, who sees figures only), the owning organisation's inventor (sees, may not manage) and
the TTO."""

import datetime as dt
from decimal import Decimal

import pytest

from opentto.core.models import AuditEvent
from opentto.poc import services
from opentto.poc.figures import funnel_in_poc, poc_figures
from opentto.poc.models import PocCommitment, PocProgramme, PocProject
from opentto.results.pipeline import result_transition

from .conftest import TODAY, concluded, doc, running

YEAR = TODAY.year


@pytest.fixture
def world(in_evaluation, confidential_result, programme, manager, reviewer):
    """A1 running (programme 300,000 + institution 100,000 committed, 50,000.50 spent), A2
    concluded go (institution 300,000), B1 concluded no-go (institution 300,000), B2 stopped
    (enterprise 10,000): A on the result in evaluation, B on a second result of University A."""
    a1 = services.project_create(result=in_evaluation, title_en="A1", actor=manager)
    running(a1, manager, programme)
    services.budget_commit(project=a1, source="institution", amount_cny="100000", actor=manager)
    services.spending_record(
        line=a1.budget_lines.get(source="district_programme"),
        amount_cny="50000.50",
        spent_on=TODAY,
        description="Prototype parts",
        actor=manager,
    )
    a2 = concluded(
        services.project_create(result=in_evaluation, title_en="A2", actor=manager),
        manager,
        reviewer,
        "proceed",
    )
    result_transition(result=confidential_result, target="evaluation", actor=manager)
    b1 = concluded(
        services.project_create(result=confidential_result, title_en="B1", actor=manager),
        manager,
        reviewer,
        "decline",
    )
    b2 = services.project_create(result=confidential_result, title_en="B2", actor=manager)
    services.budget_commit(project=b2, source="enterprise", amount_cny="10000", actor=manager)
    services.project_stop(project=b2, reason="The enterprise withdrew.", actor=manager)
    return {"a1": a1, "a2": a2, "b1": b1, "b2": b2}


@pytest.mark.django_db
def test_figures_against_hand_counts(
    world, manager, official, inventor, other_inventor, enterprise_user
):
    for viewer in (manager, official, inventor):
        f = poc_figures(viewer)
        assert (f.running, f.committed_cny, f.spent_cny) == (
            1,
            Decimal("1010000.00"),
            Decimal("50000.50"),
        )
        assert (f.rates.concluded, f.rates.go, f.rates.no_go, f.rates.pivot) == (2, 1, 1, 0)
        assert (f.rates.go_rate, f.rates.no_go_rate, f.rates.pivot_rate) == (
            Decimal("50.0"),
            Decimal("50.0"),
            Decimal("0.0"),
        )
        assert (funnel_in_poc(viewer, "evaluation"), funnel_in_poc(viewer, "planning")) == (1, 0)
        # the dashboard's funnel is the cohort onboarded in its year: the result was onboarded this year
        assert (
            funnel_in_poc(viewer, "evaluation", YEAR),
            funnel_in_poc(viewer, "evaluation", YEAR - 1),
        ) == (1, 0)
    in_year = poc_figures(manager, YEAR)
    assert (in_year.running, in_year.committed_cny, in_year.spent_cny, in_year.rates.concluded) == (
        3,
        Decimal("1010000.00"),
        Decimal("50000.50"),
        2,
    )
    before = poc_figures(manager, YEAR - 1)
    assert (
        before.running,
        before.committed_cny,
        before.spent_cny,
        before.rates.concluded,
        before.rates.go_rate,
    ) == (0, Decimal("0.00"), Decimal("0.00"), 0, None)
    for outsider in (other_inventor, enterprise_user):
        f = poc_figures(outsider)
        assert (f.running, f.committed_cny, f.spent_cny, f.rates.concluded, f.rates.go_rate) == (
            0,
            Decimal("0.00"),
            Decimal("0.00"),
            0,
            None,
        )


@pytest.mark.django_db
def test_the_dashboard_shows_the_funnel_sub_count_and_the_figures_to_those_who_may_count_them(
    client, world, manager, enterprise_user
):
    client.force_login(manager)
    page = client.get("/en/dashboard/").content.decode()
    assert (
        '<td class="num" data-poc-count="evaluation">1</td>' in page
        and '<td class="num" data-poc-count="planning">0</td>' in page
    )
    assert "of which in proof of concept" in page
    assert (
        '<td class="num" data-poc="running">1</td>' in page
        and '<td class="num" data-poc="committed">¥1,010,000.00</td>' in page
    )
    assert (
        '<td class="num" data-poc="spent">¥50,000.50</td>' in page
        and '<td class="num" data-poc="go_rate">50.0%</td>' in page
    )
    zh = client.get("/zh-hans/dashboard/").content.decode()
    assert "其中处于概念验证" in zh and "通过率" in zh
    client.force_login(enterprise_user)
    page = client.get("/en/dashboard/").content.decode()
    assert "data-poc" not in page and "of which in proof of concept" not in page


@pytest.mark.django_db
def test_the_plan_page_shows_the_outcome(client, world, manager, inventor):
    result = world["a2"].result
    client.force_login(manager)
    page = client.get(f"/en/planning/results/{result.pk}/").content.decode()
    assert (
        f'data-poc-project="{world["a2"].pk}"' in page
        and 'data-poc-outcome="go"' in page
        and "outcome: Go" in page
    )
    assert f'data-poc-project="{world["a1"].pk}"' in page


@pytest.mark.django_db
def test_project_pages_for_each_kind_of_user(
    client, world, manager, inventor, other_inventor, official, enterprise_user
):
    a1 = world["a1"]
    url = f"/en/poc/{a1.pk}/"
    assert client.get(url).status_code == 302
    assert client.get("/en/poc/").status_code == 302
    for outsider in (
        other_inventor,
        official,
        enterprise_user,
    ):  # constrained / figures only / unpermitted
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(official)
    assert client.get("/en/poc/").status_code == 404
    client.force_login(other_inventor)
    assert "A1" not in client.get("/en/poc/").content.decode()
    client.force_login(inventor)  # the owning organisation's inventor: sees, may not manage
    page = client.get(url).content.decode()
    assert (
        "A1" in page
        and "¥400,000.00" in page
        and "Prototype parts" in page
        and 'id="commit-form"' not in page
    )
    assert "A1" in client.get("/en/poc/").content.decode()
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert 'id="commit-form"' in page and 'name="idempotency_key"' in page


@pytest.mark.django_db
def test_the_commit_form_for_each_kind_of_user_and_posted_twice(
    client, world, manager, inventor, other_inventor, programme
):
    a1 = world["a1"]
    url = f"/en/poc/{a1.pk}/commit/"
    data = {"source": "enterprise", "amount_cny": "20000", "idempotency_key": "k" * 32}
    count = PocCommitment.objects.count()
    assert client.post(url, data).status_code == 302 and PocCommitment.objects.count() == count
    client.force_login(other_inventor)
    assert client.post(url, data).status_code == 404
    client.force_login(inventor)
    assert client.post(url, data).status_code == 403
    assert PocCommitment.objects.count() == count
    client.force_login(manager)
    for _ in range(2):
        assert client.post(url, data).status_code == 302
    assert PocCommitment.objects.count() == count + 1
    a1.refresh_from_db()
    assert a1.committed_cny == Decimal("420000.00")
    # above the cap, in Chinese: refused with the cap, what is committed and what remains; nothing written
    over = {
        "source": "district_programme",
        "programme": programme.pk,
        "amount_cny": "200000.01",
        "idempotency_key": "m" * 32,
    }
    page = client.post(f"/zh-hans/poc/{a1.pk}/commit/", over, follow=True).content.decode()
    assert (
        "区级概念验证计划每个项目上限为 500,000.00 元：已承诺 300,000.00 元，剩余 200,000.00 元，因此不能承诺 200,000.01 元。"
        in page
    )
    assert PocCommitment.objects.count() == count + 1
    assert (
        client.post(url, {**over, "idempotency_key": "n" * 32, "amount_cny": "200000"}).status_code
        == 302
    )
    assert a1.budget_lines.get(source="district_programme").committed_cny == Decimal("500000.00")


@pytest.mark.django_db
def test_a_repeated_spending_is_held_for_confirmation(client, world, manager):
    a1 = world["a1"]
    line = a1.budget_lines.get(source="district_programme")
    data = {
        "line": line.pk,
        "amount_cny": "50000.50",
        "spent_on": TODAY.isoformat(),
        "description": "Prototype parts",
        "idempotency_key": "s" * 32,
    }
    client.force_login(manager)
    held = client.post(f"/en/poc/{a1.pk}/spend/", data)
    assert held.status_code == 200 and "Confirm to record it again." in held.content.decode()
    assert line.spendings.count() == 1
    client.post(f"/en/poc/{a1.pk}/spend/", {**data, "confirm_duplicate": "on"})
    assert line.spendings.count() == 2


@pytest.mark.django_db
def test_evidence_and_transitions_for_each_kind_of_user(
    client, world, manager, inventor, other_inventor
):
    evidence = world["a2"].milestones.get().evidence.get()
    client.force_login(other_inventor)
    assert client.get(f"/en/poc/evidence/{evidence.pk}/").status_code == 404
    client.force_login(inventor)
    assert client.get(f"/en/poc/evidence/{evidence.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="poc.evidence_download", actor=inventor).count() == 1
    a1 = world["a1"]
    assert client.post(f"/en/poc/{a1.pk}/stop/", {"reason": "No."}).status_code == 403
    assert client.post(f"/en/poc/{a1.pk}/move/conclude/").status_code == 403
    a1.refresh_from_db()
    assert a1.status == "running"
    client.force_login(manager)
    page = client.post(f"/en/poc/{a1.pk}/move/conclude/", follow=True).content.decode()
    assert "The project is concluded once its go/no-go review round is finalised." in page
    assert client.post(f"/en/poc/{a1.pk}/move/unknown/").status_code == 404
    milestone = a1.milestones.get()
    assert (
        client.post(
            f"/en/poc/milestones/{milestone.pk}/done/",
            {"done_on": TODAY.isoformat(), "note": "Shown", "evidence": doc()},
        ).status_code
        == 302
    )
    milestone.refresh_from_db()
    assert milestone.done_on == TODAY and milestone.evidence.count() == 1


@pytest.mark.django_db
def test_programmes_are_configured_by_the_tto(client, programme, manager, inventor):
    data = {
        "name_zh": "第二计划",
        "funder": "District",
        "source_zh": "办法",
        "cap_per_project_cny": "100000",
        "active_from": TODAY.isoformat(),
    }
    assert client.post("/en/poc/programmes/", data).status_code == 302
    client.force_login(inventor)
    assert client.get("/en/poc/programmes/").status_code == 200
    assert client.post("/en/poc/programmes/", data).status_code == 403
    assert PocProgramme.objects.count() == 1
    client.force_login(manager)
    assert (
        client.post(
            "/en/poc/programmes/",
            {**data, "active_until": (TODAY - dt.timedelta(days=1)).isoformat()},
        ).status_code
        == 400
    )
    assert client.post("/en/poc/programmes/", data).status_code == 302
    assert PocProgramme.objects.get(name_zh="第二计划").cap_per_project_cny == Decimal("100000.00")


@pytest.mark.django_db
def test_proposing_a_project_for_each_kind_of_user(
    client, in_evaluation, confidential_result, manager, inventor, other_inventor
):
    url = f"/en/poc/results/{in_evaluation.pk}/new/"
    assert client.get(url).status_code == 302
    client.force_login(other_inventor)
    assert (
        client.get(f"/en/poc/results/{confidential_result.pk}/new/").status_code == 404
    )  # a result they may not see
    assert (
        client.post(url, {"title_en": "Theirs"}).status_code == 403
    )  # a public result: visible, refused
    client.force_login(inventor)
    assert client.post(url, {"title_en": "Mine"}).status_code == 403
    assert PocProject.objects.count() == 0
    client.force_login(manager)
    response = client.post(url, {"title_en": "Prototype"})
    project = PocProject.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/en/poc/{project.pk}/"


@pytest.mark.django_db
def test_the_result_chooser_reads_only_database_ids(client, manager, in_evaluation):
    client.force_login(manager)
    response = client.get(f"/en/poc/?result={in_evaluation.pk}")
    assert (
        response.status_code == 302
        and response["Location"] == f"/en/poc/results/{in_evaluation.pk}/new/"
    )
    for bad in (
        "²",
        "٣",
        "-1",
        "0",
        str(2**62),
        "9" * 40,
    ):  # Unicode digits used to pass isdigit() and fail int(): a 500
        assert client.get("/en/poc/", {"result": bad}).status_code == 200, bad
