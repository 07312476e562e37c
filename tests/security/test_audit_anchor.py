"""The audit chain's head is anchored outside the database (a signed file under var/, the JSON log,
each backup): removing the newest entries, or rewriting the chain, makes ``opentto audit verify``
fail; the anchor never moves back, and concurrent writers leave one whole file."""

from __future__ import annotations

import io
import json
import logging
import random
import stat
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from opentto.core.audit import audit_record, audit_verify, entry_hash
from opentto.core.audit_anchor import (
    AnchorError,
    anchor_advance,
    anchor_key,
    anchor_read,
    anchor_signature_ok,
)
from opentto.core.models import AuditEvent

pytestmark = pytest.mark.django_db

H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64


@pytest.fixture
def anchored(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.OPENTTO_AUDIT_ANCHOR_FILE = tmp_path / "audit_anchor.json"
    settings.OPENTTO_AUDIT_ANCHOR_KEY = ""
    settings.OPENTTO_AUDIT_ANCHOR_KEY_FILE = tmp_path / "keys" / "audit_anchor_key"
    return tmp_path / "audit_anchor.json"


def _record(django_capture_on_commit_callbacks, n: int, **kwargs: object) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    """``n`` entries in one transaction, then its commit hooks run (as after a real commit)."""
    start = len(connection.run_on_commit)
    with django_capture_on_commit_callbacks(execute=True) as hooks, transaction.atomic():
        events = [audit_record(actor=None, action=f"test.anchor.{i}", **kwargs) for i in range(n)]  # type: ignore[arg-type]
    assert len(hooks) == 1  # one anchoring per commit, however many entries it holds
    del connection.run_on_commit[
        start:
    ]  # a real commit clears its hooks; the test's transaction goes on
    return events


def _tamper(sql: str, params: list[object]) -> None:
    """Change rows behind the application's back; on PostgreSQL past the append-only trigger, as a
    superuser would (``session_replication_role = replica`` switches triggers off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _verify(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_each_commit_anchors_the_newest_entry(anchored, django_capture_on_commit_callbacks):
    events = _record(django_capture_on_commit_callbacks, 3)
    anchor = anchor_read()
    assert anchor is not None and (anchor.entry_id, anchor.hash) == (events[-1].pk, events[-1].hash)
    assert anchor_signature_ok(anchor)
    on_disk = json.loads(anchored.read_text())
    assert on_disk == {
        "version": 1,
        "id": events[-1].pk,
        "hash": events[-1].hash,
        "at": anchor.at,
        "signature": anchor.signature,
    }
    later = _record(django_capture_on_commit_callbacks, 1)
    assert anchor_read().entry_id == later[-1].pk  # type: ignore[union-attr]


def test_a_rolled_back_transaction_anchors_nothing(anchored, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as hooks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        audit_record(actor=None, action="test.rolled_back")
        raise ZeroDivisionError
    assert hooks == [] and not anchored.exists()


def test_the_key_is_a_private_file_outside_the_database(
    anchored, settings, django_capture_on_commit_callbacks
):
    _record(django_capture_on_commit_callbacks, 1)
    key_file = Path(settings.OPENTTO_AUDIT_ANCHOR_KEY_FILE)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) == 64 and anchor_key() == key.encode()
    assert not AuditEvent.objects.filter(payload__icontains=key).exists()


def test_a_key_from_the_environment_is_used_instead(
    anchored, settings, django_capture_on_commit_callbacks
):
    settings.OPENTTO_AUDIT_ANCHOR_KEY = "k" * 40
    _record(django_capture_on_commit_callbacks, 1)
    assert not Path(settings.OPENTTO_AUDIT_ANCHOR_KEY_FILE).exists()
    assert anchor_signature_ok(anchor_read())  # type: ignore[arg-type]
    settings.OPENTTO_AUDIT_ANCHOR_KEY = "another key, at least 32 characters"
    with pytest.raises(AnchorError, match="not signed with this site's anchor key"):
        anchor_read()


def test_no_anchor_yet_is_fine(anchored):
    audit_record(actor=None, action="test.before_any_commit")
    code, out, _err = _verify()
    assert code == 0 and "chain intact; no anchor yet" in out


def test_verify_reports_the_anchored_head(anchored, django_capture_on_commit_callbacks):
    events = _record(django_capture_on_commit_callbacks, 2)
    audit_record(
        actor=None, action="test.not_yet_anchored"
    )  # committed while the anchor was being written
    code, out, _err = _verify()
    assert code == 0
    assert (
        f"reaches the head anchored {anchor_read().at} (entry #{events[-1].pk}, 1 written since)"
        in out
    )  # type: ignore[union-attr]


def test_removing_the_newest_entries_fails_verify(anchored, django_capture_on_commit_callbacks):
    events = _record(django_capture_on_commit_callbacks, 4)
    assert _verify()[0] == 0
    _tamper("DELETE FROM core_auditevent WHERE id >= %s", [events[-2].pk])
    assert audit_verify(anchored=False).ok  # the shorter chain alone still links up
    result = audit_verify()
    assert result.problem == "anchor" and result.last_id == events[-3].pk
    code, out, err = _verify()
    assert code == 1 and out == ""
    assert err.strip() == (
        f"BROKEN: the chain ends at entry #{events[-3].pk} but the anchor written {anchor_read().at} names entry "  # type: ignore[union-attr]
        f"#{events[-1].pk}: its newest entries were removed; the {result.checked} entries in the database link up."
    )


def test_removing_every_entry_fails_verify(anchored, django_capture_on_commit_callbacks):
    _record(django_capture_on_commit_callbacks, 2)
    _tamper("DELETE FROM core_auditevent", [])
    code, _out, err = _verify()
    assert code == 1 and "the chain is empty but the anchor written" in err


def test_a_rewritten_newest_entry_fails_verify(anchored, django_capture_on_commit_callbacks):
    """Rewriting the newest entry with a fresh, valid hash keeps the chain linked; the anchor
    still holds the old hash."""
    events = _record(django_capture_on_commit_callbacks, 2)
    last = AuditEvent.objects.get(pk=events[-1].pk)
    forged = entry_hash(
        prev_hash=last.prev_hash,
        occurred_at=last.occurred_at,
        actor_id=None,
        action="test.innocent",
        object_type="",
        object_id="",
        payload={},
        remote_addr=None,
        user_agent="",
    )
    _tamper(
        "UPDATE core_auditevent SET action = %s, hash = %s WHERE id = %s",
        ["test.innocent", forged, last.pk],
    )
    assert audit_verify(anchored=False).ok
    code, _out, err = _verify()
    assert code == 1 and f"names entry #{last.pk} with another hash: the chain was rewritten" in err


def test_a_forged_anchor_fails_verify(anchored, django_capture_on_commit_callbacks):
    events = _record(django_capture_on_commit_callbacks, 3)
    data = json.loads(anchored.read_text())
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    data.update(
        id=events[-2].pk, hash=events[-2].hash
    )  # an attacker moves the anchor back to match
    anchored.write_text(json.dumps(data))
    code, _out, err = _verify()
    assert (
        code == 1
        and "is not signed with this site's anchor key (the file was altered, or the key changed)"
        in err
    )
    anchored.write_text("{not json")
    code, _out, err = _verify()
    assert code == 1 and "is not an audit anchor" in err


def test_the_anchor_never_moves_back(anchored):
    assert anchor_advance(10, H1).entry_id == 10  # type: ignore[union-attr]
    kept = anchor_advance(5, H2)
    assert kept is not None and (kept.entry_id, kept.hash) == (10, H1)
    assert (anchor_read().entry_id, anchor_read().hash) == (10, H1)  # type: ignore[union-attr]
    assert anchor_advance(11, H3).entry_id == 11  # type: ignore[union-attr]
    assert anchor_advance(5, H2, reset=True).entry_id == 5  # type: ignore[union-attr]
    assert anchor_read().hash == H2  # type: ignore[union-attr]


def test_an_untrusted_anchor_is_left_for_verify_to_report(anchored):
    anchor_advance(3, H1)
    anchored.write_text(anchored.read_text().replace('"id": 3', '"id": 2'))
    with pytest.raises(AnchorError):
        anchor_advance(4, H2)
    assert '"id": 2' in anchored.read_text()  # the evidence is kept


def test_concurrent_writers_leave_one_whole_anchor_at_the_newest_entry(anchored):
    ids = list(range(1, 201))
    random.Random(7).shuffle(ids)
    chunks = [ids[i::4] for i in range(4)]
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def write(chunk: list[int]) -> None:
        try:
            for n in chunk:
                anchor_advance(n, f"{n:064x}")
        except BaseException as exc:
            errors.append(exc)

    def read() -> None:
        while not done.is_set():
            try:
                anchor = anchor_read()
            except BaseException as exc:
                errors.append(exc)
                return
            if anchor is not None:
                seen.append(anchor.entry_id)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(c,)) for c in chunks]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    reader.join()
    assert not errors, errors
    assert anchor_read().entry_id == 200 and anchor_read().hash == f"{200:064x}"  # type: ignore[union-attr]
    assert seen == sorted(seen)  # a reader never saw it move back
    assert [
        p.name for p in anchored.parent.iterdir() if p.name.startswith(".")
    ] == []  # no temporary file left


def test_each_anchoring_is_in_the_json_log(anchored, django_capture_on_commit_callbacks, caplog):
    with caplog.at_level(logging.INFO, logger="opentto.audit"):
        events = _record(django_capture_on_commit_callbacks, 2)
    records = [r for r in caplog.records if r.name == "opentto.audit"]
    assert len(records) == 1
    record = records[0]
    assert (record.audit_head_id, record.audit_head_hash) == (events[-1].pk, events[-1].hash)  # type: ignore[attr-defined]
    assert record.audit_anchor_signature == anchor_read().signature  # type: ignore[attr-defined,union-attr]
    from opentto.api.jsonlog import JsonFormatter

    line = json.loads(JsonFormatter().format(record))
    assert (
        line["audit_head_id"] == events[-1].pk
        and line["message"] == f"audit chain head anchored at entry #{events[-1].pk}"
    )


def test_reset_re_anchors_an_intact_chain_only(anchored, django_capture_on_commit_callbacks):
    events = _record(django_capture_on_commit_callbacks, 3)
    _tamper(
        "DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk]
    )  # e.g. a deliberate repair
    assert _verify()[0] == 1
    out = io.StringIO()
    call_command("audit", "anchor", "--reset", stdout=out)
    assert out.getvalue().startswith(f"anchored entry #{events[-2].pk} ")
    assert _verify()[0] == 0
    _tamper("UPDATE core_auditevent SET action = 'x' WHERE id = %s", [events[0].pk])
    with pytest.raises(CommandError, match=f"not re-anchored: audit entry #{events[0].pk} "):
        call_command("audit", "anchor", "--reset")


def test_verify_against_a_copy_of_the_anchor(
    anchored, tmp_path, django_capture_on_commit_callbacks
):
    events = _record(django_capture_on_commit_callbacks, 2)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {"format": "opentto-backup/2", "audit": {"anchor": json.loads(anchored.read_text())}}
        )
    )
    anchored.unlink()  # the site's file is gone: a copy still proves what was there
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    assert "no anchor yet" in _verify()[1]
    code, _out, err = _verify("--anchor", str(manifest))
    assert code == 1 and "its newest entries were removed" in err
