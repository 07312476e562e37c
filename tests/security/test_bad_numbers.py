"""Bad numbers are a 4xx, never a 500: every integer in a URL, every number and date in a query
string or a form, as the TTO manager (who reaches every code path) and as an anonymous visitor,
over every URL of the running URLconf (the permission matrix's list, the API included).

The values are the ones that break naive parsing: beyond a 64-bit key, negative, not finite,
not ASCII digits, impossible dates. Hypothesis adds integers of every size for the path's ids."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .matrix import FIXTURES, Route, build_world, routes, url_for
from .matrix_kinds import KINDS
from .test_permission_matrix import SKIP

pytestmark = pytest.mark.django_db

#: Path integers beyond what any key holds.
HUGE_IDS = (2**63, 10**30)
#: Query-string and form values that are not a usable number or date.
BAD_VALUES = (
    "99999999999999999999999999",
    "-1",
    "-99999999999999999999",
    "1e309",
    "nan",
    "inf",
    "-inf",
    "0x10",
    "٣",
    "１２",
    "1_000",
    " 7 ",
    "",
    "2025-02-30",
    "99999-01-01",
    "0000-00-00",
    "1.5",
    "\u00a0",
)
#: Requests per URL and method: each sends every key a different bad value, rotating, so that each key
#: meets several kinds of bad value on every URL.
ROTATIONS = 2
#: Every numeric or date parameter the views read from a query string or a form.
NUMERIC_KEYS = (
    "page",
    "year",
    "rank",
    "score",
    "trl_min",
    "trl_max",
    "owner",
    "organisation",
    "manager",
    "n",
    "days",
    "amount",
    "amount_cny",
    "field",
    "status",
    "kind",
    "sort",
    "mine",
    "limit",
    "offset",
    "cursor",
    "result",
    "deal",
    "demand",
    "person",
    "programme",
    "reviewer",
    "user",
    "weight",
    "share",
    "percent",
    "done_on",
    "signed_on",
    "received_on",
    "paid_on",
    "incurred_on",
    "due_on",
    "expires_on",
    "starts_on",
    "ends_on",
    "in_force_on",
    "completed_on",
    "terminated_on",
    "filing_date",
    "valuation_date",
    "requested_cny",
    "eligible_costs_cny",
    "royalty_rate",
    "discount_rate",
    "tax_rate",
    "term_months",
    "annual_rate",
    "budget_cny",
    "cap_per_project_cny",
    "trl",
    "sequence",
)


def _routes() -> list[Route]:
    return [r for r in routes() if r.name not in SKIP]


def _url(route: Route, value: int, world: dict[str, tuple[int, int]]) -> str | None:
    extra: dict[str, Any] = {}
    keys = [k for k, _v in route.params]
    if "year" in keys:
        extra["year"] = 2025
    if route.name == "planning:pledge_move":
        extra["verb"] = "register"
    return url_for(route, value, extra)


@pytest.fixture
def world(
    request, university, other_university, enterprise_org, researcher, onboarded
) -> dict[str, tuple[int, int]]:
    users = {role: request.getfixturevalue(name) for role, name in FIXTURES.items() if name}
    return build_world(users, university, other_university, enterprise_org, researcher, onboarded)


def _client(request: pytest.FixtureRequest, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if FIXTURES[role]:
        client.force_login(request.getfixturevalue(FIXTURES[role]))
    return client


def _check(response: Any, where: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{where}: {response.status_code}")


@pytest.mark.parametrize("role", ["manager", "anon"])
def test_huge_ids_in_every_url_are_not_found(request, role, world):
    client = _client(request, role)
    failures: list[str] = []
    for route in _routes():
        if not any(kind == "int" for _k, kind in route.params):
            continue
        for value in HUGE_IDS:
            url = _url(route, value, world)
            if url is None:
                continue
            _check(client.get(url), f"{role} GET {url}", failures)
            if role != "anon":  # a visitor's POST is sent to the sign-in page before any id is read
                _check(client.post(url, {}), f"{role} POST {url}", failures)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["manager", "anon"])
def test_bad_numbers_in_query_strings_and_forms_are_refused_cleanly(request, role, world):
    client = _client(request, role)
    failures: list[str] = []
    for route in _routes():
        kind = KINDS.get(route.name)
        value = world[kind][0] if kind in world else 1
        url = _url(route, value, world)
        if url is None:
            continue
        for rotation in range(ROTATIONS if role != "anon" else 1):
            values = {
                key: BAD_VALUES[(i + rotation * 5) % len(BAD_VALUES)]
                for i, key in enumerate(NUMERIC_KEYS)
            }
            _check(client.get(url, values), f"{role} GET {url}?{values}", failures)
            _check(client.post(url, values), f"{role} POST {url} {values}", failures)
    assert not failures, "\n".join(failures)


def test_any_integer_in_any_url(request, world):
    client = _client(request, "manager")
    with_ints = [r for r in _routes() if any(kind == "int" for _k, kind in r.params)]
    failures: list[str] = []

    @given(
        index=st.integers(min_value=0, max_value=len(with_ints) - 1),
        value=st.integers(min_value=0, max_value=2**80),
    )
    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(index: int, value: int) -> None:
        url = _url(with_ints[index], value, world)
        if url is not None:
            _check(client.get(url), f"GET {url}", failures)

    run()
    assert not failures, "\n".join(failures)


def test_every_api_path_answers_options_and_head(request, world, manager):
    from opentto.api.services import token_create

    key = token_create(user=manager, scope="write", actor=None)[1]
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")
    failures: list[str] = []
    api = [r for r in _routes() if "-" in r.name and ":" not in r.name]
    assert len(api) >= 12
    for route in api:
        kind = KINDS.get(route.name)
        for value in ((world[kind][0] if kind in world else 1), 2**63):
            url = _url(route, value, world)
            if url is None:
                continue
            for method in ("options", "head"):
                _check(getattr(client, method)(url), f"{method.upper()} {url}", failures)
    assert not failures, "\n".join(failures)
