from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from opentto.core.spreadsheets import file_response
from opentto.results.models import PIPELINE_STAGES, SIDE_STAGES, ResultStageChoices

from .cache import cached, cached_fragment, fragment_key, scope_key
from .charts import bar_chart, hbar_chart
from .export import annual_report_pdf, table_xlsx
from .reports import default_year, report_years, tables
from .selectors import figures


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() and 1990 <= int(raw) <= 2100 else cached(request.user, f"default_year:{timezone.localdate()}", lambda: default_year(request.user))


def _main_context(request: HttpRequest, year: int) -> dict[str, Any]:
    data = figures(request.user)
    top = max(data.funnel.values(), default=0) or 1
    funnel = [
        {"stage": stage, "label": ResultStageChoices(stage).label, "count": data.funnel[stage],
         "width": round(100 * data.funnel[stage] / top, 1), "side": stage in SIDE_STAGES}
        for stage in (*PIPELINE_STAGES, *SIDE_STAGES)
    ]
    t = cached(request.user, f"tables:{year}", lambda: tables(request.user, year, data))
    received_rows = [(str(row[0]), row[1]) for row in t["received"].rows[:-1]]
    charts = {
        "value_by_year": bar_chart(str(t["by_year"].title), [(r.label, r.transaction_value_cny) for r in data.by_year], css="chart-value-year"),
        "received_by_year": bar_chart(str(t["received"].title), received_rows, css="chart-received"),
        "conversion": hbar_chart(str(t["conversion"].title), [(row[0], row[1], f"{row[1]} · {row[2]}%") for row in t["conversion"].rows], css="chart-conversion"),
    }
    return {
        "figures": data, "funnel": funnel, "tables": t, "charts": charts, "year": year, "years": cached(request.user, f"years:{timezone.localdate()}", lambda: report_years(request.user)),
        "received_total": t["received"].rows[-1][1],
        "viewer": request.user,  # the proof-of-concept sub-count of the funnel (opentto/poc/templatetags)
    }


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    # The figures, tables and charts of the viewer's scope: rendered once per scope, year, day
    # and language until a service changes a figure (the per-user panels below are not cached).
    key = fragment_key("dashboard", scope_key(request.user), year, str(timezone.localdate()))
    main = cached_fragment(key, lambda: render_to_string("dashboard/partials/main.html", _main_context(request, year)))
    # the fragment is the template's own, auto-escaped rendering (a SafeString, kept so by the cache)
    return render(request, "dashboard/dashboard.html", {"main": main, "year": year})


@login_required
def export_xlsx_view(request: HttpRequest, table: str) -> HttpResponse:
    year = _year(request)
    t = cached(request.user, f"tables:{year}", lambda: tables(request.user, year))
    if table not in t:
        raise Http404
    return file_response(table_xlsx(t[table]), fmt="xlsx", filename=f"opentto-{table}.xlsx")


@login_required
def annual_report_pdf_view(request: HttpRequest, year: int) -> HttpResponse:
    if not 1990 <= year <= 2100:
        raise Http404
    response = HttpResponse(annual_report_pdf(request.user, year, figures(request.user)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="opentto-annual-report-{year}.pdf"'
    return response
