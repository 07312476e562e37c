"""The directory as grants (opentto.organisations.permissions): organisations and people for
signed-in users, adding them and reading people's e-mail for the TTO, memberships only between a
person and an organisation the viewer sees; a person's or an organisation's page prints no related
object its reader may not see; switching a grant off changes the pages without code."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from opentto.core import permissions
from opentto.core.models import AuditEvent, Grant
from opentto.organisations.models import Membership, Organisation, Person
from opentto.organisations.services import organisation_create, person_create

pytestmark = pytest.mark.django_db


def client_for(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    "who, sees, adds, contact",
    [
        ("anonymous", False, False, False),
        ("admin_user", True, True, True),
        ("manager", True, True, True),
        ("inventor", True, False, False),
        ("enterprise_user", True, False, False),
        ("reviewer", True, False, False),
        ("official", True, False, False),
        ("investor", True, False, False),
    ],
)
def test_default_directory_grants(request, who, sees, adds, contact, university, researcher):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    assert Organisation.objects.restrict(user, "view").filter(pk=university.pk).exists() is sees
    assert Person.objects.restrict(user, "view").filter(pk=researcher.pk).exists() is sees
    assert (
        Membership.objects.restrict(user, "view")
        .filter(person=researcher, organisation=university)
        .exists()
        is sees
    )
    assert permissions.permitted(user, Organisation, "add") is adds
    assert permissions.permitted(user, Person, "add") is adds
    assert permissions.allows(user, researcher, "view_email") is contact


def test_a_membership_is_not_shown_when_its_organisation_is_not(
    enterprise_user, researcher, university
):
    """A person's page names no organisation its reader may not see (and the list, its filter)."""
    url = reverse("organisations:person", args=[researcher.pk])
    assert university.name in client_for(enterprise_user).get(url).content.decode()
    # the enterprise user now sees only their own organisation
    Grant.objects.filter(
        role="enterprise", object_type="organisations.organisation", constraint="own_organisation"
    ).update(actions=["express_interest", "post_demand", "view"])
    Grant.objects.filter(
        role="enterprise", object_type="organisations.organisation", constraint="all"
    ).update(enabled=False)
    permissions.clear_grant_cache(enterprise_user)
    assert (
        client_for(enterprise_user)
        .get(reverse("organisations:detail", args=[university.pk]))
        .status_code
        == 404
    )
    body = client_for(enterprise_user).get(url).content.decode()
    assert (
        researcher.name in body and university.name not in body and university.name_zh not in body
    )
    listing = client_for(enterprise_user).get(reverse("organisations:people")).content.decode()
    assert researcher.name in listing and university.name not in listing


def test_a_persons_page_lists_only_the_results_its_reader_may_see(
    enterprise_user, inventor, researcher, onboarded, confidential_result
):
    url = reverse("organisations:person", args=[researcher.pk])
    response = client_for(enterprise_user).get(url)
    assert [r.pk for r in response.context["results"]] == [onboarded.pk]
    assert (
        "Confidential chip packaging" not in response.content.decode()
        and "保密的芯片封装工艺" not in response.content.decode()
    )
    assert {r.pk for r in client_for(inventor).get(url).context["results"]} == {
        onboarded.pk,
        confidential_result.pk,
    }


def test_switching_the_directory_off_for_a_role_hides_it(reviewer, university, researcher):
    Grant.objects.filter(
        role="reviewer", object_type__in=["organisations.organisation", "organisations.person"]
    ).update(enabled=False)
    client = client_for(reviewer)
    assert client.get(reverse("organisations:detail", args=[university.pk])).status_code == 404
    assert client.get(reverse("organisations:person", args=[researcher.pk])).status_code == 404
    assert list(client.get(reverse("organisations:list")).context["page"].object_list) == []
    assert list(client.get(reverse("organisations:people")).context["page"].object_list) == []


def test_adding_and_reading_e_mail_follow_their_actions(manager, university, researcher):
    researcher.email = "li.ming@example.edu"
    researcher.save()
    Grant.objects.filter(
        role="manager", object_type="organisations.person", constraint="all"
    ).update(actions=["view"])
    Grant.objects.filter(
        role="manager", object_type="organisations.organisation", constraint="all"
    ).update(actions=["view"])
    permissions.clear_grant_cache(manager)
    client = client_for(manager)
    assert (
        "li.ming@example.edu"
        not in client.get(reverse("organisations:person", args=[researcher.pk])).content.decode()
    )
    before = (Organisation.objects.count(), Person.objects.count(), AuditEvent.objects.count())
    assert client.get(reverse("organisations:list")).context["can_create"] is False
    assert (
        client.post(
            reverse("organisations:create"), {"name_en": "X", "kind": "enterprise"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("organisations:person_create"),
            {"name_en": "Y", "organisation": university.pk, "role": "researcher"},
        ).status_code
        == 403
    )
    with pytest.raises(PermissionError):
        organisation_create(kind="enterprise", name_en="X", actor=manager)
    with pytest.raises(PermissionError):
        person_create(name_en="Y", actor=manager)
    assert (
        Organisation.objects.count(),
        Person.objects.count(),
        AuditEvent.objects.count(),
    ) == before


def test_the_migration_adds_the_new_actions_to_older_default_rows():
    module = importlib.import_module(
        "opentto.organisations.migrations.0005_directory_grant_actions"
    )
    Grant.objects.filter(
        object_type="organisations.person", role="manager", constraint="all"
    ).update(actions=["view"])
    Grant.objects.filter(
        object_type="organisations.organisation", role="admin", constraint="all"
    ).update(actions=["view"], enabled=False)
    module.add_actions(apps, SimpleNamespace(connection=SimpleNamespace(alias="default")))
    person = Grant.objects.get(object_type="organisations.person", role="manager", constraint="all")
    organisation = Grant.objects.get(
        object_type="organisations.organisation", role="admin", constraint="all"
    )
    assert person.actions == ["add", "view", "view_email"]
    assert (organisation.actions, organisation.enabled) == (
        ["add", "view"],
        False,
    )  # switched off stays off
    assert Grant.objects.get(
        object_type="organisations.person", role="inventor", constraint="all"
    ).actions == ["view"]
