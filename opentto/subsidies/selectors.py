"""Reads for subsidies, taking the viewer and reading through the grants of
``opentto/subsidies/permissions.py`` (``Model.objects.restrict(user, action)``).

| role | programmes | applications |
|---|---|---|
| anyone | active programmes | — |
| admin, manager, official | all | all |
| reviewer | active | those whose review round they are invited to (or reviewed earlier) |
| enterprise, inventor | active | their own organisation's (as applicant) |

What hangs off an application (budget lines, tranches, earlier reviews) follows it; the results
and the deal it names are shown only where the viewer may see them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from opentto.core.permissions import allows
from opentto.evaluation.models import ReviewRound
from opentto.evaluation.selectors import round_statistics_for
from opentto.landing.models import Deal
from opentto.results.models import Result

from .models import (
    Application,
    ApplicationStatusChoices,
    BudgetLine,
    Programme,
    ProgrammeBudget,
    Review,
    SubsidyProject,
    Tranche,
    TrancheStatusChoices,
)

ZERO = Decimal("0.00")
#: A finalised round's recommendation, read as a subsidy outcome.
OUTCOME_LABELS = {
    "proceed": _("Support"),
    "improve": _("Improve and resubmit"),
    "decline": _("Do not support"),
}


def programmes_visible(user: Any) -> QuerySet[Programme]:
    """The grants on ``subsidies.programme`` (``opentto.core.permissions``)."""
    return Programme.objects.restrict(user, "view")


def applications_visible(user: Any) -> QuerySet[Application]:
    """The grants on ``subsidies.application`` (``opentto.core.permissions``)."""
    return Application.objects.restrict(user, "view").select_related("programme", "applicant")


def officials_dashboard(user: Any) -> dict[str, Any]:
    """Per programme and year: applications, recognised, approved, disbursed, remaining budget.
    Every count and amount is over the applications the viewer may see and count (``view`` and
    ``figures``) and the tranches they may see; the remaining budget is the programme's public
    figure (shown on the programme list to everyone)."""
    apps = Application.objects.restrict(user, "view").restrict(user, "figures")
    tranches = Tranche.objects.restrict(user, "view").filter(status=TrancheStatusChoices.PAID)
    rows = []
    for budget in (
        ProgrammeBudget.objects.restrict(user, "view")
        .select_related("programme")
        .order_by("programme__code", "-year")
    ):
        scoped = apps.filter(programme=budget.programme, year=budget.year)
        by_status = dict(scoped.values_list("status").annotate(n=Count("pk")).order_by())
        counts = [
            (value, label, by_status.get(value, 0))
            for value, label in ApplicationStatusChoices.choices
        ]
        approved = scoped.filter(status__in=["approved", "disbursed"])
        disbursed = (
            tranches.filter(application__in=scoped.values("pk")).aggregate(t=Sum("amount_cny"))["t"]
            or ZERO
        )
        rows.append(
            {
                "budget": budget,
                "applications": scoped.exclude(status=ApplicationStatusChoices.DRAFT).count(),
                "counts": counts,
                "recognised": scoped.filter(
                    status__in=["recognised", "approved", "disbursed"]
                ).count(),
                "approved_count": approved.count(),
                "approved_cny": approved.aggregate(t=Sum("approved_cny"))["t"] or ZERO,
                "disbursed_cny": disbursed,
                "remaining_cny": budget.remaining_cny,
            }
        )
    return {"rows": rows, "projects": project_rows(user)}


def project_rows(user: Any) -> list[dict[str, Any]]:
    """Per project (of the applications the viewer may see): the title of the first of those, the
    cap, the amount approved and paid over those applications, and what remains under the cap. Projects whose approvals went
    above the cap before it was kept per project are flagged (``over``)."""
    apps = applications_visible(user).exclude(project=None)
    by_project = {
        row["project_id"]: row
        for row in apps.order_by()
        .values("project_id")
        .annotate(n=Count("pk"), approved=Sum("approved_cny"))
    }
    paid = dict(
        Tranche.objects.filter(application__in=apps.values("pk"), status=TrancheStatusChoices.PAID)
        .order_by()
        .values("application__project_id")
        .annotate(t=Sum("amount_cny"))
        .values_list("application__project_id", "t")
    )
    titles: dict[int, Application] = {}
    for application in apps.order_by("submitted_at", "pk"):
        titles.setdefault(application.project_id, application)  # type: ignore[arg-type]
    rows = []
    for project in SubsidyProject.objects.filter(pk__in=list(by_project)).order_by(
        "-created_at", "-pk"
    ):
        approved = by_project[project.pk]["approved"] or ZERO
        rows.append(
            {
                "project": project,
                "title": titles[project.pk].project_title,
                "applications": by_project[project.pk]["n"],
                "cap_cny": project.cap_cny,
                "approved_cny": approved,
                "paid_cny": paid.get(project.pk) or ZERO,
                "remaining_cny": max(project.cap_cny - approved, ZERO),
                "over": approved > project.cap_cny,
            }
        )
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
        "project": project,
        "linked": application.project_id is not None,
        "cap_cny": cap,
        "approved_cny": project.approved_cny,
        "remaining_cny": max(cap - project.approved_cny, ZERO),
        "others": list(others.order_by("created_at", "pk")),
    }


def application_page(user: Any, application: Application) -> dict[str, Any]:
    """What the application page shows beside the application, each part through its grant: the
    budget lines, tranches, the linked results (those the viewer may not see unnamed) and the deal
    (only if the viewer may see it), and the flags of what the viewer may do."""
    visible_results = set(
        Result.objects.restrict(user, "view")
        .filter(subsidy_applications=application)
        .values_list("pk", flat=True)
    )
    deal = (
        Deal.objects.restrict(user, "view").filter(pk=application.deal_id).first()
        if application.deal_id
        else None
    )
    return {
        "lines": BudgetLine.objects.restrict(user, "view").filter(application=application),
        "tranches": Tranche.objects.restrict(user, "view").filter(application=application),
        "results": [(r, r.pk in visible_results) for r in application.results.all()],
        "deal": deal,
        "deal_hidden": application.deal_id is not None and deal is None,
        "can": {
            action: allows(user, application, action)
            for action in ("apply", "decide", "disburse", "open_review")
        },
    }


def application_review(application: Application, user: Any) -> dict[str, Any]:
    """The expert review as the application page shows it: the round (rubric, status, reviews in),
    and once it is finalised its outcome, overall score and the mean score of each criterion (when
    the viewer may read the scores). Reviewers' names are shown to those holding the
    ``view_reviewers`` grant (the TTO and officials); the scored result's title where the viewer
    may see the result."""
    review_round: ReviewRound | None = application.review_round
    out: dict[str, Any] = {
        "round": review_round,
        "complete": application.review_complete,
        "stats": None,
        "show_names": allows(user, application, "view_reviewers"),
        "can_manage_round": review_round is not None and allows(user, review_round, "manage"),
        "result_visible": review_round is not None
        and Result.objects.restrict(user, "view").filter(pk=review_round.result_id).exists(),
        "legacy": list(
            Review.objects.restrict(user, "view")
            .filter(application=application)
            .select_related("reviewer")
        ),
    }
    if review_round is None:
        return out
    assignments = list(review_round.assignments.select_related("reviewer"))
    out["assignments"] = assignments
    out["submitted"] = sum(1 for a in assignments if a.status == "submitted")
    if review_round.status == "finalised":
        out["stats"] = round_statistics_for(user, review_round)
        out["outcome"] = OUTCOME_LABELS.get(
            review_round.recommendation, review_round.get_recommendation_display()
        )
    return out
