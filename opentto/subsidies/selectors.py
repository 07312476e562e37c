"""Reads for subsidies, taking the viewer.

| role | programmes | applications |
|---|---|---|
| anyone | active programmes | — |
| admin, manager, official | all | all |
| reviewer | all | those whose review round they are invited to (or reviewed earlier) |
| enterprise, inventor | all | their own organisation's (as applicant) |
| others | all | — |
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import UserRoleChoices
from opentto.core.permissions import is_platform_staff, restrict, user_role
from opentto.evaluation.scoring import round_statistics

from .models import (
    Application,
    ApplicationStatusChoices,
    Programme,
    ProgrammeBudget,
    Tranche,
    TrancheStatusChoices,
)

ZERO = Decimal("0.00")
#: A finalised round's recommendation, read as a subsidy outcome.
OUTCOME_LABELS = {"proceed": _("Support"), "improve": _("Improve and resubmit"), "decline": _("Do not support")}


def programmes_visible(user: Any) -> QuerySet[Programme]:
    """The grants on ``subsidies.programme`` (``opentto.core.permissions``)."""
    return restrict(Programme.objects.all(), user, "view")


def applications_visible(user: Any) -> QuerySet[Application]:
    """The grants on ``subsidies.application`` (``opentto.core.permissions``)."""
    return restrict(Application.objects.select_related("programme", "applicant"), user, "view")


def officials_dashboard(user: Any) -> dict[str, Any]:
    """Per programme and year: applications, recognised, approved, disbursed, remaining budget."""
    apps = applications_visible(user)
    rows = []
    for budget in ProgrammeBudget.objects.select_related("programme").order_by("programme__code", "-year"):
        scoped = apps.filter(programme=budget.programme, year=budget.year)
        by_status = dict(scoped.values_list("status").annotate(n=Count("pk")).order_by())
        counts = [(value, label, by_status.get(value, 0)) for value, label in ApplicationStatusChoices.choices]
        disbursed = Tranche.objects.filter(application__in=scoped.values("pk"), status=TrancheStatusChoices.PAID).aggregate(t=Sum("amount_cny"))["t"] or ZERO
        rows.append({
            "budget": budget,
            "applications": scoped.exclude(status=ApplicationStatusChoices.DRAFT).count(),
            "counts": counts,
            "recognised": scoped.filter(status__in=["recognised", "approved", "disbursed"]).count(),
            "approved_count": scoped.filter(status__in=["approved", "disbursed"]).count(),
            "approved_cny": budget.approved_cny,
            "disbursed_cny": disbursed,
            "remaining_cny": budget.remaining_cny,
        })
    return {"rows": rows}


def application_review(application: Application, user: Any) -> dict[str, Any]:
    """The expert review as the application page shows it: the round (rubric, status, reviews in),
    and once it is finalised its outcome, overall score and the mean score of each criterion.
    Reviewers' names are shown to TTO staff and officials only."""
    review_round = application.review_round
    out: dict[str, Any] = {"round": review_round, "complete": application.review_complete, "stats": None,
                           "show_names": is_platform_staff(user) or user_role(user) == UserRoleChoices.OFFICIAL,
                           "staff": is_platform_staff(user), "legacy": list(application.reviews.select_related("reviewer"))}
    if review_round is None:
        return out
    assignments = list(review_round.assignments.select_related("reviewer"))
    out["assignments"] = assignments
    out["submitted"] = sum(1 for a in assignments if a.status == "submitted")
    if review_round.status == "finalised":
        out["stats"] = round_statistics(review_round)
        out["outcome"] = OUTCOME_LABELS.get(review_round.recommendation, review_round.get_recommendation_display())
    return out
