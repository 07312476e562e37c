"""Two-factor on every door: a session of a two-factor user that has given only the password
reaches nothing protected — pages, HTMX fragments, account pages, the admin, the browsable and
JSON API with the session — whether it came through the sign-in page (not signed in until the
code) or was authenticated some other way (``force_login``: what any other door would leave).
The same doors answer a verified session (the control), and an API token is not concerned."""

from __future__ import annotations

import pytest
from django.test import Client

from opentto.accounts.models import User
from opentto.api.services import token_create
from opentto.core.models import AuditEvent

from ..accounts.helpers import LOGIN, enable_two_factor, password_only_session, verified_session
from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db
SECRET_TITLE = "Confidential chip packaging process"


def _doors(result_pk: int, user_pk: int) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, extra headers) of every kind of door."""
    return [
        ("protected page", f"/en/results/{result_pk}/", {}),
        ("list page", "/en/results/", {}),
        ("dashboard", "/en/dashboard/", {}),
        ("HTMX fragment", "/en/results/?q=chip", {"HTTP_HX_REQUEST": "true"}),
        ("account page", "/en/account/", {}),
        ("two-factor page", "/en/account/two-factor/", {}),
        ("privacy page", "/en/account/privacy/", {}),
        ("access page", "/en/account/access/", {}),
        ("admin index", "/en/admin/", {}),
        ("admin change page", f"/en/admin/accounts/user/{user_pk}/change/", {}),
        ("browsable API", f"/api/v1/results/{result_pk}/", {"HTTP_ACCEPT": "text/html"}),
        ("JSON API", f"/api/v1/results/{result_pk}/", {"HTTP_ACCEPT": "application/json"}),
        ("API list", "/api/v1/results/", {}),
    ]


@pytest.fixture
def two_factor_admin(admin_user: User) -> User:
    enable_two_factor(admin_user)
    return admin_user


def test_a_password_only_session_reaches_no_door(two_factor_admin, confidential_result):
    client = password_only_session(two_factor_admin)
    for name, path, headers in _doors(confidential_result.pk, two_factor_admin.pk):
        response = client.get(path, **headers)
        body = response.content.decode()
        assert SECRET_TITLE not in body and "admin@" not in body, name
        if path.startswith("/api/"):
            assert response.status_code == 401, name
        elif "HTTP_HX_REQUEST" in headers:
            assert response.status_code == 403 and response["HX-Redirect"].startswith(
                "/en/account/verify/?next="
            ), name
        else:
            assert response.status_code == 302 and response["Location"].startswith(
                "/en/account/verify/?next="
            ), name


def test_a_verified_session_reaches_every_door(two_factor_admin, confidential_result):
    client = verified_session(two_factor_admin)
    for name, path, headers in _doors(confidential_result.pk, two_factor_admin.pk):
        response = client.get(path, **headers)
        assert response.status_code == 200, name
    assert SECRET_TITLE in client.get(f"/api/v1/results/{confidential_result.pk}/").content.decode()
    assert SECRET_TITLE in client.get(f"/en/results/{confidential_result.pk}/").content.decode()


def test_the_password_step_alone_signs_nobody_in(two_factor_admin, confidential_result):
    """After the password, before the code, the session is anonymous at every door."""
    client = Client()
    assert client.post(LOGIN, {"username": "admin", "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" not in client.session
    anonymous = Client()
    for name, path, headers in _doors(confidential_result.pk, two_factor_admin.pk):
        response = client.get(path, **headers)
        assert SECRET_TITLE not in response.content.decode(), name
        assert response.status_code == anonymous.get(path, **headers).status_code, name
        assert response.status_code != 200 or not path.startswith(
            ("/en/account/", "/en/admin/", "/en/dashboard/")
        ), name


def test_a_password_only_session_writes_nothing(two_factor_admin, confidential_result):
    client = password_only_session(two_factor_admin)
    events = AuditEvent.objects.count()
    # Turning two-factor off needs only the password on the two-factor page: not from this session.
    response = client.post("/en/account/two-factor/", {"action": "disable", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/en/account/verify/")
    assert User.objects.get(pk=two_factor_admin.pk).has_two_factor
    response = client.patch(
        f"/api/v1/results/{confidential_result.pk}/",
        {"title_en": "Changed"},
        content_type="application/json",
    )
    assert response.status_code == 401
    response = client.post(
        f"/en/admin/accounts/user/{two_factor_admin.pk}/change/", {"username": "renamed"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/en/account/verify/")
    assert User.objects.get(pk=two_factor_admin.pk).username == "admin"
    assert AuditEvent.objects.count() == events


def test_signing_out_and_the_code_page_stay_open(two_factor_admin):
    client = password_only_session(two_factor_admin)
    assert client.get("/en/account/verify/").status_code == 200
    assert client.post("/en/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_token_is_not_concerned(two_factor_admin, confidential_result):
    _token, key = token_create(user=two_factor_admin, actor=None)
    assert Client().get("/api/v1/results/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    # Even sent along with a password-only session's cookie.
    client = password_only_session(two_factor_admin)
    response = client.get(
        f"/api/v1/results/{confidential_result.pk}/", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 200 and SECRET_TITLE in response.content.decode()


def test_users_without_two_factor_are_not_concerned(manager, confidential_result):
    client = Client()
    client.force_login(manager)
    assert client.get(f"/en/results/{confidential_result.pk}/").status_code == 200
    assert client.get(f"/api/v1/results/{confidential_result.pk}/").status_code == 200
