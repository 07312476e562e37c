"""Who may see and do what in subsidies (registered with :mod:`opentto.core.permissions`): the TTO
and district officials see every application; an applicant organisation's staff their own;
invited reviewers the applications of their rounds. Officials decide and disburse; the applicant
(or the TTO for it) drafts, submits and withdraws; the TTO opens the expert review panel.

| type | action | who (default grants) |
|---|---|---|
| subsidies.programme | view | TTO, officials all; everyone else (anonymous included) the active ones |
| subsidies.programme | add (type) | TTO, officials |
| subsidies.programmebudget | view | of a programme the user may view |
| subsidies.application | view | TTO, officials all; reviewer: of rounds they are invited to (or reviewed); enterprise, inventor: their organisation's |
| subsidies.application | add (type; for one's own organisation, any for the TTO), apply (submit, withdraw) | TTO all; enterprise, inventor: their organisation's |
| subsidies.application | decide (send to review, override, recognise, approve, reject), disburse (tranches: plan, accept, pay) | officials, platform admins |
| subsidies.application | open_review (the expert panel: a review round) | TTO |
| subsidies.application | view_reviewers (the experts' names), figures (the dashboard) | TTO, officials |
| budget line, tranche, legacy review | view | of an application the user may view |
| evaluation.criterionscore | view | the finalised expert review's scores, to whoever may view the application |
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q

from opentto.core.permissions import (
    ADMIN,
    ALL,
    ANONYMOUS,
    ENTERPRISE,
    EVERYONE,
    INVENTOR,
    INVESTOR,
    MANAGER,
    OFFICIAL,
    REVIEWER,
    STAFF,
    organisation_id,
    permitted,
    register,
    user_role,
)

APPLICATION_ACTIONS = {
    "view",
    "add",
    "apply",
    "decide",
    "disburse",
    "open_review",
    "view_reviewers",
    "figures",
}
#: Applicant organisations' staff: their own organisation's applications.
APPLICANT_ROLES_DEFAULT = (ENTERPRISE, INVENTOR)


def _application_own_organisation(user: Any, model: type[Model]) -> Q | None:
    org = organisation_id(user)
    return None if org is None else Q(applicant_id=org)


def _application_assigned_or_reviewed(user: Any, model: type[Model]) -> Q | None:
    """Applications whose review round the user is invited to (not removed), and those they reviewed earlier."""
    if user_role(user) is None:
        return None
    from opentto.evaluation.models import ReviewAssignment

    rounds = (
        ReviewAssignment.objects.filter(reviewer_id=user.pk)
        .exclude(status="removed")
        .values("review_round_id")
    )
    return Q(
        pk__in=model._default_manager.filter(
            Q(review_round__in=rounds) | Q(reviews__reviewer_id=user.pk)
        ).values("pk")
    )


def _programme_active(user: Any, model: type[Model]) -> Q:
    return Q(is_active=True)


def _of_visible_programme(user: Any, model: type[Model]) -> Q:
    from .models import Programme

    return Q(programme__in=Programme.objects.restrict(user, "view").values("pk"))


def _of_visible_application(user: Any, model: type[Model]) -> Q:
    from .models import Application

    return Q(application__in=Application.objects.restrict(user, "view").values("pk"))


register(
    "subsidies.application",
    actions=APPLICATION_ACTIONS,
    constraints={
        "own_organisation": _application_own_organisation,
        "assigned_or_reviewed": _application_assigned_or_reviewed,
    },
    grants=[
        (ADMIN, ALL, tuple(sorted(APPLICATION_ACTIONS))),
        (MANAGER, ALL, ("view", "add", "apply", "open_review", "view_reviewers", "figures")),
        (OFFICIAL, ALL, ("view", "decide", "disburse", "view_reviewers", "figures")),
        (REVIEWER, "assigned_or_reviewed", ("view",)),
        *[(role, "own_organisation", ("view", "add", "apply")) for role in APPLICANT_ROLES_DEFAULT],
    ],
)
register(
    "subsidies.programme",
    actions={"view", "add"},
    constraints={"active": _programme_active},
    grants=[
        *[(role, ALL, ("view", "add")) for role in (*STAFF, OFFICIAL)],
        *[
            (role, "active", ("view",))
            for role in (ANONYMOUS, INVENTOR, ENTERPRISE, REVIEWER, INVESTOR)
        ],
    ],
)
register(
    "subsidies.programmebudget",
    actions={"view"},
    constraints={"of_visible_programme": _of_visible_programme},
    grants=[(role, "of_visible_programme", ("view",)) for role in EVERYONE],
)
for _type in ("subsidies.budgetline", "subsidies.tranche", "subsidies.review"):
    register(
        _type,
        actions={"view"},
        constraints={"of_visible_application": _of_visible_application},
        grants=[
            (role, "of_visible_application", ("view",))
            for role in (*STAFF, OFFICIAL, REVIEWER, *APPLICANT_ROLES_DEFAULT)
        ],
    )


def _scores_of_visible_application(user: Any, model: type[Model]) -> Q:
    """The scores of a finalised expert review round belong to its application: whoever may see
    the application reads its outcome (the experts numbered, never named)."""
    from .models import Application

    applications = Application.objects.restrict(user, "view").values("pk")
    return Q(
        assignment__review_round__status="finalised",
        assignment__review_round__subsidy_application__in=applications,
    )


register(
    "evaluation.criterionscore",
    constraints={"of_visible_application": _scores_of_visible_application},
    grants=[
        (role, "of_visible_application", ("view",))
        for role in (*STAFF, OFFICIAL, REVIEWER, *APPLICANT_ROLES_DEFAULT)
    ],
)


def may_apply_for(user: Any, organisation: Any) -> bool:
    """Whether ``user`` may draft an application with ``organisation`` as the applicant: any
    organisation with an unconstrained ``add`` grant (the TTO applies for others), their own
    organisation with a constrained one (the ``own_organisation`` rule of applicant staff)."""
    from .models import Application

    if permitted(user, Application, "add", every_row=True):
        return True
    return (
        organisation is not None
        and permitted(user, Application, "add")
        and organisation_id(user) == organisation.pk
    )
