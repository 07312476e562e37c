"""Deal pages. Views parse forms and call services; the rules live in the services, selectors and
``permissions.py``. A deal (or payment) the viewer may not see answers 404; an action on one they
see but may not take answers 403 before the form is read, and the service asks the same grant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST, require_safe

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.action_views import form_error_messages, object_action
from opentto.core.audit import audit_record
from opentto.core.idempotency import (
    KeyReused,
    replay_message,
    reused_message,
    run_form_once,
)
from opentto.core.permissions import allows, permitted
from opentto.organisations.models import Person
from opentto.results.selectors import results_visible

from . import services
from .distribution import TAX_NOTES
from .forms import (
    AgreementForm,
    ClassifyForm,
    CostForm,
    DealDateForm,
    DealForm,
    DealSignForm,
    DealTerminateForm,
    DealTermsForm,
    NoticeForm,
    NoticeWithdrawForm,
    PaymentForm,
    RegistrationApplyForm,
    RegistrationDocumentsForm,
    RegistrationReasonForm,
    RegistrationRegisterForm,
    RoyaltyReportForm,
    RuleForm,
    ScheduleForm,
)
from .models import (
    Agreement,
    Deal,
    DealStatusChoices,
    DistributionRule,
    ResultCost,
    deal_relief_unregistered,
    relief_unregistered_q,
)
from .panels import deal_panels
from .pdf import statement_pdf
from .selectors import (
    agreement_list,
    deal_page,
    deals_visible,
    may_see_statement,
    payments_visible,
    people_with_statements,
    registration_documents_visible,
    royalty_flags,
    rules_visible,
    running_notices,
    statement,
)


def _validation_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _back(request: AuthedHttpRequest, deal: Deal) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("landing:detail", pk=deal.pk)


@login_required
@require_POST
def deal_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(results_visible(request.user), pk=pk)
    if not permitted(request.user, Deal, "add"):
        raise PermissionDenied(_("Only TTO managers create deals."))
    form = DealForm(request.POST, result=result)
    if not form.is_valid():
        form_error_messages(request, form)
        return redirect("results:detail", pk=pk)
    try:
        plan = services.approved_plan_of(result)
        services.deal_create(
            results=[result],
            actor=request.user,
            counterparty=form.cleaned_data["counterparty"],
            deal_type=form.cleaned_data["deal_type"],
            amount_cny=form.cleaned_data["amount_cny"],
            title=form.cleaned_data["title"],
            terms=form.terms(),
            plan=plan,
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        _validation_errors(request, exc)
        return redirect("results:detail", pk=pk)
    messages.success(
        request, _("The deal was recorded as a draft; sign it when the contract is signed.")
    )
    return redirect("results:detail", pk=pk)


@login_required
def deal_list_view(request: AuthedHttpRequest) -> HttpResponse:
    deals = deals_visible(request.user).select_related("registration").prefetch_related("results")
    status = request.GET.get("status", "")
    if status in DealStatusChoices.values:
        deals = deals.filter(status=status)
    relief = request.GET.get("relief", "")
    if relief == "unregistered":
        deals = deals.filter(relief_unregistered_q())
    page = Paginator(deals, 25).get_page(request.GET.get("page"))
    for deal in page:
        deal.shown_relief_unregistered = deal_relief_unregistered(deal)  # type: ignore[attr-defined]
    return render(
        request,
        "landing/deal_list.html",
        {
            "page": page,
            "status": status,
            "statuses": DealStatusChoices.choices,
            "relief": relief,
            "flags": royalty_flags(request.user),
        },
    )


def _detail_context(request: AuthedHttpRequest, deal: Deal, **bound: Any) -> dict[str, Any]:
    """The deal page's context; ``bound`` replaces blank forms by ones shown again (e.g. a
    payment held back as a duplicate, with its confirmation)."""
    page = deal_page(request.user, deal)
    can = page.can
    context: dict[str, Any] = {
        "deal": deal,
        "page": page,
        "can": can,
        "owners": deal.owners.all(),
        "can_act": can["change"] or can["sign"] or can["record_payment"] or can["record_cost"],
        "extra_panels": deal_panels(request, deal),
    }
    if can["change"]:
        context.update(
            {
                "terms_form": DealTermsForm.for_deal(deal),
                "notice_form": NoticeForm(),
                "withdraw_form": NoticeWithdrawForm(),
                "schedule_form": ScheduleForm(),
            }
        )
    if can["sign"]:
        context.update(
            {
                "sign_form": DealSignForm(),
                "date_form": DealDateForm(),
                "terminate_form": DealTerminateForm(),
            }
        )
    if can["record_payment"]:
        context.update(
            {
                "payment_form": PaymentForm(deal=deal, user=request.user),
                "report_form": RoyaltyReportForm(),
            }
        )
    if can["record_cost"]:
        context["cost_form"] = CostForm(deal=deal, user=request.user)
    if can["register_contract"]:
        # distinct ids: several of these forms share field names on the page
        context.update(
            {
                "classify_form": ClassifyForm.for_deal(deal),
                "apply_form": RegistrationApplyForm(auto_id="ap_%s"),
                "register_form": RegistrationRegisterForm(auto_id="rg_%s"),
                "return_form": RegistrationReasonForm(auto_id="rt_%s"),
                "refuse_form": RegistrationReasonForm(auto_id="rf_%s"),
                "documents_form": RegistrationDocumentsForm(auto_id="dc_%s"),
            }
        )
    context.update(bound)
    return context


@login_required
def deal_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deal = get_object_or_404(deals_visible(request.user), pk=pk)
    return render(request, "landing/deal_detail.html", _detail_context(request, deal))


def _on_deal(action: str) -> Callable[[Any, Deal], bool]:
    return lambda user, deal: allows(user, deal, action)


def _deal_action(
    form_cls: Callable[..., Any],
    call: Callable[[Deal, Any, Any], Any],
    success: str,
    *,
    may: Callable[[Any, Deal], bool],
    with_deal: bool = False,
    confirm_as: str = "",
    files: bool = False,
) -> Callable[..., HttpResponse]:
    """A POST on a deal (``opentto.core.action_views.object_action``): 404 if the viewer may not
    see it, 403 if ``may`` refuses (the service asks the same grant), then the form, then the
    service once per form key (``run_form_once``: a repeat answers with the first outcome).
    ``confirm_as`` names the form in the deal page's context that is shown again, with a
    confirmation, when the service holds an identical entry back. ``files``: the form reads the
    uploaded files too."""
    return object_action(
        get_object=lambda request, pk: get_object_or_404(deals_visible(request.user), pk=pk),
        may=may,
        form_class=form_cls,
        files=files,
        call=call,
        success=success,
        back=_back,
        confirm_as=confirm_as,
        form_kwargs=(lambda request, deal: {"deal": deal, "user": request.user})
        if with_deal
        else None,
        redisplay=lambda request, deal, bound: render(
            request, "landing/deal_detail.html", _detail_context(request, deal, **bound)
        ),
        pk_kwarg="deal_pk",
    )


def _update(deal: Deal, form: DealTermsForm, actor: Any) -> None:
    services.deal_update_terms(
        deal=deal,
        terms=form.terms(),
        amount_cny=form.cleaned_data["amount_cny"],
        title=form.cleaned_data["title"],
        actor=actor,
    )


deal_update_view = _deal_action(
    DealTermsForm, _update, gettext_noop("The terms were saved."), may=_on_deal("change")
)
deal_notice_view = _deal_action(
    NoticeForm,
    lambda d, f, a: services.deal_notice_start(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The public notice is running."),
    may=_on_deal("change"),
)
deal_notice_withdraw_view = _deal_action(
    NoticeWithdrawForm,
    lambda d, f, a: services.deal_notice_withdraw(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The notice was withdrawn; the deal is a draft again."),
    may=_on_deal("change"),
)
deal_sign_view = _deal_action(
    DealSignForm,
    lambda d, f, a: services.deal_sign(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The deal was signed; the results it covers are landed."),
    may=_on_deal("sign"),
)
deal_in_force_view = _deal_action(
    DealDateForm,
    lambda d, f, a: services.deal_bring_into_force(
        deal=d, in_force_on=f.cleaned_data["on"], actor=a
    ),
    gettext_noop("The deal is in force."),
    may=_on_deal("sign"),
)
deal_complete_view = _deal_action(
    DealDateForm,
    lambda d, f, a: services.deal_complete(deal=d, completed_on=f.cleaned_data["on"], actor=a),
    gettext_noop("The deal was completed."),
    may=_on_deal("sign"),
)
deal_terminate_view = _deal_action(
    DealTerminateForm,
    lambda d, f, a: services.deal_terminate(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The deal was terminated."),
    may=_on_deal("sign"),
)
deal_schedule_view = _deal_action(
    ScheduleForm,
    lambda d, f, a: services.schedule_item_add(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The payment was added to the schedule."),
    may=_on_deal("change"),
)
deal_payment_view = _deal_action(
    PaymentForm,
    lambda d, f, a: services.payment_record(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The payment was recorded."),
    may=_on_deal("record_payment"),
    with_deal=True,
    confirm_as="payment_form",
)
deal_royalty_view = _deal_action(
    RoyaltyReportForm,
    lambda d, f, a: services.royalty_report_record(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The royalty report was recorded."),
    may=_on_deal("record_payment"),
)
deal_cost_view = _deal_action(
    CostForm,
    lambda d, f, a: services.cost_record(actor=a, **f.cleaned_data),
    gettext_noop("The cost was recorded; it is deducted from the next payment distributed."),
    may=lambda user, _deal: permitted(user, ResultCost, "add"),
    with_deal=True,
    confirm_as="cost_form",
)

deal_classify_view = _deal_action(
    ClassifyForm,
    lambda d, f, a: services.deal_classify(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The technology contract was classified."),
    may=_on_deal("register_contract"),
)
registration_apply_view = _deal_action(
    RegistrationApplyForm,
    lambda d, f, a: services.registration_apply(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The application for registration was recorded."),
    may=_on_deal("register_contract"),
    files=True,
)
registration_register_view = _deal_action(
    RegistrationRegisterForm,
    lambda d, f, a: services.registration_register(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The registration was recorded."),
    may=_on_deal("register_contract"),
    files=True,
)
registration_return_view = _deal_action(
    RegistrationReasonForm,
    lambda d, f, a: services.registration_return(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The application was recorded as returned for correction."),
    may=_on_deal("register_contract"),
    files=True,
)
registration_refuse_view = _deal_action(
    RegistrationReasonForm,
    lambda d, f, a: services.registration_refuse(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The refusal was recorded."),
    may=_on_deal("register_contract"),
    files=True,
)
registration_documents_view = _deal_action(
    RegistrationDocumentsForm,
    lambda d, f, a: services.registration_document_add(deal=d, actor=a, **f.cleaned_data),
    gettext_noop("The documents were added."),
    may=_on_deal("register_contract"),
    files=True,
)


@login_required
def registration_document_view(request: AuthedHttpRequest, pk: int) -> FileResponse:
    """A registration document, for those who may see its deal (404 otherwise)."""
    document = get_object_or_404(
        registration_documents_visible(request.user).select_related("registration"), pk=pk
    )
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    audit_record(
        actor=request.user,
        action="deal.registration_document_download",
        obj=document.registration.deal,
        payload={"document": document.pk},
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def payment_distribute_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """404 for a payment the viewer may not see; 403 where they see it but may not distribute its
    deal's income (``payment_distribute`` asks the same grant)."""
    payment = get_object_or_404(payments_visible(request.user).select_related("deal"), pk=pk)
    if not allows(request.user, payment.deal, "distribute"):
        raise PermissionDenied
    try:
        outcome = run_form_once(
            request,
            lambda: services.payment_distribute(
                payment=payment, actor=request.user, expected=request.POST.get("preview", "")[:64]
            ),
        )
    except KeyReused as exc:
        messages.warning(request, reused_message(exc.first))
    except ValidationError as exc:
        _validation_errors(request, exc)
        if getattr(exc, "error_dict", None) and any(
            e.code == "changed" for e in exc.error_dict.get("payment", [])
        ):
            return redirect("landing:distribution_preview", pk=payment.pk)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    else:
        if outcome.replayed and outcome.record is not None:
            messages.info(request, replay_message(outcome.record))
        elif outcome.value is not None:
            messages.success(request, _("The payment was distributed."))
            for warning in outcome.value.warnings:
                messages.warning(request, warning)
    return redirect("landing:detail", pk=payment.deal_id)


