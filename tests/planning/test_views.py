"""Planning pages: who may see and change what (anonymous, unpermitted, permitted, constrained),
nothing changed on a refusal, errors shown in place, the memo PDF, deal-room logging, workload."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from opentto.core.models import AuditEvent
from opentto.core.pdf import extract_text
from opentto.financing.services import ValuationInput, valuation_create
from opentto.planning.models import ServiceLogEntry, TransferPlan
from opentto.planning.services import (
    deal_room_create,
    deal_room_invite,
    plan_create,
    service_log_record,
    task_create,
)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 302),
        ("enterprise_user", 404),
        ("other_inventor", 404),
        ("investor", 404),
        ("inventor", 200),
        ("manager", 200),
    ],
)
def test_who_may_see_a_results_planning(request, in_planning, who, status):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).get(f"/en/planning/results/{in_planning.pk}/")
    assert response.status_code == status
    if who == "inventor":  # their organisation's result: read only
        assert b"Start a new draft plan" not in response.content
    if who == "manager":
        assert b"Start a new draft plan" in response.content


@pytest.mark.django_db
def test_financing_is_for_managers_only(in_planning, inventor, manager):
    assert (
        client_for(inventor).get(f"/en/planning/results/{in_planning.pk}/financing/").status_code
        == 404
    )
    assert (
        client_for(manager).get(f"/en/planning/results/{in_planning.pk}/financing/").status_code
        == 200
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 302), ("enterprise_user", 403), ("other_inventor", 403), ("inventor", 403)],
)
def test_refused_writes_change_nothing(request, in_planning, who, status):
    # The result is public, so other roles see it (403 on the write); nothing is created.
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).post(
        f"/en/planning/results/{in_planning.pk}/plans/new/",
        {"transfer_mode": "licence", "summary_en": "x"},
    )
    assert response.status_code == status
    assert TransferPlan.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="plan.").exists()


@pytest.mark.django_db
def test_a_confidential_result_answers_404_to_writes(confidential_result, enterprise_user):
    response = client_for(enterprise_user).post(
        f"/en/planning/results/{confidential_result.pk}/plans/new/", {"transfer_mode": "licence"}
    )
    assert response.status_code == 404
    assert TransferPlan.objects.count() == 0


@pytest.mark.django_db
def test_a_manager_builds_and_approves_a_plan_through_the_pages(in_planning, manager):
    client = client_for(manager)
    response = client.post(
        f"/en/planning/results/{in_planning.pk}/plans/new/",
        {"transfer_mode": "licence", "summary_en": "Exclusive licence."},
    )
    assert response.status_code == 302
    plan = TransferPlan.objects.get()
    # An option with a wrong term: shown in place, nothing saved.
    bad = client.post(
        f"/en/planning/plans/{plan.pk}/options/",
        {
            "mode": "licence",
            "licence_type": "exclusive",
            "territory": "CN",
            "term_years": "5",
            "royalty_rate": "7",
        },
    )
    assert bad.status_code == 400
    assert re.search(
        rb'class="error"[^>]*data-field="royalty_rate">Enter a rate as a fraction', bad.content
    )
    assert plan.options.count() == 0
    ok = client.post(
        f"/en/planning/plans/{plan.pk}/options/",
        {
            "mode": "licence",
            "licence_type": "exclusive",
            "territory": "CN",
            "term_years": "5",
            "royalty_rate": "0.05",
        },
    )
    assert ok.status_code == 302
    assert client.post(f"/en/planning/plans/{plan.pk}/submit/").status_code == 302
    rejected = client.post(f"/en/planning/plans/{plan.pk}/reject/", {"note": ""})
    assert (
        rejected.status_code == 400
        and b"Give the reason for rejecting the plan." in rejected.content
    )
    assert (
        client.post(f"/en/planning/plans/{plan.pk}/approve/", {"note": "Fine."}).status_code == 302
    )
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_by == manager
    page = client.get(f"/en/results/{in_planning.pk}/")
    assert b"Operations planning" in page.content and b'data-transition="landing"' in page.content


@pytest.mark.django_db
def test_the_valuation_memo_page_and_pdf(in_planning, manager, inventor):
    valuation = valuation_create(
        result=in_planning,
        data=ValuationInput(
            valuation_date=timezone.localdate(),
            revenues=["1000000", "2000000"],
            royalty_rate="0.05",
            tax_rate="0.25",
            discount_rate="0.10",
            assumptions_zh="收入按保守情形预测。",
            assumptions_en="Conservative revenue case.",
        ),
        actor=manager,
    )
    page = client_for(manager).get(f"/en/planning/valuations/{valuation.pk}/")
    assert page.status_code == 200 and "¥96,074.38" in page.content.decode()
    assert "Rule of thumb — not a valuation" in page.content.decode()
    assert client_for(inventor).get(f"/en/planning/valuations/{valuation.pk}/").status_code == 404
    pdf = client_for(manager).get(f"/zh-hans/planning/valuations/{valuation.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = re.sub(r"\s+", "", extract_text(pdf.content))
    assert (
        "估值备忘录" in text
        and "¥96,074.38" in text
        and "收入按保守情形预测" in text
        and "Valuation" not in text
    )
    text = re.sub(
        r"\s+",
        "",
        extract_text(
            client_for(manager).get(f"/en/planning/valuations/{valuation.pk}/pdf/").content
        ),
    )
    assert (
        "Valuationmemo" in text
        and "¥96,074.38" in text
        and "Conservativerevenuecase." in text
        and "估值" not in text
    )


@pytest.mark.django_db
def test_deal_room_access_is_logged_and_limited_to_invited_investors(
    in_planning, manager, investor
):
    from tests.conftest import make_user

    room = deal_room_create(result=in_planning, title="Angel round", actor=manager)
    deal_room_invite(room=room, user=investor, actor=manager)
    assert client_for(investor).get(f"/en/planning/rooms/{room.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="deal_room.view", actor=investor).count() == 1
    outsider = make_user("investor", username="investor2")
    assert client_for(outsider).get(f"/en/planning/rooms/{room.pk}/").status_code == 404
    assert not AuditEvent.objects.filter(action="deal_room.view", actor=outsider).exists()
    assert (
        client_for(outsider)
        .post(f"/en/planning/rooms/{room.pk}/invite/", {"user": outsider.pk})
        .status_code
        == 404
    )
    assert room.invites.count() == 1


@pytest.mark.django_db
def test_workload_per_manager_and_kind(in_planning, manager, second_manager, inventor):
    today = timezone.localdate()
    service_log_record(
        result=in_planning,
        kind="ip_layout",
        hours="2.5",
        notes="Layout",
        occurred_on=today,
        actor=manager,
    )
    service_log_record(
        result=in_planning,
        kind="financing",
        hours="1",
        notes="Bank",
        occurred_on=today,
        actor=second_manager,
    )
    task_create(
        result=in_planning,
        title="Call the bank",
        kind="financing",
        owner=second_manager,
        due_on=today - dt.timedelta(days=1),
        actor=manager,
    )
    assert client_for(inventor).get("/en/planning/workload/").status_code == 404
    page = client_for(manager).get("/en/planning/workload/").content.decode()
    assert 'data-hours="manager">2.50<' in page and 'data-hours="manager2">1<' in page
    assert 'data-kind="ip_layout">2.50<' in page and 'data-kind="financing">1<' in page
    bad = client_for(manager).post(
        f"/en/planning/results/{in_planning.pk}/log/",
        {"kind": "legal", "hours": "25", "notes": "x", "occurred_on": today.isoformat()},
    )
    assert bad.status_code == 400 and b"at most 24" in bad.content
    assert ServiceLogEntry.objects.count() == 2
    assert sum(e.hours for e in ServiceLogEntry.objects.all()) == Decimal("3.5")


@pytest.mark.django_db
def test_calendar_and_dashboard_panel(in_planning, manager):
    plan_create(result=in_planning, actor=manager)
    assert client_for(manager).get("/en/planning/calendar/").status_code == 200
    assert client_for(manager).get("/en/planning/").status_code == 200
    dashboard = client_for(manager).get("/en/dashboard/")
    assert dashboard.status_code == 200
