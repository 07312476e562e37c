"""Pages of researchers' ownership and use rights (赋权). Views parse forms and call services; an
application the viewer may not see answers 404, an action on one they see but may not take 403
before the form is read (the service asks the same grant), and a refused action writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.organisations.models import Organisation
from opentto.results.selectors import result_inventorships, results_visible

from . import services
from .forms import (
    AgreementForm,
    ApplicationForm,
    EffectForm,
    GrantForm,
    NoticeForm,
    ObjectionForm,
    PilotForm,
    RefuseForm,
    WithdrawForm,
)
from .models import OwnershipShare, PilotInstitution, RightsApplication, RightsStatusChoices
from .selectors import (
    application_counts,
    applications_visible,
    notice_team,
    notices_running,
    pilots_visible,
    team_of,
)


def _errors(request: AuthedHttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _form_errors(request: AuthedHttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(
            request,
            f"{label}: {' '.join(str(e) for e in errors)}"
            if label
            else " ".join(str(e) for e in errors),
        )


@login_required
def application_list_view(request: AuthedHttpRequest) -> HttpResponse:
    """The applications the user may see; the counts by status for those who count them (officials)."""
    user = request.user
    return render(
        request,
        "rights/application_list.html",
        {
            "applications": applications_visible(user).prefetch_related("team__person"),
            "counts": application_counts(user)
            if permitted(user, RightsApplication, "figures")
            else None,
            "can_see_pilots": permitted(user, PilotInstitution, "view"),
        },
    )


@login_required
def pilot_list_view(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    can_add = permitted(user, PilotInstitution, "add")
    form = None
    if can_add:
        organisations = Organisation.objects.restrict(user, "view")
        form = PilotForm(request.POST or None, organisations=organisations)
        if request.method == "POST" and form.is_valid():
            try:
                services.pilot_create(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("The pilot institution was recorded."))
                return redirect("rights:pilots")
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "rights/pilot_list.html", {"pilots": pilots_visible(user), "form": form})


def notice_list_view(request: HttpRequest) -> HttpResponse:
    """The public notices (公示) of grants running today: open to everyone while they run."""
    notices = [(a, notice_team(a)) for a in notices_running(request.user)]
    return render(request, "rights/notice_list.html", {"notices": notices})


@login_required
def application_create_view(request: AuthedHttpRequest, result_pk: int) -> HttpResponse:
    user = request.user
    result = get_object_or_404(results_visible(user), pk=result_pk)
    if not permitted(user, RightsApplication, "add"):
        raise PermissionDenied
    pilots = (
        PilotInstitution.objects.restrict(user, "view")
        .filter(organisation__ownerships__result=result)
        .select_related("organisation")
    )
    form = ApplicationForm(
        request.POST or None,
        result=result,
        pilots=pilots,
        inventorships=result_inventorships(user, result),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.rights_application_create(
                result=result,
                pilot=data["pilot"],
                requested_kind=data["requested_kind"],
                team=form.team(),
                requested_share=data["requested_share"],
                requested_term_years=data["requested_term_years"],
                requested_exclusive=data["requested_exclusive"],
                statement=data["statement"],
                actor=user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("The application was saved as a draft; submit it when the team agrees.")
            )
            return redirect("rights:detail", pk=application.pk)
    return render(
        request,
        "rights/application_form.html",
        {"result": result, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def application_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    application = get_object_or_404(applications_visible(user), pk=pk)

    def offer(action: str, target: str) -> bool:
        return application.can(target) and allows(user, application, action)

    context: dict[str, Any] = {
        "application": application,
        "team": team_of(user, application),
        "events": application.events.select_related("actor"),
        "shares": OwnershipShare.objects.restrict(user, "view")
        .filter(source=application)
        .select_related("organisation"),
        "result_visible": results_visible(user).filter(pk=application.result_id).exists(),
        "submit": offer("submit", RightsStatusChoices.SUBMITTED),
        "withdraw_form": WithdrawForm()
        if offer("withdraw", RightsStatusChoices.WITHDRAWN)
        else None,
        "grant_form": GrantForm(
            initial={
                "kind": application.requested_kind,
                "share": application.requested_share,
                "term_years": application.requested_term_years,
                "exclusive": application.requested_exclusive,
            }
        )
        if offer("decide", RightsStatusChoices.GRANTED)
        else None,
        "refuse_form": RefuseForm() if offer("decide", RightsStatusChoices.REFUSED) else None,
        "notice_form": NoticeForm() if offer("notice", RightsStatusChoices.NOTICE) else None,
        "objection_form": ObjectionForm()
        if application.status == RightsStatusChoices.NOTICE and allows(user, application, "notice")
        else None,
        "agreement_form": AgreementForm() if offer("agree", RightsStatusChoices.AGREED) else None,
        "effect_form": EffectForm(initial={"effective_on": application.agreement_signed_on})
        if offer("bring_into_effect", RightsStatusChoices.IN_EFFECT)
        else None,
    }
    return render(request, "rights/application_detail.html", context)


def _act(
    request: AuthedHttpRequest,
    pk: int,
    action: str,
    form_class: Any,
    run: Callable[[RightsApplication, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    application = get_object_or_404(applications_visible(request.user), pk=pk)
    if not allows(request.user, application, action):
        raise PermissionDenied
    form = form_class(request.POST, request.FILES) if form_class is not None else None
    if form is not None and not form.is_valid():
        _form_errors(request, form)
        return redirect("rights:detail", pk=pk)
    try:
        run(application, form.cleaned_data if form is not None else {})
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, done)
    return redirect("rights:detail", pk=pk)


@login_required
@require_POST
def submit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "submit",
        None,
        lambda a, d: services.rights_application_submit(application=a, actor=request.user),
        _("The application was submitted to the institution."),
    )


@login_required
@require_POST
def withdraw_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "withdraw",
        WithdrawForm,
        lambda a, d: services.rights_application_withdraw(
            application=a, reason=d["reason"], actor=request.user
        ),
        _("The application was withdrawn."),
    )


@login_required
@require_POST
def grant_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "decide",
        GrantForm,
        lambda a, d: services.rights_application_grant(
            application=a,
            decided_on=d["decided_on"],
            kind=d["kind"],
            share=d["share"],
            term_years=d["term_years"],
            exclusive=d["exclusive"],
            conditions=d["conditions"],
            actor=request.user,
        ),
        _("The grant was recorded; run the public notice next."),
    )


@login_required
@require_POST
def refuse_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "decide",
        RefuseForm,
        lambda a, d: services.rights_application_refuse(
            application=a, decided_on=d["decided_on"], reasons=d["reasons"], actor=request.user
        ),
        _("The application was refused."),
    )


@login_required
@require_POST
def notice_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "notice",
        NoticeForm,
        lambda a, d: services.rights_application_notice_start(
            application=a,
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            text_zh=d["text_zh"],
            text_en=d["text_en"],
            actor=request.user,
        ),
        _("The public notice is running."),
    )


@login_required
@require_POST
def objection_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "notice",
        ObjectionForm,
        lambda a, d: services.rights_application_objection_record(
            application=a, objection=d["objection"], actor=request.user
        ),
        _("The objection was recorded."),
    )


@login_required
@require_POST
def agreement_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "agree",
        AgreementForm,
        lambda a, d: services.rights_application_agreement_record(
            application=a,
            signed_on=d["signed_on"],
            document=d["document"],
            reference=d["reference"],
            actor=request.user,
        ),
        _("The agreement was recorded."),
    )


@login_required
@require_POST
def effect_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "bring_into_effect",
        EffectForm,
        lambda a, d: services.rights_application_bring_into_effect(
            application=a, effective_on=d["effective_on"], actor=request.user
        ),
        _("The grant is in effect."),
    )


@login_required
def agreement_file_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    """The signed agreement: for those who may see the application; every download is recorded."""
    application = get_object_or_404(applications_visible(request.user), pk=pk)
    if not application.agreement_file:
        raise Http404
    try:
        handle = application.agreement_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit_record(
        actor=request.user, action="rights.agreement_download", obj=application, request=request
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=application.agreement_file_name or "agreement",
        content_type=application.agreement_file_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