@login_required
@require_safe
def payment_distribution_preview_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """What distributing the payment will store, each part explained, with the form that commits
    it (the preview's fingerprint goes with it: a changed outcome is refused, not stored). 404 for
    a payment the viewer may not see; 403 where they may not distribute its deal's income."""
    payment = get_object_or_404(
        payments_visible(request.user).select_related("deal__counterparty"), pk=pk
    )
    if not allows(request.user, payment.deal, "distribute"):
        raise PermissionDenied
    try:
        preview = services.payment_distribution_preview(payment=payment, actor=request.user)
    except ValidationError as exc:
        _validation_errors(request, exc)
        return redirect("landing:detail", pk=payment.deal_id)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    return render(
        request,
        "landing/distribution_preview.html",
        {"deal": payment.deal, "payment": payment, "preview": preview},
    )


def notice_list_view(request: HttpRequest) -> HttpResponse:
    """The public notices (公示) running today: open to everyone, as the law intends."""
    return render(request, "landing/notice_list.html", {"notices": running_notices(request.user)})


@login_required
def agreement_list_view(request: AuthedHttpRequest) -> HttpResponse:
    may_add = permitted(request.user, Agreement, "add")
    if request.method == "POST" and not may_add:
        raise PermissionDenied
    form = AgreementForm(request.POST or None, user=request.user) if may_add else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            data = form.cleaned_data
            services.agreement_create(
                kind=data["kind"],
                title=data["title"],
                parties=list(data["parties"]),
                results=list(data["results"]),
                signed_on=data["signed_on"],
                expires_on=data["expires_on"],
                notes=data["notes"],
                shares=form.parsed_shares(),
                actor=request.user,
            )
            messages.success(request, _("The agreement was recorded."))
            return redirect("landing:agreements")
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error("shares", exc.messages)
    return render(
        request,
        "landing/agreement_list.html",
        {"agreements": agreement_list(request.user), "form": form},
    )


