"""The exports of the other apps' list pages (see ``exports.py``). Each reads through the list
page's selector with the list page's filters, and carries only the columns that page (or the
object's page) shows that user: no reviewer names, no confidential result details."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import QueryDict
from django.utils.translation import gettext_lazy

from opentto.core.http import id_param
from opentto.demands.models import DemandStatusChoices, MatchStatusChoices, ProjectStatusChoices
from opentto.demands.selectors import demand_list, matches_visible, project_list
from opentto.evaluation.models import ReviewRoundStatusChoices
from opentto.evaluation.selectors import rounds_visible
from opentto.financing.selectors import pledge_loans
from opentto.landing.models import (
    DealStatusChoices,
    deal_relief_unregistered,
    registration_of,
    relief_unregistered_q,
)
from opentto.landing.selectors import (
    agreements_visible,
    deals_visible,
    payments_visible,
    running_notices,
)
from opentto.planning.models import TransferPlanStatusChoices
from opentto.planning.selectors import deal_rooms_for, plans_visible
from opentto.results.models import Result, ResultFieldChoices
from opentto.subsidies.models import ApplicationStatusChoices
from opentto.subsidies.selectors import applications_visible, programmes_visible

from .exports import Rows, choice, columns_rows, register_export


def _with_status(qs: Any, statuses: Any, get: QueryDict) -> Any:
    """``qs`` narrowed to the list's ``?status=`` filter when it names one of ``statuses``."""
    status = choice(statuses.values, get.get("status"))
    return qs.filter(status=status) if status else qs


def _org(o: Any) -> str:
    return (o.name_zh or o.name_en) if o is not None else ""


@register_export("demands", gettext_lazy("Demands"))
def _demands(user: Any, get: QueryDict) -> Rows:
    qs = demand_list(
        user,
        q=get.get("q", "").strip()[:200],
        status=choice(DemandStatusChoices.values, get.get("status")),
        field_=choice(ResultFieldChoices.values, get.get("field")),
        mine=get.get("mine") == "1",
    )
    return columns_rows(
        qs,
        [
            ("id", lambda d: d.pk),
            ("title_zh", lambda d: d.title_zh),
            ("title_en", lambda d: d.title_en),
            ("enterprise", lambda d: _org(d.organisation)),
            ("field", lambda d: d.field),
            ("cooperation", lambda d: d.cooperation),
            ("budget_min_cny", lambda d: d.budget_min_cny),
            ("budget_max_cny", lambda d: d.budget_max_cny),
            ("deadline", lambda d: d.deadline),
            ("status", lambda d: d.status),
            ("public", lambda d: "yes" if d.is_public else "no"),
            ("problem_zh", lambda d: d.problem_zh),
            ("problem_en", lambda d: d.problem_en),
            ("created_at", lambda d: d.created_at),
        ],
        user,
    )


@register_export("matches", gettext_lazy("Matches"))
def _matches(user: Any, get: QueryDict) -> Rows:
    qs = _with_status(matches_visible(user), MatchStatusChoices, get)
    return columns_rows(
        qs,
        [
            ("id", lambda m: m.pk),
            ("result", lambda m: m.result_id),
            ("result_title_zh", lambda m: m.result.title_zh),
            ("result_title_en", lambda m: m.result.title_en),
            ("enterprise", lambda m: _org(m.organisation)),
            ("demand", lambda m: m.demand_id),
            ("demand_title_zh", lambda m: m.demand.title_zh if m.demand else ""),
            ("demand_title_en", lambda m: m.demand.title_en if m.demand else ""),
            ("status", lambda m: m.status),
            # not the engine's score: the match pages do not show it
            ("source", lambda m: m.source),
            ("deal", lambda m: m.visible_deal_id),
            ("status_changed_at", lambda m: m.status_changed_at),
        ],
        user,
    )


