"""One shape for every state machine: a table of edges and one helper that takes an edge.

An :class:`Edge` names its source and target status, the verb (the event's name: the audit
action is ``<table name>.<verb>`` unless the service says otherwise), the *permission action* a
user needs on the row to take it — answered by :func:`opentto.core.permissions.allows`, never a
role list (ADR 0008) — and an optional guard (``guard(row) -> problem or None``; a guard that takes
two arguments also gets the target). ``action=None`` is an edge no user takes by hand (a system
move, e.g. a deal's signing lands its results): only ``system=True`` takes it.

A :class:`Transitions` table is built from edges and answers: is there an edge (``(s, t) in
table``, :meth:`Transitions.edge`), where can a row go from a status (``table[s]``,
:meth:`Transitions.targets`), which edges may this user take now (:meth:`Transitions.allowed`), and
why not (:meth:`Transitions.problem`). Its messages (an illegal move, a refusal) are the app's own.

:func:`transition` is the one helper that moves a row: it locks it (``select_for_update``), checks
the edge, the permission and the guard, sets the status and the service's other fields, saves,
records the app's event row and the audit event, and registers the ``on_commit`` callbacks (they
run only when the outermost transaction commits; a rollback runs none of them). Any refusal raises
before anything is written, so nothing changes.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from opentto.core.audit import audit_record
from opentto.core.permissions import allows

M = TypeVar("M", bound=models.Model)
#: A guard: given the (locked) row — and, when it takes two arguments, the target — the reason the
#: move cannot be made now, or ``None``.
Guard = Callable[..., "str | Promise | None"]


class TransitionError(ValidationError):
    """A move that is not allowed: no such edge, not this user's, or its guard fails. A
    ``ValidationError`` keyed by a field, so forms and the API show it where it belongs."""


@dataclass(frozen=True)
class Edge:
    """One legal move. ``verb``: the event's name; ``action``: the permission action on the row a
    user needs (``None``: a system move only); ``refused``: the message of a refusal when it differs
    from the table's; ``reason_required``: the move needs a written reason."""

    source: str
    target: str
    verb: str
    action: str | None = "change"
    guard: Guard | None = None
    label: str | Promise = ""
    reason_required: bool = False
    refused: str | Promise | None = None

    @property
    def by_user(self) -> bool:
        return self.action is not None

    def guard_problem(self, row: models.Model, target: str) -> str | Promise | None:
        if self.guard is None:
            return None
        if _arity(self.guard) >= 2:
            return self.guard(row, target)
        return self.guard(row)


def _arity(func: Callable[..., Any]) -> int:
    try:
        return len([p for p in inspect.signature(func).parameters.values() if p.default is p.empty])
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return 1


@dataclass(frozen=True)
class Problem:
    """Why a move cannot be made: ``field`` keys the error; ``refused``: a permission refusal."""

    message: str
    field: str
    refused: bool = False


def _text(message: str | Promise | Callable[[], str]) -> str:
    return str(message() if callable(message) else message)


