"""Access under NDA, people's private data and the audit trail (registered with
:mod:`opentto.core.permissions`).

| object type | action | admin, manager | inventor | enterprise, investor | every signed-in user |
|---|---|---|---|---|---|
| results.result | view, view_details | — | — | shared with them under a live NDA (``shared_under_nda``) | — |
| results.result | request_access | — | — | visible, details not readable (``requestable``) | — |
| access.accessrequest | view, decide | all | — | their own: view, withdraw (``own``) | — |
| access.accessgrant | view, revoke | all | view: of results whose access log they read (``result_access_log``) | their own: view (``own``) | — |
| organisations.person | view_private_data, change_private_data, erase | all | — | — | — |
| organisations.person | manage_consent, export_data | all | — | — | themselves (``self``) |
| core.auditevent | view, export | all | view: about results whose access log they read (opentto.results) | — | about themselves: view (``about_self``) |
| core.grant | view | all | — | — | — |

An access request or grant never outruns its result: the requester sees theirs only while the
result is visible to them (the list prints its title).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q
from django.utils import timezone

from opentto.core.permissions import (
    ALL,
    ENTERPRISE,
    INVENTOR,
    INVESTOR,
    SIGNED_IN,
    STAFF,
    allowed_condition,
    register,
    user_role,
)

REQUESTERS = (ENTERPRISE, INVESTOR)


def _signed_in(user: Any) -> bool:
    return user_role(user) is not None


def _result_shared_under_nda(user: Any, model: type[Model]) -> Q | None:
    """Results shared with this user under an NDA whose access has not expired or been revoked."""
    if not _signed_in(user):
        return None
    from .models import AccessGrant

    live = AccessGrant.objects.filter(
        user_id=user.pk, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    return Q(pk__in=live.values("result_id"))


def _result_requestable(user: Any, model: type[Model]) -> Q | None:
    """Results the user sees but whose confidential details they may not read (yet)."""
    visible = allowed_condition(model, user, "view")
    if visible is None:
        return None
    readable = allowed_condition(model, user, "view_details")
    rows = model._default_manager.filter(visible)
    if readable is not None:
        rows = rows.exclude(pk__in=model._default_manager.filter(readable).values("pk"))
    return Q(pk__in=rows.values("pk"))


def _of_results(user: Any, action: str) -> Q | None:
    from opentto.results.permissions import of_results

    return of_results(user, action)


def _own_request(user: Any, model: type[Model]) -> Q | None:
    """The user's own requests, while they may still see the result (the list prints its title)."""
    if not _signed_in(user):
        return None
    result = _of_results(user, "view")
    return None if result is None else Q(requester_id=user.pk) & result


def _own_grant(user: Any, model: type[Model]) -> Q | None:
    if not _signed_in(user):
        return None
    result = _of_results(user, "view")
    return None if result is None else Q(user_id=user.pk) & result


def _grant_result_access_log(user: Any, model: type[Model]) -> Q | None:
    """Grants on results whose access log the user reads (an owner sees with whom their result
    is shared)."""
    return _of_results(user, "view_access_log")


def _person_self(user: Any, model: type[Model]) -> Q | None:
    person = getattr(user, "person_id", None) if _signed_in(user) else None
    return None if person is None else Q(pk=person)


def _audit_about_self(user: Any, model: type[Model]) -> Q | None:
    """Entries about the user's own account and person (sign-ins, consents)."""
    if not _signed_in(user):
        return None
    condition = Q(object_type="accounts.user", object_id=str(user.pk))
    person = getattr(user, "person_id", None)
    if person is not None:
        condition |= Q(object_type="organisations.person", object_id=str(person))
    return condition


register(
    "results.result",
    actions={"request_access"},
    constraints={"shared_under_nda": _result_shared_under_nda, "requestable": _result_requestable},
    grants=[
        *[(role, "shared_under_nda", ("view", "view_details")) for role in REQUESTERS],
        *[(role, "requestable", ("request_access",)) for role in REQUESTERS],
    ],
)

register(
    "access.accessrequest",
    actions={"view", "decide", "withdraw"},
    constraints={"own": _own_request},
    grants=[
        *[(role, ALL, ("view", "decide")) for role in STAFF],
        *[(role, "own", ("view", "withdraw")) for role in REQUESTERS],
    ],
)

register(
    "access.accessgrant",
    actions={"view", "revoke"},
    constraints={"own": _own_grant, "result_access_log": _grant_result_access_log},
    grants=[
        *[(role, ALL, ("view", "revoke")) for role in STAFF],
        *[(role, "own", ("view",)) for role in REQUESTERS],
        (INVENTOR, "result_access_log", ("view",)),
    ],
)

#: People's ID numbers and bank details (PIPL): for those who pay inventors' rewards.
PRIVATE_DATA_ACTIONS = ("view_private_data", "change_private_data", "erase")
#: A person's consent and the copy of their data: theirs, and the TTO's on their signed form.
SELF_ACTIONS = ("manage_consent", "export_data")

register(
    "organisations.person",
    actions={*PRIVATE_DATA_ACTIONS, *SELF_ACTIONS},
    constraints={"self": _person_self},
    grants=[
        *[(role, ALL, (*PRIVATE_DATA_ACTIONS, *SELF_ACTIONS)) for role in STAFF],
        *[(role, "self", SELF_ACTIONS) for role in SIGNED_IN],
    ],
)

register(
    "core.auditevent",
    actions={"view", "export"},
    constraints={"about_self": _audit_about_self},
    grants=[
        *[(role, ALL, ("view", "export")) for role in STAFF],
        *[(role, "about_self", ("view",)) for role in SIGNED_IN],
    ],
)

register("core.grant", actions={"view"}, grants=[(role, ALL, ("view",)) for role in STAFF])
