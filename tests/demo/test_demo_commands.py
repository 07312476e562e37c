"""The demo's commands speak clearly: no e-mails while loading, the password last, the address last."""

from io import StringIO

from django.core.mail import send_mail
from django.core.management import call_command


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
    assert (
        lines[0]
        == "Loaded the demo: 1 organisations, 2 people, 3 results (1 notification e-mails of the story not sent)."
    )
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
