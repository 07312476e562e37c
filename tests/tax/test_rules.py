"""The tax rules by hand, to the fen (docs/regime.md (tax)'s worked example is the first test)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from opentto.tax import rules
from opentto.tax.rules import EitIncome, RewardInput, VatInput


def income(
    deal_id: int,
    amount: str,
    costs: str = "0.00",
    taxes: str = "0.00",
    kind: str = rules.TRANSFER,
    **kw: object,
) -> EitIncome:
    return EitIncome(
        deal_id=deal_id,
        label=f"deal {deal_id}",
        contract_kind=kind,
        contract_object=str(kw.pop("contract_object", "patent")),
        income=D(amount),
        costs=D(costs),
        taxes=D(taxes),
        is_registered=bool(kw.pop("is_registered", True)),
        **kw,
    )  # type: ignore[arg-type]


TEN_YEARS = {"licence_starts_on": dt.date(2025, 1, 1), "licence_ends_on": dt.date(2034, 12, 31)}


def worked_example() -> rules.EitTable:
    return rules.eit_relief_table(
        2025,
        "Example University",
        [
            income(1, "3000000.00", "120000.00", "15678.90"),
            income(2, "2600000.00", "100000.00", kind=rules.LICENCE, **TEN_YEARS),
            income(
                3,
                "2000000.00",
                "18642.19",
                kind=rules.LICENCE,
                non_exclusive=True,
                licence_starts_on=dt.date(2025, 1, 1),
                licence_ends_on=dt.date(2030, 12, 31),
            ),
            income(4, "800000.00", wholly_owned_related_party=True),
            income(
                5,
                "400000.00",
                "10000.00",
                kind=rules.LICENCE,
                non_exclusive=True,
                licence_starts_on=dt.date(2025, 1, 1),
                licence_ends_on=dt.date(2027, 12, 31),
            ),
        ],
    )


def test_the_worked_example_of_the_docs():
    t = worked_example()
    assert [r.taxable_income for r in t.rows] == [
        D("2864321.10"),
        D("2500000.00"),
        D("1981357.81"),
        D("800000.00"),
        D("390000.00"),
    ]
    assert [r.qualifies for r in t.rows] == [True, True, True, False, False]
    assert t.qualifying_income == D("7345678.91")
    assert (t.exempt, t.above) == (D("5000000.00"), D("2345678.91"))
    assert t.tax_without_relief == D("1836419.73")  # 1,836,419.7275
    assert t.tax_due == D("293209.86")  # 293,209.86375
    assert t.relief == D("1543209.87")
    assert (t.excluded_income, t.tax_on_excluded) == (D("1190000.00"), D("297500.00"))
    assert [r.code for r in t.rows[3].reasons if not r.ok] == ["related_party"]
    assert [r.code for r in t.rows[4].reasons if not r.ok] == ["licence_term"]
    js = t.as_json()
    assert js["relief"] == "1543209.87" and js["rows"][0]["transfer_income"] == "2864321.10"  # type: ignore[index]


@pytest.mark.parametrize(
    ("amounts", "above", "without", "due", "relief"),
    [
        (
            ("1666666.66", "1666666.66", "1666666.67"),
            "0.00",
            "1250000.00",
            "0.00",
            "1250000.00",
        ),  # 4,999,999.99: 1,249,999.9975
        (
            ("2000000.00", "2000000.00", "1000000.00"),
            "0.00",
            "1250000.00",
            "0.00",
            "1250000.00",
        ),  # exactly the limit
        (
            ("2000000.00", "2000000.00", "1000000.01"),
            "0.01",
            "1250000.00",
            "0.00",
            "1250000.00",
        ),  # 0.00125 rounds to 0.00
        (
            ("2000000.00", "2000000.00", "1000000.04"),
            "0.04",
            "1250000.01",
            "0.01",
            "1250000.00",
        ),  # 0.005 rounds half up to 0.01
        (
            ("3000000.00", "2345678.91", "2000000.00"),
            "2345678.91",
            "1836419.73",
            "293209.86",
            "1543209.87",
        ),  # 7,345,678.91
    ],
)
def test_three_transfers_in_one_year_around_the_line(amounts, above, without, due, relief):
    t = rules.eit_relief_table(2025, "U", [income(i, a) for i, a in enumerate(amounts)])
    total = sum((D(a) for a in amounts), D("0.00"))
    assert t.qualifying_income == total
    assert t.exempt == min(total, D("5000000.00"))
    assert (t.above, t.tax_without_relief, t.tax_due, t.relief) == (
        D(above),
        D(without),
        D(due),
        D(relief),
    )


def test_costs_and_taxes_are_deducted_before_the_limit():
    # 5,200,000.00 of contract income, 150,000.00 of costs and 49,999.99 of taxes: 所得 5,000,000.01
    t = rules.eit_relief_table(2025, "U", [income(1, "5200000.00", "150000.00", "49999.99")])
    assert (t.qualifying_income, t.above, t.tax_due) == (D("5000000.01"), D("0.01"), D("0.00"))


def test_a_loss_offsets_and_a_negative_total_is_zero():
    t = rules.eit_relief_table(2025, "U", [income(1, "100.00", "300.00"), income(2, "150.00")])
    assert (
        t.rows[0].taxable_income == D("-200.00")
        and t.qualifying_income == D("0.00")
        and t.relief == D("0.00")
    )


def test_exclusions_and_flags():
    row = rules.eit_row(income(1, "10.00", kind=rules.CONSULTING))
    assert not row.qualifies and [r.code for r in row.reasons if not r.ok] == ["support"]
    assert rules.eit_row(
        income(1, "10.00", kind=rules.DEV_COMMISSIONED, bundled_support_services=True)
    ).qualifies
    unregistered = rules.eit_row(income(1, "10.00", is_registered=False))
    assert not unregistered.qualifies and [r.code for r in unregistered.reasons if not r.ok] == [
        "registered"
    ]
    secret = rules.eit_row(income(1, "10.00", contract_object=rules.TECHNICAL_SECRET))
    assert secret.qualifies and [f.code for f in secret.flags] == ["technical_secret"]
    assert not rules.eit_row(income(1, "10.00", kind="")).qualifies
    short_exclusive = rules.eit_row(
        income(
            1,
            "10.00",
            kind=rules.LICENCE,
            licence_starts_on=dt.date(2025, 1, 1),
            licence_ends_on=dt.date(2026, 1, 1),
        )
    )
    assert short_exclusive.qualifies and [f.code for f in short_exclusive.flags] == ["licence_term"]
    table = rules.eit_relief_table(2025, "Gov", [income(1, "10.00")], resident_enterprise=False)
    assert table.qualifying_income == D("0.00") and [
        r.code for r in table.rows[0].reasons if not r.ok
    ] == ["resident"]


def test_five_years_of_licence():
    assert rules.licence_years_ok(dt.date(2024, 1, 1), dt.date(2028, 12, 31))
    assert not rules.licence_years_ok(dt.date(2024, 1, 1), dt.date(2028, 12, 30))
    assert rules.licence_years_ok(dt.date(2024, 2, 29), dt.date(2029, 2, 27))
    assert not rules.licence_years_ok(None, dt.date(2030, 1, 1))


def test_amounts_must_be_in_fen():
    with pytest.raises(ValueError):
        rules.eit_row(income(1, "10.001"))


BASE = RewardInput(
    amount=D("12345.67"),
    non_profit_research=True,
    contract_kind=rules.LICENCE,
    is_registered=True,
    income_received_on=dt.date(2022, 3, 31),
    paid_on=dt.date(2025, 3, 31),
)


def test_a_reward_is_half_taxable_when_every_condition_holds():
    answer = rules.reward_iit(BASE)
    assert answer.half_taxable and answer.taxable == D("6172.84")  # 6,172.835 half up
    assert [c.code for c in answer.conditions] == [
        "institution",
        "income",
        "registered",
        "within_36_months",
    ]


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"non_profit_research": False}, "institution"),
        ({"contract_kind": rules.SERVICE}, "income"),
        ({"is_registered": False}, "registered"),
        ({"paid_on": dt.date(2025, 4, 1)}, "within_36_months"),
    ],
)
def test_each_condition_failing_once_makes_the_whole_reward_taxable(change, failing):
    from dataclasses import replace

    answer = rules.reward_iit(replace(BASE, **change))
    assert not answer.half_taxable and answer.taxable == D("12345.67")
    assert [c.code for c in answer.conditions if not c.ok] == [failing]


def test_36_months_from_a_month_end():
    assert rules.add_months(dt.date(2023, 2, 28), 36) == dt.date(2026, 2, 28)
    assert rules.add_months(dt.date(2021, 8, 31), 36) == dt.date(2024, 8, 31)
    assert rules.add_months(dt.date(2021, 11, 30), 3) == dt.date(2022, 2, 28)


@pytest.mark.parametrize(
    ("kind", "bundled", "registered", "applies", "failing"),
    [
        (rules.TRANSFER, False, True, True, []),
        (rules.LICENCE, True, True, True, []),
        (rules.DEV_COOPERATIVE, False, True, True, []),
        (rules.CONSULTING, False, True, False, ["bundled"]),
        (rules.SERVICE, True, True, True, []),
        (rules.TRANSFER, False, False, False, ["registered"]),
        ("", False, True, False, ["kind"]),
    ],
)
def test_vat_exemption(kind, bundled, registered, applies, failing):
    answer = rules.vat_exemption(
        VatInput(contract_kind=kind, bundled_support_services=bundled, is_registered=registered)
    )
    assert answer.applies is applies
    assert [r.code for r in answer.reasons if not r.ok] == failing
    assert str(answer.citation.source).startswith("Caishui [2016] No. 36")


def test_reasons_speak_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        answer = rules.vat_exemption(
            VatInput(
                contract_kind=rules.CONSULTING, bundled_support_services=False, is_registered=False
            )
        )
    assert all(
        any("\u4e00" <= ch <= "\u9fff" for ch in r.message.replace("技术合同认定登记", ""))
        for r in answer.reasons
    )