@register_export("projects", gettext_lazy("Targeted R&D projects"))
def _projects(user: Any, get: QueryDict) -> Rows:
    """The project list's rows: no demand column (a confidential demand stays the enterprise's)."""
    qs = project_list(user, status=choice(ProjectStatusChoices.values, get.get("status")))
    return columns_rows(
        qs,
        [
            ("id", lambda p: p.pk),
            ("title_zh", lambda p: p.title_zh),
            ("title_en", lambda p: p.title_en),
            ("enterprise", lambda p: _org(p.demand.organisation)),
            ("research_organisation", lambda p: _org(p.research_organisation)),
            ("lead", lambda p: p.lead.name_zh or p.lead.name_en),
            ("budget_cny", lambda p: p.budget_cny),
            ("status", lambda p: p.status),
            ("starts_on", lambda p: p.starts_on or ""),
            ("ends_on", lambda p: p.ends_on or ""),
            ("milestones", lambda p: len(p.milestones.all())),
            ("milestones_done", lambda p: p.milestones_done),
            ("milestones_total_cny", lambda p: p.milestones_total),
        ],
        user,
    )


def _deals(user: Any, get: QueryDict) -> Any:
    deals = _with_status(deals_visible(user), DealStatusChoices, get)
    # the deal list's ``?relief=unregistered`` filter (a tax relief claimed without a registered contract)
    return deals.filter(relief_unregistered_q()) if get.get("relief") == "unregistered" else deals


def _registration(deal: Any, name: str) -> Any:
    registration = registration_of(deal)
    return None if registration is None else getattr(registration, name)


@register_export("deals", gettext_lazy("Deals"))
def _deal_rows(user: Any, get: QueryDict) -> Rows:
    qs = (
        _deals(user, get)
        .select_related("registration")
        .prefetch_related(
            Prefetch("results", queryset=Result.objects.restrict(user, "view").only("id"))
        )
    )
    return columns_rows(
        qs,
        [
            ("id", lambda d: d.pk),
            ("title", lambda d: d.title),
            ("counterparty", lambda d: _org(d.counterparty)),
            ("deal_type", lambda d: d.deal_type),
            ("price_method", lambda d: d.price_method),
            ("amount_cny", lambda d: d.amount_cny),
            ("currency", lambda d: d.currency),
            ("amount_foreign", lambda d: d.amount_foreign),
            ("status", lambda d: d.status),
            ("signed_on", lambda d: d.signed_on),
            ("in_force_on", lambda d: d.in_force_on),
            ("completed_on", lambda d: d.completed_on),
            ("terminated_on", lambda d: d.terminated_on),
            # the technology-contract classification and registration (follow the deal: opentto/landing/permissions.py)
            ("contract_kind", lambda d: d.contract_kind),
            ("contract_object", lambda d: d.contract_object),
            ("claims_vat_exemption", lambda d: d.claims_vat_exemption),
            ("claims_income_tax_relief", lambda d: d.claims_income_tax_relief),
            ("registration_status", lambda d: _registration(d, "status") or "not_applied"),
            ("registration_number", lambda d: _registration(d, "number") or ""),
            ("registration_date", lambda d: _registration(d, "registered_on")),
            ("technology_income_cny", lambda d: _registration(d, "technology_income_cny")),
            ("relief_unregistered", lambda d: deal_relief_unregistered(d)),
            # only the covered results the user may see (the deal's page shows the others unnamed)
            ("results", lambda d: sorted(r.pk for r in d.results.all())),
        ],
        user,
    )


@register_export("payments", gettext_lazy("Payments"))
def _payments(user: Any, get: QueryDict) -> Rows:
    """Payments received on the deals of the deal list (same filters), or on one deal (``deal``)."""
    qs = (
        payments_visible(user)
        .filter(deal__in=_deals(user, get).values("pk"))
        .select_related("deal__counterparty")
        .prefetch_related("deal__results")
    )
    deal = id_param(get.get("deal"))
    if deal:
        qs = qs.filter(deal_id=deal)
    return columns_rows(
        qs.order_by("-received_on", "-id"),
        [
            ("id", lambda p: p.pk),
            ("deal", lambda p: p.deal_id),
            ("deal_title", lambda p: str(p.deal)),
            ("received_on", lambda p: p.received_on),
            ("amount_cny", lambda p: p.amount_cny),
            ("note", lambda p: p.note),
        ],
        user,
    )


