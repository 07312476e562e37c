import pytest
from django.test import Client

from opentto.accounts.models import User

from ..conftest import PASSWORD


@pytest.mark.django_db
def test_healthz_reports_the_database():
    response = Client().get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"]["ok"] is True
    assert data["database"]["migrations_pending"] is False


@pytest.mark.django_db
def test_unprefixed_login_redirects_to_the_browsers_language():
    assert (
        Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/")["Location"]
        == "/en/accounts/login/"
    )
    assert (
        Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get("/accounts/login/")["Location"]
        == "/zh-hans/accounts/login/"
    )


@pytest.mark.django_db
def test_sign_in_with_password_lands_on_the_dashboard(manager):
    client = Client()
    response = client.post("/en/accounts/login/", {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/en/dashboard/"
    assert client.get("/en/dashboard/").status_code == 200


@pytest.mark.django_db
def test_language_switch_is_remembered_on_the_user(manager):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/en/results/"})
    assert response["Location"] == "/zh-hans/results/"
    assert User.objects.get(pk=manager.pk).language == "zh-hans"
    # A new browser (English) signs in and gets the user's language back.
    fresh = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = fresh.post("/en/accounts/login/", {"username": "manager", "password": PASSWORD})
    assert response["Location"] == "/zh-hans/dashboard/"


@pytest.mark.django_db
def test_language_switch_refuses_foreign_redirects():
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(manager):
    client = Client()
    client.force_login(manager)
    response = client.get("/en/results/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("browser_language", ["en", "zh-CN"])
def test_language_switch_works_whatever_the_browsers_language(manager, browser_language):
    from django.utils import translation

    client = Client(HTTP_ACCEPT_LANGUAGE=browser_language)
    client.force_login(manager)
    with translation.override(None):
        to_chinese = client.post(
            "/i18n/setlang/", {"language": "zh-hans", "next": "/en/results/?stage=landed"}
        )
        to_english = client.post("/i18n/setlang/", {"language": "en", "next": "/zh-hans/results/"})
    assert to_chinese["Location"] == "/zh-hans/results/?stage=landed"
    assert to_english["Location"] == "/en/results/"
