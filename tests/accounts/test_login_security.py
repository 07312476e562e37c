"""Passwords (policy, hasher) and the account pages. Throttling: test_throttling.py; two-factor:
test_two_factor.py."""

from __future__ import annotations

import pytest
from django.test import Client

from opentto.accounts.models import User
from opentto.core.models import AuditEvent

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_password_policy_refuses_weak_passwords(inventor):
    client = Client()
    client.force_login(inventor)
    for weak in ("12345678901", "password123", "short"):
        response = client.post(
            "/en/account/password/",
            {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
        )
        assert response.status_code == 200 and "error" in response.content.decode()
    response = client.post(
        "/en/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "x" * 300 + "Aa1",
            "new_password2": "x" * 300 + "Aa1",
        },
    )
    assert "at most 256 characters" in response.content.decode()
    strong = "plum-orbit-canal-7"
    response = client.post(
        "/en/account/password/",
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=inventor.pk).check_password(strong)


def test_argon2_is_the_hasher_outside_tests():
    from opentto.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_account_page_and_my_data(inventor):
    client = Client()
    client.force_login(inventor)
    page = client.get("/en/account/")
    assert page.status_code == 200 and "Two-factor authentication" in page.content.decode()
    assert client.get("/en/account/my-data/").status_code == 405
    response = client.post("/en/account/my-data/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    data = response.json()
    assert data["person"]["name_en"] == "Li Ming" and data["user"]["username"] == "inventor"
    assert AuditEvent.objects.filter(action="person.export").exists()
