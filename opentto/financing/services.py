"""Writes for financing: valuations, pledge loans and securitisation pools. Every service
validates first (``ValidationError`` keyed by field), then writes in one transaction and records
an audit event. Only TTO staff write."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.permissions import allows
from opentto.core.transitions import transition
from opentto.organisations.models import Organisation, OrganisationKindChoices
from opentto.patents import deadlines as engine
from opentto.patents.checks import Errors
from opentto.patents.checks import fraction as _fraction
from opentto.patents.checks import money as _money
from opentto.patents.checks import raise_errors as _raise
from opentto.patents.checks import require as _require
from opentto.patents.checks import require_type as _require_type
from opentto.patents.models import (
    DeadlineStatusChoices,
    FilingDeadline,
)
from opentto.results.models import IPAsset, Result

from . import valuation as calc
from .hooks import visible_deals
from .models import (
    PLEDGE_STANDING,
    PLEDGE_TRANSITIONS,
    PledgedAsset,
    PledgeLoan,
    PledgeLoanStatusChoices,
    PoolAsset,
    PoolCashFlow,
    SecuritisationPool,
    Valuation,
    ValuationMethodChoices,
)

# --- valuation --------------------------------------------------------------------------------


def remaining_term_years(result: Result, on: date) -> int | None:
    """Whole years from ``on`` to the latest end of term among the result's live filings
    (``term_end`` deadlines), else from its Chinese patent assets (20/10 years from filing)."""
    ends = list(
        FilingDeadline.objects.filter(
            filing__family__result=result, key="term_end", status=DeadlineStatusChoices.OPEN
        ).values_list("due", flat=True)
    )
    if not ends:
        for asset in result.ip_assets.filter(
            filing_date__isnull=False, ip_kind__in=["invention", "utility", "design"]
        ).exclude(status__in=["lapsed", "withdrawn"]):
            kind = asset.ip_kind
            try:
                rows = (
                    engine.compute_deadlines(
                        kind=kind, filing_date=asset.filing_date, offices=["CN"]
                    )
                    if asset.filing_date
                    else []
                )
            except engine.DeadlineError:
                continue
            ends += [r.due for r in rows if r.key == "term_end"]
    if not ends:
        return None
    end = max(ends)
    years = end.year - on.year - ((end.month, end.day) < (on.month, on.day))
    return max(years, 0)


@dataclass
class ValuationInput:
    valuation_date: date
    revenues: list[str]
    royalty_rate: str
    tax_rate: str
    discount_rate: str
    decay: str = "0"
    reproduction_costs: list[str] | None = None
    obsolescence_rates: list[str] | None = None
    comparable_deal_ids: list[int] | None = None
    market_scale: str = "1"
    concluded_method: str = ValuationMethodChoices.RELIEF_FROM_ROYALTY
    purpose: str = ""
    assumptions_zh: str = ""
    assumptions_en: str = ""


def comparable_deals(user: Any, result: Result | None = None) -> Any:
    """Signed landed deals the user may see that can serve as comparables (the landing app's
    ``Deal.objects.counted()``, through ``hooks.visible_deals``; only ``amount_cny``, ``deal_type``, ``signed_on``, ``status``,
    ``results`` are read)."""
    qs = visible_deals(user).counted().filter(amount_cny__gt=0).order_by("-signed_on", "-id")
    if result is not None:
        qs = qs.exclude(results=result)
    return qs


def valuation_compute(
    result: Result, data: ValuationInput, *, actor: Any
) -> tuple[dict[str, Any], Errors]:
    """Run the approaches; return the fields of a ``Valuation`` and any errors by field. The
    comparables are deals ``actor`` may see."""
    errors: Errors = {}
    values: dict[str, Any] = {}
    revenues: list[Decimal] = []
    for text in data.revenues:
        amount = _money(text, "revenues", errors, required=True)
        if amount is not None:
            revenues.append(amount)
    if not data.revenues:
        errors["revenues"] = [_("Give the revenue forecast, one amount per year.")]
    royalty = _fraction(data.royalty_rate, "royalty_rate", errors)
    tax = _fraction(data.tax_rate, "tax_rate", errors)
    discount = _fraction(data.discount_rate, "discount_rate", errors)
    decay = _fraction(data.decay or "0", "decay", errors)
    remaining = remaining_term_years(result, data.valuation_date)
    if remaining is not None and len(data.revenues) > remaining:
        errors.setdefault("revenues", []).append(
            _(
                "The economic life (%(years)s years) cannot be longer than the remaining patent term (%(remaining)s whole years)."
            )
            % {"years": len(data.revenues), "remaining": remaining}
        )
    if data.concluded_method not in ValuationMethodChoices.values:
        errors["concluded_method"] = [_("Choose the approach the value is concluded on.")]
    if errors or royalty is None or tax is None or discount is None or decay is None:
        return values, errors
    rfr = calc.relief_from_royalty(revenues, royalty, tax, discount, decay=decay)
    values.update(
        revenues=[str(r) for r in revenues],
        royalty_rate=royalty,
        tax_rate=tax,
        discount_rate=discount,
        decay=decay,
        remaining_term_years=remaining,
        rfr_value_cny=rfr.value,
    )
    costs = [c for c in (data.reproduction_costs or []) if str(c).strip()]
    obsolescence = [o for o in (data.obsolescence_rates or []) if str(o).strip()]
    values["reproduction_costs"] = [str(c) for c in costs]
    values["obsolescence_rates"] = [str(o) for o in obsolescence]
    values["cost_value_cny"] = None
    if costs:
        try:
            values["cost_value_cny"] = calc.cost_approach(
                [calc.parse_decimal(str(c), "cost") for c in costs],
                [calc.parse_decimal(str(o), "rate") for o in obsolescence],
            )
        except calc.ValuationError as exc:
            errors["reproduction_costs"] = [str(exc)]
    deal_ids = [int(i) for i in (data.comparable_deal_ids or [])]
    values["comparable_deal_ids"] = deal_ids
    values["comparable_values"] = []
    values["market_value_cny"] = None
    try:
        scale = Decimal(str(data.market_scale or "1"))
    except InvalidOperation:
        errors["market_scale"] = [_("Enter the scale as a number, e.g. 0.8.")]
        scale = Decimal(1)
    values["market_scale"] = scale
    if deal_ids:
        deals = {d.pk: d for d in comparable_deals(actor, result).filter(pk__in=deal_ids)}
        if len(deals) != len(set(deal_ids)):
            errors["comparable_deal_ids"] = [
                _("Choose signed deals on the platform that do not cover this result.")
            ]
        else:
            amounts = [deals[i].amount_cny for i in deal_ids]
            values["comparable_values"] = [str(a) for a in amounts]
            try:
                values["market_value_cny"] = calc.market_approach(amounts, scale=scale)
            except calc.ValuationError as exc:
                errors["market_scale"] = [str(exc)]
    method = data.concluded_method
    by_method: dict[str, Any] = {
        ValuationMethodChoices.RELIEF_FROM_ROYALTY: values["rfr_value_cny"],
        ValuationMethodChoices.COST: values["cost_value_cny"],
        ValuationMethodChoices.MARKET: values["market_value_cny"],
    }
    concluded = by_method.get(method)
    if concluded is None and "concluded_method" not in errors:
        errors["concluded_method"] = [_("The approach concluded on has no value: give its inputs.")]
    values["concluded_method"] = method
    values["concluded_value_cny"] = concluded
    return values, errors


def valuation_create(*, result: Result, data: ValuationInput, actor: User) -> Valuation:
    _require(actor, result, "plan")
    values, errors = valuation_compute(result, data, actor=actor)
    if data.valuation_date > timezone.localdate():
        errors["valuation_date"] = [_("The valuation date cannot be in the future.")]
    _raise(errors)
    with transaction.atomic():
        valuation = Valuation.objects.create(
            result=result,
            valuation_date=data.valuation_date,
            purpose=data.purpose.strip(),
            assumptions_zh=data.assumptions_zh.strip(),
            assumptions_en=data.assumptions_en.strip(),
            created_by=actor,
            **values,
        )
        audit_record(
            actor=actor,
            action="valuation.create",
            obj=valuation,
            payload={
                "result": result.pk,
                "value": str(valuation.concluded_value_cny),
                "method": valuation.concluded_method,
            },
        )
    return valuation


# --- pledge loans ------------------------------------------------------------------------------

PATENT_KINDS = ("invention", "utility", "design")


def ip_asset_id_is_pledged(ip_asset_id: int) -> bool:
    """True while a pledge over the IP asset stands (registered with ``opentto.patents.hooks``: a
    filing keeps its asset, and is not abandoned, while it is pledged)."""
    return PledgedAsset.objects.filter(ip_asset_id=ip_asset_id, is_standing=True).exists()


def ip_asset_is_pledged(asset: IPAsset) -> bool:
    """True while a pledge over ``asset`` stands. The landing app calls this before an
    assignment: a pledged patent may not be assigned (nor pledged again)."""
    return ip_asset_id_is_pledged(asset.pk)


def ip_assets_pledged(assets: Iterable[IPAsset]) -> list[IPAsset]:
    """The assets among ``assets`` under a standing pledge."""
    ids = [a.pk for a in assets]
    pledged = set(
        PledgedAsset.objects.filter(ip_asset_id__in=ids, is_standing=True).values_list(
            "ip_asset_id", flat=True
        )
    )
    return [a for a in assets if a.pk in pledged]


def assignment_problem(assets: Iterable[IPAsset]) -> str | None:
    """The message to refuse an assignment with, when a patent in it is pledged."""
    pledged = ip_assets_pledged(list(assets))
    if not pledged:
        return None
    return _(
        "These patents are under a standing pledge and cannot be assigned until it is released: %(numbers)s."
    ) % {"numbers": ", ".join(a.application_number for a in pledged)}


def pledge_loan_create(
    *,
    result: Result,
    lender: Organisation,
    valuation: Valuation,
    ip_assets: Sequence[IPAsset],
    amount_cny: object,
    term_months: int,
    annual_rate: object,
    max_ltv: object = "0.5",
    actor: User,
) -> PledgeLoan:
    """An IP pledge loan; the patents are encumbered from the application on. The loan may not
    exceed ``max_ltv`` × the valuation used."""
    _require(actor, result, "plan")
    errors: Errors = {}
    if lender.kind != OrganisationKindChoices.BANK:
        errors["lender"] = [_("The lender must be a bank.")]
    if valuation.result_id != result.pk or not allows(actor, valuation, "view"):
        errors["valuation"] = [_("Use a valuation of this result.")]
    amount = _money(amount_cny, "amount_cny", errors, required=True, positive=True)
    ltv = _fraction(max_ltv, "max_ltv", errors, upper=Decimal("1.0001"), lower_open=True)
    rate = _fraction(annual_rate, "annual_rate", errors)
    if not term_months or term_months <= 0 or term_months > 600:
        errors["term_months"] = [_("Enter the term in months (1–600).")]
    if not ip_assets:
        errors["ip_assets"] = [_("Choose the patents pledged.")]
    for asset in ip_assets:
        if asset.result_id != result.pk:
            errors["ip_assets"] = [_("Choose patents of this result.")]
        elif asset.ip_kind not in PATENT_KINDS:
            errors["ip_assets"] = [
                _("Only patents can be pledged here (not %(kind)s).")
                % {"kind": asset.get_ip_kind_display()}
            ]
        elif asset.status in {"lapsed", "withdrawn"}:
            errors["ip_assets"] = [_("A lapsed or withdrawn patent cannot be pledged.")]
    if ip_assets and (pledged := ip_assets_pledged(ip_assets)):
        errors["ip_assets"] = [
            _(
                "Already pledged under a standing pledge: %(numbers)s. A patent cannot be pledged twice."
            )
            % {"numbers": ", ".join(a.application_number for a in pledged)}
        ]
    if amount is not None and ltv is not None and "valuation" not in errors:
        ceiling = (valuation.concluded_value_cny * ltv).quantize(
            Decimal("0.01"), rounding=ROUND_DOWN
        )
        if amount > ceiling:
            errors["amount_cny"] = [
                _(
                    "The loan of %(amount)s yuan exceeds %(ltv)s%% of the valuation (%(value)s yuan): at most %(ceiling)s yuan."
                )
                % {
                    "amount": amount,
                    "ltv": f"{(ltv * 100).normalize():f}",
                    "value": valuation.concluded_value_cny,
                    "ceiling": ceiling,
                }
            ]
    _raise(errors)
    assert amount is not None and ltv is not None and rate is not None
    try:
        with transaction.atomic():
            loan = PledgeLoan.objects.create(
                result=result,
                lender=lender,
                valuation=valuation,
                amount_cny=amount,
                max_ltv=ltv,
                term_months=term_months,
                annual_rate=rate,
                created_by=actor,
            )
            for asset in ip_assets:
                PledgedAsset.objects.create(loan=loan, ip_asset=asset, is_standing=True)
            audit_record(
                actor=actor,
                action="pledge.create",
                obj=loan,
                payload={
                    "result": result.pk,
                    "amount": str(amount),
                    "assets": [a.pk for a in ip_assets],
                },
            )
    except IntegrityError as exc:  # a concurrent pledge of the same patent won the race
        raise ValidationError(
            {
                "ip_assets": [
                    _(
                        "A patent in this loan was pledged meanwhile. A patent cannot be pledged twice."
                    )
                ]
            }
        ) from exc
    return loan


def _pledge_move(loan: PledgeLoan, target: str, actor: User, **fields: Any) -> PledgeLoan:
    """One move through ``PLEDGE_TRANSITIONS`` (``opentto.core.transitions.transition``); a loan
    that no longer stands frees its patents."""

    def free_assets(locked: PledgeLoan, source: str, edge: Any) -> None:
        if target not in PLEDGE_STANDING:
            locked.pledged_assets.update(is_standing=False)

    return transition(
        obj=loan,
        target=target,
        actor=actor,
        table=PLEDGE_TRANSITIONS,
        fields=fields,
        event=free_assets,
        audit_payload=lambda locked, source: {
            "from": source,
            "to": target,
            **{k: str(v) for k, v in fields.items()},
        },
    )


def pledge_loan_register(
    *, loan: PledgeLoan, registration_number: str, registration_date: date, actor: User
) -> PledgeLoan:
    """The pledge is registered with CNIPA and the loan drawn."""
    errors: Errors = {}
    if not registration_number.strip():
        errors["registration_number"] = [_("Give the pledge registration number.")]
    if registration_date > timezone.localdate():
        errors["registration_date"] = [_("The date cannot be in the future.")]
    _raise(errors)
    return _pledge_move(
        loan,
        PledgeLoanStatusChoices.REGISTERED,
        actor,
        registration_number=registration_number.strip(),
        registration_date=registration_date,
    )


def pledge_loan_release(*, loan: PledgeLoan, released_on: date, actor: User) -> PledgeLoan:
    if loan.registration_date and released_on < loan.registration_date:
        raise ValidationError(
            {"released_on": [_("The release cannot come before the registration.")]}
        )
    return _pledge_move(loan, PledgeLoanStatusChoices.RELEASED, actor, released_on=released_on)


def pledge_loan_cancel(*, loan: PledgeLoan, actor: User) -> PledgeLoan:
    return _pledge_move(loan, PledgeLoanStatusChoices.CANCELLED, actor)


# --- securitisation ----------------------------------------------------------------------------


def pool_create(
    *,
    name_zh: str = "",
    name_en: str = "",
    arranger: Organisation | None = None,
    notes: str = "",
    actor: User,
) -> SecuritisationPool:
    _require_type(actor, SecuritisationPool, "add")
    if not name_zh.strip() and not name_en.strip():
        raise ValidationError({"name_zh": [_("Give the name in Chinese, in English, or both.")]})
    with transaction.atomic():
        pool = SecuritisationPool.objects.create(
            name_zh=name_zh.strip(),
            name_en=name_en.strip(),
            arranger=arranger,
            notes=notes.strip(),
            created_by=actor,
        )
        audit_record(actor=actor, action="pool.create", obj=pool)
    return pool


def pool_update(
    *,
    pool: SecuritisationPool,
    name_zh: str = "",
    name_en: str = "",
    arranger: Organisation | None = None,
    notes: str = "",
    actor: User,
) -> SecuritisationPool:
    """Edit a pool's names, arranger and notes."""
    _require(actor, pool, "change")
    if not name_zh.strip() and not name_en.strip():
        raise ValidationError({"name_zh": [_("Give the name in Chinese, in English, or both.")]})
    with transaction.atomic():
        locked = SecuritisationPool.objects.select_for_update().get(pk=pool.pk)
        before = {
            "name_zh": locked.name_zh,
            "name_en": locked.name_en,
            "arranger": locked.arranger_id,
            "notes": locked.notes,
        }
        locked.name_zh, locked.name_en, locked.arranger, locked.notes = (
            name_zh.strip(),
            name_en.strip(),
            arranger,
            notes.strip(),
        )
        locked.save(update_fields=["name_zh", "name_en", "arranger", "notes"])
        after = {
            "name_zh": locked.name_zh,
            "name_en": locked.name_en,
            "arranger": locked.arranger_id,
            "notes": locked.notes,
        }
        audit_record(
            actor=actor,
            action="pool.update",
            obj=locked,
            payload={
                "changed": {k: [before[k], after[k]] for k in before if before[k] != after[k]}
            },
        )
    return locked


