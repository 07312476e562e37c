"""Reads for evaluation. Each takes the user and returns only what that user may see.

| who | review rounds | round report | result's confidential details |
|---|---|---|---|
| admin, manager | all | all | (through the result page) |
| inventor | finalised rounds of their organisation's results (reviewers anonymous) | same | — |
| reviewer | their assignments only (own scores; others' only in open mode, after submitting) | — | of results they are assigned to, after declaring no conflict |
| anyone else | — | — | — |
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opentto.accounts.models import User, UserRoleChoices
from opentto.core.permissions import is_platform_staff, restrict, user_role
from opentto.results.models import Result, ResultQuerySet

from .models import (
    LIVE_ROUND_STATUSES,
    ReviewAssignment,
    ReviewAssignmentStatusChoices,
    ReviewerConflict,
    ReviewRound,
    Rubric,
    ScoreEvidence,
)


def rubrics_active() -> QuerySet[Rubric]:
    """Rubrics are reference data (the standards' structure): readable by every signed-in user."""
    return Rubric.objects.filter(is_active=True).prefetch_related("criteria").order_by("key")


def rubrics_editable(user: Any) -> QuerySet[Rubric]:
    """The active rubrics ``user`` may revise in the editor: every one for platform admins, none
    for anyone else (``rubric_revise`` enforces the same rule on the write)."""
    if user_role(user) != UserRoleChoices.ADMIN:
        return Rubric.objects.none()
    return Rubric.objects.filter(is_active=True)


def rounds_visible(user: Any) -> QuerySet[ReviewRound]:
    """The grants on ``evaluation.reviewround`` (``opentto.core.permissions``)."""
    return restrict(ReviewRound.objects.select_related("result", "rubric"), user, "view")


def round_can_manage(user: Any, review_round: ReviewRound) -> bool:
    return is_platform_staff(user)


def rounds_for_result(user: Any, result: Result) -> QuerySet[ReviewRound]:
    return rounds_visible(user).filter(result=result)


def assignments_for_reviewer(user: Any) -> QuerySet[ReviewAssignment]:
    """A reviewer's own assignments (any status), newest first: the grants on
    ``evaluation.reviewassignment``."""
    return (
        restrict(ReviewAssignment.objects.all(), user, "view")
        .select_related("review_round", "review_round__result", "review_round__rubric")
        .order_by("-invited_at", "-id")
    )


def evidence_visible(user: Any) -> QuerySet[ScoreEvidence]:
    """Evidence files a user may download: platform staff all of them; otherwise those of the
    assignments the grants on ``evaluation.reviewassignment`` give (a reviewer's own), while the
    assignment is accepted or submitted."""
    if is_platform_staff(user):
        return ScoreEvidence.objects.all()
    assignments = restrict(ReviewAssignment.objects.all(), user, "view").filter(
        status__in=(ReviewAssignmentStatusChoices.ACCEPTED, ReviewAssignmentStatusChoices.SUBMITTED)
    )
    return ScoreEvidence.objects.filter(score__assignment__in=assignments.values("pk"))


def results_for_reviewer(user: Any) -> ResultQuerySet:
    """Results whose confidential details ``user`` may read as a reviewer: assigned to a live or
    finished round, having declared no conflict."""
    if user_role(user) != UserRoleChoices.REVIEWER:
        return Result.objects.none()
    ids = ReviewAssignment.objects.filter(
        reviewer=user, status__in=("accepted", "submitted"), declared_at__isnull=False,
    ).exclude(review_round__status="cancelled").values("review_round__result_id")
    return Result.objects.filter(pk__in=ids)


def reviewer_conflicts(reviewer: User, result: Result) -> list[str]:
    """Why ``reviewer`` may not review ``result`` (empty when nothing stands in the way)."""
    reasons: list[str] = []
    owner_ids = set(result.ownerships.values_list("organisation_id", flat=True))
    if reviewer.organisation_id and reviewer.organisation_id in owner_ids:
        reasons.append(_("%(name)s belongs to %(organisation)s, an owner of this result.") % {
            "name": reviewer.get_full_name() or reviewer.username, "organisation": reviewer.organisation,
        })
    if reviewer.person_id and result.inventorships.filter(person_id=reviewer.person_id).exists():
        reasons.append(_("%(name)s is an inventor of this result.") % {"name": reviewer.get_full_name() or reviewer.username})
    if reviewer.person_id:
        from opentto.organisations.models import Membership

        shared = Membership.objects.filter(person_id=reviewer.person_id, organisation_id__in=owner_ids).select_related("organisation").first()
        if shared is not None and shared.organisation_id != reviewer.organisation_id:
            reasons.append(_("%(name)s is a member of %(organisation)s, an owner of this result.") % {
                "name": reviewer.get_full_name() or reviewer.username, "organisation": shared.organisation,
            })
    declared = ReviewerConflict.objects.filter(reviewer=reviewer, result=result).exists() or ReviewerConflict.objects.filter(
        reviewer=reviewer, organisation_id__in=owner_ids
    ).exists()
    if declared:
        reasons.append(_("%(name)s has declared a conflict of interest with this result or its owner.") % {
            "name": reviewer.get_full_name() or reviewer.username,
        })
    return reasons


def reviewers_available(review_round: ReviewRound) -> QuerySet[User]:
    """Reviewer accounts not yet in the round (conflicts are checked when assigning)."""
    taken = review_round.assignments.values("reviewer_id")
    return User.objects.filter(role=UserRoleChoices.REVIEWER, is_active=True).exclude(pk__in=taken).order_by("last_name", "first_name", "username")


def live_round_for_result(result: Result) -> ReviewRound | None:
    return result.review_rounds.filter(status__in=LIVE_ROUND_STATUSES).order_by("-opened_at").first()
