"""Reads for evaluation. Each takes the user and returns only what that user may see, through the
grants of ``opentto/evaluation/permissions.py`` (``Model.objects.restrict(user, action)``).

| who | review rounds | round report | scores | result's confidential details |
|---|---|---|---|---|
| admin, manager | all (and run them) | all | all | (through the result page) |
| inventor | finalised rounds of their organisation's results (reviewers anonymous) | same | of those rounds | — |
| reviewer | their assignments only | — | their own; others' only in open mode, after submitting | of results they are assigned to, after declaring no conflict |
| anyone else | — | — | — | — |
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.permissions import restrict, users_permitted
from opentto.results.models import Result, ResultQuerySet

from .models import (
    LIVE_ROUND_STATUSES,
    CriterionScore,
    ReviewAssignment,
    ReviewerConflict,
    ReviewRound,
    Rubric,
    ScoreEvidence,
)
from .scoring import RoundStatistics, round_statistics


def rubrics_active(user: Any) -> QuerySet[Rubric]:
    """The active rubrics: reference data (the standards' structure) for every signed-in user."""
    return (
        Rubric.objects.restrict(user, "view")
        .filter(is_active=True)
        .prefetch_related("criteria")
        .order_by("key")
    )


def rubrics_editable(user: Any) -> QuerySet[Rubric]:
    """The active rubrics ``user`` may revise in the editor (``rubric_revise`` asks the same grant)."""
    return Rubric.objects.restrict(user, "revise").filter(is_active=True)


def rounds_visible(user: Any) -> QuerySet[ReviewRound]:
    """The grants on ``evaluation.reviewround`` (``opentto.core.permissions``)."""
    return restrict(ReviewRound.objects.select_related("result", "rubric"), user, "view")


def rounds_managed(user: Any) -> QuerySet[ReviewRound]:
    """The rounds ``user`` may run (invite, remove, consensus, outcome, deadline, cancel)."""
    return ReviewRound.objects.restrict(user, "manage")


def round_can_manage(user: Any, review_round: ReviewRound) -> bool:
    return rounds_managed(user).filter(pk=review_round.pk).exists()


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
    """Evidence files a user may download: the grants on ``evaluation.scoreevidence`` (the TTO
    those of the rounds it runs; a reviewer their own while the assignment is accepted or submitted)."""
    return ScoreEvidence.objects.restrict(user, "view")


def round_statistics_for(user: Any, review_round: ReviewRound) -> RoundStatistics | None:
    """The round's statistics (means, spread, the anonymous per-reviewer table) when ``user`` may
    read every submitted score they are computed from (the grants on ``evaluation.criterionscore``);
    otherwise ``None``."""
    submitted = CriterionScore.objects.filter(
        assignment__review_round=review_round, assignment__status="submitted"
    )
    if submitted.restrict(user, "view").count() != submitted.count():
        return None
    return round_statistics(review_round)


def results_for_reviewer(user: Any) -> ResultQuerySet:
    """Results whose confidential details ``user`` may read as a reviewer: those of their
    assignments that the grants on ``results.result`` (``view_details``) open to them."""
    assigned = ReviewAssignment.objects.restrict(user, "view").values("review_round__result_id")
    return Result.objects.restrict(user, "view_details").filter(pk__in=assigned)


def reviewers_eligible() -> QuerySet[User]:
    """Accounts that may be invited to review: the active users whose role holds the ``review``
    grant on assignments."""
    return users_permitted(ReviewAssignment, "review")


def reviewer_conflicts(reviewer: User, result: Result) -> list[str]:
    """Why ``reviewer`` may not review ``result`` (empty when nothing stands in the way)."""
    reasons: list[str] = []
    owner_ids = set(result.ownerships.values_list("organisation_id", flat=True))
    if reviewer.organisation_id and reviewer.organisation_id in owner_ids:
        reasons.append(
            _("%(name)s belongs to %(organisation)s, an owner of this result.")
            % {
                "name": reviewer.get_full_name() or reviewer.username,
                "organisation": reviewer.organisation,
            }
        )
    if reviewer.person_id and result.inventorships.filter(person_id=reviewer.person_id).exists():
        reasons.append(
            _("%(name)s is an inventor of this result.")
            % {"name": reviewer.get_full_name() or reviewer.username}
        )
    if reviewer.person_id:
        from opentto.organisations.models import Membership

        shared = (
            Membership.objects.filter(person_id=reviewer.person_id, organisation_id__in=owner_ids)
            .select_related("organisation")
            .first()
        )
        if shared is not None and shared.organisation_id != reviewer.organisation_id:
            reasons.append(
                _("%(name)s is a member of %(organisation)s, an owner of this result.")
                % {
                    "name": reviewer.get_full_name() or reviewer.username,
                    "organisation": shared.organisation,
                }
            )
    declared = (
        ReviewerConflict.objects.filter(reviewer=reviewer, result=result).exists()
        or ReviewerConflict.objects.filter(
            reviewer=reviewer, organisation_id__in=owner_ids
        ).exists()
    )
    if declared:
        reasons.append(
            _("%(name)s has declared a conflict of interest with this result or its owner.")
            % {
                "name": reviewer.get_full_name() or reviewer.username,
            }
        )
    return reasons


def reviewers_available(review_round: ReviewRound) -> QuerySet[User]:
    """Accounts that may review and are not yet in the round (conflicts are checked when assigning)."""
    taken = review_round.assignments.values("reviewer_id")
    return (
        reviewers_eligible().exclude(pk__in=taken).order_by("last_name", "first_name", "username")
    )


def live_round_for_result(result: Result) -> ReviewRound | None:
    return (
        result.review_rounds.filter(status__in=LIVE_ROUND_STATUSES).order_by("-opened_at").first()
    )
