"""Who may see and change operations-planning records (registered with
:mod:`opentto.core.permissions`).

Two actions on the results app's type decide the workspace of a result: ``view_planning`` (read
its planning records: the TTO every result's, an inventor those of results whose confidential
details they may read) and ``plan`` (add planning records to it: the TTO). Every planning record
then has its own type, and a child never outruns its parent: an option, target, negotiation or
decision is visible with its plan, a filing with its family, a deadline with its filing, a pool
licence with its pool (and its result), a pledged patent with its loan.

| type | actions | admin, manager | inventor | investor |
|---|---|---|---|---|
| results.result | view_planning, plan | all | view_planning: results whose details they read | — |
| planning.transferplan | view, change, decide | all | view: of those results | — |
| planning.transferoption, .plantarget, .negotiationentry, .transferplanevent | view | all | with the plan | — |
| planning.patentfamily, .overseaschannel, .servicetask | view, change | all | view: of those results | — |
| planning.filing | view, change | all | view: with the family | — |
| planning.confidentialityexamination | view | all | with the family | — |
| planning.filingdeadline | view, change, be_reminded | all (be_reminded: managers) | view: with the filing | — |
| planning.abandonmentdecision | view | all | with the filing | — |
| planning.filingfeereduction, .filingapplicant | view | all | with the filing | — |
| planning.feeschedule, .feescheduleitem | view | all | all | all signed in |
| planning.servicelogentry | view, figures | all | view: of those results | — |
| planning.valuation | view | all | — | — |
| planning.pledgeloan | view, change | all | — | — |
| planning.pledgedasset | view | all | — | — |
| planning.securitisationpool | view, change, add | all | — | — |
| planning.poolasset, .poolcashflow | view | all | — | — |
| planning.dealroom | view, change | all | — | view: open rooms they are invited to |
| planning.dealroominvite | view, receive | view: all | — | receive (may be invited) |
| planning.calendarfeed | view, add | view: their own; add | — | — |

``decide`` is approving or rejecting a submitted plan; ``figures`` the workload report;
``be_reminded`` who is reminded of a deadline whose family has no (active, permitted) manager;
``receive`` who may be invited to a deal room. A deal room shows invited investors the result's
summary (field, TRL, stage, abstract, advantages, applications — not its title or confidential
details) and the documents the TTO chose: the room is the share.
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ADMIN,
    ALL,
    INVENTOR,
    INVESTOR,
    MANAGER,
    SIGNED_IN,
    STAFF,
    Constraint,
    permitted,
    register,
    restrict,
    user_role,
    users_permitted,
)

RESULT = "results.result"
#: The constraint giving inventors their organisation's planning records.
OF_PLANNING_RESULTS = "of_planning_results"

_in_details_readable: contextvars.ContextVar[bool] = contextvars.ContextVar("planning_details_readable", default=False)


def _details_readable(user: Any, model: type[Model]) -> Q | None:
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


def _of_planning_results(user: Any, model: type[Model]) -> Q | None:
    """Records of results whose planning the user may read (``results.result``: ``view_planning``)."""
    if user_role(user) is None:
        return None
    from opentto.results.models import Result

    return Q(result__in=Result.objects.restrict(user, "view_planning").values("pk"))


def _with_parent(field: str, parent: str) -> Constraint:
    """A constraint: rows whose ``field`` is a ``parent`` row the user may view."""

    def constraint(user: Any, model: type[Model]) -> Q | None:
        if user_role(user) is None:
            return None
        from django.apps import apps

        parent_model = apps.get_model(parent)
        return Q(**{f"{field}__in": restrict(parent_model._default_manager.all(), user, "view").values("pk")})

    constraint.__doc__ = f"Rows whose {field} the user may view ({parent})."
    return constraint


def _pool_asset_visible(user: Any, model: type[Model]) -> Q | None:
    """Licences of pools the user may view, of results they may view."""
    if user_role(user) is None:
        return None
    from opentto.results.models import Result

    from .models import SecuritisationPool

    return Q(pool__in=SecuritisationPool.objects.restrict(user, "view").values("pk"),
             result__in=Result.objects.restrict(user, "view").values("pk"))


def _room_invited_open(user: Any, model: type[Model]) -> Q | None:
    """Open deal rooms the user is invited to."""
    if user_role(user) is None:
        return None
    return Q(is_open=True, pk__in=model._default_manager.filter(invites__user_id=user.pk).values("pk"))


def _own(user: Any, model: type[Model]) -> Q | None:
    """The user's own rows (their calendar feed, their deal-room invitations)."""
    if user_role(user) is None:
        return None
    return Q(user_id=user.pk)


def _staff(actions: tuple[str, ...]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(role, ALL, actions) for role in STAFF]


PLAN_CHILD: dict[str, Constraint] = {"with_plan": _with_parent("plan", "planning.transferplan")}
FAMILY_CHILD: dict[str, Constraint] = {"with_family": _with_parent("family", "planning.patentfamily")}
FILING_CHILD: dict[str, Constraint] = {"with_filing": _with_parent("filing", "planning.filing")}
RESULT_CHILD: dict[str, Constraint] = {OF_PLANNING_RESULTS: _of_planning_results}

