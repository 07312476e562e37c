"""Patent deadline engine: every due date derived from filing, priority and grant dates.

Pure logic: no models, no database, no Django. The management command
``opentto deadlines`` (``opentto/patents/management/commands/deadlines.py``) is a thin
wrapper around :func:`compute_deadlines`.

Inputs
------
``filing_date`` is the filing date of the application in question (with ``pct=True``, the
international filing date of the PCT application, which is also the filing date in every
designated office, PCT art. 11(3)). ``priority_date`` is the date of the first filing whose
priority is claimed. Periods that run "from the priority date" (Paris priority, PCT filing,
national phase, Chinese examination request) run from the priority date when one is given,
otherwise from the filing date (PCT art. 2(xi)). Terms, annuities, renewal and maintenance
fees run from the filing date of the application in each office or from the grant date.
``grant_date`` applies to every office listed in ``offices``; run the engine once per office
when the offices granted on different dates.

Date arithmetic
---------------
The day of the event is not counted; a period of months or years ends on the day with the
same number in the relevant later month, or on that month's last day when the month has no
such day (PCT r. 80.1 for years, r. 80.2 for months; EPC r. 131(4); the Chinese
Implementing Regulations, 2023 revision in force 2024-01-20, rule 5). So
2023-08-31 + 6 months = 2024-02-29 and 2022-08-31 + 6 months = 2023-02-28; 2024-02-29 +
12 months = 2025-02-28. ``due`` is always this nominal date. A period ending on a day the
office is closed is extended to its next working day (Paris Convention art. 4C(3);
PCT r. 80.5; EPC r. 134(1); 35 U.S.C. 21(b)); ``due_working_day`` shows that shift for
Saturdays and Sundays only — official holidays (and China's make-up working weekends) are
not modelled, so check the office's calendar.

Rules and their sources
-----------------------
====================== ======= ============================================ =====================================================
key                    office  rule                                         source
====================== ======= ============================================ =====================================================
paris_priority         first   base + 12 months (inventions, utility        Paris Convention art. 4C(1)-(2)
                               models); base + 6 months (designs)
pct_filing             WO      base + 12 months: last day to file the PCT   PCT art. 8(1)-(2)(a); Paris Convention art. 4C(1)
                               application claiming the priority
national_phase         CN      base + 30 months; late until 32 months on    PCT art. 22(1); CN Implementing Regulations (2023
                               payment of the grace fee                     revision, in force 2024-01-20) rule 120
national_phase         EP      base + 31 months                             EPC r. 159(1); PCT art. 22(3)
national_phase         KR      base + 31 months                             Korean Patent Act, national-phase provision (article
                                                                            number not confirmed here); PCT art. 22(3)
national_phase         JP, US  base + 30 months                             PCT art. 22(1); Japan Patent Act art. 184-4(1);
                                                                            35 U.S.C. 371(b), 37 CFR 1.495
cn_examination_request CN      base + 3 years (inventions)                  CN Patent Law art. 35(1); CN Implementing
                                                                            Regulations (2023 revision) rule 12(1): the filing
                                                                            date means the priority date where priority is
                                                                            claimed
annuity                CN      year of grant: paid with the registration    CN Implementing Regulations (2023 revision) rules
                               (due = grant date, no late period); later    60 and 114 (registration and the grant-year fee),
                               years: due on the filing anniversary that    rule 115 (later years; 6 months' late payment
                               starts the year, late until due + 6 months   with a surcharge)
term_end               CN      filing + 20 years (invention), 10 (utility   CN Patent Law art. 42(1); compensation art. 42(2)-(3)
                                                                            (Implementing Regulations rules 77-84)
                               model), 15 (design filed from 2021-06-01;
                               10 before); + compensation days
us_maintenance         US      grant + 3.5, 7.5, 11.5 years; late until     35 U.S.C. 41(b); 37 CFR 1.362
                               grant + 4, 8, 12 years (surcharge)
term_end               US      filing + 20 years; designs grant + 15 years  35 U.S.C. 154(a)(2); 35 U.S.C. 173
                               (14 for applications before 2015-05-13)
ep_renewal             EP      years 3-20: last day of the month of the     EPC art. 86(1); r. 51(1); r. 51(2); r. 159(1)(g)
                               filing anniversary starting the year; late
                               until due + 6 months (additional fee)
term_end               EP      filing + 20 years                            EPC art. 63(1)
term_end               JP      20 years (invention), 10 (utility model),    Japan Patent Act art. 67(1); Utility Model Act art.
                               25 from filing (design filed from            15; Design Act art. 21(1)
                               2020-04-01)
term_end               KR      20 years (invention), 10 (utility model),    Korean Patent Act art. 88(1); Utility Model Act and
                               20 from filing (design)                      Design Protection Act (article numbers not
                                                                            confirmed here)
====================== ======= ============================================ =====================================================

"base" is the priority date when one is given, otherwise the filing date. How sure we are of
each rule is recorded in ``docs/deadlines.md``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, Literal

__all__ = [
    "KINDS",
    "OFFICES",
    "Deadline",
    "DeadlineError",
    "add_months",
    "add_years",
    "compute_deadlines",
    "covered_years",
    "format_table",
    "last_day_of_month",
    "next_working_day",
    "parse_offices",
    "patent_year",
]

Kind = Literal["invention", "utility", "design"]
KINDS: Final[tuple[str, ...]] = ("invention", "utility", "design")
OFFICES: Final[tuple[str, ...]] = ("CN", "EP", "US", "JP", "KR")

#: Which kinds of right each office grants (the EPO grants neither utility models nor
#: designs; the US has no utility models).
KIND_OFFICES: Final[dict[str, frozenset[str]]] = {
    "invention": frozenset({"CN", "EP", "US", "JP", "KR"}),
    "utility": frozenset({"CN", "JP", "KR"}),
    "design": frozenset({"CN", "US", "JP", "KR"}),
}

KIND_LABELS: Final[dict[str, str]] = {
    "invention": "invention",
    "utility": "utility model",
    "design": "design",
}

#: Months of the Paris priority period (Paris Convention art. 4C(1)).
PRIORITY_MONTHS: Final[dict[str, int]] = {"invention": 12, "utility": 12, "design": 6}

#: Restoration of the right of priority, where offered, reaches at most two months past the
#: priority period (PCT r. 26bis.3(a), r. 49ter.2; the Patent Law Treaty model adopted by
#: the offices). Only inventions and utility models are accepted in that window here.
RESTORATION_MONTHS: Final[int] = 2

#: National/regional phase: (months from the priority date, late-entry months or None).
NATIONAL_PHASE_MONTHS: Final[dict[str, tuple[int, int | None]]] = {
    "CN": (30, 32),
    "EP": (31, None),
    "US": (30, None),
    "JP": (30, None),
    "KR": (31, None),
}

# --- legal sources ------------------------------------------------------------------------
SOURCE_PARIS: Final = (
    "Paris Convention art. 4C(1)-(2): priority period of 12 months for patents and utility "
    "models, 6 months for industrial designs, from the first filing (filing day not counted)"
)
SOURCE_PCT_FILING: Final = (
    "PCT art. 8(1)-(2)(a) with Paris Convention art. 4C(1): an international application "
    "claiming priority must be filed within the 12-month priority period"
)
SOURCE_NATIONAL_PHASE: Final[dict[str, str]] = {
    "CN": (
        "PCT art. 22(1); Implementing Regulations of the Patent Law (2023 revision, in force "
        "2024-01-20) rule 120: 30 months from the priority date, up to 32 months on payment "
        "of the grace fee"
    ),
    "EP": "EPC r. 159(1): 31 months from the priority date (PCT art. 22(3))",
    "US": "PCT art. 22(1); 35 U.S.C. 371(b); 37 CFR 1.495: 30 months from the priority date",
    "JP": "PCT art. 22(1); Japan Patent Act art. 184-4(1): 30 months from the priority date",
    "KR": (
        "Korean Patent Act, provision on the national-phase submission period for "
        "international applications: 31 months from the priority date (article number not "
        "confirmed here); PCT art. 22(3)"
    ),
}
SOURCE_CN_EXAM: Final = (
    "CN Patent Law art. 35(1): request for substantive examination within 3 years of the "
    "filing date; Implementing Regulations of the Patent Law (2023 revision, in force "
    "2024-01-20) rule 12(1): the filing date means the priority date where priority is claimed"
)
SOURCE_CN_ANNUITY_GRANT_YEAR: Final = (
    "Implementing Regulations of the Patent Law (2023 revision, in force 2024-01-20) rule 60: "
    "registration formalities within 2 months of receiving the notice to grant; rule 114: the "
    "annual fee for the year of grant is paid with them"
)
SOURCE_CN_ANNUITY: Final = (
    "Implementing Regulations of the Patent Law (2023 revision, in force 2024-01-20) rule 115: "
    "each later year's fee is paid before the previous patent year ends (the filing "
    "anniversary starting the year); late payment within 6 months with a surcharge of 5% of "
    "the year's fee per month late"
)
SOURCE_CN_TERM: Final[dict[str, str]] = {
    "invention": "CN Patent Law art. 42(1): 20 years from the filing date",
    "utility": "CN Patent Law art. 42(1): 10 years from the filing date",
    "design": (
        "CN Patent Law art. 42(1) (2020 amendment, in force 2021-06-01): 15 years from the "
        "filing date for designs filed from 2021-06-01; 10 years for earlier filings "
        "(art. 42 of the 2008 text)"
    ),
}
SOURCE_CN_COMPENSATION: Final = (
    "CN Patent Law art. 42(2) (unreasonable delay in granting; Implementing Regulations "
    "(2023 revision) rules 77-79) and art. 42(3) (new drugs; rules 80-84): patent-term "
    "compensation as granted by CNIPA"
)
SOURCE_US_MAINTENANCE: Final = (
    "35 U.S.C. 41(b): maintenance fees due 3.5, 7.5 and 11.5 years after grant; 37 CFR "
    "1.362: payable with a surcharge in the 6-month grace period ending on the 4th, 8th and "
    "12th anniversary of grant"
)
SOURCE_EP_RENEWAL: Final = (
    "EPC art. 86(1) and r. 51(1): renewal fee for the 3rd and each later year, due on the last "
    "day of the month containing the anniversary of the filing date; r. 51(2): still validly "
    "paid within 6 months of the due date with an additional fee"
)
SOURCE_EP_RENEWAL_159G: Final = (
    "EPC r. 159(1)(g): the 3rd-year renewal fee that fell due earlier under r. 51(1) is paid "
    "within the 31-month period; r. 51(2) additional-fee period"
)
SOURCE_TERM: Final[dict[tuple[str, str], str]] = {
    ("EP", "invention"): "EPC art. 63(1): 20 years from the filing date (SPCs not modelled)",
    ("US", "invention"): (
        "35 U.S.C. 154(a)(2): 20 years from the US filing date or, for a national-stage "
        "application, the international filing date (patent term adjustment, 154(b), not "
        "modelled)"
    ),
    ("US", "design"): (
        "35 U.S.C. 173: 15 years from grant for applications filed on or after 2015-05-13 "
        "(14 years before)"
    ),
    ("JP", "invention"): "Japan Patent Act art. 67(1): 20 years from the filing date",
    ("JP", "utility"): "Japan Utility Model Act art. 15: 10 years from the filing date",
    ("JP", "design"): (
        "Japan Design Act art. 21(1): 25 years from the filing date for applications filed "
        "from 2020-04-01"
    ),
    ("KR", "invention"): "Korean Patent Act art. 88(1): 20 years from the filing date",
    ("KR", "utility"): (
        "Korean Utility Model Act, term of the right: 10 years from the filing date (article "
        "number not confirmed here)"
    ),
    ("KR", "design"): (
        "Korean Design Protection Act, term of the right: 20 years from the filing date for "
        "applications filed from 2014-07-01 (as we understand it; article number not "
        "confirmed here)"
    ),
}

CN_DESIGN_15_YEARS_FROM: Final = date(2021, 6, 1)
US_DESIGN_15_YEARS_FROM: Final = date(2015, 5, 13)
JP_DESIGN_25_YEARS_FROM: Final = date(2020, 4, 1)
KR_DESIGN_20_YEARS_FROM: Final = date(2014, 7, 1)

US_MAINTENANCE_STAGES: Final[tuple[tuple[str, int, int], ...]] = (
    # (label, months after grant when due, years after grant when the grace period ends)
    ("3.5", 42, 4),
    ("7.5", 90, 8),
    ("11.5", 138, 12),
)

NOTE_CN_CONFIDENTIALITY: Final = (
    "CN Patent Law art. 19 and Implementing Regulations (2023 revision) rules 8-9: an "
    "invention or utility model made in China needs a confidentiality examination before any "
    "foreign or PCT filing; a PCT application filed at CNIPA counts as the request"
)


class DeadlineError(ValueError):
    """Raised for inputs the engine refuses (the message is meant for the user)."""


# --- date arithmetic ----------------------------------------------------------------------


def last_day_of_month(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(start: date, months: int) -> date:
    """``start`` + ``months`` calendar months, ending on the month's last day if needed.

    The same-numbered day of the target month, or its last day when the month has no such
    day (PCT r. 80.2; EPC r. 131(4)). ``months`` may be negative.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def add_years(start: date, years: int) -> date:
    """``start`` + ``years`` years; 29 February becomes 28 February (PCT r. 80.1)."""
    return add_months(start, 12 * years)


