"""Who may see and do what: the one place where roles become querysets.

Roles and grants are data (NetBox-style). A :class:`~opentto.core.models.Grant` row gives a *role*
some *actions* on an *object type* under a named *constraint*; the constraint is a function that
returns a ``Q`` object, so it is evaluated in SQL and applied once on the queryset. Every list,
detail page, search, export, figure and API endpoint reads through :func:`restrict` (via
``QuerySet.restrict(user, action)``), so they can never disagree. Deny by default: a role without a
grant, an unknown action or an unknown constraint gets nothing.

Default grants (installed by the data migration ``core.0003`` and re-installed, when missing, after
every ``migrate``/``flush``; switch one off with ``enabled=False`` rather than deleting it):

| role | results: view | results: details | results: change | deals: view |
|---|---|---|---|---|
| anonymous | public | — | — | — |
| admin, manager | all | all | all | all (change too) |
| inventor (organisation staff) | public + their organisation's | their organisation's | their organisation's while onboarding | covering their organisation's results |
| enterprise | public + shared under a live NDA | shared under a live NDA | — | where they are the counterparty |
| investor | public + shared under a live NDA | shared under a live NDA | — | — |
| reviewer | public | — | — | — |
| official | public (figures: all) | — | — | figures only |

Review rounds and assignments, deal rooms, subsidy applications and programmes are grants too
(:data:`ROLE_GRANTS`, data migration ``core.0004``): rounds for staff and, finalised, for the owning
organisation's inventors; assignments for their reviewer; open deal rooms for invited investors;
applications for staff, district officials, the applicant organisation and the invited reviewers.

Other apps register their models with :func:`register` (actions and named constraints) and ship
their default grants in :data:`DEFAULT_GRANTS`-style lists through :func:`install_default_grants`;
see ``docs/security.md``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from opentto.accounts.models import UserRoleChoices

if TYPE_CHECKING:
    from opentto.landing.models import DealQuerySet
    from opentto.results.models import ResultQuerySet

ANONYMOUS = "anonymous"
#: Every role a grant can name: the user roles and the anonymous visitor.
ROLES: tuple[str, ...] = (ANONYMOUS, *UserRoleChoices.values)
#: The constraint that matches every row.
ALL = "all"

RESULT_ACTIONS = {"view", "view_details", "change", "figures"}
DEAL_ACTIONS = {"view", "change", "figures"}
DIRECTORY_ACTIONS = {"view"}

QS = TypeVar("QS", bound=QuerySet[Any])
#: A constraint: given the user and the model, the rows it allows (``None``: none).
Constraint = Callable[[Any, type[Model]], "Q | None"]


def user_role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return UserRoleChoices.ADMIN
    return str(user.role)


def is_platform_staff(user: Any) -> bool:
    return user_role(user) in {UserRoleChoices.ADMIN, UserRoleChoices.MANAGER}


# --- The registry ---------------------------------------------------------------------------------


@dataclass
class Registration:
    object_type: str
    actions: frozenset[str]
    constraints: dict[str, Constraint] = field(default_factory=dict)


_REGISTRY: dict[str, Registration] = {}


def register(object_type: str, *, actions: Iterable[str], constraints: dict[str, Constraint] | None = None) -> Registration:
    """Make a model restrictable: ``object_type`` is its ``app_label.modelname``."""
    entry = _REGISTRY.get(object_type)
    if entry is None:
        entry = _REGISTRY[object_type] = Registration(object_type, frozenset(actions))
    else:
        entry.actions = entry.actions | frozenset(actions)
    entry.constraints.update(constraints or {})
    return entry


def register_constraint(object_type: str, name: str, constraint: Constraint) -> None:
    """Add a named constraint to a registered type (e.g. the access app's NDA shares)."""
    _REGISTRY[object_type].constraints[name] = constraint


def registered_types() -> dict[str, Registration]:
    return dict(_REGISTRY)


def _grants_for(user: Any, role: str) -> dict[tuple[str, str], list[str]]:
    """The enabled grants of a role, by (object type, action); cached on the user object for
    the request (anonymous visitors read them each time: a cheap, indexed query)."""
    cached = getattr(user, "_opentto_grants", None) if user is not None else None
    if cached is not None and cached[0] == role:
        return cached[1]  # type: ignore[no-any-return]
    from .models import Grant

    table: dict[tuple[str, str], list[str]] = {}
    for object_type, actions, constraint in Grant.objects.filter(role=role, enabled=True).values_list(
        "object_type", "actions", "constraint"
    ):
        for action in actions or []:
            table.setdefault((object_type, str(action)), []).append(constraint)
    if user is not None:
        with contextlib.suppress(AttributeError):  # objects that refuse attributes
            user._opentto_grants = (role, table)
    return table


def clear_grant_cache(user: Any) -> None:
    if user is not None and hasattr(user, "_opentto_grants"):
        del user._opentto_grants


def allowed_condition(model: type[Model], user: Any, action: str) -> Q | None:
    """The SQL condition for ``action`` on ``model`` by ``user``: ``Q()`` for every row, ``None``
    for none. Raises ``ValueError`` for an unregistered type or an unknown action."""
    object_type = model._meta.label_lower
    entry = _REGISTRY.get(object_type)
    if entry is None:
        raise ValueError(f"{object_type} is not registered with opentto.core.permissions")
    if action not in entry.actions:
        raise ValueError(f"unknown action on {object_type}: {action}")
    role = user_role(user) or ANONYMOUS
    condition: Q | None = None
    for name in _grants_for(user, role).get((object_type, action), []):
        if name == ALL:
            return Q()
        build = entry.constraints.get(name)
        part = build(user, model) if build is not None else None
        if part is None:
            continue
        condition = part if condition is None else condition | part
    return condition


def allows(user: Any, obj: Model, action: str) -> bool:
    """Whether ``user`` may ``action`` the row ``obj`` (just read from the database): the same
    rule as :func:`restrict`, without a query when the user's grants allow every row or none."""
    condition = allowed_condition(type(obj), user, action)
    if condition is None:
        return False
    if not condition:
        return True
    return type(obj)._default_manager.filter(pk=obj.pk).filter(condition).exists()


def restrict(qs: QS, user: Any, action: str) -> QS:
    """``qs`` narrowed to the rows ``user`` may ``action``. Deny by default."""
    condition = allowed_condition(qs.model, user, action)
    if condition is None:
        return qs.none()
    return qs.filter(condition) if condition else qs


# --- Constraints of the foundation's models -----------------------------------------------------


def _org_id(user: Any) -> int | None:
    return getattr(user, "organisation_id", None) if user_role(user) is not None else None


def _public(user: Any, model: type[Model]) -> Q:
    return Q(is_public=True)


def _result_own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = _org_id(user)
    if org is None:
        return None
    # A subquery, not a join: a result with two owners must not appear twice.
    return Q(pk__in=model._default_manager.filter(ownerships__organisation_id=org).values("pk"))


def _result_own_organisation_onboarding(user: Any, model: type[Model]) -> Q | None:
    own = _result_own_organisation(user, model)
    return None if own is None else own & Q(stage="onboarding")


def _deal_counterparty(user: Any, model: type[Model]) -> Q | None:
    org = _org_id(user)
    return None if org is None else Q(counterparty_id=org)


def _deal_covering_own_results(user: Any, model: type[Model]) -> Q | None:
    org = _org_id(user)
    if org is None:
        return None
    return Q(pk__in=model._default_manager.filter(results__ownerships__organisation_id=org).values("pk"))


def _result_shared_under_nda(user: Any, model: type[Model]) -> Q | None:
    """Results shared with this user under an NDA whose access has not expired or been revoked."""
    if user_role(user) is None:
        return None
    from opentto.access.models import AccessGrant

    live = AccessGrant.objects.filter(user_id=user.pk, revoked_at__isnull=True, expires_at__gt=timezone.now())
    return Q(pk__in=live.values("result_id"))


register(
    "results.result",
    actions=RESULT_ACTIONS,
    constraints={
        "public": _public,
        "own_organisation": _result_own_organisation,
        "own_organisation_onboarding": _result_own_organisation_onboarding,
        "shared_under_nda": _result_shared_under_nda,
    },
)
register(
    "landing.deal",
    actions=DEAL_ACTIONS,
    constraints={"counterparty": _deal_counterparty, "covering_own_results": _deal_covering_own_results},
)
register("organisations.organisation", actions=DIRECTORY_ACTIONS)
register("organisations.person", actions=DIRECTORY_ACTIONS)


# --- Constraints of the evaluation, planning and subsidies models (reviewer, investor, official) ---


def _round_finalised_own_organisation(user: Any, model: type[Model]) -> Q | None:
    """Finalised review rounds of results the user's organisation owns (reviewers stay anonymous)."""
    org = _org_id(user)
    if org is None:
        return None
    from opentto.results.models import Result

    return Q(status="finalised", result_id__in=Result.objects.filter(ownerships__organisation_id=org).values("pk"))


def _assignment_own(user: Any, model: type[Model]) -> Q | None:
    """A reviewer's own assignments, except in cancelled rounds."""
    if user_role(user) is None:
        return None
    return Q(reviewer_id=user.pk) & ~Q(review_round__status="cancelled")


def _room_invited_open(user: Any, model: type[Model]) -> Q | None:
    """Open deal rooms the user is invited to."""
    if user_role(user) is None:
        return None
    return Q(is_open=True, pk__in=model._default_manager.filter(invites__user_id=user.pk).values("pk"))


def _application_own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = _org_id(user)
    return None if org is None else Q(applicant_id=org)


def _application_assigned_or_reviewed(user: Any, model: type[Model]) -> Q | None:
    """Applications whose review round the user is invited to (not removed), and those they reviewed earlier."""
    if user_role(user) is None:
        return None
    from opentto.evaluation.models import ReviewAssignment

    rounds = ReviewAssignment.objects.filter(reviewer_id=user.pk).exclude(status="removed").values("review_round_id")
    return Q(pk__in=model._default_manager.filter(Q(review_round__in=rounds) | Q(reviews__reviewer_id=user.pk)).values("pk"))


def _programme_active(user: Any, model: type[Model]) -> Q:
    return Q(is_active=True)


register("evaluation.reviewround", actions={"view"}, constraints={"finalised_own_organisation": _round_finalised_own_organisation})
register("evaluation.reviewassignment", actions={"view"}, constraints={"own_assignment": _assignment_own})
register("planning.dealroom", actions={"view"}, constraints={"invited_open": _room_invited_open})
register("subsidies.application", actions={"view"}, constraints={
    "own_organisation": _application_own_organisation, "assigned_or_reviewed": _application_assigned_or_reviewed,
})
register("subsidies.programme", actions={"view"}, constraints={"active": _programme_active})

#: The reviewer, investor and district-official rules (and the staff and inventor rules of the
#: same models), installed by the data migration ``core.0004``.
ROLE_GRANTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    *[(role, "evaluation.reviewround", ALL, ("view",)) for role in (UserRoleChoices.ADMIN, UserRoleChoices.MANAGER)],
    (UserRoleChoices.INVENTOR, "evaluation.reviewround", "finalised_own_organisation", ("view",)),
    (UserRoleChoices.REVIEWER, "evaluation.reviewassignment", "own_assignment", ("view",)),
    *[(role, "planning.dealroom", ALL, ("view",)) for role in (UserRoleChoices.ADMIN, UserRoleChoices.MANAGER)],
    (UserRoleChoices.INVESTOR, "planning.dealroom", "invited_open", ("view",)),
    *[(role, "subsidies.application", ALL, ("view",)) for role in (UserRoleChoices.ADMIN, UserRoleChoices.MANAGER, UserRoleChoices.OFFICIAL)],
    (UserRoleChoices.REVIEWER, "subsidies.application", "assigned_or_reviewed", ("view",)),
    *[(role, "subsidies.application", "own_organisation", ("view",)) for role in (UserRoleChoices.ENTERPRISE, UserRoleChoices.INVENTOR)],
    *[(role, "subsidies.programme", ALL, ("view",)) for role in (UserRoleChoices.ADMIN, UserRoleChoices.MANAGER, UserRoleChoices.OFFICIAL)],
    *[(role, "subsidies.programme", "active", ("view",))
      for role in (ANONYMOUS, UserRoleChoices.INVENTOR, UserRoleChoices.ENTERPRISE, UserRoleChoices.REVIEWER, UserRoleChoices.INVESTOR)],
]


