"""Distribution of transfer income: team, TTO, organisation, and each person's part.

Pure logic, ``Decimal`` only. Amounts are in yuan with fen (0.01) precision.

* net = amount - costs (a negative net is refused);
* team = team_share x net and tto = tto_share x net, each rounded half up to the fen;
* organisation = net - team - tto (the rest, so nothing is lost or created);
* the team amount is split among the people by their percentage shares (summing to 100)
  with the largest-remainder method (:func:`split_largest_remainder`), ties going to the
  person listed first, so the parts add up exactly to the team amount.

Statutory floors (:data:`NATIONAL_FLOORS`), Shanghai's standards (:data:`SHANGHAI_FLOORS`) and tax notes
(:data:`TAX_NOTES`) are recorded as data with their sources and how sure we are of them;
:func:`check_rule` compares a configured rule with the floors and returns warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.core.money import format_percent

__all__ = [
    "FEN",
    "NATIONAL_FLOORS",
    "SHANGHAI_FLOORS",
    "SHANGHAI_TEAM_FLOOR",
    "TAX_NOTES",
    "DistributionError",
    "DistributionSplit",
    "StatutoryFloor",
    "TaxNote",
    "check_rule",
    "distribute",
    "parse_amount",
    "parse_inventors",
    "split_largest_remainder",
]

FEN: Final = Decimal("0.01")
HUNDRED: Final = Decimal(100)


class DistributionError(ValueError):
    """Raised for inputs a distribution refuses (the message is meant for the user)."""


# --- helpers ------------------------------------------------------------------------------


def _decimal(value: Decimal, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise DistributionError(f"{name} must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise DistributionError(f"{name} must be a finite number, not {value}")
    return value


def _from_units(units: int, exponent: int) -> Decimal:
    """The exact Decimal ``units`` x 10**exponent (no context rounding)."""
    sign = 1 if units < 0 else 0
    return Decimal((sign, tuple(int(c) for c in str(abs(units))), exponent))


def _money(value: Decimal, name: str) -> Decimal:
    value = _decimal(value, name)
    if value < 0:
        raise DistributionError(f"{name} cannot be negative ({value})")
    fen = Fraction(value) * 100
    if fen.denominator != 1:
        raise DistributionError(f"{name} must be in yuan with at most 2 decimals (fen): {value}")
    return _from_units(fen.numerator, -2)


def _round_half_up(value: Fraction) -> Decimal:
    """A non-negative exact value rounded half up to the fen."""
    scaled = value * 100
    units = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    return _from_units(units, -2)


def _units_to_decimal(units: int, quantum: Decimal) -> Decimal:
    """``units`` x ``quantum``, exactly, with the quantum's exponent."""
    _sign, digits, exponent = quantum.as_tuple()
    assert isinstance(exponent, int)
    coefficient = int("".join(str(d) for d in digits))
    return _from_units(units * coefficient, exponent)


def parse_amount(text: str, name: str) -> Decimal:
    """Parse a decimal number given on the command line (``_`` and ``,``-free)."""
    try:
        value = Decimal(text.strip().replace("_", ""))
    except InvalidOperation as exc:
        raise DistributionError(f"{name}: {text!r} is not a number") from exc
    if not value.is_finite():
        raise DistributionError(f"{name}: {text!r} is not a finite number")
    return value


def parse_inventors(text: str) -> list[tuple[str, Decimal]]:
    """Parse ``"Wang Li:33.33,张伟:66.67"`` (``:`` or ``：``) into (name, percentage) pairs."""
    pairs: list[tuple[str, Decimal]] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        normalised = item.replace("：", ":")
        if ":" not in normalised:
            raise DistributionError(f"--inventors: {item!r} is not NAME:SHARE")
        name, share = normalised.rsplit(":", 1)
        pairs.append((name.strip(), parse_amount(share, f"--inventors share of {name.strip()!r}")))
    if not pairs:
        raise DistributionError("--inventors: give at least one NAME:SHARE")
    return pairs


# --- largest remainder ----------------------------------------------------------------------


