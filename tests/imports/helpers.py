"""Building import files in tests and benchmarks."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from opentto.core.validators import cn_application_check_char, uscc_check_char

RESULT_HEADERS = [
    "title_zh",
    "title_en",
    "kind",
    "field",
    "trl",
    "public",
    "owners",
    "inventors",
    "application_number",
    "filing_date",
    "keywords_zh",
]


def cn_number(serial: int, year: int = 2021, type_digit: str = "1") -> str:
    digits = f"{year}{type_digit}{serial:07d}"
    return f"CN{digits}.{cn_application_check_char(digits)}"


def bad_cn_number(serial: int) -> str:
    good = cn_number(serial)
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


def credit_code(serial: int) -> str:
    first = f"91110108MA{serial:07d}"
    return first + uscc_check_char(first)


def result_rows(
    n: int, owner: str, inventor: str, bad: Iterable[int] = (), start: int = 0
) -> list[list[Any]]:
    """``n`` result rows; the rows whose 0-based index is in ``bad`` carry one error each, cycling
    through: a wrong check digit, a TRL of 12, an unknown field, an unknown owner, shares not 100."""
    bad = set(bad)
    rows = []
    for i in range(n):
        serial = start + i + 1
        row: list[Any] = [
            f"测试成果{serial}",
            f"Test result {serial}",
            "invention_patent",
            "ai",
            4,
            "yes",
            owner,
            inventor,
            cn_number(serial),
            "2021-03-01",
            "测试;导入",
        ]
        if i in bad:
            problem = len([b for b in bad if b < i]) % 5
            if problem == 0:
                row[8] = bad_cn_number(serial)
            elif problem == 1:
                row[4] = 12
            elif problem == 2:
                row[3] = "astrology"
            elif problem == 3:
                row[6] = "不存在的大学"
            else:
                row[7] = f"{inventor}:60"
        rows.append(row)
    return rows


def xlsx_file(headers: list[str], rows: list[list[Any]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_file(headers: list[str], rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)
