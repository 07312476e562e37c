"""The tax consequences of a technology-transfer deal, as pure functions (no ORM).

Each rule cites its source and how sure we are of it, as ``STANDARDS.md`` ("Contracts, tax and
rights") states it; docs/regime.md (tax) tables them with a worked example that the tests assert.

* :func:`vat_exemption` — VAT: technology transfer, licence and development are exempt; the
  consulting and services tied to them only inside the same contract and invoice; on the
  registered contract (财税〔2016〕36号, annex 3, art. 1 item (26); fairly sure).
* :func:`eit_relief_table` — enterprise income tax of a resident enterprise for one year: the
  qualifying technology-transfer income (技术转让所得: income less its costs and taxes, 财税〔2010〕
  111号) is exempt up to 5,000,000 yuan and halved above (企业所得税法 art. 27(4); implementing
  regulations art. 90; sure of the figures), "halved" read as half of the 25 % rate (国税函〔2010〕
  157号; fairly sure).
* :func:`reward_iit` — individual income tax on an inventor's cash reward: half its amount counts as
  wages (财税〔2018〕58号; fairly sure) when all four conditions hold.

Rounding: ROUND_HALF_UP to the fen, only where a step says so (the tax at 25 %, the tax at 12.5 %,
the half of a reward); sums and differences of amounts already in fen are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FEN: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
#: 企业所得税法 art. 27(4) and its implementing regulations art. 90 (sure).
EXEMPT_LIMIT: Final = Decimal("5000000.00")
#: The enterprise income tax rate, 25 % (STANDARDS.md: "half of the 25 % rate").
EIT_RATE: Final = Decimal("0.25")
#: "Halved": half of the 25 % rate (国税函〔2010〕157号, fairly sure).
HALVED_RATE: Final = Decimal("0.125")
#: Non-exclusive licences qualify from 5 years (财税〔2015〕116号).
LICENCE_MIN_YEARS: Final = 5
#: A cash reward paid within 36 months of the income (财税〔2018〕58号).
REWARD_MONTHS: Final = 36

# Contract kinds (技术合同认定规则 classes; the names of ``landing.ContractKindChoices``).
DEV_COMMISSIONED, DEV_COOPERATIVE, TRANSFER, LICENCE, CONSULTING, SERVICE = (
    "dev_commissioned",
    "dev_cooperative",
    "transfer",
    "licence",
    "consulting",
    "service",
)
DEVELOPMENT_KINDS: Final = (DEV_COMMISSIONED, DEV_COOPERATIVE)
SUPPORT_KINDS: Final = (CONSULTING, SERVICE)
TECHNICAL_SECRET: Final = "technical_secret"  # noqa: S105  (a contract object, 技术秘密)


@dataclass(frozen=True)
class Citation:
    source: str | Promise  # translated when shown
    confidence: str  # as STANDARDS.md says it: "sure", "fairly sure", "not confirmed"

    def as_json(self) -> dict[str, str]:
        return {"source": str(self.source), "confidence": self.confidence}

    @property
    def confidence_label(self) -> str:
        return str(CONFIDENCE_LABELS.get(self.confidence, self.confidence))


CONFIDENCE_LABELS: Final = {
    "sure": gettext_lazy("sure"),
    "fairly sure": gettext_lazy("fairly sure"),
    "not confirmed": gettext_lazy("not confirmed"),
}


VAT_SOURCE: Final = Citation(
    gettext_lazy("Caishui [2016] No. 36, annex 3, art. 1 item (26)"), "fairly sure"
)
REGISTRATION_SOURCE: Final = Citation(
    gettext_lazy(
        "Measures for the Recognition and Registration of Technology Contracts (Guokefazhengzi [2000] No. 063)"
    ),
    "fairly sure",
)
EIT_SOURCE: Final = Citation(
    gettext_lazy("Enterprise Income Tax Law art. 27(4); its Implementing Regulations art. 90"),
    "sure",
)
INCOME_SOURCE: Final = Citation(
    gettext_lazy("Caishui [2010] No. 111 (transfer income = income less its costs and taxes)"),
    "fairly sure",
)
HALVED_SOURCE: Final = Citation(
    gettext_lazy("Guoshuihan [2010] No. 157 (half of the 25-percent rate)"), "fairly sure"
)
LICENCE_SOURCE: Final = Citation(
    gettext_lazy("Caishui [2015] No. 116 (non-exclusive licences of 5 years or more)"),
    "fairly sure",
)
SUPPORT_SOURCE: Final = Citation(
    gettext_lazy(
        "State Taxation Administration announcement No. 62 of 2013 (support only when bundled with the transfer)"
    ),
    "fairly sure",
)
RELATED_SOURCE: Final = Citation(
    gettext_lazy(
        "STANDARDS.md: transfers to a wholly-owned related party are excluded (document not named)"
    ),
    "fairly sure",
)
SECRET_SOURCE: Final = Citation(
    gettext_lazy("STANDARDS.md: technical secrets' qualification needs care"), "not confirmed"
)
REWARD_SOURCE: Final = Citation(gettext_lazy("Caishui [2018] No. 58"), "fairly sure")


def round_fen(value: Decimal) -> Decimal:
    """Half up to the fen (the one rounding step of each computation)."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def _money(value: Decimal, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if value != value.quantize(FEN):
        raise ValueError(f"{name} must be in yuan with at most two decimals: {value}")
    return value.quantize(FEN)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it has none)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Reason:
    """One condition checked: a stable code, whether it holds, a message, its citation."""

    code: str
    ok: bool
    message: str
    citation: Citation

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "ok": self.ok,
            "message": self.message,
            **self.citation.as_json(),
        }


