"""Every CSV and xlsx file the platform writes goes through ``opentto/core/spreadsheets.py``, which
writes formula-like text as text: no other module may write one (a CSV writer, an openpyxl
workbook, a pandas export) or answer with a spreadsheet's content type of its own. Reading
workbooks (the importer) is allowed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "opentto"
WRITER = "core/spreadsheets.py"

#: What writing a spreadsheet around the writer looks like.
PATTERNS = {
    "csv writer": re.compile(r"\bcsv\s*\.\s*(writer|DictWriter)\b|\.writerows?\s*\("),
    "openpyxl workbook": re.compile(
        r"\bWorkbook\s*\(|\bWriteOnlyCell\b|\bopenpyxl\.writer\b|\.save_workbook\b"
    ),
    "other spreadsheet library": re.compile(
        r"\bxlsxwriter\b|\bxlwt\b|\bpyexcel\b|\.to_csv\s*\(|\.to_excel\s*\("
    ),
    "spreadsheet content type": re.compile(r"text/csv|spreadsheetml|application/vnd\.ms-excel"),
}
#: Files where a pattern names something else: the upload check lists the types of files users
#: upload (attachments are served as uploaded, never written by the platform).
EXEMPT = {"core/uploads.py": {"spreadsheet content type"}}
#: openpyxl may be imported only by the writer and by the importer's reader (load_workbook).
OPENPYXL_IMPORT = re.compile(r"^\s*(import openpyxl|from openpyxl\b)", re.MULTILINE)
OPENPYXL_ALLOWED = {WRITER, "imports/readers.py"}


def _python_files() -> list[tuple[str, str]]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == WRITER or "/migrations/" in rel:
            continue
        files.append((rel, path.read_text(encoding="utf-8")))
    return files


def test_no_module_writes_a_spreadsheet_around_the_writer():
    offences = []
    for rel, text in _python_files():
        for number, line in enumerate(text.splitlines(), 1):
            for name, pattern in PATTERNS.items():
                if pattern.search(line) and name not in EXEMPT.get(rel, set()):
                    offences.append(f"{rel}:{number}: {name}: {line.strip()[:120]}")
        if rel not in OPENPYXL_ALLOWED and OPENPYXL_IMPORT.search(text):
            offences.append(f"{rel}: imports openpyxl")
    assert not offences, "Write CSV/xlsx through opentto.core.spreadsheets:\n" + "\n".join(offences)


def test_the_patterns_catch_writers():
    samples = {
        "csv writer": [
            "writer = csv.writer(out)",
            "csv.DictWriter(f, fieldnames)",
            "w.writerow(row)",
            "w.writerows(rows)",
        ],
        "openpyxl workbook": [
            "wb = Workbook()",
            "openpyxl.Workbook(write_only=True)",
            "WriteOnlyCell(ws, value=v)",
        ],
        "other spreadsheet library": [
            "import xlsxwriter",
            "frame.to_csv(path)",
            "frame.to_excel(path)",
        ],
        "spreadsheet content type": [
            'content_type="text/csv; charset=utf-8"',
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"',
        ],
    }
    for name, lines in samples.items():
        for line in lines:
            assert PATTERNS[name].search(line), (name, line)
    assert OPENPYXL_IMPORT.search("    import openpyxl\n") and OPENPYXL_IMPORT.search(
        "from openpyxl.styles import Font\n"
    )
    for innocent in (
        "csv.reader(io.StringIO(text))",
        "openpyxl.load_workbook(io.BytesIO(raw))",
        "rows.append(row)",
    ):
        assert not any(p.search(innocent) for p in PATTERNS.values()), innocent


def test_the_writer_exists_and_is_used():
    text = (ROOT / WRITER).read_text(encoding="utf-8")
    assert "def csv_lines" in text and "def xlsx_bytes" in text
    users = {
        rel
        for rel, source in _python_files()
        if "opentto.core.spreadsheets" in source or "from .spreadsheets" in source
    }
    assert {
        "imports/views.py",
        "imports/template.py",
        "dashboard/export.py",
        "core/audit.py",
        "imports/readers.py",
    } <= users
