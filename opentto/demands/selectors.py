"""Reads for demands, matches and targeted R&D projects. Each takes the user and reads through
the grants of :mod:`opentto.demands.permissions` (``Model.objects.restrict(user, action)``): who
sees and acts on what is decided there, not here.
"""

from __future__ import annotations

import contextlib
import functools
import html
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BigIntegerField, Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, When
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from opentto.core.cache import cache_forget, cached_ids, cached_value
from opentto.core.i18n import text_language
from opentto.core.permissions import allows, permitted
from opentto.landing.models import Deal
from opentto.matching import Explanation, Hit
from opentto.matching.engine import translation_off
from opentto.organisations.models import Organisation, OrganisationKindChoices, Person
from opentto.results.models import Result, ResultStageChoices
from opentto.search import index

from . import ranking
from .explain import (
    ScorePart,
    close_in_meaning,
    fit_sentence,
    result_context,
    score_parts,
    shown_score,
)
from .models import (
    LIVE_DEMAND_STATUSES,
    MATCH_TRANSITIONS,
    Demand,
    DemandEvent,
    DemandStatusChoices,
    FeedbackVerdictChoices,
    Match,
    MatchEvent,
    MatchFeedback,
    MatchStatusChoices,
    ProjectMilestone,
    ProjectStatusChoices,
    TargetedProject,
)

#: A result is "available for licence" unless it is withdrawn or declined, or a counted deal of
#: one of these types (exclusive licence, assignment) covers it.
EXCLUSIVE_DEAL_TYPES = ("licence_exclusive", "assignment")
COUNTED_DEAL_STATUSES = ("signed", "in_force", "completed")


def demands_visible(user: Any) -> QuerySet[Demand]:
    """The demands ``user`` may see (``demands.demand``: view)."""
    return demands_permitted(user, "view")


def demands_permitted(user: Any, action: str) -> QuerySet[Demand]:
    """The demands ``user`` may ``action``: ``change`` (edit, move), ``match`` (the matches page,
    feedback, contact), ``commission`` (targeted R&D)."""
    return Demand.objects.restrict(user, action).select_related("organisation")


def demand_capabilities(user: Any, demand: Demand) -> dict[str, bool]:
    """What ``user`` may do with ``demand`` (for the page's buttons): ``can_change``, ``can_match``,
    ``can_commission``."""
    return {
        f"can_{action}": allows(user, demand, action)
        for action in ("change", "match", "commission")
    }


def demand_list(
    user: Any, *, q: str = "", status: str = "", field_: str = "", mine: bool = False
) -> QuerySet[Demand]:
    """The demand list (and its export and API): with ``mine``, only the demands the user may change."""
    qs = demands_permitted(user, "change") if mine else demands_visible(user)
    if status in DemandStatusChoices.values:
        qs = qs.filter(status=status)
    if field_:
        qs = qs.filter(field=field_)
    q = q.strip()
    if q:
        try:
            allowed = index.ids_of(qs)
            hits = index.search_demands(q, allowed_ids=allowed, top=500, mode="lexical").hits
            floor = hits[0].score * 0.25 if hits else 0
            qs = qs.filter(pk__in=[int(h.id) for h in hits if h.score >= floor])
        except index.IndexBuilding:
            for term in q.split():
                qs = qs.filter(
                    Q(title_zh__icontains=term)
                    | Q(title_en__icontains=term)
                    | Q(problem_zh__icontains=term)
                    | Q(problem_en__icontains=term)
                )
    return qs


def may_filter_mine(user: Any) -> bool:
    """Whether the "my organisation's" filter means something: the user may change some demands
    but not every one."""
    return permitted(user, Demand, "change") and not permitted(
        user, Demand, "change", every_row=True
    )


def may_post_demands(user: Any) -> bool:
    """Whether ``user`` may post a demand at all (for some organisation)."""
    return permitted(user, Organisation, "post_demand")


def demand_organisations(user: Any) -> QuerySet[Organisation]:
    """The enterprises ``user`` may post a demand for."""
    return Organisation.objects.restrict(user, "post_demand").filter(
        kind=OrganisationKindChoices.ENTERPRISE
    )


