"""The generated permission matrix: every URL of the running URLconf and the API router × every role
× (own / another organisation's object, all confidential), against the explicit table in
``matrix_expectations.py``.

- a URL the table does not know fails the test (add its row: coverage cannot lapse silently);
- every GET answers exactly the status in the table, and shows no text of an object the role may
  not see (lists, search, matching, exports, figures, feeds and the API included; files, PDFs and
  spreadsheets read to the end, the file name they give too);
- every POST (with a valid CSRF token, an empty form) answers exactly the status in the table, and
  a refused POST changes nothing (audit events and row counts compared);
- a forged POST without a CSRF token changes nothing.

To re-record after a deliberate change: ``OPENTTO_MATRIX_RECORD=/tmp/matrix.json pytest
tests/security/test_permission_matrix.py`` writes what the site answers (review it, then copy the
rows you agree with into the table).
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import openpyxl
import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf.errors import PyPdfError

from opentto.core.models import AuditEvent
from opentto.core.pdf import extract_text
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
from .matrix_expectations import ALSO_GET, GET, OBJECT_GET, OBJECT_POST, POST
from .matrix_kinds import KINDS

pytestmark = pytest.mark.django_db

#: Texts no grant of the TTO covers: a notification is its recipient's alone (``opentto/notifications/permissions.py``).
RECIPIENT_ONLY = {"Own notification NT1", "Rival notification NT2"}
#: What each role may read of the world's secrets (anything else found in a page is a leak), as the default grants say.
MAY_SEE: dict[str, set[str]] = {
    "anon": set(),
    "admin": set(OWN_SECRETS + OTHER_SECRETS) - RECIPIENT_ONLY,
    "manager": set(OWN_SECRETS + OTHER_SECRETS) - RECIPIENT_ONLY,
    # their organisation's results (the confidential one, the one held for the TTO, the one shared under NDA: details and
    # all), its attachment, the deal covering it and its planning workspace (read-only: the overseas channels; valuations
    # and financing stay with the TTO); their own notification; their own personal data (the copy of their data, PIPL art. 45); their team's rights application (赋权) and its agreement
    "inventor": {
        "Confidential chip packaging",
        "保密的芯片封装工艺",
        "secret parameter X9",
        "机密参数X9",
        "secret-drawing.pdf",
        "Own deal QW1",
        "Own partner CH1",
        "Shared details SD3",
        "共享细节SD3",
        "Own held result HR1",
        "暂挂成果HR1",
        "Own notification NT1",
        "li.ming.em1@univ-a.example",
        "110108198506143016",
        "Own bank BK1",
        "6222600260001072441",
        # the proof-of-concept project on their organisation's result, and its evidence
        "Own PoC PC1",
        "own-poc-PE1.pdf",
        "Own rights statement RS1",
        "own-fuquan-FQ1.pdf",
    },
    # their organisation's deal, demand and applications (with the tranche's milestone), their own access request's
    # signed NDA, and the details of the result shared with them under an NDA
    "enterprise": {
        "Own deal QW1",
        "Own demand DM1",
        "Own application AP1",
        "Own approved application AP3",
        "Own milestone TM1",
        "own-nda-ND1.pdf",
        "Shared details SD3",
        "共享细节SD3",
    },
    # the title of the result they are invited to review (its details only after declaring no conflict), and the evidence
    # of their own review (declared, in another round)
    "reviewer": {"Confidential chip packaging", "保密的芯片封装工艺", "own-evidence-EV1.pdf"},
    # subsidy applications and their tranches (district-wide)
    "official": {
        "Own application AP1",
        "Rival application AP2",
        "Own approved application AP3",
        "Rival approved application AP4",
        "Own milestone TM1",
        "Rival milestone TM2",
    },
    "investor": set(),
}
#: GET URLs without parameters that also get a search query (lists, search, matching).
QUERIES = ("?q=chip", "?q=X9", "?q=battery", "?q=DM1", "?q=SD3")
#: Statuses of a refused request (a 302 must lead to the sign-in page).
REFUSED = {"302", "401", "403", "404", "405"}
#: Forms whose empty POST is answered (form shown again, or a redirect with an error) yet must save nothing, whoever sends it.
EMPTY_POST_CHANGES_NOTHING = {
    "planning:channel_edit",
    "planning:filing_edit",
    "planning:fee_reduction",
    "portfolio:patent",
    "planning:pool_edit",
    "planning:pool_asset_edit",
    "planning:pool",
    "planning:pledge_move",
    "accounts:access_decide",
    "evaluation:rubric_revise",
    "demands:match_transition",
    "demands:project_transition",
    "demands:milestone_done",
    "subsidies:tranche_accept",
    "subsidies:tranche_pay",
    "rights:agreement",
    "rights:create",
    "rights:effect",
    "rights:grant",
    "rights:notice",
    "rights:objection",
    "rights:pilots",
    "rights:refuse",
    "rights:submit",
    "rights:withdraw",
}
#: Named URLs left out: the schema and docs (fuzzed by schemathesis elsewhere) and sign-out (ends the session).
SKIP = {"api-schema", "api-docs", "api-redoc", "logout"}


def _record_path() -> str | None:
    return os.environ.get("OPENTTO_MATRIX_RECORD")


def _users(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {role: request.getfixturevalue(name) for role, name in FIXTURES.items() if name}


@pytest.fixture
def world(
    request, university, other_university, enterprise_org, researcher, onboarded
) -> dict[str, tuple[int, int]]:
    return build_world(
        _users(request), university, other_university, enterprise_org, researcher, onboarded
    )


def _client(request: pytest.FixtureRequest, role: str, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    if FIXTURES[role]:
        client.force_login(request.getfixturevalue(FIXTURES[role]))
    return client


def _matrix_routes() -> list[Route]:
    return [r for r in routes() if r.name not in SKIP]


def _urls(
    route: Route, world: dict[str, tuple[int, int]], kind: str | None = None
) -> list[tuple[str, str]]:
    """(own|other|get, url) for a route (its object of ``kind``: by default the one ``KINDS`` names)."""
    if not route.params:
        url = url_for(route)
        return [("get", url)] if url else []
    kind = kind or KINDS[route.name]
    if kind != "none" and kind not in world:
        raise AssertionError(f"{route.name}: the world builds no {kind!r} (matrix.build_world)")
    out = []
    for which, label in enumerate(("own", "other")):
        value = MISSING if kind == "none" else world[kind][which]
        extra: dict[str, Any] = {}
        keys = [k for k, _v in route.params]
        if "year" in keys:
            extra["year"] = (
                timezone.localdate().year
            )  # the world's payments and approvals are this year's
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
COUNTED = [
    "results.result",
    "results.attachment",
    "landing.deal",
    "landing.payment",
    "evaluation.reviewround",
    "evaluation.reviewassignment",
    "planning.transferplan",
    "planning.dealroom",
    "planning.dealroominvite",
    "demands.demand",
    "subsidies.application",
    "organisations.organisation",
    "organisations.person",
    "access.accessrequest",
    "access.accessgrant",
    "core.grant",
    "patents.patentfamily",
    "patents.filing",
    "patents.filingdeadline",
    "patents.confidentialityexamination",
    "patents.abandonmentdecision",
    "patents.filingfeereduction",
    "patents.filingapplicant",
    "portfolio.portfoliodecision",
    "financing.valuation",
    "financing.pledgeloan",
    "financing.securitisationpool",
    "financing.poolasset",
    "financing.poolcashflow",
    "planning.overseaschannel",
    "evaluation.rubric",
    "demands.match",
    "demands.targetedproject",
    "demands.projectmilestone",
    "landing.distribution",
    "planning.transferoption",
    "planning.plantarget",
    "planning.servicetask",
    "subsidies.tranche",
    "subsidies.budgetline",
    "subsidies.subsidyproject",
    "subsidies.programme",
    "evaluation.criterionscore",
    "evaluation.scoreevidence",
    "clashes.clashhold",
    "notifications.notification",
    "notifications.notificationpreference",
    "core.idempotencykey",
    "organisations.membership",
    "results.ipasset",
    "landing.contractregistration",
    "landing.contractregistrationdocument",
]


def _row_counts() -> tuple[int, ...]:
    """``Model._default_manager.count()`` of every table in :data:`COUNTED`, in one round trip (one
    SELECT of a ``COUNT(*)`` over each default manager's own query): the POST walk takes these counts
    before and after each of its hundreds of requests, and on PostgreSQL the round trips were most
    of its time."""
    parts, params = [], []
    for i, label in enumerate(COUNTED):
        sql, sql_params = (
            apps.get_model(label)._default_manager.order_by().values("pk").query.sql_with_params()
        )
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{i})")  # noqa: S608 - SQL compiled by the ORM, values as parameters
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return tuple(cursor.fetchone())


def _counts() -> tuple[int, ...]:
    """Row counts of :data:`COUNTED` and the stage/status of the world's objects: a refused write changes none of them."""
    out: list[Any] = list(_row_counts())
    out += list(Result.objects.order_by("pk").values_list("stage", flat=True))
    for label in (
        "evaluation.reviewround",
        "planning.transferplan",
        "demands.demand",
        "subsidies.application",
        "landing.deal",
        "patents.filing",
        "patents.filingdeadline",
        "financing.pledgeloan",
        "planning.overseaschannel",
        "access.accessrequest",
        "demands.match",
        "demands.targetedproject",
        "planning.plantarget",
        "planning.servicetask",
        "subsidies.tranche",
        "clashes.clashhold",
        "evaluation.reviewassignment",
    ):
        out += list(
            apps.get_model(label)._default_manager.order_by("pk").values_list("status", flat=True)
        )
    for label, field in (
        ("demands.projectmilestone", "done_on"),
        ("access.accessgrant", "revoked_at"),
        ("notifications.notification", "read_at"),
        ("organisations.person", "consent_given_at"),
        ("organisations.person", "erased_at"),
    ):
        out += list(
            apps.get_model(label)._default_manager.order_by("pk").values_list(field, flat=True)
        )
    return tuple(out)


def _expected(table_row: str | tuple[str, str] | None, label: str, role: str) -> str | None:
    if table_row is None:
        return None
    row = (
        table_row if isinstance(table_row, str) else table_row[0 if label in {"own", "get"} else 1]
    )
    return row.split()[ROLES.index(role)]


def test_every_url_has_a_row_in_the_table():
    """New views and API endpoints are covered automatically: a URL the table does not know fails here."""
    missing = []
    for route in _matrix_routes():
        if route.params and route.name not in KINDS:
            missing.append(
                f"{route.name}: which object does its parameter name? add it to matrix_kinds.KINDS"
            )
        get_table, post_table = (OBJECT_GET, OBJECT_POST) if route.params else (GET, POST)
        if route.name not in get_table:
            missing.append(
                f"{route.name}: no GET expectation (matrix_expectations.{'OBJECT_GET' if route.params else 'GET'})"
            )
        if route.name not in post_table:
            missing.append(
                f"{route.name}: no POST expectation (matrix_expectations.{'OBJECT_POST' if route.params else 'POST'})"
            )
    names = {r.name for r in _matrix_routes()}
    stale = sorted(
        (
            set(GET)
            | set(OBJECT_GET)
            | set(POST)
            | set(OBJECT_POST)
            | {name for name, _kind in ALSO_GET}
        )
        - names
    )
    assert not missing, (
        "URLs the permission matrix does not know (give each role's expected status):\n"
        + "\n".join(missing)
    )
    assert not stale, f"rows for URLs that no longer exist: {stale}"
    # The kinds the issue names are all in the matrix with a real object.
    for kind in (
        "result",
        "attachment",
        "deal",
        "round",
        "assignment",
        "plan",
        "room",
        "demand",
        "application",
        "person",
        "family",
        "filing",
        "deadline",
        "valuation",
        "pledge",
        "channel",
        "pool",
        "pool_asset",
        "access_request",
        "rubric",
        "access_grant",
        "evidence",
        "hold",
        "notification",
        "tranche",
        "rights_application",
    ):
        assert kind in KINDS.values(), kind
    # No URL is filled with an id no object has: every kind but "none" (a year, a token) is built by the world.
    assert "missing" not in KINDS.values()


def _text(response: Any) -> str:
    """Everything a response tells, read to the end (a streamed export or file included): a PDF's
    text, a workbook's cells, any other body as text, and the file name it gives."""
    raw = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    kind = response.get("Content-Type", "")
    text = ""
    if kind.startswith("application/pdf") and raw.startswith(b"%PDF"):
        try:
            text = extract_text(raw)
        except PyPdfError:  # an uploaded test file that is barely a PDF: its bytes are read below
            text = ""
    elif "spreadsheetml" in kind:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
        text = "\n".join(
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return "\n".join((text, raw.decode(errors="replace"), response.get("Content-Disposition", "")))


def _leaked(text: str, role: str) -> list[str]:
    """The secrets in ``text`` that ``role`` may not see (also with the white space a PDF's text or a wrapped line loses)."""
    compact = "".join(text.split())
    return [
        s
        for s in OWN_SECRETS + OTHER_SECRETS
        if s not in MAY_SEE[role] and (s in text or "".join(s.split()) in compact)
    ]


def _check_response(
    response: Any, role: str, expected: str | None, where: str, failures: list[str]
) -> None:
    got = str(response.status_code)
    if expected is not None and got != expected:
        failures.append(f"{where}: {got}, expected {expected}")
    if (
        got == "302"
        and role == "anon"
        and "/login/" not in response.get("Location", "")
        and "/i18n/setlang/" not in where
    ):
        failures.append(
            f"{where}: redirects to {response.get('Location')}, not to the sign-in page"
        )
    if got.startswith("5"):
        failures.append(f"{where}: {got}")
    leaked = _leaked(_text(response), role)
    if leaked:
        failures.append(f"{where} shows {leaked}")


def _exports() -> list[tuple[str, str]]:
    """Every file the platform writes from its records that is not an object's own URL (those are in the walk), with what
    it answers an anonymous visitor (every signed-in role gets it: its rows and columns are theirs): each registered list
    as CSV and xlsx (404 unless the showcase shows it), each of the dashboard's tables as xlsx and the annual report, for
    this year (sign in first)."""
    from opentto.dashboard.reports import tables
    from opentto.imports.exports import EXPORTS

    year = timezone.localdate().year
    with translation.override("en"):
        return (
            [
                (
                    reverse("imports:export", kwargs={"what": what, "fmt": fmt}),
                    "404" if spec.signed_in else "200",
                )
                for what, spec in sorted(EXPORTS.items())
                for fmt in ("csv", "xlsx")
            ]
            + [
                (reverse("landing:figures_xlsx", kwargs={"table": table}) + f"?year={year}", "302")
                for table in sorted(tables(AnonymousUser(), year))
            ]
            + [(reverse("landing:annual_report", kwargs={"year": year}), "302")]
        )


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
            _check_response(
                response,
                role,
                _expected(table, label, role),
                f"{role} GET {url} ({label})",
                failures,
            )
            if (
                not route.params
                and response.status_code == 200
                and (
                    "list" in route.name
                    or "search" in route.name
                    or route.name in {"dashboard", "home"}
                )
            ):
                for query in QUERIES:
                    _check_response(
                        client.get(url + query), role, None, f"{role} GET {url}{query}", failures
                    )
    # Pages of the objects the walk names by another kind of the same route (a result shared under an NDA, a result held
    # for the TTO, an approved application with its tranches), against their rows in ALSO_GET.
    by_name = {r.name: r for r in _matrix_routes()}
    for (name, kind), table in ALSO_GET.items():
        for label, url in _urls(by_name[name], world, kind):
            response = client.get(url)
            record.setdefault(f"{name}@{kind}", {})[label] = str(response.status_code)
            _check_response(
                response,
                role,
                _expected(table, label, role),
                f"{role} GET {url} ({label} {kind})",
                failures,
            )
    # Exports: every list (CSV and xlsx), the dashboard's tables and the annual report, read to the end.
    for url, anonymous in _exports():
        _check_response(
            client.get(url),
            role,
            anonymous if role == "anon" else "200",
            f"{role} export {url}",
            failures,
        )
    _save(f"get-{role}", record)
    if _record_path() is None:
        assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_post_to_every_url_answers_as_the_table_says_and_refused_writes_change_nothing(
    request, role, world
):
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
            if (
                response.status_code >= 400
                or route.name in EMPTY_POST_CHANGES_NOTHING
                or (expected in REFUSED and (expected != "302" or role == "anon"))
            ):
                after = (AuditEvent.objects.count(), _counts())
                if after != before:
                    failures.append(
                        f"{role} POST {url} ({label}) was refused or invalid ({response.status_code}) but changed the database"
                    )
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


def test_the_detector_finds_each_kind_of_secret_where_its_readers_look(request, world):
    """The leak detector sees the newer secrets too (personal data, files' names, a notification, a held result, a
    tranche, details shared under an NDA, a PDF's text), so their absence from every other page means something."""

    def url(name: str, *args: Any) -> str:
        with translation.override("en"):
            return reverse(name, args=args)

    own, other = (lambda kind: world[kind][0]), (lambda kind: world[kind][1])
    checks = [
        ("manager", "get", url("accounts:person_private", own("person")), "Own bank BK1"),
        ("admin", "get", url("accounts:person_private", other("person")), "Rival bank BK2"),
        (
            "manager",
            "get",
            url("imports:export", "people", "csv"),
            "rival.inventor.em2@univ-b.example",
        ),
        (
            "manager",
            "get",
            url("organisations:person", own("person")),
            "li.ming.em1@univ-a.example",
        ),
        ("inventor", "post", url("accounts:my_data"), "110108198506143016"),
        ("inventor", "get", url("notifications:list"), "Own notification NT1"),
        ("enterprise", "get", url("accounts:access_nda", own("access_request")), "own-nda-ND1.pdf"),
        ("manager", "get", url("accounts:access"), "rival-nda-ND2.pdf"),
        ("enterprise", "get", url("results:detail", own("shared_result")), "Shared details SD3"),
        ("reviewer", "get", url("evaluation:evidence", own("evidence")), "own-evidence-EV1.pdf"),
        ("manager", "get", url("clashes:hold", other("hold")), "Rival held result HR2"),
        ("inventor", "get", url("results:list"), "Own held result HR1"),
        (
            "enterprise",
            "get",
            url("subsidies:detail", own("approved_application")),
            "Own milestone TM1",
        ),
        (
            "official",
            "get",
            url("subsidies:detail", other("approved_application")),
            "Rival milestone TM2",
        ),
        ("manager", "get", url("planning:valuation_pdf", own("valuation")), "Own valuation VP1"),
    ]
    missed = []
    for role, method, address, secret in checks:
        response = getattr(_client(request, role), method)(address)
        text = _text(response)
        if (
            response.status_code != 200
            or secret not in text
            and "".join(secret.split()) not in "".join(text.split())
        ):
            missed.append(
                f"{role} {method} {address}: {response.status_code}, {secret!r} not found"
            )
    assert not missed, "\n".join(missed)


def test_a_forged_post_without_csrf_token_changes_nothing(request, world):
    client = _client(request, "manager", enforce_csrf_checks=True)
    before = (AuditEvent.objects.count(), _counts())
    failures = []
    for route in _matrix_routes():
        for _label, url in _urls(route, world)[:1]:
            response = client.post(
                url,
                {"target": "evaluation", "title_zh": "伪造", "name_zh": "伪造", "language": "en"},
            )
            if not 400 <= response.status_code < 500:
                failures.append(f"{url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert (AuditEvent.objects.count(), _counts()) == before
    assert Result.objects.get(pk=world["public_result"][0]).stage == "onboarding"
