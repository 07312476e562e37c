"""Writes for deals and their money.

Deals: create, update terms, start / withdraw the public notice (公示), sign (the covered results
become ``landed``), bring into force, complete, terminate (a result no other counted deal covers
goes back to ``landing``). Money: payment schedule, payments received, royalty reports, costs per
result, distribution rules and the distribution of a payment. Agreements beside deals.
Every service validates first (a ``ValidationError`` keyed by field), then writes in one
transaction with an audit event; status changes lock the deal row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.cache import figures_changed
from opentto.core.money import FEN, yuan_field
from opentto.core.permissions import allows, permitted, users_permitted
from opentto.core.validators import validate_unified_social_credit_code
from opentto.organisations.models import Organisation, OrganisationKindChoices, Person
from opentto.results.models import IPAsset, Result, ResultStageChoices
from opentto.results.pipeline import result_transition
from opentto.rights.selectors import ownership_for_distribution

from . import hooks
from .distribution import DistributionError, distribute, split_largest_remainder
from .models import (
    CONTRACT_KIND_OF_DEAL_TYPE,
    CONTRACT_OBJECTS_BY_KIND,
    COUNTED_STATUSES,
    DEAL_TRANSITIONS,
    EQUITY_TYPES,
    LICENCE_TYPES,
    NOTICE_MIN_DAYS,
    REGISTRATION_TRANSITIONS,
    Agreement,
    AgreementKindChoices,
    ContractKindChoices,
    ContractObjectChoices,
    ContractRegistration,
    ContractRegistrationDocument,
    CoOwnerShare,
    CostKindChoices,
    Deal,
    DealStatusChoices,
    DealTypeChoices,
    Distribution,
    DistributionLine,
    DistributionRule,
    NoticeStatusChoices,
    PartyChoices,
    Payment,
    PaymentScheduleItem,
    PriceMethodChoices,
    PublicNotice,
    RegistrationStatusChoices,
    ResultCost,
    RoyaltyReport,
    ScheduleKindChoices,
)

COUNTERPARTY_KINDS = {
    OrganisationKindChoices.ENTERPRISE,
    OrganisationKindChoices.INVESTOR,
    OrganisationKindChoices.BANK,
}
#: A default rule when an organisation has configured none: the statutory floor of art. 45.
DEFAULT_TEAM_SHARE = Decimal("0.50")


def _local_time(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _require(actor: User | None, deal: Deal, action: str, message: str) -> None:
    """The grant the deal's page asks too (``opentto/landing/permissions.py``): view and service agree."""
    if not allows(actor, deal, action):
        raise PermissionError(message)


def _require_type(actor: User | None, model: Any, action: str, message: str) -> None:
    if not permitted(actor, model, action):
        raise PermissionError(message)


def _amount(
    value: Any,
    field: str,
    errors: dict[str, list[str]],
    *,
    positive: bool = False,
    required: bool = True,
) -> Decimal | None:
    return yuan_field(value, field, errors, positive=positive, required=required)


# --- deals ------------------------------------------------------------------------------------


@dataclass
class DealTerms:
    """The contract's terms beyond type and amount; every field optional."""

    price_method: str = ""
    currency: str = "CNY"
    amount_foreign: Decimal | str | None = None
    fx_rate: Decimal | str | None = None
    term_starts_on: date | None = None
    term_ends_on: date | None = None
    royalty_rate: Decimal | str | None = None
    royalty_minimum_cny: Decimal | str | None = None
    equity_shares: Decimal | str | None = None
    equity_percent: Decimal | str | None = None
    equity_valuation_cny: Decimal | str | None = None
    spinoff_name: str = ""
    spinoff_credit_code: str = ""
    spinoff_founded_on: date | None = None
    spinoff_registered_capital_cny: Decimal | str | None = None


#: A licence option's licence type → the deal type it makes.
_LICENCE_DEAL_TYPES = {
    "exclusive": DealTypeChoices.LICENCE_EXCLUSIVE,
    "sole": DealTypeChoices.LICENCE_SOLE,
    "non_exclusive": DealTypeChoices.LICENCE_NON_EXCLUSIVE,
}


def _plan_mode_of(deal_type: str) -> str:
    """The planning transfer mode a deal type carries out (``""`` for technology services)."""
    if deal_type in LICENCE_TYPES:
        return "licence"
    return (
        deal_type
        if deal_type in {"assignment", "equity", "spin_off", "joint_development", "commissioned_rd"}
        else ""
    )


@dataclass(frozen=True)
class PlanDealTerms:
    """What an approved plan's recommended option says about the deal that carries it out."""

    plan: Any
    option: Any
    mode: str
    deal_type: str  # "" for a licence whose type the plan leaves open
    amount_cny: Decimal | None
    terms: DealTerms

    def as_payload(self) -> dict[str, Any]:
        """The terms as recorded in the audit event (only those the plan sets)."""
        out: dict[str, Any] = {
            "plan": self.plan.pk,
            "option": self.option.pk,
            "deal_type": self.deal_type,
        }
        if self.amount_cny is not None:
            out["amount_cny"] = str(self.amount_cny)
        for name in DealTerms.__dataclass_fields__:
            value = getattr(self.terms, name)
            if value not in (None, "") and not (name == "currency" and value == "CNY"):
                out[name] = str(value)
        return out


def approved_plan_of(result: Result) -> Any:
    """The result's approved transfer plan, or None (at most one is approved)."""
    from opentto.planning.models import TransferPlanStatusChoices

    return result.plans.filter(status=TransferPlanStatusChoices.APPROVED).first()


def plan_deal_terms(plan: Any) -> PlanDealTerms | None:
    """The deal an approved plan recommends: its recommended option's mode as the deal type (a
    licence by its licence type), its price as the contract amount (licence: the upfront fee;
    assignment: the price; equity: the agreed value; joint development and commissioned R&D: the
    budget; spin-off: none, the company is not yet priced) and the terms the deal records
    (royalty rate and minimum; equity share and value; the spin-off's name and registered
    capital). None for a plan that is not approved or has no option of its recommended mode."""
    from opentto.planning.models import TransferPlanStatusChoices

    if plan is None or plan.status != TransferPlanStatusChoices.APPROVED or not plan.transfer_mode:
        return None
    option = plan.options.filter(mode=plan.transfer_mode).order_by("id").first()
    if option is None:
        return None
    mode = option.mode
    terms = DealTerms()
    amount: Decimal | None = None
    if mode == "licence":
        deal_type = _LICENCE_DEAL_TYPES.get(option.licence_type, "")
        amount = option.upfront_fee_cny
        terms.royalty_rate = option.royalty_rate.normalize() if option.royalty_rate else None
        terms.royalty_minimum_cny = option.minimum_annual_royalty_cny
    elif mode == "assignment":
        deal_type, amount = DealTypeChoices.ASSIGNMENT, option.price_cny
    elif mode == "equity":
        deal_type, amount = DealTypeChoices.EQUITY, option.valuation_cny
        terms.equity_percent = option.equity_share_percent
        terms.equity_valuation_cny = option.valuation_cny
    elif mode == "spin_off":
        deal_type = DealTypeChoices.SPIN_OFF
        terms.spinoff_name = option.company_name
        terms.spinoff_registered_capital_cny = option.registered_capital_cny
    else:  # joint development, commissioned R&D
        deal_type, amount = mode, option.budget_cny
    return PlanDealTerms(
        plan=plan, option=option, mode=mode, deal_type=deal_type, amount_cny=amount, terms=terms
    )


def _with_plan_terms(terms: DealTerms, from_plan: PlanDealTerms) -> DealTerms:
    """``terms`` with every term left empty taken from the plan (what was typed wins)."""
    merged = DealTerms(**{k: getattr(terms, k) for k in DealTerms.__dataclass_fields__})
    for name in DealTerms.__dataclass_fields__:
        if name in ("currency", "price_method"):
            continue
        if getattr(merged, name) in (None, "") and getattr(from_plan.terms, name) not in (None, ""):
            setattr(merged, name, getattr(from_plan.terms, name))
    return merged


def _decimal_or_none(
    value: Any,
    field: str,
    errors: dict[str, list[str]],
    low: Decimal,
    high: Decimal,
    low_open: bool = True,
) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).replace(",", "").strip())
        if not d.is_finite():
            raise ValueError
    except (ArithmeticError, ValueError):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    if (d <= low if low_open else d < low) or d > high:
        errors.setdefault(field, []).append(
            _("Enter a number above %(low)s and at most %(high)s.") % {"low": low, "high": high}
        )
        return None
    return d


