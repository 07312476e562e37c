"""Exports of the lists to CSV and xlsx, through one mechanism: each list registers an
``ExportSpec`` whose ``rows(user, get)`` uses the list page's own selector with the same query
parameters, so an export holds exactly the rows the user sees on the page — nothing they may not
see — and only the columns the page (or the object's own page) shows that user: a column the
page shows only to some (a person's e-mail, inventors and their shares) is exported only to them,
through the same rule (``Column.shown``). Anonymous visitors export only what the showcase shows:
its results (public, not withdrawn or declined) and its fields. Result exports carry the public
summary (never confidential details) in the import template's columns, so an exported file can
be imported again (it creates nothing new). Every file is written by
:mod:`opentto.core.spreadsheets`, which writes formula-like text as text.

The list pages show the control with ``{% include "imports/partials/export_links.html" with what="<name>" %}``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext_lazy

from opentto.core.http import id_param
from opentto.core.permissions import permitted, restrict
from opentto.directory.selectors import organisation_list, person_list
from opentto.organisations.models import OrganisationKindChoices, Person
from opentto.results.models import IPAsset
from opentto.results.selectors import (
    result_inventorships,
    result_list,
    result_list_params,
    result_list_ranked,
    result_shows_inventors,
    results_in_order,
)
from opentto.showcase.selectors import showcase_results

Rows = tuple[list[str], Iterator[list[Any]]]


@dataclass(frozen=True)
class ExportSpec:
    """One exportable list. ``rows(user, get)`` returns the headers and the rows the list shows
    ``user`` for the query ``get``; ``signed_in``: anonymous callers get 404."""

    name: str
    title: Any
    rows: Callable[[Any, QueryDict], Rows]
    signed_in: bool = True


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, its value for an object, and, for a column the page
    shows only to some users, the rule that decides (``shown(user)``, the same as the page's)."""

    header: str
    value: Callable[[Any], Any]
    shown: Callable[[Any], bool] | None = None


EXPORTS: dict[str, ExportSpec] = {}


def register_export(
    name: str, title: Any, *, signed_in: bool = True
) -> Callable[[Callable[[Any, QueryDict], Rows]], Callable[[Any, QueryDict], Rows]]:
    def wrap(fn: Callable[[Any, QueryDict], Rows]) -> Callable[[Any, QueryDict], Rows]:
        EXPORTS[name] = ExportSpec(name, title, fn, signed_in)
        return fn

    return wrap


def visible_columns(
    user: Any, columns: Sequence[Column | tuple[str, Callable[[Any], Any]]]
) -> list[Column]:
    """The columns of ``columns`` the page shows ``user``."""
    out = [c if isinstance(c, Column) else Column(*c) for c in columns]
    return [c for c in out if c.shown is None or c.shown(user)]


def columns_rows(
    qs: QuerySet[Any] | Iterator[Any],
    columns: Sequence[Column | tuple[str, Callable[[Any], Any]]],
    user: Any = None,
) -> Rows:
    """Headers and rows of the ``columns`` the page shows ``user``, over ``qs`` (a queryset is
    read in slices)."""
    shown = visible_columns(user, columns)
    objects = _chunked(qs) if isinstance(qs, QuerySet) else qs
    return [c.header for c in shown], ([c.value(obj) for c in shown] for obj in objects)


def choice(values: Any, raw: str | None) -> str:
    """``raw`` if it is one of ``values`` (the list pages ignore anything else), else ``""``."""
    return raw if raw and raw in values else ""


def export_rows(request: HttpRequest, what: str) -> Rows:
    return EXPORTS[what].rows(request.user, request.GET)


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _first_asset(r: Any) -> Any:
    return next(iter(r.ip_assets.all()), None)


def _asset(field: str) -> Callable[[Any], Any]:
    def value(r: Any) -> Any:
        asset = _first_asset(r)
        return getattr(asset, field) if asset is not None else ""

    return value


#: The showcase's fields (its list and its technology pages): what anonymous visitors export.
SHOWCASE_COLUMNS = [
    Column("id", lambda r: r.pk),
    Column("title_zh", lambda r: r.title_zh),
    Column("title_en", lambda r: r.title_en),
    Column("kind", lambda r: r.kind),
    Column("field", lambda r: r.field),
    Column("trl", lambda r: r.trl),
    Column("abstract_zh", lambda r: r.abstract_zh),
    Column("abstract_en", lambda r: r.abstract_en),
    Column("advantages_zh", lambda r: r.advantages_zh),
    Column("advantages_en", lambda r: r.advantages_en),
    Column("applications_zh", lambda r: r.applications_zh),
    Column("applications_en", lambda r: r.applications_en),
    Column("keywords_zh", lambda r: r.keywords_zh or []),
    Column("keywords_en", lambda r: r.keywords_en or []),
    Column(
        "owners",
        lambda r: [o.organisation.name_zh or o.organisation.name_en for o in r.ownerships.all()],
    ),
    Column("application_number", _asset("application_number")),
    Column("ip_kind", _asset("ip_kind")),
    Column("grant_number", _asset("grant_number")),
    Column("ip_status", _asset("status")),
]

