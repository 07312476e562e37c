"""The registry of default grants: one row per (role, type, constraint), however many apps add
actions to a type; a constraint meaning "every row" is every row, whatever else is granted."""

from __future__ import annotations

import pytest
from django.db.models import Q

from opentto.core import permissions
from opentto.core.models import Grant
from opentto.core.permissions import DEFAULT_GRANTS, allowed_condition, register
from opentto.results.models import IPAsset


def test_default_grants_have_one_row_per_key():
    keys = [
        (role, object_type, constraint)
        for role, object_type, constraint, _actions in DEFAULT_GRANTS
    ]
    assert len(keys) == len(set(keys))


def test_a_second_registration_of_a_key_adds_its_actions(monkeypatch):
    monkeypatch.setattr(permissions, "DEFAULT_GRANTS", [])
    monkeypatch.setattr(permissions, "_REGISTRY", {})
    register("x.thing", actions={"view"}, grants=[("manager", "all", ("view",))])
    register(
        "x.thing",
        actions={"add"},
        grants=[("manager", "all", ("add",)), ("inventor", "all", ("view",))],
    )
    assert permissions.DEFAULT_GRANTS == [
        ("manager", "x.thing", "all", ("add", "view")),
        ("inventor", "x.thing", "all", ("view",)),
    ]
    assert permissions._REGISTRY["x.thing"].actions == frozenset({"view", "add"})


@pytest.mark.django_db
def test_an_empty_condition_from_a_constraint_is_every_row(monkeypatch, manager, onboarded):
    # The IP-asset constraint of a user allowed every result is Q() ("every row"); with a second,
    # narrower constraint granted to the same role it stays every row (Q() | Q(x) would be Q(x)).
    monkeypatch.setitem(
        permissions._REGISTRY["results.ipasset"].constraints,
        "none_at_all",
        lambda user, model: Q(pk=-1),
    )
    Grant.objects.create(
        role="manager", object_type="results.ipasset", constraint="none_at_all", actions=["view"]
    )
    assert allowed_condition(IPAsset, manager, "view") == Q()
    assert IPAsset.objects.restrict(manager, "view").count() == IPAsset.objects.count() == 1