def _check_period(period: str) -> bool:
    import re

    return bool(re.fullmatch(r"\d{4}(-Q[1-4])?", period))


def _clean_cash_flows(
    cash_flows: Sequence[tuple[str, object]], errors: Errors
) -> list[tuple[str, Decimal]]:
    rows: list[tuple[str, Decimal]] = []
    seen: set[str] = set()
    for i, (period, amount) in enumerate(cash_flows):
        period = str(period).strip().upper()
        if not _check_period(period):
            errors[f"cash_flows-{i}-period"] = [
                _("Write the period as YYYY or YYYY-Qn, e.g. 2027-Q1.")
            ]
        elif period in seen:
            errors[f"cash_flows-{i}-period"] = [_("Each period once.")]
        seen.add(period)
        value = _money(amount, f"cash_flows-{i}-amount_cny", errors, required=True)
        if value is not None:
            rows.append((period, value))
    if not cash_flows:
        errors["cash_flows"] = [_("Give the expected royalties per period.")]
    kinds = {len(p) for p, _a in rows}
    if len(kinds) > 1:
        errors["cash_flows"] = [
            _("Use one kind of period (years or quarters) for the whole licence.")
        ]
    return rows


def pool_asset_add(
    *,
    pool: SecuritisationPool,
    result: Result,
    licensee: Organisation,
    cash_flows: Sequence[tuple[str, object]],
    actor: User,
) -> PoolAsset:
    """A licensed result in the pool with its expected royalty per period (``YYYY`` or ``YYYY-Qn``)."""
    _require(actor, pool, "change")
    errors: Errors = {}
    if not allows(actor, result, "view"):
        errors["result"] = [_("Unknown result id.")]
    elif pool.assets.filter(result=result, licensee=licensee).exists():
        errors["result"] = [_("This licence is already in the pool.")]
    if licensee.kind != OrganisationKindChoices.ENTERPRISE:
        errors["licensee"] = [_("The licensee is an enterprise.")]
    rows = _clean_cash_flows(cash_flows, errors)
    _raise(errors)
    with transaction.atomic():
        asset = PoolAsset.objects.create(pool=pool, result=result, licensee=licensee)
        PoolCashFlow.objects.bulk_create(
            [PoolCashFlow(asset=asset, period=p, amount_cny=a) for p, a in rows]
        )
        audit_record(
            actor=actor,
            action="pool.asset_add",
            obj=asset,
            payload={"pool": pool.pk, "result": result.pk, "total": str(sum(a for _p, a in rows))},
        )
    return asset


