"""Who may see and do what with researchers' ownership and use rights (赋权).

The TTO (for the pilot institutions it serves) records pilots and decides, runs the notice, records
the agreement and brings a grant into effect. The applying team's members see their
application and may submit or withdraw it. District officials count
applications in the figures but read none. Anyone, signed in or not, reads a public notice while it
runs (公示). Ownership shares are shown with the result to signed-in users who may see the result.

| type | action | who (default grants) |
|---|---|---|
| rights.pilotinstitution | view | anyone signed in |
| rights.pilotinstitution | add (type), change | TTO |
| rights.rightsapplication | view, add, submit, withdraw | TTO all; inventor: applications whose team they are in |
| rights.rightsapplication | decide, notice, agree, bring_into_effect | TTO all |
| rights.rightsapplication | figures | TTO, official all |
| rights.rightsapplication | view_notice | everyone, while the notice runs |
| rights.rightsteammember | view | of an application the user may view |
| rights.ownershipshare | view | signed in: of a result the user may view |
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q
from django.utils import timezone

from opentto.core.permissions import (
    ALL,
    EVERYONE,
    INVENTOR,
    OFFICIAL,
    SIGNED_IN,
    STAFF,
    register,
    user_role,
)

APPLICATION_STAFF_ACTIONS = (
    "view",
    "add",
    "submit",
    "withdraw",
    "decide",
    "notice",
    "agree",
    "bring_into_effect",
    "figures",
    "view_notice",
)
TEAM_ACTIONS = ("view", "add", "submit", "withdraw")


def _team_member(user: Any, model: type[Model]) -> Q | None:
    """Applications whose team the user's person is in."""
    person = getattr(user, "person_id", None) if user_role(user) is not None else None
    if person is None:
        return None
    return Q(pk__in=model._default_manager.filter(team__person_id=person).values("pk"))


def _notice_running(user: Any, model: type[Model]) -> Q:
    """Public by the plan (公示): an application's notice while it runs."""
    today = timezone.localdate()
    return Q(status="notice", notice_starts_on__lte=today, notice_ends_on__gte=today)


def _of_visible_application(user: Any, model: type[Model]) -> Q:
    from .models import RightsApplication

    return Q(application__in=RightsApplication.objects.restrict(user, "view").values("pk"))


def _of_visible_result(user: Any, model: type[Model]) -> Q:
    from opentto.results.models import Result

    return Q(result__in=Result.objects.restrict(user, "view").values("pk"))


register(
    "rights.pilotinstitution",
    actions={"view", "add", "change"},
    grants=[
        *[(role, ALL, ("view", "add", "change")) for role in STAFF],
        *[(role, ALL, ("view",)) for role in SIGNED_IN if role not in STAFF],
    ],
)
register(
    "rights.rightsapplication",
    actions=set(APPLICATION_STAFF_ACTIONS),
    constraints={"team_member": _team_member, "notice_running": _notice_running},
    grants=[
        *[(role, ALL, APPLICATION_STAFF_ACTIONS) for role in STAFF],
        (INVENTOR, "team_member", TEAM_ACTIONS),
        (OFFICIAL, ALL, ("figures",)),
        *[(role, "notice_running", ("view_notice",)) for role in EVERYONE if role not in STAFF],
    ],
)
register(
    "rights.rightsteammember",
    actions={"view"},
    constraints={"of_visible_application": _of_visible_application},
    grants=[(role, "of_visible_application", ("view",)) for role in (*STAFF, INVENTOR)],
)
register(
    "rights.ownershipshare",
    actions={"view"},
    constraints={"of_visible_result": _of_visible_result},
    grants=[(role, "of_visible_result", ("view",)) for role in SIGNED_IN],
)
