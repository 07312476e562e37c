"""Who may see and do what: the one place where roles become querysets and answers.

Roles and grants are data (NetBox-style). A :class:`~opentto.core.models.Grant` row gives a *role*
some *actions* on an *object type* under a named *constraint*; the constraint is a function that
returns a ``Q`` object, so it is evaluated in SQL and applied once on the queryset. Every list,
detail page, related panel, form choice, search, export, figure, e-mail and API endpoint reads
through :func:`restrict` (``Model.objects.restrict(user, action)``, from
:class:`RestrictedQuerySet`), and every write asks :func:`allows` (one row) or :func:`permitted`
(the type: "may this user create one at all"), so they can never disagree. Deny by default: a
role without a grant, an unknown action or an unknown constraint gets nothing.

This module knows no domain app. Each app registers its own object types, actions, named
constraints and default grants in its ``permissions.py`` (imported by its ``AppConfig.ready``)::

    register("landing.deal", actions={"view", "change"}, constraints={"counterparty": _counterparty},
             grants=[("manager", ALL, ("view", "change")), ("enterprise", "counterparty", ("view",))])

Default grants are installed by ``migrate`` (and re-installed, when missing, after every
``migrate``/``flush``: see ``opentto.core.apps``); switch one off with ``enabled=False`` rather
than deleting it. docs/security.md has the table of every type, action and default grant.

Roles are read only here and in the apps' ``permissions.py`` modules (a test fails on a role
check anywhere else): the rest of the code asks for an action.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from django.db.models import Model, Q, QuerySet

from .roles import UserRoleChoices

ANONYMOUS = "anonymous"
#: Every role a grant can name: the user roles and the anonymous visitor.
ROLES: tuple[str, ...] = (ANONYMOUS, *UserRoleChoices.values)
#: The constraint that matches every row.
ALL = "all"
#: Role names for the apps' grant lists.
ADMIN, MANAGER, INVENTOR, ENTERPRISE, REVIEWER, OFFICIAL, INVESTOR = (
    UserRoleChoices.ADMIN,
    UserRoleChoices.MANAGER,
    UserRoleChoices.INVENTOR,
    UserRoleChoices.ENTERPRISE,
    UserRoleChoices.REVIEWER,
    UserRoleChoices.OFFICIAL,
    UserRoleChoices.INVESTOR,
)
STAFF: tuple[str, ...] = (ADMIN, MANAGER)
SIGNED_IN: tuple[str, ...] = tuple(UserRoleChoices.values)
EVERYONE: tuple[str, ...] = ROLES

QS = TypeVar("QS", bound=QuerySet[Any])
_M = TypeVar("_M", bound=Model)
#: A constraint: given the user and the model, the rows it allows (``None``: none).
Constraint = Callable[[Any, type[Model]], "Q | None"]
#: A default grant of a registered type: (role, constraint, actions).
GrantSpec = tuple[str, str, Iterable[str]]


def user_role(user: Any) -> str | None:
    """The role whose grants apply (``None`` for anonymous and inactive users). For the
    permission modules only: elsewhere ask :func:`permitted`, :func:`allows` or :func:`restrict`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return UserRoleChoices.ADMIN
    return str(user.role)


def organisation_id(user: Any) -> int | None:
    """The signed-in user's organisation, for constraints."""
    return getattr(user, "organisation_id", None) if user_role(user) is not None else None


# --- The registry ---------------------------------------------------------------------------------


@dataclass
class Registration:
    object_type: str
    actions: frozenset[str]
    constraints: dict[str, Constraint] = field(default_factory=dict)


_REGISTRY: dict[str, Registration] = {}
#: Every registered default grant: (role, object type, constraint, actions).
DEFAULT_GRANTS: list[tuple[str, str, str, tuple[str, ...]]] = []


def register(
    object_type: str,
    *,
    actions: Iterable[str] = (),
    constraints: dict[str, Constraint] | None = None,
    grants: Iterable[GrantSpec] = (),
) -> Registration:
    """Make a model restrictable: ``object_type`` is its ``app_label.modelname``. Registering a
    type again adds actions, constraints and grants (an app may extend another's type); a default
    grant for a (role, constraint) already registered adds its actions to that grant (one row)."""
    entry = _REGISTRY.get(object_type)
    if entry is None:
        entry = _REGISTRY[object_type] = Registration(object_type, frozenset(actions))
    else:
        entry.actions = entry.actions | frozenset(actions)
    entry.constraints.update(constraints or {})
    for role, constraint, grant_actions in grants:
        if role not in ROLES:
            raise ValueError(f"unknown role in a default grant of {object_type}: {role}")
        for index, (known_role, known_type, known_constraint, known_actions) in enumerate(
            DEFAULT_GRANTS
        ):
            if (known_role, known_type, known_constraint) == (role, object_type, constraint):
                DEFAULT_GRANTS[index] = (
                    role,
                    object_type,
                    constraint,
                    tuple(sorted({*known_actions, *grant_actions})),
                )
                break
        else:
            DEFAULT_GRANTS.append((role, object_type, constraint, tuple(sorted(grant_actions))))
    return entry


def register_constraint(object_type: str, name: str, constraint: Constraint) -> None:
    """Add a named constraint to a type (e.g. the access app's NDA shares on results)."""
    register(object_type, constraints={name: constraint})


