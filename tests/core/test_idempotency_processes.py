"""Money moves once across processes: gunicorn with four worker processes serves the test database
(committed data: ``transaction=True``), and twenty identical requests are fired at the same moment
from twenty client threads. Each burst must write exactly once: a payment, a cost, a distribution,
a signature, a tranche payment and an approval posted through their forms with one form key; a
payment through the API with one ``Idempotency-Key``; twenty identical payment forms each with a
fresh key (twenty open tabs) hit the duplicate check under the deal's row lock; and two
applications of one project approved at the same moment cannot pass the project's cap.

PostgreSQL only: SQLite serialises every write transaction anyway, and Django's test database on
SQLite is in memory, out of the workers' reach. Works under pytest-xdist (each worker's own test
database, a free port)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from opentto.api.services import token_create
from opentto.core.models import AuditEvent, IdempotencyKey
from opentto.landing.models import Deal, Distribution, Payment, ResultCost
from opentto.landing.services import deal_create
from opentto.subsidies import services as subsidies
from opentto.subsidies.models import Application, SubsidyProject, Tranche
from tests.landing.conftest import landing_result, signed_deal  # noqa: F401  (fixtures)
from tests.subsidies.test_projects import apply, recognise
from tests.subsidies.test_subsidies import programme  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
BURST = 20
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="gunicorn's worker processes need a shared server database: PostgreSQL leg only",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read().decode(),
            )
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server(django_db_setup: None) -> Iterator[Server]:
    db = connection.settings_dict
    auth = db["USER"] + (f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "opentto.settings.test",
        "PYTHONPATH": str(ROOT),
        "OPENTTO_WARM_AT_START": "0",
        "SECRET_KEY": settings.SECRET_KEY,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            "opentto.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (
                process.stdout.read() if process.stdout else "gunicorn exited"
            )
            try:
                if server.request("GET", "/healthz")[0] in (200, 503):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Browser:
    """A signed-in user's cookies and CSRF token, as a browser holds them."""

    def __init__(self, server: Server, user: Any) -> None:
        client = Client()
        client.force_login(user)
        self.server = server
        self.cookies = {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value
        }
        self.csrf = ""

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def page(self, path: str) -> str:
        status, headers, body = self.server.request(
            "GET", path, headers={"Cookie": self._cookie_header()}
        )
        assert status == 200, (path, status, body[:500])
        cookie = re.search(rf"{settings.CSRF_COOKIE_NAME}=([^;]+)", headers.get("set-cookie", ""))
        if cookie:
            self.cookies[settings.CSRF_COOKIE_NAME] = cookie.group(1)
        self.csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
        return body

    def form_key(self, page: str, action: str) -> str:
        """The single-use key of the form posting to ``action`` on ``page``."""
        form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
        assert form is not None, action
        return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', form.group(1)).group(1)  # type: ignore[union-attr]

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf, **fields}).encode()
        return self.server.request(
            "POST",
            path,
            body,
            {"Cookie": self._cookie_header(), "Content-Type": "application/x-www-form-urlencoded"},
        )


