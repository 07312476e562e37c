"""What higher apps tell results, without results importing them (results sits below evaluation,
planning and landing: docs/architecture.md, "Layers"). Each is filled from the higher app's
``AppConfig.ready``.

* **The evaluation outcome rule** behind the pipeline's ``evaluation → …`` guards
  (``register_evaluation_outcome_rule``, by ``opentto.evaluation``: ``evaluation.guards``): whether
  a result may leave evaluation with a given decision, and a context in which the latest outcome is
  read once per result however many guards ask.
* **Parts of the result page** (``register_result_page_part``): a function ``(user, result) ->
  context`` whose entries the result page adds to its template context (landing: the deals and the
  quick deal form; evaluation: the quick evaluation form). Each part reads through its own grants;
  results gives it only a result the viewer may see.

The pages of higher apps under ``results:`` URL names are registered with ``opentto.core.url_hooks``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

#: ``(result, decision) -> problem | None`` and ``() -> context manager``, or None before ready.
_OUTCOME_RULE: (
    tuple[Callable[[Any, str], str | None], Callable[[], AbstractContextManager[None]]] | None
) = None
_PAGE_PARTS: dict[str, Callable[[Any, Any], dict[str, Any]]] = {}


def register_evaluation_outcome_rule(
    problem: Callable[[Any, str], str | None], memo: Callable[[], AbstractContextManager[None]]
) -> None:
    global _OUTCOME_RULE
    _OUTCOME_RULE = (problem, memo)


def evaluation_outcome_problem(result: Any, decision: str) -> str | None:
    """Why ``result`` may not leave evaluation with ``decision`` now (``None``: it may)."""
    if _OUTCOME_RULE is None:
        raise RuntimeError(
            "no evaluation outcome rule is registered (opentto.evaluation is not installed)"
        )
    return _OUTCOME_RULE[0](result, decision)


@contextmanager
def outcome_memo() -> Iterator[None]:
    """Within it, the registered rule reads each result's latest outcome once."""
    if _OUTCOME_RULE is None:
        yield
        return
    with _OUTCOME_RULE[1]():
        yield


def register_result_page_part(name: str, part: Callable[[Any, Any], dict[str, Any]]) -> None:
    """Add (or replace, under the same name) a part of the result page's context."""
    _PAGE_PARTS[name] = part


def result_page_parts(user: Any, result: Any) -> dict[str, Any]:
    """The registered parts' context entries for this viewer and result, in registration order."""
    context: dict[str, Any] = {}
    for part in _PAGE_PARTS.values():
        context.update(part(user, result))
    return context