def matches_visible(user: Any) -> QuerySet[Match]:
    """The matches ``user`` may see (``demands.match``: view; never a result or a demand they may
    not see). ``visible_deal_id``: the deal made from the match when the user may see it, else
    ``None`` (read it, not ``deal_id``)."""
    deals = Deal.objects.restrict(user, "view").filter(pk=OuterRef("deal_id"))
    return (
        Match.objects.restrict(user, "view")
        .select_related("organisation", "result", "demand")
        .annotate(
            visible_deal_id=Case(
                When(Exists(deals), then=F("deal_id")), default=None, output_field=BigIntegerField()
            )
        )
    )


def match_deal(user: Any, match: Match) -> Deal | None:
    """The deal made from ``match``, when ``user`` may see it."""
    if match.deal_id is None:
        return None
    return Deal.objects.restrict(user, "view").filter(pk=match.deal_id).first()


def match_transitions(user: Any, match: Match) -> list[str]:
    """The moves ``user`` may make on ``match`` now: contacted and declined need ``change``, NDA and
    negotiating ``negotiate``; a deal is made through the deal form (``make_deal``)."""
    return [
        e.target
        for e in MATCH_TRANSITIONS.allowed(match, user, guards=False)
        if e.target != MatchStatusChoices.DEAL
    ]


def events_of_demand(user: Any, demand: Demand) -> QuerySet[DemandEvent]:
    return DemandEvent.objects.restrict(user, "view").filter(demand=demand).select_related("actor")


def events_of_match(user: Any, match: Match) -> QuerySet[MatchEvent]:
    return MatchEvent.objects.restrict(user, "view").filter(match=match).select_related("actor")


def projects_visible(user: Any) -> QuerySet[TargetedProject]:
    """The targeted R&D projects ``user`` may see (``demands.targetedproject``: view)."""
    return TargetedProject.objects.restrict(user, "view").select_related(
        "demand", "demand__organisation", "research_organisation", "lead"
    )


def milestones_visible(user: Any) -> QuerySet[ProjectMilestone]:
    """Milestones of the projects ``user`` may see."""
    return ProjectMilestone.objects.restrict(user, "view")


def project_list(user: Any, *, status: str = "") -> QuerySet[TargetedProject]:
    """The project list (and its export): the projects the user may see, newest first, with their
    milestones; ``status`` narrows it when it is one of the statuses."""
    qs = projects_visible(user).prefetch_related(
        Prefetch("milestones", queryset=milestones_visible(user))
    )
    return qs.filter(status=status) if status in ProjectStatusChoices.values else qs


def project_members(user: Any, project: TargetedProject) -> QuerySet[Person]:
    return Person.objects.restrict(user, "view").filter(targeted_projects=project)


# -- explanations ----------------------------------------------------------------------------
def highlight(text: str, forms: Iterable[str]) -> SafeString:
    """``text`` HTML-escaped, with every occurrence of ``forms`` wrapped in ``<mark>``."""
    # single characters (多, 到) would light up half a Chinese text: they are listed, not marked
    wanted = sorted({f for f in forms if f and len(f.strip()) > 1}, key=len, reverse=True)
    if not wanted:
        return mark_safe(html.escape(text))  # noqa: S308 - escaped
    pattern = re.compile("|".join(re.escape(f) for f in wanted), re.IGNORECASE)
    # html.escape, not Django's escape: the same text, without a lazy-string check per piece
    # (a long passage has hundreds of pieces)
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped


_QUOTE_PIECES = re.compile(r"(\n| … )")


#: the bilingual fields whose texts the engine compares (opentto.search.index)
_QUOTED_FIELDS = ("title", "abstract", "advantages", "applications", "details", "problem")


