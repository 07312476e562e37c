"""The audit log is append-only and hash-chained; `opentto audit verify` names the first bad
entry; `opentto audit export` writes CSV; concurrent writers keep the chain linear."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from opentto.core.audit import GENESIS, audit_record, audit_verify, event_hash
from opentto.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _tamper(sql: str, params: list[object]) -> None:
    """Change a row behind the application's back (on PostgreSQL past the append-only trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SET session_replication_role = replica"
            )  # triggers off (superuser only)
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_each_entry_links_to_the_one_before(manager):
    first = audit_record(
        actor=manager,
        action="test.one",
        obj=manager,
        payload={"amount": "1.00", "nested": {"b": 2, "a": [1, "二"]}},
    )
    second = audit_record(actor=None, action="test.two", remote_addr="203.0.113.7")
    assert first.prev_hash in {GENESIS} | set(
        AuditEvent.objects.exclude(pk=first.pk).values_list("hash", flat=True)
    )
    assert second.prev_hash == first.hash
    assert len(second.hash) == 64 and second.hash == event_hash(
        AuditEvent.objects.get(pk=second.pk)
    )
    assert audit_verify().ok


def test_verify_passes_on_an_intact_chain(manager, onboarded):
    code, out, _err = _verify()
    assert code == 0 and "OK:" in out and "chain intact" in out


def test_a_changed_entry_is_named(manager, onboarded):
    events = list(AuditEvent.objects.order_by("id"))
    victim = events[len(events) // 2]
    _tamper(
        "UPDATE core_auditevent SET action = %s WHERE id = %s", ["result.nothing_to_see", victim.pk]
    )
    code, _out, err = _verify()
    assert code == 1
    assert f"audit entry #{victim.pk}" in err and "changed" in err
    assert audit_verify().first_bad.pk == victim.pk


def test_a_removed_entry_breaks_the_link_of_the_next(manager):
    for i in range(3):
        audit_record(actor=manager, action=f"test.{i}")
    events = list(AuditEvent.objects.order_by("id"))
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[-2].pk])
    result = audit_verify()
    assert not result.ok and result.first_bad.pk == events[-1].pk and result.problem == "link"


def test_the_model_refuses_updates_and_deletes(manager):
    event = audit_record(actor=manager, action="test.x")
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_updates_in_the_database(manager):
    from django.db import DatabaseError, transaction

    event = audit_record(actor=manager, action="test.x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")


def test_export_writes_csv_with_every_entry(manager, tmp_path):
    audit_record(
        actor=manager,
        action="test.export",
        payload={"text": "=cmd|' /C calc'!A0"},
        remote_addr="198.51.100.1",
        user_agent='=HYPERLINK("http://evil.example")',
    )
    target = tmp_path / "audit.csv"
    call_command("audit", "export", "--output", str(target), stderr=io.StringIO())
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert rows[0][:5] == ["id", "occurred_at", "actor_id", "actor", "action"]
    assert len(rows) == AuditEvent.objects.count() + 1
    last = rows[-1]
    assert (
        last[4] == "test.export"
        and last[3] == "manager"
        and last[8] == "198.51.100.1"
        and last[2] != "'"
    )
    assert (
        last[9] == '\'=HYPERLINK("http://evil.example")'
    )  # a spreadsheet shows it, does not run it
    assert (
        "'=cmd" not in last[7]
    )  # JSON starts with "{": only cells starting with = + - @ are quoted
    assert last[-1] == AuditEvent.objects.order_by("-id").first().hash
    out = io.StringIO()
    call_command("audit", "export", "--action", "test.export", stdout=out)
    assert len(list(csv.reader(io.StringIO(out.getvalue())))) == 2


def test_request_records_where_from_and_browser(rf, manager):
    request = rf.get("/", REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="Mozilla/5.0 test")
    event = audit_record(actor=manager, action="test.req", request=request)
    assert event.remote_addr == "192.0.2.10" and event.user_agent == "Mozilla/5.0 test"
    bad = rf.get("/", REMOTE_ADDR="not an address")
    assert audit_record(actor=manager, action="test.req", request=bad).remote_addr is None


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SQLite: see the file-database test below"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(manager):
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                audit_record(actor=None, action=f"test.thread{n}.{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert AuditEvent.objects.filter(action__startswith="test.thread").count() == 40
    result = audit_verify()
    assert result.ok, (result.first_bad, result.problem)
    hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(hashes) == len(set(hashes))  # no two entries claim the same predecessor


WORKER = """
import django, sys
django.setup()
from opentto.core.audit import audit_record
for i in range(25):
    audit_record(actor=None, action=f"test.proc{sys.argv[1]}.{i}")
"""


def test_concurrent_processes_keep_one_chain_on_an_sqlite_file(tmp_path):
    """Four processes append to one SQLite file at once (WAL, IMMEDIATE transactions)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "OPENTTO_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "opentto.settings.dev",
            "SECRET_KEY": "x" * 50,
        }
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "core", "-v0"],
        cwd=root,
        env=env,
        check=True,
        timeout=240,
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(n)], cwd=root, env=env)
        for n in range(4)
    ]
    assert [w.wait(timeout=240) for w in workers] == [0, 0, 0, 0]
    verify = subprocess.run(
        [sys.executable, "manage.py", "audit", "verify"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stderr
    assert "OK: 100 audit entries" in verify.stdout
    # Four processes anchored the head after each commit: the anchor names the newest entry.
    import json

    anchor = json.loads((tmp_path / "audit_anchor.json").read_text())
    assert anchor["id"] == 100 and "(entry #100)" in verify.stdout


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_a_read_record_on_its_own_does_not_wait_for_the_disk(manager):
    """A page view's record (durable=False) commits without waiting for the WAL flush; the chain
    stays whole."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        audit_record(actor=manager, action="result.view_details", durable=False)
    assert [q["sql"] for q in ctx.captured_queries if "synchronous_commit" in q["sql"]] == [
        "SET LOCAL synchronous_commit TO OFF"
    ]
    with connection.cursor() as cursor:  # SET LOCAL ended with its transaction
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert audit_verify().ok


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_inside_a_write_the_write_decides_durability(manager):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        audit_record(actor=manager, action="result.view_details", durable=False)
    assert not [q for q in ctx.captured_queries if "synchronous_commit" in q["sql"]]
    with CaptureQueriesContext(connection) as ctx:
        audit_record(actor=manager, action="result.update")
    assert not [q for q in ctx.captured_queries if "synchronous_commit" in q["sql"]]
