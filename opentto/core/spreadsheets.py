"""The one writer of every CSV and xlsx file OpenTTO produces: list exports, dashboard tables,
import templates and error reports, the audit log. A test fails if any other module writes one
(``tests/security/test_spreadsheet_writer.py``).

Formula injection: a spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and
some read a leading tab or carriage return, or the full-width ``＝ ＋ － ＠`` an input method
types, the same way). Such text, also after leading spaces, is written so that it is shown and
never run:

- in a CSV, with an apostrophe in front (``'=HYPERLINK(…)``), the only marker a CSV has;
  :func:`unescape_text` removes it again when OpenTTO reads the file back;
- in an xlsx, as a text cell (``data_type`` ``"s"``) with the quote-prefix style Excel itself uses
  for a cell typed with an apostrophe: the text stays exactly what it was.

Numbers stay numbers (``int``, ``Decimal``, ``float``; a text that is just a signed number, such
as ``"-12.50"``, is left as it is), dates stay dates in xlsx, aware times are written in local
time (spreadsheets have no time zones), lists are joined with ``;`` and ``None`` is empty.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
#: A cell whose text begins with one of these (after leading spaces) could run as a formula.
FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
_LEADING_SPACE = " \u00a0\u3000"
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
#: An apostrophe this module put in front of a formula-like text in a CSV.
_ESCAPED = re.compile(r"'(?=[ \u00a0\u3000]*[=+\-@\t\r＝＋－＠])")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (see the module's rules)."""
    stripped = text.lstrip(_LEADING_SPACE)
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS and not _PLAIN_NUMBER.fullmatch(text)


def plain_value(value: Any) -> Any:
    """A cell's value before neutralising: numbers, dates and text; ``None`` empty, aware times
    in local time, lists joined with ``;``, anything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime(
            "%Y-%m-%d %H:%M"
        )
    if isinstance(value, date):
        return value
    if isinstance(value, list | tuple):
        return ";".join(str(plain_value(v)) for v in value)
    return str(value)


def csv_cell(value: Any) -> str:
    """The text of one CSV cell: formula-like text behind an apostrophe."""
    value = plain_value(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def unescape_text(text: str) -> str:
    """The text of a CSV cell as it was before :func:`csv_cell` put an apostrophe in front of it."""
    return text[1:] if _ESCAPED.match(text) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The lines of a CSV file (a byte-order mark first, so Excel reads UTF-8), one row at a time:
    for a streaming response."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([csv_cell(v) for v in row])


def csv_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    return "".join(csv_lines(headers, rows)).encode("utf-8")


def csv_write(out: Any, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> int:
    """Write a CSV file (without a byte-order mark) to the text stream ``out``; the number of rows."""
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in headers])
    count = 0
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        count += 1
    return count


@dataclass
class Sheet:
    """One sheet of a workbook: an optional bold heading line, bold column headers, the rows;
    ``number_formats`` and ``widths`` by column index (0 is the first column)."""

    title: str
    headers: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    heading: str = ""
    number_formats: Mapping[int, str] = field(default_factory=dict)
    widths: Mapping[int, float] = field(default_factory=dict)


_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def xlsx_bytes(*sheets: Sheet) -> bytes:
    """An xlsx workbook of ``sheets``, written row by row (write-only mode: large lists stay
    small in memory)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(
            _SHEET_TITLE_FORBIDDEN.sub(" ", str(spec.title))[:31] or "Sheet"
        )
        for index, width in spec.widths.items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = width

        def cell(
            value: Any,
            *,
            column: int | None = None,
            strong: bool = False,
            sheet: Any = sheet,
            spec: Sheet = spec,
        ) -> Any:
            value = plain_value(value)
            written = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                written.data_type = "s"  # never a formula, whatever the text begins with
                if is_formula_like(value):
                    written.quotePrefix = True
            elif column is not None and column in spec.number_formats:
                written.number_format = spec.number_formats[column]
            if strong:
                written.font = bold
            return written

        if spec.heading:
            sheet.append([cell(spec.heading, strong=True)])
        sheet.append([cell(h, strong=True) for h in spec.headers])
        for row in spec.rows:
            sheet.append([cell(v, column=i) for i, v in enumerate(row)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def spreadsheet_response(
    *,
    fmt: str,
    filename: str,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    title: str = "",
) -> HttpResponse | StreamingHttpResponse:
    """A download of ``rows`` as ``fmt`` (``"csv"``, streamed, or ``"xlsx"``) named ``filename``."""
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(headers, rows), content_type=CSV_CONTENT_TYPE)
    elif fmt == "xlsx":
        response = HttpResponse(
            xlsx_bytes(Sheet(title or "Export", headers, rows)), content_type=XLSX_CONTENT_TYPE
        )
    else:
        raise ValueError(f"unknown spreadsheet format: {fmt}")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def file_response(body: bytes, *, fmt: str, filename: str) -> HttpResponse:
    """A download of a file this module wrote (:func:`csv_bytes` or :func:`xlsx_bytes`)."""
    response = HttpResponse(
        body, content_type=CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
