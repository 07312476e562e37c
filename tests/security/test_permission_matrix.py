"""The generated permission matrix: every URL of the running URLconf and the API router × every role
× (own / another organisation's object, all confidential), against the explicit table in
``matrix_expectations.py``.

- a URL the table does not know fails the test (add its row: coverage cannot lapse silently);
- every GET answers exactly the status in the table, and shows no text of an object the role may
  not see (lists, search, matching, exports, figures, feeds and the API included);
- every POST (with a valid CSRF token, an empty form) answers exactly the status in the table, and
  a refused POST changes nothing (audit events and row counts compared);
- a forged POST without a CSRF token changes nothing.

To re-record after a deliberate change: ``OPENTTO_MATRIX_RECORD=/tmp/matrix.json pytest
tests/security/test_permission_matrix.py`` writes what the site answers (review it, then copy the
rows you agree with into the table).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from opentto.core.models import AuditEvent
from opentto.results.models import Result

from .matrix import (
    FIXTURES,
    MISSING,
    OTHER_SECRETS,
    OWN_SECRETS,
    ROLES,
    Route,
    build_world,
    routes,
    url_for,
)
from .matrix_expectations import GET, OBJECT_GET, OBJECT_POST, POST
from .matrix_kinds import KINDS

pytestmark = pytest.mark.django_db

#: What each role may read of the world's secrets (anything else found in a page is a leak).
MAY_SEE: dict[str, set[str]] = {
    "anon": set(), "admin": set(OWN_SECRETS + OTHER_SECRETS), "manager": set(OWN_SECRETS + OTHER_SECRETS),
    # their organisation's result, its attachment, the deal covering it and its planning workspace (read-only:
    # the overseas channels; valuations and financing stay with the TTO)
    "inventor": {"Confidential chip packaging", "保密的芯片封装工艺", "secret parameter X9", "机密参数X9", "secret-drawing.pdf", "Own deal QW1",
                 "Own partner CH1"},
    # their organisation's deal, demand and application
    "enterprise": {"Own deal QW1", "Own demand DM1", "Own application AP1"},
    # the title of the result they are invited to review (its details only after declaring no conflict)
    "reviewer": {"Confidential chip packaging", "保密的芯片封装工艺"},
    # subsidy applications (district-wide)
    "official": {"Own application AP1", "Rival application AP2"},
    "investor": set(),
}
#: GET URLs without parameters that also get a search query (lists, search, matching).
QUERIES = ("?q=chip", "?q=X9", "?q=battery", "?q=DM1")
#: Statuses of a refused request (a 302 must lead to the sign-in page).
REFUSED = {"302", "401", "403", "404", "405"}
#: Forms whose empty POST is answered (form shown again, or a redirect with an error) yet must save nothing, whoever sends it.
EMPTY_POST_CHANGES_NOTHING = {"planning:channel_edit", "planning:filing_edit", "planning:pool_edit", "planning:pool_asset_edit", "planning:pool",
                              "planning:pledge_move", "accounts:access_decide", "evaluation:rubric_revise", "demands:match_transition",
                              "demands:project_transition", "demands:milestone_done"}
#: Named URLs left out: the schema and docs (fuzzed by schemathesis elsewhere) and sign-out (ends the session).
SKIP = {"api-schema", "api-docs", "api-redoc", "logout"}


def _record_path() -> str | None:
    return os.environ.get("OPENTTO_MATRIX_RECORD")


def _users(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {role: request.getfixturevalue(name) for role, name in FIXTURES.items() if name}


@pytest.fixture
def world(request, university, other_university, enterprise_org, researcher, onboarded) -> dict[str, tuple[int, int]]:
    return build_world(_users(request), university, other_university, enterprise_org, researcher, onboarded)


def _client(request: pytest.FixtureRequest, role: str, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    if FIXTURES[role]:
        client.force_login(request.getfixturevalue(FIXTURES[role]))
    return client


def _matrix_routes() -> list[Route]:
    return [r for r in routes() if r.name not in SKIP]


def _urls(route: Route, world: dict[str, tuple[int, int]]) -> list[tuple[str, str]]:
    """(own|other|get, url) for a route."""
    if not route.params:
        url = url_for(route)
        return [("get", url)] if url else []
    kind = KINDS.get(route.name, "missing")
    out = []
    for which, label in enumerate(("own", "other")):
        value = world[kind][which] if kind in world else MISSING
        extra: dict[str, Any] = {}
        keys = [k for k, _v in route.params]
        if "year" in keys:
            extra["year"] = 2025
        if route.name == "planning:pledge_move":
            extra["verb"] = "register"  # an empty form: refused or invalid, never a change
        if route.name in {"demands:contact", "demands:feedback"}:
            extra["result_pk"] = world["public_result"][0]
        if "assignment_pk" in keys and "assignment" in world:
            # the round's own assignment: ids of rounds and assignments coincide only by chance
            extra["assignment_pk"] = world["assignment"][which]
        url = url_for(route, value, extra)
        if url:
            out.append((label, url))
    return out


#: The tables a refused write could touch (every service also writes an audit entry, counted too).
COUNTED = ["results.result", "results.attachment", "landing.deal", "landing.payment", "evaluation.reviewround", "evaluation.reviewassignment",
           "planning.transferplan", "planning.dealroom", "planning.dealroominvite", "demands.demand", "subsidies.application",
           "organisations.organisation", "organisations.person", "access.accessrequest", "access.accessgrant", "core.grant",
           "planning.patentfamily", "planning.filing", "planning.filingdeadline", "planning.confidentialityexamination",
           "planning.abandonmentdecision", "planning.valuation", "planning.pledgeloan", "planning.securitisationpool", "planning.poolasset",
           "planning.poolcashflow", "planning.overseaschannel", "evaluation.rubric", "demands.match", "demands.targetedproject",
           "demands.projectmilestone", "landing.distribution", "planning.transferoption", "planning.plantarget", "planning.servicetask"]


def _counts() -> tuple[int, ...]:
    """Row counts of :data:`COUNTED` and the stage/status of the world's objects: a refused write changes none of them."""
    out: list[Any] = [apps.get_model(label)._default_manager.count() for label in COUNTED]
    out += list(Result.objects.order_by("pk").values_list("stage", flat=True))
    for label in ("evaluation.reviewround", "planning.transferplan", "demands.demand", "subsidies.application", "landing.deal",
                  "planning.filing", "planning.filingdeadline", "planning.pledgeloan", "planning.overseaschannel", "access.accessrequest",
                  "demands.match", "demands.targetedproject", "planning.plantarget", "planning.servicetask"):
        out += list(apps.get_model(label)._default_manager.order_by("pk").values_list("status", flat=True))
    out += list(apps.get_model("demands.projectmilestone")._default_manager.order_by("pk").values_list("done_on", flat=True))
    return tuple(out)


