"""The reviewer, district-official and investor rules are grant rows (data migration ``core.0004``),
and give exactly what the hard-coded rules they replaced gave (the old rules are the oracle here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from opentto.core import permissions
from opentto.core.models import Grant
from opentto.core.permissions import DEFAULT_GRANTS, user_role
from opentto.evaluation.models import ReviewAssignment, ReviewRound
from opentto.evaluation.selectors import assignments_for_reviewer, rounds_visible
from opentto.planning.models import DealRoom
from opentto.planning.selectors import deal_rooms_for
from opentto.results.models import Result
from opentto.subsidies.models import Application, Programme
from opentto.subsidies.selectors import applications_visible, programmes_visible
from opentto.subsidies.services import programme_create

from .matrix import FIXTURES, build_world

pytestmark = pytest.mark.django_db


def is_platform_staff(user: Any) -> bool:
    """The old rule's staff test (the oracle keeps it; the code asks for actions)."""
    return user_role(user) in {"admin", "manager"}


def _old_rounds(user: Any) -> set[int]:
    if is_platform_staff(user):
        return set(ReviewRound.objects.values_list("pk", flat=True))
    org_id = getattr(user, "organisation_id", None)
    if user_role(user) == "inventor" and org_id:
        own = Result.objects.filter(ownerships__organisation_id=org_id).values("pk")
        return set(
            ReviewRound.objects.filter(status="finalised", result_id__in=own).values_list(
                "pk", flat=True
            )
        )
    return set()


def _old_assignments(user: Any) -> set[int]:
    if user_role(user) != "reviewer":
        return set()
    return set(
        ReviewAssignment.objects.filter(reviewer=user)
        .exclude(review_round__status="cancelled")
        .values_list("pk", flat=True)
    )


def _old_rooms(user: Any) -> set[int]:
    if is_platform_staff(user):
        return set(DealRoom.objects.values_list("pk", flat=True))
    if user_role(user) == "investor":
        return set(
            DealRoom.objects.filter(is_open=True, invites__user=user).values_list("pk", flat=True)
        )
    return set()


def _old_applications(user: Any) -> set[int]:
    role = user_role(user)
    if role in {"admin", "manager", "official"}:
        return set(Application.objects.values_list("pk", flat=True))
    if role == "reviewer":
        rounds = (
            ReviewAssignment.objects.filter(reviewer=user)
            .exclude(status="removed")
            .values("review_round_id")
        )
        return set(
            Application.objects.filter(
                Q(review_round__in=rounds) | Q(reviews__reviewer=user)
            ).values_list("pk", flat=True)
        )
    org_id = getattr(user, "organisation_id", None)
    if role in {"enterprise", "inventor"} and org_id:
        return set(Application.objects.filter(applicant_id=org_id).values_list("pk", flat=True))
    return set()


def _old_programmes(user: Any) -> set[int]:
    if user_role(user) in {"admin", "manager", "official"}:
        return set(Programme.objects.values_list("pk", flat=True))
    return set(Programme.objects.filter(is_active=True).values_list("pk", flat=True))


def test_the_role_grants_are_rows_installed_by_the_migration():
    role_types = {
        "evaluation.reviewround",
        "evaluation.reviewassignment",
        "planning.dealroom",
        "subsidies.application",
        "subsidies.programme",
    }
    role_grants = [g for g in DEFAULT_GRANTS if g[1] in role_types]
    assert len(role_grants) == 21
    for role, object_type, constraint, actions in role_grants:
        grant = Grant.objects.get(role=role, object_type=object_type, constraint=constraint)
        assert grant.enabled and grant.is_default and sorted(grant.actions) == sorted(actions)


def test_the_grants_give_exactly_what_the_old_rules_gave(
    request, university, other_university, enterprise_org, researcher, onboarded
):
    users = {role: request.getfixturevalue(name) for role, name in FIXTURES.items() if name}
    world = build_world(users, university, other_university, enterprise_org, researcher, onboarded)
    # More states: a closed room, an inactive programme, a finalised round of the inventor's result.
    DealRoom.objects.filter(pk=world["room"][1]).update(is_open=False)
    old = programme_create(
        code="OLD-1",
        kind="industrialisation",
        name_zh="旧计划",
        name_en="Old programme",
        legal_basis_zh="依据",
        legal_basis_en="basis",
        cap_per_project_cny="1000.00",
        window_opens=dt.date(2020, 1, 1),
        window_closes=dt.date(2020, 12, 31),
        actor=users["manager"],
    )
    Programme.objects.filter(pk=old.pk).update(is_active=False)
    ReviewRound.objects.filter(pk=world["round"][0]).update(
        status="finalised",
        recommendation="proceed",
        finalised_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    everyone = [AnonymousUser(), *users.values()]
    checked = 0
    for user in everyone:
        permissions.clear_grant_cache(user)
        assert set(rounds_visible(user).values_list("pk", flat=True)) == _old_rounds(user), user
        assert set(assignments_for_reviewer(user).values_list("pk", flat=True)) == _old_assignments(
            user
        ), user
        assert set(deal_rooms_for(user).values_list("pk", flat=True)) == _old_rooms(user), user
        assert set(applications_visible(user).values_list("pk", flat=True)) == _old_applications(
            user
        ), user
        assert set(programmes_visible(user).values_list("pk", flat=True)) == _old_programmes(
            user
        ), user
        checked += 1
    assert checked == 8
    assert old.pk in _old_programmes(users["official"]) and old.pk not in _old_programmes(
        users["enterprise"]
    )
    # The oracle is not vacuous: each rule gives someone something and someone else nothing.
    assert _old_rounds(users["inventor"]) == {world["round"][0]} and not _old_rounds(
        users["investor"]
    )
    assert _old_assignments(users["reviewer"]) and _old_rooms(users["investor"]) == {
        world["room"][0]
    }
    assert _old_applications(users["official"]) == {
        *world["application"],
        *world["approved_application"],
    }
    assert _old_applications(users["enterprise"]) == {
        world["application"][0],
        world["approved_application"][0],
    }


def test_switching_a_role_grant_off_takes_the_access_away(
    request, investor, manager, university, other_university, enterprise_org, researcher, onboarded
):
    users = {role: request.getfixturevalue(name) for role, name in FIXTURES.items() if name}
    world = build_world(users, university, other_university, enterprise_org, researcher, onboarded)
    assert set(deal_rooms_for(investor).values_list("pk", flat=True)) == {world["room"][0]}
    Grant.objects.filter(role="investor", object_type="planning.dealroom").update(enabled=False)
    permissions.clear_grant_cache(investor)
    assert not deal_rooms_for(investor).exists()
    Grant.objects.filter(role="official", object_type="subsidies.application").update(enabled=False)
    official = users["official"]
    permissions.clear_grant_cache(official)
    assert not applications_visible(official).exists()
