"""Evaluation pages. Views parse input and call services and selectors; a round, review or result
the user may not see answers 404, an action on one they see but may not take answers 403 before the
form is read (the service asks the same grant)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.action_views import apply_errors, form_service_redirect
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.results.selectors import results_visible

from .forms import (
    AssignForm,
    CancelForm,
    DeadlineForm,
    DeclarationForm,
    EvaluationForm,
    FinaliseForm,
    InviteForm,
    NoteForm,
    ReopenForm,
    RoundOpenForm,
    RubricReviseForm,
)
from .models import (
    EvaluationSummary,
    ReviewAssignment,
    ReviewPurposeChoices,
    ReviewRound,
    Rubric,
    TransferModeChoices,
)
from .scoring import (
    criteria_in_use,
    opportunity_risk,
    profile_points,
    round_statistics,
    rubric_weight_shares,
)
from .selectors import (
    assignments_for_reviewer,
    evidence_visible,
    reviewers_available,
    round_statistics_for,
    rounds_managed,
    rounds_visible,
    rubrics_active,
)
from .services import (
    ScoreInput,
    evaluation_record,
    report_store,
    review_add_evidence,
    review_assign,
    review_declare,
    review_remove,
    review_save,
    reviewer_invite,
    round_accept_spread,
    round_cancel,
    round_change_deadline,
    round_finalise,
    round_open,
    round_reopen_criteria,
    rubric_revise,
)


def _remote(request: AuthedHttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


# --- the manager's override (posted from the result page) ---------------------------------------


@login_required
@require_POST
def evaluation_record_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(results_visible(request.user), pk=pk)
    if not permitted(request.user, EvaluationSummary, "add"):
        raise PermissionDenied(_("Only TTO managers record evaluations."))
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(
                request,
                f"{form.fields[field].label if field in form.fields else ''}: {' '.join(str(e) for e in errors)}",
            )
        return redirect("results:detail", pk=pk)
    try:
        evaluation_record(result=result, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The evaluation was recorded."))
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("results:detail", pk=pk)


# --- rounds -----------------------------------------------------------------------------------------


@login_required
def round_list_view(request: AuthedHttpRequest) -> HttpResponse:
    if not permitted(request.user, ReviewRound, "view") and permitted(
        request.user, ReviewAssignment, "view"
    ):
        return redirect("evaluation:my_reviews")  # a reviewer's work is their assignments
    status = request.GET.get("status", "")
    rounds = rounds_visible(request.user)
    if status:
        rounds = rounds.filter(status=status)
    from django.core.paginator import Paginator

    from .models import ReviewRoundStatusChoices

    page = Paginator(rounds, 25).get_page(request.GET.get("page"))
    managed = set(
        rounds_managed(request.user)
        .filter(pk__in=[r.pk for r in page])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "evaluation/round_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ReviewRoundStatusChoices.choices,
            "managed": managed,
        },
    )


@login_required
@require_POST
def round_open_view(request: AuthedHttpRequest, result_pk: int) -> HttpResponse:
    result = get_object_or_404(results_visible(request.user), pk=result_pk)
    if not permitted(request.user, ReviewRound, "add"):
        raise PermissionDenied(_("Only TTO managers run evaluations."))
    form = RoundOpenForm(request.POST)
    if form.is_valid():
        try:
            review_round = round_open(result=result, actor=request.user, **form.cleaned_data)
            messages.success(request, _("The review round is open. Now invite the reviewers."))
            return redirect("evaluation:round", pk=review_round.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(
            request,
            f"{label}: {' '.join(str(e) for e in errors)}"
            if label
            else " ".join(str(e) for e in errors),
        )
    return redirect("results:detail", pk=result.pk)


def _round_for_staff(request: AuthedHttpRequest, pk: int) -> ReviewRound:
    """The round to act on: 404 if the user may not see it, 403 if they may not run it."""
    review_round = get_object_or_404(rounds_visible(request.user), pk=pk)
    if not allows(request.user, review_round, "manage"):
        raise PermissionDenied(_("Only TTO managers run evaluations."))
    return review_round


def _round_page(
    request: AuthedHttpRequest, review_round: ReviewRound, status: int = 200, **forms: Any
) -> HttpResponse:
    stats = round_statistics(review_round)
    in_use = criteria_in_use(review_round)
    reopen_choices = [(c.key, c.title) for c, _w in in_use]
    initial_reopen = [c.criterion.key for c in stats.disagreements]
    final_initial: dict[str, Any] = {"trl_assessed": stats.trl_median}
    context = {
        "round": review_round,
        "result": review_round.result,
        "stats": stats,
        "assignments": review_round.assignments.select_related(
            "reviewer", "reviewer__organisation"
        ),
        "events": review_round.events.select_related("actor"),
        "assign_form": forms.get("assign_form")
        or AssignForm(reviewers=reviewers_available(review_round)),
        "invite_form": forms.get("invite_form") or InviteForm(),
        "reopen_form": forms.get("reopen_form")
        or ReopenForm(choices=reopen_choices, initial={"criteria": initial_reopen}),
        "accept_form": forms.get("accept_form") or NoteForm(),
        "finalise_form": forms.get("finalise_form") or FinaliseForm(initial=final_initial),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "deadline_form": forms.get("deadline_form")
        or DeadlineForm(initial={"deadline": review_round.deadline}),
        "chart": _chart_rows(stats),
        # The manager sees every reviewer's score per criterion, by name (blind or not).
        "individual": stats if stats.submitted_count else None,
        "show_names": True,
    }
    return render(request, "evaluation/round_detail.html", context, status=status)


@login_required
def round_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round = get_object_or_404(rounds_visible(request.user), pk=pk)
    if not allows(request.user, review_round, "manage"):
        return redirect("evaluation:report", pk=pk)
    return _round_page(request, review_round)


@login_required
@require_POST
def round_assign_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, pk)
    form = AssignForm(request.POST, reviewers=reviewers_available(review_round))
    return form_service_redirect(
        request,
        form,
        lambda d: review_assign(
            review_round=review_round, reviewer=d["reviewer"], actor=request.user
        ),
        success=lambda outcome: (
            _("%(name)s is invited.")
            % {"name": outcome.reviewer.get_full_name() or outcome.reviewer.username}
        ),
        success_url=reverse("evaluation:round", args=[pk]),
        invalid=lambda bound: _round_page(request, review_round, status=422, assign_form=bound),
    )


@login_required
@require_POST
def round_invite_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, pk)
    form = InviteForm(request.POST)
    return form_service_redirect(
        request,
        form,
        lambda d: reviewer_invite(
            review_round=review_round,
            actor=request.user,
            link_base=request.build_absolute_uri("/"),
            **d,
        ),
        success=lambda outcome: (
            _("The invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]}
        ),
        success_url=reverse("evaluation:round", args=[pk]),
        invalid=lambda bound: _round_page(request, review_round, status=422, invite_form=bound),
    )


@login_required
@require_POST
def round_remove_view(request: AuthedHttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, pk)
    assignment = get_object_or_404(review_round.assignments, pk=assignment_pk)
    try:
        review_remove(
            assignment=assignment, reason=request.POST.get("reason", ""), actor=request.user
        )
        messages.success(request, _("The reviewer was removed from the round."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("evaluation:round", pk=pk)


@login_required
@require_POST
def round_reopen_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, pk)
    choices = [(c.key, c.title) for c, _w in criteria_in_use(review_round)]
    form = ReopenForm(request.POST, choices=choices)
    return form_service_redirect(
        request,
        form,
        lambda d: round_reopen_criteria(
            review_round=review_round,
            criterion_keys=d["criteria"],
            note=d["note"],
            actor=request.user,
        ),
        success=_("The criteria are reopened; the reviewers were notified."),
        success_url=reverse("evaluation:round", args=[pk]),
        invalid=lambda bound: _round_page(request, review_round, status=422, reopen_form=bound),
    )


@login_required
@require_POST
def round_accept_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, pk)
    form = NoteForm(request.POST)
    return form_service_redirect(
        request,
        form,
        lambda d: round_accept_spread(
            review_round=review_round, note=d["note"], actor=request.user
        ),
        success=_("The spread is accepted; record the outcome."),
        success_url=reverse("evaluation:round", args=[pk]),
        invalid=lambda bound: _round_page(request, review_round, status=422, accept_form=bound),
    )


@login_required
@require_POST
def round_finalise_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, pk)
    form = FinaliseForm(request.POST)
    return form_service_redirect(
        request,
        form,
        lambda d: round_finalise(review_round=review_round, actor=request.user, **d),
        success=_("The evaluation is finalised and its report stored."),
        success_url=reverse("evaluation:report", args=[pk]),
        invalid=lambda bound: _round_page(request, review_round, status=422, finalise_form=bound),
    )


@login_required
@require_POST
def round_cancel_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, pk)
    form = CancelForm(request.POST)
    return form_service_redirect(
        request,
        form,
        lambda d: round_cancel(review_round=review_round, reason=d["reason"], actor=request.user),
        success=_("The review round is cancelled."),
        success_url=reverse("evaluation:round", args=[pk]),
        invalid=lambda bound: _round_page(request, review_round, status=422, cancel_form=bound),
    )


@login_required
@require_POST
def round_deadline_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round = _round_for_staff(request, pk)
    form = DeadlineForm(request.POST)
    return form_service_redirect(
        request,
        form,
        lambda d: round_change_deadline(
            review_round=review_round,
            deadline=d["deadline"],
            reason=d["reason"],
            actor=request.user,
        ),
        success=_("The deadline is changed; the reviewers still to submit were told."),
        success_url=reverse("evaluation:round", args=[pk]),
        invalid=lambda bound: _round_page(request, review_round, status=422, deadline_form=bound),
    )


# --- report -----------------------------------------------------------------------------------------


def _chart_rows(stats: Any) -> list[dict[str, Any]]:
    """Rows of the profile chart: one per criterion, grouped by dimension (x in 0…100)."""
    rows = []
    span = stats.scale_max - stats.scale_min
    y = 0
    for group in stats.groups:
        rows.append(
            {"heading": group.label, "y": y, "mean": group.mean, "x": float(group.percent or 0)}
        )
        y += 22
        for c in [c for c in stats.criteria if c.criterion.group_key == group.key]:

            def pos(v: Any) -> float:
                return 0.0 if v is None else round(100 * (float(v) - stats.scale_min) / span, 1)

            rows.append(
                {
                    "criterion": c,
                    "y": y,
                    "x": pos(c.mean),
                    "lo": pos(c.minimum),
                    "span": max(pos(c.maximum) - pos(c.minimum), 1.0),
                    "weight_pct": float(c.weight * 100),
                    "disagrees": c.disagrees,
                }
            )
            y += 20
    return rows


def _finalised_round_for(request: AuthedHttpRequest, pk: int) -> tuple[ReviewRound, Any]:
    """A finalised round the user may see (404 otherwise) with its statistics; 403 when the user
    may not read the scores the report is made of."""
    review_round = get_object_or_404(rounds_visible(request.user), pk=pk)
    if review_round.status != "finalised":
        raise Http404
    stats = round_statistics_for(request.user, review_round)
    if stats is None:
        raise PermissionDenied
    return review_round, stats


@login_required
def report_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    review_round, stats = _finalised_round_for(request, pk)
    audit_record(
        actor=request.user,
        action="evaluation.report_view",
        obj=review_round,
        remote_addr=_remote(request),
    )
    levels = {
        lv["level"]: lv
        for lv in (
            stats.criteria[0].criterion.levels
            if review_round.rubric.is_readiness and stats.criteria
            else []
        )
    }
    return render(
        request,
        "evaluation/report.html",
        {
            "round": review_round,
            "result": review_round.result,
            "stats": stats,
            "chart": _chart_rows(stats),
            "trl_level": levels.get(review_round.trl_assessed or 0),
            "can_manage": allows(request.user, review_round, "manage"),
            "orview": None if review_round.rubric.is_readiness else opportunity_risk(stats),
            "profile": None
            if review_round.rubric.is_readiness or not stats.groups
            else profile_points(stats),
            "modes": [
                TransferModeChoices(m).label
                for m in review_round.transfer_modes
                if m in TransferModeChoices.values
            ],
        },
    )


@login_required
def report_pdf_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    review_round, _stats = _finalised_round_for(request, pk)
    if not review_round.report_file:
        report_store(review_round=review_round)
    audit_record(
        actor=request.user,
        action="evaluation.report_download",
        obj=review_round,
        remote_addr=_remote(request),
    )
    return FileResponse(
        review_round.report_file.open("rb"),
        as_attachment=True,
        filename=f"evaluation-report-{review_round.result_id}-{review_round.pk}.pdf",
        content_type="application/pdf",
    )


# --- reviewers --------------------------------------------------------------------------------------


@login_required
def my_reviews_view(request: AuthedHttpRequest) -> HttpResponse:
    if not permitted(request.user, ReviewAssignment, "view"):
        raise Http404
    return render(
        request,
        "evaluation/my_reviews.html",
        {"assignments": assignments_for_reviewer(request.user)},
    )


def _own_assignment(request: AuthedHttpRequest, pk: int) -> ReviewAssignment:
    return get_object_or_404(assignments_for_reviewer(request.user), pk=pk)


def _review_page(
    request: AuthedHttpRequest,
    assignment: ReviewAssignment,
    *,
    errors: dict[str, list[str]] | None = None,
    posted: dict[str, Any] | None = None,
    declaration: DeclarationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    review_round = assignment.review_round
    result = review_round.result
    rubric = review_round.rubric
    can_read_details = allows(request.user, result, "view_details")
    if can_read_details and (result.details_zh or result.details_en):
        audit_record(
            actor=request.user,
            action="result.view_details",
            obj=result,
            payload={"via": "review", "assignment": assignment.pk},
            remote_addr=_remote(request),
        )
    scores = {
        s.criterion_id: s
        for s in assignment.scores.select_related("criterion").prefetch_related("evidence")
    }
    reopened = any(s.needs_rescore for s in scores.values())
    editable = assignment.status == "accepted" and review_round.status == "open"
    rows = []
    for criterion, weight in criteria_in_use(review_round):
        s = scores.get(criterion.pk)
        if s is None:
            continue
        value = (
            posted.get(f"score-{criterion.key}")
            if posted is not None
            else (str(s.score) if s.score is not None else "")
        )
        text = (
            posted.get(f"justification-{criterion.key}") if posted is not None else s.justification
        )
        rows.append(
            {
                "criterion": criterion,
                "weight": weight * 100,
                "score": s,
                "value": value or "",
                "justification": text or "",
                "editable": editable and (not reopened or s.needs_rescore),
                "errors": (errors or {}).get(criterion.key, []),
            }
        )
    # The others' scores: never in a blind round; otherwise once this review is in, where the grants
    # open them (``open_round_panel`` on the scores).
    panel = (
        round_statistics_for(request.user, review_round)
        if assignment.status == "submitted" and not review_round.is_blind
        else None
    )
    return render(
        request,
        "evaluation/review.html",
        {
            "assignment": assignment,
            "round": review_round,
            "result": result,
            "rubric": rubric,
            "rows": rows,
            "show_details": can_read_details,
            "editable": editable,
            "reopened": reopened,
            "scale": list(range(rubric.scale_min, rubric.scale_max + 1)),
            "panel": panel,
            "declaration": declaration or DeclarationForm(),
            "general_errors": (errors or {}).get("__all__", []),
            "ip_assets": result.ip_assets.all(),
            # Through the results app's permission-checked download view (granted to declared reviewers).
            "attachments": result.attachments.all() if can_read_details else [],
            "individual": panel,
            "show_names": False,
        },
        status=status,
    )


@login_required
def review_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    assignment = _own_assignment(request, pk)
    if request.method != "POST":
        return _review_page(request, assignment)
    if not allows(request.user, assignment, "review"):
        raise PermissionDenied(_("Only the reviewer can score their review."))
    scores: dict[str, ScoreInput] = {}
    for criterion, _w in criteria_in_use(assignment.review_round):
        raw = request.POST.get(f"score-{criterion.key}")
        if raw is None:
            continue
        try:
            value = int(raw) if raw.strip() else None
        except ValueError:
            value = -1
        scores[criterion.key] = ScoreInput(
            score=value, justification=request.POST.get(f"justification-{criterion.key}", "")
        )
    submit = request.POST.get("action") == "submit"
    try:
        review_save(assignment=assignment, scores=scores, actor=request.user, submit=False)
        for criterion, _w in criteria_in_use(assignment.review_round):
            for upload in request.FILES.getlist(f"evidence-{criterion.key}"):
                review_add_evidence(
                    assignment=assignment,
                    criterion_key=criterion.key,
                    upload=upload,
                    actor=request.user,
                )
        if submit:
            review_save(assignment=assignment, scores={}, actor=request.user, submit=True)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        if "evidence" in errors:
            errors = {**errors, "__all__": [*errors.get("__all__", []), *errors["evidence"]]}
        marked = len([k for k in errors if k not in ("__all__", "evidence")])
        if submit and marked:
            errors = {
                **errors,
                "__all__": [
                    _(
                        "Not submitted: %(n)s criteria need your attention (marked below). Your scores are saved as a draft."
                    )
                    % {"n": marked},
                    *errors.get("__all__", []),
                ],
            }
        return _review_page(
            request,
            ReviewAssignment.objects.get(pk=assignment.pk),
            errors=errors,
            posted=request.POST.dict(),
            status=422,
        )
    messages.success(
        request, _("Your review is submitted. Thank you.") if submit else _("Draft saved.")
    )
    return redirect("evaluation:review", pk=pk)


@login_required
@require_POST
def review_declare_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    assignment = _own_assignment(request, pk)
    if not allows(request.user, assignment, "review"):
        raise PermissionDenied(_("Only the invited reviewer can make this declaration."))
    form = DeclarationForm(request.POST)
    if form.is_valid():
        try:
            review_declare(
                assignment=assignment,
                has_conflict=form.cleaned_data["has_conflict"],
                statement=form.cleaned_data["statement"],
                actor=request.user,
            )
            messages.success(request, _("Thank you: your declaration is recorded."))
            return redirect("evaluation:review", pk=pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return _review_page(request, assignment, declaration=form, status=422)


@login_required
def evidence_download_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    evidence = get_object_or_404(evidence_visible(request.user), pk=pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit_record(
        actor=request.user,
        action="evaluation.evidence_download",
        obj=evidence,
        remote_addr=_remote(request),
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


# --- rubrics ----------------------------------------------------------------------------------------


@login_required
def rubric_list_view(request: AuthedHttpRequest) -> HttpResponse:
    older = (
        Rubric.objects.restrict(request.user, "view")
        .filter(is_active=False)
        .order_by("key", "-version")
    )
    return render(
        request,
        "evaluation/rubric_list.html",
        {"rubrics": rubrics_active(request.user), "older": older},
    )


@login_required
def rubric_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rubric = get_object_or_404(
        Rubric.objects.restrict(request.user, "view").prefetch_related("criteria"), pk=pk
    )
    return render(
        request,
        "evaluation/rubric_detail.html",
        {
            "rubric": rubric,
            "can_revise": rubric.is_active and allows(request.user, rubric, "revise"),
            "versions": Rubric.objects.restrict(request.user, "view")
            .filter(key=rubric.key)
            .order_by("-version"),
            "shares": rubric_weight_shares(rubric),
            "purposes": ReviewPurposeChoices.choices,
        },
    )


@login_required
def rubric_revise_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The rubric editor (admins): saving publishes a new version; rounds keep the version they used.
    An older version is not edited (404); a rubric the user may read but not revise answers 403."""
    rubric = get_object_or_404(
        Rubric.objects.restrict(request.user, "view").filter(is_active=True), pk=pk
    )
    if not allows(request.user, rubric, "revise"):
        raise PermissionDenied(_("Only platform admins edit rubrics."))
    form = RubricReviseForm(request.POST or None, rubric=rubric)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        criteria, prefixes = form.criterion_inputs()
        try:
            new = rubric_revise(
                rubric=rubric,
                criteria=criteria,
                title_zh=data["title_zh"],
                title_en=data["title_en"],
                revision_note=data["revision_note"],
                actor=request.user,
                complete=True,
            )
            messages.success(
                request,
                _(
                    "Version %(version)s is published; finished evaluations keep the version they used."
                )
                % {"version": new.version},
            )
            return redirect("evaluation:rubric", pk=new.pk)
        except ValidationError as exc:
            for key, errs in exc.message_dict.items():
                target = key if key in form.fields else None
                if key.startswith("criteria-"):
                    _p, index, name = key.split("-", 2)
                    field = (
                        f"{prefixes[int(index)]}-{name}"
                        if index.isdigit() and int(index) < len(prefixes)
                        else ""
                    )
                    target = field if field in form.fields else None
                for e in errs:
                    form.add_error(target, e)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "evaluation/rubric_revise.html",
        {
            "rubric": rubric,
            "form": form,
            "rows": form.bound_rows(),
            "shares": rubric_weight_shares(rubric),
            "purposes": ReviewPurposeChoices.choices,
        },
        status=status,
    )


# --- invitation: set a password with the one-time link ------------------------------------------------


class InvitationView(auth_views.PasswordResetConfirmView):
    template_name = "evaluation/invitation.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(actor=form.user, action="user.set_password_by_invitation", obj=form.user)
        messages.success(self.request, _("Your password is set. Sign in to start your review."))
        return response
