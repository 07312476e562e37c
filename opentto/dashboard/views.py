from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from opentto.results.models import PIPELINE_STAGES, SIDE_STAGES, ResultStageChoices

from .selectors import figures


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    data = figures(request.user)
    top = max(data.funnel.values(), default=0) or 1
    funnel = [
        {"stage": stage, "label": ResultStageChoices(stage).label, "count": data.funnel[stage],
         "width": round(100 * data.funnel[stage] / top, 1), "side": stage in SIDE_STAGES}
        for stage in (*PIPELINE_STAGES, *SIDE_STAGES)
    ]
    return render(request, "dashboard/dashboard.html", {"figures": data, "funnel": funnel})