def _field_languages(*records: Any) -> dict[str, list[str]]:
    """The texts of ``records``' bilingual fields by the language they are written in."""
    out: dict[str, list[str]] = {"zh-Hans": [], "en": []}
    for record in records:
        for name in _QUOTED_FIELDS:
            for suffix, lang in (("_zh", "zh-Hans"), ("_en", "en")):
                value = getattr(record, name + suffix, "") if record is not None else ""
                if isinstance(value, str) and value.strip():
                    out[lang].append(value)
    return out


def _text_lang(text: str, languages: dict[str, list[str]] | None = None) -> str:
    """The language of a quoted piece: that of the field it comes from, else by its script."""
    piece = text.strip()
    for within in (False, True):  # the whole field first, then a line or sentence of one
        for lang, values in (languages or {}).items():
            if piece and any(
                (piece in value) if within else (piece == value.strip()) for value in values
            ):
                return lang
    return text_language(text)


def quoted(
    text: str, forms: Iterable[str], languages: dict[str, list[str]] | None = None
) -> SafeString:
    """``text`` (the texts the engine compared: a record's fields in both languages, one a line, or
    a snippet's sentences joined by " … ") highlighted as :func:`highlight` does, each line or
    sentence inside ``<span lang>`` of the language it is written in (the field's it comes from,
    ``languages``; else by its script): quoted data, read (and checked) as such on a page of
    either language."""
    forms = list(forms)
    pieces = _QUOTE_PIECES.split(text)
    return format_html_join(
        "",
        "{}",
        (
            (
                piece
                if piece in {"\n", " … "}
                else format_html(
                    '<span lang="{}">{}</span>',
                    _text_lang(piece, languages),
                    highlight(piece, forms),
                ),
            )
            for piece in pieces
            if piece
        ),
    )


_SENTENCE = re.compile(r"(?<=[。！？；!?;])|(?<=\.)\s+|\n+")


def snippet(passage: str, forms: Iterable[str], *, sentences: int = 2, limit: int = 320) -> str:
    """The sentences of ``passage`` holding the most matched forms (in their order), cut to ``limit``."""
    parts = [p.strip() for p in _SENTENCE.split(passage) if p and p.strip()]
    if not parts:
        return ""
    wanted = sorted({f.lower() for f in forms if f and len(f.strip()) > 1}, key=len, reverse=True)
    if wanted:
        pattern = re.compile("|".join(re.escape(f) for f in wanted), re.IGNORECASE)
        counts = [len(pattern.findall(p)) for p in parts]
    else:
        counts = [0] * len(parts)
    scored = sorted(range(len(parts)), key=lambda i: (-counts[i], i))
    chosen = sorted(scored[:sentences])
    text = " … ".join(parts[i] for i in chosen)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class ResultMatch:
    result: Result
    rank: int
    score: float
    lexical: float
    dense: float
    terms: list[tuple[str, str, float, bool]]  # (query form, result form, share, translated)
    demand_html: SafeString
    passage_html: SafeString
    snippet_html: SafeString
    verdict: str = ""
    match: Match | None = None
    #: why it fits, in a sentence of the page's language (no numbers: what an enterprise reads)
    sentence: str = ""
    #: the score to two decimals, and its parts (shown to who may ``view_scores``): they add up
    score_shown: str = ""
    parts: list[ScorePart] = field(default_factory=list)
    #: the learned ranker's score and each feature's part of it, largest first (who may ``view_scores``)
    learned: float | None = None
    contributions: list[tuple[str, str, float]] = field(
        default_factory=list
    )  # (feature, label, value)


@dataclass
class TeamMatch:
    person: Person
    organisation: Organisation | None
    score: float
    relevance: float
    recency: float
    landed: int
    results: list[Result] = field(default_factory=list)


@dataclass
class DemandMatches:
    results: list[ResultMatch]
    teams: list[TeamMatch]
    mode: str
    embedded: int
    total: int
    building: bool = False
    #: the learned ranker that ordered the results (none: today's fusion)
    ranker_version: int | None = None


