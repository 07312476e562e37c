"""Roles and grants as data: the defaults reproduce the documented table; grants switch access on
and off without code; anything not granted is refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from opentto.core import permissions
from opentto.core.models import Grant
from opentto.core.permissions import DEFAULT_GRANTS, install_default_grants, restrict
from opentto.landing.models import Deal
from opentto.organisations.models import Organisation, Person
from opentto.results.models import Result

pytestmark = pytest.mark.django_db


def test_default_grants_are_installed_by_migration():
    assert Grant.objects.count() == len(DEFAULT_GRANTS)
    assert Grant.objects.filter(is_default=True, enabled=True).count() == len(DEFAULT_GRANTS)
    # Idempotent: nothing is added twice.
    assert install_default_grants() == 0


@pytest.mark.parametrize(
    "who, view, details, change, figures",
    [
        # public result (onboarded), confidential result, as sets of booleans (public, confidential)
        (None, (True, False), (False, False), (False, False), (False, False)),
        ("admin_user", (True, True), (True, True), (True, True), (True, True)),
        ("manager", (True, True), (True, True), (True, True), (True, True)),
        ("inventor", (True, True), (True, True), (True, True), (True, True)),
        ("other_inventor", (True, False), (False, False), (False, False), (True, False)),
        ("enterprise_user", (True, False), (False, False), (False, False), (True, False)),
        ("reviewer", (True, False), (False, False), (False, False), (True, False)),
        ("investor", (True, False), (False, False), (False, False), (True, False)),
        ("official", (True, False), (False, False), (False, False), (True, True)),
    ],
)
def test_default_result_grants_match_the_roles_table(
    request, who, view, details, change, figures, onboarded, confidential_result
):
    user = request.getfixturevalue(who) if who else AnonymousUser()
    for action, expected in (
        ("view", view),
        ("view_details", details),
        ("change", change),
        ("figures", figures),
    ):
        ids = set(Result.objects.restrict(user, action).values_list("pk", flat=True))
        assert (onboarded.pk in ids, confidential_result.pk in ids) == expected, (who, action)


def test_a_disabled_grant_takes_access_away_and_nothing_else(
    inventor, onboarded, confidential_result
):
    Grant.objects.filter(
        role="inventor", object_type="results.result", constraint="own_organisation"
    ).update(enabled=False)
    assert not Result.objects.restrict(inventor, "view").filter(pk=confidential_result.pk).exists()
    assert (
        Result.objects.restrict(inventor, "view").filter(pk=onboarded.pk).exists()
    )  # still public


def test_a_new_grant_gives_access_without_code(reviewer, confidential_result):
    assert not Result.objects.restrict(reviewer, "view").filter(pk=confidential_result.pk).exists()
    Grant.objects.create(
        role="reviewer", object_type="results.result", constraint="all", actions=["view"]
    )
    permissions.clear_grant_cache(reviewer)
    assert Result.objects.restrict(reviewer, "view").filter(pk=confidential_result.pk).exists()
    assert (
        not Result.objects.restrict(reviewer, "view_details")
        .filter(pk=confidential_result.pk)
        .exists()
    )


def test_deny_by_default_without_grants(manager, onboarded):
    Grant.objects.all().delete()
    permissions.clear_grant_cache(manager)
    assert not Result.objects.restrict(manager, "view").exists()
    assert not Result.objects.restrict(AnonymousUser(), "view").exists()
    assert not permissions.restrict_directory(Organisation.objects.all(), manager).exists()
    assert not permissions.restrict_directory(Person.objects.all(), manager).exists()


def test_unknown_constraint_grants_nothing(reviewer, onboarded):
    Grant.objects.filter(role="reviewer").delete()
    Grant.objects.create(
        role="reviewer", object_type="results.result", constraint="no_such_rule", actions=["view"]
    )
    assert not Result.objects.restrict(reviewer, "view").exists()


def test_unknown_action_and_unregistered_model_are_errors(manager):
    with pytest.raises(ValueError):
        Result.objects.restrict(manager, "delete")
    with pytest.raises(ValueError):
        restrict(Session.objects.all(), manager, "view")


def test_inactive_user_is_treated_as_anonymous(inventor, onboarded, confidential_result):
    inventor.is_active = False
    assert set(Result.objects.restrict(inventor, "view").values_list("pk", flat=True)) == {
        onboarded.pk
    }


def test_deals_follow_the_grants(
    manager, enterprise_user, enterprise_org, inventor, other_inventor, official, onboarded
):
    deal = Deal.objects.create(
        counterparty=enterprise_org, deal_type="assignment", amount_cny="100.00", created_by=manager
    )
    deal.results.add(onboarded)
    assert list(Deal.objects.restrict(enterprise_user, "view")) == [deal]
    assert list(Deal.objects.restrict(inventor, "view")) == [deal]
    assert not Deal.objects.restrict(other_inventor, "view").exists()
    assert not Deal.objects.restrict(official, "view").exists()
    assert list(Deal.objects.restrict(official, "figures")) == [deal]
    assert not Deal.objects.restrict(enterprise_user, "change").exists()
    assert list(Deal.objects.restrict(manager, "change")) == [deal]


def test_registry_makes_any_model_restrictable(manager, reviewer):
    SessionStore().create()
    permissions.register("sessions.session", actions={"view"})
    try:
        assert not restrict(Session.objects.all(), reviewer, "view").exists()
        Grant.objects.create(
            role="manager", object_type="sessions.session", constraint="all", actions=["view"]
        )
        permissions.clear_grant_cache(manager)
        assert (
            restrict(Session.objects.all(), manager, "view").count() == Session.objects.count() == 1
        )
    finally:
        permissions._REGISTRY.pop("sessions.session", None)


def test_default_grants_come_back_after_a_flush(transactional_db):
    # Flush (as TransactionTestCase does) empties the table; post_migrate re-installs the defaults.
    assert Grant.objects.count() == len(DEFAULT_GRANTS)
