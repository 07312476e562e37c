"""The REST API: the same permission querysets and services as the pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from opentto.accounts.models import User
from opentto.api.models import ApiToken
from opentto.api.services import token_create, token_revoke
from opentto.core.models import AuditEvent
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result

pytestmark = pytest.mark.django_db


def client_for(user: User | None, scope: str = "read") -> APIClient:
    client = APIClient()
    if user is not None:
        _token, key = token_create(user=user, scope=scope, actor=None)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_anonymous_lists_public_summaries_only(
    onboarded: Result, confidential_result: Result
) -> None:
    response = APIClient().get("/api/v1/results/")
    assert ids(response) == {onboarded.pk}
    row = response.json()["results"][0]
    assert {"id", "title_zh", "title_en", "stage", "confidential"} <= set(row)
    assert row["confidential"] is False and row["stage"] == "onboarding"
    assert "details_zh" not in row
    owner = onboarded.ownerships.get().organisation
    assert row["owners"] == [{"id": owner.pk, "name_zh": owner.name_zh, "name_en": owner.name_en}]
    assert "next" in response.json()
    assert APIClient().get(f"/api/v1/results/{confidential_result.pk}/").status_code == 404
    detail = APIClient().get(f"/api/v1/results/{onboarded.pk}/").json()
    assert detail["details_zh"] is None and detail["details_en"] is None


def test_roles_see_what_the_pages_show(
    onboarded: Result,
    confidential_result: Result,
    inventor: User,
    other_inventor: User,
    manager: User,
    enterprise_user: User,
) -> None:
    assert ids(client_for(manager).get("/api/v1/results/")) == {
        onboarded.pk,
        confidential_result.pk,
    }
    assert ids(client_for(inventor).get("/api/v1/results/")) == {
        onboarded.pk,
        confidential_result.pk,
    }
    assert ids(client_for(other_inventor).get("/api/v1/results/")) == {onboarded.pk}
    assert ids(client_for(enterprise_user).get("/api/v1/results/")) == {onboarded.pk}
    assert (
        client_for(other_inventor).get(f"/api/v1/results/{confidential_result.pk}/").status_code
        == 404
    )
    mine = client_for(inventor).get(f"/api/v1/results/{confidential_result.pk}/").json()
    assert mine["confidential"] is True and mine["details_en"] == "secret parameter X9"
    assert AuditEvent.objects.filter(
        action="result.view_details", object_id=str(confidential_result.pk)
    ).exists()
    # Search never reveals confidential details to those who may not read them.
    assert ids(client_for(enterprise_user).get("/api/v1/results/", {"q": "X9"})) == set()
    assert ids(client_for(inventor).get("/api/v1/results/", {"q": "X9"})) == {
        confidential_result.pk
    }


def test_filters_ordering_and_cursor_pagination(
    manager: User, onboarded: Result, confidential_result: Result
) -> None:
    client = client_for(manager)
    assert ids(client.get("/api/v1/results/", {"public": "confidential"})) == {
        confidential_result.pk
    }
    assert ids(client.get("/api/v1/results/", {"stage": "landed"})) == set()
    assert ids(client.get("/api/v1/results/", {"stage": "no-such-stage"})) == {
        onboarded.pk,
        confidential_result.pk,
    }
    first = client.get("/api/v1/results/", {"page_size": 1, "ordering": "id"}).json()
    assert [r["id"] for r in first["results"]] == [min(onboarded.pk, confidential_result.pk)]
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [max(onboarded.pk, confidential_result.pk)]
    assert second["next"] is None
    assert client.get("/api/v1/results/99999999999999999999/").status_code == 404
    assert client.get("/api/v1/results/", {"cursor": "garbage"}).status_code == 404


def test_ip_assets_deals_directory_and_figures(
    onboarded: Result, confidential_result: Result, manager: User, enterprise_user: User
) -> None:
    anonymous = APIClient()
    assets = anonymous.get("/api/v1/ip-assets/").json()["results"]
    assert [a["application_number"] for a in assets] == ["CN202210123456.1"]
    assert anonymous.get("/api/v1/organisations/").json()["results"] == []
    assert anonymous.get("/api/v1/people/").json()["results"] == []
    assert anonymous.get("/api/v1/deals/").json()["results"] == []
    assert anonymous.get("/api/v1/figures/").status_code == 401
    orgs = client_for(enterprise_user).get("/api/v1/organisations/").json()["results"]
    assert {o["id"] for o in orgs} == set(Organisation.objects.values_list("pk", flat=True))
    figures = client_for(manager).get("/api/v1/figures/").json()
    assert figures["results_incubated"] == 2 and figures["transaction_value_cny"] == "0.00"
    assert client_for(enterprise_user).get("/api/v1/figures/").json()["results_incubated"] == 1


def test_create_result_through_the_service(
    manager: User, university: Organisation, researcher: Person
) -> None:
    body = {
        "title_zh": "新型固态电解质",
        "title_en": "A new solid electrolyte",
        "kind": "new_material",
        "field": "new_materials",
        "trl": 3,
        "owners": [university.pk],
        "inventors": [{"person": researcher.pk, "share": "100"}],
        "ip_assets": [{"application_number": "CN202210123456.2"}],
    }
    read_only = client_for(manager, "read").post("/api/v1/results/", body, format="json")
    assert read_only.status_code == 403 and Result.objects.count() == 0
    client = client_for(manager, "write")
    bad = client.post("/api/v1/results/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert bad.json()["ip_assets-0-application_number"] == [
        "The check digit of CN202210123456.2 is wrong: it should be 1."
    ]
    in_chinese = client.post(
        "/api/v1/results/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert in_chinese.json()["ip_assets-0-application_number"] == [
        "CN202210123456.2 的校验位有误，应为 1。"
    ]
    assert Result.objects.count() == 0
    body["ip_assets"] = [{"application_number": "CN202210123456.1"}]
    created = client.post("/api/v1/results/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["stage"] == "onboarding" and created.json()["confidential"] is True
    result = Result.objects.get()
    assert AuditEvent.objects.filter(action="result.onboard", object_id=str(result.pk)).exists()


def test_enterprise_cannot_onboard(
    enterprise_user: User, university: Organisation, researcher: Person
) -> None:
    body = {
        "title_zh": "x",
        "kind": "other",
        "field": "other",
        "trl": 3,
        "owners": [university.pk],
        "inventors": [{"person": researcher.pk, "share": "100"}],
    }
    response = client_for(enterprise_user, "write").post("/api/v1/results/", body, format="json")
    assert response.status_code == 403 and Result.objects.count() == 0


def test_organisation_create_checks_credit_code(manager: User, enterprise_user: User) -> None:
    body = {"name_zh": "测试公司", "kind": "enterprise", "credit_code": "91110108MA01ABCDE1"}
    assert (
        client_for(enterprise_user, "write")
        .post("/api/v1/organisations/", body, format="json")
        .status_code
        == 403
    )
    bad = client_for(manager, "write").post("/api/v1/organisations/", body, format="json")
    assert bad.status_code == 400 and "credit_code" in bad.json()
    assert not Organisation.objects.filter(name_zh="测试公司").exists()


def test_tokens_expire_and_revoke(manager: User) -> None:
    token, key = token_create(user=manager, actor=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/figures/").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).digest != key  # only a digest is stored
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/figures/").status_code == 401
    token2, key2 = token_create(user=manager, actor=None)
    token_revoke(token=token2, actor=manager)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key2}")
    assert client.get("/api/v1/results/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/results/").status_code == 401


def test_token_command_prints_a_working_key(
    manager: User, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("token", "create", manager.username, "--scope", "write", "--days", "30")
    key = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/figures/").status_code == 200
    token = ApiToken.objects.get(user=manager)
    assert token.scope == "write" and token.expires_at is not None


def test_schema_and_local_docs(client: Any) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/results/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert (
        "//cdn" not in html.lower()
        and "jsdelivr" not in html.lower()
        and "unpkg" not in html.lower()
    )


def test_metrics_for_staff_and_bearer_only(
    client: Any, manager: User, onboarded: Result, settings: Any
) -> None:
    assert client.get("/metrics").status_code == 404
    settings.OPENTTO_METRICS_TOKEN = "scrape-secret"
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'opentto_results{stage="onboarding"} 1' in text
    assert "# TYPE opentto_database_up gauge" in text
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.force_login(manager)
    assert client.get("/metrics").status_code == 200
