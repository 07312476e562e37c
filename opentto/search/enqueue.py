"""Queueing the demand-matching index's background work (the tasks are in ``tasks.py``), and the
switch that suspends it during bulk loads.

The tasks are found by name in the Celery app's registry (``SearchConfig.ready`` imports
``tasks.py``): ``tasks.py`` imports the index and the services, which queue work through this module.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from celery import current_app

# The project's Celery app, configured from the Django settings (tasks run in-process without a
# broker). Importing it here makes it the current app even where ``opentto/__init__.py`` does not.
from opentto.celery import app as _celery_app  # noqa: F401

log = logging.getLogger(__name__)

_suspended = threading.local()


#: A suspension lapses by itself after this many seconds (a bulk load that never commits).
SUSPENSION_SECONDS = 600.0


def indexing_suspended() -> bool:
    return float(getattr(_suspended, "until", 0.0)) > time.monotonic()


def suspend_indexing(value: bool) -> None:
    """Bulk loads (the demo) index once at the end instead of once per row."""
    _suspended.until = time.monotonic() + SUSPENSION_SECONDS if value else 0.0


def enqueue_result_index(pk: int) -> None:
    """Called on commit of ``result_onboard`` / ``result_update``; never fails the request."""
    if indexing_suspended():
        return
    try:
        task("demands.index_result").delay(pk)
    except Exception:  # the index heals itself on the next search; saving must not fail
        log.exception("could not index result %s", pk)


def enqueue_demand_index(pk: int, *, notify: bool = False) -> None:
    if indexing_suspended():
        return
    try:
        task("demands.index_demand").delay(pk)
        if notify:
            task("demands.notify_strong_matches").delay(pk)
    except Exception:
        log.exception("could not index demand %s", pk)


def task(name: str) -> Any:
    """The task registered under ``name`` (e.g. ``"demands.index_sync"``) in the current Celery app:
    the object ``tasks.py`` names (``task("demands.index_sync") is tasks.index_sync`` but for the proxy)."""
    return current_app.tasks[name]
