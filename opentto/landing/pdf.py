"""The yearly statement of a person's rewards, as a bilingual PDF."""

from __future__ import annotations

from typing import Any

from opentto.core.money import format_yuan
from opentto.core.pdf import ReportPDF

from .distribution import TAX_NOTES


def statement_pdf(s: Any) -> bytes:
    pdf = ReportPDF(
        title=f"科技成果转化奖励收入明细 / Statement of rewards {s.year}",
        subtitle=f"{s.person.name_zh or ''} {s.person.name_en or ''}".strip(),
    )
    pdf.heading("汇总 / Summary")
    pdf.facts([
        ("年度 / Year", str(s.year)),
        ("奖励合计 / Total rewards", format_yuan(s.total)),
        ("计税基数 / Taxable base", format_yuan(s.tax_base)),
    ])
    pdf.heading("明细 / Rewards received")
    pdf.data_table(
        ["日期 / Date", "合同 / Deal", "单位 / Organisation", "金额 / Amount", "计税基数 / Taxable"],
        [[line.received_on.isoformat(), str(line.deal) if line.deal is not None else "保密合同 / confidential deal", line.organisation, format_yuan(line.amount), format_yuan(line.tax_base)] for line in s.lines]
        or [["—", "—", "—", "—", "—"]],
        widths=(22, 62, 40, 25, 25),
    )
    pdf.heading("税务说明 / Tax treatment")
    pdf.paragraph(
        "现金奖励：非营利性科研机构和高校从职务科技成果转化收入中给予科技人员的现金奖励，可减按50%计入科技人员当月“工资、薪金所得”（财税〔2018〕58号）。"
        "股权奖励可递延至转让股权时纳税（财税〔2016〕101号）。本明细仅供参考，以税务机关认定为准。"
    )
    for note in TAX_NOTES:
        pdf.paragraph(f"{note.text} ({note.source}; {note.confidence})", size=9)
    return pdf.to_bytes()