# --- VAT ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VatInput:
    contract_kind: str  # "" when not recorded
    bundled_support_services: bool
    is_registered: bool
    claims_exemption: bool = False


@dataclass(frozen=True)
class VatAnswer:
    applies: bool
    claimed: bool
    reasons: tuple[Reason, ...]
    citation: Citation = VAT_SOURCE

    def as_json(self) -> dict[str, object]:
        return {
            "applies": self.applies,
            "claimed": self.claimed,
            "reasons": [r.as_json() for r in self.reasons],
            **self.citation.as_json(),
        }


def vat_exemption(data: VatInput) -> VatAnswer:
    """Whether the VAT exemption applies to the deal's contract (财税〔2016〕36号, annex 3, art. 1
    item (26); fairly sure): transfer, licence and development contracts are exempt; consulting and
    services only when they are inside the same transfer or development contract and invoice; in
    each case on the registered contract."""
    kind = data.contract_kind
    reasons: list[Reason] = []
    if kind in (TRANSFER, LICENCE, *DEVELOPMENT_KINDS):
        reasons.append(
            Reason(
                "kind",
                True,
                _("Technology transfer, licence and development contracts are exempt."),
                VAT_SOURCE,
            )
        )
        if data.bundled_support_services:
            reasons.append(
                Reason(
                    "bundled",
                    True,
                    _(
                        "The consulting and services in the same contract and invoice are exempt with it."
                    ),
                    VAT_SOURCE,
                )
            )
    elif kind in SUPPORT_KINDS:
        if data.bundled_support_services:
            reasons.append(
                Reason(
                    "bundled",
                    True,
                    _(
                        "The consulting or service is inside the same transfer or development contract and invoice."
                    ),
                    VAT_SOURCE,
                )
            )
        else:
            reasons.append(
                Reason(
                    "bundled",
                    False,
                    _(
                        "Consulting and services are exempt only inside the same transfer or development contract and invoice."
                    ),
                    VAT_SOURCE,
                )
            )
    else:
        reasons.append(
            Reason(
                "kind",
                False,
                _("The contract kind is not recorded, or it is not a technology contract."),
                VAT_SOURCE,
            )
        )
    if data.is_registered:
        reasons.append(
            Reason(
                "registered",
                True,
                _("The contract is registered as a technology contract."),
                REGISTRATION_SOURCE,
            )
        )
    else:
        reasons.append(
            Reason(
                "registered",
                False,
                _(
                    "The contract is not registered: the exemption is claimed on the registered contract."
                ),
                REGISTRATION_SOURCE,
            )
        )
    return VatAnswer(
        applies=all(r.ok for r in reasons), claimed=data.claims_exemption, reasons=tuple(reasons)
    )