def next_working_day(day: date) -> date:
    """``day``, or the Monday after it when it falls on a Saturday or Sunday.

    Official holidays are not modelled.
    """
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def patent_year(filing_date: date, day: date) -> int:
    """The patent year (1-based, counted from ``filing_date``) in which ``day`` falls.

    Year *k* runs from the (k-1)th filing anniversary up to the day before the k-th.
    """
    if day < filing_date:
        raise DeadlineError(f"{day.isoformat()} is before the filing date")
    year = day.year - filing_date.year + 1
    while add_years(filing_date, year - 1) > day:
        year -= 1
    while add_years(filing_date, year) <= day:
        year += 1
    return year


#: Years of annual fees the reduction covers: the year of grant and the following nine (财税〔2018〕37号).
COVERED_ANNUITY_YEARS: Final[int] = 10


def covered_years(filing_date: date | None, grant_date: date | None) -> tuple[int, int] | None:
    """The annual-fee years a reduction covers: the patent year of grant and the nine after it
    (None before the grant)."""
    if filing_date is None or grant_date is None:
        return None
    first = patent_year(filing_date, grant_date)
    return first, first + COVERED_ANNUITY_YEARS - 1


# --- rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """One due date. ``due`` is the nominal date computed by the rule."""

    key: str
    office: str
    due: date
    late_until: date | None
    source: str
    year: int | None = None
    note: str | None = None

    @property
    def due_working_day(self) -> date | None:
        """``due`` moved past a Saturday or Sunday (official holidays not modelled).

        None for ``term_end``: the end of a term is not a period for doing an act.
        """
        if self.key == "term_end":
            return None
        return next_working_day(self.due)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict with ISO dates (``year`` only on rows that have one)."""
        data: dict[str, Any] = {
            "key": self.key,
            "office": self.office,
            "due": self.due.isoformat(),
            "late_until": self.late_until.isoformat() if self.late_until else None,
            "source": self.source,
        }
        if self.year is not None:
            data["year"] = self.year
        working_day = self.due_working_day
        data["due_working_day"] = working_day.isoformat() if working_day else None
        data["note"] = self.note
        return data


# --- validation helpers -------------------------------------------------------------------


def parse_offices(value: str | Iterable[str] | None) -> list[str]:
    """Normalise ``"cn, ep"`` or ``["CN", "EP"]`` to ``["CN", "EP"]`` (order kept, no repeats)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    offices: list[str] = []
    for item in items:
        code = item.strip().upper()
        if not code:
            continue
        if code not in OFFICES:
            raise DeadlineError(
                f"unknown office {code!r}: supported offices are {', '.join(OFFICES)}"
            )
        if code not in offices:
            offices.append(code)
    return offices


