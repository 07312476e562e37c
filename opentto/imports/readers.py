"""Reading an import file into a header row and data rows, checked by its content.

- CSV: UTF-8 (with or without BOM) or GB18030 (what Chinese Excel writes), comma, semicolon or tab;
  the apostrophe OpenTTO's exports put before formula-like text is taken off again;
- xlsx: the first sheet (openpyxl, read-only);
- patent XML: WIPO ST.36 / CNIPA-style bibliographic XML (``patent-document``, ``cn-patent-document``,
  ``exchange-document``, ``us-patent-grant`` …), one or many documents per file; read with
  defusedxml (no entities, no DTDs, no network).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from defusedxml import ElementTree
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from opentto.core.spreadsheets import unescape_text

#: More rows than this in one file are refused (split the file).
MAX_ROWS = 50_000
FORMATS = ("csv", "xlsx", "xml")


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]
    #: The spreadsheet row number of each data row (the header is row 1).
    row_numbers: list[int]


def detect_format(head: bytes, name: str) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return "xml"
    if b"\x00" in head:
        raise ValidationError(
            _("%(name)s is neither CSV, xlsx nor XML (checked by its content).") % {"name": name},
            code="type",
        )
    return "csv"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _trim(rows: list[list[Any]]) -> Table:
    if not rows:
        raise ValidationError(_("The file has no header row."), code="empty")
    headers = [str(h).strip() for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise ValidationError(_("The file has no header row."), code="empty")
    data, numbers = [], []
    for number, row in enumerate(rows[1:], start=2):
        if any(str(v).strip() for v in row if v is not None):
            data.append(list(row[: len(headers)]) + [""] * (len(headers) - len(row)))
            numbers.append(number)
    if len(data) > MAX_ROWS:
        raise ValidationError(
            _("The file has %(n)d rows; at most %(max)d can be imported at once: split it.")
            % {"n": len(data), "max": MAX_ROWS},
            code="too_many",
        )
    return Table(headers, data, numbers)


def read_csv(raw: bytes) -> Table:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValidationError(_("The CSV file is neither UTF-8 nor GB18030 text."), code="encoding")
    sample = text[:4096]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    # Excel's quoting (the sniffer takes the apostrophe before formula-like text for a quote
    # character); a cell our exports wrote behind an apostrophe is read as it was
    rows = [
        [_cell(unescape_text(v)) for v in row]
        for row in csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
    ]
    return _trim(rows)


def read_xlsx(raw: bytes) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationError(_("The file is not a readable xlsx workbook."), code="type") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for n, row in enumerate(sheet.iter_rows(values_only=True)):
            if n > MAX_ROWS + 1:
                raise ValidationError(
                    _("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS},
                    code="too_many",
                )
            rows.append([_cell(v) for v in row])
    finally:
        workbook.close()
    return _trim(rows)


# --- patent XML -------------------------------------------------------------------------------

DOCUMENT_TAGS = {
    "patent-document",
    "cn-patent-document",
    "exchange-document",
    "us-patent-grant",
    "us-patent-application",
    "PatentDocument",
    "patent",
}
XML_FIELDS = [
    "application_number",
    "title_zh",
    "title_en",
    "abstract_zh",
    "abstract_en",
    "owners",
    "inventors",
    "filing_date",
    "publication_number",
    "grant_number",
    "grant_date",
    "ip_status",
    "ip_kind",
]


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Any, name: str) -> Iterator[Any]:
    for child in element.iter():
        if _local(child.tag) == name:
            yield child


def _first(element: Any, *path: str) -> Any:
    current = [element]
    for name in path:
        current = [c for e in current for c in _children(e, name)]
        if not current:
            return None
    return current[0]


def _any(element: Any, *names: str) -> Any:
    for name in names:
        found = _first(element, name)
        if found is not None:
            return found
    return None


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _lang(element: Any) -> str:
    for key, value in element.attrib.items():
        if _local(key) == "lang":
            return str(value).lower()
    return ""


def _xml_date(value: str) -> str:
    value = value.strip()
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def _doc_number(reference: Any, *, with_kind: bool = False) -> tuple[str, str]:
    """``(number, date)`` of an ``application-reference``/``publication-reference``/… element."""
    if reference is None:
        return "", ""
    doc_id = _first(reference, "document-id")
    doc_id = reference if doc_id is None else doc_id
    country = _text(_first(doc_id, "country")).upper()
    number = _text(_first(doc_id, "doc-number")).replace(" ", "")
    kind = _text(_first(doc_id, "kind"))
    when = _xml_date(_text(_first(doc_id, "date")))
    if number and country and not number.upper().startswith(country):
        number = f"{country}{number}"
    if with_kind and number and kind and not number.endswith(kind):
        number = f"{number}{kind}"
    return number, when


def _names(element: Any, group: str, item: str) -> str:
    container = _first(element, group)
    if container is None:
        return ""
    names = []
    for party in _children(container, item):
        name = (
            _text(_first(party, "name"))
            or " ".join(
                filter(
                    None, [_text(_first(party, "last-name")), _text(_first(party, "first-name"))]
                )
            )
            or _text(_first(party, "orgname"))
        )
        if name and name not in names:
            names.append(name)
    return ";".join(names)


def _xml_record(doc: Any) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(XML_FIELDS, "")
    record["application_number"], record["filing_date"] = _doc_number(
        _any(doc, "application-reference", "cn-application-reference")
    )
    record["publication_number"], _pub_date = _doc_number(
        _any(doc, "publication-reference", "cn-publication-reference"), with_kind=True
    )
    for title in _children(doc, "invention-title"):
        key = (
            "title_zh"
            if _lang(title).startswith("zh")
            or (not _lang(title) and any("\u4e00" <= ch <= "\u9fff" for ch in _text(title)))
            else "title_en"
        )
        record[key] = record[key] or _text(title)
    for abstract in _children(doc, "abstract"):
        key = (
            "abstract_zh"
            if _lang(abstract).startswith("zh")
            or (not _lang(abstract) and any("\u4e00" <= ch <= "\u9fff" for ch in _text(abstract)))
            else "abstract_en"
        )
        record[key] = record[key] or _text(abstract)
    record["owners"] = _names(doc, "applicants", "applicant") or _names(
        doc, "assignees", "assignee"
    )
    record["inventors"] = _names(doc, "inventors", "inventor")
    grant = _first(doc, "grant-reference")
    grant = _first(doc, "grant") if grant is None else grant
    if grant is not None:
        record["grant_number"], record["grant_date"] = _doc_number(grant, with_kind=True)
    record["ip_status"] = _text(_first(doc, "legal-status")) or _text(_first(doc, "status"))
    return record


def _outermost_documents(element: Any) -> Iterator[Any]:
    """Document elements; one nested in another (a <patent> wrapping a <patent-document>) counts once."""
    if _local(element.tag) in DOCUMENT_TAGS:
        yield element
        return
    for child in element:
        yield from _outermost_documents(child)


def read_xml(raw: bytes) -> Table:
    try:
        root = ElementTree.fromstring(raw, forbid_dtd=True)
    except Exception as exc:  # defusedxml raises several types: all mean "not acceptable XML"
        raise ValidationError(
            _("The XML file cannot be read: %(error)s") % {"error": str(exc)[:200]}, code="xml"
        ) from exc
    documents = list(_outermost_documents(root))
    if not documents:
        raise ValidationError(
            _(
                "No patent documents found in the XML file (expected patent-document or exchange-document elements)."
            ),
            code="xml",
        )
    rows = [[r[k] for k in XML_FIELDS] for r in (_xml_record(d) for d in documents)]
    return _trim([XML_FIELDS, *rows])


def read_table(raw: bytes, name: str) -> tuple[str, Table]:
    fmt = detect_format(raw[:512], name)
    reader = {"csv": read_csv, "xlsx": read_xlsx, "xml": read_xml}[fmt]
    return fmt, reader(raw)