# --- Enterprise income tax -------------------------------------------------------------------------


@dataclass(frozen=True)
class EitIncome:
    """One deal's technology-transfer income of one institution in one year."""

    deal_id: int
    label: str
    contract_kind: str
    contract_object: str
    income: Decimal  # received by the institution that year (its share of the payments)
    costs: Decimal  # costs attributable to that income
    taxes: Decimal  # taxes and surcharges attributable to that income
    is_registered: bool
    non_exclusive: bool = False
    licence_starts_on: date | None = None
    licence_ends_on: date | None = None
    bundled_support_services: bool = False
    wholly_owned_related_party: bool = False
    claims_relief: bool = True


@dataclass(frozen=True)
class EitRow:
    deal_id: int
    label: str
    income: Decimal
    costs: Decimal
    taxes: Decimal
    taxable_income: Decimal  # 所得 = income - costs - taxes
    qualifies: bool
    reasons: tuple[Reason, ...]
    flags: tuple[Reason, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "deal": self.deal_id,
            "label": self.label,
            "income": str(self.income),
            "costs": str(self.costs),
            "taxes": str(self.taxes),
            "transfer_income": str(self.taxable_income),
            "qualifies": self.qualifies,
            "reasons": [r.as_json() for r in self.reasons],
            "flags": [f.as_json() for f in self.flags],
        }


@dataclass(frozen=True)
class EitTable:
    year: int
    institution: str
    resident_enterprise: bool
    rows: tuple[EitRow, ...]
    qualifying_income: Decimal  # total qualifying 所得 (never below zero)
    exempt: Decimal  # the part up to 5,000,000.00
    above: Decimal  # the part above 5,000,000.00
    tax_without_relief: Decimal  # qualifying 所得 x 25 %, half up to the fen
    tax_due: Decimal  # the part above x 12.5 %, half up to the fen
    relief: Decimal  # tax_without_relief - tax_due
    excluded_income: Decimal  # 所得 of the excluded rows (taxed at 25 %)
    tax_on_excluded: Decimal  # excluded 所得 x 25 %, half up to the fen (never below zero)
    citations: tuple[Citation, ...] = field(default=(EIT_SOURCE, INCOME_SOURCE, HALVED_SOURCE))

    def as_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "institution": self.institution,
            "resident_enterprise": self.resident_enterprise,
            "rows": [r.as_json() for r in self.rows],
            "qualifying_income": str(self.qualifying_income),
            "exempt": str(self.exempt),
            "above": str(self.above),
            "tax_without_relief": str(self.tax_without_relief),
            "tax_due": str(self.tax_due),
            "relief": str(self.relief),
            "excluded_income": str(self.excluded_income),
            "tax_on_excluded": str(self.tax_on_excluded),
            "rates": {"eit": str(EIT_RATE), "above_limit": str(HALVED_RATE)},
            "exempt_limit": str(EXEMPT_LIMIT),
            "citations": [c.as_json() for c in self.citations],
        }


def licence_years_ok(starts_on: date | None, ends_on: date | None) -> bool:
    """A term of at least 5 years: from 2024-01-01 it must run to 2028-12-31 or later."""
    if starts_on is None or ends_on is None:
        return False
    five = date(
        starts_on.year + LICENCE_MIN_YEARS,
        starts_on.month,
        28 if (starts_on.month, starts_on.day) == (2, 29) else starts_on.day,
    )
    return ends_on >= five - timedelta(days=1)