def _term_end(
    office: str, kind: str, filing_date: date, grant_date: date | None, compensation_days: int
) -> tuple[date, str, str | None] | None:
    """(term end, source, note) for an office and kind, or None when it cannot be computed."""
    if office == "CN":
        if kind == "invention":
            years = 20
        elif kind == "utility":
            years = 10
        else:
            years = 15 if filing_date >= CN_DESIGN_15_YEARS_FROM else 10
        end = add_years(filing_date, years)
        source = SOURCE_CN_TERM[kind]
        note = None
        if compensation_days:
            end += timedelta(days=compensation_days)
            source = f"{source}; {SOURCE_CN_COMPENSATION}"
            note = f"includes {compensation_days} days of patent-term compensation"
        return end, source, note
    if (office, kind) not in SOURCE_TERM:
        return None
    source = SOURCE_TERM[(office, kind)]
    if office == "US" and kind == "design":
        if grant_date is None:
            return None
        years = 15 if filing_date >= US_DESIGN_15_YEARS_FROM else 14
        return add_years(grant_date, years), source, None
    if office == "JP" and kind == "design":
        if filing_date < JP_DESIGN_25_YEARS_FROM:
            return None
        return add_years(filing_date, 25), source, None
    if office == "KR" and kind == "design":
        if filing_date < KR_DESIGN_20_YEARS_FROM:
            return None
        return add_years(filing_date, 20), source, "term rule not confirmed here"
    years = 10 if kind == "utility" else 20
    return add_years(filing_date, years), source, None


