"""The one spreadsheet writer: formula-like text is written as text (CSV: behind an apostrophe;
xlsx: a text cell with Excel's quote prefix), numbers stay numbers, dates stay dates, and the
importer reads the CSV back as it was."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from opentto.core.spreadsheets import (
    Sheet,
    csv_bytes,
    csv_cell,
    csv_lines,
    csv_write,
    is_formula_like,
    spreadsheet_response,
    unescape_text,
    xlsx_bytes,
)
from opentto.imports.readers import read_csv

DANGEROUS = [
    "=1+2",
    "+1+2",
    "-1+2",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    '=HYPERLINK("http://evil")',
    "-",
    "+",
    "＝1+2",
    "＋1",
    "－1+2",
    "＠SUM(A1)",
    "  =1+2",
    "\u3000=cmd|' /C calc'!A0",
    "\u00a0@x",
]
HARMLESS = ["plain", "a=b", "1+1", "李明", "'quoted", "", "12", "-12.50", "+86", "3.5"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_like_text_is_recognised(text: str) -> None:
    assert is_formula_like(text)
    assert csv_cell(text) == "'" + text
    assert unescape_text(csv_cell(text)) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_left_alone(text: str) -> None:
    assert not is_formula_like(text)
    assert csv_cell(text) == text
    assert unescape_text(text) == text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (None, ""),
        (3, "3"),
        (Decimal("1234.50"), "1234.50"),
        (1.25, "1.25"),
        (True, "True"),
        (dt.date(2025, 3, 1), "2025-03-01"),
        (["a", "=b"], "a;=b"),
        (["=a", "b"], "'=a;b"),
    ],
)
def test_csv_cells(value: Any, written: str) -> None:
    assert csv_cell(value) == written


def test_aware_times_are_written_in_local_time() -> None:
    moment = dt.datetime(2025, 3, 1, 16, 30, tzinfo=dt.UTC)
    assert (
        csv_cell(moment)
        == timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        == "2025-03-02 00:30"
    )


def test_csv_has_a_bom_and_quotes_every_dangerous_cell() -> None:
    text = "".join(csv_lines(["name", "amount"], [["=cmd", Decimal("-12.50")], ["＠x", 3]]))
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["name", "amount"],
        ["'=cmd", "-12.50"],
        ["'＠x", "3"],
    ]
    assert csv_bytes(["a"], [["=1"]]) == "\ufeffa\r\n'=1\r\n".encode()
    out = io.StringIO()
    assert csv_write(out, ["a"], [["@1"], ["b"]]) == 2
    assert out.getvalue() == "a\r\n'@1\r\nb\r\n"


def test_the_importer_reads_an_exported_csv_back_as_it_was() -> None:
    table = read_csv(
        csv_bytes(["title", "note"], [["=SUM(A1:A9) arm", "＋86 21"], ["plain", "'kept"]])
    )
    assert table.rows == [["=SUM(A1:A9) arm", "＋86 21"], ["plain", "'kept"]]


def _cells(body: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return [[c for c in row] for row in sheet.iter_rows()]


def test_xlsx_writes_formula_like_text_as_text_and_numbers_as_numbers() -> None:
    body = xlsx_bytes(
        Sheet(
            "T",
            ["name", "amount", "on"],
            [[text, Decimal("12.50"), dt.date(2025, 3, 1)] for text in DANGEROUS + ["plain"]],
        )
    )
    rows = _cells(body)
    assert [c.value for c in rows[0]] == ["name", "amount", "on"] and rows[0][0].font.bold
    for row, text in zip(rows[1:], DANGEROUS, strict=False):
        # (XML stores a carriage return as a line feed)
        assert (
            row[0].value == text.replace("\r", "\n")
            and row[0].data_type == "s"
            and row[0].quotePrefix
        ), text
        assert row[1].value == 12.5 and row[1].data_type == "n"
        assert row[2].value == dt.datetime(2025, 3, 1)
    assert (
        rows[-1][0].value == "plain"
        and rows[-1][0].data_type == "s"
        and not rows[-1][0].quotePrefix
    )
    sheet_xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # not one formula in the file


def test_xlsx_heading_formats_widths_and_several_sheets() -> None:
    body = xlsx_bytes(
        Sheet(
            "Money: [2025]",
            ["what", "value"],
            [["=x", Decimal("1000")]],
            heading="Amounts received",
            number_formats={1: "#,##0.00"},
            widths={0: 48},
        ),
        Sheet("Help", ["column"], [["a"]]),
    )
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    assert workbook.sheetnames == ["Money   2025 ", "Help"]
    first = workbook.worksheets[0]
    assert (
        first["A1"].value == "Amounts received"
        and first["A1"].font.bold
        and first["A2"].value == "what"
    )
    assert (
        first["A3"].value == "=x"
        and first["A3"].data_type == "s"
        and first["B3"].number_format == "#,##0.00"
    )
    assert first.column_dimensions["A"].width == 48


def test_responses() -> None:
    streamed = spreadsheet_response(fmt="csv", filename="x.csv", headers=["a"], rows=iter([["=1"]]))
    assert (
        streamed["Content-Type"] == "text/csv; charset=utf-8"
        and streamed["Content-Disposition"] == 'attachment; filename="x.csv"'
    )
    assert b"".join(streamed.streaming_content).decode("utf-8-sig") == "a\r\n'=1\r\n"  # type: ignore[union-attr]
    workbook = spreadsheet_response(
        fmt="xlsx", filename="x.xlsx", headers=["a"], rows=[["=1"]], title="Results"
    )
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    assert openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames == ["Results"]
    with pytest.raises(ValueError):
        spreadsheet_response(fmt="pdf", filename="x.pdf", headers=[], rows=[])
