"""NDA access: an enterprise asks, the TTO approves with an expiry, access ends when it expires;
every view is recorded and the owners see who looked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from opentto.access.models import AccessGrant, AccessRequest
from opentto.access.services import (
    access_grant_revoke,
    access_request_approve,
    access_request_create,
    access_request_reject,
)
from opentto.core.models import AuditEvent
from opentto.notifications.models import Notification
from opentto.results.models import Result

from .helpers import client_for, in_days, pdf

pytestmark = pytest.mark.django_db


def _ask(user, result, **kw):
    return access_request_create(
        result=result,
        purpose="Evaluate a licence",
        nda_kind=kw.pop("nda_kind", "click_through"),
        accept_nda=kw.pop("accept_nda", True),
        actor=user,
        **kw,
    )


def test_enterprise_asks_manager_approves_access_ends_at_expiry(
    enterprise_user, manager, onboarded
):
    assert (
        not Result.objects.restrict(enterprise_user, "view_details")
        .filter(pk=onboarded.pk)
        .exists()
    )
    item = _ask(enterprise_user, onboarded)
    assert item.status == "pending" and item.nda_version
    assert Notification.objects.filter(recipient=manager, kind="access.request").exists()
    grant = access_request_approve(access_request=item, expires_on=in_days(30), actor=manager)
    assert Result.objects.restrict(enterprise_user, "view_details").filter(pk=onboarded.pk).exists()
    page = client_for(enterprise_user).get(f"/en/results/{onboarded.pk}/").content.decode()
    assert "Policy network architecture" in page and "Shared with you under an NDA until" in page
    # Expired: gone, without anyone doing anything.
    AccessGrant.objects.filter(pk=grant.pk).update(
        granted_at=timezone.now() - timedelta(days=40),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert (
        not Result.objects.restrict(enterprise_user, "view_details")
        .filter(pk=onboarded.pk)
        .exists()
    )
    page = client_for(enterprise_user).get(f"/en/results/{onboarded.pk}/").content.decode()
    assert "Policy network architecture" not in page


def test_nda_shares_a_confidential_result_and_revocation_ends_it(
    enterprise_user, manager, confidential_result
):
    # The TTO shares a confidential result: the enterprise cannot ask for what it cannot see …
    with pytest.raises(PermissionError):
        _ask(enterprise_user, confidential_result)
    # … but a grant made by the TTO (here through a request row) makes it visible, details included.
    item = AccessRequest.objects.create(
        result=confidential_result, requester=enterprise_user, purpose="x", nda_kind="signed_upload"
    )
    grant = access_request_approve(access_request=item, expires_on=in_days(10), actor=manager)
    client = client_for(enterprise_user)
    assert client.get(f"/en/results/{confidential_result.pk}/").status_code == 200
    assert (
        "secret parameter X9"
        in client.get(f"/en/results/{confidential_result.pk}/").content.decode()
    )
    assert "Confidential chip packaging" in client.get("/en/results/").content.decode()
    access_grant_revoke(grant=grant, actor=manager)
    assert client.get(f"/en/results/{confidential_result.pk}/").status_code == 404
    assert "Confidential chip packaging" not in client.get("/en/results/").content.decode()


def test_only_requesters_ask_and_only_staff_decide(
    inventor, reviewer, enterprise_user, manager, onboarded
):
    for user in (inventor, reviewer):
        with pytest.raises(PermissionError):
            _ask(user, onboarded)
    item = _ask(enterprise_user, onboarded)
    with pytest.raises(PermissionError):
        access_request_approve(access_request=item, expires_on=in_days(5), actor=enterprise_user)
    # the requester sees the request but may not decide it: 403
    assert (
        client_for(enterprise_user)
        .post(
            f"/en/account/access/{item.pk}/decide/",
            {"decision": "approve", "expires_on": in_days(5)},
        )
        .status_code
        == 403
    )
    assert (
        AccessRequest.objects.get(pk=item.pk).status == "pending"
        and not AccessGrant.objects.exists()
    )


def test_validation_is_keyed_by_field(enterprise_user, manager, onboarded):
    with pytest.raises(ValidationError) as exc:
        access_request_create(
            result=onboarded,
            purpose="",
            nda_kind="click_through",
            accept_nda=False,
            actor=enterprise_user,
        )
    assert set(exc.value.message_dict) == {"purpose", "accept_nda"}
    with pytest.raises(ValidationError) as exc:
        access_request_create(
            result=onboarded,
            purpose="x",
            nda_kind="signed_upload",
            actor=enterprise_user,
            nda_file=SimpleUploadedFile("nda.pdf", b"MZ\x90\x00 not a pdf"),
        )
    assert "nda_file" in exc.value.message_dict
    item = _ask(enterprise_user, onboarded)
    with pytest.raises(ValidationError) as exc:
        _ask(enterprise_user, onboarded)
    assert "already asked" in exc.value.messages[0]
    for bad in (None, timezone.localdate(), in_days(400)):
        with pytest.raises(ValidationError) as exc:
            access_request_approve(access_request=item, expires_on=bad, actor=manager)
        assert "expires_on" in exc.value.message_dict
    with pytest.raises(ValidationError):
        access_request_reject(access_request=item, note="  ", actor=manager)
    assert AccessRequest.objects.get(pk=item.pk).status == "pending"
    access_request_reject(access_request=item, note="Not now", actor=manager)
    with pytest.raises(ValidationError):
        access_request_approve(access_request=item, expires_on=in_days(3), actor=manager)


def test_request_page_with_uploaded_signed_nda(enterprise_user, manager, other_inventor, onboarded):
    client = client_for(enterprise_user)
    page = client.get(f"/en/results/{onboarded.pk}/").content.decode()
    assert "Ask for access under NDA" in page
    response = client.get(f"/en/account/access/request/{onboarded.pk}/")
    assert response.status_code == 200 and "Non-disclosure agreement" in response.content.decode()
    response = client.post(
        f"/en/account/access/request/{onboarded.pk}/",
        {
            "purpose": "Licence",
            "nda_kind": "signed_upload",
            "nda_file": pdf("../../etc/signed nda.pdf"),
        },
    )
    assert response.status_code == 302
    item = AccessRequest.objects.get()
    assert (
        item.nda_file_name == "signed nda.pdf"
        and item.nda_file.name.startswith("nda/")
        and "signed" not in item.nda_file.name
    )
    # The signed NDA: for the requester and the TTO, nobody else.
    assert client.get(f"/en/account/access/{item.pk}/nda/").status_code == 200
    assert client_for(other_inventor).get(f"/en/account/access/{item.pk}/nda/").status_code == 404
    staff = client_for(manager)
    download = staff.get(f"/en/account/access/{item.pk}/nda/")
    assert (
        download.status_code == 200
        and download["X-Content-Type-Options"] == "nosniff"
        and "attachment" in download["Content-Disposition"]
    )
    assert AuditEvent.objects.filter(action="access.nda_download").count() == 2
    listing = staff.get("/en/account/access/").content.decode()
    assert "Licence" in listing
    response = staff.post(
        f"/en/account/access/{item.pk}/decide/",
        {"decision": "approve", "expires_on": in_days(20).isoformat(), "note": "ok"},
    )
    assert response.status_code == 302
    assert AccessGrant.objects.get().expires_at.date() == in_days(20)


def test_owners_see_who_looked_others_do_not(
    inventor, other_inventor, manager, enterprise_user, onboarded
):
    item = _ask(enterprise_user, onboarded)
    access_request_approve(access_request=item, expires_on=in_days(30), actor=manager)
    client_for(enterprise_user, REMOTE_ADDR="203.0.113.50").get(f"/en/results/{onboarded.pk}/")
    event = AuditEvent.objects.filter(action="result.view_details", actor=enterprise_user).get()
    assert event.remote_addr == "203.0.113.50" and event.object_id == str(onboarded.pk)
    owner_page = client_for(inventor).get(f"/en/results/{onboarded.pk}/").content.decode()
    assert (
        "Who looked at this result" in owner_page
        and "203.0.113.50" in owner_page
        and "enterprise" in owner_page
    )
    assert (
        "Who looked at this result"
        in client_for(manager).get(f"/en/results/{onboarded.pk}/").content.decode()
    )
    for outsider in (other_inventor, enterprise_user):
        page = client_for(outsider).get(f"/en/results/{onboarded.pk}/").content.decode()
        assert "Who looked at this result" not in page and "203.0.113.50" not in page


def test_revoking_through_the_page_for_every_kind_of_user(
    enterprise_user, inventor, manager, onboarded
):
    """Only the TTO revokes, by POST; the grant holder and the owners, who see the grant, get 403
    and change nothing; a second revocation is a message, not a second event."""
    grant = access_request_approve(
        access_request=_ask(enterprise_user, onboarded), expires_on=in_days(30), actor=manager
    )
    url = f"/en/account/access/grants/{grant.pk}/revoke/"
    before = AuditEvent.objects.count()
    response = client_for().post(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    for user in (enterprise_user, inventor):
        assert client_for(user).post(url).status_code == 403
    staff = client_for(manager)
    assert staff.get(url).status_code == 405
    grant.refresh_from_db()
    assert grant.revoked_at is None and AuditEvent.objects.count() == before
    page = staff.post(url, follow=True)
    assert page.status_code == 200 and "Access revoked." in page.content.decode()
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == manager
    assert list(
        AuditEvent.objects.filter(action="access.revoke").values_list("object_id", flat=True)
    ) == [str(grant.pk)]
    again = staff.post(url, follow=True)
    assert "This access has already been revoked." in again.content.decode()
    assert AuditEvent.objects.filter(action="access.revoke").count() == 1
    assert (
        client_for(manager).post("/en/account/access/grants/2000000000/revoke/").status_code == 404
    )
