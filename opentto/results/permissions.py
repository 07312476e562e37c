"""Who may see and change results (registered with :mod:`opentto.core.permissions`).

| role | view | view_details | change | figures |
|---|---|---|---|---|
| anonymous | public | — | — | — |
| admin, manager | all | all | all | all |
| inventor (organisation staff) | public + their organisation's | their organisation's | their organisation's while onboarding | over what they see |
| enterprise, investor | public (+ shared under a live NDA: opentto.access) | shared under a live NDA | — | public |
| reviewer | public | assigned and declared (opentto.evaluation) | — | public |
| official | public | — | — | all |
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ALL,
    ANONYMOUS,
    ENTERPRISE,
    INVENTOR,
    INVESTOR,
    OFFICIAL,
    REVIEWER,
    STAFF,
    organisation_id,
    register,
)

RESULT_ACTIONS = {"view", "view_details", "change", "figures"}


def _public(user: Any, model: type[Model]) -> Q:
    return Q(is_public=True)


def _own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    if org is None:
        return None
    # A subquery, not a join: a result with two owners must not appear twice.
    return Q(pk__in=model._default_manager.filter(ownerships__organisation_id=org).values("pk"))


def _own_organisation_onboarding(user: Any, model: type[Model]) -> Q | None:
    own = _own_organisation(user, model)
    return None if own is None else own & Q(stage="onboarding")


register(
    "results.result",
    actions=RESULT_ACTIONS,
    constraints={
        "public": _public,
        "own_organisation": _own_organisation,
        "own_organisation_onboarding": _own_organisation_onboarding,
    },
    grants=[
        *[(role, ALL, ("view", "view_details", "change", "figures")) for role in STAFF],
        (ANONYMOUS, "public", ("view",)),
        *[(role, "public", ("view", "figures")) for role in (INVENTOR, ENTERPRISE, REVIEWER, INVESTOR)],
        (OFFICIAL, "public", ("view",)),
        (OFFICIAL, ALL, ("figures",)),
        (INVENTOR, "own_organisation", ("view", "view_details", "figures")),
        (INVENTOR, "own_organisation_onboarding", ("change",)),
    ],
)
