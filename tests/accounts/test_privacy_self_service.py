"""PIPL self-service: a person sees the consents recorded for them, gives and withdraws consent
(audited), exports their data; the person page links to the private details only for the roles
that pay inventors."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from opentto.access.privacy import person_record_consent, person_set_private_data
from opentto.core.models import AuditEvent
from opentto.organisations.models import Person

from ..security.helpers import client_for, in_days

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


def test_the_privacy_page_needs_a_sign_in():
    response = Client().get("/en/account/privacy/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    before = AuditEvent.objects.count()
    assert Client().post("/en/account/privacy/", {"action": "give"}).status_code == 302
    assert AuditEvent.objects.count() == before


def test_a_person_gives_and_withdraws_consent_and_sees_the_record(inventor, researcher, manager):
    client = client_for(inventor)
    page = client.get("/en/account/privacy/")
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        "not given" in body
        and "No consent has been recorded for you." in body
        and "I give my consent" in body
    )

    response = client.post("/en/account/privacy/", {"action": "give"})
    assert response.status_code == 302 and response["Location"] == "/en/account/privacy/"
    person = Person.objects.get(pk=researcher.pk)
    assert person.consent_given_at is not None and person.consent_version == "2026-11"
    event = AuditEvent.objects.get(action="person.consent", object_id=str(researcher.pk))
    assert event.actor_id == inventor.pk

    # The TTO stores the details under that consent; the person then withdraws it.
    person_set_private_data(
        person=person,
        id_number=ID,
        bank_name="中国银行",
        bank_account="622202020011223344",
        retain_until=in_days(30),
        actor=manager,
    )
    body = client.get("/en/account/privacy/").content.decode()
    assert (
        "Given on" in body
        and "Consent given (version 2026-11)" in body
        and "Withdraw my consent" in body
        and "You</td>" in body
    )
    client.post("/en/account/privacy/", {"action": "withdraw"})
    person.refresh_from_db()
    assert (
        person.consent_given_at is None
        and person.id_number_encrypted == ""
        and person.bank_account_encrypted == ""
    )
    assert (
        AuditEvent.objects.filter(
            action="person.withdraw_consent", object_id=str(researcher.pk), actor=inventor
        ).count()
        == 1
    )
    body = client.get("/en/account/privacy/").content.decode()
    assert "Consent withdrawn" in body and "I give my consent" in body


def test_consent_recorded_by_the_tto_is_shown_as_such_and_in_chinese(inventor, researcher, manager):
    person_record_consent(person=researcher, actor=manager)
    page = client_for(inventor).get("/zh-hans/account/privacy/")
    assert page.status_code == 200 and 'lang="zh-Hans"' in page.content.decode()
    body = client_for(inventor).get("/en/account/privacy/").content.decode()
    assert "The TTO, from your signed form" in body


def test_a_user_without_a_person_record_has_nothing_to_consent_to(enterprise_user):
    client = client_for(enterprise_user)
    body = client.get("/en/account/privacy/").content.decode()
    assert "not linked to a person record" in body and "Download my data" in body
    before = AuditEvent.objects.count()
    assert client.post("/en/account/privacy/", {"action": "give"}).status_code == 400
    assert AuditEvent.objects.count() == before


def test_an_unknown_action_changes_nothing(inventor, researcher):
    before = AuditEvent.objects.count()
    assert client_for(inventor).post("/en/account/privacy/", {"action": "erase"}).status_code == 400
    assert (
        AuditEvent.objects.count() == before
        and Person.objects.get(pk=researcher.pk).consent_given_at is None
    )


def test_the_export_carries_the_consent_history(inventor, researcher):
    client = client_for(inventor)
    client.post("/en/account/privacy/", {"action": "give"})
    client.post("/en/account/privacy/", {"action": "withdraw"})
    response = client.post("/en/account/my-data/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert [c["action"] for c in data["consents"]] == ["person.consent", "person.withdraw_consent"]
    assert data["consents"][0]["version"] == "2026-11" and data["person"]["id"] == researcher.pk


@pytest.mark.parametrize(
    "who, linked",
    [
        ("admin_user", True),
        ("manager", True),
        ("inventor", False),
        ("other_inventor", False),
        ("enterprise_user", False),
        ("reviewer", False),
        ("official", False),
        ("investor", False),
    ],
)
def test_the_person_page_links_to_the_private_details_only_for_payers(
    request, who, linked, researcher
):
    client = client_for(request.getfixturevalue(who))
    page = client.get(f"/en/organisations/people/{researcher.pk}/")
    assert page.status_code == 200
    private_url = f"/en/account/people/{researcher.pk}/private/"
    assert (private_url in page.content.decode()) is linked
    # ... and the link's target agrees.
    assert client.get(private_url).status_code == (200 if linked else 404)
