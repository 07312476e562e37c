"""Who may see subsidy programmes and applications (registered with
:mod:`opentto.core.permissions`): the TTO and district officials all of them; an applicant
organisation's staff their own applications; invited reviewers the applications of their rounds."""

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
    user_role,
)


def _application_own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
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


register("subsidies.application", actions={"view"}, constraints={
    "own_organisation": _application_own_organisation, "assigned_or_reviewed": _application_assigned_or_reviewed,
}, grants=[
    *[(role, ALL, ("view",)) for role in (*STAFF, OFFICIAL)],
    (REVIEWER, "assigned_or_reviewed", ("view",)),
    *[(role, "own_organisation", ("view",)) for role in (ENTERPRISE, INVENTOR)],
])
register("subsidies.programme", actions={"view"}, constraints={"active": _programme_active}, grants=[
    *[(role, ALL, ("view",)) for role in (*STAFF, OFFICIAL)],
    *[(role, "active", ("view",)) for role in (ANONYMOUS, INVENTOR, ENTERPRISE, REVIEWER, INVESTOR)],
])
