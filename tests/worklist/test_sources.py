"""Each source lists what is due for its user and never what the user may not see or do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from opentto.access.services import access_request_reject
from opentto.imports.services import import_job_repeat
from opentto.landing.services import payment_record
from opentto.worklist.selectors import WorkFilter, counts_by_kind, work_items, worklist_count

from .conftest import World

pytestmark = pytest.mark.django_db


def keys(world: World, user: str) -> set[str]:
    return {i.key for i in work_items(world[user])}


def expected(world: World, *names: str) -> set[str]:
    kinds = {
        "round": "round_reviewers",
        "late_round": "round_close",
        "plan_by_manager": "plan_approve",
        "plan_by_manager2": "plan_approve",
        "notice": "notice_ending",
        "draft_deal": "deal_sign",
        "noticed_deal": "deal_sign",
        "instalment": "payment_overdue",
        "royalty": "royalty_overdue",
        "payment": "distribution_run",
        "deadline_20": "patent_deadline",
        "deadline_120": "patent_deadline",
        "orphan_overdue": "patent_deadline",
        "access": "access_request",
        "application": "subsidy_decide",
        "failed_import": "import_failed",
        "other_failed_import": "import_failed",
        "invited": "review_declare",
        "accepted": "review_score",
    }
    return {f"{kinds[n]}:{world[n].pk}" for n in names}


TTO_COMMON = (
    "round",
    "late_round",
    "notice",
    "draft_deal",
    "noticed_deal",
    "instalment",
    "royalty",
    "payment",
    "orphan_overdue",
    "access",
)


def test_manager_sees_their_work_and_nothing_of_another_managers(world: World) -> None:
    got = keys(world, "manager")
    # the second payment (250.40, without a distribution) is the other distribution to run
    second_payment = {k for k in got if k.startswith("distribution_run:")} - expected(
        world, "payment"
    )
    assert (
        got
        == expected(world, *TTO_COMMON, "plan_by_manager2", "deadline_20", "failed_import")
        | second_payment
    )
    assert len(second_payment) == 1 and len(got) == 14
    assert worklist_count(world["manager"]) == 14


def test_second_manager_four_eyes_and_own_import_only(world: World) -> None:
    got = keys(world, "manager2")
    assert {k for k in got if not k.startswith("distribution_run:")} == expected(
        world, *TTO_COMMON, "plan_by_manager", "other_failed_import"
    ) - expected(world, "payment")
    # the family managed by "manager" is not manager2's; the far deadline is no one's yet
    assert expected(world, "deadline_20", "deadline_120") & got == set()


def test_four_eyes_the_drafter_does_not_see_their_own_plan(world: World) -> None:
    assert expected(world, "plan_by_manager") & keys(world, "manager") == set()
    with override_settings(OPENTTO_PLAN_FOUR_EYES=False):
        assert expected(world, "plan_by_manager", "plan_by_manager2") <= keys(world, "manager")


@pytest.mark.parametrize(
    ("user", "names"),
    [
        ("reviewer", ("invited",)),
        ("reviewer2", ("accepted",)),
        ("official", ("application",)),
        ("inventor", ()),
        ("enterprise", ()),
        ("other_enterprise", ()),
        ("investor", ()),
    ],
)
def test_other_roles_see_only_their_own(world: World, user: str, names: tuple[str, ...]) -> None:
    assert keys(world, user) == expected(world, *names)
    assert worklist_count(world[user]) == len(names)


def test_admin_decides_subsidies_and_approves_both_plans(world: World) -> None:
    got = keys(world, "admin")
    assert expected(world, "application", "plan_by_manager", "plan_by_manager2", "access") <= got
    assert (
        expected(world, "failed_import", "other_failed_import", "invited", "accepted") & got
        == set()
    )


def test_lines_carry_dates_urls_and_details(world: World) -> None:
    items = {i.key: i for i in work_items(world["manager"])}
    today = world.today
    instalment = items[f"payment_overdue:{world['instalment'].pk}"]
    assert (instalment.due, instalment.is_overdue, instalment.detail) == (
        today - dt.timedelta(days=10),
        True,
        "¥600.00 due, ¥250.40 received",
    )
    assert instalment.url == f"/en/deals/{world['signed_deal'].pk}/"
    royalty = items[f"royalty_overdue:{world['royalty'].pk}"]
    assert royalty.detail == "¥500.00 due, ¥0.00 received"
    noticed = items[f"deal_sign:{world['noticed_deal'].pk}"]
    assert (noticed.due, noticed.is_overdue) == (
        today - dt.timedelta(days=1),
        False,
    )  # the day after the notice ended
    assert items[f"deal_sign:{world['draft_deal'].pk}"].due is None
    short = items[f"round_reviewers:{world['round'].pk}"]
    assert (short.title, short.detail) == ("Secret alloy", "2 of 3 reviewers invited")
    assert items[f"round_close:{world['late_round'].pk}"].is_overdue is True
    # soonest first: overdue (oldest first), then by date, then undated
    ordered = work_items(world["manager"])
    ranks = [0 if i.is_overdue else (1 if i.due else 2) for i in ordered]
    assert ranks == sorted(ranks)
    assert [i.due for i in ordered if i.is_overdue] == sorted(
        i.due for i in ordered if i.is_overdue
    )
    assert ordered[0].key == f"payment_overdue:{world['instalment'].pk}"


def test_titles_in_the_page_language(world: World) -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        items = {i.key: i for i in work_items(world["manager"])}
    assert items[f"round_reviewers:{world['round'].pk}"].title == "保密合金"
    assert items[f"round_reviewers:{world['round'].pk}"].detail == "已邀请 2 / 3 位评审专家"


def test_items_disappear_when_done(world: World) -> None:
    manager = world["manager"]
    access_request_reject(access_request=world["access"], note="Not now", actor=manager)
    payment_record(
        deal=world["signed_deal"],
        received_on=world.today,
        amount_cny=Decimal("349.60"),
        actor=manager,
        schedule_item=world["instalment"],
    )
    import_job_repeat(job=world["failed_import"], dry_run=True, actor=manager)
    world["invited"].status = "accepted"
    world["invited"].save()
    got = keys(world, "manager")
    assert expected(world, "access", "instalment", "failed_import") & got == set()
    # the payment just recorded is a new distribution to run
    assert len([k for k in got if k.startswith("distribution_run:")]) == 3
    assert keys(world, "reviewer") == {f"review_score:{world['invited'].pk}"}


def test_filters_by_kind_and_due_window(world: World) -> None:
    items = work_items(world["manager"])
    assert WorkFilter.from_query({"kind": "deal_sign", "due": "30"}) == WorkFilter(
        "deal_sign", "30"
    )
    for bad in (
        {"kind": "nope", "due": "31"},
        {"kind": "", "due": "１"},
        {"due": "-7"},
        {"due": "7.0"},
    ):
        assert WorkFilter.from_query(bad) == WorkFilter()
    overdue = WorkFilter(window="overdue").apply(items, today=world.today)
    assert {i.kind for i in overdue} == {
        "payment_overdue",
        "royalty_overdue",
        "round_close",
        "patent_deadline",
    }
    assert len(overdue) == 4
    week = WorkFilter(window="7").apply(items, today=world.today)
    # overdue, the deal signable since yesterday, the round due in 5 days (not the notice ending in 10)
    assert len(week) == 6
    month = WorkFilter(window="30").apply(items, today=world.today)
    assert {i.key for i in month} - {i.key for i in week} == expected(
        world, "notice", "deadline_20"
    )
    assert len(WorkFilter().apply(items)) == 14
    assert [i.kind for i in WorkFilter(kind="deal_sign").apply(items)] == ["deal_sign", "deal_sign"]
    assert dict((k, n) for k, _label, n in counts_by_kind(items))["distribution_run"] == 2