def _check_priority(kind: str, filing_date: date, priority_date: date, pct: bool) -> str | None:
    """Refuse a priority claim the filing date cannot support; return a note if restoration."""
    if priority_date > filing_date:
        raise DeadlineError(
            f"the priority date {priority_date.isoformat()} is after the filing date "
            f"{filing_date.isoformat()}: priority comes from an earlier filing"
        )
    months = PRIORITY_MONTHS[kind]
    end = add_months(priority_date, months)
    if filing_date <= next_working_day(end):
        return None
    what = "the PCT application" if pct else "this application"
    if kind != "design" and filing_date <= add_months(end, RESTORATION_MONTHS):
        return (
            f"{what} was filed after the {months}-month priority period ended on "
            f"{end.isoformat()}: the priority claim holds only if the right of priority is "
            "restored within 2 months (PCT r. 26bis.3 at the receiving office, r. 49ter.2 on "
            "national-phase entry; in China, Implementing Regulations (2023 revision) rule 36, "
            "and rule 128 for a national phase; availability and criteria differ by office — "
            "check each office)"
        )
    raise DeadlineError(
        f"{what} was filed on {filing_date.isoformat()}, after the {months}-month priority "
        f"period from {priority_date.isoformat()} ended on {end.isoformat()}"
        + (
            " (and after the 2 months in which restoration of priority may be requested)"
            if kind != "design"
            else ""
        )
        + ": the priority cannot be claimed"
    )