def _distinct_terms(terms: Sequence[Any]) -> list[tuple[str, str, float, bool]]:
    seen: dict[tuple[str, str], tuple[str, str, float, bool]] = {}
    for t in terms:
        key = (t.query_form.lower(), t.doc_form.lower())
        if key in seen:
            q, d, score, translated = seen[key]
            seen[key] = (q, d, score + t.score, translated and t.translated)
        else:
            seen[key] = (t.query_form, t.doc_form, t.score, t.translated)
    return sorted(seen.values(), key=lambda x: -x[2])


def _explained(
    hit: Hit, demand_text: str, rank: int, result: Result, demand: Any = None
) -> ResultMatch:
    languages = _field_languages(result, demand)
    why: Explanation | None = hit.explanation
    terms = [t for t in (why.terms if why else ()) if len(t.term) > 1 or t.term.isascii()]
    doc_forms = [t.doc_form for t in terms] + [t.term for t in terms]
    distinct = _distinct_terms(terms)[:12]
    return ResultMatch(
        result=result,
        rank=rank,
        score=hit.score,
        lexical=hit.lexical,
        dense=hit.dense,
        terms=distinct,
        sentence=fit_sentence(
            distinct,
            close_in_meaning=close_in_meaning(hit),
            context=demand_text + "\n" + result_context(result),
            html=True,
        ),
        score_shown=shown_score(hit.score),
        parts=score_parts(hit, distinct),
        demand_html=quoted(
            demand_text, [t.query_form for t in terms] + [t.term for t in terms], languages
        ),
        passage_html=quoted(why.best_passage if why else "", doc_forms, languages),
        snippet_html=quoted(
            snippet(why.best_passage if why else "", doc_forms), doc_forms, languages
        ),
    )