def pool_asset_update(
    *,
    asset: PoolAsset,
    licensee: Organisation,
    cash_flows: Sequence[tuple[str, object]],
    actor: User,
) -> PoolAsset:
    """Edit a licence in a pool: its licensee and its expected royalties, which replace the old
    ones as a whole (one transaction: all of them or none)."""
    _require(actor, asset.pool, "change")
    errors: Errors = {}
    if licensee.kind != OrganisationKindChoices.ENTERPRISE:
        errors["licensee"] = [_("The licensee is an enterprise.")]
    elif (
        PoolAsset.objects.filter(
            pool_id=asset.pool_id, result_id=asset.result_id, licensee=licensee
        )
        .exclude(pk=asset.pk)
        .exists()
    ):
        errors["licensee"] = [_("This licence is already in the pool.")]
    rows = _clean_cash_flows(cash_flows, errors)
    _raise(errors)
    with transaction.atomic():
        locked = PoolAsset.objects.select_for_update().get(pk=asset.pk)
        before = {
            "licensee": locked.licensee_id,
            "flows": {f.period: str(f.amount_cny) for f in locked.cash_flows.all()},
        }
        locked.licensee = licensee
        locked.save(update_fields=["licensee"])
        locked.cash_flows.all().delete()
        PoolCashFlow.objects.bulk_create(
            [PoolCashFlow(asset=locked, period=p, amount_cny=a) for p, a in rows]
        )
        after = {"licensee": licensee.pk, "flows": {p: str(a) for p, a in rows}}
        audit_record(
            actor=actor,
            action="pool.asset_update",
            obj=locked,
            payload={"pool": locked.pool_id, "before": before, "after": after},
        )
    return locked


def pool_asset_remove(*, asset: PoolAsset, actor: User) -> None:
    """Take a licence out of its pool (with its cash flows)."""
    _require(actor, asset.pool, "change")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="pool.asset_remove",
            obj=asset.pool,
            payload={"asset": asset.pk, "result": asset.result_id, "licensee": asset.licensee_id},
        )
        asset.delete()
