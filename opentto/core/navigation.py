"""The header's navigation: which entries each role sees. Entries whose page is not installed are
skipped, so an app can be added or removed without touching the template."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from opentto.accounts.models import UserRoleChoices as R

from .permissions import user_role

ANONYMOUS = "anonymous"
EVERYONE = frozenset({ANONYMOUS, *R.values})
SIGNED_IN = frozenset(R.values)
STAFF = frozenset({R.ADMIN, R.MANAGER})


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: str | Promise
    roles: frozenset[str]
    menu: str = "main"  # "main" (header) or "user" (the user's menu)


NAV: tuple[NavEntry, ...] = (
    NavEntry("dashboard", _("Dashboard"), SIGNED_IN),
    NavEntry("results:list", _("Results"), EVERYONE),
    NavEntry("showcase:list", _("Showcase"), frozenset({ANONYMOUS, R.ENTERPRISE, R.INVESTOR})),
    NavEntry("demands:list", _("Demands"), SIGNED_IN),
    NavEntry("evaluation:list", _("Evaluations"), frozenset({R.ADMIN, R.MANAGER, R.INVENTOR})),
    NavEntry("evaluation:my_reviews", _("My reviews"), frozenset({R.REVIEWER})),
    NavEntry("planning:index", _("Planning"), frozenset({R.ADMIN, R.MANAGER, R.INVENTOR})),
    NavEntry("planning:rooms", _("Deal rooms"), frozenset({R.INVESTOR})),
    NavEntry("landing:list", _("Deals"), frozenset({R.ADMIN, R.MANAGER, R.INVENTOR, R.ENTERPRISE})),
    NavEntry("subsidies:programmes", _("Subsidies"), frozenset({R.ADMIN, R.MANAGER, R.OFFICIAL, R.ENTERPRISE, R.INVENTOR})),
    NavEntry("subsidies:dashboard", _("Subsidy dashboard"), frozenset({R.OFFICIAL})),
    NavEntry("organisations:list", _("Organisations"), SIGNED_IN),
    NavEntry("organisations:people", _("People"), SIGNED_IN),
    NavEntry("accounts:overview", _("My account"), SIGNED_IN, "user"),
    NavEntry("landing:statements", _("Reward statements"), frozenset({R.INVENTOR}), "user"),
    NavEntry("accounts:access", _("Access under NDA"), frozenset({R.ADMIN, R.MANAGER, R.ENTERPRISE, R.INVESTOR}), "user"),
    NavEntry("imports:index", _("Import"), STAFF, "user"),
    NavEntry("accounts:grants", _("Permissions"), STAFF, "user"),
    NavEntry("notifications:preferences", _("Notification settings"), SIGNED_IN, "user"),
)


def navigation(request: HttpRequest) -> dict[str, list[dict[str, object]]]:
    role = user_role(getattr(request, "user", None)) or ANONYMOUS
    current = request.resolver_match
    current_name = f"{current.namespace}:{current.url_name}" if current and current.namespace else (current.url_name if current else "")
    current_namespace = current.namespace if current else ""
    menus: dict[str, list[dict[str, object]]] = {"main": [], "user": []}
    for entry in NAV:
        if role not in entry.roles:
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        namespace = entry.url_name.partition(":")[0] if ":" in entry.url_name else ""
        active = current_name == entry.url_name or (bool(namespace) and namespace == current_namespace and entry.menu == "main" and namespace not in {"organisations"})
        menus[entry.menu].append({"url": url, "label": entry.label, "active": active})
    return {"nav_main": menus["main"], "nav_user": menus["user"]}
