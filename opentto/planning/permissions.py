"""Who may see and change transfer plans, deal rooms, overseas channels and companion services
(registered with :mod:`opentto.core.permissions`).

The planning actions on results (``view_planning``, ``plan``) and the helpers that build a
child's constraint from its parent are registered by ``opentto.patents.permissions``, the lowest
of the planning desk's apps; the IP layout's types are there, the financing types in
``opentto.financing.permissions``. A child never outruns its parent: an option, target,
negotiation or decision is visible with its plan.

| type | actions | admin, manager | inventor | investor |
|---|---|---|---|---|
| planning.transferplan | view, change, decide | all | view: of results whose planning they read | — |
| planning.transferoption, .plantarget, .negotiationentry, .transferplanevent | view | all | with the plan | — |
| planning.overseaschannel, .servicetask | view, change | all | view: of those results | — |
| planning.servicelogentry | view, figures | all | view: of those results | — |
| planning.dealroom | view, change | all | — | view: open rooms they are invited to |
| planning.dealroominvite | view, receive | view: all | — | receive (may be invited) |

``decide`` is approving or rejecting a submitted plan; ``figures`` the workload report;
``receive`` who may be invited to a deal room. A deal room shows invited investors the result's
summary (field, TRL, stage, abstract, advantages, applications — not its title or confidential
details) and the documents the TTO chose: the room is the share.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ALL,
    INVENTOR,
    INVESTOR,
    Constraint,
    permitted,
    register,
    user_role,
    users_permitted,
)
from opentto.patents.permissions import (
    OF_PLANNING_RESULTS,
    RESULT,
    RESULT_CHILD,
    of_planning_results,
    own,
    staff,
    with_parent,
)


def _room_invited_open(user: Any, model: type[Model]) -> Q | None:
    """Open deal rooms the user is invited to."""
    if user_role(user) is None:
        return None
    return Q(
        is_open=True, pk__in=model._default_manager.filter(invites__user_id=user.pk).values("pk")
    )


PLAN_CHILD: dict[str, Constraint] = {"with_plan": with_parent("plan", "planning.transferplan")}

# transfer plans and their parts
register(
    "planning.transferplan",
    actions={"view", "change", "decide"},
    constraints=RESULT_CHILD,
    grants=[
        *staff(("view", "change", "decide")),
        (INVENTOR, OF_PLANNING_RESULTS, ("view",)),
    ],
)
for _type in (
    "planning.transferoption",
    "planning.plantarget",
    "planning.negotiationentry",
    "planning.transferplanevent",
):
    register(
        _type,
        actions={"view"},
        constraints=PLAN_CHILD,
        grants=[*staff(("view",)), (INVENTOR, "with_plan", ("view",))],
    )
register(
    "planning.dealroom",
    actions={"view", "change"},
    constraints={"invited_open": _room_invited_open, OF_PLANNING_RESULTS: of_planning_results},
    grants=[
        *staff(("view", "change")),
        (INVESTOR, "invited_open", ("view",)),
    ],
)
register(
    "planning.dealroominvite",
    actions={"view", "receive"},
    constraints={"own": own},
    grants=[
        *staff(("view",)),
        (INVESTOR, ALL, ("receive",)),
    ],
)
# overseas channels and companion services
for _type in ("planning.overseaschannel", "planning.servicetask"):
    register(
        _type,
        actions={"view", "change"},
        constraints=RESULT_CHILD,
        grants=[
            *staff(("view", "change")),
            (INVENTOR, OF_PLANNING_RESULTS, ("view",)),
        ],
    )
register(
    "planning.servicelogentry",
    actions={"view", "figures"},
    constraints=RESULT_CHILD,
    grants=[
        *staff(("view", "figures")),
        (INVENTOR, OF_PLANNING_RESULTS, ("view",)),
    ],
)


# --- Questions the planning pages ask -------------------------------------------------------------


def does_planning(user: Any) -> bool:
    """Whether the user plans for results at all (the planning desk: its index, the dashboard panel)."""
    return permitted(user, RESULT, "plan")


def deal_room_invitees() -> Any:
    """The users who may be invited to a deal room."""
    return users_permitted("planning.dealroominvite", "receive").order_by("username")
