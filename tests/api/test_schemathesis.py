"""Fuzz the OpenAPI schema with schemathesis against the WSGI app (no server, no network): no
response is a 5xx and every documented response matches its schema. Few examples per operation and
derandomised, so it stays fast and repeatable in CI.

(schemathesis' own pytest plugin does not work with pytest 9 yet, so the operations are walked
here with Hypothesis directly: the same strategies and the same checks.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from opentto.accounts.models import User
from opentto.api.services import token_create
from opentto.results.models import Result
from opentto.wsgi import application

from . import fixtures as api_fixtures
from .fixtures import World

pytestmark = pytest.mark.django_db
world = api_fixtures.world  # the fixture: a record of every app resource
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The raw WSGI app closes "old" database connections around each request, which would close
    the test's transaction on PostgreSQL; Django's test client disconnects the same handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    paths = {operation.path.removeprefix("/api/v1") for operation in operations}
    for resource in (
        "demands",
        "matches",
        "evaluations",
        "plans",
        "payments",
        "subsidy-applications",
    ):
        assert f"/{resource}/" in paths and f"/{resource}/{{id}}/" in paths, resource
    assert {"/demands/{id}/matches/", "/results/{id}/demands/"} <= paths
    return operations


def _fuzz(operation: Any, headers: dict[str, str], examples: int) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_signed_in_manager_with_write_token(
    manager: User, onboarded: Result, confidential_result: Result, world: World
) -> None:
    key = token_create(user=manager, scope="write", actor=None)[1]
    for operation in _operations():
        _fuzz(operation, {"Authorization": f"Token {key}"}, examples=4)


def test_anonymous_caller(onboarded: Result, world: World) -> None:
    for operation in _operations():
        _fuzz(operation, {}, examples=2)


def test_enterprise_user_with_write_token(enterprise_user: User, world: World) -> None:
    key = token_create(user=enterprise_user, scope="write", actor=None)[1]
    for operation in _operations():
        _fuzz(operation, {"Authorization": f"Token {key}"}, examples=2)