def _expected(table_row: str | tuple[str, str] | None, label: str, role: str) -> str | None:
    if table_row is None:
        return None
    row = table_row if isinstance(table_row, str) else table_row[0 if label in {"own", "get"} else 1]
    return row.split()[ROLES.index(role)]


def test_every_url_has_a_row_in_the_table():
    """New views and API endpoints are covered automatically: a URL the table does not know fails here."""
    missing = []
    for route in _matrix_routes():
        if route.params and route.name not in KINDS:
            missing.append(f"{route.name}: which object does its parameter name? add it to matrix_kinds.KINDS")
        get_table, post_table = (OBJECT_GET, OBJECT_POST) if route.params else (GET, POST)
        if route.name not in get_table:
            missing.append(f"{route.name}: no GET expectation (matrix_expectations.{'OBJECT_GET' if route.params else 'GET'})")
        if route.name not in post_table:
            missing.append(f"{route.name}: no POST expectation (matrix_expectations.{'OBJECT_POST' if route.params else 'POST'})")
    names = {r.name for r in _matrix_routes()}
    stale = sorted((set(GET) | set(OBJECT_GET) | set(POST) | set(OBJECT_POST)) - names)
    assert not missing, "URLs the permission matrix does not know (give each role's expected status):\n" + "\n".join(missing)
    assert not stale, f"rows for URLs that no longer exist: {stale}"
    # The kinds the issue names are all in the matrix with a real object.
    for kind in ("result", "attachment", "deal", "round", "assignment", "plan", "room", "demand", "application", "person",
                 "family", "filing", "deadline", "valuation", "pledge", "channel", "pool", "pool_asset", "access_request", "rubric"):
        assert kind in KINDS.values(), kind


def _check_response(response: Any, role: str, expected: str | None, where: str, failures: list[str]) -> None:
    got = str(response.status_code)
    if expected is not None and got != expected:
        failures.append(f"{where}: {got}, expected {expected}")
    if got == "302" and role == "anon" and "/login/" not in response.get("Location", "") and "/i18n/setlang/" not in where:
        failures.append(f"{where}: redirects to {response.get('Location')}, not to the sign-in page")
    if got.startswith("5"):
        failures.append(f"{where}: {got}")
    if not getattr(response, "streaming", False):
        body = response.content.decode(errors="replace")
        leaked = [s for s in OWN_SECRETS + OTHER_SECRETS if s in body and s not in MAY_SEE[role]]
        if leaked:
            failures.append(f"{where} shows {leaked}")