register(RESULT, actions={"view_planning", "plan"}, constraints={"details_readable": _details_readable}, grants=[
    *_staff(("view_planning", "plan")), (INVENTOR, "details_readable", ("view_planning",)),
])
# transfer plans and their parts
register("planning.transferplan", actions={"view", "change", "decide"}, constraints=RESULT_CHILD, grants=[
    *_staff(("view", "change", "decide")), (INVENTOR, OF_PLANNING_RESULTS, ("view",)),
])
for _type in ("planning.transferoption", "planning.plantarget", "planning.negotiationentry", "planning.transferplanevent"):
    register(_type, actions={"view"}, constraints=PLAN_CHILD, grants=[*_staff(("view",)), (INVENTOR, "with_plan", ("view",))])
# the IP layout
register("planning.patentfamily", actions={"view", "change"}, constraints=RESULT_CHILD, grants=[
    *_staff(("view", "change")), (INVENTOR, OF_PLANNING_RESULTS, ("view",)),
])
register("planning.filing", actions={"view", "change"}, constraints=FAMILY_CHILD, grants=[
    *_staff(("view", "change")), (INVENTOR, "with_family", ("view",)),
])
register("planning.confidentialityexamination", actions={"view"}, constraints=FAMILY_CHILD, grants=[
    *_staff(("view",)), (INVENTOR, "with_family", ("view",)),
])
register("planning.filingdeadline", actions={"view", "change", "be_reminded"}, constraints=FILING_CHILD, grants=[
    (ADMIN, ALL, ("view", "change")), (MANAGER, ALL, ("view", "change", "be_reminded")), (INVENTOR, "with_filing", ("view",)),
])
register("planning.abandonmentdecision", actions={"view"}, constraints=FILING_CHILD, grants=[
    *_staff(("view",)), (INVENTOR, "with_filing", ("view",)),
])
# fee reductions follow their filing; the fee schedule is public data (edited in the admin)
register("planning.filingfeereduction", actions={"view"}, constraints=FILING_CHILD, grants=[
    *_staff(("view",)), (INVENTOR, "with_filing", ("view",)),
])
register("planning.filingapplicant", actions={"view"}, constraints={"with_reduction": _with_parent("reduction", "planning.filingfeereduction")}, grants=[
    *_staff(("view",)), (INVENTOR, "with_reduction", ("view",)),
])
register("planning.feeschedule", actions={"view"}, grants=[(role, ALL, ("view",)) for role in SIGNED_IN])
register("planning.feescheduleitem", actions={"view"}, grants=[(role, ALL, ("view",)) for role in SIGNED_IN])
register("planning.calendarfeed", actions={"view", "add"}, constraints={"own": _own}, grants=[
    *[(role, "own", ("view",)) for role in STAFF], *_staff(("add",)),
])
# financing
register("planning.valuation", actions={"view"}, constraints=RESULT_CHILD, grants=_staff(("view",)))
register("planning.pledgeloan", actions={"view", "change"}, constraints=RESULT_CHILD, grants=_staff(("view", "change")))
register("planning.pledgedasset", actions={"view"}, constraints={"with_loan": _with_parent("loan", "planning.pledgeloan")},
         grants=_staff(("view",)))
register("planning.securitisationpool", actions={"view", "change", "add"}, grants=_staff(("view", "change", "add")))
register("planning.poolasset", actions={"view"}, constraints={"with_pool_and_result": _pool_asset_visible}, grants=_staff(("view",)))
register("planning.poolcashflow", actions={"view"}, constraints={"with_asset": _with_parent("asset", "planning.poolasset")},
         grants=_staff(("view",)))
register("planning.dealroom", actions={"view", "change"}, constraints={"invited_open": _room_invited_open, OF_PLANNING_RESULTS: _of_planning_results}, grants=[
    *_staff(("view", "change")), (INVESTOR, "invited_open", ("view",)),
])
register("planning.dealroominvite", actions={"view", "receive"}, constraints={"own": _own}, grants=[
    *_staff(("view",)), (INVESTOR, ALL, ("receive",)),
])
# overseas channels and companion services
for _type in ("planning.overseaschannel", "planning.servicetask"):
    register(_type, actions={"view", "change"}, constraints=RESULT_CHILD, grants=[
        *_staff(("view", "change")), (INVENTOR, OF_PLANNING_RESULTS, ("view",)),
    ])
register("planning.servicelogentry", actions={"view", "figures"}, constraints=RESULT_CHILD, grants=[
    *_staff(("view", "figures")), (INVENTOR, OF_PLANNING_RESULTS, ("view",)),
])


# --- Questions the planning pages ask -------------------------------------------------------------


def does_planning(user: Any) -> bool:
    """Whether the user plans for results at all (the planning desk: its index, the dashboard panel)."""
    return permitted(user, RESULT, "plan")


def planners() -> Any:
    """The users who may be chosen as a family's manager, a task's owner or an abandonment's
    approver (the services check the chosen one against the result)."""
    return users_permitted(RESULT, "plan").order_by("username")


def deal_room_invitees() -> Any:
    """The users who may be invited to a deal room."""
    return users_permitted("planning.dealroominvite", "receive").order_by("username")


def reminded_without_manager() -> Any:
    """Who is reminded of a deadline when its family's manager may not be (or is inactive)."""
    return users_permitted("planning.filingdeadline", "be_reminded", every_row=True)
