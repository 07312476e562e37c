"""Who may see and change valuations, pledge loans and securitisation pools (registered with
:mod:`opentto.core.permissions`). The TTO sees and changes every one; no other role sees any.
A pledged patent is visible with its loan, a pool licence with its pool and its result, a cash
flow with its licence. The types kept their actions and grants when they moved out of
``opentto.planning``; their names followed the models (``planning.pledgeloan`` →
``financing.pledgeloan``; grant rows renamed by ``planning/migrations/0008``).

| type | actions | admin, manager | others |
|---|---|---|---|
| financing.valuation | view | all (of results whose planning they read) | — |
| financing.pledgeloan | view, change | all (of results whose planning they read) | — |
| financing.pledgedasset | view | with the loan | — |
| financing.securitisationpool | view, change, add | all | — |
| financing.poolasset, .poolcashflow | view | with the pool and the result / with the licence | — |
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import register, user_role
from opentto.patents.permissions import RESULT_CHILD, staff, with_parent


def _pool_asset_visible(user: Any, model: type[Model]) -> Q | None:
    """Licences of pools the user may view, of results they may view."""
    if user_role(user) is None:
        return None
    from opentto.results.models import Result

    from .models import SecuritisationPool

    return Q(
        pool__in=SecuritisationPool.objects.restrict(user, "view").values("pk"),
        result__in=Result.objects.restrict(user, "view").values("pk"),
    )


register("financing.valuation", actions={"view"}, constraints=RESULT_CHILD, grants=staff(("view",)))
register(
    "financing.pledgeloan",
    actions={"view", "change"},
    constraints=RESULT_CHILD,
    grants=staff(("view", "change")),
)
register(
    "financing.pledgedasset",
    actions={"view"},
    constraints={"with_loan": with_parent("loan", "financing.pledgeloan")},
    grants=staff(("view",)),
)
register(
    "financing.securitisationpool",
    actions={"view", "change", "add"},
    grants=staff(("view", "change", "add")),
)
register(
    "financing.poolasset",
    actions={"view"},
    constraints={"with_pool_and_result": _pool_asset_visible},
    grants=staff(("view",)),
)
register(
    "financing.poolcashflow",
    actions={"view"},
    constraints={"with_asset": with_parent("asset", "financing.poolasset")},
    grants=staff(("view",)),
)
