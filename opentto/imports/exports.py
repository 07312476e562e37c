"""Exports of the lists to CSV and xlsx, through one mechanism: each list registers an
``ExportSpec`` whose ``rows(user, get)`` uses the list page's own selector with the same query
parameters, so an export holds exactly the rows the user sees on the page — nothing they may not
see, and no column the page would not show them. Result exports carry the public summary (never
confidential details) in the import template's columns, so an exported file can be imported again
(it creates nothing new). Every text cell a spreadsheet would read as a formula is written as text.

The list pages show the control with ``{% include "imports/partials/export_links.html" with what="<name>" %}``."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.core.http import id_param
from opentto.organisations.models import OrganisationKindChoices
from opentto.organisations.selectors import organisation_list, person_list
from opentto.results.models import (
    IPAsset,
    ResultInventor,
)
from opentto.results.selectors import (
    result_list,
    result_list_params,
    result_list_ranked,
    results_in_order,
)

Rows = tuple[list[str], Iterator[list[Any]]]


@dataclass(frozen=True)
class ExportSpec:
    """One exportable list. ``rows(user, get)`` returns the headers and the rows the list shows
    ``user`` for the query ``get``; ``signed_in``: anonymous callers get 404."""

    name: str
    title: Any
    rows: Callable[[Any, QueryDict], Rows]
    signed_in: bool = True


EXPORTS: dict[str, ExportSpec] = {}


def register_export(name: str, title: Any, *, signed_in: bool = True) -> Callable[[Callable[[Any, QueryDict], Rows]], Callable[[Any, QueryDict], Rows]]:
    def wrap(fn: Callable[[Any, QueryDict], Rows]) -> Callable[[Any, QueryDict], Rows]:
        EXPORTS[name] = ExportSpec(name, title, fn, signed_in)
        return fn

    return wrap


def columns_rows(qs: QuerySet[Any], columns: list[tuple[str, Callable[[Any], Any]]]) -> Rows:
    """Headers and rows from ``(header, value of an object)`` pairs, over ``qs`` in slices."""
    headers = [h for h, _get in columns]
    return headers, ([get(obj) for _h, get in columns] for obj in _chunked(qs))


def choice(values: Any, raw: str | None) -> str:
    """``raw`` if it is one of ``values`` (the list pages ignore anything else), else ``""``."""
    return raw if raw and raw in values else ""


def export_rows(request: HttpRequest, what: str) -> Rows:
    return EXPORTS[what].rows(request.user, request.GET)


@register_export("results", gettext_lazy("Results"), signed_in=False)
def _results(user: Any, get: QueryDict) -> Rows:
    params = result_list_params(get)
    # a search sorted by relevance: its rows in the page's order; newest first when the index cannot rank
    ranked = result_list_ranked(user, params) if params["sort"] == "relevance" else None
    # The parts of each result through their own rules (the result page's): inventors for
    # signed-in users only, IP assets as the result.
    prefetch: list[Any] = [
        Prefetch("inventorships", queryset=ResultInventor.objects.restrict(user, "view").select_related("person")),
        Prefetch("ip_assets", queryset=IPAsset.objects.restrict(user, "view").order_by("id")),
    ]
    if ranked is None:
        if params["sort"] == "relevance":  # the index cannot rank: newest first, as the page
            params["sort"] = "newest"
        rows: Iterator[Any] = _chunked(result_list(user, **params).prefetch_related(*prefetch))
    else:  # the ranked ids, read from the visible rows: never one the user may not see
        rows = _ranked_rows(result_list(user).prefetch_related(*prefetch), ranked)
    headers = ["id", "title_zh", "title_en", "stage", "kind", "field", "trl", "public", "abstract_zh", "abstract_en",
               "advantages_zh", "advantages_en", "applications_zh", "applications_en", "keywords_zh", "keywords_en",
               "owners", "inventors", "application_number", "ip_kind", "filing_date", "publication_number", "grant_number", "grant_date", "ip_status"]

    def results() -> Iterator[list[Any]]:
        for r in rows:
            asset = next(iter(r.ip_assets.all()), None)
            yield [
                r.pk, r.title_zh, r.title_en, r.stage, r.kind, r.field, r.trl, "yes" if r.is_public else "no",
                r.abstract_zh, r.abstract_en, r.advantages_zh, r.advantages_en, r.applications_zh, r.applications_en,
                ";".join(r.keywords_zh or []), ";".join(r.keywords_en or []),
                ";".join(o.organisation.credit_code or o.organisation.name_zh or o.organisation.name_en for o in r.ownerships.all()),
                ";".join(f"{i.person.name_zh or i.person.name_en}:{i.share.normalize():f}" for i in r.inventorships.all()),
                asset.application_number if asset else "", asset.ip_kind if asset else "",
                asset.filing_date if asset and asset.filing_date else "", asset.publication_number if asset else "",
                asset.grant_number if asset else "", asset.grant_date if asset and asset.grant_date else "", asset.status if asset else "",
            ]

    return headers, results()


@register_export("organisations", gettext_lazy("Organisations"))
def _organisations(user: Any, get: QueryDict) -> Rows:
    kind = get.get("kind", "") if get.get("kind") in OrganisationKindChoices.values else ""
    sort = get.get("sort", "name") if get.get("sort") in {"name", "results", "kind"} else "name"
    orgs = organisation_list(user, q=get.get("q", "").strip()[:100], kind=kind, sort=sort)
    headers = ["id", "name_zh", "name_en", "kind", "credit_code", "city_zh", "city_en", "description_zh", "description_en", "result_count"]
    return headers, ([o.pk, o.name_zh, o.name_en, o.kind, o.credit_code, o.city_zh, o.city_en, o.description_zh, o.description_en, o.result_count] for o in _chunked(orgs))


@register_export("people", gettext_lazy("People"))
def _people(user: Any, get: QueryDict) -> Rows:
    sort = get.get("sort", "name") if get.get("sort") in {"name", "results"} else "name"
    people = person_list(user, q=get.get("q", "").strip()[:100], organisation=id_param(get.get("organisation")), sort=sort)
    headers = ["id", "name_zh", "name_en", "email", "organisation", "role", "position_zh", "position_en", "result_count"]

    def people_rows() -> Iterator[list[Any]]:
        for p in _chunked(people):
            m = next(iter(p.memberships.all()), None)
            org = m.organisation if m else None
            yield [p.pk, p.name_zh, p.name_en, p.email, (org.credit_code or org.name_zh or org.name_en) if org else "",
                   m.role if m else "", m.position_zh if m else "", m.position_en if m else "", p.result_count]

    return headers, people_rows()


def _chunked(qs: QuerySet[Any], size: int = 2000) -> Iterator[Any]:
    """Iterate a big queryset in slices so prefetches stay bounded in memory."""
    start = 0
    while True:
        chunk = list(qs[start:start + size])
        yield from chunk
        if len(chunk) < size:
            return
        start += size


def _ranked_rows(qs: QuerySet[Any], ids: list[int], size: int = 2000) -> Iterator[Any]:
    """The rows of ``qs`` with these ids in the ids' order, read in slices."""
    for start in range(0, len(ids), size):
        yield from results_in_order(qs, ids[start:start + size])


_PLAIN_NUMBER = re.compile(r"-\d+(\.\d+)?")


def _safe(value: Any) -> Any:
    """A cell's value: text that a spreadsheet would read as a formula (starting with = + - @, a tab
    or a carriage return) is prefixed with ``'`` so it is shown as text and never runs; a plain
    negative number ("-12.50") is left as it is. Aware times are written in local time (Excel has no
    time zones), lists joined with ";", ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        value = ";".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"} and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(headers: list[str], rows: Iterator[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers)
    for row in rows:
        yield writer.writerow([_safe(v) for v in row])


def xlsx_bytes(headers: list[str], rows: Iterator[list[Any]], title: str) -> bytes:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31] or _("Export"))
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


from . import list_exports  # noqa: E402,F401  (registers the other lists)
