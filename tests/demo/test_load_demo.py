"""The demo story loaded through the services gives the figures the source report states."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.mail import send_mail
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from opentto.accounts.models import User
from opentto.dashboard.selectors import figures
from opentto.landing.models import Deal
from opentto.results.models import Result

DEMO_USERS = ["admin", "manager", "inventor", "enterprise", "reviewer", "official", "investor"]


@pytest.fixture
def demo(db, monkeypatch, settings, tmp_path):
    monkeypatch.setenv("OPENTTO_DEMO_PASSWORD", "demo-pass-2022")
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_prints_the_password_and_is_not_loaded_twice(demo):
    assert "Demo password: demo-pass-2022" in demo
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Result.objects.count() == 96


def test_loading_prints_no_email_and_ends_with_the_password(db, monkeypatch, settings, capsys):
    """The story's steps send e-mails (on commit, which a test transaction never reaches, so a fake
    loader sends one here): with the console backend set they are counted, not printed."""
    from opentto.demo.loader import LoadSummary
    from opentto.demo.management.commands import load_demo as command

    def fake_load(*, password: str) -> LoadSummary:
        send_mail("Review assigned", "body", "tto@example.org", ["reviewer@example.org"])
        return LoadSummary(organisations=1, people=2, results=3, users=["manager"])

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    monkeypatch.setenv("OPENTTO_DEMO_PASSWORD", "demo-pass-2022")
    monkeypatch.setattr(command, "load_demo", fake_load)
    out = StringIO()
    call_command("load_demo", stdout=out)
    printed = capsys.readouterr().out + out.getvalue()
    assert "Subject:" not in printed and "Review assigned" not in printed
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == "Loaded the demo: 1 organisations, 2 people, 3 results (1 notification e-mails of the story not sent)."
    assert lines[-1] == "Demo password: demo-pass-2022"


def test_serve_demo_prints_address_users_and_password_last(monkeypatch):
    from opentto.demo.management.commands.serve_demo import Command

    monkeypatch.setenv("OPENTTO_DEMO_PASSWORD", "demo-pass-2022")
    out = StringIO()
    command = Command(stdout=out)
    command.addr, command._raw_ipv6, command.protocol = "127.0.0.1", False, "http"
    command.on_bind(8123)
    assert out.getvalue().strip().splitlines()[-3:] == [
        "OpenTTO demo: http://127.0.0.1:8123/",
        "Users: manager, inventor, enterprise, reviewer, official, investor, admin",
        "Password: demo-pass-2022",
    ]


def test_demo_figures_tell_the_story_and_equal_a_recount_from_the_database(demo):
    f = figures(None)
    assert f.results_incubated == Result.objects.exclude(stage__in=["withdrawn", "declined"]).count() == 92
    assert f.projects_landed == Result.objects.filter(stage="landed").count() == 10
    recount = Deal.objects.counted().aggregate(t=Sum("amount_cny"))["t"]
    assert f.transaction_value_cny == recount
    assert f.transaction_value_cny > Decimal("500000000")
    assert sum(f.funnel.values()) == 96
    assert f.transaction_value_cny == Decimal("510160000.50")
    assert Deal.objects.counted().count() == 10 and Deal.objects.filter(status="terminated").count() == 1
    # the landing demo adds a deal under public notice and a foreign-currency draft, neither counted
    assert Deal.objects.filter(status="notice").count() == 1 and Deal.objects.filter(status="draft").count() == 2


def test_demo_money_and_subsidies(demo):
    from opentto.landing.models import Distribution, Payment
    from opentto.subsidies.models import Application, ApplicationStatusChoices

    assert Payment.objects.filter(deal__in=Deal.objects.counted()).count() >= 10
    for d in Distribution.objects.all():  # every distribution adds up to its payment, to the fen
        assert d.costs_cny + sum(line.amount_cny for line in d.lines.all()) == d.payment.amount_cny
    assert set(Application.objects.values_list("status", flat=True)) == set(ApplicationStatusChoices.values)
    from opentto.poc.models import PocProgramme, PocProject

    # proof of concept: the district programme (cap a site setting), one project running, one concluded "go"
    assert list(PocProgramme.objects.values_list("name_en", "cap_per_project_cny")) == [("District proof-of-concept programme", Decimal("500000.00"))]
    assert sorted(PocProject.objects.values_list("status", "outcome", "committed_cny", "spent_cny")) == [
        ("concluded", "go", Decimal("450000.00"), Decimal("120000.00")), ("running", "", Decimal("450000.00"), Decimal("120000.00"))]


def test_the_two_cases_of_the_report_are_there(demo):
    assert Result.objects.filter(title_zh__contains="机械臂", field="ai", is_public=True).exists()
    assert Result.objects.filter(title_zh__contains="二尖瓣", field="medical_devices", is_public=True).exists()
    # the timeline's notes are free text in one field: the demo writes both languages, as in its other notes
    clip = Result.objects.get(title_zh__contains="二尖瓣", field="medical_devices", is_public=True)
    assert clip.transitions.filter(reason="临床试验入组完成，发明人申请转化评价 / Clinical-trial enrolment complete; the inventor asked for a transfer evaluation").exists()


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_demo_user_signs_in_with_the_password_alone(demo, username):
    client = Client()
    response = client.post("/en/accounts/login/", {"username": username, "password": "demo-pass-2022"})
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
