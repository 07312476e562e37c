"""Bilingual PDF documents with the Chinese text embedded as real text.

fpdf2 embeds a subset of Noto Sans CJK (from the ``cvttf-notosanscjk-regular`` package, OFL), so
the Chinese in a report can be selected, searched and extracted again. Every report (evaluation,
valuation memo, distribution statement, annual report) builds on :class:`ReportPDF`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONT_FAMILY = "NotoSansCJK"


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    import cvttf_NotoSansCJK_Regular as package

    folder = Path(os.path.dirname(os.path.abspath(package.__file__)))
    for candidate in sorted(folder.iterdir()):
        if candidate.suffix.lower() in {".otf", ".ttf"}:
            return candidate
    raise FileNotFoundError("the Noto Sans CJK font is missing from cvttf-notosanscjk-regular")


class ReportPDF(FPDF):
    """An A4 report with a title block, headings, paragraphs, key–value facts, tables and bars."""

    def __init__(self, *, title: str, subtitle: str = "", footer: str = "OpenTTO") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        self.footer_text = footer
        self.set_title(title)
        self.set_creator("OpenTTO")
        self.add_font(FONT_FAMILY, "", str(cjk_font_path()))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.add_page()
        self.set_font(FONT_FAMILY, size=17)
        self.multi_cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font(FONT_FAMILY, size=11)
            self.set_text_color(80, 85, 99)
            self.multi_cell(0, 6, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0, 0, 0)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT_FAMILY, size=13)
        self.multi_cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(200, 205, 212)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)

    def paragraph(self, text: str, size: float = 10.5) -> None:
        self.set_font(FONT_FAMILY, size=size)
        self.multi_cell(0, 5.6, text or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def facts(self, rows: Sequence[tuple[str, str]], key_width: float = 55) -> None:
        self.set_font(FONT_FAMILY, size=10)
        for key, value in rows:
            x, y = self.get_x(), self.get_y()
            self.set_text_color(80, 85, 99)
            self.multi_cell(key_width, 5.6, key, new_x=XPos.RIGHT, new_y=YPos.TOP)
            self.set_text_color(0, 0, 0)
            self.multi_cell(0, 5.6, value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_y(max(self.get_y(), y + 5.6))
            self.set_x(x)
        self.ln(1)

    def data_table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float] | None = None,
    ) -> None:
        self.set_font(FONT_FAMILY, size=9)
        with self.table(
            col_widths=tuple(widths) if widths else None,
            text_align="LEFT",
            line_height=5.5,
            headings_style=FontFace(emphasis=None, fill_color=(238, 242, 247)),
        ) as table:
            table.row([str(h) for h in header])
            for row in rows:
                table.row([str(cell) for cell in row])
        self.ln(2)

    def bars(
        self, rows: Sequence[tuple[str, float, str]], maximum: float, width: float = 100
    ) -> None:
        """A horizontal bar per row: label, value (0…maximum), printed value."""
        self.set_font(FONT_FAMILY, size=9)
        for label, value, shown in rows:
            y = self.get_y()
            self.multi_cell(60, 6, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
            self.set_fill_color(11, 83, 148)
            length = 0 if maximum <= 0 else max(0.0, min(1.0, value / maximum)) * width
            if length:
                self.rect(self.l_margin + 62, y + 1.2, length, 3.6, style="F")
            self.set_xy(self.l_margin + 64 + width, y)
            self.cell(0, 6, shown, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def extract_text(pdf_bytes: bytes) -> str:
    """The PDF's text with white space and NULs removed (for tests and checks; needs ``pypdf``).

    pypdf reads fpdf2's embedded CMap as one-byte codes and puts a NUL before each character;
    poppler's ``pdftotext`` reads the same file cleanly. Removing both keeps the check strict about
    the characters themselves."""
    import io

    from pypdf import PdfReader

    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf_bytes)).pages)
    return "".join(ch for ch in text if ch != "\x00" and not ch.isspace())
