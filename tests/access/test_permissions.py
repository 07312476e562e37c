"""Access requests and grants, the access log, people's private data, the grants table and audit
entries through their grants: who sees what, a disabled grant takes it away, refusals change
nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from opentto.access.models import AccessGrant, AccessRequest
from opentto.access.privacy import can_see_private_data, person_export, person_record_consent
from opentto.access.selectors import audit_events_visible, result_access_log
from opentto.access.services import (
    access_request_approve,
    access_request_create,
    access_request_withdraw,
)
from opentto.core.audit import audit_record
from opentto.core.models import AuditEvent, Grant
from opentto.core.permissions import allows, clear_grant_cache, permitted, users_permitted
from opentto.notifications.models import Notification
from opentto.results.models import Result

from ..security.helpers import client_for, in_days, pdf

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


@pytest.fixture
def asked(enterprise_user, onboarded):
    return _ask(
        enterprise_user,
        onboarded,
        nda_kind="signed_upload",
        accept_nda=False,
        nda_file=pdf("signed-nda.pdf"),
    )


@pytest.mark.parametrize(
    "who, sees, decides",
    [
        (None, False, False),
        ("admin_user", True, True),
        ("manager", True, True),
        ("inventor", False, False),
        ("other_inventor", False, False),
        ("enterprise_user", True, False),
        ("reviewer", False, False),
        ("official", False, False),
        ("investor", False, False),
    ],
)
def test_access_requests_are_the_requesters_and_the_tto(request, who, sees, decides, asked):
    user = request.getfixturevalue(who) if who else AnonymousUser()
    assert AccessRequest.objects.restrict(user, "view").filter(pk=asked.pk).exists() is sees
    assert AccessRequest.objects.restrict(user, "decide").filter(pk=asked.pk).exists() is decides
    assert allows(user, asked, "withdraw") is (who == "enterprise_user")
    nda = client_for(user if who else None).get(reverse("accounts:access_nda", args=[asked.pk]))
    assert nda.status_code == (200 if sees else (302 if who is None else 404))


def test_a_request_never_outruns_its_result(enterprise_user, manager, asked, onboarded):
    Result.objects.filter(pk=onboarded.pk).update(is_public=False)
    assert not AccessRequest.objects.restrict(enterprise_user, "view").exists()
    page = client_for(enterprise_user).get(reverse("accounts:access")).content.decode()
    assert "Generalisable robot-arm control" not in page
    assert AccessRequest.objects.restrict(manager, "view").filter(pk=asked.pk).exists()


def test_only_those_who_may_ask_ask(
    inventor, reviewer, official, enterprise_user, investor, onboarded, confidential_result
):
    assert [
        permitted(u, Result, "request_access")
        for u in (inventor, reviewer, official, enterprise_user, investor)
    ] == [False, False, False, True, True]
    assert allows(enterprise_user, onboarded, "request_access")
    assert not allows(enterprise_user, confidential_result, "request_access")  # not visible
    for user in (inventor, reviewer):
        assert (
            client_for(user)
            .get(reverse("accounts:access_request", args=[onboarded.pk]))
            .status_code
            == 403
        )
    # Switched off: the button and the page go, and the service refuses; nothing is stored.
    Grant.objects.filter(
        role="enterprise", object_type="results.result", constraint="requestable"
    ).update(enabled=False)
    clear_grant_cache(enterprise_user)
    assert (
        client_for(enterprise_user)
        .get(reverse("accounts:access_request", args=[onboarded.pk]))
        .status_code
        == 403
    )
    assert (
        "Ask for access under NDA"
        not in client_for(enterprise_user)
        .get(reverse("results:detail", args=[onboarded.pk]))
        .content.decode()
    )
    with pytest.raises(PermissionError):
        _ask(enterprise_user, onboarded)
    assert not AccessRequest.objects.exists()


def test_requests_notify_those_who_decide(
    manager, admin_user, enterprise_user, official, onboarded
):
    assert set(users_permitted(AccessRequest, "decide")) == {manager, admin_user}
    item = _ask(enterprise_user, onboarded)
    assert set(
        Notification.objects.filter(kind="access.request").values_list(
            "recipient__username", flat=True
        )
    ) == {"manager", "admin"}
    # The TTO's decide grant switched off: they are not told, and may not decide.
    Grant.objects.filter(role="manager", object_type="access.accessrequest").update(enabled=False)
    assert set(users_permitted(AccessRequest, "decide")) == {admin_user}
    before = AuditEvent.objects.count()
    response = client_for(manager).post(
        reverse("accounts:access_decide", args=[item.pk]),
        {"decision": "approve", "expires_on": in_days(10).isoformat()},
    )
    assert response.status_code == 404
    item.refresh_from_db()
    assert (
        item.status == "pending"
        and not AccessGrant.objects.exists()
        and AuditEvent.objects.count() == before
    )


def test_withdrawing_is_the_requesters(enterprise_user, investor, manager, asked):
    before = AuditEvent.objects.count()
    for user, status in ((investor, 404), (manager, 403)):  # the TTO sees the request: 403
        with pytest.raises(PermissionError):
            access_request_withdraw(access_request=asked, actor=user)
        assert (
            client_for(user).post(reverse("accounts:access_withdraw", args=[asked.pk])).status_code
            == status
        )
    asked.refresh_from_db()
    assert asked.status == "pending" and AuditEvent.objects.count() == before
    assert (
        client_for(enterprise_user)
        .post(reverse("accounts:access_withdraw", args=[asked.pk]))
        .status_code
        == 302
    )
    asked.refresh_from_db()
    assert asked.status == "withdrawn"


def test_a_request_or_grant_seen_but_not_acted_on_answers_403_one_not_seen_404(
    enterprise_user, investor, inventor, manager, asked
):
    grant = access_request_approve(access_request=asked, expires_on=in_days(30), actor=manager)
    before = AuditEvent.objects.count()
    revoke = reverse("accounts:access_revoke", args=[grant.pk])
    # The requester sees their grant, the owning organisation's inventor too (with whom their result is shared): 403.
    for user, status in ((enterprise_user, 403), (inventor, 403), (investor, 404)):
        assert client_for(user).post(revoke).status_code == status
    # The requester sees their request but does not decide it.
    decide = reverse("accounts:access_decide", args=[asked.pk])
    for user, status in ((enterprise_user, 403), (inventor, 404), (investor, 404)):
        assert (
            client_for(user).post(decide, {"decision": "reject", "note": "no"}).status_code
            == status
        )
    grant.refresh_from_db()
    asked.refresh_from_db()
    assert (
        grant.revoked_at is None
        and asked.status == "approved"
        and AuditEvent.objects.count() == before
    )
    assert client_for(manager).post(revoke).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == manager


def test_access_list_shows_each_user_theirs(enterprise_user, investor, manager, inventor, asked):
    page = client_for(enterprise_user).get(reverse("accounts:access")).content.decode()
    assert (
        "Generalisable robot-arm control" in page and "Withdraw" in page and "Approve" not in page
    )
    staff = client_for(manager).get(reverse("accounts:access")).content.decode()
    assert "Approve" in staff and "enterprise" in staff
    for user in (investor, inventor):
        other = client_for(user).get(reverse("accounts:access"))
        assert (
            other.status_code == 200
            and "Generalisable robot-arm control" not in other.content.decode()
        )


# --- Who looked at this result -----------------------------------------------------------------


def test_access_log_and_shares_are_for_those_who_read_the_log(
    inventor, other_inventor, manager, enterprise_user, asked, onboarded
):
    access_request_approve(access_request=asked, expires_on=in_days(30), actor=manager)
    client_for(enterprise_user).get(reverse("results:detail", args=[onboarded.pk]))
    assert [e.actor for e in result_access_log(inventor, onboarded)] == [enterprise_user]
    assert result_access_log(other_inventor, onboarded) == []
    assert AccessGrant.objects.restrict(inventor, "view").count() == 1
    assert AccessGrant.objects.restrict(other_inventor, "view").count() == 0
    # The owners' log grant switched off: the panel goes, and so do the entries and the shares.
    Grant.objects.filter(
        role="inventor", object_type="results.result", constraint="own_organisation"
    ).update(actions=["view", "view_details", "figures", "add", "submit", "withdraw"])
    clear_grant_cache(inventor)
    assert result_access_log(inventor, onboarded) == []
    assert AccessGrant.objects.restrict(inventor, "view").count() == 0
    page = client_for(inventor).get(reverse("results:detail", args=[onboarded.pk])).content.decode()
    assert "Who looked at this result" not in page and "Shared under NDA with" not in page


def test_audit_entries_by_grant(
    inventor, other_inventor, manager, enterprise_user, onboarded, confidential_result
):
    audit_record(actor=enterprise_user, action="result.view_details", obj=onboarded)
    audit_record(actor=manager, action="result.view_details", obj=confidential_result)
    own_login = audit_record(actor=other_inventor, action="user.login", obj=other_inventor)
    everything = set(AuditEvent.objects.values_list("pk", flat=True))
    assert set(audit_events_visible(manager).values_list("pk", flat=True)) == everything
    about_results = set(
        AuditEvent.objects.filter(object_type="results.result").values_list("pk", flat=True)
    )
    assert about_results <= set(audit_events_visible(inventor).values_list("pk", flat=True))
    assert set(audit_events_visible(other_inventor).values_list("pk", flat=True)) == {own_login.pk}
    assert not audit_events_visible(AnonymousUser()).exists()
    assert permitted(manager, AuditEvent, "export", every_row=True) and not permitted(
        inventor, AuditEvent, "export"
    )


def test_metrics_are_for_those_who_read_every_audit_entry(manager, inventor, official):
    assert client_for(manager).get("/metrics").status_code == 200
    for user in (inventor, official, None):
        assert client_for(user).get("/metrics").status_code == 404
    Grant.objects.filter(role="manager", object_type="core.auditevent", constraint="all").update(
        enabled=False
    )
    assert client_for(manager).get("/metrics").status_code == 404


# --- People's private data ----------------------------------------------------------------------


def test_private_data_is_for_those_who_pay_inventors(
    researcher, manager, inventor, enterprise_user
):
    url = reverse("accounts:person_private", args=[researcher.pk])
    assert can_see_private_data(manager) and can_see_private_data(manager, researcher)
    assert not can_see_private_data(inventor) and not can_see_private_data(inventor, researcher)
    for user in (inventor, enterprise_user):
        assert client_for(user).get(url).status_code == 404
    assert client_for(manager).get(url).status_code == 200
    Grant.objects.filter(
        role="manager", object_type="organisations.person", constraint="all"
    ).update(actions=["view", "manage_consent", "export_data"])
    before = AuditEvent.objects.count()
    assert client_for(manager).post(url, {"action": "reveal"}).status_code == 404
    assert AuditEvent.objects.count() == before


def test_consent_and_export_are_the_persons_own(researcher, second_researcher, inventor, manager):
    person_record_consent(person=researcher, actor=inventor)  # the inventor is this person
    with pytest.raises(PermissionError):
        person_record_consent(person=second_researcher, actor=inventor)
    data = person_export(person=researcher, actor=inventor)
    assert [c["action"] for c in data["consents"]] == ["person.consent"]
    assert data["inventorships"] == []
    with pytest.raises(PermissionError):
        person_export(person=second_researcher, actor=inventor)
    assert (
        person_export(person=second_researcher, actor=manager)["person"]["id"]
        == second_researcher.pk
    )


def test_export_names_only_results_the_actor_sees(researcher, inventor, manager, other_university):
    from opentto.results.services import result_onboard

    from ..conftest import result_input

    hidden = result_onboard(
        data=result_input(
            [other_university],
            [(researcher, "100")],
            title_zh="别校保密成果",
            title_en="Other secret",
            is_public=False,
            ip_assets=[],
        ),
        actor=manager,
    )
    data = person_export(person=researcher, actor=inventor)
    assert data["inventorships"] == [
        {"result_id": hidden.pk, "title_zh": "", "title_en": "", "share": "100.00"}
    ]
    assert (
        person_export(person=researcher, actor=manager)["inventorships"][0]["title_zh"]
        == "别校保密成果"
    )


def test_grants_table_is_for_those_granted_it(manager, inventor):
    assert client_for(manager).get(reverse("accounts:grants")).status_code == 200
    assert client_for(inventor).get(reverse("accounts:grants")).status_code == 404
    Grant.objects.filter(role="manager", object_type="core.grant").update(enabled=False)
    assert client_for(manager).get(reverse("accounts:grants")).status_code == 404