def eit_row(item: EitIncome) -> EitRow:
    """One deal's row: its 所得 (income less its costs and taxes, 财税〔2010〕111号) and whether it
    qualifies, each exclusion with its reason and source."""
    income, costs, taxes = (
        _money(item.income, "income"),
        _money(item.costs, "costs"),
        _money(item.taxes, "taxes"),
    )
    reasons: list[Reason] = []
    flags: list[Reason] = []
    kind = item.contract_kind
    if kind == TRANSFER:
        reasons.append(
            Reason("kind", True, _("A transfer of a technology's ownership qualifies."), EIT_SOURCE)
        )
    elif kind == LICENCE:
        if item.non_exclusive and not licence_years_ok(
            item.licence_starts_on, item.licence_ends_on
        ):
            reasons.append(
                Reason(
                    "licence_term",
                    False,
                    _("A non-exclusive licence qualifies only for a term of 5 years or more."),
                    LICENCE_SOURCE,
                )
            )
        elif item.non_exclusive:
            reasons.append(
                Reason(
                    "licence_term",
                    True,
                    _("A non-exclusive licence of 5 years or more qualifies."),
                    LICENCE_SOURCE,
                )
            )
        else:
            reasons.append(
                Reason("kind", True, _("An exclusive or sole licence qualifies."), EIT_SOURCE)
            )
            if not licence_years_ok(item.licence_starts_on, item.licence_ends_on):
                flags.append(
                    Reason(
                        "licence_term",
                        False,
                        _("Check the licence's term: it is under 5 years or not recorded."),
                        Citation(LICENCE_SOURCE.source, "not confirmed"),
                    )
                )
    elif kind in (*DEVELOPMENT_KINDS, *SUPPORT_KINDS):
        if item.bundled_support_services:
            reasons.append(
                Reason(
                    "support",
                    True,
                    _(
                        "Development, consulting or service income bundled with the transfer as its support qualifies."
                    ),
                    SUPPORT_SOURCE,
                )
            )
        else:
            reasons.append(
                Reason(
                    "support",
                    False,
                    _(
                        "Development, consulting and service income qualifies only as support bundled with a transfer."
                    ),
                    SUPPORT_SOURCE,
                )
            )
    else:
        reasons.append(
            Reason(
                "kind",
                False,
                _("The contract kind is not recorded, or it is not a technology transfer."),
                EIT_SOURCE,
            )
        )
    if item.contract_object == TECHNICAL_SECRET:
        flags.append(
            Reason(
                "technical_secret",
                False,
                _(
                    "A technical secret's qualification needs care: keep the evidence of its recognition."
                ),
                SECRET_SOURCE,
            )
        )
    if item.wholly_owned_related_party:
        reasons.append(
            Reason(
                "related_party",
                False,
                _("A transfer to a wholly-owned related party is excluded."),
                RELATED_SOURCE,
            )
        )
    if item.is_registered:
        reasons.append(
            Reason(
                "registered",
                True,
                _("The contract is registered as a technology contract."),
                REGISTRATION_SOURCE,
            )
        )
    else:
        reasons.append(
            Reason(
                "registered",
                False,
                _(
                    "The contract is not registered: the relief is computed on the registered contract's technology income."
                ),
                REGISTRATION_SOURCE,
            )
        )
    if not item.claims_relief:
        flags.append(
            Reason(
                "not_claimed",
                False,
                _("The relief is not marked as claimed on this deal."),
                EIT_SOURCE,
            )
        )
    return EitRow(
        deal_id=item.deal_id,
        label=item.label,
        income=income,
        costs=costs,
        taxes=taxes,
        taxable_income=income - costs - taxes,
        qualifies=all(r.ok for r in reasons),
        reasons=tuple(reasons),
        flags=tuple(flags),
    )


