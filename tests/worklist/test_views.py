"""The page, the header's count and the bulk actions (each item checked again when the action runs)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from opentto.core.models import AuditEvent
from opentto.evaluation.models import ReviewAssignment
from opentto.notifications.models import Notification

from .conftest import World

pytestmark = pytest.mark.django_db
URL, BULK = "/en/my-work/", "/en/my-work/bulk/"


def client_for(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world[name])
    return client


def badge(html: str) -> int:
    found = re.search(
        r'class="notif-link work-link"[^>]*>My work(?: <span class="badge badge-count"[^>]*>(\d+)</span>)?',
        html,
    )
    assert found is not None
    return int(found.group(1) or 0)


def test_anonymous_is_sent_to_sign_in_and_sees_no_link(world: World) -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/en/accounts/login/")
    assert (
        Client()
        .post(BULK, {"action": "remind", "item": f"round_reviewers:{world['round'].pk}"})
        .status_code
        == 302
    )
    assert "work-link" not in Client().get("/en/").content.decode()
    assert Notification.objects.count() == 0


@pytest.mark.parametrize(
    ("user", "count"),
    [
        ("manager", 14),
        ("manager2", 13),
        ("reviewer", 1),
        ("reviewer2", 1),
        ("official", 1),
        ("inventor", 0),
        ("enterprise", 0),
        ("investor", 0),
    ],
)
def test_each_role_page_and_header_count_agree(world: World, user: str, count: int) -> None:
    response = client_for(world, user).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert badge(html) == count
    assert html.count('name="item"') == count
    if count == 0:
        assert "Nothing is waiting for you." in html
    # the header of another page shows the same count
    assert badge(client_for(world, user).get("/en/notifications/").content.decode()) == count


def test_page_in_chinese_and_filtered(world: World) -> None:
    client = client_for(world, "manager")
    html = client.get("/zh-hans/my-work/").content.decode()
    assert "我的待办" in html and "保密合金" in html
    html = client.get(URL, {"kind": "deal_sign", "due": "bogus"}).content.decode()
    assert html.count('name="item"') == 2 and "Draft licence" in html and "Noticed licence" in html
    assert badge(html) == 14  # the header counts everything, the filter narrows the list
    html = client.get(URL, {"kind": "import_failed", "due": "overdue"}).content.decode()
    assert 'name="item"' not in html and "Nothing matches this filter." in html
    assert client.post(URL).status_code == 405


def test_assign_a_reviewer_to_several_rounds_refused_per_item(world: World) -> None:
    client = client_for(world, "manager")
    keys = [
        f"round_reviewers:{world['round'].pk}",
        f"round_close:{world['late_round'].pk}",
        "round_close:999999",
        f"plan_approve:{world['plan_by_manager2'].pk}",
    ]
    before = AuditEvent.objects.filter(action="evaluation.assign").count()
    response = client.post(
        BULK,
        {
            "action": "assign",
            "reviewer": world["reviewer"].pk,
            "item": keys,
            "kind": "",
            "due": "7",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/en/my-work/?due=7"
    # "reviewer" is already in the first round (refused, nothing written); invited to the late one
    assert ReviewAssignment.objects.filter(review_round=world["round"]).count() == 2
    assert list(
        ReviewAssignment.objects.filter(review_round=world["late_round"]).values_list(
            "reviewer__username", flat=True
        )
    ) == ["reviewer"]
    assert AuditEvent.objects.filter(action="evaluation.assign").count() == before + 1
    shown = [str(m) for m in client.get(URL).context["messages"]]
    assert shown[0] == "Reviewer invited to 1 review round(s)."
    assert len(shown) == 4 and all(m.startswith("Not done: ") for m in shown[1:])


def test_assign_by_someone_who_runs_no_round_writes_nothing(world: World) -> None:
    for user in ("reviewer", "official", "enterprise"):
        client_for(world, user).post(
            BULK,
            {
                "action": "assign",
                "reviewer": world["reviewer2"].pk,
                "item": [
                    f"round_reviewers:{world['round'].pk}",
                    f"round_close:{world['late_round'].pk}",
                ],
            },
        )
    assert ReviewAssignment.objects.count() == 2
    assert not AuditEvent.objects.filter(action="evaluation.assign").exists()


def test_reminders_go_to_whoever_can_act_and_are_recorded(world: World) -> None:
    client = client_for(world, "manager")
    keys = [
        f"round_reviewers:{world['round'].pk}",
        f"payment_overdue:{world['instalment'].pk}",
        f"access_request:{world['access'].pk}",
        f"deadline_20:{world['deadline_20'].pk}",
    ]
    client.post(BULK, {"action": "remind", "item": keys})
    recipients = sorted(Notification.objects.values_list("recipient__username", "kind"))
    assert recipients == [
        ("enterprise", "worklist.remind_payment_overdue"),
        ("reviewer", "worklist.remind_round_reviewers"),
        ("reviewer2", "worklist.remind_round_reviewers"),
    ]
    events = AuditEvent.objects.filter(action="worklist.remind")
    assert events.count() == 2
    shown = [str(m) for m in client.get(URL).context["messages"]]
    assert shown[0] == "Reminders sent for 2 item(s)."
    assert "There is no one else to remind of this item." in shown[1]
    # someone to whom these lines are not waiting reminds no one
    client_for(world, "enterprise").post(BULK, {"action": "remind", "item": keys})
    client_for(world, "reviewer").post(BULK, {"action": "remind", "item": keys})
    assert (
        Notification.objects.count() == 3
        and AuditEvent.objects.filter(action="worklist.remind").count() == 2
    )


def test_export_the_selection_with_the_page_columns(world: World) -> None:
    keys = [
        f"payment_overdue:{world['instalment'].pk}",
        f"deal_sign:{world['draft_deal'].pk}",
        f"plan_approve:{world['plan_by_manager'].pk}",
    ]
    response = client_for(world, "manager").post(BULK, {"action": "export_csv", "item": keys})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))  # type: ignore[attr-defined]
    assert rows[0] == ["Kind", "Item", "Due", "Overdue", "Detail", "Where it is done"]
    # the plan drafted by this manager is not theirs to approve (four-eyes): not exported
    assert [r[:2] for r in rows[1:]] == [
        ["Payments overdue", "Signed licence · Instalment"],
        ["Deals to sign", "Draft licence"],
    ]
    assert rows[1][3:5] == ["yes", "¥600.00 due, ¥250.40 received"]
    assert rows[1][5] == f"http://testserver/en/deals/{world['signed_deal'].pk}/"
    xlsx = client_for(world, "manager").post(BULK, {"action": "export_xlsx", "item": keys})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_bulk_without_items_or_action(world: World) -> None:
    client = client_for(world, "manager")
    assert client.get(BULK).status_code == 405
    response = client.post(BULK, {"action": "remind"})
    assert response.status_code == 302 and response["Location"] == "/en/my-work/"
    response = client.post(
        BULK, {"action": "delete", "item": [f"deal_sign:{world['draft_deal'].pk}"]}
    )
    assert response.status_code == 302
    assert Notification.objects.count() == 0
