"""``Idempotency-Key`` on the API's writes: a repeat with the same key and body gets the first
answer without writing again, the same key with another body answers 422, a malformed key 400, a
refusal keeps no key; an identical payment sent with a new key needs ``confirm_duplicate``."""

from __future__ import annotations

from typing import Any

import pytest

from opentto.core.models import AuditEvent, IdempotencyKey
from opentto.landing.models import Payment
from opentto.subsidies.models import Application

from . import fixtures as api_fixtures
from .fixtures import World
from .test_api_writes import client_for

pytestmark = pytest.mark.django_db
world = api_fixtures.world


def body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "deal": world.deal.pk,
        "received_on": "2025-05-01",
        "amount_cny": "100000.00",
        "note": "second",
        **extra,
    }


def test_a_repeated_payment_request_gets_the_first_answer_and_records_once(
    world: World, manager
) -> None:
    client = client_for(manager, "write")
    first = client.post(
        "/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="pay-0001"
    )
    again = client.post(
        "/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="pay-0001"
    )
    assert first.status_code == again.status_code == 201
    assert (
        again.json() == first.json()
        and again["Idempotent-Replayed"] == "true"
        and "Idempotent-Replayed" not in first
    )
    assert Payment.objects.count() == 2  # the world's payment and this one
    assert AuditEvent.objects.filter(action="deal.payment").count() == 2
    record = IdempotencyKey.objects.get()
    assert (record.key, record.scope, record.response_status, record.object_id) == (
        "pay-0001",
        "api:POST /api/v1/payments/",
        201,
        str(first.json()["id"]),
    )


def test_the_same_key_with_another_body_answers_422_and_writes_nothing(
    world: World, manager
) -> None:
    client = client_for(manager, "write")
    client.post("/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="pay-0002")
    other = client.post(
        "/api/v1/payments/",
        body(world, amount_cny="1.00"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="pay-0002",
    )
    assert other.status_code == 422
    detail = other.json()["detail"]
    assert detail.startswith("This Idempotency-Key was already used at ") and detail.endswith(
        "for a different request; send a new key with a new request."
    )
    assert Payment.objects.count() == 2


def test_a_malformed_key_is_refused_before_anything_is_written(world: World, manager) -> None:
    response = client_for(manager, "write").post(
        "/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="two words"
    )
    assert response.status_code == 400
    assert response.json() == {
        "Idempotency-Key": [
            "An idempotency key is 1 to 255 printable ASCII characters, without spaces."
        ]
    }
    assert Payment.objects.count() == 1 and IdempotencyKey.objects.count() == 0


def test_a_refused_request_keeps_no_key_so_the_corrected_one_runs(world: World, manager) -> None:
    client = client_for(manager, "write")
    refused = client.post(
        "/api/v1/payments/",
        body(world, received_on="2025-01-01"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="pay-0003",
    )
    assert refused.status_code == 400 and IdempotencyKey.objects.count() == 0
    unknown = client.post(
        "/api/v1/payments/",
        body(world, deal=2_000_000_000),
        format="json",
        HTTP_IDEMPOTENCY_KEY="pay-0003",
    )
    assert (
        unknown.status_code == 400 and IdempotencyKey.objects.count() == 0
    )  # an answer of 400 returned, not raised
    created = client.post(
        "/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="pay-0003"
    )
    assert created.status_code == 201 and Payment.objects.count() == 2


def test_permission_comes_before_the_key(world: World, enterprise_user) -> None:
    response = client_for(enterprise_user, "write").post(
        "/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="pay-0004"
    )
    assert (
        response.status_code == 403
        and IdempotencyKey.objects.count() == 0
        and Payment.objects.count() == 1
    )


def test_keys_are_per_caller(world: World, manager, admin_user) -> None:
    client_for(manager, "write").post(
        "/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    second = client_for(admin_user, "write").post(
        "/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    # another caller's key is not theirs: the request runs, and meets the duplicate check instead
    assert second.status_code == 400 and list(second.json()) == ["confirm_duplicate"]
    assert Payment.objects.count() == 2


def test_an_identical_payment_with_a_new_key_needs_confirming(world: World, manager) -> None:
    client = client_for(manager, "write")
    client.post("/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="pay-0005")
    held = client.post(
        "/api/v1/payments/", body(world), format="json", HTTP_IDEMPOTENCY_KEY="pay-0006"
    )
    assert held.status_code == 400
    [message] = held.json()["confirm_duplicate"]
    assert message.startswith(
        "An identical payment (100,000.00 yuan received on 2025-05-01) was already recorded at "
    )
    assert Payment.objects.count() == 2
    confirmed = client.post(
        "/api/v1/payments/",
        body(world, confirm_duplicate=True),
        format="json",
        HTTP_IDEMPOTENCY_KEY="pay-0006",
    )
    assert confirmed.status_code == 201 and Payment.objects.count() == 3


def test_any_write_of_the_api_takes_the_key(world: World, enterprise_user) -> None:
    client = client_for(enterprise_user, "write")
    url = f"/api/v1/subsidy-applications/{world.application.pk}/withdraw/"
    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="withdraw-1")
    again = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="withdraw-1")
    assert (
        first.status_code == again.status_code == 200
        and again.json() == first.json()
        and again["Idempotent-Replayed"] == "true"
    )
    assert Application.objects.get(pk=world.application.pk).status == "withdrawn"
    assert AuditEvent.objects.filter(action="subsidy.withdraw").count() == 1
    assert (
        client.post(url, {}, format="json").status_code == 400
    )  # without the key: the status refuses it


def test_the_schema_documents_the_header_on_writes(world: World) -> None:
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/payments/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    get = schema["paths"]["/api/v1/payments/"]["get"]
    assert not any(p["name"] == "Idempotency-Key" for p in get.get("parameters", []))
