"""Demand pages: list, post/edit, detail with timeline, matches (ranked results and teams with
explanations), feedback, contact, the match records and targeted R&D projects. Views parse input
and call services and selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.cache import cached_query
from opentto.core.http import float_param, id_param, int_param, is_htmx
from opentto.core.permissions import allows
from opentto.organisations.models import Organisation
from opentto.results.models import Result, ResultFieldChoices, ResultKindChoices

from .forms import MATCH_FILTER_TRL, DemandForm, MatchDealForm, ProjectForm
from .models import (
    DEMAND_TRANSITIONS,
    PROJECT_TRANSITIONS,
    DemandStatusChoices,
    FeedbackVerdictChoices,
    JudgementReasonChoices,
    MatchStatusChoices,
    ProjectStatusChoices,
)
from .selectors import (
    demand_capabilities,
    demand_list,
    demand_matches,
    demands_permitted,
    demands_visible,
    events_of_demand,
    events_of_match,
    match_deal,
    match_transitions,
    matches_visible,
    may_filter_mine,
    may_post_demands,
    milestones_visible,
    project_list,
    project_members,
    projects_visible,
)
from .services import (
    demand_create,
    demand_transition,
    demand_update,
    feedback_record,
    match_contact,
    match_deal_create,
    match_transition,
    milestone_complete,
    project_create,
    project_transition,
)

PAGE_SIZE = 20
#: What the buttons say (the status labels are states, the buttons are actions). Spelled
#: ``gettext_lazy``: makemessages does not know an alias such as ``_lazy`` and left these out.
DEMAND_VERBS: dict[str, Any] = {
    DemandStatusChoices.OPEN: gettext_lazy("Publish"),
    DemandStatusChoices.CLOSED_MET: gettext_lazy("Close: need met"),
    DemandStatusChoices.CLOSED_NOT_MET: gettext_lazy("Close: not met"),
    DemandStatusChoices.WITHDRAWN: gettext_lazy("Withdraw"),
}
#: A demand taken back to open after it was matched is reopened, not published.
REOPEN_VERB = gettext_lazy("Reopen")


def _demand_verb(demand: Any, target: str) -> Any:
    if target == DemandStatusChoices.OPEN and demand.status != DemandStatusChoices.DRAFT:
        return REOPEN_VERB
    return DEMAND_VERBS.get(target, DemandStatusChoices(target).label)


def _apply(form: Any, exc: ValidationError) -> None:
    for key, errors in exc.message_dict.items():
        for message in errors:
            form.add_error(key if key in form.fields else None, message)


@login_required
def demand_list_view(request: AuthedHttpRequest) -> HttpResponse:
    params: dict[str, Any] = {
        "q": request.GET.get("q", "").strip()[:200],
        "status": request.GET.get("status", "")
        if request.GET.get("status") in DemandStatusChoices.values
        else "",
        "field": request.GET.get("field", "")
        if request.GET.get("field") in ResultFieldChoices.values
        else "",
        "mine": request.GET.get("mine") == "1",
    }
    qs = demand_list(
        request.user,
        q=params["q"],
        status=params["status"],
        field_=params["field"],
        mine=params["mine"],
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "page": page,
        "params": params,
        "querystring": querystring.urlencode(),
        "statuses": DemandStatusChoices.choices,
        "fields": ResultFieldChoices.choices,
        "can_post": may_post_demands(request.user),
        "can_filter_mine": may_filter_mine(request.user),
    }
    template = (
        "demands/partials/demand_table.html" if is_htmx(request) else "demands/demand_list.html"
    )
    return render(request, template, context)


def _demand_form_view(request: AuthedHttpRequest, demand: Any) -> HttpResponse:
    if request.method == "POST":
        form = DemandForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                if demand is None:
                    saved = demand_create(
                        data=form.to_input(), actor=request.user, publish="publish" in request.POST
                    )
                    messages.success(
                        request,
                        _("The demand was published.")
                        if saved.status == DemandStatusChoices.OPEN
                        else _("The demand was saved as a draft."),
                    )
                else:
                    saved = demand_update(demand=demand, data=form.to_input(), actor=request.user)
                    messages.success(request, _("The demand was saved."))
                return redirect("demands:detail", pk=saved.pk)
            except ValidationError as exc:
                _apply(form, exc)
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
        return render(
            request, "demands/demand_form.html", {"form": form, "demand": demand}, status=422
        )
    initial = DemandForm.initial_from(demand) if demand is not None else {}
    form = DemandForm(user=request.user, initial=initial)
    return render(request, "demands/demand_form.html", {"form": form, "demand": demand})


@login_required
def demand_create_view(request: AuthedHttpRequest) -> HttpResponse:
    if not may_post_demands(request.user):
        raise PermissionDenied
    return _demand_form_view(request, None)


@login_required
def demand_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    demand = get_object_or_404(demands_permitted(request.user, "change"), pk=pk)
    return _demand_form_view(request, demand)


@login_required
def demand_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    demand = get_object_or_404(demands_visible(request.user), pk=pk)
    can = demand_capabilities(request.user, demand)
    context = {
        "demand": demand,
        **can,
        "transitions": [
            (t, _demand_verb(demand, t))
            for t in DEMAND_TRANSITIONS[demand.status]
            if t not in {DemandStatusChoices.MATCHED, DemandStatusChoices.NEGOTIATING}
        ]
        if can["can_change"]
        else [],
        "events": events_of_demand(request.user, demand),
        "matches": matches_visible(request.user).filter(demand=demand),
        "projects": projects_visible(request.user).filter(demand=demand),
    }
    return render(request, "demands/demand_detail.html", context)


@login_required
@require_POST
def demand_transition_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    demand = get_object_or_404(demands_permitted(request.user, "change"), pk=pk)
    target = request.POST.get("target", "")
    try:
        demand_transition(
            demand=demand, target=target, actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(
            request,
            _("The demand is now “%(status)s”.") % {"status": DemandStatusChoices(target).label},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    response = redirect("demands:detail", pk=pk)
    response.status_code = 303
    return response


@login_required
def demand_matches_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    demand = get_object_or_404(demands_permitted(request.user, "match"), pk=pk)
    filters: dict[str, Any] = {
        "field": request.GET.get("field", "")
        if request.GET.get("field") in ResultFieldChoices.values
        else "",
        "kind": request.GET.get("kind", "")
        if request.GET.get("kind") in ResultKindChoices.values
        else "",
        "trl_min": int_param(request.GET.get("trl_min"), low=1, high=9),
        "owner": id_param(request.GET.get("owner")),
        "licensable": request.GET.get("licensable") == "1",
        "show_dismissed": request.GET.get("dismissed") == "1",
    }
    top = 30 if request.GET.get("n") == "30" else 10
    found = demand_matches(request.user, demand, filters=filters, top=top)
    owners_qs = (
        Organisation.objects.restrict(request.user, "view")
        .filter(ownerships__result__in=Result.objects.restrict(request.user, "view").values("pk"))
        .distinct()
    )
    # the owner filter's choices: a join over every visible result, cached per query and data version
    owners = (
        cached_query(owners_qs, "owners", lambda: list(owners_qs)) if not is_htmx(request) else []
    )
    context = {
        "demand": demand,
        "found": found,
        "filters": filters,
        "fields": ResultFieldChoices.choices,
        "kinds": ResultKindChoices.choices,
        "trls": MATCH_FILTER_TRL,
        "owners": owners,
        "verdicts": FeedbackVerdictChoices,
        "top": top,
        "reasons": JudgementReasonChoices.choices,
        # the scores and their parts; without it each result is explained in a sentence
        "view_scores": allows(request.user, demand, "view_scores"),
    }
    template = (
        "demands/partials/match_results.html" if is_htmx(request) else "demands/demand_matches.html"
    )
    return render(request, template, context)


def _back_to_matches(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    target = request.POST.get("next", "")
    response = redirect(
        target if target.startswith("/") and not target.startswith("//") else f"{_matches_url(pk)}"
    )
    response.status_code = 303
    return response


def _matches_url(pk: int) -> str:
    from django.urls import reverse

    return reverse("demands:matches", args=[pk])


@login_required
@require_POST
def demand_feedback_view(request: AuthedHttpRequest, pk: int, result_pk: int) -> HttpResponse:
    demand = get_object_or_404(demands_permitted(request.user, "match"), pk=pk)
    result = get_object_or_404(Result.objects.restrict(request.user, "view"), pk=result_pk)
    verdict = request.POST.get("verdict", "")
    reason = (
        request.POST.get("reason", "") if verdict == FeedbackVerdictChoices.NOT_RELEVANT else ""
    )
    if verdict not in {"", *FeedbackVerdictChoices.values} or reason not in {
        "",
        *JudgementReasonChoices.values,
    }:
        messages.error(request, _("Unknown judgement."))
        return _back_to_matches(request, pk)
    score_value = float_param(request.POST.get("score"), low=-1e6, high=1e6)
    rank = int_param(request.POST.get("rank"), low=1, high=100_000)
    mode = request.POST.get("mode", "")[:8]
    feedback_record(
        demand=demand,
        result=result,
        verdict=verdict,
        actor=request.user,
        rank=rank,
        score=score_value,
        mode=mode,
        reason=reason,
    )
    status = ""
    if verdict == FeedbackVerdictChoices.NOT_RELEVANT:
        status = _("“%(title)s” was marked not relevant; it is hidden from this list.") % {
            "title": result.title
        }
    elif verdict == FeedbackVerdictChoices.SHORTLISTED:
        status = _("“%(title)s” was shortlisted.") % {"title": result.title}
    if is_htmx(request):  # the card's buttons, in their new state (no page reload)
        card = {
            "result": result,
            "verdict": verdict,
            "rank": rank,
            "score": score_value if score_value is not None else "",
            "match": matches_visible(request.user).filter(demand=demand, result=result).first(),
        }
        target = request.POST.get("next", "")
        return render(
            request,
            "demands/partials/match_actions.html",
            {
                "m": card,
                "demand": demand,
                "mode": mode,
                "reasons": JudgementReasonChoices.choices,
                "status": status or _("Judgement withdrawn."),
                "next_url": target
                if target.startswith("/") and not target.startswith("//")
                else _matches_url(pk),
            },
        )
    if status:
        messages.success(request, status)
    return _back_to_matches(request, pk)


@login_required
@require_POST
def demand_contact_view(request: AuthedHttpRequest, pk: int, result_pk: int) -> HttpResponse:
    demand = get_object_or_404(demands_permitted(request.user, "match"), pk=pk)
    result = get_object_or_404(Result.objects.restrict(request.user, "view"), pk=result_pk)
    score = float_param(request.POST.get("score"), low=-1e6, high=1e6)
    try:
        match = match_contact(
            demand=demand,
            result=result,
            actor=request.user,
            message=request.POST.get("message", "")[:2000],
            score=score,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_matches(request, pk)
    messages.success(
        request,
        _("The TTO will put you in touch with the owners of “%(title)s”.")
        % {"title": result.title},
    )
    return redirect("demands:match", pk=match.pk)


@login_required
def match_list_view(request: AuthedHttpRequest) -> HttpResponse:
    status = (
        request.GET.get("status", "")
        if request.GET.get("status") in MatchStatusChoices.values
        else ""
    )
    qs = matches_visible(request.user)
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "demands/match_list.html",
        {
            "page": page,
            "status": status,
            "statuses": MatchStatusChoices.choices,
            "querystring": f"status={status}" if status else "",
        },
    )


@login_required
def match_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    match = get_object_or_404(matches_visible(request.user), pk=pk)
    may_make_deal = match.status == MatchStatusChoices.NEGOTIATING and allows(
        request.user, match, "make_deal"
    )
    context = {
        **_match_context(request, match),
        "transitions": [
            (t, MatchStatusChoices(t).label) for t in match_transitions(request.user, match)
        ],
        "deal_form": MatchDealForm(initial={"title": match.result.title})
        if may_make_deal
        else None,
    }
    return render(request, "demands/match_detail.html", context)


def _match_context(request: AuthedHttpRequest, match: Any) -> dict[str, Any]:
    """What the match page shows of its neighbours: the deal and the timeline, read for the user."""
    return {
        "match": match,
        "deal": match_deal(request.user, match),
        "events": events_of_match(request.user, match),
    }


@login_required
@require_POST
def match_transition_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    match = get_object_or_404(matches_visible(request.user), pk=pk)
    target = request.POST.get("target", "")
    try:
        match_transition(
            match=match, target=target, actor=request.user, note=request.POST.get("note", "")[:2000]
        )
        messages.success(
            request,
            _("The match is now “%(status)s”.") % {"status": MatchStatusChoices(target).label},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    response = redirect("demands:match", pk=pk)
    response.status_code = 303
    return response


@login_required
@require_POST
def match_deal_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    match = get_object_or_404(matches_visible(request.user), pk=pk)
    if not allows(request.user, match, "make_deal"):
        raise PermissionDenied
    form = MatchDealForm(request.POST)
    if form.is_valid():
        try:
            deal = match_deal_create(match=match, actor=request.user, **form.cleaned_data)
            messages.success(
                request,
                _("The deal “%(title)s” was created; it is listed on the result's page.")
                % {"title": str(deal)},
            )
            return redirect("demands:match", pk=pk)
        except ValidationError as exc:
            _apply(form, exc)
    context = {**_match_context(request, match), "transitions": [], "deal_form": form}
    return render(request, "demands/match_detail.html", context, status=422)


@login_required
def project_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    demand = get_object_or_404(demands_permitted(request.user, "commission"), pk=pk)
    if request.method == "POST":
        form = ProjectForm(request.POST, user=request.user)
        if form.is_valid():
            data, rows = form.to_input()
            try:
                project = project_create(demand=demand, data=data, actor=request.user)
                messages.success(request, _("The targeted R&D project was created."))
                return redirect("demands:project", pk=project.pk)
            except ValidationError as exc:
                for key, errs in exc.message_dict.items():
                    for message in errs:
                        if key.startswith("milestones-"):
                            _p, i, name = key.split("-", 2)
                            row = rows[int(i)]
                            field = {
                                "title_zh": f"m{row}_title",
                                "due_on": f"m{row}_due",
                                "amount_cny": f"m{row}_amount",
                            }.get(name)
                            form.add_error(field, message)
                        else:
                            form.add_error(key if key in form.fields else None, message)
        return render(
            request, "demands/project_form.html", {"form": form, "demand": demand}, status=422
        )
    form = ProjectForm(
        user=request.user, initial={"title_zh": demand.title_zh, "title_en": demand.title_en}
    )
    return render(request, "demands/project_form.html", {"form": form, "demand": demand})


@login_required
def project_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """The targeted R&D projects the user may see: the TTO's all, an enterprise's those it
    commissioned, a research organisation's those its team works on."""
    status = (
        request.GET.get("status", "")
        if request.GET.get("status") in ProjectStatusChoices.values
        else ""
    )
    page = Paginator(project_list(request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "demands/project_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ProjectStatusChoices.choices,
            "querystring": f"status={status}" if status else "",
        },
    )