# --- the engine ---------------------------------------------------------------------------


def compute_deadlines(
    *,
    kind: str,
    filing_date: date,
    priority_date: date | None = None,
    grant_date: date | None = None,
    pct: bool = False,
    offices: str | Sequence[str] | None = None,
    first_office: str = "CN",
    compensation_days: int = 0,
) -> list[Deadline]:
    """Every deadline for an application, sorted by due date.

    ``offices`` defaults to ``[first_office]``. Raises :class:`DeadlineError` for refused
    inputs (``pct`` with a design, dates out of order, an office that does not grant the
    kind of right, ...).
    """
    if kind not in KINDS:
        raise DeadlineError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    if pct and kind == "design":
        raise DeadlineError(
            "--pct cannot be used with a design: the PCT covers inventions and utility "
            "models only; designs go abroad through the Hague system or direct filings"
        )
    first = first_office.strip().upper()
    if first not in OFFICES:
        raise DeadlineError(
            f"unknown first office {first_office!r}: supported offices are {', '.join(OFFICES)}"
        )
    office_list = parse_offices(offices) or [first]
    refused = [office for office in office_list if office not in KIND_OFFICES[kind]]
    if refused:
        raise DeadlineError(
            f"{', '.join(refused)} grant(s) no {KIND_LABELS[kind]} rights: offices for "
            f"{KIND_LABELS[kind]}s are {', '.join(o for o in OFFICES if o in KIND_OFFICES[kind])}"
        )
    if compensation_days < 0:
        raise DeadlineError("compensation days cannot be negative")
    if compensation_days:
        if kind != "invention" or "CN" not in office_list:
            raise DeadlineError(
                "patent-term compensation applies to Chinese invention patents only "
                "(CN Patent Law art. 42(2)-(3))"
            )
        if grant_date is None:
            raise DeadlineError("patent-term compensation needs the grant date")

    priority_note = None
    if priority_date is not None:
        priority_note = _check_priority(kind, filing_date, priority_date, pct)
    if grant_date is not None and grant_date < filing_date:
        raise DeadlineError(
            f"the grant date {grant_date.isoformat()} is before the filing date "
            f"{filing_date.isoformat()}"
        )

    base = priority_date or filing_date
    rows: list[Deadline] = []

    # Paris priority ---------------------------------------------------------------------
    months = PRIORITY_MONTHS[kind]
    if priority_date is None:
        paris_note = (
            "last day to file abroad (or a PCT application) claiming the priority of this filing"
        )
    else:
        paris_note = (
            f"priority period of the first filing of {priority_date.isoformat()}; the "
            "application in question must be filed by this date"
        )
    if first == "CN" and kind != "design":
        paris_note = f"{paris_note}. {NOTE_CN_CONFIDENTIALITY}"
    if priority_note:
        paris_note = f"{paris_note}. {priority_note}"
    rows.append(
        Deadline(
            key="paris_priority",
            office=first,
            due=add_months(base, months),
            late_until=None,
            source=SOURCE_PARIS,
            note=paris_note,
        )
    )

    # PCT ----------------------------------------------------------------------------------
    national_phase_ep: date | None = None
    if pct:
        pct_note = (
            "the PCT application is itself the first filing (no priority claimed)"
            if priority_date is None
            else "restoration of priority not modelled as a late period (PCT r. 26bis.3)"
        )
        rows.append(
            Deadline(
                key="pct_filing",
                office="WO",
                due=add_months(base, 12),
                late_until=None,
                source=SOURCE_PCT_FILING,
                note=pct_note,
            )
        )
        for office in office_list:
            normal, late = NATIONAL_PHASE_MONTHS[office]
            due = add_months(base, normal)
            if office == "EP":
                national_phase_ep = due
            rows.append(
                Deadline(
                    key="national_phase",
                    office=office,
                    due=due,
                    late_until=add_months(base, late) if late else None,
                    source=SOURCE_NATIONAL_PHASE[office],
                    note=_NATIONAL_PHASE_NOTES.get(office),
                )
            )

    # China: examination request -----------------------------------------------------------
    if "CN" in office_list and kind == "invention":
        rows.append(
            Deadline(
                key="cn_examination_request",
                office="CN",
                due=add_years(base, 3),
                late_until=None,
                source=SOURCE_CN_EXAM,
                note="the application is deemed withdrawn if no request is made in time",
            )
        )

    # Terms ----------------------------------------------------------------------------------
    term_ends: dict[str, date] = {}
    for office in office_list:
        term = _term_end(office, kind, filing_date, grant_date, compensation_days)
        if term is None:
            continue
        end, source, note = term
        if grant_date is not None and grant_date >= end:
            raise DeadlineError(
                f"the grant date {grant_date.isoformat()} is not before the end of the "
                f"{office} term ({end.isoformat()})"
            )
        term_ends[office] = end
        rows.append(
            Deadline(
                key="term_end", office=office, due=end, late_until=None, source=source, note=note
            )
        )

    # China: annual fees ---------------------------------------------------------------------
    if "CN" in office_list and grant_date is not None:
        rows.extend(_cn_annuities(filing_date, grant_date, term_ends["CN"], compensation_days))

    # US: maintenance fees -------------------------------------------------------------------
    if "US" in office_list and kind == "invention" and grant_date is not None:
        us_end = term_ends["US"]
        for label, due_months, grace_years in US_MAINTENANCE_STAGES:
            due = add_months(grant_date, due_months)
            if due >= us_end:
                continue
            rows.append(
                Deadline(
                    key="us_maintenance",
                    office="US",
                    due=due,
                    late_until=add_years(grant_date, grace_years),
                    source=SOURCE_US_MAINTENANCE,
                    note=(
                        f"{label} years after grant; payable without surcharge from 6 months "
                        "before the due date"
                    ),
                )
            )

    # EP: renewal fees -----------------------------------------------------------------------
    if "EP" in office_list and kind == "invention":
        rows.extend(_ep_renewals(filing_date, grant_date, term_ends["EP"], national_phase_ep))

    order = {id(row): index for index, row in enumerate(rows)}
    return sorted(rows, key=lambda row: (row.due, order[id(row)]))


