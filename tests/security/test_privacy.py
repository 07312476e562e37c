"""Personal data under PIPL: encrypted at rest, masked, revealed only to payers (recorded),
consent, export, retention and erasure that keeps the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from opentto.access.privacy import (
    person_erase,
    person_export,
    person_private_data,
    person_record_consent,
    person_set_private_data,
    person_withdraw_consent,
    personal_data_purge_expired,
    validate_id_number,
)
from opentto.accounts.models import User
from opentto.core.audit import audit_verify
from opentto.core.models import AuditEvent
from opentto.organisations.models import Person

from .helpers import client_for, in_days

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"
ACCOUNT = "6222020200112233445"


def _store(person, manager):
    person_record_consent(person=person, actor=manager)
    return person_set_private_data(
        person=person,
        id_number=ID.lower(),
        bank_name="中国工商银行",
        bank_account="6222 0202 0011 2233 445",
        retain_until=in_days(365),
        actor=manager,
    )


def test_id_number_check_character():
    assert validate_id_number(ID.lower()) == ID
    with pytest.raises(ValidationError):
        validate_id_number("110105194912310021")
    with pytest.raises(ValidationError):
        validate_id_number("1234")


def test_encrypted_at_rest_and_masked(researcher, manager):
    _store(researcher, manager)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number_encrypted, bank_account_encrypted FROM organisations_person WHERE id = %s",
            [researcher.pk],
        )
        raw = " ".join(cursor.fetchone())
    assert ID not in raw and ACCOUNT not in raw and "1231" not in raw
    masked = person_private_data(Person.objects.get(pk=researcher.pk))
    assert (
        masked["id_number"] == "*" * 14 + "002X"
        and masked["bank_account"].endswith("3445")
        and masked["bank_account"].startswith("*")
    )
    # The audit trail records that data changed, never the data.
    payloads = " ".join(
        str(e.payload) for e in AuditEvent.objects.filter(object_type="organisations.person")
    )
    assert ID not in payloads and ACCOUNT not in payloads


def test_consent_is_needed_first(researcher, manager):
    with pytest.raises(ValidationError) as exc:
        person_set_private_data(
            person=researcher,
            id_number=ID,
            bank_name="",
            bank_account="",
            retain_until=None,
            actor=manager,
        )
    assert "consent" in exc.value.messages[0]
    assert Person.objects.get(pk=researcher.pk).id_number_encrypted == ""


def test_only_payers_see_and_reveals_are_recorded(
    researcher, manager, inventor, enterprise_user, official
):
    _store(researcher, manager)
    url = f"/en/account/people/{researcher.pk}/private/"
    for outsider in (inventor, enterprise_user, official):
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(outsider).post(url, {"action": "reveal"}).status_code == 404
    assert client_for(None).get(url).status_code == 302
    client = client_for(manager)
    page = client.get(url).content.decode()
    assert "002X" in page and ID not in page
    page = client.post(url, {"action": "reveal"}).content.decode()
    assert ID in page and ACCOUNT in page
    assert (
        AuditEvent.objects.filter(
            action="person.reveal_private_data", actor=manager, object_id=str(researcher.pk)
        ).count()
        == 1
    )
    with pytest.raises(PermissionError):
        person_set_private_data(
            person=researcher,
            id_number="",
            bank_name="",
            bank_account="",
            retain_until=None,
            actor=inventor,
        )


def test_form_errors_are_keyed_and_nothing_is_saved(researcher, manager):
    person_record_consent(person=researcher, actor=manager)
    response = client_for(manager).post(
        f"/en/account/people/{researcher.pk}/private/",
        {"action": "save", "id_number": "110105194912310021", "bank_account": "12"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "check character is wrong" in body and "12 to 30 digits" in body
    assert Person.objects.get(pk=researcher.pk).id_number_encrypted == ""


def test_person_exports_their_data(researcher, manager, inventor, other_inventor):
    _store(researcher, manager)
    data = person_export(person=researcher, actor=inventor)
    assert data["person"]["id_number"] == ID and data["person"]["name_en"] == "Li Ming"
    assert data["memberships"] and data["user"]["username"] == "inventor"
    with pytest.raises(PermissionError):
        person_export(person=researcher, actor=other_inventor)


def test_withdrawing_consent_erases_the_sensitive_data(researcher, manager, inventor):
    _store(researcher, manager)
    person_withdraw_consent(person=researcher, actor=inventor)
    person = Person.objects.get(pk=researcher.pk)
    assert (
        person.consent_given_at is None
        and person.id_number_encrypted == ""
        and person.bank_account_encrypted == ""
    )


def test_erasure_keeps_the_audit_trail_intact(researcher, manager, inventor, onboarded):
    _store(researcher, manager)
    events_before = AuditEvent.objects.count()
    person_erase(person=researcher, actor=manager)
    person = Person.objects.get(pk=researcher.pk)
    assert (
        person.name_en == f"Erased person #{person.pk}" and person.email == "" and person.erased_at
    )
    assert person.inventorships.count() == 1  # the result keeps its inventor share
    assert not User.objects.get(pk=inventor.pk).is_active
    assert AuditEvent.objects.count() == events_before + 1
    assert audit_verify().ok
    with pytest.raises(ValidationError):
        person_erase(person=person, actor=manager)


def test_retention_purges_expired_details(researcher, manager):
    _store(researcher, manager)
    Person.objects.filter(pk=researcher.pk).update(private_data_retain_until=in_days(-1))
    assert personal_data_purge_expired() == 1
    person = Person.objects.get(pk=researcher.pk)
    assert person.id_number_encrypted == "" and person.name_en == "Li Ming"
    assert AuditEvent.objects.filter(action="person.purge_private_data").count() == 1
