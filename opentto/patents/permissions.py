"""Who may see and change patent families, filings, deadlines and fees (registered with
:mod:`opentto.core.permissions`), and the planning actions on results that every planning desk
app (patents, financing, planning) builds on.

Two actions on the results app's type decide the workspace of a result: ``view_planning`` (read
its planning records: the TTO every result's, an inventor those of results whose confidential
details they may read) and ``plan`` (add planning records to it: the TTO). They are registered
here, in the lowest of the three apps; ``opentto.financing`` and ``opentto.planning`` build their
constraints from the helpers below. A child never outruns its parent: a filing is visible with its
family, a deadline with its filing.

The types kept their actions, constraints and grants when they moved out of ``opentto.planning``;
their names followed the models (``planning.filing`` → ``patents.filing``), and the grant rows
were renamed by ``planning/migrations/0008`` (docs/security.md).

| type | actions | admin, manager | inventor | investor |
|---|---|---|---|---|
| results.result | view_planning, plan | all | view_planning: results whose details they read | — |
| patents.patentfamily | view, change | all | view: of those results | — |
| patents.filing | view, change | all | view: with the family | — |
| patents.confidentialityexamination | view | all | with the family | — |
| patents.filingdeadline | view, change, be_reminded | all (be_reminded: managers) | view: with the filing | — |
| patents.abandonmentdecision | view | all | with the filing | — |
| patents.filingfeereduction, .filingapplicant | view | all | with the filing | — |
| patents.feeschedule, .feescheduleitem | view | all | all | all signed in |
| patents.calendarfeed | view, add | view: their own; add | — | — |

``be_reminded`` is who is reminded of a deadline whose family has no (active, permitted) manager.
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ADMIN,
    ALL,
    INVENTOR,
    MANAGER,
    SIGNED_IN,
    STAFF,
    Constraint,
    register,
    restrict,
    user_role,
    users_permitted,
)

RESULT = "results.result"
#: The constraint giving inventors their organisation's planning records.
OF_PLANNING_RESULTS = "of_planning_results"

_in_details_readable: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "planning_details_readable", default=False
)


def details_readable(user: Any, model: type[Model]) -> Q | None:
    """Results whose confidential details the user may read (``view_details``). Guarded against
    being granted for ``view_details`` itself, which would recurse."""
    if user_role(user) is None or _in_details_readable.get():
        return None
    token = _in_details_readable.set(True)
    try:
        from opentto.results.models import Result

        return Q(pk__in=Result.objects.restrict(user, "view_details").values("pk"))
    finally:
        _in_details_readable.reset(token)


def of_planning_results(user: Any, model: type[Model]) -> Q | None:
    """Records of results whose planning the user may read (``results.result``: ``view_planning``)."""
    if user_role(user) is None:
        return None
    from opentto.results.models import Result

    return Q(result__in=Result.objects.restrict(user, "view_planning").values("pk"))


def with_parent(field: str, parent: str) -> Constraint:
    """A constraint: rows whose ``field`` is a ``parent`` row the user may view."""

    def constraint(user: Any, model: type[Model]) -> Q | None:
        if user_role(user) is None:
            return None
        from django.apps import apps

        parent_model = apps.get_model(parent)
        return Q(
            **{
                f"{field}__in": restrict(parent_model._default_manager.all(), user, "view").values(
                    "pk"
                )
            }
        )

    constraint.__doc__ = f"Rows whose {field} the user may view ({parent})."
    return constraint


def own(user: Any, model: type[Model]) -> Q | None:
    """The user's own rows (their calendar feed, their deal-room invitations)."""
    if user_role(user) is None:
        return None
    return Q(user_id=user.pk)


def staff(actions: tuple[str, ...]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(role, ALL, actions) for role in STAFF]


RESULT_CHILD: dict[str, Constraint] = {OF_PLANNING_RESULTS: of_planning_results}
FAMILY_CHILD: dict[str, Constraint] = {"with_family": with_parent("family", "patents.patentfamily")}
FILING_CHILD: dict[str, Constraint] = {"with_filing": with_parent("filing", "patents.filing")}

register(
    RESULT,
    actions={"view_planning", "plan"},
    constraints={"details_readable": details_readable},
    grants=[
        *staff(("view_planning", "plan")),
        (INVENTOR, "details_readable", ("view_planning",)),
    ],
)
# the IP layout
register(
    "patents.patentfamily",
    actions={"view", "change"},
    constraints=RESULT_CHILD,
    grants=[
        *staff(("view", "change")),
        (INVENTOR, OF_PLANNING_RESULTS, ("view",)),
    ],
)
register(
    "patents.filing",
    actions={"view", "change"},
    constraints=FAMILY_CHILD,
    grants=[
        *staff(("view", "change")),
        (INVENTOR, "with_family", ("view",)),
    ],
)
register(
    "patents.confidentialityexamination",
    actions={"view"},
    constraints=FAMILY_CHILD,
    grants=[
        *staff(("view",)),
        (INVENTOR, "with_family", ("view",)),
    ],
)
register(
    "patents.filingdeadline",
    actions={"view", "change", "be_reminded"},
    constraints=FILING_CHILD,
    grants=[
        (ADMIN, ALL, ("view", "change")),
        (MANAGER, ALL, ("view", "change", "be_reminded")),
        (INVENTOR, "with_filing", ("view",)),
    ],
)
register(
    "patents.abandonmentdecision",
    actions={"view"},
    constraints=FILING_CHILD,
    grants=[
        *staff(("view",)),
        (INVENTOR, "with_filing", ("view",)),
    ],
)
# fee reductions follow their filing; the fee schedule is public data (edited in the admin)
register(
    "patents.filingfeereduction",
    actions={"view"},
    constraints=FILING_CHILD,
    grants=[
        *staff(("view",)),
        (INVENTOR, "with_filing", ("view",)),
    ],
)
register(
    "patents.filingapplicant",
    actions={"view"},
    constraints={"with_reduction": with_parent("reduction", "patents.filingfeereduction")},
    grants=[
        *staff(("view",)),
        (INVENTOR, "with_reduction", ("view",)),
    ],
)
register(
    "patents.feeschedule", actions={"view"}, grants=[(role, ALL, ("view",)) for role in SIGNED_IN]
)
register(
    "patents.feescheduleitem",
    actions={"view"},
    grants=[(role, ALL, ("view",)) for role in SIGNED_IN],
)
register(
    "patents.calendarfeed",
    actions={"view", "add"},
    constraints={"own": own},
    grants=[
        *[(role, "own", ("view",)) for role in STAFF],
        *staff(("add",)),
    ],
)


# --- Questions the pages ask ------------------------------------------------------------------------


def planners() -> Any:
    """The users who may be chosen as a family's manager, a task's owner or an abandonment's
    approver (the services check the chosen one against the result)."""
    return users_permitted(RESULT, "plan").order_by("username")


def reminded_without_manager() -> Any:
    """Who is reminded of a deadline when its family's manager may not be (or is inactive)."""
    return users_permitted("patents.filingdeadline", "be_reminded", every_row=True)
