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
    SubsidyProject,
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
    return {"rows": rows, "projects": project_rows(user)}


def project_rows(user: Any) -> list[dict[str, Any]]:
    """Per project (of the applications the viewer may see): the title of the first of those, the
    cap, the amount approved and paid over those applications, and what remains under the cap. Projects whose approvals went
    above the cap before it was kept per project are flagged (``over``)."""
    apps = applications_visible(user).exclude(project=None)
    by_project = {
        row["project_id"]: row
        for row in apps.order_by().values("project_id").annotate(n=Count("pk"), approved=Sum("approved_cny"))
    }
    paid = dict(
        Tranche.objects.filter(application__in=apps.values("pk"), status=TrancheStatusChoices.PAID)
        .order_by().values("application__project_id").annotate(t=Sum("amount_cny")).values_list("application__project_id", "t")
    )
    titles: dict[int, Application] = {}
    for application in apps.order_by("submitted_at", "pk"):
        titles.setdefault(application.project_id, application)  # type: ignore[arg-type]
    rows = []
    for project in SubsidyProject.objects.filter(pk__in=list(by_project)).order_by("-created_at", "-pk"):
        approved = by_project[project.pk]["approved"] or ZERO
        rows.append({
            "project": project, "title": titles[project.pk].project_title, "applications": by_project[project.pk]["n"],
            "cap_cny": project.cap_cny, "approved_cny": approved,
            "paid_cny": paid.get(project.pk) or ZERO, "remaining_cny": max(project.cap_cny - approved, ZERO), "over": approved > project.cap_cny,
        })
    return rows


def application_project(application: Application, user: Any) -> dict[str, Any] | None:
    """The project panel of an application page: the project (linked at submission, or the one a
    draft would join), its cap, the sum approved over all its applications and what remains (what
    binds this application), and the other applications of the project the viewer may see (a
    project has no title of its own: its applications' titles reach only those who see them)."""
    from .services import project_cap, project_matches

    matches = project_matches(application)
    if not matches:
        return None
    if len(matches) > 1:
        return {"several": matches}
    project = matches[0]
    cap = project.cap_cny if application.project_id else project_cap(project, application.programme)
    others = applications_visible(user).filter(project=project).exclude(pk=application.pk)
    return {
        "project": project, "linked": application.project_id is not None, "cap_cny": cap, "approved_cny": project.approved_cny,
        "remaining_cny": max(cap - project.approved_cny, ZERO), "others": list(others.order_by("created_at", "pk")),
    }


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