@register_export("notices", gettext_lazy("Public notices"), signed_in=False)
def _notices(user: Any, get: QueryDict) -> Rows:
    """The public notices (公示) running today, as the public notice page lists them (anyone)."""
    return columns_rows(
        running_notices().order_by("-starts_on", "-id"),
        [
            ("id", lambda n: n.pk),
            ("deal_title", lambda n: str(n.deal)),
            ("starts_on", lambda n: n.starts_on),
            ("ends_on", lambda n: n.ends_on),
            ("price_cny", lambda n: n.price_cny),
            ("text_zh", lambda n: n.text_zh),
            ("text_en", lambda n: n.text_en),
        ],
        user,
    )


@register_export("agreements", gettext_lazy("Agreements"))
def _agreements(user: Any, get: QueryDict) -> Rows:
    """The agreements of the agreement list (TTO managers all, others those their organisation is a
    party to), with the page's columns (the notes are not shown there, so not here either)."""
    qs = (
        agreements_visible(user)
        .prefetch_related("parties", "shares__organisation")
        .order_by("-signed_on", "-id")
    )
    return columns_rows(
        qs,
        [
            ("id", lambda a: a.pk),
            ("title", lambda a: a.title),
            ("kind", lambda a: a.kind),
            ("parties", lambda a: sorted(_org(p) for p in a.parties.all())),
            ("signed_on", lambda a: a.signed_on),
            ("expires_on", lambda a: a.expires_on),
            (
                "shares",
                lambda a: [
                    f"{_org(s.organisation)} {s.share.normalize():f}%"
                    for s in sorted(a.shares.all(), key=lambda s: s.pk)
                ],
            ),
        ],
        user,
    )


@register_export("evaluations", gettext_lazy("Evaluations"))
def _evaluations(user: Any, get: QueryDict) -> Rows:
    qs = _with_status(rounds_visible(user), ReviewRoundStatusChoices, get)
    # the reviewers are never named here (the report numbers them; blind rounds hide them)
    return columns_rows(
        qs.order_by("-opened_at", "-id"),
        [
            ("id", lambda r: r.pk),
            ("result", lambda r: r.result_id),
            ("result_title_zh", lambda r: r.result.title_zh),
            ("result_title_en", lambda r: r.result.title_en),
            ("rubric", lambda r: f"{r.rubric.key} v{r.rubric.version}"),
            ("purpose", lambda r: r.purpose),
            ("status", lambda r: r.status),
            ("blind", lambda r: "yes" if r.is_blind else "no"),
            ("opened_at", lambda r: r.opened_at),
            ("deadline", lambda r: r.deadline),
            ("finalised_at", lambda r: r.finalised_at),
            ("recommendation", lambda r: r.recommendation),
            ("overall_score", lambda r: r.overall_score),
            ("trl_assessed", lambda r: r.trl_assessed),
            ("transfer_modes", lambda r: r.transfer_modes),
        ],
        user,
    )


def _option_terms(option: Any) -> str:
    money = [
        ("upfront", option.upfront_fee_cny),
        ("royalty_rate", option.royalty_rate),
        ("price", option.price_cny),
        ("valuation", option.valuation_cny),
        ("share_percent", option.equity_share_percent),
        ("registered_capital", option.registered_capital_cny),
        ("budget", option.budget_cny),
    ]
    terms = ", ".join(f"{k} {v}" for k, v in money if v is not None)
    return f"{option.mode}" + (f" ({terms})" if terms else "")


@register_export("plans", gettext_lazy("Transfer plans"))
def _plans(user: Any, get: QueryDict) -> Rows:
    qs = _with_status(
        plans_visible(user).select_related("result").prefetch_related("options"),
        TransferPlanStatusChoices,
        get,
    )
    return columns_rows(
        qs.order_by("-created_at", "-id"),
        [
            ("id", lambda p: p.pk),
            ("result", lambda p: p.result_id),
            ("result_title_zh", lambda p: p.result.title_zh),
            ("result_title_en", lambda p: p.result.title_en),
            ("transfer_mode", lambda p: p.transfer_mode),
            ("status", lambda p: p.status),
            ("options", lambda p: [_option_terms(o) for o in p.options.all()]),
            ("summary_zh", lambda p: p.summary_zh),
            ("summary_en", lambda p: p.summary_en),
            ("created_at", lambda p: p.created_at),
            ("submitted_at", lambda p: p.submitted_at),
            ("approved_at", lambda p: p.approved_at),
        ],
        user,
    )