def burst(send: Any, requests: list[Any]) -> list[Any]:
    """Send every request at the same moment (a barrier), each from its own thread."""
    barrier = threading.Barrier(len(requests))

    def one(request: Any) -> Any:
        barrier.wait(timeout=30)
        return send(request)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(one, requests))


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_requests_across_worker_processes_move_money_once(
    server: Server,
    manager,
    official,
    enterprise_user,
    university,
    signed_deal,
    landing_result,
    programme,
) -> None:
    tto = Browser(server, manager)
    deal_url = f"/en/deals/{signed_deal.pk}/"
    page = tto.page(deal_url)

    # a payment form posted twenty times with its key (double clicks, resubmits)
    key = tto.form_key(page, f"{deal_url}payments/")
    payment = {
        "received_on": "2025-03-10",
        "amount_cny": "100000.00",
        "note": "first instalment",
        "idempotency_key": key,
    }
    statuses = [
        r[0] for r in burst(lambda f: tto.post(f"{deal_url}payments/", f), [payment] * BURST)
    ]
    assert statuses == [302] * BURST
    assert (
        Payment.objects.count() == 1
        and AuditEvent.objects.filter(action="deal.payment").count() == 1
    )

    # twenty tabs of the form, each with its own key, posting the same payment: the duplicate check holds all but one
    tabs = [
        {**payment, "amount_cny": "200000.00", "idempotency_key": f"{n:032x}"} for n in range(BURST)
    ]
    statuses = sorted(r[0] for r in burst(lambda f: tto.post(f"{deal_url}payments/", f), tabs))
    assert statuses == [200] * (BURST - 1) + [302]  # 200: the form shown again, asking to confirm
    assert Payment.objects.filter(amount_cny=Decimal("200000.00")).count() == 1

    # a cost posted twenty times with its key
    page = tto.page(deal_url)
    cost = {
        "result": str(landing_result.pk),
        "kind": "agent",
        "amount_cny": "8000.00",
        "incurred_on": "2025-02-01",
        "description": "Agent",
        "idempotency_key": tto.form_key(page, f"{deal_url}costs/"),
    }
    assert [r[0] for r in burst(lambda f: tto.post(f"{deal_url}costs/", f), [cost] * BURST)] == [
        302
    ] * BURST
    assert ResultCost.objects.count() == 1

    # distributing the first payment from its preview, twenty times with the confirm button's key
    first = Payment.objects.get(amount_cny=Decimal("100000.00"))
    distribute = f"/en/deals/payments/{first.pk}/distribute/"
    preview = tto.page(f"/en/deals/payments/{first.pk}/distribution/")
    fingerprint = re.search(r'name="preview" value="([^"]+)"', preview).group(1)  # type: ignore[union-attr]
    fields = {"idempotency_key": tto.form_key(preview, distribute), "preview": fingerprint}
    assert [r[0] for r in burst(lambda f: tto.post(distribute, f), [fields] * BURST)] == [
        302
    ] * BURST
    assert (
        Distribution.objects.count() == 1
        and AuditEvent.objects.filter(action="payment.distribute").count() == 1
    )

    # signing a second deal, twenty times with the form's key
    draft = deal_create(
        results=[landing_result],
        counterparty=signed_deal.counterparty,
        deal_type="licence_non_exclusive",
        amount_cny="10",
        actor=manager,
    )
    draft_url = f"/en/deals/{draft.pk}/"
    sign = {
        "signed_on": "2025-04-01",
        "idempotency_key": tto.form_key(tto.page(draft_url), f"{draft_url}sign/"),
    }
    assert [r[0] for r in burst(lambda f: tto.post(f"{draft_url}sign/", f), [sign] * BURST)] == [
        302
    ] * BURST
    assert (
        Deal.objects.get(pk=draft.pk).status == "signed"
        and AuditEvent.objects.filter(action="deal.sign", object_id=str(draft.pk)).count() == 1
    )

    # the API: twenty requests with one Idempotency-Key
    _token, api_key = token_create(user=manager, scope="write", actor=None)
    body = f'{{"deal": {signed_deal.pk}, "received_on": "2025-05-01", "amount_cny": "300000.00", "note": "API"}}'.encode()
    headers = {
        "Authorization": f"Token {api_key}",
        "Content-Type": "application/json",
        "Idempotency-Key": "api-burst-1",
    }
    answers = burst(
        lambda b: server.request("POST", "/api/v1/payments/", b, headers), [body] * BURST
    )
    assert [a[0] for a in answers] == [201] * BURST
    assert len({a[2] for a in answers}) == 1  # the same answer, the same payment
    assert sum(a[1].get("idempotent-replayed") == "true" for a in answers) == BURST - 1
    assert Payment.objects.filter(note="API").count() == 1

    # two applications of one project (3,000,000 each, cap 5,000,000), approved at the same moment,
    # each approval form posted twenty times with its key
    a = apply(
        programme,
        "3000000",
        results=[landing_result],
        deal=signed_deal,
        partner=university,
        actor=enterprise_user,
    )
    b = apply(
        programme,
        "3000000",
        results=[landing_result],
        deal=signed_deal,
        partner=university,
        actor=enterprise_user,
        title="第二期",
    )
    for app in (a, b):
        recognise(app, enterprise_user, official, "XH-2025-100")
    district = Browser(server, official)
    approvals = []
    for app in (a, b):
        url = f"/en/subsidies/applications/{app.pk}/"
        approvals += [
            (
                f"{url}approve/",
                {
                    "amount_cny": "3000000",
                    "idempotency_key": district.form_key(district.page(url), f"{url}approve/"),
                },
            )
        ] * BURST
    assert [r[0] for r in burst(lambda p: district.post(*p), approvals)] == [302] * (2 * BURST)
    project = SubsidyProject.objects.get()
    assert (
        project.approved_cny == Decimal("3000000.00")
        and Application.objects.filter(status="approved").count() == 1
    )
    assert AuditEvent.objects.filter(action="subsidy.approve").count() == 1
    assert IdempotencyKey.objects.filter(scope__startswith="form:subsidies:approve").count() == 1

    # the approved application's first tranche, paid twenty times with the form's key
    approved = Application.objects.get(status="approved")
    tranche = subsidies.tranche_add(
        application=approved, milestone="Pilot line", amount_cny="1000000", actor=official
    )
    subsidies.tranche_accept(tranche=tranche, acceptance_note="Site check", actor=official)
    url = f"/en/subsidies/applications/{approved.pk}/"
    pay_url = f"/en/subsidies/tranches/{tranche.pk}/pay/"
    pay = {
        "paid_on": timezone.localdate().isoformat(),
        "idempotency_key": district.form_key(district.page(url), pay_url),
    }
    assert [r[0] for r in burst(lambda f: district.post(pay_url, f), [pay] * BURST)] == [
        302
    ] * BURST
    assert (
        Tranche.objects.get(pk=tranche.pk).status == "paid"
        and AuditEvent.objects.filter(action="subsidy.tranche_pay").count() == 1
    )

    # nothing else was written on the way: 100,000 (the form), 200,000 (the tabs), 300,000 (the API)
    assert sorted(Payment.objects.values_list("amount_cny", flat=True)) == [
        Decimal("100000.00"),
        Decimal("200000.00"),
        Decimal("300000.00"),
    ]