_NATIONAL_PHASE_NOTES: Final[dict[str, str]] = {
    "CN": "late_until: entry with the grace fee for late entry",
    "EP": (
        "no fixed late period: further processing (EPC art. 121) runs from the EPO's "
        "loss-of-rights communication"
    ),
    "US": "no late period: a missed entry needs a petition to revive (unintentional delay)",
    "JP": (
        "a foreign-language application may have a later translation deadline (translation "
        "special period) — not modelled"
    ),
}


def _cn_annuities(
    filing_date: date, grant_date: date, term_end: date, compensation_days: int
) -> list[Deadline]:
    """Chinese annual fees from the year of grant to the end of the term.

    The fee for the year of grant is paid with the registration formalities, within the
    period set in the notice to grant, i.e. before the grant is announced; the grant date
    stands in for that date and there is no late period (a missed registration means the
    right to the patent is deemed abandoned, subject to restoration). Each later year *k*
    is due on the (k-1)th filing anniversary, which starts year *k*, with 6 months of late
    payment with a surcharge.
    """
    grant_year = patent_year(filing_date, grant_date)
    rows = [
        Deadline(
            key="annuity",
            office="CN",
            due=grant_date,
            late_until=None,
            source=SOURCE_CN_ANNUITY_GRANT_YEAR,
            year=grant_year,
            note=(
                "year of grant: paid with the registration fees within the period in the "
                "notice to grant (before the grant date shown)"
            ),
        )
    ]
    base_end = term_end - timedelta(days=compensation_days)
    year = grant_year + 1
    while True:
        due = add_years(filing_date, year - 1)
        if due >= term_end:
            break
        note = None
        if due >= base_end:
            note = (
                "falls in the patent-term compensation period: the fee for this period is "
                "not confirmed here"
            )
        rows.append(
            Deadline(
                key="annuity",
                office="CN",
                due=due,
                late_until=add_months(due, 6),
                source=SOURCE_CN_ANNUITY,
                year=year,
                note=note,
            )
        )
        year += 1
    return rows


