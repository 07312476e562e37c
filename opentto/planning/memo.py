"""The bilingual valuation memo: every input and assumption, the three approaches, the
sensitivity table and — labelled as such — the 25% rule of thumb. One source for the page and
the PDF (``ReportPDF``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opentto.core.money import format_yuan
from opentto.core.pdf import ReportPDF

from . import valuation as calc
from .models import Valuation


@dataclass
class Memo:
    valuation: Valuation
    years: list[dict[str, Any]]
    sensitivity_royalties: list[Decimal]
    sensitivity_discounts: list[Decimal]
    sensitivity: list[list[Decimal | None]]
    comparables: list[dict[str, Any]]


def memo_data(valuation: Valuation, user: Any) -> Memo:
    """The memo as ``user`` reads it: a comparable deal they may not see shows only the amount the
    valuation recorded (its id, type and date stay hidden)."""
    revenues = [Decimal(r) for r in valuation.revenues]
    rfr = calc.relief_from_royalty(revenues, valuation.royalty_rate, valuation.tax_rate, valuation.discount_rate, decay=valuation.decay)
    cells = calc.sensitivity_grid(revenues, valuation.royalty_rate, valuation.tax_rate, valuation.discount_rate, decay=valuation.decay)
    royalties = sorted({c.royalty_rate for c in cells})
    discounts = sorted({c.discount_rate for c in cells})
    lookup = {(c.royalty_rate, c.discount_rate): c.value for c in cells}
    grid = [[lookup.get((r, d)) for d in discounts] for r in royalties]
    comparables = []
    if valuation.comparable_deal_ids:
        from opentto.landing.models import Deal

        deals = {d.pk: d for d in Deal.objects.restrict(user, "view").filter(pk__in=valuation.comparable_deal_ids)}
        for pk, amount in zip(valuation.comparable_deal_ids, valuation.comparable_values, strict=False):
            deal = deals.get(pk)
            comparables.append({"pk": pk if deal else None, "amount": Decimal(amount), "type": deal.get_deal_type_display() if deal else "—", "signed_on": deal.signed_on if deal else None})
    return Memo(valuation, [y.as_dict() for y in rfr.years], royalties, discounts, grid, comparables)


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def valuation_memo_pdf(valuation: Valuation, user: Any) -> bytes:
    memo = memo_data(valuation, user)
    result = valuation.result
    pdf = ReportPDF(
        title=f"估值备忘录 Valuation memo: {result.title_zh or result.title_en}",
        subtitle=f"{result.title_en}\n估值基准日 Valuation date: {valuation.valuation_date.isoformat()}",
    )
    pdf.heading("结论 Conclusion")
    pdf.facts([
        ("评估价值 Concluded value", format_yuan(valuation.concluded_value_cny)),
        ("采用方法 Method", {"relief_from_royalty": "收益法（许可费节省法） Income approach: relief from royalty", "cost": "成本法 Cost approach", "market": "市场法 Market approach"}[valuation.concluded_method]),
        ("目的 Purpose", valuation.purpose or "—"),
    ])
    pdf.heading("收益法：许可费节省法 Relief from royalty")
    pdf.facts([
        ("许可费率 Royalty rate", _pct(valuation.royalty_rate)),
        ("税率 Tax rate", _pct(valuation.tax_rate)),
        ("折现率 Discount rate", _pct(valuation.discount_rate)),
        ("年衰减 Yearly decay", _pct(valuation.decay)),
        ("经济寿命 Economic life", f"{len(valuation.revenues)} 年 years"),
        ("剩余专利期限 Remaining patent term", f"{valuation.remaining_term_years} 年 years" if valuation.remaining_term_years is not None else "—"),
        ("价值 Value", format_yuan(valuation.rfr_value_cny)),
    ])
    pdf.paragraph("价值 = Σ 收入ₖ × 许可费率 × (1−衰减)^(k−1) × (1−税率) ÷ (1+折现率)^k，年末折现，仅在最后四舍五入到分。 "
                  "Value = Σ Rₖ·r·(1−g)^(k−1)·(1−t)/(1+d)^k, end-of-year discounting, rounded once to the fen.", size=9)
    pdf.data_table(
        ["年 Year", "收入 Revenue", "许可费 Royalty", "税后 After tax", "折现系数 Factor", "现值 PV"],
        [[str(y["year"]), y["revenue"], y["royalty"], y["after_tax_royalty"], y["discount_factor"], y["present_value"]] for y in memo.years],
    )
    pdf.heading("敏感性分析 Sensitivity (royalty rate × discount rate)")
    pdf.data_table(
        ["许可费率 \\ 折现率", *[_pct(d) for d in memo.sensitivity_discounts]],
        [[_pct(r), *[format_yuan(v) if v is not None else "—" for v in row]] for r, row in zip(memo.sensitivity_royalties, memo.sensitivity, strict=True)],
    )
    pdf.heading("成本法 Cost approach")
    if valuation.cost_value_cny is not None:
        pdf.facts([
            ("重置成本 Reproduction costs", "; ".join(format_yuan(Decimal(c)) for c in valuation.reproduction_costs)),
            ("贬值率 Obsolescence", "; ".join(_pct(Decimal(o)) for o in valuation.obsolescence_rates) or "—"),
            ("价值 Value", format_yuan(valuation.cost_value_cny)),
        ])
    else:
        pdf.paragraph("未采用 Not used.")
    pdf.heading("市场法 Market approach (comparable landed deals on the platform)")
    if valuation.market_value_cny is not None:
        pdf.data_table(["交易 Deal", "类型 Type", "签约 Signed", "金额 Amount"], [[f"#{c['pk']}" if c["pk"] else "—", c["type"], c["signed_on"].isoformat() if c["signed_on"] else "—", format_yuan(c["amount"])] for c in memo.comparables])
        pdf.facts([("调整系数 Scale", f"{valuation.market_scale.normalize():f}"), ("中位数×系数 Median × scale", format_yuan(valuation.market_value_cny))])
    else:
        pdf.paragraph("未采用 Not used.")
    pdf.heading("假设 Assumptions")
    pdf.paragraph(valuation.assumptions_zh or "—")
    pdf.paragraph(valuation.assumptions_en or "—")
    pdf.heading("经验法则（非估值） Rule of thumb — NOT a valuation")
    pdf.paragraph("“25%规则”仅为经验法则，美国联邦巡回上诉法院在 Uniloc v. Microsoft (2011) 中拒绝将其作为损害赔偿依据；本备忘录不以其作为价值。 "
                  "The “25% rule” is a rule of thumb only, rejected as evidence of damages in Uniloc v. Microsoft (Fed. Cir. 2011); this memo never uses it as the value.", size=9)
    return pdf.to_bytes()
