"""The audit chain's head, anchored outside the database.

The hash chain (:mod:`opentto.core.audit`) shows a changed, inserted or removed entry in the
middle, but not the newest entries removed from its end: the shorter chain is still intact. So on
every commit that appended audit entries the chain's head — the newest entry's id and hash — is
signed with a key that is not in the database (HMAC-SHA256) and written to a file under the var
directory (``OPENTTO_AUDIT_ANCHOR_FILE``), to the JSON log (logger ``opentto.audit``) and, at
backup time, into the backup's manifest. ``opentto audit verify`` then fails when the anchored
entry is gone or different.

The key is ``OPENTTO_AUDIT_ANCHOR_KEY`` when set, else a random key written on first use to
``OPENTTO_AUDIT_ANCHOR_KEY_FILE`` (mode 0600). Whoever holds only database rights can neither
forge the anchor nor reach the file.

Writers in several processes take an exclusive lock on a lock file beside the anchor, never move
it backwards (a smaller entry id than the one anchored), and replace the file atomically (a
temporary file renamed over it), so a reader always sees one whole anchor. A restore or a
deliberate re-anchoring after checking the chain (``opentto audit anchor --reset``) may move it
back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger("opentto.audit")

ANCHOR_VERSION = 1


class AnchorError(Exception):
    """The anchor file exists but cannot be trusted (unreadable, or its signature does not match)."""


@dataclass(frozen=True)
class Anchor:
    entry_id: int
    hash: str
    at: str
    signature: str

    def signed_content(self) -> dict[str, Any]:
        return {"version": ANCHOR_VERSION, "id": self.entry_id, "hash": self.hash, "at": self.at}

    def as_json(self) -> dict[str, Any]:
        return {**self.signed_content(), "signature": self.signature}

    @classmethod
    def from_json(cls, data: Any) -> Anchor:
        """Parse an anchor's JSON; raise :class:`AnchorError` if it is not one."""
        try:
            if not isinstance(data, dict) or data.get("version") != ANCHOR_VERSION:
                raise ValueError
            entry_id, digest, at, signature = (
                data["id"],
                data["hash"],
                data["at"],
                data["signature"],
            )
            if not isinstance(entry_id, int) or isinstance(entry_id, bool) or entry_id < 1:
                raise ValueError
            if not all(isinstance(v, str) for v in (digest, at, signature)) or len(digest) != 64:
                raise ValueError
        except (KeyError, TypeError, ValueError) as exc:
            raise AnchorError("it is not an audit anchor") from exc
        return cls(entry_id=entry_id, hash=digest, at=at, signature=signature)


def anchor_path() -> Path | None:
    """Where the anchor is kept (``None``: anchoring is off, as in the test settings)."""
    value = getattr(settings, "OPENTTO_AUDIT_ANCHOR_FILE", None)
    return Path(value) if value else None


def anchor_key() -> bytes:
    """The signing key: ``OPENTTO_AUDIT_ANCHOR_KEY``, else the key file (created 0600 on first use)."""
    configured = getattr(settings, "OPENTTO_AUDIT_ANCHOR_KEY", "")
    if configured:
        return str(configured).encode()
    path = Path(settings.OPENTTO_AUDIT_ANCHOR_KEY_FILE)
    with contextlib.suppress(FileNotFoundError):
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write the key to a private temporary file, then link it into place: the link fails if another
    # process got there first (then its key is used), and nobody ever reads a half-written key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_text().strip()
    if len(key) < 32:
        raise AnchorError(f"the audit anchor key in {path} is too short")
    return key.encode()


def _canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def anchor_sign(content: dict[str, Any]) -> str:
    return hmac.new(anchor_key(), _canonical(content), hashlib.sha256).hexdigest()


def anchor_signature_ok(anchor: Anchor) -> bool:
    return hmac.compare_digest(anchor.signature, anchor_sign(anchor.signed_content()))


def anchor_make(entry_id: int, digest: str) -> Anchor:
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    unsigned = Anchor(entry_id=entry_id, hash=digest, at=at, signature="")
    return Anchor(
        entry_id=entry_id, hash=digest, at=at, signature=anchor_sign(unsigned.signed_content())
    )


def anchor_read(path: Path | None = None, *, check_signature: bool = True) -> Anchor | None:
    """The anchor in ``path`` (default: the configured file); ``None`` if there is none yet.
    Raises :class:`AnchorError` if the file is unreadable or (``check_signature``) not signed
    with this site's key."""
    path = path if path is not None else anchor_path()
    if path is None:
        return None
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorError(f"{path} cannot be read: {exc.strerror}") from exc
    try:
        data = json.loads(raw)
        if isinstance(data, dict) and isinstance(data.get("audit"), dict):
            data = data["audit"].get(
                "anchor"
            )  # a backup's manifest.json holds the anchor of its time
        anchor = Anchor.from_json(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AnchorError(f"{path} is not an audit anchor") from exc
    except AnchorError as exc:
        raise AnchorError(f"{path}: {exc}") from exc
    if check_signature and not anchor_signature_ok(anchor):
        raise AnchorError(
            f"{path} is not signed with this site's anchor key (the file was altered, or the key changed)"
        )
    return anchor


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _write(path: Path, anchor: Anchor) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(anchor.as_json(), handle, sort_keys=True)
            handle.write("\n")
        # No fsync (it would cost every page view that records a read several milliseconds): a
        # reader sees the old anchor or the new one, never half of one; after a power cut the
        # anchor may lag behind the chain, which verify accepts ("N written since").
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def anchor_advance(entry_id: int, digest: str, *, reset: bool = False) -> Anchor | None:
    """Anchor the chain's head at ``entry_id``/``digest`` unless the anchor already names that
    entry or a newer one (``reset``: write it even if that moves the anchor back). An anchor file
    that cannot be trusted is left as it is for ``opentto audit verify`` to report, unless
    ``reset``. Returns the anchor in force afterwards (``None`` when anchoring is off)."""
    path = anchor_path()
    if path is None:
        return None
    with _locked(path):
        if not reset:
            current = anchor_read(path)  # AnchorError: leave the evidence alone
            if current is not None and current.entry_id >= entry_id:
                return current
        anchor = anchor_make(entry_id, digest)
        _write(path, anchor)
    logger.info(
        "audit chain head anchored at entry #%s",
        entry_id,
        extra={
            "audit_head_id": entry_id,
            "audit_head_hash": digest,
            "audit_anchor_at": anchor.at,
            "audit_anchor_signature": anchor.signature,
            "audit_anchor_reset": reset,
        },
    )
    return anchor


def anchor_after_commit() -> None:
    """Run once after each commit that appended audit entries: anchor the newest committed entry.
    A failure is logged, never raised: the commit has happened and the request must not fail."""
    from .models import AuditEvent

    try:
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        if head is not None:
            anchor_advance(head[0], head[1])
    except (AnchorError, OSError) as exc:
        logger.error("audit anchor not written: %s", exc)


def anchor_scheduled(connection: Any) -> bool:
    """Whether this transaction already runs :func:`anchor_after_commit` when it commits."""
    return any(
        len(entry) > 1 and entry[1] is anchor_after_commit
        for entry in getattr(connection, "run_on_commit", ())
    )
