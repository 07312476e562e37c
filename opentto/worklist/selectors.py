"""Reads of "My work": every line waiting for a user, the header's count, the page's filters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from opentto.core.http import int_param

from .items import KINDS, WINDOW_DAYS, WorkItem, sort_key
from .sources import SOURCES

#: The attribute of the request that holds its lines (computed once per request).
_REQUEST_CACHE = "_opentto_worklist"


def work_items(user: Any, *, today: date | None = None) -> list[WorkItem]:
    """Every line waiting for ``user``, soonest first (overdue, then by due date, then undated).
    Computed live from the state of the objects, each source through the permission system."""
    if not getattr(user, "is_authenticated", False):
        return []
    today = today or timezone.localdate()
    items: list[WorkItem] = []
    for source in SOURCES.values():
        items.extend(source(user, today))
    return sorted(items, key=sort_key)


def work_items_for_request(request: HttpRequest) -> list[WorkItem]:
    """The signed-in user's lines, computed once per request (the header and the page share them)."""
    cached = getattr(request, _REQUEST_CACHE, None)
    if cached is None:
        cached = work_items(getattr(request, "user", None))
        setattr(request, _REQUEST_CACHE, cached)
    return cached


def worklist_count(user: Any, *, request: HttpRequest | None = None) -> int:
    """How many lines wait for ``user`` (the header's badge); with ``request``, from the lines the
    request already computed (or computes them once for it)."""
    if request is not None and getattr(request, "user", None) is user:
        return len(work_items_for_request(request))
    return len(work_items(user))


@dataclass(frozen=True)
class WorkFilter:
    """The page's filter: one kind (``""``: every kind) and a due window (``"overdue"``, a number
    of days from ``WINDOW_DAYS`` — overdue lines included — or ``""``: everything, undated too)."""

    kind: str = ""
    window: str = ""

    @classmethod
    def from_query(cls, params: Any) -> WorkFilter:
        """Read from GET parameters; a value the page does not offer is ignored."""
        kind = str(params.get("kind", "") or "")
        window = str(params.get("due", "") or "")
        if kind not in KINDS:
            kind = ""
        if window != "overdue":
            days = int_param(window, low=1, high=max(WINDOW_DAYS))
            window = str(days) if days in WINDOW_DAYS else ""
        return cls(kind, window)

    def apply(self, items: list[WorkItem], *, today: date | None = None) -> list[WorkItem]:
        today = today or timezone.localdate()
        out = [i for i in items if not self.kind or i.kind == self.kind]
        if self.window == "overdue":
            out = [i for i in out if i.is_overdue]
        elif self.window:
            until = today + timedelta(days=int(self.window))
            out = [i for i in out if i.due is not None and (i.is_overdue or i.due <= until)]
        return out


def counts_by_kind(items: list[WorkItem]) -> list[tuple[str, str, int]]:
    """(kind, label, count) for each kind with at least one line, in the order of ``KINDS``."""
    counts = Counter(i.kind for i in items)
    return [(kind, str(label), counts[kind]) for kind, label in KINDS.items() if counts[kind]]


def items_by_key(items: list[WorkItem], keys: list[str]) -> tuple[list[WorkItem], list[str]]:
    """The lines named by ``keys`` (``kind:id``) among ``items``, and the keys that name none (not
    waiting for the user, or not visible to them)."""
    by_key = {i.key: i for i in items}
    found = [by_key[k] for k in dict.fromkeys(keys) if k in by_key]
    missing = [k for k in dict.fromkeys(keys) if k not in by_key]
    return found, missing