def split_largest_remainder(
    total: Decimal, weights: list[tuple[str, Decimal]], *, quantum: Decimal = FEN
) -> dict[str, Decimal]:
    """Split ``total`` in proportion to ``weights`` so the parts add up exactly to ``total``.

    Each party first gets its exact share rounded down to the ``quantum`` (default the fen);
    the units left over go one each to the parties with the largest remainders, ties going
    to the party listed first. Weights are non-negative with a positive sum (percentages,
    ownership fractions, ...); names must be unique and non-empty. ``total`` must be a
    non-negative whole number of quanta. Reusable for co-owner splits.
    """
    total = _decimal(total, "total")
    quantum = _decimal(quantum, "quantum")
    if quantum <= 0:
        raise DistributionError("the quantum must be positive")
    if total < 0:
        raise DistributionError(f"the total to split cannot be negative ({total})")
    units_exact = Fraction(total) / Fraction(quantum)
    if units_exact.denominator != 1:
        raise DistributionError(f"the total {total} is not a whole number of {quantum}")
    units = units_exact.numerator
    if not weights:
        raise DistributionError("give at least one party to split among")
    names: list[str] = []
    shares: list[Fraction] = []
    for name, weight in weights:
        if not isinstance(name, str) or not name.strip():
            raise DistributionError("every party needs a name")
        if name in names:
            raise DistributionError(f"{name!r} is listed twice")
        w = Fraction(_decimal(weight, f"weight of {name!r}"))
        if w < 0:
            raise DistributionError(f"the weight of {name!r} cannot be negative ({weight})")
        names.append(name)
        shares.append(w)
    weight_sum = sum(shares, Fraction(0))
    if weight_sum <= 0:
        raise DistributionError("the weights must add up to more than zero")
    exact = [units * w / weight_sum for w in shares]
    floors = [int(e.numerator // e.denominator) for e in exact]
    left = units - sum(floors)
    # largest remainder first; on a tie, the party listed first (stable sort on index)
    order = sorted(range(len(names)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return {name: _units_to_decimal(n, quantum) for name, n in zip(names, floors, strict=True)}


# --- distribution -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DistributionSplit:
    """The amounts one computed split of a net income gives (team, TTO, organisation, each
    inventor): what ``distribute`` returns, before anything is saved (the saved record is the
    ``landing.models.Distribution`` model)."""

    net: Decimal
    team: Decimal
    tto: Decimal
    organisation: Decimal
    inventors: dict[str, Decimal]

    def as_dict(self) -> dict[str, Any]:
        return {
            "net": str(self.net),
            "team": str(self.team),
            "tto": str(self.tto),
            "organisation": str(self.organisation),
            "inventors": {name: str(amount) for name, amount in self.inventors.items()},
        }


def distribute(
    amount: Decimal,
    costs: Decimal,
    team_share: Decimal,
    inventors: Sequence[tuple[str, Decimal]],
    tto_share: Decimal = Decimal(0),
) -> DistributionSplit:
    """Split the net income of a deal between the team, the TTO and the organisation.

    ``team_share`` and ``tto_share`` are fractions of the net income in [0, 1] with a sum of
    at most 1; ``inventors`` are (name, percentage) pairs, percentages summing to exactly
    100. The organisation never goes negative: if both shares are rounded up and would
    together exceed the net by a fen (possible only when they sum to exactly 1), the TTO's
    amount gives way.
    """
    amount = _money(amount, "amount")
    costs = _money(costs, "costs")
    net = amount - costs
    if net < 0:
        raise DistributionError(
            f"the costs ({costs}) exceed the amount ({amount}): a negative net income is "
            "not distributed"
        )
    s = _decimal(team_share, "team share")
    t = _decimal(tto_share, "TTO share")
    for name, value in (("team share", s), ("TTO share", t)):
        if not 0 <= value <= 1:
            raise DistributionError(f"the {name} must be a fraction between 0 and 1, got {value}")
    if s + t > 1:
        raise DistributionError(
            f"the team share ({s}) and the TTO share ({t}) add up to more than 1"
        )
    people = list(inventors)
    if not people:
        raise DistributionError("name at least one inventor (NAME:SHARE)")
    total_pct = sum((_decimal(p, f"share of {n!r}") for n, p in people), Decimal(0))
    if total_pct != HUNDRED:
        raise DistributionError(
            f"the inventors' shares add up to {total_pct}, not 100 (they are percentages)"
        )
    for name, pct in people:
        if pct < 0:
            raise DistributionError(f"the share of {name!r} cannot be negative ({pct})")
    team = _round_half_up(Fraction(s) * Fraction(net))
    tto = _round_half_up(Fraction(t) * Fraction(net))
    if team + tto > net:
        tto = net - team
    organisation = net - team - tto
    parts = split_largest_remainder(team, people)
    return DistributionSplit(
        net=net, team=team, tto=tto, organisation=organisation, inventors=parts
    )


# --- statutory floors -----------------------------------------------------------------------

#: Citations are translated when shown (《促进科技成果转化法》第四十五条 in Chinese).
SOURCE_ART_45: Final = gettext_lazy(
    "Law on Promoting the Transformation of Scientific and Technological Achievements, art. 45"
)


@dataclass(frozen=True)
class StatutoryFloor:
    """A minimum reward to the people who made and transferred a result."""

    key: str
    mode: str
    minimum: Decimal
    base: str | Promise  # translated when shown
    source: str | Promise  # translated when shown
    confidence: str | Promise
    years: tuple[int, int] | None = None


#: Art. 45: where no rule or agreement sets the rewards — and the minimum that the rules or
#: agreements of state-established universities and institutes may not go below.
NATIONAL_FLOORS: Final[dict[str, StatutoryFloor]] = {
    "transfer_or_licence": StatutoryFloor(
        key="transfer_or_licence",
        mode="transfer_or_licence",
        minimum=Decimal("0.50"),
        base=gettext_lazy("net income from the transfer or licence of the result"),
        source=gettext_lazy(
            "Law on Promoting the Transformation of Scientific and Technological Achievements, art. 45, para. 1 item (1)"
        ),
        confidence=gettext_lazy("sure"),
    ),
    "equity": StatutoryFloor(
        key="equity",
        mode="equity",
        minimum=Decimal("0.50"),
        base=gettext_lazy("shares or capital contribution obtained by investing the result"),
        source=gettext_lazy(
            "Law on Promoting the Transformation of Scientific and Technological Achievements, art. 45, para. 1 item (2)"
        ),
        confidence=gettext_lazy("sure"),
    ),
    "self_exploitation": StatutoryFloor(
        key="self_exploitation",
        mode="self_exploitation",
        minimum=Decimal("0.05"),
        base=gettext_lazy(
            "operating profit from exploiting the result, each year for 3 to 5 years"
        ),
        source=gettext_lazy(
            "Law on Promoting the Transformation of Scientific and Technological Achievements, art. 45, para. 1 item (3)"
        ),
        confidence=gettext_lazy("sure"),
        years=(3, 5),
    ),
}

#: Shanghai's standards: 上海市促进科技成果转化条例 (adopted 2017-04-20, in force 2017-06-01),
#: art. 34 para. 1, checked against the regulation's text. They are *permissive*: research
#: institutes and universities "may" (允许…可以) set or agree rewards of at least these shares; where
#: an institution has set no rule and made no agreement, art. 33 para. 2 applies the national law
#: (art. 45 above). So a rule below them is legal but below what Shanghai allows and encourages.
#: Art. 34 para. 2 defines the net income: the income less related taxes and fees, the unit's
#: costs of maintaining the result and the direct costs of the transaction (valuation, appraisal).
SHANGHAI_SOURCE: Final = gettext_lazy(
    "Shanghai Regulations on Promoting the Transformation of Scientific and Technological Achievements (2017), art. 34 para. 1"
)
SHANGHAI_CONFIDENCE: Final = gettext_lazy(
    "checked against the regulation's text; a standard it allows (“may … no less than”), not a binding floor: "
    "without a rule or agreement art. 33 para. 2 applies the national law"
)
SHANGHAI_FLOORS: Final[dict[str, StatutoryFloor]] = {
    "transfer_or_licence": StatutoryFloor(
        key="shanghai_transfer_or_licence",
        mode="transfer_or_licence",
        minimum=Decimal("0.70"),
        base=gettext_lazy("net income from the transfer or licence of the result (Shanghai)"),
        source=gettext_lazy(
            "Shanghai Regulations on Promoting the Transformation of Scientific and Technological Achievements (2017), art. 34 para. 1 item (1)"
        ),
        confidence=SHANGHAI_CONFIDENCE,
    ),
    "equity": StatutoryFloor(
        key="shanghai_equity",
        mode="equity",
        minimum=Decimal("0.70"),
        base=gettext_lazy("shares or capital contribution from investing the result (Shanghai)"),
        source=gettext_lazy(
            "Shanghai Regulations on Promoting the Transformation of Scientific and Technological Achievements (2017), art. 34 para. 1 item (2)"
        ),
        confidence=SHANGHAI_CONFIDENCE,
    ),
    "self_exploitation": StatutoryFloor(
        key="shanghai_self_exploitation",
        mode="self_exploitation",
        minimum=Decimal("0.05"),
        base=gettext_lazy(
            "operating profit, each year for 5 years from the first profitable year (Shanghai)"
        ),
        source=gettext_lazy(
            "Shanghai Regulations on Promoting the Transformation of Scientific and Technological Achievements (2017), art. 34 para. 1 item (3)"
        ),
        confidence=SHANGHAI_CONFIDENCE,
        years=(5, 5),
    ),
}
#: The Shanghai standard for transfer and licence income (kept under its earlier name).
SHANGHAI_TEAM_FLOOR: Final = SHANGHAI_FLOORS["transfer_or_licence"]

MODES: Final[tuple[str, ...]] = ("transfer_or_licence", "equity", "self_exploitation")


def check_rule(
    mode: str,
    team_share: Decimal,
    *,
    years: int | None = None,
    shanghai: bool = False,
    state_established: bool = True,
) -> list[str]:
    """Warnings where a configured reward rule falls below the statutory floor.

    ``mode`` is ``transfer_or_licence``, ``equity`` or ``self_exploitation``; ``team_share``
    is the fraction of the base going to the people (e.g. 0.5); ``years`` is the number of
    years of profit sharing for self-exploitation. ``shanghai`` also compares the rule with the
    standards of Shanghai's regulation (art. 34 para. 1), which are not binding. For a state-established university or institute the art. 45 floors bind
    its rules and agreements; for others they apply where no rule or agreement sets rewards.
    Returns an empty list when the rule meets every floor.
    """
    if mode not in MODES:
        raise DistributionError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    share = _decimal(team_share, "team share")
    if not 0 <= share <= 1:
        raise DistributionError(f"the team share must be a fraction between 0 and 1, got {share}")
    warnings: list[str] = []
    floor = NATIONAL_FLOORS[mode]
    scope = (
        _("binding on a state-established university or institute")
        if state_established
        else _("applies where no rule or agreement sets the rewards")
    )
    if share < floor.minimum:
        warnings.append(
            _(
                "team share %(share)s of the %(base)s is below the %(minimum)s floor (%(source)s; %(scope)s)"
            )
            % {
                "share": format_percent(share),
                "base": floor.base,
                "minimum": format_percent(floor.minimum),
                "source": floor.source,
                "scope": scope,
            }
        )
    if floor.years is not None:
        low, high = floor.years
        if years is None:
            warnings.append(
                _("set the number of years of profit sharing: %(low)s to %(high)s (%(source)s)")
                % {"low": low, "high": high, "source": floor.source}
            )
        elif years < low:
            warnings.append(
                _(
                    "profit sharing for %(years)s year(s) is shorter than the %(low)s to %(high)s years of %(source)s"
                )
                % {"years": years, "low": low, "high": high, "source": floor.source}
            )
    local = SHANGHAI_FLOORS.get(mode) if shanghai else None
    if local is not None and share < local.minimum:
        warnings.append(
            _(
                "team share %(share)s is below the %(minimum)s that Shanghai's regulation allows and encourages (%(source)s; %(confidence)s)"
            )
            % {
                "share": format_percent(share),
                "minimum": format_percent(local.minimum),
                "source": local.source,
                "confidence": local.confidence,
            }
        )
    if (
        local is not None
        and local.years is not None
        and years is not None
        and years < local.years[0]
    ):
        warnings.append(
            _(
                "profit sharing for %(years)s year(s) is shorter than the %(low)s years of %(source)s"
            )
            % {"years": years, "low": local.years[0], "source": local.source}
        )
    return warnings


# --- tax notes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxNote:
    key: str
    text: str | Promise  # translated when shown
    source: str | Promise  # translated when shown
    confidence: str | Promise


TAX_NOTES: Final[tuple[TaxNote, ...]] = (
    TaxNote(
        key="cash_reward_half",
        text=gettext_lazy(
            "Cash rewards to staff of non-profit research institutions and universities from "
            "the transfer of their results are taxed (individual income tax) on half their "
            "amount."
        ),
        source=gettext_lazy("Caishui [2018] No. 58"),
        confidence=gettext_lazy("fairly sure"),
    ),
    TaxNote(
        key="equity_deferral",
        text=gettext_lazy(
            "Equity rewards from investing a result in a company may defer individual income "
            "tax until the shares are transferred."
        ),
        source=gettext_lazy("Caishui [2016] No. 101"),
        confidence=gettext_lazy("fairly sure"),
    ),
)
