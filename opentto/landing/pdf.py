"""The yearly statement of a person's rewards, as a PDF in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from opentto.core.money import format_yuan
from opentto.core.pdf import ReportPDF

from .distribution import TAX_NOTES


def statement_pdf(s: Any) -> bytes:
    """In the active language: the person's name in it (the other language's when it has none)."""
    pdf = ReportPDF(
        title=_("Statement of rewards %(year)s") % {"year": s.year}, subtitle=str(s.person.name)
    )
    pdf.heading(_("Summary"))
    pdf.facts(
        [
            (_("Year"), str(s.year)),
            (_("Total rewards"), format_yuan(s.total)),
            (_("Taxable base"), format_yuan(s.tax_base)),
        ]
    )
    pdf.heading(_("Rewards received"))
    pdf.data_table(
        [_("Date"), _("Deal"), _("Organisation"), _("Amount"), _("Taxable")],
        [
            [
                line.received_on.isoformat(),
                str(line.deal) if line.deal is not None else _("confidential deal"),
                line.organisation,
                format_yuan(line.amount),
                format_yuan(line.tax_base),
            ]
            for line in s.lines
        ]
        or [["—", "—", "—", "—", "—"]],
        widths=(22, 62, 40, 25, 25),
    )
    pdf.heading(_("Tax treatment"))
    pdf.paragraph(
        _(
            "Cash rewards: cash rewards that non-profit research institutions and universities give their staff from the income "
            "of transferring job-related results may be counted at 50 percent in the month's wages and salaries (Caishui [2018] No. 58). "
            "Equity rewards may defer the tax until the shares are transferred (Caishui [2016] No. 101). This statement is for "
            "reference only; the tax authority decides."
        )
    )
    for note in TAX_NOTES:
        pdf.paragraph(f"{note.text} ({note.source}; {note.confidence})", size=9)
    return pdf.to_bytes()
