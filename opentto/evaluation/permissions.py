"""Who may see review rounds and assignments, and the reviewer's way into a result's confidential
details (registered with :mod:`opentto.core.permissions`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ALL,
    INVENTOR,
    REVIEWER,
    STAFF,
    organisation_id,
    register,
    user_role,
)

#: The constraint under which a reviewer reads a result's confidential details and attachments
#: (``Result.objects.restrict(user, "view_details")``, e.g. the results app's attachment download).
REVIEWER_CONSTRAINT = "assigned_reviewer_declared"


def _assigned_reviewer_declared(user: Any, model: type[Model]) -> Q | None:
    """Results of rounds (not cancelled) the reviewer is assigned to, once they declared no conflict."""
    if user_role(user) is None:
        return None
    from .models import ReviewAssignment

    ids = ReviewAssignment.objects.filter(
        reviewer_id=user.pk, status__in=("accepted", "submitted"), declared_at__isnull=False,
    ).exclude(review_round__status="cancelled").values("review_round__result_id")
    return Q(pk__in=ids)


def _round_finalised_own_organisation(user: Any, model: type[Model]) -> Q | None:
    """Finalised review rounds of results the user's organisation owns (reviewers stay anonymous)."""
    org = organisation_id(user)
    if org is None:
        return None
    from opentto.results.models import Result

    return Q(status="finalised", result_id__in=Result.objects.filter(ownerships__organisation_id=org).values("pk"))


def _assignment_own(user: Any, model: type[Model]) -> Q | None:
    """A reviewer's own assignments, except in cancelled rounds."""
    if user_role(user) is None:
        return None
    return Q(reviewer_id=user.pk) & ~Q(review_round__status="cancelled")


register("results.result", constraints={REVIEWER_CONSTRAINT: _assigned_reviewer_declared},
         grants=[(REVIEWER, REVIEWER_CONSTRAINT, ("view_details",))])
register("evaluation.reviewround", actions={"view"}, constraints={"finalised_own_organisation": _round_finalised_own_organisation},
         grants=[*[(role, ALL, ("view",)) for role in STAFF], (INVENTOR, "finalised_own_organisation", ("view",))])
register("evaluation.reviewassignment", actions={"view"}, constraints={"own_assignment": _assignment_own},
         grants=[(REVIEWER, "own_assignment", ("view",))])
