from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.cache import cached_fragment, fragment_key
from opentto.core.http import YEAR_MAX, YEAR_MIN, year_param
from opentto.core.spreadsheets import file_response
from opentto.results.models import PIPELINE_STAGES, SIDE_STAGES, ResultStageChoices

from .charts import bar_chart, hbar_chart
from .export import annual_report_pdf, table_xlsx
from .reports import default_year, report_years, tables
from .selectors import DEFINITIONS, cached, figures, headline, scope_key


def _year(request: AuthedHttpRequest, *, tell: bool = False) -> int:
    """The ``?year=`` asked for (1900–2200), else the viewer's default year (the latest year a
    deal was signed in their scope, or this year); ``tell``: say so when a bad year was asked."""
    raw = request.GET.get("year")
    year = year_param(raw)
    if year is not None:
        return year
    if raw and tell:
        messages.warning(
            request,
            _("“%(value)s” is not a year between %(low)s and %(high)s: showing the default year.")
            % {"value": raw[:12], "low": YEAR_MIN, "high": YEAR_MAX},
        )
    return cached(
        request.user, f"default_year:{timezone.localdate()}", lambda: default_year(request.user)
    )


def _main_context(request: AuthedHttpRequest, year: int) -> dict[str, Any]:
    data = figures(request.user, year)
    top_line = headline(request.user, year)
    top = max(data.funnel.values(), default=0) or 1
    funnel = [
        {
            "stage": stage,
            "label": ResultStageChoices(stage).label,
            "count": data.funnel[stage],
            "width": round(100 * data.funnel[stage] / top, 1),
            "side": stage in SIDE_STAGES,
        }
        for stage in (*PIPELINE_STAGES, *SIDE_STAGES)
    ]
    t = cached(request.user, f"tables:{year}", lambda: tables(request.user, year, data))
    received_rows = [(str(row[0]), row[1]) for row in t["received"].rows[:-1]]
    charts = {
        "value_by_year": bar_chart(
            str(t["by_year"].title),
            [(r.label, r.transaction_value_cny) for r in data.by_year],
            css="chart-value-year",
            current=str(year),
        ),
        "received_by_year": bar_chart(
            str(t["received"].title), received_rows, css="chart-received", current=str(year)
        ),
        "conversion": hbar_chart(
            str(t["conversion"].title),
            [(row[0], row[1], f"{row[1]} · {row[2]}%") for row in t["conversion"].rows],
            css="chart-conversion",
        ),
    }
    return {
        "headline": [
            {"key": y.key, "year": y, "all_time": a, "about": DEFINITIONS[y.key]}
            for y, a in top_line.figures
        ],
        "figures": data,
        "funnel": funnel,
        "tables": t,
        "charts": charts,
        "year": year,
        "years": sorted(
            {
                year,
                *cached(
                    request.user,
                    f"years:{timezone.localdate()}",
                    lambda: report_years(request.user),
                ),
            },
            reverse=True,
        ),
        "received_total": t["received"].rows[-1][1],
        "viewer": request.user,  # the proof-of-concept sub-count of the funnel (opentto/poc/templatetags)
    }


@login_required
def dashboard_view(request: AuthedHttpRequest) -> HttpResponse:
    year = _year(request, tell=True)
    # The figures, tables and charts of the viewer's scope: rendered once per scope, year, day
    # and language until a service changes a figure (the per-user panels below are not cached).
    key = fragment_key("dashboard", scope_key(request.user), year, str(timezone.localdate()))
    main = cached_fragment(
        key, lambda: render_to_string("dashboard/partials/main.html", _main_context(request, year))
    )
    # the fragment is the template's own, auto-escaped rendering (a SafeString, kept so by the cache)
    return render(request, "dashboard/dashboard.html", {"main": main, "year": year})


@login_required
def export_xlsx_view(request: AuthedHttpRequest, table: str) -> HttpResponse:
    year = _year(request)
    t = cached(request.user, f"tables:{year}", lambda: tables(request.user, year))
    if table not in t:
        raise Http404
    return file_response(table_xlsx(t[table]), fmt="xlsx", filename=f"opentto-{table}.xlsx")


@login_required
def annual_report_pdf_view(request: AuthedHttpRequest, year: int) -> HttpResponse:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise Http404
    response = HttpResponse(
        annual_report_pdf(request.user, year, figures(request.user, year)),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="opentto-annual-report-{year}.pdf"'
    return response