@login_required
def rule_list_view(request: AuthedHttpRequest) -> HttpResponse:
    may_set = permitted(request.user, DistributionRule, "change")
    if request.method == "POST" and not may_set:
        raise PermissionDenied
    form = RuleForm(request.POST or None) if may_set else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            _rule, warnings = services.rule_set(actor=request.user, **form.cleaned_data)
            messages.success(request, _("The rule was saved."))
            for w in warnings:
                messages.warning(request, w)
            return redirect("landing:rules")
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
    rules = [(r, r.warnings()) for r in rules_visible(request.user)]
    from .distribution import NATIONAL_FLOORS, SHANGHAI_FLOORS

    return render(
        request,
        "landing/rule_list.html",
        {
            "rules": rules,
            "form": form,
            "floors": [*NATIONAL_FLOORS.values(), *SHANGHAI_FLOORS.values()],
        },
    )


@login_required
def statement_list_view(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request, "landing/statement_list.html", {"rows": people_with_statements(request.user)}
    )


def _statement_for(request: AuthedHttpRequest, person_pk: int, year: int) -> Any:
    person = get_object_or_404(Person, pk=person_pk)
    if not may_see_statement(request.user, person):
        raise Http404
    return statement(request.user, person, year)


@login_required
def statement_view(request: AuthedHttpRequest, person_pk: int, year: int) -> HttpResponse:
    return render(
        request,
        "landing/statement.html",
        {"s": _statement_for(request, person_pk, year), "tax_notes": TAX_NOTES},
    )


@login_required
def statement_pdf_view(request: AuthedHttpRequest, person_pk: int, year: int) -> HttpResponse:
    s = _statement_for(request, person_pk, year)
    response = HttpResponse(statement_pdf(s), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statement-{person_pk}-{year}.pdf"'
    return response
