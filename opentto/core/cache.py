"""The project's cache of computed values (the dashboard's figures and tables per permission scope,
list counts, visible id sets, rendered fragments), in Django's cache.

Computing the figures reads every result, deal and stage transition in the viewer's scope (100,000
results: seconds of database time), so they are computed once per *scope* and *figures version*
and then read from the cache (Redis in production, shared by every worker; the in-process memory
cache otherwise).

- **Scope.** What a viewer's figures count is decided by three querysets only:
  ``Result.objects.restrict(user, "figures")`` and ``Deal.objects.restrict(user, "figures")`` over
  those results (:func:`opentto.dashboard.selectors._scopes`), and the distributions they may count
  (:func:`opentto.dashboard.selectors.figure_scope`). The scope key
  (:func:`opentto.dashboard.selectors.scope_key`, used by its ``cached``) is a digest of their
  compiled SQL and parameters, so two viewers share cached figures exactly when the database
  would give them the same rows: every manager, admin and official share one entry, the inventors
  of one organisation share one, an enterprise user's depends on their organisation. A grant
  switched on or off changes the SQL and so the key. The active language is part of the key
  (labels are translated when computed).
- **Version.** Services that change a figure (onboarding, stage transitions, result edits, deals
  signed or terminated, payments and their distribution, distribution rules, subsidy approvals
  and disbursements) and the demand services (created, edited, moved: the live demands' id sets
  of :func:`cached_ids`) call
  :func:`figures_changed` inside their transaction; once it commits, the version stored in the
  cache is replaced, so every cached entry is stale at once.
- **Expiry.** Entries expire after ``OPENTTO_FIGURES_CACHE_SECONDS`` (300 s) whatever happens: a
  safety net for changes made around the services (the admin, bulk SQL, a restore). ``0`` turns
  the cache off (the test settings do; the cache's own tests turn it on).

The same version also keys :func:`cached_query` (a value computed from one queryset, keyed by
its SQL: the exact counts of the result list's paginator, its owner filter), so a list's count
is computed once per distinct query until a service changes the data, and :func:`cached_ids`
(the ids a viewer may see, handed to the matching index; each process also keeps the same
``frozenset`` object per query, so the index builds its mask of them once).

The command line's platform-wide figures (``user=None``) are never cached. If the cache is
unreachable, figures are computed as if there were no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import cached_property

logger = logging.getLogger(__name__)

T = TypeVar("T")
VERSION_KEY = "opentto:figures:version"
DEFAULT_SECONDS = 300
#: How long a computation holds its entry, and how long the others wait for it before computing too.
LOCK_SECONDS = 120
WAIT_SECONDS = 30.0


def timeout() -> int:
    return int(getattr(settings, "OPENTTO_FIGURES_CACHE_SECONDS", DEFAULT_SECONDS))


#: A process reads the version from the cache at most this often (a request asks for it two or
#: three times); another process's change is seen within this time, this process's at once.
VERSION_MEMO_SECONDS = 1.0
_version_memo: tuple[float, str] | None = None


def figures_version() -> str:
    """The current figures version (created on first use)."""
    global _version_memo
    now = time.monotonic()
    memo = _version_memo
    if memo is not None and now - memo[0] < VERSION_MEMO_SECONDS:
        return memo[1]
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or version
    _version_memo = (now, str(version))
    return str(version)


def bump_figures_version() -> None:
    """Make every cached figure stale now (prefer :func:`figures_changed` in a service)."""
    global _version_memo
    version = uuid.uuid4().hex
    _version_memo = None
    try:
        cache.set(VERSION_KEY, version, None)
        _version_memo = (time.monotonic(), version)
    except Exception:
        logger.warning("figures cache: could not bump the version", exc_info=True)


def figures_changed() -> None:
    """Call from a service whose change moves a figure: the version is bumped once the
    transaction commits (at once outside a transaction; never if it rolls back)."""
    transaction.on_commit(bump_figures_version)


_TIME_TEXT = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d):\d\d(?:\.\d+)?")


def _compiled(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]] | None:
    """The query's SQL and parameters, None for a query that can match nothing."""
    try:
        sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def _sql(qs: QuerySet[Any]) -> tuple[str, tuple[str, ...]]:
    """The query's SQL and parameters."""
    compiled = _compiled(qs)
    return ("none", ()) if compiled is None else (compiled[0], tuple(repr(p) for p in compiled[1]))


