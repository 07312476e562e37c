"""The portfolio's export (CSV or xlsx through ``opentto.core.spreadsheets``, served by the
imports app's export view): the same columns as the page, for the same filters."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.imports.exports import Rows, register_export

from . import selectors as sel


def headers(today: Any) -> list[str]:
    from .views import year_labels

    return [
        _("Patent"),
        _("Result"),
        _("Owners"),
        _("Field"),
        _("Status"),
        _("Fee reduction"),
        *[_("Cost %(window)s") % {"window": label} for label in year_labels(today)],
        _("Cost, 5 years"),
        _("Income, last 5 years"),
        _("Income, total"),
        _("Evaluation score"),
        _("Matching open demands"),
        _("Patent decision"),
    ]


def row_cells(row: sel.PortfolioRow) -> list[Any]:
    return [
        row.filing.application_number,
        row.result.title,
        row.owners,
        row.result.get_field_display(),
        row.filing.get_status_display(),
        row.reduction or _("None"),
        *row.costs,
        row.cost_total,
        row.income_recent,
        row.income_total,
        row.score,
        row.demands,
        row.decision.get_decision_display() if row.decision else "",
    ]


@register_export("portfolio", gettext_lazy("Patent portfolio"))
def _portfolio(user: Any, get: QueryDict) -> Rows:
    from .views import portfolio_query

    today = timezone.localdate()
    if not sel.may_see_portfolio(user):
        return headers(today), iter(())
    _form, chosen, field_ = portfolio_query(user, get)
    rows = sel.portfolio_rows(user, organisations=chosen, field_=field_, today=today)
    return headers(today), (row_cells(r) for r in rows)
