"""The header's entries follow the grants their pages ask, not roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from opentto.core.models import Grant
from opentto.core.navigation import NAV, navigation
from opentto.core.permissions import registered_types

pytestmark = pytest.mark.django_db


def _entries(user) -> tuple[list[str], list[str]]:
    request = RequestFactory().get("/en/")
    request.user = user
    request.resolver_match = None
    menus = navigation(request)
    return [str(e["label"]) for e in menus["nav_main"]], [
        str(e["label"]) for e in menus["nav_user"]
    ]


def test_every_entry_names_a_registered_action():
    types = registered_types()
    for entry in NAV:
        if entry.permission is not None:
            object_type, action = entry.permission
            assert action in types[object_type].actions, entry


@pytest.mark.parametrize(
    "who, main, user_menu",
    [
        (None, ["Results", "Showcase"], []),
        (
            "manager",
            [
                "Dashboard",
                "Results",
                "Demands",
                "Evaluations",
                "Planning",
                "Deal rooms",
                "Proof of concept",
                "Deals",
                "Portfolio",
                "Subsidies",
                "Subsidy dashboard",
                "Organisations",
                "People",
            ],
            [
                "My account",
                "Ownership and use rights",
                "Access under NDA",
                "Import",
                "Clashes to resolve",
                "Permissions",
                "Notification settings",
            ],
        ),
        (
            "inventor",
            [
                "Dashboard",
                "Results",
                "Demands",
                "Evaluations",
                "Proof of concept",
                "Deals",
                "Portfolio",
                "Subsidies",
                "Organisations",
                "People",
            ],
            [
                "My account",
                "Reward statements",
                "Ownership and use rights",
                "Notification settings",
            ],
        ),
        (
            "enterprise_user",
            [
                "Dashboard",
                "Results",
                "Showcase",
                "Demands",
                "Deals",
                "Subsidies",
                "Organisations",
                "People",
            ],
            ["My account", "Access under NDA", "Notification settings"],
        ),
        (
            "investor",
            [
                "Dashboard",
                "Results",
                "Showcase",
                "Demands",
                "Deal rooms",
                "Organisations",
                "People",
            ],
            ["My account", "Access under NDA", "Notification settings"],
        ),
        (
            "reviewer",
            [
                "Dashboard",
                "Results",
                "Demands",
                "My reviews",
                "Subsidies",
                "Organisations",
                "People",
            ],
            ["My account", "Notification settings"],
        ),
        (
            "official",
            [
                "Dashboard",
                "Results",
                "Demands",
                "Subsidies",
                "Subsidy dashboard",
                "Organisations",
                "People",
            ],
            ["My account", "Notification settings"],
        ),
    ],
)
def test_entries_per_default_grants(request, who, main, user_menu):
    user = request.getfixturevalue(who) if who else AnonymousUser()
    assert _entries(user) == (main, user_menu)


def test_switching_a_grant_off_takes_the_entry_away(enterprise_user):
    Grant.objects.filter(role="enterprise", object_type="landing.deal").update(enabled=False)
    main, _user_menu = _entries(enterprise_user)
    assert "Deals" not in main and "Results" in main


@pytest.mark.parametrize(
    "path, current",
    [
        (
            "/en/planning/results/1/",
            ["Planning"],
        ),  # a result's workspace: the namespace's first entry
        ("/en/planning/rooms/", ["Deal rooms"]),  # its own entry, not Planning as well
        ("/en/planning/rooms/1/", ["Deal rooms"]),  # a room: covered by Deal rooms
        ("/en/subsidies/dashboard/", ["Subsidy dashboard"]),
        ("/en/subsidies/applications/1/", ["Subsidies"]),
        ("/en/organisations/people/", ["People"]),
        ("/en/organisations/1/", []),
        ("/en/account/", []),
    ],
)
def test_one_main_entry_is_current(manager, path, current):
    from django.urls import resolve

    request = RequestFactory().get(path)
    request.user = manager
    request.resolver_match = resolve(path)
    assert [str(e["label"]) for e in navigation(request)["nav_main"] if e["active"]] == current


def test_less_used_entries_move_into_more_only_when_the_row_is_full(manager, official):
    from django.utils import translation

    def more(user, lang):
        request = RequestFactory().get(f"/{lang}/")
        request.user = user
        request.resolver_match = None
        with translation.override(lang):
            return [str(e["label"]) for e in navigation(request)["nav_more"]]

    assert more(manager, "en") == [
        "Deal rooms",
        "Proof of concept",
        "Portfolio",
        "Subsidy dashboard",
        "Organisations",
        "People",
    ]
    assert more(official, "en") == ["Organisations", "People"]
    assert more(official, "zh-hans") == []
