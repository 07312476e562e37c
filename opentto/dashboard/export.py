"""Excel exports of the dashboard's tables and the annual report as a PDF."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import translation

from opentto.core.money import format_yuan
from opentto.core.pdf import ReportPDF
from opentto.core.spreadsheets import Sheet, xlsx_bytes
from opentto.tax.selectors import institutions_reported, tax_year_report

from .reports import Table, tables
from .selectors import DEFINITIONS, Figure, headline


def table_xlsx(table: Table) -> bytes:
    """One table of the dashboard as the page shows it: its title, its headers, its rows (amounts
    as numbers with two decimals), through the platform's one spreadsheet writer."""
    return xlsx_bytes(Sheet(
        table.key, table.header, table.rows, heading=str(table.title),
        number_formats={i: "#,##0.00" for i in table.money_columns}, widths={0: 48},
    ))


def _both(text: Any) -> str:
    """A lazily translated label in Chinese and English ("落地成果 / Results landed")."""
    with translation.override("zh-hans"):
        zh = str(text)
    with translation.override("en"):
        en = str(text)
    return zh if zh == en else f"{zh} / {en}"


def _count_value(figure: Figure) -> str:
    return str(figure.count) if figure.value_cny is None else f"{figure.count} · {format_yuan(figure.value_cny)}"


def annual_report_pdf(user: Any, year: int, figures_data: Any) -> bytes:
    """The annual report for ``year``: every figure is that year's (the headline beside all time,
    :func:`opentto.dashboard.selectors.headline`); its headings are Chinese text that can be
    extracted from the PDF. ``figures_data``: ``figures(user, year)``."""
    t = tables(user, year, figures_data)
    pdf = ReportPDF(title=f"{year}年度科技成果转化报告", subtitle=f"Annual report on the transfer of results, {year} · OpenTTO")
    pdf.heading("一、总体情况 / Overview")
    pdf.data_table(
        ["指标 / Figure", f"{year}年 / {year}", "累计 / All time"],
        [[_both(DEFINITIONS[y.key].name), _count_value(y), _count_value(a)] for y, a in headline(user, year).figures],
        widths=(74, 50, 50),
    )
    pdf.paragraph("年度按上海时间（Asia/Shanghai）计；金额为人民币元。定义见 docs/figures.md。 / "
                  "Years follow the Asia/Shanghai calendar; amounts in yuan (CNY). Definitions: docs/figures.md.", size=8.5)

    def cells(table: Table) -> list[list[str]]:
        return [[format_yuan(v) if i in table.money_columns and isinstance(v, Decimal) else str(v) for i, v in enumerate(row)] for row in table.rows]

    pdf.heading("二、转让、许可、作价投资及技术开发、咨询、服务合同 / Contracts and rewards")
    pdf.data_table(["项目 / Heading", "数量 / Number", "金额 / Value"], cells(t["china"]), widths=(104, 28, 42))
    pdf.heading("三、转化流程 / Funnel conversion and time in stage")
    pdf.data_table(["阶段 / Stage", "到达数 / Reached", "比例 / Share (%)"], cells(t["conversion"]), widths=(90, 42, 42))
    pdf.data_table(["阶段 / Stage", "已结束停留 / Stays", "平均天数 / Mean", "中位天数 / Median"], cells(t["time_in_stage"]), widths=(70, 36, 34, 34))
    pdf.heading("四、按领域、单位和年度 / By field, organisation and year")
    for key in ("by_field", "by_organisation", "by_year"):
        pdf.data_table(["名称 / Name", "孵化 / Incubated", "落地 / Landed", "交易金额 / Value"], cells(t[key]), widths=(80, 28, 28, 38))
    pdf.heading("五、到账金额 / Amounts received")
    pdf.data_table(["年度 / Year", "到账 / Received"], cells(t["received"]), widths=(80, 60))
    pdf.heading("六、AUTM 指标 / AUTM-style metrics")
    pdf.data_table(["指标 / Metric", "数量 / Number", "金额 / Value"], cells(t["autm"]), widths=(104, 28, 42))
    tax_rows = tax_section(user, year)
    if tax_rows:
        pdf.heading("七、技术转让所得税收优惠及奖励个税 / Tax on transfer income and on rewards")
        pdf.data_table(
            ["单位 / Institution", "技术转让所得 / Qualifying income", "免税 / Exempt", "减半 / Above", "减免税额 / Relief", "奖励应税 / Rewards taxable"],
            [[row[0], *(format_yuan(v) for v in row[1:])] for row in tax_rows], widths=(44, 28, 26, 24, 26, 26),
        )
    # Further sections of the year are added here, numbered on from 八.
    return pdf.to_bytes()


def tax_section(user: Any, year: int) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    """One row per institution whose tax report the viewer may open (opentto.tax): its qualifying
    technology-transfer income, the exempt part, the part above 5,000,000, the relief and the
    taxable amount of the cash rewards it paid in the year."""
    out = []
    for org in institutions_reported(user):
        r = tax_year_report(user, year, org)
        if r.table.rows or r.rewards:
            out.append((org.name, r.table.qualifying_income, r.table.exempt, r.table.above, r.table.relief, r.rewards_taxable))
    return out
