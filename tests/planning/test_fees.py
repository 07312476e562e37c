"""Patent fees and their reductions (专利收费减缴办法, 财税〔2016〕78号; 财税〔2019〕45号; 财税〔2018〕37号;
财税〔2024〕23号): every amount below is computed by hand from the seeded CNIPA schedule
(invention annual fees: years 1–3 900, 4–6 1,200, 7–9 2,000, 10–12 4,000, 13–15 6,000)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from opentto.accounts.models import User
from opentto.core.models import AuditEvent
from opentto.organisations.models import Organisation
from opentto.patents import fees
from opentto.patents.admin import FeeScheduleAdmin
from opentto.patents.models import FeeSchedule, FeeScheduleItem, Filing, FilingFeeReduction
from opentto.patents.services import (
    FilingInput,
    family_create,
    filing_create,
    filing_fee_reduction_record,
)
from opentto.results.models import Result
from opentto.results.services import result_onboard
from tests.conftest import result_input

pytestmark = pytest.mark.django_db

FILED = dt.date(2021, 1, 10)
GRANTED = dt.date(2021, 12, 1)  # patent year 1: the reduction covers annual-fee years 1–10
SINGLE = [
    "135.00",
    "135.00",
    "135.00",
    "180.00",
    "180.00",
    "180.00",
    "300.00",
    "300.00",
    "300.00",
    "600.00",
    "4000.00",
    "4000.00",
]
JOINT = [
    "270.00",
    "270.00",
    "270.00",
    "360.00",
    "360.00",
    "360.00",
    "600.00",
    "600.00",
    "600.00",
    "1200.00",
    "4000.00",
    "4000.00",
]
FULL = [
    "900.00",
    "900.00",
    "900.00",
    "1200.00",
    "1200.00",
    "1200.00",
    "2000.00",
    "2000.00",
    "2000.00",
    "4000.00",
    "4000.00",
    "4000.00",
]


def cn_patent(
    result: Result,
    manager: User,
    *,
    number: str,
    filed: dt.date = FILED,
    granted: dt.date | None = GRANTED,
) -> Filing:
    family = family_create(
        result=result,
        kind="invention",
        title_en="Arm control",
        target_offices=["CN"],
        actor=manager,
    )
    return filing_create(
        family=family,
        data=FilingInput(
            office="CN",
            route="first",
            application_number=number,
            filing_date=filed,
            grant_date=granted,
        ),
        actor=manager,
    )


@pytest.fixture
def single(manager: User, onboarded: Result) -> Filing:
    return cn_patent(onboarded, manager, number="CN202110000001.1")


@pytest.fixture
def joint_result(
    manager: User, university: Organisation, enterprise_org: Organisation, researcher
) -> Result:  # type: ignore[no-untyped-def]
    return result_onboard(
        data=result_input(
            [university, enterprise_org],
            [(researcher, "100")],
            ip_assets=[],
            title_en="Joint arm",
            title_zh="联合机械臂",
        ),
        actor=manager,
    )


@pytest.fixture
def joint(manager: User, joint_result: Result) -> Filing:
    return cn_patent(joint_result, manager, number="CN202110000002.2")


def annuities(filing: Filing) -> list[str]:
    catalogue = fees.FeeCatalogue()
    rows = filing.deadlines.filter(key="annuity").order_by("year")[:12]
    assert [d.year for d in rows] == list(range(1, 13))
    return [str(fees.fee_for_deadline(d, catalogue).payable_cny) for d in rows]  # type: ignore[union-attr]


def test_rounding_to_the_fen_half_up() -> None:
    assert fees.reduced_amount(Decimal("900"), 85) == Decimal("135.00")
    assert fees.reduced_amount(Decimal("900"), 70) == Decimal("270.00")
    assert fees.reduced_amount(Decimal("333.33"), 85) == Decimal("50.00")  # 49.9995
    assert fees.reduced_amount(Decimal("333.33"), 70) == Decimal("100.00")  # 99.999
    assert fees.reduced_amount(Decimal("0.10"), 85) == Decimal("0.02")  # 0.015


def test_seeded_schedule_records_its_source_and_the_unconfirmed_design_years() -> None:
    schedule = FeeSchedule.objects.get(office="CN")
    assert "STANDARDS.md" in schedule.source and "not confirmed" in schedule.source
    unconfirmed = FeeScheduleItem.objects.filter(is_confirmed=False)
    assert [(i.patent_kind, i.year_from, i.year_to, i.amount_cny) for i in unconfirmed] == [
        ("design", 11, 15, Decimal("3000.00"))
    ]
    assert FeeScheduleItem.objects.get(
        patent_kind="invention", fee_kind="substantive_examination"
    ).amount_cny == Decimal("2500.00")


def test_without_a_reduction_every_annuity_is_full(single: Filing) -> None:
    assert annuities(single) == FULL


def test_single_qualifying_applicant_85_percent_years_1_to_10(
    single: Filing, manager: User, university: Organisation
) -> None:
    record = filing_fee_reduction_record(
        filing=single, reduction="85", grounds={university.pk: "public_institution"}, actor=manager
    )
    assert record.covered_years == (1, 10)
    assert annuities(single) == SINGLE
    year_1 = single.deadlines.get(key="annuity", year=1)
    fee = fees.fee_for_deadline(year_1)
    assert fee is not None and (fee.full_cny, fee.percent, fee.reduction, fee.payable_cny) == (
        Decimal("900.00"),
        85,
        "85",
        Decimal("135.00"),
    )
    assert "year 1 is within the covered years 1–10" in fee.reason
    year_11 = fees.fee_for_deadline(single.deadlines.get(key="annuity", year=11))
    assert (
        year_11 is not None
        and year_11.percent == 0
        and "outside the covered years 1–10" in year_11.reason
    )
    event = AuditEvent.objects.filter(action="ip.fee_reduction_record").get()
    assert event.payload["reduction"] == "85" and event.payload["grounds"] == {
        str(university.pk): "public_institution"
    }


def test_two_qualifying_joint_applicants_70_percent(
    joint: Filing, manager: User, university: Organisation, enterprise_org: Organisation
) -> None:
    filing_fee_reduction_record(
        filing=joint,
        reduction="70",
        grounds={university.pk: "public_institution", enterprise_org.pk: "enterprise"},
        actor=manager,
    )
    assert annuities(joint) == JOINT


def test_joint_applicants_one_not_qualifying_get_no_reduction(
    joint: Filing, manager: User, university: Organisation, enterprise_org: Organisation
) -> None:
    grounds = {university.pk: "public_institution", enterprise_org.pk: "not_qualifying"}
    with pytest.raises(ValidationError) as exc:
        filing_fee_reduction_record(filing=joint, reduction="70", grounds=grounds, actor=manager)
    assert exc.value.message_dict["reduction"] == [
        f"Every applicant must qualify for the reduction; {enterprise_org.name} does not."
    ]
    assert (
        not FilingFeeReduction.objects.exists()
        and not AuditEvent.objects.filter(action="ip.fee_reduction_record").exists()
    )
    filing_fee_reduction_record(filing=joint, reduction="none", grounds=grounds, actor=manager)
    assert annuities(joint) == FULL


def test_85_and_70_refused_for_the_wrong_number_of_applicants(
    single: Filing,
    joint: Filing,
    manager: User,
    university: Organisation,
    enterprise_org: Organisation,
) -> None:
    with pytest.raises(ValidationError) as exc:
        filing_fee_reduction_record(
            filing=joint,
            reduction="85",
            grounds={university.pk: "public_institution", enterprise_org.pk: "enterprise"},
            actor=manager,
        )
    assert exc.value.message_dict["reduction"] == [
        "85% is for a single applicant; this filing has 2 applicants (two or more qualifying applicants get 70%)."
    ]
    with pytest.raises(ValidationError) as exc:
        filing_fee_reduction_record(
            filing=single,
            reduction="70",
            grounds={university.pk: "public_institution"},
            actor=manager,
        )
    assert exc.value.message_dict["reduction"] == [
        "70% is for two or more applicants together; a single qualifying applicant gets 85%."
    ]
    with pytest.raises(ValidationError) as exc:  # every owner is an applicant
        filing_fee_reduction_record(
            filing=joint,
            reduction="85",
            grounds={university.pk: "public_institution"},
            actor=manager,
        )
    assert exc.value.message_dict["grounds"] == [
        "Give a ground for every applicant (the result's owners), and for no one else."
    ]
    assert not FilingFeeReduction.objects.exists()


def test_open_licence_15_percent_only_where_no_other_reduction_applies(
    single: Filing, manager: User, university: Organisation
) -> None:
    # no reduction: year 11 (due 2031-01-10) during the open licence: 4000 × 0.85 = 3400.00; year 10 (2030-01-10) before it
    filing_fee_reduction_record(
        filing=single,
        reduction="none",
        grounds={university.pk: "not_qualifying"},
        open_licence_from=dt.date(2030, 6, 1),
        actor=manager,
    )
    single.refresh_from_db()
    by_year = dict(zip(range(1, 13), annuities(single), strict=True))
    assert (by_year[10], by_year[11], by_year[12]) == ("4000.00", "3400.00", "3400.00")
    # 85 %: years 1–10 keep 85 % (not 85 % + 15 %); year 11 outside the covered years gets the 15 %
    filing_fee_reduction_record(
        filing=single,
        reduction="85",
        grounds={university.pk: "public_institution"},
        open_licence_from=dt.date(2021, 1, 1),
        open_licence_until=dt.date(2031, 6, 30),
        actor=manager,
    )
    single.refresh_from_db()
    by_year = dict(zip(range(1, 13), annuities(single), strict=True))
    assert (by_year[5], by_year[10], by_year[11], by_year[12]) == (
        "180.00",
        "600.00",
        "3400.00",
        "4000.00",
    )  # year 12 (2032) after the licence ended
    fee = fees.fee_for_deadline(single.deadlines.get(key="annuity", year=11))
    assert (
        fee is not None
        and fee.reduction == "open_licence"
        and "Caishui [2024] No. 23" in fee.reason
    )


def test_the_newest_schedule_in_effect_on_the_due_date_applies(
    single: Filing, manager: User, university: Organisation
) -> None:
    filing_fee_reduction_record(
        filing=single, reduction="85", grounds={university.pk: "public_institution"}, actor=manager
    )
    newer = FeeSchedule.objects.create(
        office="CN", source="test schedule", effective_from=dt.date(2028, 1, 1)
    )
    FeeScheduleItem.objects.create(
        schedule=newer,
        patent_kind="invention",
        fee_kind="annuity",
        year_from=7,
        year_to=9,
        amount_cny=Decimal("2500.00"),
    )
    year_7 = fees.fee_for_deadline(
        single.deadlines.get(key="annuity", year=7)
    )  # due 2027-01-10: the old schedule
    year_8 = fees.fee_for_deadline(
        single.deadlines.get(key="annuity", year=8)
    )  # due 2028-01-10: the new one
    assert year_7 is not None and (year_7.full_cny, year_7.payable_cny) == (
        Decimal("2000.00"),
        Decimal("300.00"),
    )
    assert year_8 is not None and (year_8.full_cny, year_8.payable_cny, year_8.schedule_source) == (
        Decimal("2500.00"),
        Decimal("375.00"),
        "test schedule",
    )
    assert (
        fees.fee_for_deadline(single.deadlines.get(key="annuity", year=10)) is None
    )  # the new schedule has no such fee


def test_substantive_examination_fee_is_reduced(
    manager: User, onboarded: Result, university: Organisation
) -> None:
    filed = cn_patent(
        onboarded, manager, number="CN202410000003.3", filed=dt.date(2024, 5, 6), granted=None
    )
    filing_fee_reduction_record(
        filing=filed, reduction="85", grounds={university.pk: "public_institution"}, actor=manager
    )
    fee = fees.fee_for_deadline(filed.deadlines.get(key="cn_examination_request"))
    assert fee is not None and (fee.fee_kind, fee.full_cny, fee.payable_cny) == (
        "substantive_examination",
        Decimal("2500.00"),
        Decimal("375.00"),
    )


def test_pages_show_full_and_reduced_amounts_in_both_languages(
    client, single: Filing, manager: User, university: Organisation
) -> None:  # type: ignore[no-untyped-def]
    filing_fee_reduction_record(
        filing=single, reduction="85", grounds={university.pk: "public_institution"}, actor=manager
    )
    client.force_login(manager)
    page = client.get(
        reverse("planning:result_ip", args=[single.family.result_id])
    ).content.decode()
    assert "85% (a single qualifying applicant)" in page and "annual-fee years 1–10" in page
    assert (
        "¥4,000.00" in page and "−85%" in page
    )  # year 10 at full price is struck through, 600.00 to pay
    zh = client.get(
        "/zh-hans" + reverse("planning:result_ip", args=[single.family.result_id])[3:]
    ).content.decode()
    assert "85%（单个符合条件的申请人）" in zh and "第1–10年年费" in zh and "¥600.00" in zh


def test_fee_reduction_view_permissions(
    client,
    single: Filing,
    manager: User,
    inventor: User,
    other_inventor: User,
    university: Organisation,
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("planning:fee_reduction", args=[single.pk])
    data = {"reduction": "85", f"ground_{university.pk}": "public_institution"}
    assert client.post(url, data).status_code == 302  # anonymous: to the sign-in page
    client.force_login(other_inventor)  # another organisation's inventor: invisible
    assert client.post(url, data).status_code == 404
    client.force_login(inventor)  # sees the filing, may not change it
    assert client.post(url, data).status_code == 403
    assert not FilingFeeReduction.objects.exists()
    client.force_login(manager)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"reduction": "70", f"ground_{university.pk}": "public_institution"})
    assert (
        bad.status_code == 400
        and "70% is for two or more applicants together" in bad.content.decode()
    )
    assert not FilingFeeReduction.objects.exists()
    assert client.post(url, data).status_code == 302
    assert FilingFeeReduction.objects.get().reduction == "85"


def test_admin_edits_of_the_schedule_are_audited(admin_user: User, rf) -> None:  # type: ignore[no-untyped-def]
    from django.contrib import admin as django_admin

    request = rf.post("/")
    request.user = admin_user
    model_admin = FeeScheduleAdmin(FeeSchedule, django_admin.site)
    schedule = FeeSchedule(
        office="CN", source="CNIPA notice (test)", effective_from=dt.date(2030, 1, 1)
    )
    model_admin.save_model(request, schedule, None, change=False)
    schedule.source = "CNIPA notice (corrected)"
    model_admin.save_model(request, schedule, None, change=True)
    events = list(AuditEvent.objects.filter(action="fees.schedule_save").order_by("id"))
    assert [e.payload["before"] for e in events][0] is None
    assert (
        events[1].payload["before"]["source"] == "CNIPA notice (test)"
        and events[1].payload["after"]["source"] == "CNIPA notice (corrected)"
    )
    model_admin.delete_model(request, schedule)
    assert (
        AuditEvent.objects.filter(action="fees.schedule_delete").count() == 1
        and not FeeSchedule.objects.filter(pk=schedule.pk).exists()
    )
