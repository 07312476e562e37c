"""Who may see the patent portfolio and decide on it (registered with
:mod:`opentto.core.permissions`).

The portfolio of an organisation lists the CN patents of the results it owns. The TTO sees every
owner's portfolio and decides (keep / license / abandon); an inventor sees their own
organisation's portfolio (the patents they may see, read only); officials, enterprises,
reviewers and investors see none.

| type | actions | admin, manager | inventor | others |
|---|---|---|---|---|
| organisations.organisation | view_portfolio | organisations that own a result | their own organisation | — |
| portfolio.portfoliodecision | view | all | decisions on their organisation's results' patents they may see | — |
| portfolio.portfoliodecision | decide (type) | all | — | — |
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ALL,
    INVENTOR,
    STAFF,
    organisation_id,
    register,
    restrict,
    user_role,
)

ORGANISATION = "organisations.organisation"


def _result_owners(user: Any, model: type[Model]) -> Q | None:
    """Organisations that own at least one result."""
    if user_role(user) is None:
        return None
    from opentto.results.models import ResultOwner

    return Q(pk__in=ResultOwner.objects.values("organisation_id"))


def _own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(pk=org)


def _of_own_portfolio(user: Any, model: type[Model]) -> Q | None:
    """Decisions on patents the user may see, of results owned by an organisation whose portfolio they may see."""
    if user_role(user) is None:
        return None
    from opentto.organisations.models import Organisation
    from opentto.patents.models import Filing

    orgs = restrict(Organisation.objects.all(), user, "view_portfolio").values("pk")
    rows = model._default_manager.filter(
        filing__in=Filing.objects.restrict(user, "view").values("pk"),
        filing__family__result__ownerships__organisation__in=orgs,
    )
    return Q(pk__in=rows.values("pk"))


register(
    ORGANISATION,
    actions={"view_portfolio"},
    constraints={"result_owners": _result_owners, "own_portfolio": _own_organisation},
    grants=[
        *[(role, "result_owners", ("view_portfolio",)) for role in STAFF],
        (INVENTOR, "own_portfolio", ("view_portfolio",)),
    ],
)
register(
    "portfolio.portfoliodecision",
    actions={"view", "decide"},
    constraints={"of_own_portfolio": _of_own_portfolio},
    grants=[
        *[(role, ALL, ("view", "decide")) for role in STAFF],
        (INVENTOR, "of_own_portfolio", ("view",)),
    ],
)
