"""Who may see and do what with the tax consequences (registered with :mod:`opentto.core.permissions`).

The TTO manages the tax facts and sees every institution's tax report; an owning organisation's
staff (inventors) see their own organisation's profile, report and the facts of the deals it owns
that they may see; district officials, enterprises, reviewers and investors see none of it.

| type | action | who (default grants) |
|---|---|---|
| organisations.organisation | tax_report | TTO all; inventor their own organisation |
| tax.taxprofile | view | TTO all; inventor their own organisation's |
| tax.taxprofile | change | TTO all |
| tax.dealtaxfacts | view | TTO all; inventor: of a deal they may view that their organisation owns |
| tax.dealtaxfacts | change | TTO all |
| tax.dealtaxyear | view | TTO all; inventor: their organisation's rows, of a deal they may view |
| tax.dealtaxyear | change | TTO all |
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import ALL, INVENTOR, STAFF, organisation_id, register


def _own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(organisation_id=org)


def _own_organisation_row(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(pk=org)


def _of_visible_owned_deal(user: Any, model: type[Model]) -> Q | None:
    from opentto.landing.models import Deal

    org = organisation_id(user)
    if org is None:
        return None
    return Q(deal__in=Deal.objects.restrict(user, "view").filter(owners=org).values("pk"))


def _own_rows_of_visible_deal(user: Any, model: type[Model]) -> Q | None:
    from opentto.landing.models import Deal

    org = organisation_id(user)
    if org is None:
        return None
    return Q(organisation_id=org, deal__in=Deal.objects.restrict(user, "view").values("pk"))


register(
    "organisations.organisation",
    actions={"tax_report"},
    constraints={"tax_own_organisation": _own_organisation_row},
    grants=[
        *[(role, ALL, ("tax_report",)) for role in STAFF],
        (INVENTOR, "tax_own_organisation", ("tax_report",)),
    ],
)
register(
    "tax.taxprofile",
    actions={"view", "change"},
    constraints={"own_organisation": _own_organisation},
    grants=[
        *[(role, ALL, ("view", "change")) for role in STAFF],
        (INVENTOR, "own_organisation", ("view",)),
    ],
)
register(
    "tax.dealtaxfacts",
    actions={"view", "change"},
    constraints={"of_visible_owned_deal": _of_visible_owned_deal},
    grants=[
        *[(role, ALL, ("view", "change")) for role in STAFF],
        (INVENTOR, "of_visible_owned_deal", ("view",)),
    ],
)
register(
    "tax.dealtaxyear",
    actions={"view", "change"},
    constraints={"own_rows_of_visible_deal": _own_rows_of_visible_deal},
    grants=[
        *[(role, ALL, ("view", "change")) for role in STAFF],
        (INVENTOR, "own_rows_of_visible_deal", ("view",)),
    ],
)