@dataclass
class Transitions:
    """A state machine's table. ``field``: the row's status attribute; ``error_field``: the key of
    an illegal move's error; ``illegal``: its message (``%(source)s``/``%(target)s`` — also
    ``%(status)s``/``%(from)s`` and ``%(to)s`` — are the labels
    from ``labels``, a ``TextChoices``; ``raw_target``: the target as stored); ``refused``: a refusal's message; ``refusal_error``:
    ``PermissionError`` (the service raises it, the view answers 403) or ``TransitionError`` (keyed
    by ``error_field``); ``ask_first``: the permission is asked before the edge is checked (the
    action of a missing edge is the one every edge into the target shares); ``system_refused``: the
    message when a user tries a system move; ``reason_field``/``reason_missing``: the key and message
    when an edge that needs a reason gets none; ``default_action``: the action asked (with
    ``ask_first``) of a move to a status no edge leads to."""

    name: str
    edges: Sequence[Edge]
    field: str = "status"
    error_field: str = "status"
    labels: Any = None
    illegal: str | Promise | Callable[[], str] = ""
    refused: str | Promise | Callable[[], str] = ""
    refusal_error: type[Exception] = PermissionError
    ask_first: bool = False
    raw_target: bool = False
    reason_field: str = ""
    default_action: str | None = None
    reason_missing: str | Promise | Callable[[], str] = ""
    system_refused: str | Promise | Callable[[], str] = ""
    by_edge: dict[tuple[str, str], Edge] = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.edges = tuple(self.edges)
        self.by_edge = {}
        for edge in self.edges:
            if (edge.source, edge.target) in self.by_edge:
                raise ValueError(f"{self.name}: two edges {edge.source} → {edge.target}")
            self.by_edge[(edge.source, edge.target)] = edge

    # --- the table --------------------------------------------------------------------------

    def edge(self, source: str, target: str) -> Edge | None:
        return self.by_edge.get((source, target))

    def __contains__(self, pair: object) -> bool:
        return pair in self.by_edge

    def __iter__(self) -> Iterator[Edge]:
        return iter(self.edges)

    def __len__(self) -> int:
        return len(self.edges)

    def targets(self, source: str) -> tuple[str, ...]:
        """Where a row in ``source`` can go (table order)."""
        return tuple(e.target for e in self.edges if e.source == source)

    def __getitem__(self, source: str) -> tuple[str, ...]:
        return self.targets(source)

    def get(self, source: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        return self.targets(source) or default

    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.source for e in self.edges))

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        """``{source: (targets…)}`` (documentation and tests)."""
        return {s: self.targets(s) for s in self.sources()}

    def action_for(self, source: str, target: str) -> str | None:
        """The permission action the move needs: its edge's; for a missing edge, the action every
        edge into ``target`` shares (``None`` when they differ), or ``default_action`` when no edge
        leads there."""
        edge = self.edge(source, target)
        if edge is not None:
            return edge.action
        actions = {e.action for e in self.edges if e.target == target}
        if not actions:
            return self.default_action
        return actions.pop() if len(actions) == 1 else None

    def label(self, status: str) -> str:
        if self.labels is not None and status in self.labels.values:
            return str(self.labels(status).label)
        return status

    # --- asking ---------------------------------------------------------------------------

    def illegal_problem(self, source: str, target: str) -> Problem:
        template = (
            _text(self.illegal) if self.illegal else _("“%(source)s” cannot move to “%(target)s”.")
        )
        shown = target if self.raw_target else self.label(target)
        names = {"source": self.label(source), "target": shown}
        names |= {"status": names["source"], "from": names["source"], "to": shown}
        return Problem(template % names, self.error_field)

    def _refusal(self, source: str, target: str) -> Problem:
        """The edge's own refusal, for a missing edge the one every edge into ``target`` shares,
        else the table's."""
        edge = self.edge(source, target)
        own: str | Promise | None
        if edge is not None:
            own = edge.refused
        else:
            found = {e.refused for e in self.edges if e.target == target}
            own = found.pop() if len(found) == 1 else None
        message = own if own is not None else self.refused
        return Problem(
            _text(message) if message else _("You may not take this step."),
            self.error_field,
            refused=True,
        )

    def problem(
        self,
        row: models.Model,
        target: str,
        actor: Any,
        *,
        system: bool = False,
        reason: str | None = None,
        check_guard: bool = True,
    ) -> Problem | None:
        """Why ``actor`` cannot move ``row`` to ``target`` now (``None`` when they can)."""
        source = getattr(row, self.field)
        edge = self.edge(source, target)
        if self.ask_first and not system:
            action = self.action_for(source, target)
            if action is not None and not allows(actor, row, action):
                return self._refusal(source, target)
        if edge is None:
            return self.illegal_problem(source, target)
        if edge.action is None:
            if not system:
                message = self.system_refused or _("This step is taken only by the system.")
                return Problem(_text(message), self.error_field)
        elif not system and not self.ask_first and not allows(actor, row, edge.action):
            return self._refusal(source, target)
        if check_guard and (found := edge.guard_problem(row, target)):
            return Problem(str(found), self.error_field)
        if reason is not None and edge.reason_required and not reason.strip():
            message = (
                _text(self.reason_missing)
                if self.reason_missing
                else _("Give a reason for this step.")
            )
            return Problem(message, self.reason_field or self.error_field)
        return None

    def raise_problem(self, problem: Problem) -> None:
        if problem.refused and self.refusal_error is not TransitionError:
            raise self.refusal_error(problem.message)
        raise TransitionError({problem.field: [problem.message]}, code="illegal_transition")

    def check(
        self,
        row: models.Model,
        target: str,
        actor: Any,
        *,
        system: bool = False,
        reason: str | None = None,
    ) -> Edge:
        """The edge ``row → target``; raises (``TransitionError`` or the table's refusal) otherwise."""
        problem = self.problem(row, target, actor, system=system, reason=reason)
        if problem is not None:
            self.raise_problem(problem)
        edge = self.edge(getattr(row, self.field), target)
        assert edge is not None
        return edge

    def check_edge(self, row: models.Model, target: str) -> Edge:
        """Only the table: the edge exists (the service asked the permission itself)."""
        source = getattr(row, self.field)
        edge = self.edge(source, target)
        if edge is None:
            self.raise_problem(self.illegal_problem(source, target))
        assert edge is not None
        return edge

    def allowed(self, row: models.Model, actor: Any, *, guards: bool = True) -> list[Edge]:
        """The edges ``actor`` may take from ``row``'s status now (its page's buttons): permitted by
        the permission module and, with ``guards``, passing their guard."""
        source = getattr(row, self.field)
        answers: dict[str, bool] = {}
        found = []
        for edge in self.edges:
            if edge.source != source or edge.action is None:
                continue
            if edge.action not in answers:
                answers[edge.action] = allows(actor, row, edge.action)
            if answers[edge.action] and (not guards or not edge.guard_problem(row, edge.target)):
                found.append(edge)
        return found


