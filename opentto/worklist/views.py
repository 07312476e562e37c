"""My work: the page (GET, filters) and its bulk actions (POST: assign a reviewer, export, remind)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.http import id_param
from opentto.core.spreadsheets import spreadsheet_response
from opentto.evaluation.selectors import reviewers_eligible

from .items import KINDS, REMINDABLE_KINDS, ROUND_KINDS, WINDOW_DAYS, WorkItem
from .selectors import WorkFilter, counts_by_kind, items_by_key, work_items_for_request
from .services import BulkOutcome, work_items_assign_reviewer, work_items_remind

#: A bulk action's item: ``kind:id``.
_KEY = re.compile(r"^[a-z_]{1,32}:[0-9]{1,18}$")
#: At most this many items in one bulk action.
MAX_BULK_ITEMS = 500


def _columns() -> list[str]:
    """The page's columns, also the export's."""
    return [_("Kind"), _("Item"), _("Due"), _("Overdue"), _("Detail"), _("Where it is done")]


def _row(request: AuthedHttpRequest, item: WorkItem) -> list[Any]:
    return [
        item.kind_label,
        item.title,
        item.due,
        _("yes") if item.is_overdue else "",
        item.detail,
        request.build_absolute_uri(item.url),
    ]


@login_required
@require_GET
def worklist_view(request: AuthedHttpRequest) -> HttpResponse:
    items = work_items_for_request(request)
    work_filter = WorkFilter.from_query(request.GET)
    shown = work_filter.apply(items)
    has_rounds = any(i.kind in ROUND_KINDS for i in shown)
    windows = [
        ("overdue", _("Overdue")),
        *[
            (str(d), ngettext("Within %(n)d day", "Within %(n)d days", d) % {"n": d})
            for d in WINDOW_DAYS
        ],
    ]
    return render(
        request,
        "worklist/index.html",
        {
            "items": shown,
            "total": len(items),
            "counts": counts_by_kind(items),
            "kinds": [(k, str(label)) for k, label in KINDS.items()],
            "windows": windows,
            "work_filter": work_filter,
            "query": request.GET.urlencode(),
            "reviewers": reviewers_eligible().order_by("last_name", "first_name", "username")
            if has_rounds
            else None,
            "can_remind": any(i.kind in REMINDABLE_KINDS for i in shown),
        },
    )


def _back(request: AuthedHttpRequest) -> HttpResponseRedirect:
    """Back to the page with the filter the form was sent from."""
    work_filter = WorkFilter.from_query(request.POST)
    params = {k: v for k, v in (("kind", work_filter.kind), ("due", work_filter.window)) if v}
    url = reverse("worklist:index")
    return HttpResponseRedirect(f"{url}?{urlencode(params)}" if params else url)


def _report(request: AuthedHttpRequest, outcome: BulkOutcome, done_message: str) -> None:
    if outcome.done:
        messages.success(request, done_message % {"n": len(outcome.done)})
    for title, reason in outcome.refused:
        messages.error(
            request, _("Not done: %(item)s — %(reason)s") % {"item": title, "reason": reason}
        )


@login_required
@require_POST
def worklist_bulk_view(request: AuthedHttpRequest) -> HttpResponseBase:
    keys = [k for k in request.POST.getlist("item") if _KEY.match(k)][:MAX_BULK_ITEMS]
    action = request.POST.get("action", "")
    if action not in {"assign", "remind", "export_csv", "export_xlsx"}:
        messages.error(request, _("Choose an action."))
        return _back(request)
    if not keys:
        messages.error(request, _("Choose at least one item."))
        return _back(request)
    user = request.user
    if action.startswith("export_"):
        found, _missing = items_by_key(work_items_for_request(request), keys)
        fmt = action.removeprefix("export_")
        return spreadsheet_response(
            fmt=fmt,
            filename=f"my-work-{timezone.localdate():%Y-%m-%d}.{fmt}",
            headers=_columns(),
            rows=[_row(request, i) for i in found],
            title=_("My work"),
        )
    if action == "assign":
        reviewer_id = id_param(request.POST.get("reviewer"))
        reviewer = (
            reviewers_eligible().filter(pk=reviewer_id).first() if reviewer_id is not None else None
        )
        if reviewer is None:
            messages.error(request, _("Choose a reviewer."))
            return _back(request)
        outcome = work_items_assign_reviewer(keys=keys, reviewer=reviewer, actor=user)
        _report(request, outcome, _("Reviewer invited to %(n)d review round(s)."))
    else:
        outcome = work_items_remind(keys=keys, actor=user)
        _report(request, outcome, _("Reminders sent for %(n)d item(s)."))
    return _back(request)
