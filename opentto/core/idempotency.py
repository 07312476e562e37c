"""Writes that happen once: a single-use key per form and per API request (ADR 0011).

Every form that moves money carries a hidden key made when the form is drawn
(``{% idempotency_field %}``); an API caller sends ``Idempotency-Key``. :func:`run_once` claims the
key (a row of :class:`~opentto.core.models.IdempotencyKey`, unique per actor) in the *same*
transaction as the write and records what the write produced. So:

- a repeat after the first committed (a double click, a resubmit after a slow answer, the back
  button) finds the key and answers with the first outcome; nothing is written again;
- a repeat arriving while the first is still running waits on the unique index (PostgreSQL) or on
  the database's write lock (SQLite, ``BEGIN IMMEDIATE``) until the first commits, then does the
  same; if the first failed and rolled back, the key is free and the repeat runs as a new request;
- the same key with a different request (another form, other values, another body) is refused
  (:class:`KeyReused`): the key names one request.

A write that fails (a ``ValidationError``, an exception, an API answer of 400 or more) keeps no key:
it is as if it had not been tried. Keys are kept :data:`RETENTION_DAYS` days
(:func:`idempotency_keys_purge`, a daily task).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import IdempotencyKey

T = TypeVar("T")

#: The hidden field of a form.
FORM_FIELD = "idempotency_key"
#: The API's request header (as in the IETF draft "The Idempotency-Key HTTP Header Field").
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
RETENTION_DAYS = 30
#: Form fields that are not part of what the form asks for.
_NOT_FINGERPRINTED = frozenset({"csrfmiddlewaretoken", FORM_FIELD, "next"})


class InvalidKey(ValueError):
    """A key that is not 1–255 printable ASCII characters without spaces."""


class KeyReused(Exception):
    """The key was already used for a different request (``first``)."""

    def __init__(self, first: IdempotencyKey) -> None:
        super().__init__(first.scope)
        self.first = first


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What :func:`run_once` did: ``value`` is what the write returned (``None`` on a replay);
    ``record`` the key's row (``None`` when no key was given)."""

    value: T | None
    record: IdempotencyKey | None
    replayed: bool


