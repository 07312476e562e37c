"""Holding and resolving clashes: a pair is held once and the TTO is told (never the user who
stored the record); merge, keep both and reject do what their kind says, atomically and audited;
only those granted ``resolve`` resolve, once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from opentto.accounts.models import User
from opentto.clashes.models import ClashHold
from opentto.clashes.services import clash_hold, clash_resolve, merge_references
from opentto.core.models import AuditEvent, Grant
from opentto.core.permissions import clear_grant_cache
from opentto.notifications.models import Notification
from opentto.organisations.models import Membership, Organisation, Person
from opentto.organisations.services import organisation_create, person_create
from opentto.results.models import IPAsset, Result, ResultOwner
from opentto.results.services import IPAssetInput, result_onboard
from tests.conftest import result_input
from tests.imports.helpers import cn_number, credit_code

pytestmark = pytest.mark.django_db
NUMBER = cn_number(4242)


@pytest.fixture
def held_pair(
    manager: User,
    inventor: User,
    university: Organisation,
    other_university: Organisation,
    researcher: Person,
) -> tuple[Result, Result]:
    """(the inventor's new result, the other university's confidential one with the same number)."""
    other_person = person_create(
        name_zh="赵雷", memberships=[(other_university, "researcher", "", "")], actor=None
    )
    existing = result_onboard(
        data=result_input(
            [other_university],
            [(other_person, "100")],
            title_zh="甲",
            title_en="Alpha",
            is_public=False,
            ip_assets=[IPAssetInput(application_number=NUMBER)],
        ),
        actor=manager,
    )
    new = result_onboard(
        data=result_input(
            [university],
            [(researcher, "100")],
            title_zh="乙",
            title_en="Beta",
            ip_assets=[
                IPAssetInput(application_number=NUMBER),
                IPAssetInput(application_number=cn_number(5)),
            ],
        ),
        actor=inventor,
    )
    return new, existing


def test_a_clash_is_held_once_audited_and_told_to_the_tto_only(
    manager: User,
    admin_user: User,
    inventor: User,
    university: Organisation,
    other_university: Organisation,
    researcher: Person,
) -> None:
    other_person = person_create(
        name_zh="赵雷", memberships=[(other_university, "researcher", "", "")], actor=None
    )
    existing = result_onboard(
        data=result_input(
            [other_university],
            [(other_person, "100")],
            is_public=False,
            ip_assets=[IPAssetInput(application_number=NUMBER)],
        ),
        actor=manager,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        new = result_onboard(
            data=result_input(
                [university],
                [(researcher, "100")],
                title_zh="乙",
                title_en="Beta",
                ip_assets=[IPAssetInput(application_number=NUMBER)],
            ),
            actor=inventor,
        )
    hold = ClashHold.objects.get()
    assert (
        AuditEvent.objects.filter(
            action="clash.hold",
            object_type="clashes.clashhold",
            object_id=str(hold.pk),
            actor=inventor,
        ).count()
        == 1
    )
    assert set(
        Notification.objects.filter(kind="clash.held").values_list("recipient__username", flat=True)
    ) == {"manager", "admin"}
    assert not Notification.objects.filter(recipient=inventor).exists()
    # again, and in the other order: still one hold
    assert clash_hold(kind="results.result", held=new, existing=existing, actor=inventor) == hold
    assert clash_hold(kind="results.result", held=existing, existing=new, actor=manager) == hold
    assert ClashHold.objects.count() == 1


def test_merge_moves_owners_and_new_numbers_then_withdraws_the_newcomer(
    manager: User, held_pair: tuple[Result, Result], university: Organisation
) -> None:
    new, existing = held_pair
    hold = ClashHold.objects.get()
    resolved = clash_resolve(hold=hold, decision="merge", note="Same invention.", actor=manager)
    assert (resolved.status, resolved.resolved_by, resolved.note) == (
        "merged",
        manager,
        "Same invention.",
    )
    new.refresh_from_db()
    assert (
        new.stage == "withdrawn"
        and new.transitions.latest("pk").reason == f"Merged into result #{existing.pk}."
    )
    assert set(
        ResultOwner.objects.filter(result=existing).values_list("organisation__name_zh", flat=True)
    ) == {"另一所大学", university.name_zh}
    assert sorted(existing.ip_assets.values_list("application_number", "is_held")) == sorted(
        [(NUMBER, False), (cn_number(5), False)]
    )
    assert list(new.ip_assets.values_list("application_number", "is_held")) == [(NUMBER, True)]
    event = AuditEvent.objects.get(action="clash.resolve")
    assert (
        event.actor == manager
        and event.payload["decision"] == "merge"
        and event.payload["owners_added"] == [university.pk]
    )
    with pytest.raises(ValidationError) as again:
        clash_resolve(hold=hold, decision="reject", actor=manager)
    assert again.value.messages == ["This clash has already been resolved."]


def test_keep_both_and_reject(manager: User, held_pair: tuple[Result, Result]) -> None:
    new, existing = held_pair
    hold = ClashHold.objects.get()
    with pytest.raises(ValidationError):
        clash_resolve(hold=hold, decision="explode", actor=manager)
    kept = clash_resolve(hold=hold, decision="keep_both", actor=manager)
    new.refresh_from_db()
    assert (
        kept.status == "kept"
        and new.stage == "onboarding"
        and IPAsset.objects.filter(application_number=NUMBER).count() == 2
    )
    ClashHold.objects.filter(pk=hold.pk).update(status="open", resolved_at=None)
    rejected = clash_resolve(
        hold=ClashHold.objects.get(pk=hold.pk), decision="reject", actor=manager
    )
    new.refresh_from_db()
    assert rejected.status == "rejected" and new.stage == "withdrawn"
    assert (
        new.transitions.latest("pk").reason
        == "Rejected as a duplicate of a result already on the platform."
    )


@pytest.mark.parametrize(
    "who", ["inventor", "enterprise_user", "reviewer", "official", "investor", "other_inventor"]
)
def test_only_the_tto_resolves_and_a_refusal_changes_nothing(
    request: pytest.FixtureRequest, held_pair: tuple[Result, Result], who: str
) -> None:
    hold = ClashHold.objects.get()
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionError):
        clash_resolve(hold=hold, decision="reject", actor=request.getfixturevalue(who))
    assert ClashHold.objects.get().status == "open" and AuditEvent.objects.count() == events
    assert held_pair[0].__class__.objects.get(pk=held_pair[0].pk).stage == "onboarding"


def test_a_disabled_grant_takes_resolving_away(
    manager: User, held_pair: tuple[Result, Result]
) -> None:
    Grant.objects.filter(role="manager", object_type="clashes.clashhold").update(enabled=False)
    clear_grant_cache(manager)  # (a request reads the grants afresh)
    with pytest.raises(PermissionError):
        clash_resolve(hold=ClashHold.objects.get(), decision="keep_both", actor=manager)


def test_merging_organisations_points_everything_at_the_existing_one(
    manager: User, researcher: Person, university: Organisation, onboarded: Result
) -> None:
    code = credit_code(4242)
    existing = organisation_create(
        kind="university", name_zh="老大学", credit_code=code, actor=None
    )
    new = Organisation.objects.create(
        kind="university", name_zh="新大学", credit_code=code, is_held=True
    )
    duplicate = Membership.objects.create(
        person=researcher, organisation=new
    )  # also a member of the existing one below
    Membership.objects.create(person=researcher, organisation=existing)
    ResultOwner.objects.create(result=onboarded, organisation=new)
    hold = clash_hold(
        kind="organisations.organisation",
        held=new,
        existing=existing,
        actor=None,
        detail={"credit_code": code},
    )
    with pytest.raises(ValidationError) as kept:
        clash_resolve(hold=hold, decision="keep_both", actor=manager)
    assert kept.value.messages == [
        "Two organisations with the same credit code are one: merge or reject."
    ]
    with pytest.raises(ValidationError) as rejected:
        clash_resolve(hold=hold, decision="reject", actor=manager)
    assert rejected.value.messages == ["Other records still refer to it: merge it instead."]
    assert (
        Organisation.objects.filter(pk=new.pk).exists() and ClashHold.objects.get().status == "open"
    )
    clash_resolve(hold=hold, decision="merge", actor=manager)
    assert not Organisation.objects.filter(pk=new.pk).exists()
    assert list(
        Membership.objects.filter(person=researcher)
        .values_list("organisation_id", flat=True)
        .order_by("organisation_id")
    ) == sorted([university.pk, existing.pk])
    assert set(onboarded.ownerships.values_list("organisation_id", flat=True)) == {
        university.pk,
        existing.pk,
    }
    payload = AuditEvent.objects.get(action="clash.resolve").payload
    assert payload["moved"] == {"results.resultowner": 1} and payload["dropped"] == [
        f"organisations.membership#{duplicate.pk}"
    ]


def test_rejecting_an_unreferenced_person_deletes_it(manager: User) -> None:
    existing = person_create(name_zh="周敏", email="zhou@example.edu.cn", actor=None)
    new = person_create(name_zh="周敏", email="zhou@example.edu.cn", actor=None)
    hold = clash_hold(
        kind="organisations.person",
        held=new,
        existing=existing,
        actor=None,
        detail={"email": "zhou@example.edu.cn"},
    )
    clash_resolve(hold=hold, decision="reject", actor=manager)
    assert list(Person.objects.values_list("pk", flat=True)) == [existing.pk]


def test_merge_references_refuses_the_same_record_and_other_models(
    university: Organisation, researcher: Person
) -> None:
    with pytest.raises(ValueError):
        merge_references(source=university, target=university)
    with pytest.raises(ValueError):
        merge_references(source=university, target=researcher)