def registered_types() -> dict[str, Registration]:
    return dict(_REGISTRY)


def _label(model: type[Model] | str) -> str:
    return model if isinstance(model, str) else model._meta.label_lower


def _grants_for(user: Any, role: str) -> dict[tuple[str, str], list[str]]:
    """The enabled grants of a role, by (object type, action); cached on the user object for
    the request (anonymous visitors read them each time: a cheap, indexed query)."""
    cached = getattr(user, "_opentto_grants", None) if user is not None else None
    if cached is not None and cached[0] == role:
        return cached[1]
    from .models import Grant

    table: dict[tuple[str, str], list[str]] = {}
    for object_type, actions, constraint in Grant.objects.filter(
        role=role, enabled=True
    ).values_list("object_type", "actions", "constraint"):
        for action in actions or []:
            table.setdefault((object_type, str(action)), []).append(constraint)
    if user is not None:
        with contextlib.suppress(AttributeError):  # objects that refuse attributes
            user._opentto_grants = (role, table)
    return table


def clear_grant_cache(user: Any) -> None:
    if user is not None and hasattr(user, "_opentto_grants"):
        del user._opentto_grants


def _entry(object_type: str, action: str) -> Registration:
    entry = _REGISTRY.get(object_type)
    if entry is None:
        raise ValueError(f"{object_type} is not registered with opentto.core.permissions")
    if action not in entry.actions:
        raise ValueError(f"unknown action on {object_type}: {action}")
    return entry


def allowed_condition(model: type[Model], user: Any, action: str) -> Q | None:
    """The SQL condition for ``action`` on ``model`` by ``user``: ``Q()`` for every row, ``None``
    for none. Raises ``ValueError`` for an unregistered type or an unknown action."""
    object_type = _label(model)
    entry = _entry(object_type, action)
    role = user_role(user) or ANONYMOUS
    condition: Q | None = None
    for name in _grants_for(user, role).get((object_type, action), []):
        if name == ALL:
            return Q()
        build = entry.constraints.get(name)
        part = build(user, model) if build is not None else None
        if part is None:
            continue
        if not part:  # an empty Q: every row (``Q() | Q(x)`` would drop it and narrow to ``x``)
            return Q()
        condition = part if condition is None else condition | part
    return condition


def permitted(user: Any, model: type[Model] | str, action: str, *, every_row: bool = False) -> bool:
    """Whether ``user`` holds a grant for ``action`` on the type at all (on some rows; with
    ``every_row``, on all of them). Type-level questions ("may this user create a demand", "show
    the menu entry") ask this; a question about one row asks :func:`allows`."""
    object_type = _label(model)
    entry = _entry(object_type, action)
    role = user_role(user) or ANONYMOUS
    names = _grants_for(user, role).get((object_type, action), [])
    if ALL in names:
        return True
    if every_row:
        return False
    if isinstance(model, str):
        from django.apps import apps

        model = apps.get_model(object_type)
    for name in names:
        build = entry.constraints.get(name)
        if build is not None and build(user, model) is not None:
            return True
    return False


def roles_permitted(model: type[Model] | str, action: str, *, every_row: bool = False) -> set[str]:
    """The roles that hold an enabled grant for ``action`` on the type (with ``every_row``, an
    unconstrained one)."""
    from .models import Grant

    object_type = _label(model)
    _entry(object_type, action)
    roles: set[str] = set()
    for role, actions, constraint in Grant.objects.filter(
        object_type=object_type, enabled=True
    ).values_list("role", "actions", "constraint"):
        if action in (actions or []) and (constraint == ALL or not every_row):
            roles.add(role)
    return roles


def users_permitted(
    model: type[Model] | str, action: str, *, every_row: bool = False
) -> QuerySet[Any]:
    """The active users whose role holds a grant for ``action`` on the type: who is told of a
    new request, who may be chosen as a reviewer or an invited investor. A superuser counts as
    an admin."""
    from django.contrib.auth import get_user_model

    roles = roles_permitted(model, action, every_row=every_row) - {ANONYMOUS}
    condition = Q(role__in=sorted(roles), is_superuser=False)
    if ADMIN in roles:
        condition |= Q(is_superuser=True)
    return get_user_model()._default_manager.filter(condition, is_active=True)


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


class RestrictedQuerySet(QuerySet[_M]):
    """The base of every queryset a user reads: ``Model.objects.restrict(user, action)``."""

    def restrict(self, user: Any, action: str = "view") -> Self:
        return restrict(self, user, action)


def install_default_grants(
    grants: Iterable[tuple[str, str, str, Iterable[str]]] | None = None, *, using: str = "default"
) -> int:
    """Create the default grants that are missing (an existing row, even disabled, is kept as
    the admin left it). Returns how many were created."""
    from .models import Grant

    created = 0
    for role, object_type, constraint, actions in DEFAULT_GRANTS if grants is None else grants:
        _grant, was_created = Grant.objects.using(using).get_or_create(
            role=role,
            object_type=object_type,
            constraint=constraint,
            defaults={"actions": sorted(actions), "is_default": True},
        )
        created += int(was_created)
    return created


# --- Entry points kept for their callers ----------------------------------------------------------


def restrict_directory(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """Organisations and people: a directory for signed-in users."""
    return restrict(qs, user, "view")
