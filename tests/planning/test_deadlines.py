"""Tests for the patent deadline engine (pure functions first, then the command)."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.apps import apps

from opentto.patents.deadlines import (
    Deadline,
    DeadlineError,
    add_months,
    add_years,
    compute_deadlines,
    format_table,
    last_day_of_month,
    next_working_day,
    parse_offices,
    patent_year,
)

D = date


def rows_for(key: str, rows: list[Deadline], office: str | None = None) -> list[Deadline]:
    return [r for r in rows if r.key == key and (office is None or r.office == office)]


def one(key: str, rows: list[Deadline], office: str | None = None) -> Deadline:
    found = rows_for(key, rows, office)
    assert len(found) == 1, (key, office, found)
    return found[0]


# --- date arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2023, 8, 31), 6, D(2024, 2, 29)),  # leap year: February has 29 days
        (D(2022, 8, 31), 6, D(2023, 2, 28)),  # common year
        (D(2023, 1, 31), 12, D(2024, 1, 31)),
        (D(2023, 1, 31), 30, D(2025, 7, 31)),
        (D(2023, 1, 31), 31, D(2025, 8, 31)),
        (D(2023, 1, 31), 32, D(2025, 9, 30)),  # September has no 31st
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2023, 3, 31), -1, D(2023, 2, 28)),
        (D(2023, 12, 15), 1, D(2024, 1, 15)),
        (D(2023, 5, 10), 0, D(2023, 5, 10)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_years_leap_day() -> None:
    assert add_years(D(2020, 2, 29), 1) == D(2021, 2, 28)
    assert add_years(D(2020, 2, 29), 4) == D(2024, 2, 29)
    assert add_years(D(2021, 3, 1), 20) == D(2041, 3, 1)


def test_last_day_of_month() -> None:
    assert last_day_of_month(D(2024, 2, 3)) == D(2024, 2, 29)
    assert last_day_of_month(D(2023, 2, 3)) == D(2023, 2, 28)
    assert last_day_of_month(D(2023, 4, 30)) == D(2023, 4, 30)
    assert last_day_of_month(D(2023, 12, 1)) == D(2023, 12, 31)


def test_next_working_day_skips_weekends_only() -> None:
    assert next_working_day(D(2024, 6, 1)) == D(2024, 6, 3)  # Saturday
    assert next_working_day(D(2024, 6, 2)) == D(2024, 6, 3)  # Sunday
    assert next_working_day(D(2024, 6, 3)) == D(2024, 6, 3)  # Monday
    assert next_working_day(D(2024, 10, 1)) == D(2024, 10, 1)  # holiday: not modelled


def test_patent_year() -> None:
    filing = D(2020, 3, 15)
    assert patent_year(filing, D(2020, 3, 15)) == 1
    assert patent_year(filing, D(2021, 3, 14)) == 1
    assert patent_year(filing, D(2021, 3, 15)) == 2
    assert patent_year(filing, D(2023, 3, 10)) == 3
    assert patent_year(D(2020, 2, 29), D(2021, 2, 28)) == 2
    with pytest.raises(DeadlineError):
        patent_year(filing, D(2020, 3, 14))


def test_parse_offices() -> None:
    assert parse_offices("cn, ep ,US,cn") == ["CN", "EP", "US"]
    assert parse_offices(None) == []
    assert parse_offices(["kr", "JP"]) == ["KR", "JP"]
    with pytest.raises(DeadlineError, match="unknown office 'DE'"):
        parse_offices("CN,DE")


# --- Paris priority -------------------------------------------------------------------------


def test_paris_priority_from_31_january() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2023, 1, 31))
    paris = one("paris_priority", rows)
    assert paris.due == D(2024, 1, 31)
    assert paris.office == "CN"
    assert paris.late_until is None
    assert "Paris Convention art. 4C" in paris.source
    assert "art. 19" in (paris.note or "")  # confidentiality examination before filing abroad


def test_paris_priority_design_six_months_month_end() -> None:
    rows = compute_deadlines(kind="design", filing_date=D(2023, 8, 31))
    assert one("paris_priority", rows).due == D(2024, 2, 29)
    rows = compute_deadlines(kind="design", filing_date=D(2022, 8, 31))
    assert one("paris_priority", rows).due == D(2023, 2, 28)


def test_paris_priority_utility_model_twelve_months() -> None:
    rows = compute_deadlines(kind="utility", filing_date=D(2024, 2, 29))
    assert one("paris_priority", rows).due == D(2025, 2, 28)


def test_paris_priority_runs_from_priority_date() -> None:
    rows = compute_deadlines(
        kind="invention",
        filing_date=D(2024, 1, 10),
        priority_date=D(2023, 1, 31),
        offices="US",
        first_office="CN",
    )
    paris = one("paris_priority", rows)
    assert paris.due == D(2024, 1, 31)
    assert paris.office == "CN"


def test_priority_period_extended_past_weekend() -> None:
    # 2023-09-30 + 12 months = 2024-09-30 (Monday) -> fine; 2023-06-29 + 12 = 2024-06-29 is a
    # Saturday, so a filing on Monday 2024-07-01 is still within the period (Paris art. 4C(3)).
    rows = compute_deadlines(
        kind="invention", filing_date=D(2024, 7, 1), priority_date=D(2023, 6, 29), offices="US"
    )
    paris = one("paris_priority", rows)
    assert paris.due == D(2024, 6, 29)
    assert paris.due_working_day == D(2024, 7, 1)
    assert "restor" not in (paris.note or "")


def test_priority_restoration_window_is_noted() -> None:
    rows = compute_deadlines(
        kind="invention", filing_date=D(2024, 3, 15), priority_date=D(2023, 1, 31), offices="US"
    )
    assert "restored" in (one("paris_priority", rows).note or "")


def test_priority_beyond_restoration_is_refused() -> None:
    with pytest.raises(DeadlineError, match="priority cannot be claimed"):
        compute_deadlines(
            kind="invention", filing_date=D(2024, 4, 1), priority_date=D(2023, 1, 31), offices="US"
        )


def test_design_priority_older_than_six_months_is_refused() -> None:
    with pytest.raises(DeadlineError, match="6-month priority period"):
        compute_deadlines(kind="design", filing_date=D(2024, 3, 1), priority_date=D(2023, 8, 31))


def test_priority_after_filing_is_refused() -> None:
    with pytest.raises(DeadlineError, match="after the filing date"):
        compute_deadlines(kind="invention", filing_date=D(2023, 1, 1), priority_date=D(2023, 2, 1))


# --- PCT ------------------------------------------------------------------------------------


def test_pct_to_ep_and_cn_from_31_january() -> None:
    rows = compute_deadlines(
        kind="invention",
        filing_date=D(2024, 1, 31),
        priority_date=D(2023, 1, 31),
        pct=True,
        offices="CN,EP",
    )
    assert one("pct_filing", rows).due == D(2024, 1, 31)
    cn = one("national_phase", rows, "CN")
    assert cn.due == D(2025, 7, 31)  # 30 months
    assert cn.late_until == D(2025, 9, 30)  # 32 months, with the grace fee
    assert "2024-01-20" in cn.source
    ep = one("national_phase", rows, "EP")
    assert ep.due == D(2025, 8, 31)  # 31 months
    assert ep.late_until is None
    assert "EPC r. 159(1)" in ep.source


def test_pct_other_offices() -> None:
    rows = compute_deadlines(
        kind="invention",
        filing_date=D(2024, 1, 31),
        priority_date=D(2023, 1, 31),
        pct=True,
        offices="US,JP,KR",
    )
    assert one("national_phase", rows, "US").due == D(2025, 7, 31)
    assert one("national_phase", rows, "JP").due == D(2025, 7, 31)
    assert one("national_phase", rows, "KR").due == D(2025, 8, 31)
    assert len(rows_for("national_phase", rows)) == 3


def test_pct_without_priority_runs_from_international_filing_date() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2023, 8, 31), pct=True, offices="CN")
    cn = one("national_phase", rows, "CN")
    assert cn.due == D(2026, 2, 28)
    assert cn.late_until == D(2026, 4, 30)
    assert one("cn_examination_request", rows).due == D(2026, 8, 31)


def test_pct_utility_model_into_cn() -> None:
    rows = compute_deadlines(kind="utility", filing_date=D(2023, 1, 31), pct=True, offices="CN")
    assert one("national_phase", rows, "CN").due == D(2025, 7, 31)
    assert rows_for("cn_examination_request", rows) == []


def test_pct_design_is_refused() -> None:
    with pytest.raises(DeadlineError, match="Hague"):
        compute_deadlines(kind="design", filing_date=D(2023, 1, 31), pct=True)


def test_no_pct_rows_without_pct() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2023, 1, 31), offices="CN,EP")
    assert rows_for("pct_filing", rows) == []
    assert rows_for("national_phase", rows) == []


# --- China ------------------------------------------------------------------------------------


def test_cn_examination_request_from_priority_date() -> None:
    rows = compute_deadlines(
        kind="invention", filing_date=D(2023, 12, 1), priority_date=D(2023, 2, 28)
    )
    exam = one("cn_examination_request", rows)
    assert exam.due == D(2026, 2, 28)
    assert "art. 35" in exam.source


def test_cn_examination_request_only_for_inventions() -> None:
    for kind in ("utility", "design"):
        rows = compute_deadlines(kind=kind, filing_date=D(2023, 1, 31))
        assert rows_for("cn_examination_request", rows) == []


def test_cn_annuities_after_grant() -> None:
    rows = compute_deadlines(
        kind="invention", filing_date=D(2020, 3, 15), grant_date=D(2023, 3, 10)
    )
    annuities = rows_for("annuity", rows)
    assert [a.year for a in annuities] == list(range(3, 21))
    grant_year = annuities[0]
    assert grant_year.year == 3
    assert grant_year.due == D(2023, 3, 10)  # paid with the registration formalities
    assert grant_year.late_until is None
    fourth = annuities[1]
    assert (fourth.year, fourth.due, fourth.late_until) == (4, D(2023, 3, 15), D(2023, 9, 15))
    last = annuities[-1]
    assert (last.year, last.due, last.late_until) == (20, D(2039, 3, 15), D(2039, 9, 15))
    assert all(a.office == "CN" and a.source for a in annuities)
    assert one("term_end", rows, "CN").due == D(2040, 3, 15)


def test_cn_annuities_leap_day_filing() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2020, 2, 29), grant_date=D(2022, 6, 1))
    by_year = {a.year: a for a in rows_for("annuity", rows)}
    assert by_year[4].due == D(2023, 2, 28)
    assert by_year[4].late_until == D(2023, 8, 28)
    assert by_year[5].due == D(2024, 2, 29)


def test_cn_utility_model_annuities_and_term() -> None:
    rows = compute_deadlines(kind="utility", filing_date=D(2022, 8, 31), grant_date=D(2023, 2, 1))
    annuities = rows_for("annuity", rows)
    assert [a.year for a in annuities] == list(range(1, 11))
    assert annuities[1].due == D(2023, 8, 31)
    assert annuities[1].late_until == D(2024, 2, 29)
    assert one("term_end", rows, "CN").due == D(2032, 8, 31)


def test_cn_design_term_depends_on_2021_06_01() -> None:
    new = compute_deadlines(kind="design", filing_date=D(2021, 6, 1))
    old = compute_deadlines(kind="design", filing_date=D(2021, 5, 31))
    assert one("term_end", new, "CN").due == D(2036, 6, 1)
    assert one("term_end", old, "CN").due == D(2031, 5, 31)


def test_cn_term_compensation() -> None:
    rows = compute_deadlines(
        kind="invention",
        filing_date=D(2020, 3, 15),
        grant_date=D(2023, 3, 10),
        compensation_days=100,
    )
    term = one("term_end", rows, "CN")
    assert term.due == D(2040, 6, 23)
    assert "art. 42(2)" in term.source
    annuities = rows_for("annuity", rows)
    assert annuities[-1].year == 21  # year 21 starts inside the compensation period
    assert "compensation" in (annuities[-1].note or "")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "utility", "grant_date": D(2021, 1, 1)}, "Chinese invention patents only"),
        ({"kind": "invention"}, "needs the grant date"),
        ({"kind": "invention", "grant_date": D(2021, 1, 1), "offices": "US"}, "Chinese invention"),
    ],
)
def test_compensation_refusals(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DeadlineError, match=message):
        compute_deadlines(filing_date=D(2020, 3, 15), compensation_days=10, **kwargs)  # type: ignore[arg-type]


def test_negative_compensation_is_refused() -> None:
    with pytest.raises(DeadlineError, match="negative"):
        compute_deadlines(kind="invention", filing_date=D(2020, 3, 15), compensation_days=-1)


# --- US ---------------------------------------------------------------------------------------


def test_us_maintenance_at_3_5_7_5_11_5_years() -> None:
    rows = compute_deadlines(
        kind="invention", filing_date=D(2018, 5, 2), grant_date=D(2020, 1, 14), offices="US"
    )
    fees = rows_for("us_maintenance", rows)
    assert [(f.due, f.late_until) for f in fees] == [
        (D(2023, 7, 14), D(2024, 1, 14)),
        (D(2027, 7, 14), D(2028, 1, 14)),
        (D(2031, 7, 14), D(2032, 1, 14)),
    ]
    assert all("35 U.S.C. 41(b)" in f.source for f in fees)
    assert one("term_end", rows, "US").due == D(2038, 5, 2)
    assert rows_for("annuity", rows) == []  # China not listed


def test_us_maintenance_month_end_grant() -> None:
    rows = compute_deadlines(
        kind="invention", filing_date=D(2019, 1, 2), grant_date=D(2021, 8, 31), offices="US"
    )
    first = rows_for("us_maintenance", rows)[0]
    assert first.due == D(2025, 2, 28)
    assert first.late_until == D(2025, 8, 31)  # 4th anniversary of grant


def test_us_design_term_from_grant_and_no_maintenance() -> None:
    rows = compute_deadlines(
        kind="design", filing_date=D(2020, 1, 2), grant_date=D(2021, 3, 2), offices="US"
    )
    assert rows_for("us_maintenance", rows) == []
    assert one("term_end", rows, "US").due == D(2036, 3, 2)


# --- EP ---------------------------------------------------------------------------------------


def test_ep_renewals_last_day_of_anniversary_month() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2020, 3, 15), offices="EP")
    fees = rows_for("ep_renewal", rows)
    assert [f.year for f in fees] == list(range(3, 21))
    assert (fees[0].due, fees[0].late_until) == (D(2022, 3, 31), D(2022, 9, 30))
    assert fees[1].due == D(2023, 3, 31)
    assert fees[-1].due == D(2039, 3, 31)
    assert all("r. 51(1)" in f.source for f in fees)
    assert one("term_end", rows, "EP").due == D(2040, 3, 15)


def test_ep_renewal_february_and_grant_notes() -> None:
    rows = compute_deadlines(
        kind="invention", filing_date=D(2020, 2, 10), grant_date=D(2024, 6, 5), offices="EP"
    )
    by_year = {f.year: f for f in rows_for("ep_renewal", rows)}
    assert by_year[3].due == D(2022, 2, 28)
    assert by_year[5].due == D(2024, 2, 29)
    assert by_year[5].late_until == D(2024, 8, 29)
    assert "to the EPO" in (by_year[5].note or "")  # year of the mention of grant
    assert "national office" in (by_year[6].note or "")


def test_euro_pct_third_year_renewal_moves_to_31_months() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2023, 1, 31), pct=True, offices="EP")
    third = [f for f in rows_for("ep_renewal", rows) if f.year == 3][0]
    assert third.due == D(2025, 8, 31)  # r. 51(1) date 2025-01-31 is before 31 months
    assert "r. 159(1)(g)" in third.source
    # with a priority claim the 31 months come first and r. 51(1) applies unchanged
    rows = compute_deadlines(
        kind="invention",
        filing_date=D(2024, 1, 31),
        priority_date=D(2023, 1, 31),
        pct=True,
        offices="EP",
    )
    third = [f for f in rows_for("ep_renewal", rows) if f.year == 3][0]
    assert third.due == D(2026, 1, 31)


# --- other offices, kinds, refusals -----------------------------------------------------------


def test_terms_jp_kr() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2021, 4, 1), offices="JP,KR")
    assert one("term_end", rows, "JP").due == D(2041, 4, 1)
    assert one("term_end", rows, "KR").due == D(2041, 4, 1)
    rows = compute_deadlines(kind="utility", filing_date=D(2021, 4, 1), offices="JP,KR")
    assert one("term_end", rows, "JP").due == D(2031, 4, 1)
    assert one("term_end", rows, "KR").due == D(2031, 4, 1)


@pytest.mark.parametrize(
    ("kind", "offices"), [("utility", "EP"), ("utility", "US"), ("design", "EP")]
)
def test_office_without_that_kind_of_right_is_refused(kind: str, offices: str) -> None:
    with pytest.raises(DeadlineError, match="grant"):
        compute_deadlines(kind=kind, filing_date=D(2023, 1, 31), offices=offices)


def test_grant_before_filing_is_refused() -> None:
    with pytest.raises(DeadlineError, match="before the filing date"):
        compute_deadlines(kind="invention", filing_date=D(2023, 1, 31), grant_date=D(2023, 1, 30))


def test_grant_after_term_is_refused() -> None:
    with pytest.raises(DeadlineError, match="not before the end"):
        compute_deadlines(kind="utility", filing_date=D(2010, 1, 1), grant_date=D(2020, 1, 1))


def test_unknown_kind_and_first_office_are_refused() -> None:
    with pytest.raises(DeadlineError, match="unknown kind"):
        compute_deadlines(kind="trademark", filing_date=D(2023, 1, 31))
    with pytest.raises(DeadlineError, match="unknown first office"):
        compute_deadlines(kind="invention", filing_date=D(2023, 1, 31), first_office="XX")


def test_default_offices_is_first_office() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2023, 1, 31), first_office="us")
    assert {r.office for r in rows} == {"US"}
    assert "art. 19" not in (one("paris_priority", rows).note or "")


def test_every_row_has_a_source_and_rows_are_sorted() -> None:
    rows = compute_deadlines(
        kind="invention",
        filing_date=D(2024, 1, 31),
        priority_date=D(2023, 1, 31),
        grant_date=D(2027, 5, 10),
        pct=True,
        offices="CN,EP,US,JP,KR",
    )
    assert all(r.source.strip() for r in rows)
    assert [r.due for r in rows] == sorted(r.due for r in rows)
    keys = {r.key for r in rows}
    assert keys >= {
        "paris_priority",
        "pct_filing",
        "national_phase",
        "cn_examination_request",
        "annuity",
        "term_end",
        "us_maintenance",
        "ep_renewal",
    }


def test_as_dict_shape() -> None:
    rows = compute_deadlines(
        kind="invention", filing_date=D(2020, 3, 15), grant_date=D(2023, 3, 10)
    )
    paris = one("paris_priority", rows).as_dict()
    assert paris["due"] == "2021-03-15"
    assert paris["late_until"] is None
    assert "year" not in paris
    assert {"key", "office", "due", "late_until", "source"} <= set(paris)
    annuity = [r for r in rows if r.key == "annuity" and r.year == 4][0].as_dict()
    assert annuity["year"] == 4
    assert annuity["late_until"] == "2023-09-15"
    assert one("term_end", rows).as_dict()["due_working_day"] is None


def test_working_day_field_does_not_change_due() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2023, 6, 3))
    paris = one("paris_priority", rows)
    assert paris.due == paris.due_working_day == D(2024, 6, 3)  # Monday
    rows = compute_deadlines(kind="invention", filing_date=D(2023, 6, 1))
    paris = one("paris_priority", rows)
    assert paris.due == D(2024, 6, 1)  # Saturday: due stays nominal
    assert paris.as_dict()["due_working_day"] == "2024-06-03"


def test_format_table() -> None:
    rows = compute_deadlines(kind="invention", filing_date=D(2023, 1, 31))
    table = format_table(rows)
    assert table.splitlines()[0].startswith("due")
    assert "paris_priority" in table
    assert "2024-01-31" in table


# --- the management command --------------------------------------------------------------------

needs_django = pytest.mark.skipif(
    not apps.ready, reason="Django settings (opentto.settings.test) are not loaded"
)


def run(*args: str) -> str:
    from django.core.management import call_command

    out = StringIO()
    call_command("deadlines", *args, stdout=out)
    return out.getvalue()


@needs_django
def test_command_json() -> None:
    out = run(
        "--json",
        "--kind",
        "invention",
        "--filing-date",
        "2024-01-31",
        "--priority-date",
        "2023-01-31",
        "--pct",
        "--offices",
        "CN,EP",
    )
    data = json.loads(out)
    assert isinstance(data, list)
    phases = {r["office"]: r for r in data if r["key"] == "national_phase"}
    assert phases["CN"]["due"] == "2025-07-31"
    assert phases["CN"]["late_until"] == "2025-09-30"
    assert phases["EP"]["due"] == "2025-08-31"
    assert phases["EP"]["late_until"] is None
    for row in data:
        assert {"key", "office", "due", "late_until", "source"} <= set(row)


@needs_django
def test_command_json_annuities_have_year() -> None:
    out = run(
        "--json",
        "--kind",
        "invention",
        "--filing-date",
        "2020-03-15",
        "--grant-date",
        "2023-03-10",
        "--offices",
        "CN",
    )
    annuities = [r for r in json.loads(out) if r["key"] == "annuity"]
    assert [r["year"] for r in annuities] == list(range(3, 21))


@needs_django
def test_command_table() -> None:
    out = run("--kind", "utility", "--filing-date", "2023-01-31")
    assert "paris_priority" in out
    assert not out.lstrip().startswith("[")


@needs_django
def test_command_refuses_pct_design() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Hague"):
        run("--json", "--kind", "design", "--filing-date", "2023-01-31", "--pct")


@needs_django
def test_command_refuses_bad_dates() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        run("--kind", "invention", "--filing-date", "2023-02-30")
    with pytest.raises(CommandError, match="before the filing date"):
        run("--kind", "invention", "--filing-date", "2023-02-01", "--grant-date", "2023-01-01")


# --- Chinese sources cite the 2023 revision of the Implementing Regulations (in force 2024-01-20)


REG_2023 = "Implementing Regulations of the Patent Law (2023 revision, in force 2024-01-20)"


def test_cn_sources_cite_the_current_rule_numbers() -> None:
    pct = compute_deadlines(
        kind="invention",
        filing_date=D(2024, 1, 31),
        priority_date=D(2023, 1, 31),
        pct=True,
        offices="CN",
    )
    assert one("national_phase", pct, "CN").source == (
        f"PCT art. 22(1); {REG_2023} rule 120: 30 months from the priority date, up to 32 months "
        "on payment of the grace fee"
    )
    first = compute_deadlines(
        kind="invention",
        filing_date=D(2020, 3, 15),
        grant_date=D(2023, 3, 10),
        compensation_days=10,
    )
    annuities = rows_for("annuity", first)
    assert "rule 60:" in annuities[0].source and "rule 114:" in annuities[0].source
    assert REG_2023 in annuities[0].source
    assert all(f"{REG_2023} rule 115:" in a.source for a in annuities[1:])
    assert "5% of the year's fee per month late" in annuities[1].source
    assert "rules 77-79" in one("term_end", first, "CN").source
    exam = one(
        "cn_examination_request",
        compute_deadlines(
            kind="invention", filing_date=D(2023, 1, 31), priority_date=D(2022, 3, 1)
        ),
    )
    assert f"{REG_2023} rule 12(1)" in exam.source
    assert exam.due == D(2025, 3, 1)  # 3 years from the priority date
    paris = one("paris_priority", compute_deadlines(kind="utility", filing_date=D(2023, 1, 31)))
    assert "rules 8-9" in (paris.note or "")


def test_no_source_cites_the_2010_numbering() -> None:
    rows = compute_deadlines(
        kind="invention",
        filing_date=D(2024, 1, 31),
        priority_date=D(2023, 1, 31),
        grant_date=D(2027, 5, 10),
        pct=True,
        offices="CN,EP,US,JP,KR",
        compensation_days=5,
    )
    assert rows
    assert not [
        r
        for r in rows
        if "2010" in r.source or "not confirmed here)" in r.source and r.office == "CN"
    ]


def test_cn_restoration_of_priority_cites_rule_36() -> None:
    rows = compute_deadlines(
        kind="invention", filing_date=D(2024, 3, 15), priority_date=D(2023, 1, 31)
    )
    note = one("paris_priority", rows).note or ""
    assert "rule 36" in note and "rule 128" in note and "restored within 2 months" in note