#: (role, object type, constraint, actions). Switch one off in the admin with ``enabled=False``.
DEFAULT_GRANTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    *[
        (role, "results.result", ALL, ("view", "view_details", "change", "figures"))
        for role in (UserRoleChoices.ADMIN, UserRoleChoices.MANAGER)
    ],
    *[(role, "landing.deal", ALL, ("view", "change", "figures")) for role in (UserRoleChoices.ADMIN, UserRoleChoices.MANAGER)],
    (ANONYMOUS, "results.result", "public", ("view",)),
    *[
        (role, "results.result", "public", ("view", "figures"))
        for role in (UserRoleChoices.INVENTOR, UserRoleChoices.ENTERPRISE, UserRoleChoices.REVIEWER, UserRoleChoices.INVESTOR)
    ],
    (UserRoleChoices.OFFICIAL, "results.result", "public", ("view",)),
    (UserRoleChoices.OFFICIAL, "results.result", ALL, ("figures",)),
    (UserRoleChoices.OFFICIAL, "landing.deal", ALL, ("figures",)),
    (UserRoleChoices.INVENTOR, "results.result", "own_organisation", ("view", "view_details", "figures")),
    (UserRoleChoices.INVENTOR, "results.result", "own_organisation_onboarding", ("change",)),
    (UserRoleChoices.INVENTOR, "landing.deal", "covering_own_results", ("view", "figures")),
    (UserRoleChoices.ENTERPRISE, "results.result", "shared_under_nda", ("view", "view_details")),
    (UserRoleChoices.INVESTOR, "results.result", "shared_under_nda", ("view", "view_details")),
    # Constraint registered by opentto.evaluation (apps.py): assigned reviewers who declared no conflict.
    (UserRoleChoices.REVIEWER, "results.result", "assigned_reviewer_declared", ("view_details",)),
    (UserRoleChoices.ENTERPRISE, "landing.deal", "counterparty", ("view", "figures")),
    *[
        (role, object_type, ALL, ("view",))
        for role in UserRoleChoices.values
        for object_type in ("organisations.organisation", "organisations.person")
    ],
    *ROLE_GRANTS,
]


def install_default_grants(grants: Iterable[tuple[str, str, str, Iterable[str]]] | None = None, *, using: str = "default") -> int:
    """Create the default grants that are missing (an existing row, even disabled, is kept as
    the admin left it). Returns how many were created. Apps pass their own list."""
    from .models import Grant

    created = 0
    for role, object_type, constraint, actions in DEFAULT_GRANTS if grants is None else grants:
        _grant, was_created = Grant.objects.using(using).get_or_create(
            role=role, object_type=object_type, constraint=constraint,
            defaults={"actions": sorted(actions), "is_default": True},
        )
        created += int(was_created)
    return created


# --- The entry points the apps call (signatures kept) ---------------------------------------------


def restrict_results(qs: ResultQuerySet, user: Any, action: str) -> ResultQuerySet:
    if action not in RESULT_ACTIONS:
        raise ValueError(f"unknown action on results: {action}")
    return restrict(qs, user, action)


def restrict_deals(qs: DealQuerySet, user: Any, action: str) -> DealQuerySet:
    if action not in DEAL_ACTIONS:
        raise ValueError(f"unknown action on deals: {action}")
    return restrict(qs, user, action)


def restrict_directory(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Organisations and people: a directory for signed-in users."""
    return restrict(qs, user, "view")
