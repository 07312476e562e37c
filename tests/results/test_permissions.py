"""Results' grants: the parts of a result (IP assets, inventors, funding, timeline, attachments)
never outrun the result; the pipeline's edges and onboarding are actions the grants decide; a
disabled grant takes access away."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.urls import reverse

from opentto.core.models import AuditEvent, Grant
from opentto.core.permissions import allows, clear_grant_cache, permitted
from opentto.results.models import (
    Attachment,
    Funding,
    IPAsset,
    Result,
    ResultInventor,
    StageTransition,
)
from opentto.results.pipeline import TransitionError, available_transitions, result_transition
from opentto.results.services import (
    DuplicateResultError,
    FundingInput,
    result_onboard,
    result_update,
)

from ..conftest import result_input
from ..security.helpers import client_for, pdf

pytestmark = pytest.mark.django_db

PARTS = (IPAsset, ResultInventor, Funding, StageTransition)


@pytest.fixture
def with_parts(manager, university, researcher):
    """A public and a confidential result, each with an IP asset, an inventor, a funding, a
    timeline and an attachment."""
    public = result_onboard(
        data=result_input(
            [university], [(researcher, "100")], fundings=[FundingInput(programme="NSFC 62173001")]
        ),
        actor=manager,
        attachments=[pdf("public-claims.pdf")],
    )
    secret = result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh="保密的芯片封装工艺",
            title_en="Confidential chip packaging process",
            is_public=False,
            ip_assets=[],
            fundings=[FundingInput(programme="Secret programme 77")],
        ),
        actor=manager,
        attachments=[pdf("secret-claims.pdf")],
    )
    IPAsset.objects.create(
        result=secret, application_number="CN202310654321.X", ip_kind="invention"
    )
    return public, secret


def _results_of(model, user) -> set[int]:
    return set(model.objects.restrict(user, "view").values_list("result_id", flat=True))


@pytest.mark.parametrize(
    "who, ip_assets, signed_in_parts, attachments",
    [
        # (public result, confidential result) the user sees the parts of
        (None, (True, False), (False, False), (False, False)),
        ("manager", (True, True), (True, True), (True, True)),
        ("admin_user", (True, True), (True, True), (True, True)),
        ("inventor", (True, True), (True, True), (True, True)),
        ("other_inventor", (True, False), (True, False), (False, False)),
        ("enterprise_user", (True, False), (True, False), (False, False)),
        ("reviewer", (True, False), (True, False), (False, False)),
        ("official", (True, False), (True, False), (False, False)),
        ("investor", (True, False), (True, False), (False, False)),
    ],
)
def test_the_parts_of_a_result_follow_the_result(
    request, who, ip_assets, signed_in_parts, attachments, with_parts
):
    public, secret = with_parts
    user = request.getfixturevalue(who) if who else AnonymousUser()
    seen = _results_of(IPAsset, user)
    assert (public.pk in seen, secret.pk in seen) == ip_assets
    for model in (ResultInventor, Funding, StageTransition):
        seen = _results_of(model, user)
        assert (public.pk in seen, secret.pk in seen) == signed_in_parts, model
    seen = _results_of(Attachment, user)
    assert (public.pk in seen, secret.pk in seen) == attachments


def test_parts_never_outrun_the_result_when_its_grant_is_switched_off(inventor, with_parts):
    public, secret = with_parts
    Grant.objects.filter(
        role="inventor", object_type="results.result", constraint="own_organisation"
    ).update(enabled=False)
    clear_grant_cache(inventor)
    for model in (*PARTS, Attachment):
        assert secret.pk not in _results_of(model, inventor), model
    assert _results_of(Attachment, inventor) == set()  # the public result's details went too
    assert public.pk in _results_of(IPAsset, inventor)


def test_a_disabled_part_grant_hides_that_part_only(inventor, with_parts):
    public, secret = with_parts
    Grant.objects.filter(role="inventor", object_type="results.funding").update(enabled=False)
    clear_grant_cache(inventor)
    assert _results_of(Funding, inventor) == set()
    assert _results_of(IPAsset, inventor) == {public.pk, secret.pk}


def test_result_page_shows_the_parts_through_their_grants(inventor, other_inventor, with_parts):
    public, secret = with_parts
    anonymous = client_for(None).get(reverse("results:detail", args=[public.pk])).content.decode()
    assert "CN202210123456.1" in anonymous  # IP assets: as the result
    assert (
        "Li Ming" not in anonymous
        and "NSFC 62173001" not in anonymous
        and "Timeline" not in anonymous
    )
    assert "public-claims.pdf" not in anonymous
    outsider = (
        client_for(other_inventor).get(reverse("results:detail", args=[public.pk])).content.decode()
    )
    assert "Li Ming" in outsider and "NSFC 62173001" in outsider and "Timeline" in outsider
    assert "public-claims.pdf" not in outsider
    owner = client_for(inventor).get(reverse("results:detail", args=[public.pk])).content.decode()
    assert "public-claims.pdf" in owner
    # With the funding grant switched off the owner no longer sees the programme.
    Grant.objects.filter(role="inventor", object_type="results.funding").update(enabled=False)
    assert (
        "NSFC 62173001"
        not in client_for(inventor)
        .get(reverse("results:detail", args=[public.pk]))
        .content.decode()
    )


def test_attachment_download_follows_its_grant(inventor, other_inventor, with_parts):
    public, _secret = with_parts
    attachment = Attachment.objects.get(result=public)
    url = reverse("results:attachment", args=[attachment.pk])
    events = AuditEvent.objects.filter(action="attachment.download").count()
    assert client_for(other_inventor).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302  # to the sign-in page
    assert AuditEvent.objects.filter(action="attachment.download").count() == events
    assert client_for(inventor).get(url).status_code == 200
    Grant.objects.filter(role="inventor", object_type="results.attachment").update(enabled=False)
    assert client_for(inventor).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="attachment.download").count() == events + 1


def test_export_of_results_carries_inventors_only_for_signed_in_users(inventor, with_parts):
    anonymous = client_for(None).get(reverse("imports:export", args=["results", "csv"]))
    body = b"".join(anonymous.streaming_content).decode()
    assert "CN202210123456.1" in body and "李明" not in body
    signed_in = b"".join(
        client_for(inventor)
        .get(reverse("imports:export", args=["results", "csv"]))
        .streaming_content
    ).decode()
    assert "李明:100" in signed_in and "CN202310654321.X" in signed_in


# --- Onboarding ------------------------------------------------------------------------------


def test_onboarding_is_a_grant(inventor, enterprise_user, university, researcher):
    assert permitted(inventor, Result, "add") and not permitted(
        inventor, Result, "add", every_row=True
    )
    assert not permitted(enterprise_user, Result, "add")
    with pytest.raises(PermissionError):
        result_onboard(
            data=result_input([university], [(researcher, "100")], title_zh="企业不能入驻"),
            actor=enterprise_user,
        )
    assert not Result.objects.filter(title_zh="企业不能入驻").exists()
    assert client_for(enterprise_user).get(reverse("results:onboard")).status_code == 403
    assert client_for(inventor).get(reverse("results:onboard")).status_code == 200
    Grant.objects.filter(
        role="inventor", object_type="results.result", constraint="own_organisation"
    ).update(enabled=False)
    assert client_for(inventor).get(reverse("results:onboard")).status_code == 403


def test_an_inventor_onboards_only_results_their_organisation_owns(
    inventor, other_university, university, researcher
):
    before = (Result.objects.count(), IPAsset.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        result_onboard(
            data=result_input([other_university], [(researcher, "100")], title_zh="别人的成果"),
            actor=inventor,
        )
    assert exc.value.message_dict == {
        "owners": [
            "You may onboard and edit only results your organisation owns: include it as an owner."
        ]
    }
    assert (Result.objects.count(), IPAsset.objects.count(), AuditEvent.objects.count()) == before
    result = result_onboard(
        data=result_input(
            [university, other_university], [(researcher, "100")], title_zh="共有成果"
        ),
        actor=inventor,
    )
    assert allows(inventor, result, "change")
    # Removing their own organisation on an edit is refused the same way, and nothing changes.
    with pytest.raises(ValidationError) as exc:
        result_update(
            result=result,
            data=result_input([other_university], [(researcher, "100")], title_zh="共有成果"),
            actor=inventor,
            confirm_duplicates=True,
        )
    assert list(exc.value.message_dict) == ["owners"]
    assert sorted(result.ownerships.values_list("organisation_id", flat=True)) == sorted(
        [university.pk, other_university.pk]
    )


def test_near_duplicates_name_only_results_the_user_sees(
    manager, inventor, university, other_university, researcher
):
    # A confidential result of the other university, which the inventor may not see.
    hidden = result_onboard(
        data=result_input(
            [other_university],
            [(researcher, "100")],
            title_zh="量子点显示材料",
            title_en="Quantum dot display material",
            is_public=False,
            ip_assets=[],
        ),
        actor=manager,
    )
    data = result_input(
        [university, other_university],
        [(researcher, "100")],
        title_zh="量子点显示材料",
        title_en="Quantum dot display material",
        ip_assets=[],
    )
    with pytest.raises(DuplicateResultError) as exc:
        result_onboard(data=data, actor=manager)
    assert exc.value.similar == [hidden]
    # The inventor is not told about a result they may not see (no title, no count).
    created = result_onboard(data=data, actor=inventor)
    assert created.pk != hidden.pk


# --- The pipeline's edges are grants -----------------------------------------------------------


def test_every_user_edge_is_an_action_with_default_grants_as_before(
    manager, inventor, other_inventor, reviewer, onboarded
):
    verbs = {"submit", "proceed", "return", "decline", "land", "hold", "resume", "withdraw"}
    for verb in verbs:
        assert allows(manager, onboarded, verb), verb
        assert allows(inventor, onboarded, verb) is (verb in {"submit", "withdraw"}), verb
        assert not allows(other_inventor, onboarded, verb) and not allows(reviewer, onboarded, verb)
    assert {t.verb for t in available_transitions(onboarded, inventor)} == {"submit", "withdraw"}
    assert available_transitions(onboarded, other_inventor) == []


def test_a_disabled_edge_grant_refuses_the_step_and_nothing_happens(manager, onboarded):
    grant = Grant.objects.get(role="manager", object_type="results.result", constraint="all")
    grant.actions = [a for a in grant.actions if a != "submit"]
    grant.save()
    clear_grant_cache(manager)
    events = AuditEvent.objects.count()
    with pytest.raises(TransitionError) as exc:
        result_transition(result=onboarded, target="evaluation", actor=manager)
    assert exc.value.messages == ["You may not take this step."]
    onboarded.refresh_from_db()
    assert onboarded.stage == "onboarding"
    assert AuditEvent.objects.count() == events
    assert StageTransition.objects.filter(result=onboarded).count() == 1
    assert "submit" not in {t.verb for t in available_transitions(onboarded, manager)}
    # Through the page: refused with the message, nothing moved.
    response = client_for(manager).post(
        reverse("results:transition", args=[onboarded.pk]), {"target": "evaluation"}
    )
    assert response.status_code == 303
    onboarded.refresh_from_db()
    assert onboarded.stage == "onboarding"


def test_a_new_edge_grant_lets_another_role_take_the_step(reviewer, onboarded):
    Grant.objects.create(
        role="reviewer", object_type="results.result", constraint="all", actions=["hold"]
    )
    result_transition(result=onboarded, target="on_hold", actor=reviewer, reason="Waiting for data")
    onboarded.refresh_from_db()
    assert onboarded.stage == "on_hold"


def test_transition_view_for_every_kind_of_user(
    inventor, other_inventor, onboarded, confidential_result
):
    url = reverse("results:transition", args=[confidential_result.pk])
    # Anonymous: to the sign-in page; a user who may not see it: 404; nothing moved.
    assert client_for(None).post(url, {"target": "evaluation"}).status_code == 302
    assert client_for(other_inventor).post(url, {"target": "evaluation"}).status_code == 404
    confidential_result.refresh_from_db()
    assert confidential_result.stage == "onboarding"
    # A user who sees it but may not take the step: the message, nothing moved.
    public_url = reverse("results:transition", args=[onboarded.pk])
    assert client_for(other_inventor).post(public_url, {"target": "evaluation"}).status_code == 303
    onboarded.refresh_from_db()
    assert onboarded.stage == "onboarding"
    # The owning inventor may.
    assert client_for(inventor).post(url, {"target": "evaluation"}).status_code == 302
    confidential_result.refresh_from_db()
    assert confidential_result.stage == "evaluation"


def test_migration_adds_the_new_actions_to_existing_default_rows():
    """An existing database's default rows get the new actions (they did not exist, so no admin's
    choice is undone); a new database has them already."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module(
        "opentto.results.migrations.0003_pipeline_actions_in_default_grants"
    )
    grant = Grant.objects.get(
        role="inventor", object_type="results.result", constraint="own_organisation"
    )
    assert {"add", "view_access_log", "submit", "withdraw"} <= set(grant.actions)
    Grant.objects.filter(pk=grant.pk).update(
        actions=["view", "view_details", "figures"], enabled=False
    )

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    migration.add_actions(apps, editor)
    grant.refresh_from_db()
    assert sorted(grant.actions) == [
        "add",
        "figures",
        "submit",
        "view",
        "view_access_log",
        "view_details",
        "withdraw",
    ]
    assert grant.enabled is False


def test_the_table_and_the_registry_name_the_same_edges():
    from opentto.core.permissions import registered_types
    from opentto.results.permissions import PIPELINE_ACTIONS
    from opentto.results.pipeline import TRANSITIONS

    assert {t.verb for t in TRANSITIONS if t.by_user} == set(PIPELINE_ACTIONS)
    actions = registered_types()["results.result"].actions
    assert set(PIPELINE_ACTIONS) <= actions
    assert (
        not {t.verb for t in TRANSITIONS if not t.by_user} & actions
    )  # signing a deal moves those