def _ep_renewals(
    filing_date: date, grant_date: date | None, term_end: date, national_phase: date | None
) -> list[Deadline]:
    """EPO renewal fees for years 3 to 20 (see the module docstring)."""
    grant_year = patent_year(filing_date, grant_date) if grant_date is not None else None
    rows: list[Deadline] = []
    for year in range(3, 21):
        start = add_years(filing_date, year - 1)
        if start >= term_end:
            break
        due = last_day_of_month(start)
        source = SOURCE_EP_RENEWAL
        notes: list[str] = []
        if year == 3 and national_phase is not None and due < national_phase:
            due = national_phase
            source = SOURCE_EP_RENEWAL_159G
            notes.append("Euro-PCT: the 3rd-year fee fell due before the 31-month period")
        if grant_year is None:
            notes.append(
                "paid to the EPO while the application is pending; after the mention of grant, "
                "renewal fees go to the national offices (EPC art. 86(2), 141(1))"
            )
        elif year <= grant_year:
            notes.append("paid to the EPO (year up to the mention of grant, EPC art. 86(2))")
        else:
            notes.append(
                "after grant: paid to each national office (EPC art. 141(1)) or, for a unitary "
                "patent, to the EPO; national due dates may differ — this date follows r. 51"
            )
        rows.append(
            Deadline(
                key="ep_renewal",
                office="EP",
                due=due,
                late_until=add_months(due, 6),
                source=source,
                year=year,
                note="; ".join(notes),
            )
        )
    return rows


# --- presentation ---------------------------------------------------------------------------


def _shifted(row: Deadline) -> str:
    working_day = row.due_working_day
    return working_day.isoformat() if working_day and working_day != row.due else ""


def format_table(rows: Sequence[Deadline]) -> str:
    """A readable fixed-width table of deadlines."""
    header = ("due", "working day", "late until", "office", "key", "year", "source")
    lines = [
        (
            row.due.isoformat(),
            _shifted(row),
            row.late_until.isoformat() if row.late_until else "-",
            row.office,
            row.key,
            str(row.year) if row.year is not None else "",
            row.source.split(":")[0],
        )
        for row in rows
    ]
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(6)]
    out = [
        "  ".join(h.ljust(w) for h, w in zip(header[:6], widths, strict=True)) + "  " + header[6]
    ]
    for line in lines:
        out.append(
            "  ".join(v.ljust(w) for v, w in zip(line[:6], widths, strict=True)) + "  " + line[6]
        )
    return "\n".join(out)
