"""The demo story loaded through the services gives the figures the source report states.

Every test here reads the one demo this module loads; tests of the commands themselves, with a
fake loader, are in test_demo_commands.py."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from django.utils import translation

from opentto.accounts.models import User
from opentto.dashboard.selectors import figures
from opentto.landing.models import Deal
from opentto.results.models import Result

DEMO_USERS = ["admin", "manager", "inventor", "enterprise", "reviewer", "official", "investor"]


@pytest.fixture(scope="module")
def _demo_loaded_once(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo, loaded once for this module's tests inside a transaction that is rolled back after
    the last of them (each test runs in its own savepoint within it: what one test writes, the next
    does not see). Loading the demo is the costly part; twelve tests used to load it twelve times."""
    patch = pytest.MonkeyPatch()
    patch.setenv("OPENTTO_DEMO_PASSWORD", "demo-pass-2022")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            with translation.override("en"):
                call_command("load_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            patch.undo()


@pytest.fixture
def demo(_demo_loaded_once, db):  # type: ignore[no-untyped-def]
    return _demo_loaded_once


def test_demo_prints_the_password_and_is_not_loaded_twice(demo):
    assert "Demo password: demo-pass-2022" in demo
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Result.objects.count() == 96


def test_demo_figures_tell_the_story_and_equal_a_recount_from_the_database(demo):
    f = figures(None)
    assert (
        f.results_incubated
        == Result.objects.exclude(stage__in=["withdrawn", "declined"]).count()
        == 92
    )
    assert f.projects_landed == Result.objects.filter(stage="landed").count() == 10
    recount = Deal.objects.counted().aggregate(t=Sum("amount_cny"))["t"]
    assert f.transaction_value_cny == recount
    assert f.transaction_value_cny > Decimal("500000000")
    assert sum(f.funnel.values()) == 96
    assert f.transaction_value_cny == Decimal("510160000.50")
    assert (
        Deal.objects.counted().count() == 10
        and Deal.objects.filter(status="terminated").count() == 1
    )
    # the landing demo adds a deal under public notice and a foreign-currency draft, neither counted
    assert (
        Deal.objects.filter(status="notice").count() == 1
        and Deal.objects.filter(status="draft").count() == 2
    )


def test_demo_money_and_subsidies(demo):
    from opentto.landing.models import Distribution, Payment
    from opentto.subsidies.models import Application, ApplicationStatusChoices

    assert Payment.objects.filter(deal__in=Deal.objects.counted()).count() >= 10
    for d in Distribution.objects.all():  # every distribution adds up to its payment, to the fen
        assert d.costs_cny + sum(line.amount_cny for line in d.lines.all()) == d.payment.amount_cny
    assert set(Application.objects.values_list("status", flat=True)) == set(
        ApplicationStatusChoices.values
    )
    from opentto.poc.models import PocProgramme, PocProject

    # proof of concept: the district programme (cap a site setting), one project running, one concluded "go"
    assert list(PocProgramme.objects.values_list("name_en", "cap_per_project_cny")) == [
        ("District proof-of-concept programme", Decimal("500000.00"))
    ]
    assert sorted(
        PocProject.objects.values_list("status", "outcome", "committed_cny", "spent_cny")
    ) == [
        ("concluded", "go", Decimal("450000.00"), Decimal("120000.00")),
        ("running", "", Decimal("450000.00"), Decimal("120000.00")),
    ]


def test_the_two_cases_of_the_report_are_there(demo):
    assert Result.objects.filter(title_zh__contains="机械臂", field="ai", is_public=True).exists()
    assert Result.objects.filter(
        title_zh__contains="二尖瓣", field="medical_devices", is_public=True
    ).exists()
    # the timeline's notes are free text in one field: the demo writes both languages, as in its other notes
    clip = Result.objects.get(title_zh__contains="二尖瓣", field="medical_devices", is_public=True)
    assert clip.transitions.filter(
        reason="临床试验入组完成，发明人申请转化评价 / Clinical-trial enrolment complete; the inventor asked for a transfer evaluation"
    ).exists()


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_demo_user_signs_in_with_the_password_alone(demo, username):
    client = Client()
    response = client.post(
        "/en/accounts/login/", {"username": username, "password": "demo-pass-2022"}
    )
    assert response.status_code == 302, username
    assert client.get("/en/dashboard/").status_code == 200
    assert User.objects.get(username=username).role == username if username != "admin" else True


def test_an_enterprise_user_cannot_open_a_confidential_demo_result(demo):
    client = Client()
    client.force_login(User.objects.get(username="enterprise"))
    secret = Result.objects.filter(is_public=False).first()
    assert secret is not None
    assert client.get(f"/en/results/{secret.pk}/").status_code == 404
    listed = client.get("/en/results/", {"public": ""}).context["page"].paginator.count
    assert listed == Result.objects.filter(is_public=True).count()
