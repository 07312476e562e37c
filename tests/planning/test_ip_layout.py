"""IP layout: filings with deadlines derived by the engine, the confidentiality examination
that blocks foreign filings (Patent Law art. 19), abandonment, reminders and the ICS feed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from opentto.notifications.models import Notification
from opentto.patents.ics import escape_text, fold
from opentto.patents.models import (
    ConfidentialityExamination,
    DeadlineReminder,
    Filing,
    FilingDeadline,
)
from opentto.patents.services import (
    FilingInput,
    calendar_feed_get_or_create,
    calendar_feed_reset,
    confidentiality_record,
    deadline_reminders_send,
    family_create,
    filing_abandon,
    filing_create,
    layout_proposals,
)


def family(result, manager, offices=("CN", "EP", "US"), kind="invention"):
    return family_create(
        result=result,
        kind=kind,
        title_en="Robot-arm control",
        target_offices=list(offices),
        manager=manager,
        actor=manager,
    )


def rows(filing):
    return [
        (d.key, d.office, d.year, d.due, d.late_until)
        for d in filing.deadlines.order_by("due", "key", "office")
    ]


@pytest.mark.django_db
def test_a_granted_chinese_invention_gets_its_annuities_and_term(onboarded, manager):
    fam = family(onboarded, manager, ("CN",))
    cn = filing_create(
        family=fam,
        data=FilingInput(
            office="CN",
            route="first",
            application_number="CN202410012345.6",
            filing_date=dt.date(2024, 1, 31),
            grant_date=dt.date(2026, 6, 15),
        ),
        actor=manager,
    )
    derived = rows(cn)
    assert cn.status == "granted"
    assert derived[:4] == [
        ("paris_priority", "CN", None, dt.date(2025, 1, 31), None),
        (
            "annuity",
            "CN",
            3,
            dt.date(2026, 6, 15),
            None,
        ),  # year of grant: paid with the registration
        ("annuity", "CN", 4, dt.date(2027, 1, 31), dt.date(2027, 7, 31)),
        ("annuity", "CN", 5, dt.date(2028, 1, 31), dt.date(2028, 7, 31)),
    ]
    assert ("term_end", "CN", None, dt.date(2044, 1, 31), None) in derived
    assert not [
        r for r in derived if r[0] == "cn_examination_request"
    ]  # granted: the request was made
    assert [r[2] for r in derived if r[0] == "annuity"] == list(range(3, 21))
    source = cn.deadlines.get(key="annuity", year=4).source
    assert "rule" in source or "Rule" in source


@pytest.mark.django_db
def test_a_foreign_filing_is_blocked_until_the_confidentiality_examination_is_recorded(
    onboarded, manager
):
    fam = family(onboarded, manager)
    cn = filing_create(
        family=fam,
        data=FilingInput(office="CN", route="first", filing_date=dt.date(2025, 1, 31)),
        actor=manager,
    )
    us = FilingInput(
        office="US",
        route="paris",
        application_number="US19/123456",
        filing_date=dt.date(2026, 1, 20),
        priority_date=cn.filing_date,
    )
    with pytest.raises(ValidationError) as refused:
        filing_create(family=fam, data=us, actor=manager)
    assert refused.value.message_dict["office"][0].startswith(
        "Record CNIPA's confidentiality examination first"
    )
    assert Filing.objects.filter(family=fam).count() == 1
    confidentiality_record(
        family=fam, requested_on=dt.date(2025, 11, 3), outcome="requested", actor=manager
    )
    with pytest.raises(ValidationError):
        filing_create(family=fam, data=us, actor=manager)  # requested is not cleared
    confidentiality_record(
        family=fam,
        requested_on=dt.date(2025, 11, 3),
        outcome="cleared",
        decided_on=dt.date(2025, 11, 20),
        actor=manager,
    )
    filed = filing_create(family=fam, data=us, actor=manager)
    assert filed.status == "filed" and filed.priority_date == dt.date(2025, 1, 31)
    # A design, or an invention made abroad, needs no examination.
    foreign = family_create(
        result=onboarded,
        kind="invention",
        title_en="Made abroad",
        made_in_china=False,
        target_offices=["US"],
        actor=manager,
    )
    assert filing_create(
        family=foreign,
        data=FilingInput(office="US", route="first", filing_date=dt.date(2026, 2, 1)),
        actor=manager,
    ).pk


@pytest.mark.django_db
def test_a_refused_examination_blocks_for_good(onboarded, manager):
    fam = family(onboarded, manager)
    filing_create(
        family=fam,
        data=FilingInput(office="CN", route="first", filing_date=dt.date(2025, 1, 31)),
        actor=manager,
    )
    confidentiality_record(
        family=fam,
        requested_on=dt.date(2025, 3, 1),
        outcome="refused",
        decided_on=dt.date(2025, 3, 20),
        actor=manager,
    )
    with pytest.raises(ValidationError) as refused:
        filing_create(
            family=fam,
            data=FilingInput(
                office="EP",
                route="paris",
                filing_date=dt.date(2026, 1, 20),
                priority_date=dt.date(2025, 1, 31),
            ),
            actor=manager,
        )
    assert refused.value.message_dict["office"] == [
        "CNIPA found this invention needs secrecy: it may not be filed abroad (Patent Law art. 19)."
    ]


@pytest.mark.django_db
def test_a_pct_filed_at_cnipa_counts_as_the_request_and_gets_national_phase_deadlines(
    onboarded, manager
):
    fam = family(onboarded, manager, ("CN", "EP", "US"))
    filing_create(
        family=fam,
        data=FilingInput(office="CN", route="first", filing_date=dt.date(2025, 1, 31)),
        actor=manager,
    )
    assert [
        (p.office, p.route, p.planned_by) for p in layout_proposals(fam, today=dt.date(2025, 6, 1))
    ] == [("WO", "pct", dt.date(2026, 1, 31))]
    pct = filing_create(
        family=fam,
        data=FilingInput(
            office="WO",
            route="pct",
            receiving_office="CN",
            application_number="PCT/CN2026/050001",
            filing_date=dt.date(2026, 1, 30),
            priority_date=dt.date(2025, 1, 31),
        ),
        actor=manager,
    )
    exam = ConfidentialityExamination.objects.get(family=fam)
    assert (exam.via_pct_at_cnipa, exam.outcome, exam.requested_on) == (
        True,
        "requested",
        dt.date(2026, 1, 30),
    )
    # 30 months from the priority date (PCT art. 22), 31 at the EPO (EPC r. 159); CN is covered by the first filing.
    assert rows(pct) == [
        ("national_phase", "US", None, dt.date(2027, 7, 31), None),
        ("national_phase", "EP", None, dt.date(2027, 8, 31), None),
    ]
    assert [
        (p.office, p.route, p.planned_by) for p in layout_proposals(fam, today=dt.date(2026, 3, 1))
    ] == [
        ("EP", "national_phase", dt.date(2027, 8, 31)),
        ("US", "national_phase", dt.date(2027, 7, 31)),
    ]
    # Entering the EP phase removes that deadline from the PCT application.
    filing_create(
        family=fam,
        data=FilingInput(
            office="EP", route="national_phase", parent=pct, filing_date=dt.date(2026, 3, 2)
        ),
        actor=manager,
    )
    assert [r[1] for r in rows(pct)] == ["US"]


@pytest.mark.django_db
def test_a_pct_for_a_design_is_refused(onboarded, manager):
    fam = family(onboarded, manager, ("CN",), kind="design")
    with pytest.raises(ValidationError) as refused:
        filing_create(
            family=fam,
            data=FilingInput(
                office="WO", route="pct", receiving_office="CN", filing_date=dt.date(2026, 1, 5)
            ),
            actor=manager,
        )
    assert refused.value.message_dict["route"] == [
        "Designs go abroad through the Hague system, not the PCT."
    ]


@pytest.mark.django_db
def test_abandoning_a_patent_records_reason_and_approver_and_waives_its_deadlines(
    onboarded, manager, second_manager, inventor
):
    fam = family(onboarded, manager, ("CN",))
    cn = filing_create(
        family=fam,
        data=FilingInput(
            office="CN",
            route="first",
            filing_date=dt.date(2024, 1, 31),
            grant_date=dt.date(2026, 6, 15),
        ),
        actor=manager,
    )
    with pytest.raises(ValidationError) as refused:
        filing_abandon(
            filing=cn,
            decided_on=dt.date(2026, 11, 1),
            reason=" ",
            approved_by=inventor,
            actor=manager,
        )
    assert refused.value.message_dict == {
        "reason": ["Give the reason for abandoning the patent."],
        "approved_by": ["Choose a TTO manager."],
    }
    decision = filing_abandon(
        filing=cn,
        decided_on=dt.date(2026, 11, 1),
        reason="No licensee in sight; fees outweigh value.",
        approved_by=second_manager,
        actor=manager,
    )
    cn.refresh_from_db()
    assert cn.status == "abandoned" and decision.approved_by == second_manager
    assert set(cn.deadlines.values_list("status", flat=True)) == {"waived"}
    assert deadline_reminders_send(today=dt.date(2027, 1, 20)) == 0


@pytest.mark.django_db
def test_an_overdue_deadline_reminds_its_manager_once(onboarded, manager, second_manager):
    fam = family_create(
        result=onboarded,
        kind="invention",
        title_en="Robot-arm control",
        target_offices=["CN"],
        manager=second_manager,
        actor=manager,
    )
    filing_create(
        family=fam,
        data=FilingInput(
            office="CN",
            route="first",
            filing_date=dt.date(2024, 1, 31),
            grant_date=dt.date(2026, 6, 15),
        ),
        actor=manager,
    )
    # 2027-01-31 is the 4th annuity (late until 2027-07-31).
    # Older deadlines (the year-3 annuity, the priority year) are history entered late: no reminder.
    assert deadline_reminders_send(today=dt.date(2026, 11, 20)) == 0  # 72 days ahead: too early
    assert deadline_reminders_send(today=dt.date(2026, 12, 5)) == 1  # 57 days: the 60-day step
    first = Notification.objects.get()
    assert first.recipient == second_manager and first.kind == "planning.deadline_due"
    assert deadline_reminders_send(today=dt.date(2026, 12, 6)) == 0
    assert deadline_reminders_send(today=dt.date(2027, 1, 2)) == 1  # 29 days: the 30-day step
    assert deadline_reminders_send(today=dt.date(2027, 2, 3)) == 1  # overdue
    overdue = Notification.objects.filter(kind="planning.deadline_overdue").get()
    assert overdue.recipient == second_manager
    assert overdue.title_en.startswith("Overdue: Annual fee (CN) (CN, 2027-01-31)")
    assert "2027-07-31" in overdue.body_en
    assert deadline_reminders_send(today=dt.date(2027, 2, 4)) == 0
    assert list(DeadlineReminder.objects.order_by("id").values_list("step", flat=True)) == [
        "60",
        "30",
        "overdue",
    ]


def test_ics_text_is_escaped_and_folded():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    long = "SUMMARY:" + "经心尖二尖瓣夹合器" * 6
    folded = fold(long).split("\r\n")
    assert len(folded) > 1
    assert all(len(line.encode("utf-8")) <= 75 for line in folded)
    assert "".join(line[1:] if i else line for i, line in enumerate(folded)) == long


@pytest.mark.django_db
def test_the_ics_feed_is_reached_only_by_its_token(onboarded, manager, inventor):
    fam = family(onboarded, manager, ("CN",))
    filing_create(
        family=fam,
        data=FilingInput(
            office="CN",
            route="first",
            application_number="CN202410012345.6",
            filing_date=dt.date(2024, 1, 31),
            grant_date=dt.date(2026, 6, 15),
        ),
        actor=manager,
    )
    feed = calendar_feed_get_or_create(user=manager)
    response = Client().get(f"/en/planning/calendar/{feed.token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//OpenTTO//Patent deadlines//EN\r\n"
    )
    assert body.endswith("END:VCALENDAR\r\n")
    annuity = FilingDeadline.objects.get(key="annuity", year=4)
    assert f"UID:deadline-{annuity.pk}@opentto\r\n" in body
    assert "DTSTART;VALUE=DATE:20270131\r\nDTEND;VALUE=DATE:20270201\r\n" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert Client().get("/en/planning/calendar/not-a-token.ics").status_code == 404
    with pytest.raises(PermissionError):
        calendar_feed_get_or_create(user=inventor)
    new = calendar_feed_reset(user=manager)
    assert Client().get(f"/en/planning/calendar/{feed.token}.ics").status_code == 404
    assert Client().get(f"/en/planning/calendar/{new.token}.ics").status_code == 200
