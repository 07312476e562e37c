"""Writes for demands (需求), matches, relevance feedback and targeted R&D projects (定向研发).

Each validates first (``ValidationError`` keyed by field), then writes in one transaction with an
audit event; status changes lock the row, check the transition table and record an event. Side
effects (indexing, notifications) are queued on commit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.cache import figures_changed
from opentto.core.money import to_yuan, yuan_field
from opentto.core.permissions import allows, users_permitted
from opentto.core.transitions import Edge, TransitionError, transition
from opentto.landing.models import Deal
from opentto.notifications.models import Notification
from opentto.notifications.services import notification_send
from opentto.organisations.models import Organisation, OrganisationKindChoices, Person
from opentto.results.models import Result, ResultFieldChoices, ResultStageChoices
from opentto.search import index
from opentto.search.enqueue import enqueue_demand_index

from .models import (
    DEMAND_TRANSITIONS,
    MATCH_TRANSITIONS,
    PROJECT_TRANSITIONS,
    Demand,
    DemandCooperationChoices,
    DemandEvent,
    DemandStatusChoices,
    FeedbackVerdictChoices,
    JudgementKindChoices,
    JudgementLabelChoices,
    JudgementReasonChoices,
    Match,
    MatchEvent,
    MatchFeedback,
    MatchJudgement,
    MatchSourceChoices,
    MatchStatusChoices,
    ProjectMilestone,
    ProjectStatusChoices,
    TargetedProject,
)
from .permissions import may_express_interest, may_post_for
from .selectors import may_post_demands


def _yuan_or_none(value: Any, key: str, errors: dict[str, list[str]]) -> Decimal | None:
    return yuan_field(
        value, key, errors, required=False, invalid=_("Enter an amount in yuan, e.g. 500000.00.")
    )


# -- demands --------------------------------------------------------------------------------
@dataclass
class DemandInput:
    organisation: Organisation | None
    title_zh: str = ""
    title_en: str = ""
    problem_zh: str = ""
    problem_en: str = ""
    field: str = ""
    cooperation: Sequence[str] = ()
    budget_min_cny: Decimal | str | None = None
    budget_max_cny: Decimal | str | None = None
    deadline: date | None = None
    is_public: bool = False


def _check_author(actor: User, organisation: Organisation | None) -> None:
    """``post_demand`` on the demand's organisation (asked after the data is validated, so a demand
    for a university is told it must be for an enterprise)."""
    if not may_post_for(actor, organisation):
        raise PermissionError(
            _("Only enterprise users (for their own organisation) and TTO managers post demands.")
        )


def _recipients(users: Any, *checks: tuple[Any, str]) -> list[User]:
    """Those of ``users`` who may do each ``(object, action)`` of ``checks``: a message never names
    what its reader may not see."""
    return [u for u in users if all(allows(u, obj, action) for obj, action in checks)]


def _validate_demand(data: DemandInput, *, creating: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    title_zh, title_en = data.title_zh.strip(), data.title_en.strip()
    problem_zh, problem_en = data.problem_zh.strip(), data.problem_en.strip()
    if not title_zh and not title_en:
        add("title_zh", _("Give the title in Chinese, in English, or both."))
    if not problem_zh and not problem_en:
        add("problem_zh", _("Describe the technical problem in Chinese, in English, or both."))
    if data.organisation is None:
        add("organisation", _("Choose the enterprise."))
    elif data.organisation.kind != OrganisationKindChoices.ENTERPRISE:
        add("organisation", _("A demand is posted for an enterprise."))
    if data.field and data.field not in ResultFieldChoices.values:
        add("field", _("Choose the field."))
    cooperation = list(dict.fromkeys(data.cooperation))
    if not cooperation:
        add("cooperation", _("Choose at least one kind of cooperation."))
    elif any(c not in DemandCooperationChoices.values for c in cooperation):
        add("cooperation", _("Choose the kinds of cooperation from the list."))
    low = _yuan_or_none(data.budget_min_cny, "budget_min_cny", errors)
    high = _yuan_or_none(data.budget_max_cny, "budget_max_cny", errors)
    if low is not None and high is not None and high < low:
        add("budget_max_cny", _("The upper end of the budget cannot be below the lower end."))
    if creating and data.deadline is not None and data.deadline < timezone.localdate():
        add("deadline", _("The deadline cannot be in the past."))
    if errors:
        raise ValidationError(errors)
    return {
        "organisation": data.organisation,
        "title_zh": title_zh,
        "title_en": title_en,
        "problem_zh": problem_zh,
        "problem_en": problem_en,
        "field": data.field,
        "cooperation": cooperation,
        "budget_min_cny": low,
        "budget_max_cny": high,
        "deadline": data.deadline,
        "is_public": data.is_public,
    }


def demand_create(*, data: DemandInput, actor: User, publish: bool = False) -> Demand:
    """Post a demand, as a draft or (``publish``) open at once."""
    if not may_post_demands(actor):
        raise PermissionError(
            _("Only enterprise users (for their own organisation) and TTO managers post demands.")
        )
    values = _validate_demand(data, creating=True)
    _check_author(actor, data.organisation)
    with transaction.atomic():
        demand = Demand(**values, created_by=actor)
        demand.full_clean()
        demand.save()
        DemandEvent.objects.create(
            demand=demand, from_status="", to_status=DemandStatusChoices.DRAFT, actor=actor
        )
        audit_record(
            actor=actor,
            action="demand.create",
            obj=demand,
            payload={"title_zh": demand.title_zh, "title_en": demand.title_en},
        )
        transaction.on_commit(lambda: enqueue_demand_index(demand.pk))
        figures_changed()  # cached id sets of live demands (opentto.core.cache.cached_ids)
    if publish:
        demand = demand_transition(demand=demand, target=DemandStatusChoices.OPEN, actor=actor)
    return demand


def demand_update(*, demand: Demand, data: DemandInput, actor: User) -> Demand:
    if not allows(actor, demand, "change"):
        raise PermissionError(_("You may not change this demand."))
    if demand.status in {
        DemandStatusChoices.CLOSED_MET,
        DemandStatusChoices.CLOSED_NOT_MET,
        DemandStatusChoices.WITHDRAWN,
    }:
        raise ValidationError({"status": [_("A closed demand cannot be changed.")]})
    values = _validate_demand(data, creating=False)
    _check_author(actor, data.organisation)
    with transaction.atomic():
        locked = Demand.objects.select_for_update().get(pk=demand.pk)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        audit_record(
            actor=actor,
            action="demand.update",
            obj=locked,
            payload={"title_zh": locked.title_zh, "title_en": locked.title_en},
        )
        transaction.on_commit(lambda: enqueue_demand_index(locked.pk))
        figures_changed()  # visibility may change (public / confidential)
    return locked


def demand_transition(
    *, demand: Demand, target: str, actor: User | None, reason: str = "", system: bool = False
) -> Demand:
    """Move a demand along ``DEMAND_TRANSITIONS``. ``system`` moves (a match made) need no actor rights."""
    reason = reason.strip()

    def record(row: Demand, source: str, edge: Edge) -> None:
        DemandEvent.record(row, source=source, target=target, actor=actor, note=reason)

    def index(row: Demand, source: str) -> None:
        enqueue_demand_index(
            row.pk,
            notify=source == DemandStatusChoices.DRAFT and target == DemandStatusChoices.OPEN,
        )

    locked = transition(
        obj=demand,
        target=target,
        actor=actor,
        table=DEMAND_TRANSITIONS,
        system=system,
        reason=reason,
        fields={"status_changed_at": timezone.now()},
        event=record,
        audit_action="demand.transition",
        audit_payload=lambda row, source: {"from": source, "to": target, "reason": reason},
        on_commit=[index, lambda row, source: figures_changed()],  # live demands changed
    )
    return locked


# -- strong matches → notifications (targeted transfer) ------------------------------------------
#: A result matches a demand *strongly* when it is among the best ``STRONG_MATCH_TOP`` results and
#: - in hybrid mode, its fused score is at least ``STRONG_MATCH_MIN_FUSED`` (z-units: the dense
#:   similarity stands that many standard deviations above the corpus mean, plus 0.35 × the lexical
#:   z-score), or
#: - in lexical mode, it covers at least ``STRONG_MATCH_MIN_COVERAGE`` of the demand's distinct
#:   terms (after segmentation and stemming; synonyms and translations count for the query words
#:   they come from), and at least ``STRONG_MATCH_RELATIVE`` of the best hit's coverage.
#: Measured on the demo (12 live demands × top 3, lexical): 0.4 / 0.8 keeps 19 of 36 pairs; 18 on topic.
STRONG_MATCH_TOP = 3
STRONG_MATCH_MIN_FUSED = 2.5
STRONG_MATCH_MIN_COVERAGE = 0.4
#: ... and, in lexical mode, at least this share of the best hit's coverage.
STRONG_MATCH_RELATIVE = 0.8


def demand_strong_matches(*, demand: Demand) -> list[tuple[Result, float]]:
    candidates = Result.objects.exclude(
        stage__in=[ResultStageChoices.WITHDRAWN, ResultStageChoices.DECLINED]
    )
    text = demand.match_text()
    try:
        outcome = index.search_results(
            text, allowed_ids=index.ids_of(candidates), top=STRONG_MATCH_TOP, explain=True
        )
    except index.IndexBuilding:
        return []
    if not outcome.hits:
        return []
    strong: list[tuple[str, float]] = []
    if outcome.mode == "hybrid":
        strong = [(h.id, h.score) for h in outcome.hits if h.score >= STRONG_MATCH_MIN_FUSED]
    else:
        analyzer = index.tier("results-lex").engine.analyzer
        wanted = set(analyzer.analyze(text))
        for h in outcome.hits:
            covered: set[str] = set()
            for t in h.explanation.terms if h.explanation else ():
                covered |= set(analyzer.analyze(t.query_form)) & wanted
            coverage = len(covered) / (len(wanted) or 1)
            if coverage >= STRONG_MATCH_MIN_COVERAGE:
                strong.append((h.id, coverage))
        best = max((c for _i, c in strong), default=0.0)
        strong = [(i, c) for i, c in strong if c >= STRONG_MATCH_RELATIVE * best]
    found = Result.objects.in_bulk([int(i) for i, _s in strong])
    return [(found[int(i)], s) for i, s in strong if int(i) in found]


def demand_notify_strong_matches(*, demand: Demand) -> list[Notification]:
    """Tell the followers of every demand (TTO managers) and, among the users of the result's owners,
    those who follow this demand (inventors: public demands), about each result the demand matches
    strongly. Each is told only of a demand and a result they may see."""
    sent: list[Notification] = []
    everyone = list(users_permitted(Demand, "follow", every_row=True))
    for result, _score in demand_strong_matches(demand=demand):
        managers = _recipients(everyone, (demand, "view"), (result, "view"))
        candidates = users_permitted(Demand, "follow").filter(
            organisation_id__in=result.ownerships.values("organisation_id")
        )
        owners = _recipients(
            candidates.exclude(pk__in=[u.pk for u in everyone]),
            (demand, "follow"),
            (demand, "view"),
            (result, "view"),
        )
        with override("zh-hans"):
            url_result = reverse("results:detail", args=[result.pk])
        with override("zh-hans"):
            url_demand = reverse("demands:matches", args=[demand.pk])
        title_zh = f"新需求与成果高度匹配：{demand.title_zh or demand.title_en}"
        title_en = f"A new demand matches a result strongly: {demand.title_en or demand.title_zh}"
        body_zh = f"{demand.organisation.name_zh or demand.organisation.name_en} 发布的需求与成果《{result.title_zh or result.title_en}》高度匹配。"
        body_en = f"The demand of {demand.organisation.name_en or demand.organisation.name_zh} matches the result “{result.title_en or result.title_zh}” strongly."
        sent += notification_send(
            recipients=managers,
            kind="demand.strong_match",
            title_zh=title_zh,
            title_en=title_en,
            body_zh=body_zh,
            body_en=body_en,
            url=url_demand,
        )
        if owners:
            sent += notification_send(
                recipients=owners,
                kind="demand.strong_match",
                title_zh=title_zh,
                title_en=title_en,
                body_zh=body_zh,
                body_en=body_en,
                url=url_result,
            )
    return sent


# -- feedback --------------------------------------------------------------------------------
def feedback_record(
    *,
    demand: Demand,
    result: Result,
    verdict: str,
    actor: User,
    rank: int | None = None,
    score: float | None = None,
    mode: str = "",
    reason: str = "",
) -> MatchFeedback | None:
    """Shortlist a suggested result (relevant) or mark it not relevant, with a ``reason`` from
    ``JudgementReasonChoices`` (``verdict=""`` clears the judgement). Each mark is also kept as a
    :class:`MatchJudgement` (the ranking learns from it); clearing removes the explicit marks of
    the pair."""
    if not allows(actor, demand, "match"):
        raise PermissionError(_("You may not act on this demand."))
    if not allows(actor, result, "view"):
        raise PermissionError(_("You may not see this result."))
    if verdict and verdict not in FeedbackVerdictChoices.values:
        raise ValidationError({"verdict": [_("Unknown judgement.")]})
    if reason and (
        verdict != FeedbackVerdictChoices.NOT_RELEVANT
        or reason not in JudgementReasonChoices.values
    ):
        raise ValidationError({"reason": [_("Choose the reason from the list.")]})
    with transaction.atomic():
        existing = (
            MatchFeedback.objects.select_for_update().filter(demand=demand, result=result).first()
        )
        if not verdict:
            if existing is not None:
                existing.delete()
            MatchJudgement.objects.filter(
                demand=demand, result=result, kind=JudgementKindChoices.EXPLICIT
            ).delete()
            audit_record(
                actor=actor,
                action="demand.feedback_clear",
                obj=demand,
                payload={"result": result.pk},
            )
            return None
        label = (
            JudgementLabelChoices.RELEVANT
            if verdict == FeedbackVerdictChoices.SHORTLISTED
            else JudgementLabelChoices.NOT_RELEVANT
        )
        _judge(
            demand,
            result,
            JudgementKindChoices.EXPLICIT,
            actor,
            label=label,
            reason=reason,
            rank=rank,
            score=score,
        )
        if existing is None:
            existing = MatchFeedback(demand=demand, result=result)
        existing.verdict = verdict
        existing.rank, existing.score, existing.mode = rank, _finite_score(score), mode[:8]
        existing.actor = actor
        existing.created_at = timezone.now()
        existing.save()
        audit_record(
            actor=actor,
            action="demand.feedback",
            obj=demand,
            payload={"result": result.pk, "verdict": verdict, "rank": rank, "reason": reason},
        )
    return existing


def _judge(
    demand: Demand | None,
    result: Result,
    kind: str,
    actor: User | None,
    *,
    label: str = JudgementLabelChoices.RELEVANT,
    reason: str = "",
    rank: int | None = None,
    score: float | None = None,
) -> MatchJudgement | None:
    """Keep one signal as a labelled pair (the callers are the services where it happens, which
    have checked the actor's rights); a match without a demand (showcase interest) is no pair."""
    if demand is None:
        return None
    return MatchJudgement.objects.create(
        demand=demand,
        result=result,
        kind=kind,
        label=label,
        reason=reason,
        rank=rank,
        score=_finite_score(score),
        actor=actor,
    )


def judgement_record_deal_signed(*, deal: Deal, actor: User) -> list[MatchJudgement]:
    """A deal was signed (``opentto.landing.services.deal_sign`` calls it through its hook): each
    match it was made from, for a demand, is a signed pair."""
    return [
        j
        for m in Match.objects.filter(deal=deal, demand__isnull=False).select_related(
            "demand", "result"
        )
        if (j := _judge(m.demand, m.result, JudgementKindChoices.SIGNED, actor)) is not None
    ]


# -- matches -----------------------------------------------------------------------------------
def _match_event(
    match: Match, source: str, target: str, actor: User | None, note: str = ""
) -> None:
    MatchEvent.objects.create(
        match=match, from_status=source, to_status=target, actor=actor, note=note
    )


def _finite_score(score: float | None) -> float | None:
    """A ranking score as stored: a finite number, or none (``nan`` and ``inf`` are not scores)."""
    return score if score is not None and math.isfinite(score) else None


def match_contact(
    *, demand: Demand, result: Result, actor: User, message: str = "", score: float | None = None
) -> Match:
    """Contact the owners of a suggested result: creates the match record (suggested → contacted);
    the demand moves from open to matched."""
    if not allows(actor, demand, "match"):
        raise PermissionError(_("You may not act on this demand."))
    if not allows(actor, result, "view"):
        raise PermissionError(_("You may not see this result."))
    if demand.status not in {
        DemandStatusChoices.OPEN,
        DemandStatusChoices.MATCHED,
        DemandStatusChoices.NEGOTIATING,
    }:
        raise ValidationError(
            {"demand": [_("Only an open demand can be matched: publish it first.")]}
        )
    with transaction.atomic():
        existing = Match.objects.select_for_update().filter(demand=demand, result=result).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                match = Match.objects.create(
                    organisation=demand.organisation,
                    demand=demand,
                    result=result,
                    status=MatchStatusChoices.CONTACTED,
                    # the enterprise's own user, or the TTO on its behalf
                    source=MatchSourceChoices.ENGINE
                    if actor.organisation_id == demand.organisation_id
                    else MatchSourceChoices.MANAGER,
                    score=_finite_score(score),
                    message=message.strip(),
                    created_by=actor,
                )
        except IntegrityError:
            return Match.objects.get(demand=demand, result=result)
        _match_event(match, "", MatchStatusChoices.SUGGESTED, actor)
        _match_event(
            match,
            MatchStatusChoices.SUGGESTED,
            MatchStatusChoices.CONTACTED,
            actor,
            message.strip(),
        )
        # the enterprise contacting the owners, or a TTO manager adding the result by hand
        _judge(
            demand,
            result,
            JudgementKindChoices.CONTACT
            if match.source == MatchSourceChoices.ENGINE
            else JudgementKindChoices.MANUAL,
            actor,
            score=score,
        )
        audit_record(
            actor=actor,
            action="match.contact",
            obj=match,
            payload={"demand": demand.pk, "result": result.pk},
        )
        # the stored status (the caller's copy may be older: another match may have moved it)
        if Demand.objects.filter(pk=demand.pk, status=DemandStatusChoices.OPEN).exists():
            demand_transition(
                demand=demand, target=DemandStatusChoices.MATCHED, actor=actor, system=True
            )
        _notify_match(match, actor)
    return match


def match_express_interest(*, result: Result, actor: User, message: str = "") -> Match:
    """An enterprise user's interest in a showcase result: a suggested match for the TTO to follow up."""
    if not may_express_interest(actor) or actor.organisation_id is None:
        raise PermissionError(_("Only signed-in enterprise users can express interest."))
    if not allows(actor, result, "view"):
        raise PermissionError(_("You may not see this result."))
    if len(message) > 2000:
        raise ValidationError({"message": [_("Keep the message under 2,000 characters.")]})
    with transaction.atomic():
        existing = (
            Match.objects.select_for_update()
            .filter(organisation_id=actor.organisation_id, demand__isnull=True, result=result)
            .first()
        )
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                match = Match.objects.create(
                    organisation_id=actor.organisation_id,
                    result=result,
                    status=MatchStatusChoices.SUGGESTED,
                    source=MatchSourceChoices.INTEREST,
                    message=message.strip(),
                    created_by=actor,
                )
        except IntegrityError:
            return Match.objects.get(
                organisation_id=actor.organisation_id, demand__isnull=True, result=result
            )
        _match_event(match, "", MatchStatusChoices.SUGGESTED, actor, message.strip())
        audit_record(actor=actor, action="match.interest", obj=match, payload={"result": result.pk})
        _notify_match(match, actor)
    return match


def _notify_match(match: Match, actor: User) -> None:
    with override("zh-hans"):
        url = reverse("demands:match", args=[match.pk])
    org = match.organisation
    result = match.result
    managers = _recipients(
        users_permitted(Match, "follow").exclude(pk=actor.pk), (match, "follow"), (match, "view")
    )
    notification_send(
        recipients=managers,
        kind="match.new",
        title_zh=f"{org.name_zh or org.name_en} 对成果《{result.title_zh or result.title_en}》感兴趣",
        title_en=f"{org.name_en or org.name_zh} is interested in “{result.title_en or result.title_zh}”",
        url=url,
    )


def match_transition(*, match: Match, target: str, actor: User, note: str = "") -> Match:
    """Move a match along ``MATCH_TRANSITIONS``; "deal" only through :func:`match_deal_create`.
    Contacted and declined need ``change`` on the match, NDA and negotiating ``negotiate``."""
    if not any(allows(actor, match, action) for action in ("change", "negotiate")):
        raise PermissionError(_("You may not change this match."))
    if target == MatchStatusChoices.DEAL:
        raise TransitionError(
            {"status": [_("A match becomes a deal when the deal is created from it.")]}
        )
    note = note.strip()
    with transaction.atomic():
        locked = transition(
            obj=match,
            target=target,
            actor=actor,
            table=MATCH_TRANSITIONS,
            reason=note,
            fields={"status_changed_at": timezone.now()},
            event=lambda row, source, edge: MatchEvent.record(
                row, source=source, target=target, actor=actor, note=note
            ),
            audit_action="match.transition",
            audit_payload=lambda row, source: {"from": source, "to": target, "note": note},
        )
        if target == MatchStatusChoices.NDA:
            _judge(locked.demand, locked.result, JudgementKindChoices.NDA, actor)
        if (
            target == MatchStatusChoices.NEGOTIATING
            and locked.demand is not None
            and locked.demand.status == DemandStatusChoices.MATCHED
        ):
            demand_transition(
                demand=locked.demand,
                target=DemandStatusChoices.NEGOTIATING,
                actor=actor,
                system=True,
            )
    return locked


def match_deal_create(
    *, match: Match, deal_type: str, amount_cny: Decimal | str, title: str = "", actor: User
) -> Deal:
    """Create the deal (landing) from a match in negotiation; the match becomes "deal"."""
    from opentto.landing.services import approved_plan_of, deal_create

    if not allows(actor, match, "make_deal"):
        raise PermissionError(_("Only TTO managers create deals."))
    with transaction.atomic():
        locked = Match.objects.select_for_update().get(pk=match.pk)
        if locked.status != MatchStatusChoices.NEGOTIATING:
            raise TransitionError({"status": [_("A deal is created from a match in negotiation.")]})
        deal = deal_create(
            results=[locked.result],
            counterparty=locked.organisation,
            deal_type=deal_type,
            amount_cny=amount_cny,
            title=title,
            actor=actor,
            plan=approved_plan_of(locked.result),
            match=locked,
        )
        source = locked.status
        locked.status = MatchStatusChoices.DEAL
        locked.deal = deal
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "deal", "status_changed_at"])
        _match_event(locked, source, MatchStatusChoices.DEAL, actor)
        _judge(locked.demand, locked.result, JudgementKindChoices.DEAL, actor)
        audit_record(actor=actor, action="match.deal", obj=locked, payload={"deal": deal.pk})
    return deal


