"""Proof-of-concept pages: the programmes a site configures, the projects (list, page), and each
step as a POST. Rules live in the services and ``permissions.py``: a project the viewer may not
see answers 404, an action on one they see but may not take 403 before the form is read (the
service asks the same grant); money forms are written once per form key (ADR 0011)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.action_views import object_action
from opentto.core.audit import audit_record
from opentto.core.http import id_param
from opentto.core.permissions import allows, permitted, users_permitted
from opentto.results.models import Result

from . import services
from .forms import (
    CommitForm,
    MilestoneDoneForm,
    MilestoneForm,
    ProgrammeForm,
    ProjectForm,
    ReviewOpenForm,
    SpendForm,
    StopForm,
)
from .models import PocMilestone, PocProgramme, PocProject, PocStatusChoices
from .selectors import evidence_visible, programmes_visible, project_page, projects_visible


def _errors_to_form(form: Any, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def project_list_view(request: AuthedHttpRequest) -> HttpResponse:
    if not permitted(request.user, PocProject, "view"):
        raise Http404
    projects = projects_visible(request.user)
    status = request.GET.get("status", "")
    if status in PocStatusChoices.values:
        projects = projects.filter(status=status)
    may_propose = permitted(request.user, PocProject, "add")
    candidates = (
        Result.objects.restrict(request.user, "view")
        .filter(stage__in=services.START_STAGES)
        .order_by("title_zh")
        if may_propose
        else None
    )
    chosen = id_param(request.GET.get("result"))
    if may_propose and chosen is not None:
        return redirect("poc:create", pk=chosen)
    return render(
        request,
        "poc/project_list.html",
        {
            "projects": projects,
            "status": status,
            "statuses": PocStatusChoices.choices,
            "candidates": candidates,
        },
    )


@login_required
def programme_list_view(request: AuthedHttpRequest) -> HttpResponse:
    if not permitted(request.user, PocProgramme, "view"):
        raise Http404
    may_add = permitted(request.user, PocProgramme, "add")
    form = ProgrammeForm(request.POST if request.method == "POST" else None) if may_add else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only TTO managers configure proof-of-concept programmes."))
        if form.is_valid():
            try:
                services.programme_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
            else:
                messages.success(request, _("The programme was saved."))
                return redirect("poc:programmes")
    return render(
        request,
        "poc/programme_list.html",
        {"programmes": programmes_visible(request.user), "form": form},
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


@login_required
def project_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(Result.objects.restrict(request.user, "view"), pk=pk)
    if not permitted(request.user, PocProject, "add"):
        raise PermissionDenied(_("Only TTO managers propose proof-of-concept projects."))
    form = ProjectForm(
        request.POST if request.method == "POST" else None,
        leads=users_permitted(PocProject, "view").order_by("last_name", "username"),
        initial={"title_zh": result.title_zh, "title_en": result.title_en},
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(
                result=result, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(
                request,
                _(
                    "The proof-of-concept project was proposed: commit its budget and plan its milestones."
                ),
            )
            return redirect("poc:detail", pk=project.pk)
    return render(
        request,
        "poc/project_form.html",
        {"form": form, "result": result},
        status=400 if form.is_bound and form.errors else 200,
    )


def _detail_context(
    request: AuthedHttpRequest, project: PocProject, **bound: Any
) -> dict[str, Any]:
    page = project_page(request.user, project)
    ctx: dict[str, Any] = {**page}
    if page["may_manage"]:
        ctx.update(
            commit_form=CommitForm(programmes=programmes_visible(request.user)),
            spend_form=SpendForm(lines=page["lines"]),
            milestone_form=MilestoneForm(),
            done_form=MilestoneDoneForm(),
            review_form=ReviewOpenForm(),
            stop_form=StopForm(),
        )
    ctx.update(bound)
    return ctx


@login_required
def project_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(projects_visible(request.user), pk=pk)
    return render(request, "poc/project_detail.html", _detail_context(request, project))


def _action(
    form_cls: Callable[..., Any] | None,
    call: Callable[[PocProject, Any, Any], Any],
    success: str,
    *,
    confirm_as: str = "",
    form_kwargs: Callable[[HttpRequest, PocProject], dict[str, Any]] | None = None,
) -> Callable[..., HttpResponse]:
    """A POST on a project (``opentto.core.action_views.object_action``): 404 if the viewer may not
    see it, 403 if they may not manage it, then the form, then the service once per form key.
    ``confirm_as`` names the form shown again, with a confirmation, when the service holds an
    identical entry back."""
    return object_action(
        get_object=lambda request, pk: get_object_or_404(projects_visible(request.user), pk=pk),
        may=lambda user, project: allows(user, project, "manage"),
        form_class=form_cls,
        form_kwargs=form_kwargs,
        files=True,
        call=lambda project, form, user: call(
            project, form.cleaned_data if form is not None else {}, user
        ),
        success=success,
        back=lambda request, project: redirect("poc:detail", pk=project.pk),
        confirm_as=confirm_as,
        redisplay=lambda request, project, bound: render(
            request, "poc/project_detail.html", _detail_context(request, project, **bound)
        ),
    )


def _line(project: PocProject, pk: int) -> Any:
    line = project.budget_lines.filter(pk=pk).first()
    if line is None:
        raise ValidationError({"line": [_("Choose one of the project's sources.")]})
    return line


commit_view = _action(
    CommitForm,
    lambda p, d, u: services.budget_commit(project=p, actor=u, **d),
    gettext_noop("The commitment was recorded."),
    form_kwargs=lambda r, p: {"programmes": programmes_visible(r.user)},
)
spend_view = _action(
    SpendForm,
    lambda p, d, u: services.spending_record(
        line=_line(p, d["line"]),
        amount_cny=d["amount_cny"],
        spent_on=d["spent_on"],
        description=d["description"],
        confirm_duplicate=d["confirm_duplicate"],
        actor=u,
    ),
    gettext_noop("The spending was recorded."),
    confirm_as="spend_form",
    form_kwargs=lambda r, p: {"lines": p.budget_lines.all()},
)
milestone_view = _action(
    MilestoneForm,
    lambda p, d, u: services.milestone_add(project=p, actor=u, **d),
    gettext_noop("The milestone was added."),
)
review_view = _action(
    ReviewOpenForm,
    lambda p, d, u: services.project_open_review(
        project=p,
        rubric=d["rubric"],
        deadline=d["deadline"],
        reviewers=list(d["reviewers"]),
        min_reviews=d["min_reviews"],
        actor=u,
    ),
    gettext_noop("The go/no-go review round was opened."),
)
stop_view = _action(
    StopForm,
    lambda p, d, u: services.project_stop(project=p, actor=u, **d),
    gettext_noop("The project was stopped."),
)
TRANSITIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "start": (services.project_start, gettext_noop("The project is running.")),
    "resume": (services.project_resume, gettext_noop("The project is running again.")),
    "conclude": (
        services.project_conclude,
        gettext_noop("The project was concluded from its go/no-go review."),
    ),
}


@login_required
@require_POST
def transition_view(request: AuthedHttpRequest, pk: int, verb: str) -> HttpResponse:
    if verb not in TRANSITIONS:
        raise Http404
    call, success = TRANSITIONS[verb]
    return _action(None, lambda p, d, u: call(project=p, actor=u), success)(request, pk=pk)


@login_required
@require_POST
def milestone_done_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    milestone = get_object_or_404(
        PocMilestone.objects.restrict(request.user, "view").select_related("project"), pk=pk
    )
    if not allows(request.user, milestone.project, "manage"):
        raise PermissionDenied
    form = MilestoneDoneForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.milestone_complete(
                milestone=milestone,
                done_on=d["done_on"],
                note=d["note"],
                evidence=[d["evidence"]],
                actor=request.user,
            )
            messages.success(request, _("The milestone was recorded as done, with its evidence."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
    else:
        for field, errors in form.errors.items():
            text = " ".join(str(e) for e in errors)
            messages.error(
                request, f"{form.fields[field].label}: {text}" if field in form.fields else text
            )
    return redirect("poc:detail", pk=milestone.project_id)


@login_required
def evidence_download_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    evidence = get_object_or_404(evidence_visible(request.user), pk=pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit_record(actor=request.user, action="poc.evidence_download", obj=evidence)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
