"""Running the same request twice — once against a hidden clash, once against a decoy that clashes
with nothing — and comparing what the user gets back, byte for byte.

Each run is a savepoint rolled back afterwards; the time is frozen and the next ids of the tables
whose ids a response shows are set to the same values, so both runs can be compared outright.
Only CSRF tokens (random for every page) are masked."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

FIXED = dt.datetime(2026, 3, 2, 1, 2, 3, tzinfo=dt.UTC)
_TOKEN = re.compile(r"(csrfmiddlewaretoken\" value=\"|X-CSRFToken\": \")[A-Za-z0-9]{32,64}")


@contextlib.contextmanager
def frozen_time(at: dt.datetime = FIXED) -> Iterator[None]:
    """``timezone.now()`` and every field whose default is ``timezone.now`` answer ``at``."""
    real_now = timezone.now  # restored below: inside the patch, ``timezone.now`` is the mock
    fields = [
        f for m in apps.get_models() for f in m._meta.concrete_fields if f.default is real_now
    ]

    def reset() -> None:
        for f in fields:
            f.__dict__.pop("_get_default", None)  # Django caches the default's callable

    with mock.patch("django.utils.timezone.now", return_value=at):
        for f in fields:
            f.default = lambda: at
        reset()
        try:
            yield
        finally:
            for f in fields:
                f.default = real_now
            reset()


def restart_ids(*model_classes: type[models.Model], start: int = 9001) -> None:
    """The next row of each table gets id ``start`` (SQLite and PostgreSQL)."""
    with connection.cursor() as cursor:
        for model in model_classes:
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, start]
                )
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start - 1]
                )


def masked(body: bytes | str) -> str:
    text = body.decode() if isinstance(body, bytes) else body
    return _TOKEN.sub(r"\1<token>", text)


def response_text(response: Any) -> str:
    """Status, the headers a user sees, and the body."""
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    headers = {
        k: v
        for k, v in response.items()
        if k.lower() in {"location", "content-type", "content-disposition"}
    }
    return f"{response.status_code}\n{sorted(headers.items())}\n{masked(body)}"


def run_twice(
    *,
    clash: Callable[[], Any],
    decoy: Callable[[], Any],
    act: Callable[[], list[str]],
    ids: tuple[type[models.Model], ...],
    check_clash: Callable[[Any], None] = lambda _: None,
    check_decoy: Callable[[Any], None] = lambda _: None,
) -> tuple[list[str], list[str]]:
    """What ``act`` returns after ``clash()`` and after ``decoy()``, each in a rolled-back savepoint;
    ``check_*`` look at the database (given what the setup returned) before it is rolled back."""
    outputs = []
    for setup, check in ((clash, check_clash), (decoy, check_decoy)):
        savepoint = transaction.savepoint()
        try:
            made = setup()
            restart_ids(*ids)
            with frozen_time():
                outputs.append(act())
            check(made)
        finally:
            transaction.savepoint_rollback(savepoint)
    return outputs[0], outputs[1]
