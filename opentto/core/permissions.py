"""Who may see and do what: the one place where roles become querysets.

Every list, detail page, search, export, figure and API endpoint reads through these functions
(via ``QuerySet.restrict(user, action)``), so they can never disagree. Deny by default: an
unknown role or action gets nothing. The security issue turns these rules into grants stored as
data; the function signatures stay.

| role | results: view | results: details / change | deals: view |
|---|---|---|---|
| anonymous | public | — | — |
| admin, manager | all | all | all |
| inventor (organisation staff) | public + their organisation's | their organisation's (change: while onboarding) | covering their organisation's results |
| enterprise | public | — | where they are the counterparty |
| reviewer, investor | public | — | — |
| official | public (figures: all) | — | figures only |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from opentto.accounts.models import UserRoleChoices

if TYPE_CHECKING:
    from opentto.landing.models import DealQuerySet
    from opentto.results.models import ResultQuerySet

RESULT_ACTIONS = {"view", "view_details", "change", "figures"}
DEAL_ACTIONS = {"view", "change", "figures"}


def user_role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return UserRoleChoices.ADMIN
    return str(user.role)


def is_platform_staff(user: Any) -> bool:
    return user_role(user) in {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER}


def restrict_results(qs: ResultQuerySet, user: Any, action: str) -> ResultQuerySet:
    if action not in RESULT_ACTIONS:
        raise ValueError(f"unknown action on results: {action}")
    role = user_role(user)
    if role in {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER}:
        return qs
    if role == UserRoleChoices.OFFICIAL and action == "figures":
        return qs
    own = Q(ownerships__organisation_id=user.organisation_id) if (
        role == UserRoleChoices.INVENTOR and getattr(user, "organisation_id", None)
    ) else None
    if action in {"view", "figures"}:
        condition = Q(is_public=True)
        if own is not None:
            # A subquery, not a join: a result with two owners must not appear twice.
            own_ids = qs.model.objects.filter(own).values("pk")
            condition |= Q(pk__in=own_ids)
        return qs.filter(condition) if role is not None or action == "view" else qs.none()
    if own is None:
        return qs.none()
    own_ids = qs.model.objects.filter(own).values("pk")
    if action == "view_details":
        return qs.filter(pk__in=own_ids)
    # change: inventors edit their organisation's results while they are being onboarded.
    return qs.filter(pk__in=own_ids, stage="onboarding")


def restrict_deals(qs: DealQuerySet, user: Any, action: str) -> DealQuerySet:
    if action not in DEAL_ACTIONS:
        raise ValueError(f"unknown action on deals: {action}")
    role = user_role(user)
    if role in {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER}:
        return qs
    if action == "change" or role is None:
        return qs.none()
    if role == UserRoleChoices.OFFICIAL and action == "figures":
        return qs
    org_id = getattr(user, "organisation_id", None)
    if org_id is None:
        return qs.none()
    if role == UserRoleChoices.ENTERPRISE:
        return qs.filter(counterparty_id=org_id)
    if role == UserRoleChoices.INVENTOR:
        covered = qs.model.objects.filter(results__ownerships__organisation_id=org_id).values("pk")
        return qs.filter(pk__in=covered)
    return qs.none()


def restrict_directory(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Organisations and people: a directory for signed-in users."""
    return qs if user_role(user) is not None else qs.none()