def _minute(p: Any) -> str | None:
    """The minute of a time parameter (a datetime, or SQLite's adapted text), else None."""
    if isinstance(p, datetime):
        return p.strftime("%Y-%m-%d %H:%M")
    m = _TIME_TEXT.match(p) if isinstance(p, str) else None
    return m.group(1) if m else None


def _keyed(*parts: Any) -> tuple[str, str]:
    """A digest of ``parts`` (querysets by their SQL and parameters) that does not change with the
    clock, and the *freshness token*: the minute of every time among the parameters ("" when there
    is none). A query that compares with the current time (an NDA access not yet expired) keeps its
    key, and its cached value is refreshed when the minute changes (:func:`_lookup`)."""
    raw: list[Any] = []
    minutes: list[str] = []
    for part in parts:
        if not isinstance(part, QuerySet):
            raw.append(part)
            continue
        compiled = _compiled(part)
        if compiled is None:  # a query that can match nothing
            raw.append("none")
            continue
        shown = [(_minute(p), p) for p in compiled[1]]
        minutes.extend(m for m, _ in shown if m is not None)
        raw.append((compiled[0], tuple("<time>" if m else repr(p) for m, p in shown)))
    return hashlib.sha256(repr(tuple(raw)).encode()).hexdigest()[:32], "|".join(minutes)


#: Entries' keys start with this; its number changes with their format, so a worker of an older
#: release never reads an entry of a newer one (or the reverse) during a rolling upgrade.
ENTRY_PREFIX = "opentto:figures:2"
#: How old a value may be when it is served while another request refreshes it (see _lookup).
STALE_SECONDS = 120.0


def _lookup(key_parts: str, compute: Callable[[], T], token: str = "") -> T:
    return _lookup_token(key_parts, compute, token)[1]


def _lookup_token(key_parts: str, compute: Callable[[], T], token: str = "") -> tuple[str, T]:
    """``compute()`` under ``key_parts`` and the figures version, from the cache when it is there.

    Entries are stored as ``(token, computed at, value)``. An entry whose freshness ``token`` (the
    minute of the times in its query, :func:`_keyed`) is not the current one is refreshed by the
    one request that takes its lock; the others meanwhile get the previous minute's value at once
    (at most ``STALE_SECONDS`` old) instead of every request of every worker recomputing the same
    entries when the minute turns."""
    seconds = timeout()
    if seconds <= 0:
        return token, compute()
    try:
        key = f"{ENTRY_PREFIX}:{figures_version()}:{key_parts}"
        hit = cache.get(key)
        if hit is not None and hit[0] == token:
            return token, hit[2]
        # One computation per entry at a time: the others get the last minute's value, or wait
        # for the new one (up to WAIT_SECONDS) rather than all reading the same rows at once.
        if not cache.add(f"{key}:computing", 1, LOCK_SECONDS):
            if hit is not None and time.time() - hit[1] <= STALE_SECONDS:
                return hit[0], hit[2]  # another request is refreshing it
            waited = _wait_for(key, token)
            if waited is not None:
                return token, waited[2]
    except Exception:
        logger.warning("figures cache: unavailable", exc_info=True)
        return token, compute()
    try:
        value = compute()
        try:
            cache.set(key, (token, time.time(), value), seconds)
        except Exception:
            logger.warning("figures cache: could not store %s", key_parts, exc_info=True)
    finally:
        with contextlib.suppress(Exception):
            cache.delete(f"{key}:computing")
    return token, value


def _wait_for(key: str, token: str) -> tuple[str, float, Any] | None:
    """Wait (up to ``WAIT_SECONDS``) for another request to store ``key`` with ``token``, or with
    any token once computed after the wait began (the request computing it may have read the
    clock a moment before the minute turned: its value is as fresh as this request)."""
    started = time.time()
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        hit = cache.get(key)
        if hit is not None and (hit[0] == token or hit[1] >= started):
            return hit
    return None


