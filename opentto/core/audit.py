"""Writing and checking the audit log. Every service calls :func:`audit_record` inside its
transaction; views that show confidential records or serve files call it with the request's
remote address.

The log is a hash chain: each entry stores the hash of the entry before it (``prev_hash``) and
its own hash over its content and ``prev_hash``. Writers are serialised while they read the last
hash and append (PostgreSQL: a transaction-scoped advisory lock; SQLite: the database's write lock,
taken at the start of each transaction — ``transaction_mode=IMMEDIATE``), so the chain stays
linear under concurrent writers. :func:`audit_verify` walks it and names the first bad entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, models, transaction

from .audit_anchor import (
    Anchor,
    AnchorError,
    anchor_after_commit,
    anchor_path,
    anchor_read,
    anchor_scheduled,
)
from .models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

#: The key of the PostgreSQL advisory lock that serialises writers of the chain.
AUDIT_LOCK_KEY = 0x0A0D17
GENESIS = "0" * 64


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    prev_hash: str,
    occurred_at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    payload: Any,
    remote_addr: str | None,
    user_agent: str,
) -> str:
    """SHA-256 over the canonical JSON of an entry and the hash before it."""
    content = json.dumps(
        {
            "prev": prev_hash,
            "at": _timestamp(occurred_at),
            "actor": actor_id,
            "action": action,
            "type": object_type,
            "id": object_id,
            "payload": payload,
            "from": remote_addr or "",
            "ua": user_agent or "",
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


def event_hash(event: AuditEvent) -> str:
    return entry_hash(
        prev_hash=event.prev_hash,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        payload=event.payload,
        remote_addr=event.remote_addr,
        user_agent=event.user_agent,
    )


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])


def request_remote_addr(request: HttpRequest) -> str | None:
    """Where a request came from: ``REMOTE_ADDR``, or the header a trusted reverse proxy sets
    (``OPENTTO_REMOTE_ADDR_HEADER``, e.g. ``HTTP_X_REAL_IP``)."""
    header = getattr(settings, "OPENTTO_REMOTE_ADDR_HEADER", "")
    value = (request.META.get(header) if header else None) or request.META.get("REMOTE_ADDR") or ""
    value = value.split(",")[0].strip()
    from django.core.validators import validate_ipv46_address

    try:
        validate_ipv46_address(value)
    except Exception:
        return None
    return value


def audit_record(
    *,
    actor: AbstractBaseUser | None,  # the project's user (core imports no app)
    action: str,
    obj: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    remote_addr: str | None = None,
    request: HttpRequest | None = None,
    user_agent: str = "",
    durable: bool = True,
) -> AuditEvent:
    """Append one entry. ``request`` (optional) supplies the remote address and browser.

    ``durable=False`` is for read records (who viewed what) written on their own, outside any
    write's transaction: on PostgreSQL their commit does not wait for the WAL to reach the disk
    (``synchronous_commit = off``). A crash of the database server can lose the last fraction of
    a second of such records, never corrupt the chain or another transaction; in exchange a page
    view does not wait for a disk flush while it holds the chain's lock. Inside a write's
    transaction the flag is ignored: the write's own commit decides.
    """
    if request is not None:
        remote_addr = remote_addr or request_remote_addr(request)
        user_agent = user_agent or request.META.get("HTTP_USER_AGENT", "")
    user_agent = (user_agent or "")[:200]
    actor = actor if actor is not None and actor.is_authenticated else None
    data = _jsonable(payload or {})
    # Round-trip through JSON so the hash covers exactly what the database will give back.
    data = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    relaxed = not durable and connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if relaxed:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            actor=actor,  # type: ignore[misc]  # the project's user, typed without importing accounts
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            payload=data,
            remote_addr=remote_addr or None,
            user_agent=user_agent,
            prev_hash=last if last else GENESIS,
        )
        event.hash = event_hash(event)
        event.save()
        if anchor_path() is not None and not anchor_scheduled(connection):
            # Once per transaction: after it commits, its newest entry becomes the anchored head.
            transaction.on_commit(anchor_after_commit, robust=True)
    return event


@dataclass(frozen=True)
class VerifyResult:
    """``problem``: ``link`` or ``content`` (``first_bad`` names the entry), ``anchor`` (the chain
    does not reach the anchored head, or the anchor cannot be trusted: ``anchor_error`` says why),
    or empty when all is well."""

    checked: int
    first_bad: AuditEvent | None = None
    problem: str = ""
    last_id: int | None = None
    anchor: Anchor | None = None
    anchor_error: str = ""
    #: Entries after the anchored one (written since, or committed while the anchor was written).
    after_anchor: int = 0

    @property
    def ok(self) -> bool:
        return not self.problem


def audit_verify(*, anchor_file: Path | None = None, anchored: bool = True) -> VerifyResult:
    """Walk the chain in order; the first entry whose hash or link does not match is reported.
    Then the chain must reach the anchored head (``anchor_file``, default the site's anchor): the
    anchored entry must be there, unchanged — else its newest entries were removed or it was
    rewritten. ``anchored=False`` checks the chain alone."""
    anchor: Anchor | None = None
    anchor_error = ""
    try:
        if anchored:
            anchor = anchor_read(anchor_file) if anchor_file is not None else anchor_read()
    except AnchorError as exc:
        anchor_error = str(exc)
    previous = GENESIS
    checked = 0
    last_id: int | None = None
    anchored_hash: str | None = None
    after_anchor = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != previous:
            return VerifyResult(checked, event, "link", last_id, anchor)
        if event.hash != event_hash(event):
            return VerifyResult(checked, event, "content", last_id, anchor)
        previous = event.hash
        checked += 1
        last_id = event.pk
        if anchor is not None:
            if event.pk == anchor.entry_id:
                anchored_hash = event.hash
            elif event.pk > anchor.entry_id:
                after_anchor += 1
    if anchor_error:
        return VerifyResult(checked, None, "anchor", last_id, None, anchor_error)
    if anchor is not None:
        when = f"the anchor written {anchor.at} names entry #{anchor.entry_id}"
        if anchored_hash is None and (last_id is None or last_id < anchor.entry_id):
            ends = f"ends at entry #{last_id}" if last_id is not None else "is empty"
            return VerifyResult(
                checked,
                None,
                "anchor",
                last_id,
                anchor,
                f"the chain {ends} but {when}: its newest entries were removed",
            )
        if anchored_hash is None:
            return VerifyResult(
                checked,
                None,
                "anchor",
                last_id,
                anchor,
                f"{when}, which is no longer in the chain: entries were removed",
            )
        if anchored_hash != anchor.hash:
            return VerifyResult(
                checked,
                None,
                "anchor",
                last_id,
                anchor,
                f"{when} with another hash: the chain was rewritten from that entry back",
            )
    return VerifyResult(checked, None, "", last_id, anchor, "", after_anchor)


EXPORT_COLUMNS = [
    "id",
    "occurred_at",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "payload",
    "remote_addr",
    "user_agent",
    "prev_hash",
    "hash",
]


def audit_rows(queryset: models.QuerySet[AuditEvent] | None = None) -> Iterator[list[str]]:
    qs = (
        (queryset if queryset is not None else AuditEvent.objects.all())
        .select_related("actor")
        .order_by("id")
    )
    for event in qs.iterator(chunk_size=2000):
        yield [
            str(event.pk),
            _timestamp(event.occurred_at),
            str(event.actor_id or ""),
            event.actor.username if event.actor else "",
            event.action,
            event.object_type,
            event.object_id,
            json.dumps(event.payload, ensure_ascii=False, sort_keys=True),
            event.remote_addr or "",
            event.user_agent,
            event.prev_hash,
            event.hash,
        ]


def audit_export_csv(out: IO[str], queryset: models.QuerySet[AuditEvent] | None = None) -> int:
    """The log as CSV, through the platform's one spreadsheet writer (a cell a spreadsheet would
    read as a formula is written as text)."""
    from .spreadsheets import csv_write

    return csv_write(out, EXPORT_COLUMNS, audit_rows(queryset))
