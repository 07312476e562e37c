"""A person's e-mail address is a grant of its own (``view_email``): the TTO holds it by default,
and a site migrated from before it keeps showing what it showed."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from opentto.core.models import Grant
from opentto.core.permissions import roles_permitted

pytestmark = pytest.mark.django_db
migration = importlib.import_module("opentto.organisations.migrations.0003_person_view_email_grant")


def test_the_tto_alone_sees_email_addresses_by_default() -> None:
    assert roles_permitted("organisations.person", "view_email") == {"admin", "manager"}
    assert roles_permitted("organisations.person", "view") == {
        "admin",
        "manager",
        "inventor",
        "enterprise",
        "reviewer",
        "official",
        "investor",
    }


def test_the_migration_adds_the_action_to_the_existing_default_grants_only() -> None:
    rows = Grant.objects.filter(
        object_type="organisations.person", constraint="all"
    )  # the directory's rows
    rows.update(actions=["view"])
    rows.filter(role="admin").update(is_default=False)  # changed by the admin: left alone

    class Editor:
        connection = connection

    migration.add_view_email(apps, Editor())
    actions = dict(rows.values_list("role", "actions"))
    assert (
        actions["manager"] == ["view", "view_email"]
        and actions["admin"] == ["view"]
        and actions["inventor"] == ["view"]
    )
    migration.remove_view_email(apps, Editor())
    assert set(map(tuple, rows.values_list("actions", flat=True))) == {("view",)}