def cached_query(qs: QuerySet[Any], name: str, compute: Callable[[], T]) -> T:
    """``compute()`` (which must read only ``qs``) cached under ``qs``'s SQL and parameters and
    the figures version: equal SQL reads equal rows until a service changes them. Times in the
    parameters count to the minute: an access that expires shows in a cached count within a
    minute or so (the rows themselves are always read afresh; :func:`_lookup`)."""
    digest, token = _keyed(qs)
    return _lookup(f"query:{name}:{digest}", compute, token)


def cached_value(name: str, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` cached under ``parts`` (querysets by their SQL and parameters: the viewer's
    permission scope; ids, stamps) and the figures version, like :func:`cached_query`: for a
    value that is a function of the rows a scope sees (the result page's "who needs this")."""
    digest, token = _keyed(*parts)
    return _lookup(f"value:{name}:{digest}", compute, token)


def cache_forget(name: str, parts: tuple[Any, ...]) -> None:
    """Drop what :func:`cached_value` holds under ``name`` and ``parts`` (a value computed from
    incomplete data, e.g. while an index is being built)."""
    if timeout() <= 0:
        return
    digest, _token = _keyed(*parts)
    with contextlib.suppress(Exception):
        cache.delete(f"{ENTRY_PREFIX}:{figures_version()}:value:{name}:{digest}")


class FragmentKey(str):
    """A fragment's key, with the freshness token of its queries (:func:`_keyed`)."""

    token: str = ""


def fragment_key(*parts: Any) -> FragmentKey:
    """The key of a rendered page fragment: a digest of what decides its content (a query's SQL
    and parameters, which carry the viewer's permission scope; the ids shown; the query string),
    with the active language. The figures version is added when it is looked up."""
    digest, token = _keyed(*parts)
    key = FragmentKey(f"{translation.get_language() or ''}:{digest}")
    key.token = token
    return key


def cached_fragment(key: str, render: Callable[[], str]) -> str:
    """A rendered fragment (e.g. a page of a list), cached like :func:`cached_query` until a
    service changes the data; ``key`` from :func:`fragment_key`."""
    return _lookup(f"fragment:{key}", render, getattr(key, "token", ""))


_LOCAL_IDS: OrderedDict[str, tuple[str, frozenset[str]]] = OrderedDict()
_LOCAL_IDS_LOCK = threading.Lock()
#: id sets a process keeps (each is a scope's visible ids: 100,000 ids ≈ 6 MB)
LOCAL_IDS_MAX = 16


def cached_ids(
    qs: QuerySet[Any], name: str, compute: Callable[[], AbstractSet[str]]
) -> frozenset[str]:
    """An id set computed from ``qs`` (e.g. every result a viewer may see), cached like
    :func:`cached_query` and, on top, kept in this process as the same ``frozenset`` object while
    the figures version holds: reading 100,000 ids from Redis costs ≈ 20 ms and the matching
    index's mask of them ≈ 100 ms, and the index remembers its mask of a frozenset it saw."""
    if timeout() <= 0:
        return frozenset(compute())
    digest, token = _keyed(qs)
    key_parts = f"query:{name}:{digest}"
    try:
        local_key = f"{figures_version()}:{key_parts}"
    except Exception:
        return frozenset(compute())
    with _LOCAL_IDS_LOCK:
        known = _LOCAL_IDS.get(local_key)
        if known is not None:
            _LOCAL_IDS.move_to_end(local_key)
            if known[0] == token:
                return known[1]
    got, ids = _lookup_token(key_parts, compute, token)
    value = frozenset(ids)
    if known is not None and value == known[1]:
        value = known[1]  # the minute turned but no id came or went: keep the index's mask
    with _LOCAL_IDS_LOCK:
        _LOCAL_IDS[local_key] = (got, value)  # a value served stale is asked for again
        while len(_LOCAL_IDS) > LOCAL_IDS_MAX:
            _LOCAL_IDS.popitem(last=False)
    return value


class CachedCountPaginator(Paginator):
    """A paginator whose exact ``count`` (a ``COUNT(*)`` over every matching row) is cached per
    query until the data changes (:func:`cached_query`)."""

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not isinstance(qs, QuerySet):
            return super().count
        return cached_query(qs.order_by(), "count", qs.count)
