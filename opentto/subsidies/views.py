"""Subsidy pages: programmes, applications (create, submit, withdraw), review, recognition,
approval, tranches, and the officials' dashboard. Rules live in the services and
``permissions.py``: an application the viewer may not see answers 404, an action on one they see
but may not take 403 before the form is read (the service asks the same grant)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.action_views import object_action
from opentto.core.idempotency import (
    KeyReused,
    replay_message,
    reused_message,
    run_form_once,
)
from opentto.core.permissions import allows, permitted
from opentto.landing.models import Deal
from opentto.results.models import Result

from . import services
from .forms import (
    LINES,
    AcceptForm,
    ApplicationForm,
    ApproveForm,
    OverrideForm,
    PayForm,
    RecogniseForm,
    RejectForm,
    ReviewOpenForm,
    TrancheForm,
)
from .models import Application, ApplicationStatusChoices, Tranche
from .permissions import may_apply_for
from .selectors import (
    application_page,
    application_project,
    application_review,
    applications_visible,
    officials_dashboard,
    programmes_visible,
)


def programme_list_view(request: HttpRequest) -> HttpResponse:
    programmes = programmes_visible(request.user).prefetch_related("budgets")
    # the web form applies for the user's own organisation (a visitor has none)
    organisation = getattr(request.user, "organisation", None)
    return render(
        request,
        "subsidies/programme_list.html",
        {
            "programmes": programmes,
            "can_apply": organisation is not None and may_apply_for(request.user, organisation),
        },
    )


@login_required
def application_list_view(request: AuthedHttpRequest) -> HttpResponse:
    apps = applications_visible(request.user)
    status = request.GET.get("status", "")
    if status in ApplicationStatusChoices.values:
        apps = apps.filter(status=status)
    project = request.GET.get("project", "")
    if project.isascii() and project.isdigit() and 0 < int(project) < 2**62:
        apps = apps.filter(project_id=int(project))
    return render(
        request,
        "subsidies/application_list.html",
        {"applications": apps, "status": status, "statuses": ApplicationStatusChoices.choices},
    )


@login_required
def application_create_view(request: AuthedHttpRequest, programme_pk: int) -> HttpResponse:
    programme = get_object_or_404(programmes_visible(request.user), pk=programme_pk)
    org = getattr(request.user, "organisation", None)
    if org is None or not may_apply_for(request.user, org):
        raise PermissionDenied(_("You may apply only for your own organisation."))
    results = Result.objects.restrict(request.user, "view")
    deals = Deal.objects.restrict(request.user, "view").counted()
    form = ApplicationForm(
        request.POST or None, request.FILES or None, results=results, deals=deals
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        lines = [
            services.BudgetLineInput(
                category=d[f"line{i}_category"],
                description=d[f"line{i}_description"],
                amount_cny=d[f"line{i}_amount"],
                document=d[f"line{i}_document"],
            )
            for i in range(LINES)
            if d[f"line{i}_category"]
            or d[f"line{i}_description"]
            or d[f"line{i}_amount"] is not None
        ]
        try:
            application = services.application_create(
                programme=programme,
                applicant=org,
                project_title_zh=d["project_title_zh"],
                project_title_en=d["project_title_en"],
                description=d["description"],
                requested_cny=d["requested_cny"],
                partners=list(d["partners"]),
                results=list(d["results"]),
                deal=d["deal"],
                budget_lines=lines,
                actor=request.user,
            )
            messages.success(
                request, _("The application was saved as a draft. Check it, then submit it.")
            )
            return redirect("subsidies:detail", pk=application.pk)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                name = (
                    field.replace("budget_lines-", "line")
                    .replace("-amount_cny", "_amount")
                    .replace("-", "_")
                )
                form.add_error(name if name in form.fields else None, errors)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
    return render(
        request, "subsidies/application_form.html", {"form": form, "programme": programme}
    )


def _detail_context(
    request: AuthedHttpRequest, application: Application, **bound: Any
) -> dict[str, Any]:
    """The application page's context; ``bound`` replaces blank forms by ones shown again (a
    tranche held back as a duplicate, with its confirmation)."""
    page = application_page(request.user, application)
    can = page["can"]
    review = application_review(application, request.user)
    under_review = application.status == ApplicationStatusChoices.UNDER_REVIEW
    ctx: dict[str, Any] = {
        "a": application,
        "review": review,
        **page,
        "can_open_review": can["open_review"]
        and under_review
        and (application.review_round is None or application.review_round.status == "cancelled"),
        "can_override": can["decide"] and under_review and not application.review_finalised,
        "review_open_form": ReviewOpenForm(),
        "override_form": OverrideForm(),
        "recognise_form": RecogniseForm(),
        "approve_form": ApproveForm(),
        "reject_form": RejectForm(),
        "tranche_form": TrancheForm(),
        "accept_form": AcceptForm(),
        "pay_form": PayForm(),
        "project": application_project(application, request.user),
    }
    if can["decide"] and application.status == ApplicationStatusChoices.RECOGNISED:
        budget = application.programme.budgets.filter(year=application.year).first()
        ctx["remaining"] = budget.remaining_cny if budget else None
    ctx.update(bound)
    return ctx


@login_required
def application_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(applications_visible(request.user), pk=pk)
    return render(
        request, "subsidies/application_detail.html", _detail_context(request, application)
    )


def _once(request: AuthedHttpRequest, write: Callable[[], Any], success: str) -> None:
    """Run a write once per form key (``run_form_once``) and say what happened; the write's
    ``ValidationError`` and ``PermissionError`` pass through."""
    try:
        outcome = run_form_once(request, write)
    except KeyReused as exc:
        messages.warning(request, reused_message(exc.first))
        return
    if outcome.replayed and outcome.record is not None:
        messages.info(request, replay_message(outcome.record))
    else:
        messages.success(request, _(success))


def _action(
    form_cls: Callable[..., Any] | None,
    call: Callable[[Application, Any, Any], Any],
    success: str,
    *,
    action: str,
    confirm_as: str = "",
) -> Callable[..., HttpResponse]:
    """A POST on an application (``opentto.core.action_views.object_action``): 404 if the viewer
    may not see it, 403 if they may not ``action`` it (the service asks the same grant), then the
    form, then the service once per form key (a repeat answers with the first outcome).
    ``confirm_as`` names the form shown again, with a confirmation, when the service holds an
    identical entry back."""
    return object_action(
        get_object=lambda request, pk: get_object_or_404(applications_visible(request.user), pk=pk),
        may=lambda user, application: allows(user, application, action),
        form_class=form_cls,
        call=lambda application, form, user: call(
            application, form.cleaned_data if form is not None else {}, user
        ),
        success=success,
        back=lambda request, application: redirect("subsidies:detail", pk=application.pk),
        confirm_as=confirm_as,
        redisplay=lambda request, application, bound: render(
            request,
            "subsidies/application_detail.html",
            _detail_context(request, application, **bound),
        ),
    )


submit_view = _action(
    None,
    lambda a, d, u: services.application_submit(application=a, actor=u),
    gettext_noop("The application was submitted; see the eligibility check."),
    action="apply",
)
withdraw_view = _action(
    None,
    lambda a, d, u: services.application_withdraw(application=a, actor=u),
    gettext_noop("The application was withdrawn."),
    action="apply",
)
start_review_view = _action(
    None,
    lambda a, d, u: services.application_start_review(application=a, actor=u),
    gettext_noop("The application was sent to expert review."),
    action="decide",
)
review_open_view = _action(
    ReviewOpenForm,
    lambda a, d, u: services.application_review_open(
        application=a,
        rubric=d["rubric"],
        deadline=d["deadline"],
        reviewers=list(d["reviewers"]),
        min_reviews=d["min_reviews"],
        actor=u,
    ),
    gettext_noop("The expert review round was opened."),
    action="open_review",
)
override_view = _action(
    OverrideForm,
    lambda a, d, u: services.application_review_override(application=a, actor=u, **d),
    gettext_noop("The override was recorded."),
    action="decide",
)
recognise_view = _action(
    RecogniseForm,
    lambda a, d, u: services.application_recognise(application=a, actor=u, **d),
    gettext_noop("The project was recognised."),
    action="decide",
)
approve_view = _action(
    ApproveForm,
    lambda a, d, u: services.application_approve(application=a, actor=u, **d),
    gettext_noop("The subsidy was approved."),
    action="decide",
)
reject_view = _action(
    RejectForm,
    lambda a, d, u: services.application_reject(application=a, actor=u, **d),
    gettext_noop("The application was rejected."),
    action="decide",
)
tranche_view = _action(
    TrancheForm,
    lambda a, d, u: services.tranche_add(application=a, actor=u, **d),
    gettext_noop("The tranche was planned."),
    action="disburse",
    confirm_as="tranche_form",
)


def _tranche_action(
    form_cls: Callable[..., Any], call: Callable[[Tranche, Any, Any], Any], success: str
) -> Callable[..., HttpResponse]:
    @login_required
    @require_POST
    def view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
        tranche = get_object_or_404(
            Tranche.objects.restrict(request.user, "view").select_related("application"), pk=pk
        )
        if not allows(request.user, tranche.application, "disburse"):
            raise PermissionDenied
        form = form_cls(request.POST)
        if form.is_valid():
            try:
                _once(request, lambda: call(tranche, form.cleaned_data, request.user), success)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
        else:
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        return redirect("subsidies:detail", pk=tranche.application_id)

    return view


tranche_accept_view = _tranche_action(
    AcceptForm,
    lambda t, d, u: services.tranche_accept(tranche=t, actor=u, **d),
    gettext_noop("The milestone was accepted."),
)
tranche_pay_view = _tranche_action(
    PayForm,
    lambda t, d, u: services.tranche_pay(tranche=t, actor=u, **d),
    gettext_noop("The tranche was paid."),
)


@login_required
def officials_dashboard_view(request: AuthedHttpRequest) -> HttpResponse:
    if not permitted(request.user, Application, "figures"):
        raise Http404
    return render(request, "subsidies/dashboard.html", officials_dashboard(request.user))
