"""Who may see and change deals (registered with :mod:`opentto.core.permissions`): the TTO all of
them; an enterprise the deals it is the counterparty of; an inventor the deals covering their
organisation's results; a district official counts them in the figures."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ALL,
    ENTERPRISE,
    INVENTOR,
    OFFICIAL,
    STAFF,
    organisation_id,
    register,
)

DEAL_ACTIONS = {"view", "change", "figures"}


def _counterparty(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(counterparty_id=org)


def _covering_own_results(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    if org is None:
        return None
    return Q(pk__in=model._default_manager.filter(results__ownerships__organisation_id=org).values("pk"))


register(
    "landing.deal",
    actions=DEAL_ACTIONS,
    constraints={"counterparty": _counterparty, "covering_own_results": _covering_own_results},
    grants=[
        *[(role, ALL, ("view", "change", "figures")) for role in STAFF],
        (OFFICIAL, ALL, ("figures",)),
        (INVENTOR, "covering_own_results", ("view", "figures")),
        (ENTERPRISE, "counterparty", ("view", "figures")),
    ],
)
