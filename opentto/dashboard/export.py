"""Excel exports of the dashboard's tables and the annual report as a PDF."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from opentto.core.money import format_yuan
from opentto.core.pdf import ReportPDF
from opentto.core.spreadsheets import Sheet, xlsx_bytes
from opentto.tax.selectors import institutions_reported, tax_year_report

from .reports import Table, tables
from .selectors import DEFINITIONS, Figure, headline


def table_xlsx(table: Table) -> bytes:
    """One table of the dashboard as the page shows it: its title, its headers, its rows (amounts
    as numbers with two decimals), through the platform's one spreadsheet writer."""
    return xlsx_bytes(
        Sheet(
            table.key,
            table.header,
            table.rows,
            heading=str(table.title),
            number_formats={i: "#,##0.00" for i in table.money_columns},
            widths={0: 48},
        )
    )


def _count_value(figure: Figure) -> str:
    return (
        str(figure.count)
        if figure.value_cny is None
        else f"{figure.count} · {format_yuan(figure.value_cny)}"
    )


def annual_report_pdf(user: Any, year: int, figures_data: Any) -> bytes:
    """The annual report for ``year``: every figure is that year's (the headline beside all time,
    :func:`opentto.dashboard.selectors.headline`), in the active language (its text can be
    extracted from the PDF). ``figures_data``: ``figures(user, year)``."""
    t = tables(user, year, figures_data)
    pdf = ReportPDF(
        title=_("Annual report on the transfer of results, %(year)s") % {"year": year},
        subtitle="OpenTTO",
    )
    pdf.heading(_("1. Overview"))
    pdf.data_table(
        [_("Figure"), str(year), _("All time")],
        [
            [str(DEFINITIONS[y.key].name), _count_value(y), _count_value(a)]
            for y, a in headline(user, year).figures
        ],
        widths=(74, 50, 50),
    )
    pdf.paragraph(
        _(
            "Years follow the Asia/Shanghai calendar; amounts in yuan (CNY). Definitions: docs/figures.md."
        ),
        size=8.5,
    )

    def cells(table: Table) -> list[list[str]]:
        return [
            [
                format_yuan(v) if i in table.money_columns and isinstance(v, Decimal) else str(v)
                for i, v in enumerate(row)
            ]
            for row in table.rows
        ]

    pdf.heading(
        _(
            "2. Transfer, licence, equity-investment and technology development, consulting and service contracts"
        )
    )
    pdf.data_table([_("Heading"), _("Number"), _("Value")], cells(t["china"]), widths=(104, 28, 42))
    pdf.heading(_("3. Funnel conversion and time in stage"))
    pdf.data_table(
        [_("Stage"), _("Reached"), _("Share (%)")], cells(t["conversion"]), widths=(90, 42, 42)
    )
    pdf.data_table(
        [_("Stage"), _("Stays ended"), _("Mean days"), _("Median days")],
        cells(t["time_in_stage"]),
        widths=(70, 36, 34, 34),
    )
    pdf.heading(_("4. By field, organisation and year"))
    for key in ("by_field", "by_organisation", "by_year"):
        pdf.data_table(
            [_("Name"), _("Incubated"), _("Landed"), _("Transaction value")],
            cells(t[key]),
            widths=(80, 28, 28, 38),
        )
    pdf.heading(_("5. Amounts received"))
    pdf.data_table([_("Year"), _("Received")], cells(t["received"]), widths=(80, 60))
    pdf.heading(_("6. AUTM-style metrics"))
    pdf.data_table([_("Metric"), _("Number"), _("Value")], cells(t["autm"]), widths=(104, 28, 42))
    tax_rows = tax_section(user, year)
    if tax_rows:
        pdf.heading(_("7. Tax on technology-transfer income and on rewards"))
        pdf.data_table(
            [
                _("Institution"),
                _("Qualifying income"),
                _("Exempt"),
                _("Above 5,000,000"),
                _("Relief"),
                _("Rewards taxable"),
            ],
            [[row[0], *(format_yuan(v) for v in row[1:])] for row in tax_rows],
            widths=(44, 28, 26, 24, 26, 26),
        )
    # Further sections of the year are added here, numbered on from 8.
    return pdf.to_bytes()


def tax_section(
    user: Any, year: int
) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    """One row per institution whose tax report the viewer may open (opentto.tax): its qualifying
    technology-transfer income, the exempt part, the part above 5,000,000, the relief and the
    taxable amount of the cash rewards it paid in the year."""
    out = []
    for org in institutions_reported(user):
        r = tax_year_report(user, year, org)
        if r.table.rows or r.rewards:
            out.append(
                (
                    org.name,
                    r.table.qualifying_income,
                    r.table.exempt,
                    r.table.above,
                    r.table.relief,
                    r.rewards_taxable,
                )
            )
    return out
