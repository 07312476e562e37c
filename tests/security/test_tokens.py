"""API tokens: they carry their user's grants (nothing more), a read token cannot write, and a
token stops working when it expires, is revoked or its user is deactivated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from opentto.api.models import ApiToken
from opentto.api.services import token_create, token_revoke
from opentto.core.models import AuditEvent
from opentto.results.models import Result

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.parametrize(
    "who, sees_confidential",
    [
        ("manager", True),
        ("inventor", True),
        ("other_inventor", False),
        ("enterprise_user", False),
        ("reviewer", False),
        ("official", False),
        ("investor", False),
    ],
)
def test_a_token_sees_what_its_user_may_see(
    request, who, sees_confidential, onboarded, confidential_result
):
    _token, key = token_create(user=request.getfixturevalue(who), actor=None)
    client = _client(key)
    ids = {row["id"] for row in client.get("/api/v1/results/").json()["results"]}
    assert onboarded.pk in ids and (confidential_result.pk in ids) is sees_confidential
    assert client.get(f"/api/v1/results/{confidential_result.pk}/").status_code == (
        200 if sees_confidential else 404
    )


def test_a_read_token_cannot_write_and_nothing_changes(manager, onboarded):
    _token, key = token_create(user=manager, scope="read", actor=None)
    before = (AuditEvent.objects.count(), Result.objects.count())
    response = _client(key).patch(
        f"/api/v1/results/{onboarded.pk}/", {"title_en": "Changed"}, format="json"
    )
    assert response.status_code == 403
    assert (AuditEvent.objects.count(), Result.objects.count()) == before
    assert Result.objects.get(pk=onboarded.pk).title_en != "Changed"


def test_expired_revoked_and_deactivated_tokens_are_refused(inventor):
    token, key = token_create(user=inventor, actor=None)
    client = _client(key)
    assert client.get("/api/v1/results/").status_code == 200
    inventor.is_active = False
    inventor.save(update_fields=["is_active"])
    assert client.get("/api/v1/results/").status_code == 401
    inventor.is_active = True
    inventor.save(update_fields=["is_active"])
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/results/").status_code == 401
    token2, key2 = token_create(user=inventor, actor=None)
    token_revoke(token=token2, actor=inventor)
    assert _client(key2).get("/api/v1/results/").status_code == 401
