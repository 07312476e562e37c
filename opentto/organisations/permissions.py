"""The directory of organisations and people (registered with :mod:`opentto.core.permissions`).

| type | action | admin, manager | other signed-in users | anonymous |
|---|---|---|---|---|
| organisation | view | all | all | — |
| organisation | add | all | — | — |
| person | view | all | all | — |
| person | add | all | — | — |
| person | view_email (e-mail) | all | — | — |
| membership | view | of people and organisations they see | the same | — |

The demands app adds ``post_demand`` and ``express_interest`` on organisations
(:mod:`opentto.demands.permissions`), under the constraint ``own_organisation`` defined here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ALL,
    SIGNED_IN,
    STAFF,
    allowed_condition,
    organisation_id,
    register,
)


def _own_organisation(user: Any, model: type[Model]) -> Q | None:
    """The user's own organisation."""
    org = organisation_id(user)
    return None if org is None else Q(pk=org)


def within(user: Any, parent: type[Model], action: str, field: str) -> Q | None:
    """Rows whose ``field`` points at a row of ``parent`` that ``user`` may ``action``: the child
    follows its parent's grants (``None``: no row). When the parent's grants allow every row the
    condition is ``field IS NOT NULL`` rather than an empty ``Q()``, which would vanish when a
    role's constraints are combined with ``|``."""
    condition = allowed_condition(parent, user, action)
    if condition is None:
        return None
    if not condition:
        return Q(**{f"{field}__isnull": False})
    return Q(**{f"{field}__in": parent._default_manager.filter(condition).values("pk")})


def _membership_parents_visible(user: Any, model: type[Model]) -> Q | None:
    from .models import Organisation, Person

    person, organisation = (
        within(user, Person, "view", "person"),
        within(user, Organisation, "view", "organisation"),
    )
    return None if person is None or organisation is None else person & organisation


_OTHERS = [role for role in SIGNED_IN if role not in STAFF]

register(
    "organisations.organisation",
    actions={"view", "add"},
    constraints={"own_organisation": _own_organisation},
    grants=[
        *[(role, ALL, ("view", "add")) for role in STAFF],
        *[(role, ALL, ("view",)) for role in _OTHERS],
    ],
)
register(
    "organisations.person",
    actions={"view", "add", "view_email"},
    grants=[
        *[(role, ALL, ("view", "add", "view_email")) for role in STAFF],
        *[(role, ALL, ("view",)) for role in _OTHERS],
    ],
)
register(
    "organisations.membership",
    actions={"view"},
    constraints={"parents_visible": _membership_parents_visible},
    grants=[(role, "parents_visible", ("view",)) for role in SIGNED_IN],
)
