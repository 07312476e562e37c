"""Who may see and do what in evaluation (registered with :mod:`opentto.core.permissions`), and
the reviewer's way into a result's confidential details.

| type | action | who (default grants) |
|---|---|---|
| evaluation.rubric | view | everyone signed in (reference data) |
| evaluation.rubric | revise | platform admins |
| evaluation.reviewround | view | TTO all; inventor: finalised rounds of their organisation's results |
| evaluation.reviewround | manage (run the round: reviewers, consensus, outcome, deadline), add (type: open one) | TTO all |
| evaluation.reviewassignment | view, review (declare, score, add evidence) | reviewer: their own, except in cancelled rounds |
| evaluation.criterionscore | view | TTO, inventor: of rounds they may view; reviewer: their own, and in an open (not blind) round the others' once they submitted |
| evaluation.scoreevidence | view | TTO: of rounds they manage; reviewer: their own while accepted or submitted |
| evaluation.evaluationsummary | view | TTO, inventor: of results whose details they may read |
| evaluation.evaluationsummary | add (type: the manager's override) | TTO |
| results.result | view_details | reviewer: assigned to a live or finished round, having declared no conflict |

Children never outrun their parents: scores follow the assignment or the round, evidence the
round or the assignment, summaries the result, each through the parent's restricted queryset.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ADMIN,
    ALL,
    INVENTOR,
    REVIEWER,
    SIGNED_IN,
    STAFF,
    organisation_id,
    register,
    user_role,
)

#: The constraint under which a reviewer reads a result's confidential details and attachments
#: (``Result.objects.restrict(user, "view_details")``, e.g. the results app's attachment download).
REVIEWER_CONSTRAINT = "assigned_reviewer_declared"
#: The role an invited external expert's new account gets (``reviewer_invite``); whether an
#: account may be invited at all is the ``review`` grant on assignments (``users_permitted``).
EXPERT_ROLE = REVIEWER


def _assigned_reviewer_declared(user: Any, model: type[Model]) -> Q | None:
    """Results of rounds (not cancelled) the reviewer is assigned to, once they declared no conflict."""
    if user_role(user) is None:
        return None
    from .models import ReviewAssignment

    ids = (
        ReviewAssignment.objects.filter(
            reviewer_id=user.pk,
            status__in=("accepted", "submitted"),
            declared_at__isnull=False,
        )
        .exclude(review_round__status="cancelled")
        .values("review_round__result_id")
    )
    return Q(pk__in=ids)


def _round_finalised_own_organisation(user: Any, model: type[Model]) -> Q | None:
    """Finalised review rounds of results the user's organisation owns (reviewers stay anonymous)."""
    org = organisation_id(user)
    if org is None:
        return None
    from opentto.results.models import Result

    return Q(
        status="finalised",
        result_id__in=Result.objects.filter(ownerships__organisation_id=org).values("pk"),
    )


def _assignment_own(user: Any, model: type[Model]) -> Q | None:
    """A reviewer's own assignments, except in cancelled rounds."""
    if user_role(user) is None:
        return None
    return Q(reviewer_id=user.pk) & ~Q(review_round__status="cancelled")


def _of_visible_round(user: Any, model: type[Model]) -> Q:
    from .models import ReviewRound

    return Q(assignment__review_round__in=ReviewRound.objects.restrict(user, "view").values("pk"))


def _of_own_assignment(user: Any, model: type[Model]) -> Q:
    from .models import ReviewAssignment

    return Q(assignment__in=ReviewAssignment.objects.restrict(user, "view").values("pk"))


def _open_round_panel(user: Any, model: type[Model]) -> Q:
    """In a round that is not blind, the submitted scores of the others, once the user has submitted
    their own (the panel of the review page)."""
    from .models import ReviewAssignment

    rounds = (
        ReviewAssignment.objects.restrict(user, "view")
        .filter(status="submitted")
        .values("review_round_id")
    )
    return Q(
        assignment__status="submitted",
        assignment__review_round__is_blind=False,
        assignment__review_round__in=rounds,
    )


def _evidence_of_managed_round(user: Any, model: type[Model]) -> Q:
    from .models import ReviewRound

    return Q(
        score__assignment__review_round__in=ReviewRound.objects.restrict(user, "manage").values(
            "pk"
        )
    )


def _evidence_own_live_assignment(user: Any, model: type[Model]) -> Q:
    """Evidence of the user's own assignments while accepted or submitted."""
    from .models import ReviewAssignment

    own = ReviewAssignment.objects.restrict(user, "view").filter(
        status__in=("accepted", "submitted")
    )
    return Q(score__assignment__in=own.values("pk"))


def _summary_of_readable_result(user: Any, model: type[Model]) -> Q:
    """Outcomes of results whose confidential details the user may read (they carry the assessment)."""
    from opentto.results.models import Result

    return Q(result__in=Result.objects.restrict(user, "view_details").values("pk"))


register(
    "results.result",
    constraints={REVIEWER_CONSTRAINT: _assigned_reviewer_declared},
    grants=[(REVIEWER, REVIEWER_CONSTRAINT, ("view_details",))],
)
register(
    "evaluation.rubric",
    actions={"view", "revise"},
    grants=[(role, ALL, ("view", "revise") if role == ADMIN else ("view",)) for role in SIGNED_IN],
)
register(
    "evaluation.reviewround",
    actions={"view", "manage", "add"},
    constraints={"finalised_own_organisation": _round_finalised_own_organisation},
    grants=[
        *[(role, ALL, ("view", "manage", "add")) for role in STAFF],
        (INVENTOR, "finalised_own_organisation", ("view",)),
    ],
)
register(
    "evaluation.reviewassignment",
    actions={"view", "review"},
    constraints={"own_assignment": _assignment_own},
    grants=[(REVIEWER, "own_assignment", ("view", "review"))],
)
register(
    "evaluation.criterionscore",
    actions={"view"},
    constraints={
        "of_visible_round": _of_visible_round,
        "own_assignment": _of_own_assignment,
        "open_round_panel": _open_round_panel,
    },
    grants=[
        *[(role, "of_visible_round", ("view",)) for role in (*STAFF, INVENTOR)],
        (REVIEWER, "own_assignment", ("view",)),
        (REVIEWER, "open_round_panel", ("view",)),
    ],
)
register(
    "evaluation.scoreevidence",
    actions={"view"},
    constraints={
        "of_managed_round": _evidence_of_managed_round,
        "own_live_assignment": _evidence_own_live_assignment,
    },
    grants=[
        *[(role, "of_managed_round", ("view",)) for role in STAFF],
        (REVIEWER, "own_live_assignment", ("view",)),
    ],
)
register(
    "evaluation.evaluationsummary",
    actions={"view", "add"},
    constraints={"of_readable_result": _summary_of_readable_result},
    grants=[
        *[(role, "of_readable_result", ("view",)) for role in (*STAFF, INVENTOR)],
        *[(role, ALL, ("add",)) for role in STAFF],
    ],
)
