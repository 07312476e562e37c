"""A unified social credit code is refused only when the organisation that has it is one the user
may see. A manager whose grants hide an organisation (a constraint an admin may set up) who adds
one with the same code is not refused and not told: it is stored ``is_held`` (outside the code's
uniqueness) and held for the TTO; the form's redirect, the page and the API's answer are
byte-identical to those of a code that clashes with nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from opentto.accounts.models import User
from opentto.api.services import token_create
from opentto.clashes.models import ClashHold
from opentto.core.models import Grant
from opentto.core.permissions import register_constraint
from opentto.organisations.models import Organisation
from opentto.organisations.services import organisation_create
from tests.clashes.helpers import response_text, run_twice
from tests.imports.helpers import credit_code

pytestmark = pytest.mark.django_db

CODE = credit_code(4242)
#: Organisations hidden from the manager in these tests (the constraint reads it at query time).
HIDDEN: set[int] = set()
register_constraint(
    "organisations.organisation", "test_not_hidden", lambda user, model: ~Q(pk__in=sorted(HIDDEN))
)


@pytest.fixture
def narrowed_manager(manager: User) -> Any:
    """The manager sees every organisation except those in ``HIDDEN``."""
    Grant.objects.filter(role="manager", object_type="organisations.organisation").update(
        actions=["add"]
    )  # may still add organisations
    Grant.objects.create(
        role="manager",
        object_type="organisations.organisation",
        constraint="test_not_hidden",
        actions=["view"],
    )
    yield manager
    HIDDEN.clear()


def hidden_organisation(code: str) -> Organisation:
    organisation = organisation_create(
        kind="enterprise", name_zh="看不见的公司", credit_code=code, actor=None
    )
    HIDDEN.add(organisation.pk)
    return organisation


def _clash() -> Organisation:
    return hidden_organisation(CODE)


def _decoy() -> Organisation:
    return hidden_organisation(credit_code(777))


def _held(existing: Organisation) -> None:
    new = Organisation.objects.get(name_zh="新公司")
    hold = ClashHold.objects.get()
    assert (hold.kind, hold.held_id, hold.existing_id, hold.detail) == (
        "organisations.organisation",
        new.pk,
        existing.pk,
        {"credit_code": CODE},
    )
    assert new.is_held and not existing.is_held and new.credit_code == existing.credit_code == CODE


def _not_held(existing: Organisation) -> None:
    assert not ClashHold.objects.exists() and not Organisation.objects.get(name_zh="新公司").is_held


def test_the_form_answers_the_same_and_the_organisation_is_held(narrowed_manager: User) -> None:
    client = Client()
    client.force_login(narrowed_manager)

    def act() -> list[str]:
        response = client.post(
            reverse("organisations:create"),
            {"kind": "enterprise", "name_zh": "新公司", "credit_code": CODE},
        )
        return [response_text(response), response_text(client.get(response["Location"]))]

    with_clash, without = run_twice(
        clash=_clash,
        decoy=_decoy,
        act=act,
        ids=(Organisation,),
        check_clash=_held,
        check_decoy=_not_held,
    )
    assert with_clash[0].startswith("302") and "/en/organisations/9001/" in with_clash[0]
    assert "The organisation was added." in with_clash[1] and CODE in with_clash[1]
    assert with_clash == without


def test_the_api_answers_the_same_and_the_organisation_is_held(narrowed_manager: User) -> None:
    client = APIClient()
    _token, key = token_create(user=narrowed_manager, scope="write", actor=None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    def act() -> list[str]:
        return [
            response_text(
                client.post(
                    "/api/v1/organisations/",
                    {"kind": "enterprise", "name_zh": "新公司", "credit_code": CODE},
                    format="json",
                )
            )
        ]

    with_clash, without = run_twice(
        clash=_clash,
        decoy=_decoy,
        act=act,
        ids=(Organisation,),
        check_clash=_held,
        check_decoy=_not_held,
    )
    assert with_clash[0].startswith("201") and CODE in with_clash[0]
    assert with_clash == without


def test_a_code_the_user_may_see_is_still_refused(manager: User) -> None:
    organisation_create(kind="enterprise", name_zh="看得见的公司", credit_code=CODE, actor=None)
    client = Client()
    client.force_login(manager)
    response = client.post(
        reverse("organisations:create"),
        {"kind": "enterprise", "name_zh": "新公司", "credit_code": CODE},
    )
    assert (
        response.status_code == 422
        and "An organisation with this credit code already exists." in response.content.decode()
    )
    assert (
        not Organisation.objects.filter(name_zh="新公司").exists()
        and not ClashHold.objects.exists()
    )


def test_the_database_keeps_the_code_unique_among_organisations_not_held() -> None:
    Organisation.objects.create(kind="enterprise", name_zh="甲", credit_code=CODE)
    Organisation.objects.create(kind="enterprise", name_zh="乙", credit_code=CODE, is_held=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(kind="enterprise", name_zh="丙", credit_code=CODE)
