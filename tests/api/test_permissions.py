"""The API's resources in opentto/api/views.py ask grants (``write_permission``), its details follow
the parts' own rules, and tokens are revoked by their owner or an admin."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from opentto.api.models import ApiToken
from opentto.api.services import token_create, token_revoke
from opentto.core.models import AuditEvent, Grant
from opentto.results.models import Result

from .test_api import client_for

pytestmark = pytest.mark.django_db


def test_result_detail_names_inventors_only_to_signed_in_callers(inventor, onboarded):
    anonymous = APIClient().get(f"/api/v1/results/{onboarded.pk}/").json()
    assert anonymous["inventors"] == [] and [
        a["application_number"] for a in anonymous["ip_assets"]
    ] == ["CN202210123456.1"]
    signed_in = client_for(inventor).get(f"/api/v1/results/{onboarded.pk}/").json()
    assert [i["person"]["name_en"] for i in signed_in["inventors"]] == ["Li Ming"]


def test_onboarding_through_the_api_asks_the_add_grant(inventor, university, researcher):
    body = {
        "title_zh": "接口入驻",
        "kind": "other",
        "field": "other",
        "trl": 3,
        "owners": [university.pk],
        "inventors": [{"person": researcher.pk, "share": "100"}],
    }
    Grant.objects.filter(
        role="inventor", object_type="results.result", constraint="own_organisation"
    ).update(actions=["view", "view_details", "figures", "submit", "withdraw", "view_access_log"])
    before = AuditEvent.objects.exclude(action__startswith="api_token.").count()
    refused = client_for(inventor, "write").post("/api/v1/results/", {}, format="json")
    assert refused.status_code == 403  # before the (empty) body is validated
    assert (
        client_for(inventor, "write").post("/api/v1/results/", body, format="json").status_code
        == 403
    )
    assert not Result.objects.filter(title_zh="接口入驻").exists()
    assert AuditEvent.objects.exclude(action__startswith="api_token.").count() == before
    Grant.objects.filter(
        role="inventor", object_type="results.result", constraint="own_organisation"
    ).update(
        actions=["view", "view_details", "figures", "submit", "withdraw", "view_access_log", "add"]
    )
    assert (
        client_for(inventor, "write").post("/api/v1/results/", body, format="json").status_code
        == 201
    )


def test_a_token_is_revoked_by_its_owner_or_an_admin(inventor, manager, admin_user):
    token, _key = token_create(user=inventor, actor=None)
    with pytest.raises(PermissionError):
        token_revoke(token=token, actor=manager)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert token_revoke(token=token, actor=admin_user).revoked_at is not None
    own, _key = token_create(user=manager, actor=None)
    assert token_revoke(token=own, actor=manager).revoked_at is not None
    assert list(ApiToken.objects.restrict(inventor, "view")) == [token]