#: The result list and the result page, for a signed-in user: in the import template's columns.
RESULT_COLUMNS = [
    Column("id", lambda r: r.pk),
    Column("title_zh", lambda r: r.title_zh),
    Column("title_en", lambda r: r.title_en),
    Column("stage", lambda r: r.stage),
    Column("kind", lambda r: r.kind),
    Column("field", lambda r: r.field),
    Column("trl", lambda r: r.trl),
    Column("public", lambda r: "yes" if r.is_public else "no"),
    Column("abstract_zh", lambda r: r.abstract_zh),
    Column("abstract_en", lambda r: r.abstract_en),
    Column("advantages_zh", lambda r: r.advantages_zh),
    Column("advantages_en", lambda r: r.advantages_en),
    Column("applications_zh", lambda r: r.applications_zh),
    Column("applications_en", lambda r: r.applications_en),
    Column("keywords_zh", lambda r: r.keywords_zh or []),
    Column("keywords_en", lambda r: r.keywords_en or []),
    Column(
        "owners",
        lambda r: [
            o.organisation.credit_code or o.organisation.name_zh or o.organisation.name_en
            for o in r.ownerships.all()
        ],
    ),
    # the result page names inventors and their shares only to those who may see people
    Column(
        "inventors",
        lambda r: [
            f"{i.person.name_zh or i.person.name_en}:{i.share.normalize():f}"
            for i in r.inventorships.all()
        ],
        shown=result_shows_inventors,
    ),
    Column("application_number", _asset("application_number")),
    Column("ip_kind", _asset("ip_kind")),
    Column("filing_date", _asset("filing_date")),
    Column("publication_number", _asset("publication_number")),
    Column("grant_number", _asset("grant_number")),
    Column("grant_date", _asset("grant_date")),
    Column("ip_status", _asset("status")),
]


@register_export("results", gettext_lazy("Results"), signed_in=False)
def _results(user: Any, get: QueryDict) -> Rows:
    """The result list's rows for its filters; for an anonymous visitor only the showcase's
    results and fields."""
    params = result_list_params(get)
    # a search sorted by relevance: its rows in the page's order; newest first when the index cannot rank
    ranked = result_list_ranked(user, params) if params["sort"] == "relevance" else None
    # The parts of each result through their own rules (the result page's): inventors for
    # signed-in users only, IP assets as the result.
    prefetch = (
        Prefetch("inventorships", queryset=result_inventorships(user)),
        Prefetch("ip_assets", queryset=IPAsset.objects.restrict(user, "view").order_by("id")),
    )
    showcase = None if _signed_in(user) else showcase_results().values("pk")
    rows: Iterator[Any]
    if ranked is None:
        if params["sort"] == "relevance":  # the index cannot rank: newest first, as the page
            params["sort"] = "newest"
        qs = result_list(user, **params)
        rows = _chunked(
            (qs if showcase is None else qs.filter(pk__in=showcase)).prefetch_related(*prefetch)
        )
    else:  # the ranked ids, read from the visible rows: never one the user may not see
        qs = result_list(user)
        rows = _ranked_rows(
            (qs if showcase is None else qs.filter(pk__in=showcase)).prefetch_related(*prefetch),
            ranked,
        )
    return columns_rows(rows, RESULT_COLUMNS if showcase is None else SHOWCASE_COLUMNS, user)


@register_export("organisations", gettext_lazy("Organisations"))
def _organisations(user: Any, get: QueryDict) -> Rows:
    kind = get.get("kind", "") if get.get("kind") in OrganisationKindChoices.values else ""
    sort = get.get("sort", "name") if get.get("sort") in {"name", "results", "kind"} else "name"
    orgs = organisation_list(user, q=get.get("q", "").strip()[:100], kind=kind, sort=sort)
    return columns_rows(
        orgs,
        [
            Column(name, (lambda field: lambda o: getattr(o, field))(name))
            for name in (
                "id",
                "name_zh",
                "name_en",
                "kind",
                "credit_code",
                "city_zh",
                "city_en",
                "description_zh",
                "description_en",
                "result_count",
            )
        ],
        user,
    )


@register_export("people", gettext_lazy("People"))
def _people(user: Any, get: QueryDict) -> Rows:
    sort = get.get("sort", "name") if get.get("sort") in {"name", "results"} else "name"
    people = person_list(
        user,
        q=get.get("q", "").strip()[:100],
        organisation=id_param(get.get("organisation")),
        sort=sort,
    )
    # the e-mail address as the person page shows it: to those granted it, for the people it covers
    people = people.annotate(
        email_shown=Exists(restrict(Person.objects.filter(pk=OuterRef("pk")), user, "view_email"))
    )

    def membership(p: Any) -> Any:
        return next(iter(p.memberships.all()), None)

    def organisation(p: Any) -> str:
        m = membership(p)
        return (
            (m.organisation.credit_code or m.organisation.name_zh or m.organisation.name_en)
            if m
            else ""
        )

    return columns_rows(
        people,
        [
            Column("id", lambda p: p.pk),
            Column("name_zh", lambda p: p.name_zh),
            Column("name_en", lambda p: p.name_en),
            Column(
                "email",
                lambda p: p.email if p.email_shown else "",
                shown=lambda u: permitted(u, Person, "view_email"),
            ),
            Column("organisation", organisation),
            Column("role", lambda p: m.role if (m := membership(p)) else ""),
            Column("position_zh", lambda p: m.position_zh if (m := membership(p)) else ""),
            Column("position_en", lambda p: m.position_en if (m := membership(p)) else ""),
            Column("result_count", lambda p: p.result_count),
        ],
        user,
    )


def _chunked(qs: QuerySet[Any], size: int = 2000) -> Iterator[Any]:
    """Iterate a big queryset in slices so prefetches stay bounded in memory."""
    start = 0
    while True:
        chunk = list(qs[start : start + size])
        yield from chunk
        if len(chunk) < size:
            return
        start += size


def _ranked_rows(qs: QuerySet[Any], ids: list[int], size: int = 2000) -> Iterator[Any]:
    """The rows of ``qs`` with these ids in the ids' order, read in slices."""
    for start in range(0, len(ids), size):
        yield from results_in_order(qs, ids[start : start + size])