@login_required
def project_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible(request.user), pk=pk)
    can_change = allows(request.user, project, "change")
    context = {
        "project": project,
        "milestones": milestones_visible(request.user).filter(project=project),
        "members": project_members(request.user, project),
        # the research team works on the project, not on the demand: a confidential demand stays the enterprise's
        "demand_visible": demands_visible(request.user).filter(pk=project.demand_id).exists(),
        "transitions": [
            (t, ProjectStatusChoices(t).label) for t in PROJECT_TRANSITIONS[project.status]
        ]
        if can_change
        else [],
        "can_change": can_change,
    }
    return render(request, "demands/project_detail.html", context)


@login_required
@require_POST
def project_transition_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible(request.user), pk=pk)
    try:
        project_transition(
            project=project, target=request.POST.get("target", ""), actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    response = redirect("demands:project", pk=pk)
    response.status_code = 303
    return response


@login_required
@require_POST
def milestone_done_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(milestones_visible(request.user), pk=pk)
    try:
        done_on = parse_date(request.POST.get("done_on", "") or "")
    except ValueError:  # well formed but not a date (2025-02-30)
        done_on = None
    try:
        milestone_complete(milestone=milestone, done_on=done_on, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    response = redirect("demands:project", pk=milestone.project_id)
    response.status_code = 303
    return response
