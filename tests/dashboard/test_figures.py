import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from opentto.dashboard.selectors import figures
from opentto.landing.services import deal_create, deal_sign, deal_terminate
from opentto.results.pipeline import result_transition
from opentto.results.services import result_onboard

from ..conftest import result_input
from ..factories import EnterpriseFactory
from ..results.test_pipeline import to_landing

DAY = dt.date(2025, 6, 30)


@pytest.fixture
def portfolio(manager, university, other_university, researcher):
    """Four results: landed (deal 10,000,000.55), landing with a terminated deal, withdrawn, on hold."""
    buyer = EnterpriseFactory()
    results = [
        result_onboard(
            data=result_input(
                [owner],
                [(researcher, "100")],
                title_zh=f"成果{n}",
                title_en=f"Result {n}",
                ip_assets=[],
                field=field,
            ),
            actor=manager,
        )
        for n, (owner, field) in enumerate(
            [
                (university, "ai"),
                (university, "ic"),
                (other_university, "ai"),
                (other_university, "biomedicine"),
            ]
        )
    ]
    landed, terminated, withdrawn, held = results
    to_landing(landed, manager)
    deal_sign(
        deal=deal_create(
            results=[landed],
            counterparty=buyer,
            deal_type="licence_exclusive",
            amount_cny="10000000.55",
            actor=manager,
        ),
        signed_on=DAY,
        actor=manager,
    )
    to_landing(terminated, manager)
    d = deal_create(
        results=[terminated],
        counterparty=buyer,
        deal_type="assignment",
        amount_cny="99000000",
        actor=manager,
    )
    deal_sign(deal=d, signed_on=DAY, actor=manager)
    deal_terminate(deal=d, terminated_on=DAY, reason="breach", actor=manager)
    deal_create(
        results=[terminated],
        counterparty=buyer,
        deal_type="assignment",
        amount_cny="5",
        actor=manager,
    )  # draft
    result_transition(result=withdrawn, target="withdrawn", actor=manager, reason="owner's request")
    result_transition(result=held, target="on_hold", actor=manager, reason="waiting")
    return results


@pytest.mark.django_db
def test_figures_count_exactly_what_the_definitions_say(portfolio, university):
    f = figures(None)
    assert f.results_incubated == 3  # withdrawn excluded; landed and on hold included
    assert f.projects_landed == 1
    assert f.transaction_value_cny == Decimal(
        "10000000.55"
    )  # terminated and draft deals do not count
    assert f.funnel == {
        "onboarding": 0,
        "evaluation": 0,
        "planning": 0,
        "landing": 1,
        "landed": 1,
        "on_hold": 1,
        "withdrawn": 1,
        "declined": 0,
    }
    by_field = {
        r.key: (r.results_incubated, r.projects_landed, r.transaction_value_cny) for r in f.by_field
    }
    assert by_field == {
        "ai": (1, 1, Decimal("10000000.55")),
        "ic": (1, 0, Decimal("0.00")),
        "biomedicine": (1, 0, Decimal("0.00")),
    }
    by_org = {r.key: (r.results_incubated, r.projects_landed) for r in f.by_organisation}
    assert by_org[str(university.pk)] == (2, 1)
    assert [(r.key, r.transaction_value_cny) for r in f.by_year if r.transaction_value_cny] == [
        ("2025", Decimal("10000000.55"))
    ]


@pytest.mark.django_db
def test_figures_command_prints_the_same_json(portfolio):
    out = StringIO()
    call_command("figures", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["results_incubated"] == 3
    assert data["projects_landed"] == 1
    assert data["transaction_value_cny"] == "10000000.55"
    assert data["funnel"]["landed"] == 1
    assert data == figures(None).as_json()


@pytest.mark.django_db
def test_dashboard_shows_the_figures_and_honours_the_viewers_scope(
    portfolio, manager, official, enterprise_user
):
    client = Client()
    client.force_login(manager)
    body = client.get(reverse("dashboard")).content.decode()
    assert "¥10,000,000.55" in body
    client.force_login(official)
    page = client.get(reverse("dashboard")).content.decode()
    assert (
        figures(official).results_incubated == 3
        and 'data-figure="results_landed" data-period="all_time">1<' in page
    )
    client.force_login(
        enterprise_user
    )  # public results only, and none whose deal is another enterprise's
    scoped = figures(enterprise_user)
    # the landed and the terminated results have deals with another buyer: counting their landing
    # beside money the enterprise may not count would pair two scopes
    assert (scoped.results_incubated, scoped.projects_landed, scoped.transaction_value_cny) == (
        1,
        0,
        Decimal("0.00"),
    )
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-figure="results_landed" data-period="all_time">0<' in page
    assert 'data-figure="deals_signed_value_cny" data-period="all_time">¥0.00<' in page


@pytest.mark.django_db
def test_dashboard_requires_sign_in():
    response = Client().get(reverse("dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