def _clean_terms(
    terms: DealTerms, deal_type: str, amount_cny: Decimal | None, errors: dict[str, list[str]]
) -> tuple[dict[str, Any], Decimal | None]:
    """Validated field values for a deal, and the CNY amount (computed for a foreign-currency deal)."""
    out: dict[str, Any] = {}
    if terms.price_method not in PriceMethodChoices.values:
        errors["price_method"] = [_("Choose how the price was set.")]
    out["price_method"] = terms.price_method
    currency = (terms.currency or "CNY").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = [_("Give the currency as its three-letter ISO 4217 code, e.g. USD.")]
    out["currency"] = currency
    if currency == "CNY":
        out["amount_foreign"] = out["fx_rate"] = None
    else:
        foreign = _amount(terms.amount_foreign, "amount_foreign", errors)
        rate = _decimal_or_none(terms.fx_rate, "fx_rate", errors, Decimal(0), Decimal("100000"))
        if rate is None and "fx_rate" not in errors:
            errors["fx_rate"] = [_("Give the exchange rate used (yuan per unit of the currency).")]
        if rate is not None and rate.as_tuple().exponent < -6:  # type: ignore[operator]
            errors.setdefault("fx_rate", []).append(_("Give the rate with at most 6 decimals."))
        out["amount_foreign"], out["fx_rate"] = foreign, rate
        if foreign is not None and rate is not None:
            amount_cny = (foreign * rate).quantize(FEN, rounding=ROUND_HALF_UP)
    if terms.term_starts_on and terms.term_ends_on and terms.term_ends_on < terms.term_starts_on:
        errors["term_ends_on"] = [_("The term cannot end before it starts.")]
    out["term_starts_on"], out["term_ends_on"] = terms.term_starts_on, terms.term_ends_on
    out["royalty_rate"] = _decimal_or_none(
        terms.royalty_rate, "royalty_rate", errors, Decimal(0), Decimal(1)
    )
    out["royalty_minimum_cny"] = _amount(
        terms.royalty_minimum_cny, "royalty_minimum_cny", errors, required=False
    )
    out["equity_shares"] = _decimal_or_none(
        terms.equity_shares, "equity_shares", errors, Decimal(0), Decimal("1e15")
    )
    out["equity_percent"] = _decimal_or_none(
        terms.equity_percent, "equity_percent", errors, Decimal(0), Decimal(100)
    )
    out["equity_valuation_cny"] = _amount(
        terms.equity_valuation_cny, "equity_valuation_cny", errors, required=False
    )
    out["spinoff_name"] = terms.spinoff_name.strip()
    code = terms.spinoff_credit_code.strip().upper()
    if code:
        try:
            code = validate_unified_social_credit_code(code)
        except ValidationError as exc:
            errors["spinoff_credit_code"] = list(exc.messages)
    out["spinoff_credit_code"] = code
    out["spinoff_founded_on"] = terms.spinoff_founded_on
    out["spinoff_registered_capital_cny"] = _amount(
        terms.spinoff_registered_capital_cny,
        "spinoff_registered_capital_cny",
        errors,
        required=False,
    )
    if (
        deal_type == DealTypeChoices.SPIN_OFF
        and (code or terms.spinoff_founded_on)
        and not out["spinoff_name"]
    ):
        errors["spinoff_name"] = [_("Name the spin-off company.")]
    if deal_type not in EQUITY_TYPES and (out["equity_shares"] or out["equity_percent"]):
        errors["equity_shares"] = [_("Only equity and spin-off deals record shares received.")]
    return out, amount_cny


def _pledge_problem(results: Sequence[Result]) -> str | None:
    """A patent under a standing pledge cannot be assigned (the planning app keeps the pledges)."""
    from opentto.financing.services import assignment_problem

    return assignment_problem(IPAsset.objects.filter(result__in=[r.pk for r in results]))


def deal_create(
    *,
    results: Sequence[Result],
    counterparty: Organisation,
    deal_type: str,
    amount_cny: Decimal | str | None,
    title: str = "",
    actor: User,
    terms: DealTerms | None = None,
    plan: Any = None,
    match: Any = None,
    match_reference: str = "",
) -> Deal:
    """Record a draft deal. ``plan`` (a ``planning.TransferPlan``) or ``match`` (the demands app's
    match it was made from) record where it came from; ``match_reference`` is a free-text reference
    kept as written (``source_match_note``).

    A deal made from an approved plan starts with the plan's terms (:func:`plan_deal_terms`): when
    the deal carries out the plan's recommended mode, each term left empty — the amount included —
    is the plan's; the audit event records the plan's terms and those the deal departs from. A
    plan that is not approved is refused."""
    _require_type(actor, Deal, "add", _("Only TTO managers create deals."))
    errors: dict[str, list[str]] = {}
    from_plan = plan_deal_terms(plan) if plan is not None else None
    if plan is not None and from_plan is None and plan.status != "approved":
        errors["plan"] = [_("Only an approved transfer plan gives a deal its terms.")]
    if from_plan is not None and _plan_mode_of(deal_type) != from_plan.mode:
        from_plan = None  # another mode than the plan's: its terms do not apply
    if from_plan is not None:
        terms = _with_plan_terms(terms or DealTerms(), from_plan)
        if amount_cny in (None, "") and (terms.currency or "CNY").strip().upper() == "CNY":
            amount_cny = from_plan.amount_cny
    if not results:
        errors["results"] = [_("A deal covers at least one result.")]
    if deal_type not in DealTypeChoices.values:
        errors["deal_type"] = [_("Choose the type of deal.")]
    if counterparty.kind not in COUNTERPARTY_KINDS:
        errors["counterparty"] = [
            _("The counterparty must be an enterprise, an investor or a bank.")
        ]
    owners = {o.pk: o for r in results for o in r.owners.all()}
    if counterparty.pk in owners:
        errors.setdefault("counterparty", []).append(
            _("The counterparty cannot be an owner of the result.")
        )
    terms = terms or DealTerms()
    amount = (
        _amount(amount_cny, "amount_cny", errors)
        if terms.currency.strip().upper() in ("", "CNY")
        else None
    )
    values, amount = _clean_terms(terms, deal_type, amount, errors)
    for result in results:
        if result.stage not in {ResultStageChoices.LANDING, ResultStageChoices.LANDED}:
            errors.setdefault("results", []).append(
                _("“%(title)s” is not in landing: a deal is made once the plan is approved.")
                % {"title": result.title}
            )
    if plan is not None and plan.result_id not in {r.pk for r in results}:
        errors["plan"] = [_("The plan is not for a result this deal covers.")]
    if deal_type == DealTypeChoices.ASSIGNMENT and (problem := _pledge_problem(results)):
        errors.setdefault("deal_type", []).append(problem)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        deal = Deal.objects.create(
            title=title.strip(),
            counterparty=counterparty,
            deal_type=deal_type,
            amount_cny=amount or Decimal(0),
            created_by=actor,
            contract_kind=CONTRACT_KIND_OF_DEAL_TYPE.get(deal_type, ""),
            source_plan=plan,
            source_match=match,
            source_match_note=match_reference.strip()[:80],
            **values,
        )
        deal.results.set(results)
        deal.owners.set(owners.values())
        payload: dict[str, Any] = {
            "results": [r.pk for r in results],
            "amount_cny": amount,
            **values,
        }
        if from_plan is not None:
            payload["plan_terms"] = from_plan.as_payload()
            payload["departs_from_plan"] = _departures(deal, from_plan)
        audit_record(actor=actor, action="deal.create", obj=deal, payload=payload)
    return deal


def _departures(deal: Deal, from_plan: PlanDealTerms) -> list[str]:
    """The fields where the deal recorded differs from what the plan said."""
    out = [] if deal.deal_type == from_plan.deal_type or not from_plan.deal_type else ["deal_type"]
    if from_plan.amount_cny is not None and deal.amount_cny != from_plan.amount_cny:
        out.append("amount_cny")
    for name in DealTerms.__dataclass_fields__:
        planned = getattr(from_plan.terms, name)
        if (
            name not in ("currency", "price_method")
            and planned not in (None, "")
            and getattr(deal, name) != planned
        ):
            out.append(name)
    return out


def deal_update_terms(
    *,
    deal: Deal,
    terms: DealTerms,
    amount_cny: Decimal | str | None,
    title: str | None = None,
    actor: User,
) -> Deal:
    """Change the terms. The price and amount are fixed once the notice runs or the deal is signed;
    the other terms (equity, spin-off, royalties) may be completed later."""
    _require(actor, deal, "change", _("Only TTO managers change deals."))
    with transaction.atomic():
        locked = Deal.objects.select_for_update().get(pk=deal.pk)
        errors: dict[str, list[str]] = {}
        amount = (
            _amount(amount_cny, "amount_cny", errors)
            if terms.currency.strip().upper() in ("", "CNY")
            else None
        )
        values, amount = _clean_terms(terms, locked.deal_type, amount, errors)
        if locked.status in {DealStatusChoices.COMPLETED, DealStatusChoices.TERMINATED}:
            errors["status"] = [_("A completed or terminated deal cannot be changed.")]
        if locked.status != DealStatusChoices.DRAFT and (
            amount != locked.amount_cny
            or values["price_method"] != locked.price_method
            or values["currency"] != locked.currency
        ):
            errors.setdefault("amount_cny", []).append(
                _("The price is fixed once the notice has started or the deal is signed.")
            )
        if errors:
            raise ValidationError(errors)
        before = {k: getattr(locked, k) for k in values}
        for k, v in values.items():
            setattr(locked, k, v)
        locked.amount_cny = amount  # type: ignore[assignment]
        if title is not None:
            locked.title = title.strip()
        locked.save()
        audit_record(
            actor=actor,
            action="deal.update",
            obj=locked,
            payload={"before": before, "after": values},
        )
    return locked