class _Discard(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def new_key() -> str:
    return uuid.uuid4().hex


def clean_key(value: str | None) -> str:
    """The key, or ``""`` when none was given; :class:`InvalidKey` for anything else."""
    if value is None:
        return ""
    value = value.strip()
    if not value:
        return ""
    if len(value) > MAX_KEY_LENGTH or any(not 0x21 <= ord(c) <= 0x7E for c in value):
        raise InvalidKey(
            _("An idempotency key is 1 to 255 printable ASCII characters, without spaces.")
        )
    return value


def _canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of a request's data (files by name, size and digest)."""
    if hasattr(value, "getlist") and hasattr(value, "lists"):  # QueryDict / MultiValueDict
        return {k: [_canonical(v) for v in vs] for k, vs in sorted(value.lists())}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if hasattr(value, "read") and hasattr(value, "name"):  # an uploaded file
        digest = hashlib.sha256()
        for chunk in value.chunks() if hasattr(value, "chunks") else [value.read()]:
            digest.update(chunk)
        if hasattr(value, "seek"):
            value.seek(0)
        return {
            "file": str(value.name),
            "size": getattr(value, "size", None),
            "sha256": digest.hexdigest(),
        }
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def fingerprint(scope: str, data: Any) -> str:
    """SHA-256 of the scope and the request's data: the same request gives the same fingerprint."""
    text = json.dumps(
        [scope, _canonical(data)], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()


def describe_object(value: Any) -> dict[str, Any]:
    """The outcome of a write that returned a model instance: its type, id and status."""
    if isinstance(value, models.Model):
        return {
            "object_type": value._meta.label_lower,
            "object_id": str(value.pk),
            "status": str(getattr(value, "status", "") or "")[:32],
        }
    return {}


def run_once(
    *,
    key: str,
    actor: Any,
    scope: str,
    fingerprint: str,
    write: Callable[[], T],
    describe: Callable[[T], dict[str, Any] | None] = describe_object,
) -> Outcome[T]:
    """Run ``write`` once per ``(actor, key)``: claim the key, write, record the outcome, in one
    transaction. ``describe`` turns what ``write`` returned into the fields recorded (``None``: the
    write did not happen, e.g. an API answer of 400; the transaction is rolled back and no key is
    kept). Without a key (or a signed-in actor) ``write`` simply runs. Raises :class:`KeyReused`
    when the key was used for another request; ``write``'s own exceptions pass through (and roll
    everything back, the key included)."""
    if not key or actor is None or not getattr(actor, "is_authenticated", False):
        return Outcome(write(), None, False)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                try:
                    with (
                        transaction.atomic()
                    ):  # a savepoint: a failed claim leaves the transaction usable
                        record = IdempotencyKey.objects.create(
                            actor=actor, key=key, scope=scope[:300], fingerprint=fingerprint
                        )
                except IntegrityError:
                    # Another request holds the key: it has committed (PostgreSQL made us wait on
                    # the unique index until then; READ COMMITTED lets this statement see its row).
                    first = IdempotencyKey.objects.filter(actor=actor, key=key).first()
                    if first is None:
                        continue  # it was purged in between: claim it again
                    if first.scope != scope[:300] or first.fingerprint != fingerprint:
                        raise KeyReused(first) from None
                    return Outcome(None, first, True)
                value = write()
                described = describe(value)
                if described is None:
                    raise _Discard(value)
                for field, field_value in described.items():
                    setattr(record, field, field_value)
                record.save(update_fields=[*described] or None)
                return Outcome(value, record, False)
        except _Discard as discarded:
            return Outcome(discarded.value, None, False)
    raise RuntimeError(
        "could not claim the idempotency key"
    )  # pragma: no cover - three purges in a row


# --- forms ------------------------------------------------------------------------------------


def form_scope(request: HttpRequest) -> str:
    """What a form's key is used for: the URL's name and arguments (not its language prefix)."""
    match = request.resolver_match
    if match is None:
        return f"form:{request.path}"
    args = ",".join(f"{k}={v}" for k, v in sorted(match.kwargs.items()))
    return f"form:{match.view_name}({args})"


def run_form_once(
    request: HttpRequest,
    write: Callable[[], T],
    *,
    describe: Callable[[T], dict[str, Any] | None] = describe_object,
) -> Outcome[T]:
    """:func:`run_once` for a form post: the key from the hidden field, the fingerprint over the
    posted fields (without the CSRF token, the key and the return address). A malformed key counts
    as none: the write is still protected by its own locks and duplicate checks."""
    try:
        key = clean_key(request.POST.get(FORM_FIELD))
    except InvalidKey:
        key = ""
    scope = form_scope(request)
    data = {k: v for k, v in request.POST.lists() if k not in _NOT_FINGERPRINTED}
    return run_once(
        key=key,
        actor=request.user,
        scope=scope,
        fingerprint=fingerprint(scope, data),
        write=write,
        describe=describe,
    )


def _when(record: IdempotencyKey) -> str:
    return date_format(timezone.localtime(record.created_at), "Y-m-d H:i:s")


def replay_message(record: IdempotencyKey) -> str:
    return _(
        "This form was already submitted at %(time)s and was recorded then; it was not recorded again."
    ) % {"time": _when(record)}


def reused_message(record: IdempotencyKey) -> str:
    return _(
        "This form was already used at %(time)s for a different entry; nothing was recorded now. Reload the page to enter something new."
    ) % {"time": _when(record)}


def api_reused_message(record: IdempotencyKey) -> str:
    return _(
        "This Idempotency-Key was already used at %(time)s for a different request; send a new key with a new request."
    ) % {"time": _when(record)}


# --- housekeeping -----------------------------------------------------------------------------


def idempotency_keys_purge(*, older_than: timedelta = timedelta(days=RETENTION_DAYS)) -> int:
    """Delete the keys older than ``older_than``; returns how many (a daily task)."""
    deleted, _detail = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
