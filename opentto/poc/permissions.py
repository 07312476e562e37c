"""Who may see and do what in proof of concept (registered with :mod:`opentto.core.permissions`):
the TTO runs the projects; the inventors of a project's result, and the staff of the organisation
that owns it, see the project; district officials see the figures only. What hangs off a project
(budget lines, commitments, spending, milestones, evidence) follows the project.

| type | action | who (default grants) |
|---|---|---|
| poc.pocprogramme | view | everyone signed in |
| poc.pocprogramme | add (type), change | TTO |
| poc.pocproject | view | TTO all; inventor: their organisation's results' projects, and projects of results they invented |
| poc.pocproject | add (type), manage (budget, spending, milestones, transitions, the go/no-go review) | TTO all |
| poc.pocproject | figures (the dashboard) | TTO, officials all; inventor: their organisation's |
| budget line, commitment, spending, milestone, evidence | view | of a project the user may view |
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ALL,
    INVENTOR,
    OFFICIAL,
    SIGNED_IN,
    STAFF,
    organisation_id,
    register,
    user_role,
)

PROJECT_ACTIONS = {"view", "add", "manage", "figures"}


def _own_organisation(user: Any, model: type[Model]) -> Q | None:
    """Projects of results the user's organisation owns (the institution's staff)."""
    org = organisation_id(user)
    if org is None:
        return None
    return Q(
        pk__in=model._default_manager.filter(result__ownerships__organisation_id=org).values("pk")
    )


def _result_inventor(user: Any, model: type[Model]) -> Q | None:
    """Projects of results the user is an inventor of (through their person record)."""
    person = getattr(user, "person_id", None) if user_role(user) is not None else None
    if person is None:
        return None
    return Q(
        pk__in=model._default_manager.filter(result__inventorships__person_id=person).values("pk")
    )


def _of_visible_project(user: Any, model: type[Model]) -> Q:
    from .models import PocProject

    return Q(project__in=PocProject.objects.restrict(user, "view").values("pk"))


def _of_visible_line(user: Any, model: type[Model]) -> Q:
    from .models import PocProject

    return Q(line__project__in=PocProject.objects.restrict(user, "view").values("pk"))


def _of_visible_milestone(user: Any, model: type[Model]) -> Q:
    from .models import PocProject

    return Q(milestone__project__in=PocProject.objects.restrict(user, "view").values("pk"))


register(
    "poc.pocprogramme",
    actions={"view", "add", "change"},
    grants=[
        *[(role, ALL, ("view", "add", "change")) for role in STAFF],
        *[(role, ALL, ("view",)) for role in SIGNED_IN if role not in STAFF],
    ],
)
register(
    "poc.pocproject",
    actions=PROJECT_ACTIONS,
    constraints={
        "own_organisation": _own_organisation,
        "result_inventor": _result_inventor,
    },
    grants=[
        *[(role, ALL, tuple(sorted(PROJECT_ACTIONS))) for role in STAFF],
        (OFFICIAL, ALL, ("figures",)),
        (INVENTOR, "own_organisation", ("figures", "view")),
        (INVENTOR, "result_inventor", ("view",)),
    ],
)
CHILDREN = {
    "poc.pocbudgetline": ("of_visible_project", _of_visible_project),
    "poc.pocmilestone": ("of_visible_project", _of_visible_project),
    "poc.poccommitment": ("of_visible_line", _of_visible_line),
    "poc.pocspending": ("of_visible_line", _of_visible_line),
    "poc.pocevidence": ("of_visible_milestone", _of_visible_milestone),
}
for _type, (_name, _constraint) in CHILDREN.items():
    register(
        _type,
        actions={"view"},
        constraints={_name: _constraint},
        grants=[(role, _name, ("view",)) for role in (*STAFF, INVENTOR)],
    )
