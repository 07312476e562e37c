"""The bilingual valuation memo: every input and assumption, the three approaches, the
sensitivity table and — labelled as such — the 25% rule of thumb. One source for the page and
the PDF (``ReportPDF``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opentto.core.money import format_yuan
from opentto.core.pdf import ReportPDF

from . import valuation as calc
from .hooks import visible_deals
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
    rfr = calc.relief_from_royalty(
        revenues,
        valuation.royalty_rate,
        valuation.tax_rate,
        valuation.discount_rate,
        decay=valuation.decay,
    )
    cells = calc.sensitivity_grid(
        revenues,
        valuation.royalty_rate,
        valuation.tax_rate,
        valuation.discount_rate,
        decay=valuation.decay,
    )
    royalties = sorted({c.royalty_rate for c in cells})
    discounts = sorted({c.discount_rate for c in cells})
    lookup = {(c.royalty_rate, c.discount_rate): c.value for c in cells}
    grid = [[lookup.get((r, d)) for d in discounts] for r in royalties]
    comparables = []
    if valuation.comparable_deal_ids:
        deals = {d.pk: d for d in visible_deals(user).filter(pk__in=valuation.comparable_deal_ids)}
        for pk, amount in zip(
            valuation.comparable_deal_ids, valuation.comparable_values, strict=False
        ):
            deal = deals.get(pk)
            comparables.append(
                {
                    "pk": pk if deal else None,
                    "amount": Decimal(amount),
                    "type": deal.get_deal_type_display() if deal else "—",
                    "signed_on": deal.signed_on if deal else None,
                }
            )
    return Memo(
        valuation, [y.as_dict() for y in rfr.years], royalties, discounts, grid, comparables
    )


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def valuation_memo_pdf(valuation: Valuation, user: Any) -> bytes:
    """The memo in the active language (the result's title and the assumptions in it, else in the other one)."""
    memo = memo_data(valuation, user)
    result = valuation.result
    pdf = ReportPDF(
        title=_("Valuation memo: %(title)s") % {"title": result.title},
        subtitle=_("Valuation date: %(date)s") % {"date": valuation.valuation_date.isoformat()},
    )
    pdf.heading(_("Conclusion"))
    methods = {
        "relief_from_royalty": _("Income approach: relief from royalty"),
        "cost": _("Cost approach"),
        "market": _("Market approach"),
    }
    pdf.facts(
        [
            (_("Concluded value"), format_yuan(valuation.concluded_value_cny)),
            (_("Method"), methods[valuation.concluded_method]),
            (_("Purpose"), valuation.purpose or "—"),
        ]
    )
    pdf.heading(_("Income approach: relief from royalty"))
    pdf.facts(
        [
            (_("Royalty rate"), _pct(valuation.royalty_rate)),
            (_("Tax rate"), _pct(valuation.tax_rate)),
            (_("Discount rate"), _pct(valuation.discount_rate)),
            (_("Yearly decay"), _pct(valuation.decay)),
            (
                _("Economic life"),
                ngettext("%(n)s year", "%(n)s years", len(valuation.revenues))
                % {"n": len(valuation.revenues)},
            ),
            (
                _("Remaining patent term"),
                ngettext("%(n)s year", "%(n)s years", valuation.remaining_term_years)
                % {"n": valuation.remaining_term_years}
                if valuation.remaining_term_years is not None
                else "—",
            ),
            (_("Value"), format_yuan(valuation.rfr_value_cny)),
        ]
    )
    pdf.paragraph(
        _(
            "Value = Σ Rₖ·r·(1−g)^(k−1)·(1−t)/(1+d)^k, end-of-year discounting, rounded once to the fen."
        ),
        size=9,
    )
    pdf.data_table(
        [
            _("Year"),
            _("Revenue"),
            _("Royalty"),
            _("After tax"),
            _("Discount factor"),
            _("Present value"),
        ],
        [
            [
                str(y["year"]),
                y["revenue"],
                y["royalty"],
                y["after_tax_royalty"],
                y["discount_factor"],
                y["present_value"],
            ]
            for y in memo.years
        ],
    )
    pdf.heading(_("Sensitivity (royalty rate × discount rate)"))
    pdf.data_table(
        [_("Royalty rate / discount rate"), *[_pct(d) for d in memo.sensitivity_discounts]],
        [
            [_pct(r), *[format_yuan(v) if v is not None else "—" for v in row]]
            for r, row in zip(memo.sensitivity_royalties, memo.sensitivity, strict=True)
        ],
    )
    pdf.heading(_("Cost approach"))
    if valuation.cost_value_cny is not None:
        pdf.facts(
            [
                (
                    _("Reproduction costs"),
                    "; ".join(format_yuan(Decimal(c)) for c in valuation.reproduction_costs),
                ),
                (
                    _("Obsolescence"),
                    "; ".join(_pct(Decimal(o)) for o in valuation.obsolescence_rates) or "—",
                ),
                (_("Value"), format_yuan(valuation.cost_value_cny)),
            ]
        )
    else:
        pdf.paragraph(_("Not used."))
    pdf.heading(_("Market approach (comparable landed deals on the platform)"))
    if valuation.market_value_cny is not None:
        pdf.data_table(
            [_("Deal"), _("Type"), _("Signed"), _("Amount")],
            [
                [
                    f"#{c['pk']}" if c["pk"] else "—",
                    c["type"],
                    c["signed_on"].isoformat() if c["signed_on"] else "—",
                    format_yuan(c["amount"]),
                ]
                for c in memo.comparables
            ],
        )
        pdf.facts(
            [
                (_("Scale"), f"{valuation.market_scale.normalize():f}"),
                (_("Median × scale"), format_yuan(valuation.market_value_cny)),
            ]
        )
    else:
        pdf.paragraph(_("Not used."))
    pdf.heading(_("Assumptions"))
    pdf.paragraph(str(valuation.assumptions) or "—")
    pdf.heading(_("Rule of thumb — NOT a valuation"))
    pdf.paragraph(
        _(
            "The “25 percent rule” is a rule of thumb only, rejected as evidence of damages in Uniloc v. Microsoft (Fed. Cir. 2011); this memo never uses it as the value."
        ),
        size=9,
    )
    return pdf.to_bytes()
