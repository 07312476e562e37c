"""The header's navigation: an entry is shown to whoever holds the grant its page asks for (a
type-level ``permitted`` question: "may this user see any of these at all"), so switching a grant
off takes the entry away with the page. Entries whose page is not installed are skipped, so an
app can be added or removed without touching the template. Core knows no domain app: entries
name object types as text."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .permissions import permitted


@dataclass(frozen=True)
class NavEntry:
    """``permission``: ``(object type, action)`` the user needs (``None``: any signed-in user);
    ``every_row``: on every row of the type; ``visitors``: also shown to anonymous visitors;
    ``person``: only to users who are a person on the platform (their own statements);
    ``covers``: other pages (URL names) that belong to this entry rather than to the first entry
    of their namespace (a deal room's page is under "Deal rooms", not "Planning")."""

    url_name: str
    label: str | Promise
    permission: tuple[str, str] | None = None
    menu: str = "main"  # "main" (header) or "user" (the user's menu)
    every_row: bool = False
    visitors: bool = False
    person: bool = False
    covers: tuple[str, ...] = ()

    def shown_to(self, user: object) -> bool:
        if not getattr(user, "is_authenticated", False):
            return self.visitors or (
                self.permission is not None
                and permitted(user, *self.permission, every_row=self.every_row)
            )
        if self.person and getattr(user, "person_id", None) is None:
            return False
        return self.permission is None or permitted(
            user, *self.permission, every_row=self.every_row
        )


NAV: tuple[NavEntry, ...] = (
    NavEntry("dashboard", _("Dashboard"), ("results.result", "figures")),
    NavEntry("results:list", _("Results"), ("results.result", "view")),
    # The shop window: for visitors and for those who ask for results' details under an NDA.
    NavEntry("showcase:list", _("Showcase"), ("results.result", "request_access"), visitors=True),
    NavEntry("demands:list", _("Demands")),
    NavEntry("evaluation:list", _("Evaluations"), ("evaluation.reviewround", "view")),
    NavEntry(
        "evaluation:my_reviews",
        _("My reviews"),
        ("evaluation.reviewassignment", "view"),
        covers=("evaluation:review",),
    ),
    # The TTO's planning desk: for those who move results from planning to landing.
    NavEntry("planning:index", _("Planning"), ("results.result", "land")),
    NavEntry(
        "planning:rooms", _("Deal rooms"), ("planning.dealroom", "view"), covers=("planning:room",)
    ),
    NavEntry("poc:list", _("Proof of concept"), ("poc.pocproject", "view")),
    NavEntry("landing:list", _("Deals"), ("landing.deal", "view")),
    NavEntry(
        "portfolio:index",
        _("Portfolio"),
        ("organisations.organisation", "view_portfolio"),
        covers=("portfolio:patent",),
    ),
    NavEntry("subsidies:programmes", _("Subsidies"), ("subsidies.application", "view")),
    NavEntry(
        "subsidies:dashboard",
        _("Subsidy dashboard"),
        ("subsidies.application", "view"),
        every_row=True,
    ),
    NavEntry("organisations:list", _("Organisations"), ("organisations.organisation", "view")),
    NavEntry("organisations:people", _("People"), ("organisations.person", "view")),
    NavEntry("accounts:overview", _("My account"), menu="user"),
    NavEntry("landing:statements", _("Reward statements"), menu="user", person=True),
    NavEntry(
        "rights:list", _("Ownership and use rights"), ("rights.rightsapplication", "view"), "user"
    ),
    NavEntry("accounts:access", _("Access under NDA"), ("access.accessrequest", "view"), "user"),
    NavEntry("imports:index", _("Import"), ("imports.importjob", "add"), "user"),
    NavEntry("clashes:list", _("Clashes to resolve"), ("clashes.clashhold", "resolve"), "user"),
    NavEntry("accounts:grants", _("Permissions"), ("core.grant", "view"), "user"),
    NavEntry(
        "notifications:preferences",
        _("Notification settings"),
        ("notifications.notification", "view"),
        "user",
    ),
)


#: The header holds one row at 1366 px: the main entries' labels may take about this many ems
#: (a CJK character is one em, a Latin one about .56, plus an entry's padding); beyond it, entries
#: move into a "More" menu, the least used first (the order below), so every role and language
#: keeps one row and a role with few entries keeps them all in sight.
MAIN_ROW_EM = 44.0
MORE_FIRST = (
    "organisations:people",
    "organisations:list",
    "portfolio:index",
    "subsidies:dashboard",
    "poc:list",
    "planning:rooms",
)


def _label_em(label: object) -> float:
    return 1.4 + sum(1.0 if ord(ch) >= 0x2E80 else 0.56 for ch in str(label))


def _split_more(entries: list[dict[str, object]]) -> None:
    """Mark the entries that go into the header's "More" menu (``more``: True)."""
    width = sum(_label_em(e["label"]) for e in entries)
    if width <= MAIN_ROW_EM:
        return
    width += 4.0  # the "More" summary itself
    for name in MORE_FIRST:
        for e in entries:
            if e["name"] == name and not e["more"]:
                e["more"] = True
                width -= _label_em(e["label"])
        if width <= MAIN_ROW_EM:
            return


def navigation(request: HttpRequest) -> dict[str, list[dict[str, object]]]:
    user = getattr(request, "user", None)
    current = request.resolver_match
    current_name = (
        f"{current.namespace}:{current.url_name}"
        if current and current.namespace
        else (current.url_name if current else "")
    )
    current_namespace = current.namespace if current else ""
    menus: dict[str, list[dict[str, object]]] = {"main": [], "user": []}
    shown: list[tuple[NavEntry, str]] = []
    for entry in NAV:
        if not entry.shown_to(user):
            continue
        try:
            shown.append((entry, reverse(entry.url_name)))
        except NoReverseMatch:
            continue
    # One main entry is current: the page's own (or the one covering it); else the first shown
    # entry of the page's namespace (a result's planning workspace is under "Planning").
    own = {
        entry.url_name
        for entry, _url in shown
        if current_name == entry.url_name or current_name in entry.covers
    }
    namespace_entry = next(
        (
            entry.url_name
            for entry, _url in shown
            if entry.menu == "main"
            and ":" in entry.url_name
            and entry.url_name.partition(":")[0] == current_namespace
            and current_namespace not in {"organisations"}
        ),
        None,
    )
    for entry, url in shown:
        active = entry.url_name in own if own else entry.url_name == namespace_entry
        menus[entry.menu].append(
            {
                "url": url,
                "label": entry.label,
                "active": active,
                "name": entry.url_name,
                "more": False,
            }
        )
    _split_more(menus["main"])
    more = [e for e in menus["main"] if e["more"]]
    return {
        "nav_main": menus["main"],
        "nav_user": menus["user"],
        "nav_more": more,
        "nav_more_active": [e for e in more if e["active"]],
    }