def _filtered_results(user: Any, filters: dict[str, Any]) -> QuerySet[Result]:
    qs = Result.objects.restrict(user, "view").exclude(stage__in=[ResultStageChoices.WITHDRAWN])
    if filters.get("field"):
        qs = qs.filter(field=filters["field"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("trl_min"):
        qs = qs.filter(trl__gte=filters["trl_min"])
    if filters.get("owner"):
        qs = qs.filter(
            pk__in=Result.objects.filter(ownerships__organisation_id=filters["owner"]).values("pk")
        )
    if filters.get("licensable"):
        qs = qs.exclude(stage=ResultStageChoices.DECLINED).exclude(
            pk__in=Deal.objects.filter(
                deal_type__in=EXCLUSIVE_DEAL_TYPES, status__in=COUNTED_DEAL_STATUSES
            ).values("results")
        )
    return qs


#: team score = relevance × (0.6 + 0.4 × recency) + 0.15 × min(landed, 3), where relevance sums
#: 1/(1 + rank) over the person's matched results, recency is 0.5^(age in years / 3) of their
#: newest matched result, and landed counts their visible results in stage "landed".
TEAM_RECENCY_HALF_LIFE_YEARS = 3.0
TEAM_LANDED_WEIGHT = 0.15


def rank_teams(user: Any, ranked: Sequence[Result], *, top: int = 10) -> list[TeamMatch]:
    now = timezone.now()
    teams: dict[int, TeamMatch] = {}
    by_result = {r.pk: r for r in ranked}
    from opentto.results.models import ResultInventor

    people = Person.objects.restrict(user, "view").values("pk")
    rows = ResultInventor.objects.filter(
        result_id__in=list(by_result), person__in=people
    ).select_related("person")
    rank_of = {r.pk: i for i, r in enumerate(ranked)}
    for row in rows:
        result = by_result[row.result_id]
        team = teams.get(row.person_id)
        if team is None:
            team = teams[row.person_id] = TeamMatch(row.person, None, 0.0, 0.0, 0.0, 0)
        team.relevance += 1.0 / (1 + rank_of[row.result_id])
        age_years = max(0.0, (now - result.onboarded_at).days / 365.25)
        team.recency = max(team.recency, math.pow(0.5, age_years / TEAM_RECENCY_HALF_LIFE_YEARS))
        team.results.append(result)
    if not teams:
        return []
    visible = Result.objects.restrict(user, "view")
    landed: dict[int, int] = {}
    for person_id in ResultInventor.objects.filter(
        person_id__in=list(teams),
        result__in=visible.filter(stage=ResultStageChoices.LANDED).values("pk"),
    ).values_list("person_id", flat=True):
        landed[person_id] = landed.get(person_id, 0) + 1
    from opentto.organisations.models import Membership

    orgs: dict[int, Organisation] = {}
    for m in (
        Membership.objects.restrict(user, "view")
        .filter(person_id__in=list(teams))
        .select_related("organisation")
        .order_by("id")
    ):
        orgs.setdefault(m.person_id, m.organisation)
    for person_id, team in teams.items():
        team.landed = landed.get(person_id, 0)
        team.organisation = orgs.get(person_id)
        team.score = team.relevance * (0.6 + 0.4 * team.recency) + TEAM_LANDED_WEIGHT * min(
            team.landed, 3
        )
    return sorted(teams.values(), key=lambda t: (-t.score, t.person.pk))[:top]


def demand_matches(
    user: Any, demand: Demand, *, filters: dict[str, Any] | None = None, top: int = 20
) -> DemandMatches:
    """Ranked results (only those the user may see, filtered before the cut) and ranked teams.

    The ranking, its explanations and the teams are a function of the demand's version, the
    results the viewer may see (the candidates' SQL: permission scope and filters), the people and
    memberships they may see, the results marked not relevant and the page's language: computed
    once per such key and figures version (replaced on commit by the result and demand services),
    then read from the cache (``opentto.core.cache.cached_value``). The verdicts and the matches
    made are read afresh."""
    from opentto.organisations.models import Membership

    filters = filters or {}
    candidates = _filtered_results(user, filters).values(
        "pk"
    )  # every visible result's id: from the cache
    feedback = {
        f.result_id: f.verdict
        for f in MatchFeedback.objects.restrict(user, "view").filter(demand=demand)
    }
    dismissed = {str(pk) for pk, v in feedback.items() if v == FeedbackVerdictChoices.NOT_RELEVANT}
    hide = dismissed if dismissed and not filters.get("show_dismissed") else set()
    building = [False]
    version = ranking.active_version()  # a trained ranker re-orders the fusion's best

    def ranked() -> DemandMatches:
        allowed = cached_ids(candidates, "result-ids", functools.partial(index.ids_of, candidates))
        if hide:
            allowed = allowed - hide  # a new set (the index masks it afresh)
        text = demand.match_text()
        learning = version is not None
        try:
            outcome = index.search_results(
                text,
                allowed_ids=allowed,
                top=max(top, ranking.RERANK_DEPTH) if learning else top,
                explain=True,
            )
        except index.IndexBuilding:
            building[0] = True
            return DemandMatches([], [], "lexical", 0, 0, building=True)
        results = Result.objects.restrict(user, "view").in_bulk([int(h.id) for h in outcome.hits])
        reranked = ranking.rerank(outcome.hits, demand, results, outcome.mode) if learning else None
        hits = reranked.hits[:top] if reranked is not None else outcome.hits
        out = []
        for i, hit in enumerate(hits):
            result = results.get(int(hit.id))
            if result is None:
                continue
            rm = _explained(hit, text, i + 1, result, demand)
            if reranked is not None and hit.id in reranked.learned:
                rm.learned = reranked.learned[hit.id]
                rm.contributions = [
                    (name, ranking.feature_label(name), value)
                    for name, value in reranked.contributions[hit.id]
                ]
            out.append(rm)
        teams = rank_teams(user, [r.result for r in out])
        return DemandMatches(
            out,
            teams,
            outcome.mode,
            outcome.embedded,
            outcome.total,
            ranker_version=reranked.version if reranked is not None else None,
        )

    key = (
        candidates,
        Person.objects.restrict(user, "view").values("pk"),
        Membership.objects.restrict(user, "view").values("pk"),
        demand.pk,
        demand.updated_at.isoformat(),
        tuple(sorted(hide)),
        top,
        get_language(),
        version.pk if version is not None else None,
    )
    found = cached_value("demand-matches", key, ranked)
    if building[0]:
        cache_forget("demand-matches", key)
    if found.results:
        matches = {m.result_id: m for m in matches_visible(user).filter(demand=demand)}
        for rm in found.results:
            rm.verdict = feedback.get(rm.result.pk, "")
            rm.match = matches.get(rm.result.pk)
    return found


@dataclass
class DemandFit:
    demand: Demand
    score: float
    rank: int


@dataclass
class ResultDemands:
    demands: list[DemandFit]
    enterprises: list[Organisation]
    matches: list[Match]


def result_demands(user: Any, result: Result, *, top: int = 5) -> ResultDemands:
    """Who needs this result: the live demands the user may see that fit it, their enterprises and
    the matches already made.

    A demand fits when each is among the other's best: the demand among the best ``2 × top``
    demands for the result's text, and the result among the ``index.FIT_TOP`` best of all results
    for the demand's text (so a long result text sharing a few common words is not enough). The
    second half reads the demand's stored fit profile (its query terms and best scores) and
    scores this one result: no search of the results at page time.

    The fitting demands' ids are a function of the result's text and the live demands the viewer
    may see: computed once per permission scope (the SQL of those demands), result version and
    figures version (which the demand and result services replace on commit), then read from the
    cache (``opentto.core.cache.cached_value``); the demands' rows and the matches are read afresh."""
    live = demands_visible(user).filter(status__in=LIVE_DEMAND_STATUSES).values("pk")
    complete = [True]

    def fitting() -> list[tuple[int, float, int]]:
        # the same frozenset per scope while the data version holds: the index reuses its mask
        allowed = cached_ids(live, "demand-ids", functools.partial(index.ids_of, live))
        text = index.result_document(result).body
        out: list[tuple[int, float, int]] = []
        # A result written in both languages reaches Chinese and English demands with its own words.
        bilingual = bool(
            (result.title_zh or result.abstract_zh).strip()
            and (result.title_en or result.abstract_en).strip()
        )
        try:
            with translation_off() if bilingual else contextlib.nullcontext():
                hits = (
                    index.search_demands(text, allowed_ids=allowed, top=2 * top).hits
                    if allowed
                    else []
                )
        except index.IndexBuilding:
            complete[0] = False
            return []
        found = Demand.objects.in_bulk([int(h.id) for h in hits])  # among the allowed ids
        candidates = [found[int(h.id)] for h in hits if int(h.id) in found]
        score_of = {h.id: h.score for h in hits}
        left_out: list[int] = []
        for demand, rank in index.result_fits(result.pk, candidates, left_out=left_out):
            out.append((demand.pk, score_of[str(demand.pk)], rank))
            if len(out) == top:
                break
        if left_out:  # profiles still being computed: not a value to keep
            complete[0] = False
        return out

    key = (live, result.pk, result.updated_at.isoformat(), top)
    ids = cached_value("result-fits", key, fitting)
    if not complete[0]:
        cache_forget("result-fits", key)
    rows = demands_visible(user).in_bulk([pk for pk, _score, _rank in ids])
    fits = [DemandFit(rows[pk], score, rank) for pk, score, rank in ids if pk in rows]
    matches = list(matches_visible(user).filter(result=result))
    enterprises: dict[int, Organisation] = {}
    for f in fits:
        enterprises.setdefault(f.demand.organisation_id, f.demand.organisation)
    for m in matches:
        enterprises.setdefault(m.organisation_id, m.organisation)
    return ResultDemands(fits, list(enterprises.values()), matches)


def dashboard_counts(user: Any) -> dict[str, int]:
    visible = demands_visible(user)
    return {
        "open": visible.filter(status__in=LIVE_DEMAND_STATUSES).count(),
        "mine": demands_permitted(user, "change").filter(status__in=LIVE_DEMAND_STATUSES).count()
        if may_filter_mine(user)
        else 0,
        "matches_active": matches_visible(user).exclude(status__in=["deal", "declined"]).count(),
        "deals": matches_visible(user).filter(status="deal").count(),
        "projects": projects_visible(user).count(),
    }