def _lock_for(deal: Deal, target: str) -> Deal:
    """Lock the deal and check the table's edge (the service asked the edge's action already)."""
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    DEAL_TRANSITIONS.check_edge(locked, target)
    return locked


def deal_notice_start(
    *, deal: Deal, starts_on: date, ends_on: date, text_zh: str = "", text_en: str = "", actor: User
) -> PublicNotice:
    """Publish the negotiated price (公示): the results' names and the price, for at least 15 days."""
    _require(actor, deal, "change", _("Only TTO managers publish notices."))
    errors: dict[str, list[str]] = {}
    if (ends_on - starts_on).days + 1 < NOTICE_MIN_DAYS:
        errors["ends_on"] = [
            _("A notice runs for at least %(days)d days (Guofa [2016] No. 16).")
            % {"days": NOTICE_MIN_DAYS}
        ]
    if starts_on < timezone.localdate() - timedelta(days=1):
        errors["starts_on"] = [_("A notice cannot start in the past.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_for(deal, DealStatusChoices.NOTICE)
        if locked.price_method != PriceMethodChoices.NEGOTIATED:
            raise ValidationError(
                {
                    "price_method": [
                        _(
                            "Only a negotiated price is publicly noticed; record the price method first."
                        )
                    ]
                }
            )
        names = "；".join(r.title_zh or r.title_en for r in locked.results.all())
        names_en = "; ".join(r.title_en or r.title_zh for r in locked.results.all())
        notice = PublicNotice.objects.create(
            deal=locked,
            starts_on=starts_on,
            ends_on=ends_on,
            price_cny=locked.amount_cny,
            published_by=actor,
            text_zh=text_zh.strip()
            or f"拟以协议定价方式转化科技成果“{names}”，价格 {locked.amount_cny} 元。公示期内如有异议，请向技术转移办公室书面提出。",
            text_en=text_en.strip()
            or f"The result(s) “{names_en}” are to be transferred at a negotiated price of {locked.amount_cny} yuan. Objections may be sent in writing to the TTO during the notice period.",
        )
        locked.status = DealStatusChoices.NOTICE
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="deal.notice_start",
            obj=locked,
            payload={"notice": notice.pk, "starts_on": starts_on, "ends_on": ends_on},
        )
    return notice


def deal_notice_withdraw(*, deal: Deal, reason: str, objections: str = "", actor: User) -> Deal:
    """End a running notice early (an objection, a changed price): the deal goes back to draft."""
    _require(actor, deal, "change", _("Only TTO managers withdraw notices."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason for this step.")]})
    with transaction.atomic():
        locked = _lock_for(deal, DealStatusChoices.DRAFT)
        locked.notices.filter(status=NoticeStatusChoices.RUNNING).update(
            status=NoticeStatusChoices.WITHDRAWN,
            withdrawn_reason=reason.strip(),
            objections=objections.strip(),
        )
        locked.status = DealStatusChoices.DRAFT
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="deal.notice_withdraw",
            obj=locked,
            payload={"reason": reason.strip(), "objections": objections.strip()},
        )
    return locked


def deal_sign(*, deal: Deal, signed_on: date, actor: User, at: datetime | None = None) -> Deal:
    """Sign a deal: every result it covers that is in ``landing`` becomes ``landed``.

    A negotiated price must have been noticed for its full period first (the notice ended before
    the signing date)."""
    _require(actor, deal, "sign", _("Only TTO managers record signed deals."))
    if signed_on > timezone.localdate():
        raise ValidationError({"signed_on": [_("The signing date cannot be in the future.")]})
    with transaction.atomic():
        locked = _lock_for(deal, DealStatusChoices.SIGNED)
        if locked.price_method == PriceMethodChoices.NEGOTIATED:
            notice = (
                locked.notices.filter(status=NoticeStatusChoices.RUNNING)
                .order_by("-ends_on")
                .first()
            )
            if notice is None:
                raise ValidationError(
                    {
                        "status": [
                            _(
                                "A negotiated price must be publicly noticed for at least %(days)d days before signing."
                            )
                            % {"days": NOTICE_MIN_DAYS}
                        ]
                    }
                )
            if signed_on <= notice.ends_on:
                raise ValidationError(
                    {
                        "signed_on": [
                            _("The notice runs until %(date)s: sign after it has ended.")
                            % {"date": notice.ends_on.isoformat()}
                        ]
                    }
                )
        results = list(locked.results.select_for_update())
        for result in results:
            if result.stage not in {ResultStageChoices.LANDING, ResultStageChoices.LANDED}:
                raise ValidationError(
                    {"results": [_("“%(title)s” is not in landing.") % {"title": result.title}]}
                )
        if locked.deal_type == DealTypeChoices.ASSIGNMENT and (problem := _pledge_problem(results)):
            raise ValidationError({"deal_type": [problem]})
        locked.status = DealStatusChoices.SIGNED
        locked.signed_on = signed_on
        locked.save(update_fields=["status", "signed_on"])
        audit_record(actor=actor, action="deal.sign", obj=locked, payload={"signed_on": signed_on})
        figures_changed()
        hooks.deal_signed(deal=locked, actor=actor)
        for result in results:
            if result.stage == ResultStageChoices.LANDING:
                result_transition(
                    result=result,
                    target=ResultStageChoices.LANDED,
                    actor=actor,
                    system=True,
                    occurred_at=at,
                    reason=_("Deal signed: %(deal)s") % {"deal": str(locked)},
                )
    return locked


def deal_bring_into_force(*, deal: Deal, in_force_on: date, actor: User) -> Deal:
    _require(actor, deal, "sign", _("Only TTO managers change deals."))
    with transaction.atomic():
        locked = _lock_for(deal, DealStatusChoices.IN_FORCE)
        if locked.signed_on and in_force_on < locked.signed_on:
            raise ValidationError(
                {"in_force_on": [_("A deal cannot be in force before it was signed.")]}
            )
        locked.status, locked.in_force_on = DealStatusChoices.IN_FORCE, in_force_on
        locked.save(update_fields=["status", "in_force_on"])
        audit_record(
            actor=actor, action="deal.in_force", obj=locked, payload={"in_force_on": in_force_on}
        )
    return locked


def deal_complete(*, deal: Deal, completed_on: date, actor: User) -> Deal:
    """Every obligation performed: the deal stays counted."""
    _require(actor, deal, "sign", _("Only TTO managers change deals."))
    with transaction.atomic():
        locked = _lock_for(deal, DealStatusChoices.COMPLETED)
        if locked.signed_on and completed_on < locked.signed_on:
            raise ValidationError(
                {"completed_on": [_("A deal cannot be completed before it was signed.")]}
            )
        locked.status, locked.completed_on = DealStatusChoices.COMPLETED, completed_on
        locked.save(update_fields=["status", "completed_on"])
        audit_record(
            actor=actor, action="deal.complete", obj=locked, payload={"completed_on": completed_on}
        )
    return locked


def deal_terminate(*, deal: Deal, terminated_on: date, reason: str, actor: User) -> Deal:
    """Terminate a signed or in-force deal; a result no other counted deal covers goes back to ``landing``."""
    _require(actor, deal, "sign", _("Only TTO managers terminate deals."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason for this step.")]})
    with transaction.atomic():
        locked = _lock_for(deal, DealStatusChoices.TERMINATED)
        if locked.signed_on and terminated_on < locked.signed_on:
            raise ValidationError({"terminated_on": [_("A deal cannot end before it was signed.")]})
        locked.status = DealStatusChoices.TERMINATED
        locked.terminated_on = terminated_on
        locked.termination_reason = reason.strip()
        locked.save(update_fields=["status", "terminated_on", "termination_reason"])
        audit_record(
            actor=actor, action="deal.terminate", obj=locked, payload={"reason": reason.strip()}
        )
        figures_changed()
        for result in locked.results.select_for_update():
            if result.stage == ResultStageChoices.LANDED and not result.deals.counted().exists():
                result_transition(
                    result=result,
                    target=ResultStageChoices.LANDING,
                    actor=actor,
                    system=True,
                    reason=_("Deal terminated: %(reason)s") % {"reason": reason.strip()},
                )
    return locked


# --- schedule, payments, royalties ----------------------------------------------------------


def schedule_item_add(
    *,
    deal: Deal,
    kind: str,
    amount_cny: Decimal | str | None,
    due_on: date | None,
    description: str = "",
    actor: User,
) -> PaymentScheduleItem:
    _require(actor, deal, "change", _("Only TTO managers change deals."))
    errors: dict[str, list[str]] = {}
    if kind not in ScheduleKindChoices.values:
        errors["kind"] = [_("Choose the kind of payment.")]
    amount = _amount(
        amount_cny,
        "amount_cny",
        errors,
        positive=True,
        required=kind != ScheduleKindChoices.ROYALTY,
    )
    if kind == ScheduleKindChoices.MILESTONE and not description.strip():
        errors["description"] = [_("Describe the milestone that triggers the payment.")]
    if kind in {ScheduleKindChoices.ROYALTY} and deal.royalty_rate is None:
        errors["kind"] = [_("Set the contract's royalty rate first.")]
    if deal.status in {DealStatusChoices.COMPLETED, DealStatusChoices.TERMINATED}:
        errors["status"] = [_("A completed or terminated deal cannot be changed.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = PaymentScheduleItem.objects.create(
            deal=deal, kind=kind, amount_cny=amount, due_on=due_on, description=description.strip()
        )
        audit_record(
            actor=actor,
            action="deal.schedule_add",
            obj=deal,
            payload={"item": item.pk, "kind": kind, "amount_cny": amount, "due_on": due_on},
        )
    return item


def royalty_report_record(
    *,
    deal: Deal,
    period_start: date,
    period_end: date,
    due_on: date,
    net_sales_cny: Decimal | str,
    actor: User,
) -> RoyaltyReport:
    """A licensee's sales report: royalty due = net sales × the contract's rate, rounded half up to
    the fen, raised to the contract's minimum per period where one is set."""
    _require(actor, deal, "record_payment", _("Only TTO managers record royalty reports."))
    errors: dict[str, list[str]] = {}
    sales = _amount(net_sales_cny, "net_sales_cny", errors)
    if deal.royalty_rate is None:
        errors["deal"] = [_("The contract has no royalty rate.")]
    if deal.status not in COUNTED_STATUSES:
        errors.setdefault("deal", []).append(_("Royalties are reported on signed deals."))
    if period_end < period_start:
        errors["period_end"] = [_("The period cannot end before it starts.")]
    if due_on < period_end:
        errors["due_on"] = [_("The payment is due after the period ends.")]
    if errors:
        raise ValidationError(errors)
    assert sales is not None and deal.royalty_rate is not None
    due = (sales * deal.royalty_rate).quantize(FEN, rounding=ROUND_HALF_UP)
    minimum = deal.royalty_minimum_cny
    applied = minimum is not None and due < minimum
    with transaction.atomic():
        Deal.objects.select_for_update().filter(
            pk=deal.pk
        ).first()  # a concurrent repeat waits here, then sees the first
        if RoyaltyReport.objects.filter(deal=deal, period_start=period_start).exists():
            raise ValidationError(
                {"period_start": [_("A report for this period is already recorded.")]}
            )
        report = RoyaltyReport.objects.create(
            deal=deal,
            period_start=period_start,
            period_end=period_end,
            due_on=due_on,
            net_sales_cny=sales,
            rate=deal.royalty_rate,
            royalty_due_cny=minimum if applied and minimum is not None else due,
            minimum_applied=applied,
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action="deal.royalty_report",
            obj=deal,
            payload={"report": report.pk, "sales": sales, "due": report.royalty_due_cny},
        )
    return report


def payment_record(
    *,
    deal: Deal,
    received_on: date,
    amount_cny: Decimal | str,
    actor: User,
    schedule_item: PaymentScheduleItem | None = None,
    royalty_report: RoyaltyReport | None = None,
    note: str = "",
    confirm_duplicate: bool = False,
) -> Payment:
    """Record a payment received on a signed deal. A payment identical to one already recorded
    (same deal, date, amount, schedule item, royalty report and note) is held back with an error
    on ``confirm_duplicate`` unless ``confirm_duplicate`` says it is meant: a second one is made
    only on purpose (the check runs under the deal's row lock, so concurrent repeats see it)."""
    _require(actor, deal, "record_payment", _("Only TTO managers record payments."))
    errors: dict[str, list[str]] = {}
    amount = _amount(amount_cny, "amount_cny", errors, positive=True)
    if received_on > timezone.localdate():
        errors["received_on"] = [_("A payment cannot be received in the future.")]
    if schedule_item is not None and schedule_item.deal_id != deal.pk:
        errors["schedule_item"] = [_("That schedule item belongs to another deal.")]
    if royalty_report is not None and royalty_report.deal_id != deal.pk:
        errors["royalty_report"] = [_("That royalty report belongs to another deal.")]
    with transaction.atomic():
        locked = Deal.objects.select_for_update().get(pk=deal.pk)
        if locked.status not in COUNTED_STATUSES and locked.status != DealStatusChoices.TERMINATED:
            errors.setdefault("deal", []).append(_("Payments are recorded on signed deals."))
        if locked.signed_on and received_on < locked.signed_on:
            errors.setdefault("received_on", []).append(
                _("A payment cannot be received before the deal was signed.")
            )
        if errors:
            raise ValidationError(errors)
        same = (
            Payment.objects.filter(
                deal=locked,
                received_on=received_on,
                amount_cny=amount or Decimal(0),
                schedule_item=schedule_item,
                royalty_report=royalty_report,
                note=note.strip(),
            )
            .order_by("recorded_at", "pk")
            .first()
        )
        if same is not None and not confirm_duplicate:
            message = _(
                "An identical payment (%(amount)s yuan received on %(date)s) was already recorded at %(recorded)s. Confirm to record it again."
            ) % {
                "amount": f"{same.amount_cny:,.2f}",
                "date": same.received_on.isoformat(),
                "recorded": _local_time(same.recorded_at),
            }
            raise ValidationError({"confirm_duplicate": ValidationError(message, code="duplicate")})
        payment = Payment.objects.create(
            deal=locked,
            received_on=received_on,
            amount_cny=amount or Decimal(0),
            schedule_item=schedule_item,
            royalty_report=royalty_report,
            note=note.strip(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action="deal.payment",
            obj=locked,
            payload={
                "payment": payment.pk,
                "amount_cny": amount,
                "received_on": received_on,
                "confirmed_duplicate": same is not None,
            },
        )
        figures_changed()
    return payment


# --- agreements -------------------------------------------------------------------------------


def agreement_create(
    *,
    kind: str,
    title: str,
    parties: Sequence[Organisation],
    signed_on: date,
    actor: User,
    results: Sequence[Result] = (),
    expires_on: date | None = None,
    notes: str = "",
    shares: Sequence[tuple[Organisation, Decimal | str]] = (),
) -> Agreement:
    """Record an NDA/CDA, an MTA or a co-owner agreement (with each co-owner's share of income)."""
    _require_type(actor, Agreement, "add", _("Only TTO managers record agreements."))
    errors: dict[str, list[str]] = {}
    if kind not in AgreementKindChoices.values:
        errors["kind"] = [_("Choose the kind of agreement.")]
    if not title.strip():
        errors["title"] = [_("Give the agreement a title.")]
    if len({p.pk for p in parties}) < 2:
        errors["parties"] = [_("An agreement has at least two parties.")]
    if expires_on and expires_on < signed_on:
        errors["expires_on"] = [_("An agreement cannot expire before it was signed.")]
    clean_shares: list[tuple[Organisation, Decimal]] = []
    if kind == AgreementKindChoices.CO_OWNER:
        if not results:
            errors["results"] = [_("A co-owner agreement names the results it governs.")]
        party_ids = {p.pk for p in parties}
        for org, share in shares:
            try:
                value = Decimal(str(share))
            except ArithmeticError:
                errors.setdefault("shares", []).append(_("Enter each share as a percentage."))
                continue
            if org.pk not in party_ids:
                errors.setdefault("shares", []).append(
                    _("%(org)s is not a party.") % {"org": org.name}
                )
            if not 0 < value <= 100:
                errors.setdefault("shares", []).append(
                    _("Each share is a percentage above 0 and at most 100.")
                )
            clean_shares.append((org, value))
        if sum((s for _o, s in clean_shares), Decimal(0)) != 100:
            errors.setdefault("shares", []).append(_("The co-owners' shares must add up to 100%."))
        for result in results:
            owners = set(result.ownerships.values_list("organisation_id", flat=True))
            if owners != {o.pk for o, _s in clean_shares}:
                errors.setdefault("results", []).append(
                    _("The shares must name exactly the owners of “%(title)s”.")
                    % {"title": result.title}
                )
    elif shares:
        errors["shares"] = [_("Only a co-owner agreement sets shares of income.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        agreement = Agreement.objects.create(
            kind=kind,
            title=title.strip(),
            signed_on=signed_on,
            expires_on=expires_on,
            notes=notes.strip(),
            created_by=actor,
        )
        agreement.parties.set(parties)
        agreement.results.set(results)
        CoOwnerShare.objects.bulk_create(
            [CoOwnerShare(agreement=agreement, organisation=o, share=s) for o, s in clean_shares]
        )
        audit_record(
            actor=actor,
            action="agreement.create",
            obj=agreement,
            payload={
                "kind": kind,
                "parties": [p.pk for p in parties],
                "shares": {o.pk: s for o, s in clean_shares},
            },
        )
    return agreement


# --- costs, rules, distribution ---------------------------------------------------------------


def cost_record(
    *,
    result: Result,
    kind: str,
    amount_cny: Decimal | str,
    incurred_on: date,
    description: str = "",
    actor: User,
    confirm_duplicate: bool = False,
) -> ResultCost:
    """Record a cost of a result (deducted from the next payment distributed). A cost identical to
    one already recorded (same result, kind, amount, date and description) is held back unless
    ``confirm_duplicate``: it would lower every inventor's share a second time."""
    _require_type(actor, ResultCost, "add", _("Only TTO managers record costs."))
    errors: dict[str, list[str]] = {}
    if kind not in CostKindChoices.values:
        errors["kind"] = [_("Choose the kind of cost.")]
    amount = _amount(amount_cny, "amount_cny", errors, positive=True)
    if incurred_on > timezone.localdate():
        errors["incurred_on"] = [_("A cost cannot be incurred in the future.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Result.objects.select_for_update().filter(
            pk=result.pk
        ).first()  # concurrent repeats wait here, then see the first
        same = (
            ResultCost.objects.filter(
                result=result,
                kind=kind,
                amount_cny=amount or Decimal(0),
                incurred_on=incurred_on,
                description=description.strip(),
            )
            .order_by("recorded_at", "pk")
            .first()
        )
        if same is not None and not confirm_duplicate:
            message = _(
                "An identical cost (%(amount)s yuan on %(date)s) was already recorded at %(recorded)s. Confirm to record it again."
            ) % {
                "amount": f"{same.amount_cny:,.2f}",
                "date": same.incurred_on.isoformat(),
                "recorded": _local_time(same.recorded_at),
            }
            raise ValidationError({"confirm_duplicate": ValidationError(message, code="duplicate")})
        cost = ResultCost.objects.create(
            result=result,
            kind=kind,
            amount_cny=amount or Decimal(0),
            incurred_on=incurred_on,
            description=description.strip(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action="result.cost",
            obj=result,
            payload={
                "cost": cost.pk,
                "kind": kind,
                "amount_cny": amount,
                "confirmed_duplicate": same is not None,
            },
        )
    return cost


def rule_set(
    *,
    organisation: Organisation,
    team_share: Decimal | str,
    tto_share: Decimal | str = "0",
    equity_team_share: Decimal | str = "0.5",
    legal_source: str,
    state_established: bool = True,
    in_shanghai: bool = True,
    actor: User,
) -> tuple[DistributionRule, list[str]]:
    """Configure an organisation's distribution rule; returns it with the floors it falls below."""
    existing = DistributionRule.objects.filter(organisation=organisation).first()
    if not (
        allows(actor, existing, "change")
        if existing is not None
        else permitted(actor, DistributionRule, "add")
    ):
        raise PermissionError(_("Only TTO managers configure distribution rules."))
    errors: dict[str, list[str]] = {}
    shares: dict[str, Decimal] = {}
    for name, value in (
        ("team_share", team_share),
        ("tto_share", tto_share),
        ("equity_team_share", equity_team_share),
    ):
        d = _decimal_or_none(value, name, errors, Decimal(0), Decimal(1), low_open=False)
        if d is not None and d.as_tuple().exponent < -4:  # type: ignore[operator]
            errors.setdefault(name, []).append(
                _("Give the share with at most 4 decimals (e.g. 0.7).")
            )
        shares[name] = d if d is not None else Decimal(0)
    if (
        "team_share" not in errors
        and "tto_share" not in errors
        and shares["team_share"] + shares["tto_share"] > 1
    ):
        errors["tto_share"] = [_("The team's and the TTO's shares add up to more than 1.")]
    if not legal_source.strip():
        errors["legal_source"] = [
            _("Cite the rule's source (the organisation's regulation, its article).")
        ]
    if not organisation.is_research:
        errors["organisation"] = [
            _("Distribution rules are set by universities, institutes and hospitals.")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rule, _created = DistributionRule.objects.update_or_create(
            organisation=organisation,
            defaults={
                **shares,
                "legal_source": legal_source.strip(),
                "state_established": state_established,
                "in_shanghai": in_shanghai,
                "updated_by": actor,
                "updated_at": timezone.now(),
            },
        )
        warnings = rule.warnings()
        audit_record(
            actor=actor,
            action="distribution_rule.set",
            obj=rule,
            payload={**shares, "warnings": warnings},
        )
        figures_changed()  # the annual report's equity-reward estimate reads the rules
    return rule, warnings


def _coowner_split(deal: Deal) -> tuple[list[tuple[Organisation, Decimal]], str]:
    """Each owner institution's share and why: a co-owner agreement covering the deal's results
    that names every owner, else equal shares (a sole owner takes all)."""
    owners = list(deal.owners.all()) or list(
        Organisation.objects.filter(ownerships__result__deals=deal).distinct()
    )
    agreement = (
        Agreement.objects.filter(kind=AgreementKindChoices.CO_OWNER, results__in=deal.results.all())
        .order_by("-signed_on", "-id")
        .first()
    )
    if agreement is not None:
        shares = {s.organisation_id: s.share for s in agreement.shares.all()}
        if {o.pk for o in owners} <= set(shares):
            return [(o, shares[o.pk]) for o in owners], _(
                "co-owner agreement “%(title)s” signed %(date)s"
            ) % {"title": agreement.title, "date": agreement.signed_on.isoformat()}
    if len(owners) == 1:
        return [(o, Decimal(1)) for o in owners], _("sole owner of the results")
    return [(o, Decimal(1)) for o in owners], _("equal shares: no co-owner agreement sets them")


def _coowner_weights(deal: Deal) -> list[tuple[Organisation, Decimal]]:
    """Each owner institution's share: from a co-owner agreement covering the deal's results, else equal."""
    return _coowner_split(deal)[0]


def _team(deal: Deal, organisation: Organisation) -> list[tuple[Person, Decimal]]:
    """The team within an institution: the inventors of the deal's results who belong to it (by
    contribution share, summed over the results); all inventors if none belongs to it."""
    weights: dict[int, Decimal] = {}
    people: dict[int, Person] = {}
    members = set(organisation.memberships.values_list("person_id", flat=True))
    inventorships = list(
        Result.inventors.through.objects.filter(result__deals=deal)  # type: ignore[attr-defined]
        .select_related("person")
        .order_by("result_id", "position", "id")
    )
    chosen = [i for i in inventorships if i.person_id in members] or inventorships
    for i in chosen:
        people[i.person_id] = i.person
        weights[i.person_id] = weights.get(i.person_id, Decimal(0)) + i.share
    return [(people[pk], w) for pk, w in weights.items()]


@dataclass
class FloorCheck:
    """A statutory floor (or Shanghai's standard) and whether the team's share applied respects it."""

    minimum: Decimal
    source: str
    scope: str
    respected: bool


@dataclass
class HolderPart:
    """One holder's part of the net income, with why it is what it is: the co-owners' split (its
    share of the net and the basis), then, for an institution, its rule (team, TTO, the rest to
    the organisation) and the floors the team's share respects; for a team holding rights after a
    赋权, its members' parts as owners."""

    kind: str  # "institution" or "team"
    organisation: Organisation
    share_percent: Decimal  # of the net, in percent
    basis: str
    amount: Decimal
    team_share: Decimal | None = None
    tto_share: Decimal | None = None
    rule_source: str = ""
    has_rule: bool = False
    floors: list[FloorCheck] = field(default_factory=list)
    #: (party, its label, person or None, contribution in percent of the team or None, amount)
    lines: list[tuple[str, str, Person | None, Decimal | None, Decimal]] = field(
        default_factory=list
    )


@dataclass
class DistributionPreview:
    """What ``payment_distribute`` will store for a payment, computed without writing: the costs
    deducted (and those left for a later payment), the net, the lines and each holder's part
    with its explanation. ``fingerprint`` identifies the outcome: committing a preview whose
    fingerprint no longer matches is refused (something changed since it was shown)."""

    payment: Payment
    deducted: list[ResultCost]
    waiting: list[ResultCost]
    total_costs: Decimal
    net: Decimal
    equity: bool
    lines: list[DistributionLine]
    parts: list[HolderPart]
    rules: dict[str, Any]
    warnings: list[str]
    fingerprint: str = ""


def _percent_of(weight: Decimal, total: Decimal) -> Decimal:
    return (
        (weight * 100 / total).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        if total
        else Decimal(0)
    )


def _floor_checks(
    team_share: Decimal, rule: DistributionRule | None, equity: bool
) -> list[FloorCheck]:
    from .distribution import NATIONAL_FLOORS, SHANGHAI_FLOORS

    mode = "equity" if equity else "transfer_or_licence"
    national = NATIONAL_FLOORS[mode]
    binding = rule.state_established if rule is not None else True
    checks = [
        FloorCheck(
            minimum=national.minimum,
            source=str(national.source),
            respected=team_share >= national.minimum,
            scope=_("binding on a state-established university or institute")
            if binding
            else _("applies where no rule or agreement sets the rewards"),
        )
    ]
    if rule is not None and rule.in_shanghai:
        local = SHANGHAI_FLOORS[mode]
        checks.append(
            FloorCheck(
                minimum=local.minimum,
                source=str(local.source),
                respected=team_share >= local.minimum,
                scope=_("a standard Shanghai's regulation allows and encourages, not binding"),
            )
        )
    return checks


def _distribution_compute(payment: Payment, *, lock: bool) -> DistributionPreview:
    """The distribution of ``payment`` (see :func:`payment_distribute`), computed without writing.
    ``lock``: inside the commit's transaction, the open costs are locked."""
    deal = payment.deal
    open_costs = ResultCost.objects.filter(result__deals=deal, distribution__isnull=True).values(
        "pk"
    )
    cost_rows = ResultCost.objects.filter(pk__in=open_costs).order_by("incurred_on", "id")
    costs = list(cost_rows.select_for_update() if lock else cost_rows)
    deducted: list[ResultCost] = []
    waiting: list[ResultCost] = []
    total_costs = Decimal("0.00")
    for cost in costs:
        if total_costs + cost.amount_cny <= payment.amount_cny:
            deducted.append(cost)
            total_costs += cost.amount_cny
        else:
            waiting.append(cost)
    net = payment.amount_cny - total_costs
    equity = deal.deal_type in EQUITY_TYPES
    lines: list[DistributionLine] = []
    parts: list[HolderPart] = []
    rules: dict[str, Any] = {}
    warnings: list[str] = []

    def institution_lines(
        org: Organisation, share: Decimal, weight: Decimal, percent: Decimal, basis: str
    ) -> None:
        """An owner institution's part: its rule gives the team (as a reward) and the TTO their shares."""
        rule = DistributionRule.objects.filter(organisation=org).first()
        team_share = (
            (rule.equity_team_share if equity else rule.team_share) if rule else DEFAULT_TEAM_SHARE
        )
        tto_share = rule.tto_share if rule else Decimal(0)
        team_people = _team(deal, org)
        if not team_people:
            team_share = Decimal(0)
        try:
            split = distribute(share, Decimal(0), team_share, [("team", Decimal(100))], tto_share)
        except DistributionError as exc:
            raise ValidationError({"payment": [str(exc)]}) from exc
        people_parts = (
            split_largest_remainder(split.team, [(str(p.pk), w) for p, w in team_people])
            if team_people
            else {}
        )
        source = (
            rule.legal_source
            if rule
            else _("No rule configured: the statutory floor of art. 45 applies.")
        )
        rules[str(org.pk)] = {
            "organisation": org.name,
            "co_owner_share": str(weight),
            "amount": str(share),
            "team_share": str(team_share),
            "tto_share": str(tto_share),
            "source": source,
        }
        if rule:
            warnings.extend(rule.warnings())
        part = HolderPart(
            kind="institution",
            organisation=org,
            share_percent=percent,
            basis=basis,
            amount=share,
            team_share=team_share,
            tto_share=tto_share,
            rule_source=source,
            has_rule=rule is not None,
            floors=_floor_checks(team_share, rule, equity) if team_people else [],
        )
        lines.append(
            DistributionLine(
                organisation=org, party=PartyChoices.ORGANISATION, amount_cny=split.organisation
            )
        )
        lines.append(
            DistributionLine(organisation=org, party=PartyChoices.TTO, amount_cny=split.tto)
        )
        part.lines.append(
            (
                PartyChoices.ORGANISATION.value,
                str(PartyChoices.ORGANISATION.label),
                None,
                None,
                split.organisation,
            )
        )
        part.lines.append(
            (PartyChoices.TTO.value, str(PartyChoices.TTO.label), None, None, split.tto)
        )
        team_total = sum((w for _p, w in team_people), Decimal(0))
        for person, person_weight in team_people:
            lines.append(
                DistributionLine(
                    organisation=org,
                    party=PartyChoices.PERSON,
                    person=person,
                    amount_cny=people_parts[str(person.pk)],
                )
            )
            part.lines.append(
                (
                    PartyChoices.PERSON.value,
                    str(PartyChoices.PERSON.label),
                    person,
                    _percent_of(person_weight, team_total),
                    people_parts[str(person.pk)],
                )
            )
        parts.append(part)

    # After a 赋权 (国科发区〔2020〕128号) the results' owners include the team: its share goes to its
    # members as owners, and the statutory reward applies only to the institutions' shares.
    holders = ownership_for_distribution(
        result_ids=list(deal.results.values_list("pk", flat=True)), on=payment.received_on
    )
    if holders is None:
        weights, basis = _coowner_split(deal)
        if not weights:
            raise ValidationError(
                {"payment": [_("The deal has no owner organisation to distribute to.")]}
            )
        by_org = split_largest_remainder(net, [(str(o.pk), w) for o, w in weights])
        weight_total = sum((w for _o, w in weights), Decimal(0))
        for org, weight in weights:
            institution_lines(
                org, by_org[str(org.pk)], weight, _percent_of(weight, weight_total), basis
            )
    else:
        by_holder = split_largest_remainder(net, [(h.key, h.share) for h in holders])
        holder_total = sum((h.share for h in holders), Decimal(0))
        ownership: list[dict[str, str]] = []
        for holder in holders:
            amount = by_holder[holder.key]
            percent = _percent_of(holder.share, holder_total)
            if holder.holder_kind == "team":
                member_total = sum((w for _p, w in holder.members), Decimal(0))
                shares = split_largest_remainder(
                    amount, [(str(p.pk), w) for p, w in holder.members]
                )
                part = HolderPart(
                    kind="team",
                    organisation=holder.organisation,
                    share_percent=percent,
                    basis=holder.basis,
                    amount=amount,
                )
                for person, member_weight in holder.members:
                    lines.append(
                        DistributionLine(
                            organisation=holder.organisation,
                            party=PartyChoices.TEAM_OWNER,
                            person=person,
                            amount_cny=shares[str(person.pk)],
                        )
                    )
                    part.lines.append(
                        (
                            PartyChoices.TEAM_OWNER.value,
                            str(PartyChoices.TEAM_OWNER.label),
                            person,
                            _percent_of(member_weight, member_total),
                            shares[str(person.pk)],
                        )
                    )
                parts.append(part)
                rules[holder.key] = {
                    "team_of": holder.organisation.name,
                    "ownership_share": str(holder.share),
                    "amount": str(amount),
                    "source": holder.basis,
                }
            else:
                institution_lines(holder.organisation, amount, holder.share, percent, holder.basis)
            # "kind" says why the part is paid as it is (the page explains it in the reader's language)
            ownership.append(
                {
                    "kind": holder.holder_kind,
                    "holder": holder.organisation.name,
                    "application": str(holder.application_id or ""),
                    "share": str(holder.share.quantize(Decimal("0.001"))),
                    "amount": str(amount),
                    "basis": holder.basis,
                }
            )
        rules["ownership"] = {"on": payment.received_on.isoformat(), "holders": ownership}
    assert sum((line.amount_cny for line in lines), Decimal(0)) == net
    preview = DistributionPreview(
        payment=payment,
        deducted=deducted,
        waiting=waiting,
        total_costs=total_costs,
        net=net,
        equity=equity,
        lines=lines,
        parts=parts,
        rules=rules,
        warnings=warnings,
    )
    preview.fingerprint = _fingerprint(preview)
    return preview


def _fingerprint(preview: DistributionPreview) -> str:
    """What the preview shows, as a short hash: the costs deducted and every line."""
    import hashlib
    import json

    facts = {
        "payment": preview.payment.pk,
        "amount": str(preview.payment.amount_cny),
        "costs": [c.pk for c in preview.deducted],
        "net": str(preview.net),
        "lines": [
            [ln.organisation_id, ln.party, ln.person_id, str(ln.amount_cny)] for ln in preview.lines
        ],
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:32]


def payment_distribution_preview(*, payment: Payment, actor: User) -> DistributionPreview:
    """What :func:`payment_distribute` would store for ``payment`` now, with each part explained;
    writes nothing. Refused as the commit is (the ``distribute`` grant; a payment distributed once)."""
    _require(actor, payment.deal, "distribute", _("Only TTO managers distribute income."))
    if Distribution.objects.filter(payment=payment).exists():
        raise ValidationError({"payment": [_("This payment has already been distributed.")]})
    return _distribution_compute(payment, lock=False)


def payment_distribute(*, payment: Payment, actor: User, expected: str = "") -> Distribution:
    """Split one payment: outstanding costs of the deal's results (oldest first, as long as they fit)
    are deducted; the net is split between the co-owners by their agreement (largest remainder);
    within each institution its rule gives the team and the TTO their shares (rounded to the fen)
    and the organisation the rest; the team's amount is split among its people by contribution
    share (largest remainder). The lines add up exactly to the net.

    When a 赋权 has changed the ownership of the deal's results on the day the payment was
    received (``opentto.rights``), the net is split between the holders by their ownership shares
    (largest remainder): a team's part goes to its members as owners (party ``team_owner``, by their
    parts within the team, largest remainder) with no statutory reward, and each institution's
    part follows its rule as above.

    ``expected``: the fingerprint of the preview the user confirmed
    (:func:`payment_distribution_preview`); when what would be stored now differs (a cost recorded,
    a rule changed since), nothing is written and the user is asked to review it again."""
    _require(actor, payment.deal, "distribute", _("Only TTO managers distribute income."))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("deal").get(pk=payment.pk)
        if Distribution.objects.filter(payment=locked).exists():
            raise ValidationError({"payment": [_("This payment has already been distributed.")]})
        preview = _distribution_compute(locked, lock=True)
        if expected and expected != preview.fingerprint:
            raise ValidationError(
                {
                    "payment": ValidationError(
                        _(
                            "The distribution has changed since it was shown (a cost, a rule or the owners changed): nothing was "
                            "recorded. Review the new preview and confirm again."
                        ),
                        code="changed",
                    )
                }
            )
        distribution = Distribution.objects.create(
            payment=locked,
            costs_cny=preview.total_costs,
            net_cny=preview.net,
            rules=preview.rules,
            warnings=preview.warnings,
            created_by=actor,
        )
        for line in preview.lines:
            line.distribution = distribution
        DistributionLine.objects.bulk_create(preview.lines)
        ResultCost.objects.filter(pk__in=[c.pk for c in preview.deducted]).update(
            distribution=distribution
        )
        audit_record(
            actor=actor,
            action="payment.distribute",
            obj=locked,
            payload={
                "distribution": distribution.pk,
                "costs": preview.total_costs,
                "net": preview.net,
                "previewed": preview.fingerprint if expected else "",
            },
        )
        figures_changed()
    return distribution


def royalty_flag_overdue(today: date | None = None) -> int:
    """Tell the TTO, once per report, about royalties overdue or short (due date passed and
    less received than due). Returns the number of reports flagged."""
    from opentto.notifications.services import notification_send

    today = today or timezone.localdate()
    # Those who record every deal's payments (the TTO), as the grants say.
    managers = list(users_permitted(Deal, "record_payment", every_row=True))
    flagged = 0
    for report in RoyaltyReport.objects.filter(
        flagged_on__isnull=True, due_on__lt=today
    ).select_related("deal"):
        if report.shortfall_cny <= 0:
            continue
        with transaction.atomic():
            RoyaltyReport.objects.filter(pk=report.pk).update(flagged_on=today)
            kind_zh, kind_en = ("不足", "short") if report.received_cny > 0 else ("逾期", "overdue")
            notification_send(
                recipients=managers,
                kind="landing.royalty",
                title_zh=f"提成费{kind_zh}：{report.deal.name_in('zh-hans')}（{report}）",
                title_en=f"Royalty {kind_en}: {report.deal.name_in('en')} ({report})",
                body_zh=f"应付 {report.royalty_due_cny} 元，已收 {report.received_cny} 元。",
                body_en=f"{report.royalty_due_cny} yuan due, {report.received_cny} received.",
                url=f"/deals/{report.deal_id}/",
            )
            audit_record(
                actor=None,
                action="deal.royalty_flag",
                obj=report.deal,
                payload={"report": report.pk, "shortfall": report.shortfall_cny},
            )
        flagged += 1
    return flagged


# --- technology-contract registration (技术合同认定登记) ------------------------------------------
#
# Classification and the reliefs claimed, then one service per registration step (see
# ``REGISTRATION_TRANSITIONS``): apply, register, return for correction, refuse; documents may be
# added at any step. Each asks ``register_contract`` on the deal, locks the registration row and
# records an audit event; a refusal writes nothing.

REGISTRATION_OPEN_DEAL = (*COUNTED_STATUSES,)


def deal_classify(
    *,
    deal: Deal,
    contract_kind: str,
    contract_object: str = "",
    bundled_support_services: bool = False,
    claims_vat_exemption: bool = False,
    claims_income_tax_relief: bool = False,
    actor: User,
) -> Deal:
    """Classify the technology contract (技术合同认定规则) and record which tax reliefs the deal claims.
    The kind is fixed once the contract is registered (the office has recognised it)."""
    _require(
        actor,
        deal,
        "register_contract",
        _("Only TTO managers classify and register technology contracts."),
    )
    errors: dict[str, list[str]] = {}
    if contract_kind not in ContractKindChoices.values:
        errors["contract_kind"] = [_("Choose the kind of technology contract.")]
    elif contract_object and contract_object not in CONTRACT_OBJECTS_BY_KIND[contract_kind]:
        errors["contract_object"] = [
            _("“%(object)s” is not an object of a “%(kind)s” contract.")
            % {
                "object": ContractObjectChoices(contract_object).label
                if contract_object in ContractObjectChoices.values
                else contract_object,
                "kind": ContractKindChoices(contract_kind).label,
            }
        ]
    if bundled_support_services and contract_kind not in (
        ContractKindChoices.TRANSFER,
        ContractKindChoices.LICENCE,
        ContractKindChoices.DEV_COMMISSIONED,
        ContractKindChoices.DEV_COOPERATIVE,
    ):
        errors.setdefault("bundled_support_services", []).append(
            _(
                "Only a transfer, licence or development contract can carry consulting and services bundled in it."
            )
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Deal.objects.select_for_update().get(pk=deal.pk)
        registration = ContractRegistration.objects.filter(deal=locked).first()
        if (
            registration is not None
            and registration.is_registered
            and (contract_kind != locked.contract_kind or contract_object != locked.contract_object)
        ):
            raise ValidationError(
                {
                    "contract_kind": [
                        _(
                            "The contract is registered: its kind and object are those the office recognised."
                        )
                    ]
                }
            )
        fields = (
            "contract_kind",
            "contract_object",
            "bundled_support_services",
            "claims_vat_exemption",
            "claims_income_tax_relief",
        )
        before = {k: getattr(locked, k) for k in fields}
        after = {
            "contract_kind": contract_kind,
            "contract_object": contract_object,
            "bundled_support_services": bundled_support_services,
            "claims_vat_exemption": claims_vat_exemption,
            "claims_income_tax_relief": claims_income_tax_relief,
        }
        for k, v in after.items():
            setattr(locked, k, v)
        locked.save(update_fields=list(fields))
        audit_record(
            actor=actor,
            action="deal.classify",
            obj=locked,
            payload={"before": before, "after": after},
        )
    return locked


def _check_documents(documents: Sequence[Any], errors: dict[str, list[str]]) -> list[Any]:
    from opentto.core.uploads import check_upload

    checked = []
    for upload in documents:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.setdefault("documents", []).extend(exc.messages)
    return checked


def _save_documents(
    registration: ContractRegistration, checked: list[Any], actor: User | None
) -> list[ContractRegistrationDocument]:
    saved = []
    for upload in checked:
        document = ContractRegistrationDocument(
            registration=registration,
            original_name=upload.safe_name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            uploaded_by=actor,
        )
        document.file.save(upload.safe_name, upload.file, save=False)
        document.save()
        audit_record(
            actor=actor,
            action="deal.registration_document",
            obj=registration.deal,
            payload={"document": document.pk, "name": upload.safe_name, "sha256": upload.sha256},
        )
        saved.append(document)
    return saved


def _lock_registration(deal: Deal, target: str) -> ContractRegistration:
    """The deal's registration row, locked (created, not applied, if absent); refuses a step the
    transition table does not allow."""
    Deal.objects.select_for_update().get(pk=deal.pk)
    registration, _created = ContractRegistration.objects.get_or_create(deal_id=deal.pk)
    registration = ContractRegistration.objects.select_for_update().get(pk=registration.pk)
    REGISTRATION_TRANSITIONS.check_edge(registration, target)
    return registration


def _registration_step(
    registration: ContractRegistration,
    target: str,
    actor: User,
    action: str,
    payload: dict[str, Any],
) -> None:
    before = registration.status
    registration.status = target
    registration.updated_by, registration.updated_at = actor, timezone.now()
    registration.save()
    audit_record(
        actor=actor,
        action=f"deal.registration_{action}",
        obj=registration.deal,
        payload={"from": before, "to": target, **payload},
    )


def registration_apply(
    *, deal: Deal, applied_on: date, office: str, documents: Sequence[Any] = (), actor: User
) -> ContractRegistration:
    """Apply for registration (a first application, or again after a return or a refusal): the
    contract is signed and classified. The rules set no deadline after signing."""
    _require(
        actor,
        deal,
        "register_contract",
        _("Only TTO managers classify and register technology contracts."),
    )
    errors: dict[str, list[str]] = {}
    if not office.strip():
        errors["office"] = [_("Name the registration office.")]
    if applied_on > timezone.localdate():
        errors["applied_on"] = [_("The date cannot be in the future.")]
    checked = _check_documents(documents, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        registration = _lock_registration(deal, RegistrationStatusChoices.APPLIED)
        locked = registration.deal
        if locked.status not in REGISTRATION_OPEN_DEAL or locked.signed_on is None:
            raise ValidationError(
                {
                    "status": [
                        _("Only a signed contract (signed, in force or completed) is registered.")
                    ]
                }
            )
        if not locked.contract_kind:
            raise ValidationError(
                {"contract_kind": [_("Classify the technology contract before applying.")]}
            )
        if applied_on < locked.signed_on:
            raise ValidationError(
                {"applied_on": [_("The application cannot come before the signing date.")]}
            )
        registration.applied_on, registration.office, registration.note = (
            applied_on,
            office.strip()[:200],
            "",
        )
        _registration_step(
            registration,
            RegistrationStatusChoices.APPLIED,
            actor,
            "apply",
            {"applied_on": applied_on, "office": registration.office},
        )
        _save_documents(registration, checked, actor)
    return registration


def registration_register(
    *,
    deal: Deal,
    number: str,
    registered_on: date,
    technology_income_cny: Decimal | str | None,
    income_explanation: str = "",
    documents: Sequence[Any] = (),
    actor: User,
) -> ContractRegistration:
    """Record the office's registration: its number, date and the technology-related income it set
    (技术性收入; at most the contract amount unless explained)."""
    _require(
        actor,
        deal,
        "register_contract",
        _("Only TTO managers classify and register technology contracts."),
    )
    errors: dict[str, list[str]] = {}
    if not number.strip():
        errors["number"] = [_("Give the registration number.")]
    if registered_on > timezone.localdate():
        errors["registered_on"] = [_("The date cannot be in the future.")]
    income = _amount(technology_income_cny, "technology_income_cny", errors)
    checked = _check_documents(documents, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        registration = _lock_registration(deal, RegistrationStatusChoices.REGISTERED)
        locked = registration.deal
        if registration.applied_on and registered_on < registration.applied_on:
            raise ValidationError(
                {"registered_on": [_("The registration cannot come before the application.")]}
            )
        if income is not None and income > locked.amount_cny and not income_explanation.strip():
            raise ValidationError(
                {
                    "income_explanation": [
                        _(
                            "The technology-related income (%(income)s) is above the contract amount (%(amount)s): explain why."
                        )
                        % {"income": income, "amount": locked.amount_cny}
                    ]
                }
            )
        registration.number, registration.registered_on = number.strip()[:60], registered_on
        registration.technology_income_cny, registration.income_explanation = (
            income,
            income_explanation.strip(),
        )
        registration.note = ""
        _registration_step(
            registration,
            RegistrationStatusChoices.REGISTERED,
            actor,
            "register",
            {
                "number": registration.number,
                "registered_on": registered_on,
                "technology_income_cny": income,
            },
        )
        _save_documents(registration, checked, actor)
    return registration


def _office_reason(
    deal: Deal, target: str, action: str, reason: str, documents: Sequence[Any], actor: User
) -> ContractRegistration:
    _require(
        actor,
        deal,
        "register_contract",
        _("Only TTO managers classify and register technology contracts."),
    )
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = [_("Give a reason for this step.")]
    checked = _check_documents(documents, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        registration = _lock_registration(deal, target)
        registration.note = reason.strip()
        _registration_step(registration, target, actor, action, {"reason": registration.note})
        _save_documents(registration, checked, actor)
    return registration


def registration_return(
    *, deal: Deal, reason: str, documents: Sequence[Any] = (), actor: User
) -> ContractRegistration:
    """The office sent the application back for correction (apply again once corrected)."""
    return _office_reason(
        deal, RegistrationStatusChoices.RETURNED, "return", reason, documents, actor
    )


def registration_refuse(
    *, deal: Deal, reason: str, documents: Sequence[Any] = (), actor: User
) -> ContractRegistration:
    """The office refused to register the contract (未予登记: not a technology contract, or not
    meeting the conditions)."""
    return _office_reason(
        deal, RegistrationStatusChoices.REFUSED, "refuse", reason, documents, actor
    )


def registration_document_add(
    *, deal: Deal, documents: Sequence[Any], actor: User
) -> list[ContractRegistrationDocument]:
    """Add files to the registration (the contract text, the certificate) at any step."""
    _require(
        actor,
        deal,
        "register_contract",
        _("Only TTO managers classify and register technology contracts."),
    )
    errors: dict[str, list[str]] = {}
    if not documents:
        errors["documents"] = [_("Choose at least one file.")]
    checked = _check_documents(documents, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Deal.objects.select_for_update().get(pk=deal.pk)
        registration, _created = ContractRegistration.objects.get_or_create(deal_id=deal.pk)
        return _save_documents(registration, checked, actor)


# --- reminders before the tax dates that need the registration ------------------------------------

#: Days before the tax date the reminder is sent.
REMINDER_DAYS = 30
#: The enterprise income tax annual settlement (汇算清缴): within five months after the tax year,
#: i.e. by 31 May (企业所得税法 art. 54 — not in STANDARDS.md; not confirmed here beyond
#: secondary sources).
SETTLEMENT_MONTH_DAY = (5, 31)
#: The VAT return of a month is filed by the 15th of the next month (monthly filing; quarterly filers
#: file by the 15th after the quarter — not encoded; holiday extensions not encoded; the filing
#: period rule is not in STANDARDS.md: not confirmed).
VAT_FILING_DAY = 15


def income_tax_due(signed_on: date, today: date) -> date:
    """The next annual settlement that needs the registration: 31 May after the signing year, or a
    later year's while the contract is still unregistered."""
    month, day = SETTLEMENT_MONTH_DAY
    due = date(signed_on.year + 1, month, day)
    while due < today:
        due = date(due.year + 1, month, day)
    return due


def vat_filing_due(signed_on: date) -> date:
    """The first VAT return after signing: the 15th of the month after the signing month."""
    return date(signed_on.year + (signed_on.month == 12), signed_on.month % 12 + 1, VAT_FILING_DAY)


def registration_remind(today: date | None = None) -> int:
    """Remind the TTO users who may register a deal's contract, 30 days before the tax date that
    needs the registration, once per date: the annual income-tax settlement for a signed deal that
    claims the income-tax relief, the first VAT return after signing for one that claims the VAT
    exemption. Returns the number of reminders sent."""
    from opentto.notifications.services import notification_send

    from .models import relief_unregistered_q

    today = today or timezone.localdate()
    candidates = list(users_permitted(Deal, "register_contract"))
    sent = 0
    deals = Deal.objects.filter(
        relief_unregistered_q(), status__in=COUNTED_STATUSES, signed_on__isnull=False
    ).order_by("pk")
    for deal in deals:
        dues: list[tuple[str, date]] = []
        if deal.claims_income_tax_relief:
            dues.append(("income_tax", income_tax_due(deal.signed_on, today)))  # type: ignore[arg-type]
        if deal.claims_vat_exemption:
            dues.append(("vat", vat_filing_due(deal.signed_on)))  # type: ignore[arg-type]
        for kind, due in dues:
            if not (due - timedelta(days=REMINDER_DAYS) <= today <= due):
                continue
            with transaction.atomic():
                Deal.objects.select_for_update().get(pk=deal.pk)
                registration, _created = ContractRegistration.objects.get_or_create(deal_id=deal.pk)
                registration = ContractRegistration.objects.select_for_update().get(
                    pk=registration.pk
                )
                field = f"{kind}_reminded_for"
                if getattr(registration, field) == due or registration.is_registered:
                    continue
                setattr(registration, field, due)
                registration.save(update_fields=[field])
                recipients = [u for u in candidates if allows(u, deal, "register_contract")]
                if kind == "income_tax":
                    title_zh, title_en = (
                        f"技术合同未登记：{deal.name_in('zh-hans')}（{due:%Y-%m-%d} 企业所得税汇算清缴）",
                        f"Contract not registered: {deal.name_in('en')} (income-tax settlement {due:%Y-%m-%d})",
                    )
                    body_zh = "该合同申报技术转让所得减免企业所得税，但技术合同尚未认定登记。请在汇算清缴前办理登记。"
                    body_en = "The deal claims the income-tax relief on technology transfer but its contract is not registered. Register it before the annual settlement."
                else:
                    title_zh, title_en = (
                        f"技术合同未登记：{deal.name_in('zh-hans')}（{due:%Y-%m-%d} 增值税申报）",
                        f"Contract not registered: {deal.name_in('en')} (VAT return {due:%Y-%m-%d})",
                    )
                    body_zh = (
                        "该合同申报免征增值税，但技术合同尚未认定登记。请在增值税申报前办理登记。"
                    )
                    body_en = "The deal claims the VAT exemption but its contract is not registered. Register it before the VAT return."
                notification_send(
                    recipients=recipients,
                    kind="landing.registration",
                    title_zh=title_zh,
                    title_en=title_en,
                    body_zh=body_zh,
                    body_en=body_en,
                    url=f"/deals/{deal.pk}/",
                )
                audit_record(
                    actor=None,
                    action="deal.registration_reminder",
                    obj=deal,
                    payload={"tax": kind, "due": due, "recipients": len(recipients)},
                )
            sent += 1
    return sent