@register_export("pledges", gettext_lazy("IP pledge loans"))
def _pledges(user: Any, get: QueryDict) -> Rows:
    """The IP pledge loans of the pledge list (TTO staff; anyone else: none)."""
    return columns_rows(
        pledge_loans(user).order_by("-created_at", "-id"),
        [
            ("id", lambda p: p.pk),
            ("result", lambda p: p.result_id),
            ("result_title_zh", lambda p: p.result.title_zh),
            ("result_title_en", lambda p: p.result.title_en),
            ("lender", lambda p: _org(p.lender)),
            (
                "patents",
                lambda p: sorted(a.ip_asset.application_number for a in p.pledged_assets.all()),
            ),
            ("amount_cny", lambda p: p.amount_cny),
            ("max_ltv", lambda p: p.max_ltv),
            ("valuation_cny", lambda p: p.valuation.concluded_value_cny),
            ("term_months", lambda p: p.term_months),
            ("annual_rate", lambda p: p.annual_rate),
            ("registration_number", lambda p: p.registration_number),
            ("registration_date", lambda p: p.registration_date),
            ("status", lambda p: p.status),
        ],
        user,
    )


@register_export("rooms", gettext_lazy("Deal rooms"))
def _rooms(user: Any, get: QueryDict) -> Rows:
    """The deal rooms of the room list (TTO staff every room, an investor the open rooms they are
    invited to): the room and its result's field and TRL, as the list shows them."""
    return columns_rows(
        deal_rooms_for(user).order_by("-created_at", "-id"),
        [
            ("id", lambda r: r.pk),
            ("title", lambda r: r.title),
            ("field", lambda r: r.result.field),
            ("trl", lambda r: r.result.trl),
        ],
        user,
    )


@register_export("subsidy-applications", gettext_lazy("Subsidy applications"))
def _applications(user: Any, get: QueryDict) -> Rows:
    qs = _with_status(applications_visible(user), ApplicationStatusChoices, get)
    return columns_rows(
        qs.order_by("-created_at", "-id"),
        [
            ("id", lambda a: a.pk),
            ("programme", lambda a: a.programme.code),
            ("year", lambda a: a.year),
            ("applicant", lambda a: _org(a.applicant)),
            ("project_title_zh", lambda a: a.project_title_zh),
            ("project_title_en", lambda a: a.project_title_en),
            ("requested_cny", lambda a: a.requested_cny),
            ("eligible_costs_cny", lambda a: a.eligible_costs_cny),
            ("approved_cny", lambda a: a.approved_cny),
            ("status", lambda a: a.status),
            ("submitted_at", lambda a: a.submitted_at),
            ("recognition_number", lambda a: a.recognition_number),
        ],
        user,
    )


@register_export("subsidy-programmes", gettext_lazy("Subsidy programmes"), signed_in=False)
def _programmes(user: Any, get: QueryDict) -> Rows:
    return columns_rows(
        programmes_visible(user).order_by("-window_opens", "code"),
        [
            ("id", lambda p: p.pk),
            ("code", lambda p: p.code),
            ("kind", lambda p: p.kind),
            ("name_zh", lambda p: p.name_zh),
            ("name_en", lambda p: p.name_en),
            ("legal_basis_zh", lambda p: p.legal_basis_zh),
            ("cap_per_project_cny", lambda p: p.cap_per_project_cny),
            ("eligible_share_cap", lambda p: p.eligible_share_cap),
            ("window_opens", lambda p: p.window_opens),
            ("window_closes", lambda p: p.window_closes),
            ("active", lambda p: "yes" if p.is_active else "no"),
        ],
        user,
    )