# -- targeted R&D projects -----------------------------------------------------------------------
@dataclass
class MilestoneInput:
    title_zh: str = ""
    title_en: str = ""
    due_on: date | None = None
    amount_cny: Decimal | str = "0"


@dataclass
class ProjectInput:
    research_organisation: Organisation | None
    lead: Person | None
    title_zh: str = ""
    title_en: str = ""
    scope_zh: str = ""
    scope_en: str = ""
    budget_cny: Decimal | str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    members: Sequence[Person] = ()
    milestones: Sequence[MilestoneInput] = field(default_factory=list)


def project_create(*, demand: Demand, data: ProjectInput, actor: User) -> TargetedProject:
    """Spawn a targeted R&D project (定向研发) from a demand, with a chosen research team."""
    if not allows(actor, demand, "commission"):
        raise PermissionError(_("You may not act on this demand."))
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if demand.status in {
        DemandStatusChoices.DRAFT,
        DemandStatusChoices.CLOSED_NOT_MET,
        DemandStatusChoices.WITHDRAWN,
    }:
        add("demand", _("Targeted R&D is commissioned against an open demand."))
    if not data.title_zh.strip() and not data.title_en.strip():
        add("title_zh", _("Give the title in Chinese, in English, or both."))
    if not data.scope_zh.strip() and not data.scope_en.strip():
        add("scope_zh", _("Describe the scope of the work."))
    org = data.research_organisation
    if org is None:
        add("research_organisation", _("Choose the research organisation."))
    elif not org.is_research:
        add(
            "research_organisation",
            _("The team must belong to a university, institute or hospital."),
        )
    if data.lead is None:
        add("lead", _("Choose the team lead."))
    elif org is not None and not data.lead.memberships.filter(organisation=org).exists():
        add("lead", _("The team lead must be a member of the research organisation."))
    budget = _yuan_or_none(data.budget_cny, "budget_cny", errors)
    if budget is None and "budget_cny" not in errors:
        add("budget_cny", _("Give the budget in yuan."))
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        add("ends_on", _("The end cannot be before the start."))
    total = Decimal("0.00")
    for i, m in enumerate(data.milestones):
        if not m.title_zh.strip() and not m.title_en.strip():
            add(f"milestones-{i}-title_zh", _("Name the milestone."))
        if m.due_on is None:
            add(f"milestones-{i}-due_on", _("Give the due date."))
        amount = _yuan_or_none(m.amount_cny, f"milestones-{i}-amount_cny", errors)
        total += amount or Decimal("0.00")
    if budget is not None and total > budget:
        add(
            "milestones",
            _("The milestone payments add up to %(total)s yuan, more than the budget.")
            % {"total": total},
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        project = TargetedProject(
            demand=demand,
            research_organisation=org,
            lead=data.lead,
            title_zh=data.title_zh.strip(),
            title_en=data.title_en.strip(),
            scope_zh=data.scope_zh.strip(),
            scope_en=data.scope_en.strip(),
            budget_cny=budget or Decimal("0.00"),
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            created_by=actor,
        )
        project.full_clean()
        project.save()
        project.members.set([p for p in data.members if p.pk != data.lead.pk])  # type: ignore[union-attr]
        ProjectMilestone.objects.bulk_create(
            [
                ProjectMilestone(
                    project=project,
                    title_zh=m.title_zh.strip(),
                    title_en=m.title_en.strip(),
                    due_on=m.due_on or timezone.localdate(),
                    amount_cny=to_yuan(m.amount_cny or "0"),
                    position=i,
                )
                for i, m in enumerate(data.milestones)
            ]
        )
        audit_record(
            actor=actor,
            action="project.create",
            obj=project,
            payload={"demand": demand.pk, "budget_cny": budget},
        )
    return project


def project_transition(*, project: TargetedProject, target: str, actor: User) -> TargetedProject:
    return transition(
        obj=project,
        target=target,
        actor=actor,
        table=PROJECT_TRANSITIONS,
        fields={"status_changed_at": timezone.now()},
        audit_action="project.transition",
    )


def milestone_complete(
    *, milestone: ProjectMilestone, done_on: date | None, actor: User
) -> ProjectMilestone:
    """Record a milestone as done on ``done_on`` (``change`` on the milestone, i.e. on its project: the
    TTO; refused before the date is looked at)."""
    if not allows(actor, milestone, "change"):
        raise PermissionError(_("The TTO tracks targeted R&D projects."))
    if done_on is None:
        raise ValidationError({"done_on": [_("Give the date as YYYY-MM-DD.")]})
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": [_("The date cannot be in the future.")]})
    with transaction.atomic():
        locked = (
            ProjectMilestone.objects.select_for_update()
            .select_related("project")
            .get(pk=milestone.pk)
        )
        if locked.done_on is not None:
            raise ValidationError(
                {
                    "done_on": [
                        _("This milestone was already recorded as done on %(date)s.")
                        % {"date": locked.done_on.isoformat()}
                    ]
                }
            )
        if locked.project.status == ProjectStatusChoices.TERMINATED:
            raise ValidationError(
                {"done_on": [_("The project was terminated: its milestones stay as they are.")]}
            )
        locked.done_on = done_on
        locked.save(update_fields=["done_on"])
        audit_record(
            actor=actor,
            action="project.milestone_done",
            obj=locked.project,
            payload={"milestone": locked.pk, "done_on": done_on},
        )
    return locked
