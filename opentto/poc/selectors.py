"""Reads for proof of concept, each through the grants (``opentto/poc/permissions.py``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from opentto.core.permissions import allows
from opentto.evaluation.models import ReviewRound

from .models import (
    POC_TRANSITIONS,
    PocBudgetLine,
    PocEvidence,
    PocMilestone,
    PocProgramme,
    PocProject,
    PocSpending,
)


def programmes_visible(user: Any) -> QuerySet[PocProgramme]:
    return PocProgramme.objects.restrict(user, "view")


def projects_visible(user: Any) -> QuerySet[PocProject]:
    return PocProject.objects.restrict(user, "view").select_related("result", "lead")


def projects_for_result(user: Any, result: Any) -> QuerySet[PocProject]:
    return projects_visible(user).filter(result=result)


def evidence_visible(user: Any) -> QuerySet[PocEvidence]:
    return PocEvidence.objects.restrict(user, "view").select_related("milestone__project")


def project_page(user: Any, project: PocProject) -> dict[str, Any]:
    """What the project's page shows to ``user``: its lines, spending, milestones and evidence as
    far as they may see them, the review round if they may see it, and what they may do."""
    from .services import project_problem

    lines = list(
        PocBudgetLine.objects.restrict(user, "view")
        .filter(project=project)
        .select_related("programme")
    )
    spendings = list(
        PocSpending.objects.restrict(user, "view")
        .filter(line__project=project)
        .select_related("line__programme")
    )
    milestones = list(
        PocMilestone.objects.restrict(user, "view")
        .filter(project=project)
        .prefetch_related(Prefetch("evidence", queryset=PocEvidence.objects.restrict(user, "view")))
    )
    review_round = None
    if project.review_round_id is not None:
        review_round = (
            ReviewRound.objects.restrict(user, "view").filter(pk=project.review_round_id).first()
        )
    may_manage = allows(user, project, "manage")
    moves = []
    if may_manage:
        for edge in POC_TRANSITIONS:
            if edge.source == project.status and edge.verb not in {"open_review", "stop"}:
                moves.append((edge.verb, project_problem(project, edge.target)))
    return {
        "project": project,
        "lines": lines,
        "spendings": spendings,
        "milestones": milestones,
        "review_round": review_round,
        "may_manage": may_manage,
        "moves": moves,
        "events": list(project.events.select_related("actor")),
    }