@pytest.mark.parametrize("role", ROLES)
def test_get_every_url_answers_as_the_table_says_and_leaks_nothing(request, role, world):
    client = _client(request, role)
    failures: list[str] = []
    record: dict[str, dict[str, str]] = {}
    for route in _matrix_routes():
        table = OBJECT_GET.get(route.name) if route.params else GET.get(route.name)
        for label, url in _urls(route, world):
            response = client.get(url)
            record.setdefault(route.name, {})[label] = str(response.status_code)
            _check_response(response, role, _expected(table, label, role), f"{role} GET {url} ({label})", failures)
            if not route.params and response.status_code == 200 and ("list" in route.name or "search" in route.name or route.name in {"dashboard", "home"}):
                for query in QUERIES:
                    _check_response(client.get(url + query), role, None, f"{role} GET {url}{query}", failures)
    # Exports stream their rows: read them to the end (every registered list, as CSV).
    from opentto.imports.exports import EXPORTS

    for what in sorted(EXPORTS):
        response = client.get(f"/en/imports/export/{what}.csv")
        if response.status_code == 200:
            body = b"".join(response.streaming_content).decode(errors="replace") if response.streaming else response.content.decode(errors="replace")
            leaked = [s for s in OWN_SECRETS + OTHER_SECRETS if s in body and s not in MAY_SEE[role]]
            if leaked:
                failures.append(f"{role} export {what} shows {leaked}")
        elif response.status_code >= 500:
            failures.append(f"{role} export {what}: {response.status_code}")
    _save(f"get-{role}", record)
    if _record_path() is None:
        assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_post_to_every_url_answers_as_the_table_says_and_refused_writes_change_nothing(request, role, world):
    client = _client(request, role)
    failures: list[str] = []
    record: dict[str, dict[str, str]] = {}
    for route in _matrix_routes():
        table = OBJECT_POST.get(route.name) if route.params else POST.get(route.name)
        for label, url in _urls(route, world):
            expected = _expected(table, label, role)
            before = (AuditEvent.objects.count(), _counts())
            response = client.post(url, {})
            record.setdefault(route.name, {})[label] = str(response.status_code)
            _check_response(response, role, expected, f"{role} POST {url} ({label})", failures)
            if response.status_code >= 400 or route.name in EMPTY_POST_CHANGES_NOTHING or (expected in REFUSED and (expected != "302" or role == "anon")):
                after = (AuditEvent.objects.count(), _counts())
                if after != before:
                    failures.append(f"{role} POST {url} ({label}) was refused or invalid ({response.status_code}) but changed the database")
    _save(f"post-{role}", record)
    if _record_path() is None:
        assert not failures, "\n".join(failures)


def _save(key: str, record: dict[str, dict[str, str]]) -> None:
    """In record mode: what the site answered, one file per test (``<path>.<key>.json``)."""
    path = _record_path()
    if path is None:
        return
    with open(f"{path}.{key}.json", "w") as fh:
        json.dump(record, fh, indent=1, sort_keys=True)


@pytest.mark.parametrize("role", ["admin", "manager", "inventor"])
def test_insiders_reach_the_confidential_objects(request, role, world):
    """The leak detector sees what it looks for: the owners read the own result's details."""
    client = _client(request, role)
    page = client.get(f"/en/results/{world['result'][0]}/")
    assert page.status_code == 200 and "secret parameter X9" in page.content.decode()
    assert "Confidential chip packaging" in client.get("/en/results/").content.decode()
    assert client.get(f"/en/results/attachments/{world['attachment'][0]}/").status_code == 200
    export = client.get("/en/imports/export/results.csv")
    assert "Confidential chip packaging" in b"".join(export.streaming_content).decode()
    if role != "inventor":
        deals = client.get("/en/imports/export/deals.csv")
        assert "Secret deal ZQ7" in b"".join(deals.streaming_content).decode()


def test_a_forged_post_without_csrf_token_changes_nothing(request, world):
    client = _client(request, "manager", enforce_csrf_checks=True)
    before = (AuditEvent.objects.count(), _counts())
    failures = []
    for route in _matrix_routes():
        for _label, url in _urls(route, world)[:1]:
            response = client.post(url, {"target": "evaluation", "title_zh": "伪造", "name_zh": "伪造", "language": "en"})
            if not 400 <= response.status_code < 500:
                failures.append(f"{url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert (AuditEvent.objects.count(), _counts()) == before
    assert Result.objects.get(pk=world["public_result"][0]).stage == "onboarding"