def eit_relief_table(
    year: int, institution: str, incomes: list[EitIncome], *, resident_enterprise: bool = True
) -> EitTable:
    """The worked table of one institution's year. Qualifying 所得 is added over the deals (a loss
    on one offsets the others; a negative total counts as zero); up to 5,000,000.00 is exempt, the
    part above is taxed at 12.5 % (half the 25 % rate); the relief is the tax at 25 % on the whole
    qualifying 所得 less the tax due. Each tax is rounded half up to the fen; the relief is their
    difference. An institution not taxed as a resident enterprise gets no relief table (all zero)."""
    rows = tuple(eit_row(i) for i in incomes)
    if not resident_enterprise:
        rows = tuple(
            EitRow(
                r.deal_id,
                r.label,
                r.income,
                r.costs,
                r.taxes,
                r.taxable_income,
                False,
                (
                    *r.reasons,
                    Reason(
                        "resident",
                        False,
                        _("The institution is not taxed as a resident enterprise."),
                        EIT_SOURCE,
                    ),
                ),
                r.flags,
            )
            for r in rows
        )
    qualifying = max(sum((r.taxable_income for r in rows if r.qualifies), ZERO), ZERO)
    exempt = min(qualifying, EXEMPT_LIMIT)
    above = qualifying - exempt
    without = round_fen(qualifying * EIT_RATE)
    due = round_fen(above * HALVED_RATE)
    excluded = sum((r.taxable_income for r in rows if not r.qualifies), ZERO)
    return EitTable(
        year=year,
        institution=institution,
        resident_enterprise=resident_enterprise,
        rows=rows,
        qualifying_income=qualifying,
        exempt=exempt,
        above=above,
        tax_without_relief=without,
        tax_due=due,
        relief=without - due,
        excluded_income=excluded,
        tax_on_excluded=round_fen(max(excluded, ZERO) * EIT_RATE),
    )


# --- Individual income tax on a cash reward ------------------------------------------------------------


@dataclass(frozen=True)
class RewardInput:
    amount: Decimal
    non_profit_research: (
        bool  # the paying institution is a non-profit research institute or university
    )
    contract_kind: str
    is_registered: bool
    income_received_on: date
    paid_on: date


@dataclass(frozen=True)
class RewardAnswer:
    amount: Decimal
    half_taxable: bool
    taxable: Decimal
    conditions: tuple[Reason, ...]
    citation: Citation = REWARD_SOURCE

    def as_json(self) -> dict[str, object]:
        return {
            "amount": str(self.amount),
            "half_taxable": self.half_taxable,
            "taxable": str(self.taxable),
            "conditions": [c.as_json() for c in self.conditions],
            **self.citation.as_json(),
        }


def reward_iit(data: RewardInput) -> RewardAnswer:
    """Whether half of a cash reward counts as wages (财税〔2018〕58号; fairly sure): paid by a
    non-profit research institute or university, from transfer or licence income, on a registered
    contract, within 36 months of the income. Taxable: 50 % (half up to the fen) or 100 %."""
    amount = _money(data.amount, "amount")
    deadline = add_months(data.income_received_on, REWARD_MONTHS)
    conditions = (
        Reason(
            "institution",
            data.non_profit_research,
            _("Paid by a non-profit research institute or university."),
            REWARD_SOURCE,
        ),
        Reason(
            "income",
            data.contract_kind in (TRANSFER, LICENCE),
            _("From technology transfer or licence income."),
            REWARD_SOURCE,
        ),
        Reason(
            "registered",
            data.is_registered,
            _("On a registered technology contract."),
            REWARD_SOURCE,
        ),
        Reason(
            "within_36_months",
            data.paid_on <= deadline,
            _("Paid within 36 months of the income (by %(deadline)s).")
            % {"deadline": deadline.isoformat()},
            REWARD_SOURCE,
        ),
    )
    half = all(c.ok for c in conditions)
    return RewardAnswer(
        amount=amount,
        half_taxable=half,
        taxable=round_fen(amount / 2) if half else amount,
        conditions=conditions,
    )