Fields = Mapping[str, Any] | Callable[[Any], Mapping[str, Any] | None] | None


def transition(
    *,
    obj: M,
    target: str,
    actor: Any,
    table: Transitions,
    queryset: QuerySet[M] | None = None,
    fields: Fields = None,
    event: Callable[[M, str, Edge], Any] | None = None,
    audit: bool = True,
    audit_action: str | None = None,
    audit_payload: Mapping[str, Any] | Callable[[M, str], Mapping[str, Any]] | None = None,
    on_commit: Iterable[Callable[[M, str], Any]] = (),
    system: bool = False,
    reason: str | None = None,
    request: Any = None,
) -> M:
    """Move ``obj`` to ``target`` and return the locked, saved row.

    In one transaction: lock the row (``queryset``, e.g. with ``select_related`` — its own
    ``select_for_update(of=…)`` is kept —, or the model's manager), check the edge, the permission action (``allows``) and the guard — refusals raise
    before anything is written — then set the status and ``fields`` (a mapping, or a callable given
    the locked row that returns one and may raise ``ValidationError``), save those fields (and
    ``updated_at`` when the model has it), call ``event(row, source, edge)`` to write the app's event
    row, write the audit event (``audit_action`` or ``<table>.<verb>``; payload ``{"from", "to"}``
    or ``audit_payload``, a mapping or ``audit_payload(row, source)``; ``audit=False``: the service
    writes its own), and register each ``on_commit(row, source)`` callback.
    """
    model = type(obj)
    with transaction.atomic():
        qs = queryset if queryset is not None else model._default_manager.all()
        locked = (qs if qs.query.select_for_update else qs.select_for_update()).get(pk=obj.pk)
        edge = table.check(locked, target, actor, system=system, reason=reason)
        source = getattr(locked, table.field)
        values = dict((fields(locked) if callable(fields) else fields) or {})
        setattr(locked, table.field, target)
        for name, value in values.items():
            setattr(locked, name, value)
        update = [table.field, *values]
        if (
            any(f.name == "updated_at" for f in model._meta.concrete_fields)
            and "updated_at" not in update
        ):
            update.append("updated_at")
        locked.save(update_fields=update)
        if event is not None:
            event(locked, source, edge)
        if audit:
            payload = (
                {"from": source, "to": target}
                if audit_payload is None
                else (audit_payload(locked, source) if callable(audit_payload) else audit_payload)
            )
            audit_record(
                actor=actor,
                action=audit_action or f"{table.name}.{edge.verb}",
                obj=locked,
                payload=dict(payload),
                request=request,
            )
        for callback in on_commit:
            transaction.on_commit(partial(callback, locked, source))
    return locked
