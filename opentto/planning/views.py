"""Views for operations planning. They parse input with forms, call one service, and render.
Every object is read through the grants (``opentto.planning.permissions``): an object the user may
not see answers 404; a visible object the user may not change answers 403 (the service asks the
same rule); nothing is changed on a refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.action_views import form_service_redirect
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted
from opentto.financing import forms as finf
from opentto.financing import selectors as finsel
from opentto.financing import services as finsvc
from opentto.financing import valuation as calc
from opentto.financing.models import PledgeLoan, Valuation
from opentto.patents import forms as pf
from opentto.patents import selectors as psel
from opentto.patents import services as psvc
from opentto.patents.models import Filing, FilingDeadline, PatentFamily
from opentto.patents.views import apply_errors, edit_page, filing_for_change, for_change, or_404
from opentto.results.models import Result, ResultStageChoices

from . import forms as f
from . import selectors as sel
from . import services as svc
from .hooks import outcome_panels, suggested_targets
from .models import (
    PLAN_TRANSITIONS,
    DealRoom,
    OverseasChannel,
    PlanTarget,
    ServiceLogEntry,
    ServiceTask,
    TransferOption,
    TransferPlan,
    TransferPlanStatusChoices,
)
from .permissions import does_planning

TABS = ("plan", "ip", "financing", "services")


def _result_for_change(request: AuthedHttpRequest, pk: int) -> Result:
    """A result the user may plan for: 404 when not visible at all, 403 when visible only."""
    return for_change(request, Result.objects.all(), pk, "plan")


def _result_for_view(request: AuthedHttpRequest, pk: int) -> Result:
    return get_object_or_404(sel.planning_results(request.user), pk=pk)


def _financing_visible(user: Any) -> bool:
    """Whether the user may see any kind of financing record (the financing tab)."""
    return any(permitted(user, model, "view") for model in (Valuation, PledgeLoan, DealRoom))


# --- the result's planning workspace -------------------------------------------------------------


def _workspace_context(
    request: AuthedHttpRequest, result: Result, tab: str, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The tab's records, each what the user may see; its forms where the user may use them:
    ``can_plan`` (add records to the result) and the ids of the records the user may change."""
    user = request.user
    can_plan = allows(user, result, "plan")
    today = timezone.localdate()
    context: dict[str, Any] = {
        "result": result,
        "tab": tab,
        "tabs": TABS,
        "can_plan": can_plan,
        "show_financing": _financing_visible(user),
        "today": today,
    }
    if tab == "plan":
        plans = list(sel.plans_for(user, result))
        changeable = psel.changeable(sel.plans_for(user, result), user)
        decidable = psel.changeable(sel.plans_for(user, result), user, "decide")
        context.update(
            plans=plans, changeable_plans=changeable, outcome_panels=outcome_panels(user, result)
        )
        if can_plan:
            context["new_plan_form"] = f.PlanDraftForm()
        if changeable:
            mine = [p for p in plans if p.pk in changeable]
            context["option_form"] = f.OptionForm()
            context["target_form"] = f.TargetForm(user=user)
            context["decision_form"] = f.DecisionForm()
            context["target_status_form"] = f.TargetStatusForm()
            context["negotiation_forms"] = {
                p.pk: f.NegotiationForm(plan=p, user=user, initial={"occurred_on": today})
                for p in mine
            }
            context["plan_edit_forms"] = {
                p.pk: f.PlanDraftForm(
                    initial={
                        "transfer_mode": p.transfer_mode,
                        "summary_zh": p.summary_zh,
                        "summary_en": p.summary_en,
                    }
                )
                for p in mine
                if p.status == TransferPlanStatusChoices.DRAFT
            }
            context["suggested_targets"] = _suggested_targets(request, result)
            context["plan_moves"] = {
                p.pk: [
                    (e.target, e.verb, svc.plan_problem(p, e.target, user))
                    for e in PLAN_TRANSITIONS
                    if e.source == p.status
                    and e.by_user
                    and (e.verb not in {"approve", "reject"} or p.pk in decidable)
                ]
                for p in mine
            }
    elif tab == "ip":
        families = list(psel.families_for(user, result))
        for family in families:
            for filing in family.filings.all():
                rows = sorted(filing.deadlines.all(), key=lambda d: (d.due, d.pk))
                live = [d for d in rows if d.status == "open" and d.key != "term_end"]
                filing.next_deadlines = live[:4]  # type: ignore[attr-defined]
                filing.other_deadlines = [d for d in rows if d not in filing.next_deadlines]  # type: ignore[attr-defined]
        changeable_families = psel.changeable(PatentFamily.objects.filter(result=result), user)
        context["families"] = families
        context["lapses"] = psel.lapse_outlook(families)
        context["clearance"] = {fam.pk: psel.clearance(fam) for fam in families}
        context["changeable_families"] = changeable_families
        context["changeable_filings"] = psel.changeable(
            Filing.objects.filter(family__result=result), user
        )
        context["changeable_deadlines"] = psel.changeable(
            FilingDeadline.objects.filter(filing__family__result=result), user
        )
        context["proposals"] = {
            fam.pk: psvc.layout_proposals(fam) for fam in families if fam.pk in changeable_families
        }
        if can_plan:
            context["family_form"] = pf.FamilyForm(
                initial={
                    "title_zh": result.title_zh,
                    "title_en": result.title_en,
                    "made_in_china": True,
                    "manager": user.pk,
                    "target_offices": ["CN"],
                }
            )
        if changeable_families:
            context["filing_forms"] = {
                fam.pk: pf.FilingForm(family=fam, user=user)
                for fam in families
                if fam.pk in changeable_families
            }
            context["confidentiality_form"] = pf.ConfidentialityForm()
        if context["changeable_filings"]:
            context["filing_update_form"] = pf.FilingUpdateForm()
            context["abandon_form"] = pf.AbandonForm(
                initial={"decided_on": today, "approved_by": user.pk}
            )
        if context["changeable_deadlines"]:
            context["done_form"] = pf.DoneForm(initial={"done_on": today})
    elif tab == "financing":
        if not context["show_financing"]:
            raise Http404
        context["valuations"] = list(finsel.valuations_for(user, result))
        context["pledges"] = list(finsel.pledge_loans(user).filter(result=result))
        context["rooms"] = list(
            sel.deal_rooms_for(user).filter(result=result).prefetch_related("attachments")
        )
        if can_plan:
            deals = list(finsvc.comparable_deals(user, result)[:50])
            context["valuation_form"] = finf.ValuationForm(
                deals=deals,
                initial={"valuation_date": today, "concluded_method": "relief_from_royalty"},
            )
            context["pledge_form"] = finf.PledgeForm(result=result, user=user)
            context["room_form"] = f.DealRoomForm(
                result=result, user=user, initial={"title": result.title}
            )
    elif tab == "services":
        changeable_channels = psel.changeable(OverseasChannel.objects.filter(result=result), user)
        changeable_tasks = psel.changeable(ServiceTask.objects.filter(result=result), user)
        context["channels"] = list(sel.channels_for(user, result))
        context["tasks"] = list(sel.tasks_for(user, result))
        context["log"] = list(sel.service_log_for(user, result)[:50])
        context["changeable_channels"] = changeable_channels
        context["changeable_tasks"] = changeable_tasks
        if changeable_channels:
            context["channel_status_form"] = f.ChannelStatusForm()
        if changeable_tasks:
            context["task_status_form"] = f.TaskStatusForm()
        if can_plan:
            context["channel_form"] = f.ChannelForm(result=result, user=user)
            context["task_form"] = f.TaskForm(
                initial={"owner": user.pk, "due_on": today + timedelta(days=14)}
            )
            context["log_form"] = f.ServiceLogForm(initial={"occurred_on": today})
    context.update(overrides or {})
    return context


def _suggested_targets(request: AuthedHttpRequest, result: Result) -> list[Any]:
    """Enterprises whose live demands fit the result (the demands app registers its matching:
    ``hooks.register_suggested_targets``), if present."""
    return suggested_targets(request.user, result)


def _render_workspace(
    request: AuthedHttpRequest,
    result: Result,
    tab: str,
    overrides: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "planning/workspace.html",
        _workspace_context(request, result, tab, overrides),
        status=status,
    )


@login_required
@require_GET
def workspace_view(request: AuthedHttpRequest, pk: int, tab: str = "plan") -> HttpResponse:
    if tab not in TABS:
        raise Http404
    result = _result_for_view(request, pk)
    return _render_workspace(request, result, tab)


def _act(
    request: AuthedHttpRequest,
    result: Result,
    tab: str,
    form: Form,
    call: Callable[[Form], Any],
    success: str,
    form_key: str,
    anchor: str = "",
) -> HttpResponse:
    """Validate ``form``, call the service (``core.action_views.form_service_redirect``); on error
    re-render the tab with the bound form (400)."""
    url = reverse(f"planning:{'result' if tab == 'plan' else 'result_' + tab}", args=[result.pk])

    def invalid(bound: Form) -> HttpResponse:
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
        return _render_workspace(
            request, result, tab, {form_key: bound, "open_form": form_key}, status=400
        )

    try:
        return form_service_redirect(
            request,
            form,
            lambda data: call(form),
            success=success,
            success_url=url + (f"#{anchor}" if anchor else ""),
            invalid=invalid,
            put_errors=apply_errors,
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc


# plan ----------------------------------------------------------------------------------------


@login_required
@require_POST
def plan_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.PlanDraftForm(request.POST)
    return _act(
        request,
        result,
        "plan",
        form,
        lambda fm: svc.plan_create(result=result, actor=request.user, **fm.cleaned_data),
        _("A draft plan was created."),
        "new_plan_form",
    )


def _plan_for_change(request: AuthedHttpRequest, pk: int, action: str = "change") -> TransferPlan:
    return for_change(request, TransferPlan.objects.select_related("result"), pk, action)


@login_required
@require_POST
def plan_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = f.PlanDraftForm(request.POST)
    return _act(
        request,
        plan.result,
        "plan",
        form,
        lambda fm: svc.plan_update(plan=plan, actor=request.user, **fm.cleaned_data),
        _("The plan was saved."),
        "new_plan_form",
        f"plan-{plan.pk}",
    )


@login_required
@require_POST
def option_add_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = f.OptionForm(request.POST)
    return _act(
        request,
        plan.result,
        "plan",
        form,
        lambda fm: svc.plan_option_add(
            plan=plan,
            mode=fm.cleaned_data["mode"],
            terms=fm.terms(),  # type: ignore[attr-defined]
            actor=request.user,
        ),
        _("The transfer option was added."),
        "option_form",
        f"plan-{plan.pk}",
    )


@login_required
@require_POST
def option_remove_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    option = for_change(
        request, TransferOption.objects.select_related("plan__result"), pk, parent=lambda o: o.plan
    )
    try:
        svc.plan_option_remove(option=option, actor=request.user)
        messages.success(request, _("The option was removed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("planning:result", pk=option.plan.result_id)


@login_required
@require_POST
def target_add_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = f.TargetForm(request.POST, user=request.user)
    return _act(
        request,
        plan.result,
        "plan",
        form,
        lambda fm: svc.plan_target_add(plan=plan, actor=request.user, **fm.cleaned_data),
        _("The target enterprise was added."),
        "target_form",
        f"plan-{plan.pk}",
    )


@login_required
@require_POST
def target_status_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    target = for_change(
        request, PlanTarget.objects.select_related("plan__result"), pk, parent=lambda t: t.plan
    )
    form = f.TargetStatusForm(request.POST)
    return _act(
        request,
        target.plan.result,
        "plan",
        form,
        lambda fm: svc.plan_target_set_status(target=target, actor=request.user, **fm.cleaned_data),
        _("The target's status was changed."),
        "target_status_form",
    )


@login_required
@require_POST
def negotiation_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = f.NegotiationForm(request.POST, plan=plan, user=request.user)
    response = _act(
        request,
        plan.result,
        "plan",
        form,
        lambda fm: svc.negotiation_record(plan=plan, actor=request.user, **fm.cleaned_data),
        _("The negotiation was logged."),
        "negotiation_form",
        f"plan-{plan.pk}",
    )
    return response


@login_required
@require_POST
def plan_move_view(request: AuthedHttpRequest, pk: int, verb: str) -> HttpResponse:
    plan = _plan_for_change(request, pk, "decide" if verb in {"approve", "reject"} else "change")
    form = f.DecisionForm(request.POST)
    calls: dict[str, Callable[[Form], Any]] = {
        "submit": lambda fm: svc.plan_submit(plan=plan, actor=request.user),
        "approve": lambda fm: svc.plan_decide_approve(
            plan=plan, note=fm.cleaned_data["note"], actor=request.user
        ),
        "reject": lambda fm: svc.plan_reject(
            plan=plan, reason=fm.cleaned_data["note"], actor=request.user
        ),
        "revise": lambda fm: svc.plan_revise(plan=plan, actor=request.user),
    }
    if verb not in calls:
        raise Http404
    done = {
        "submit": _("The plan was submitted for approval."),
        "approve": _("The transfer plan was approved."),
        "reject": _("The plan was rejected."),
        "revise": _("The plan is a draft again."),
    }
    return _act(
        request,
        plan.result,
        "plan",
        form,
        calls[verb],
        done[verb],
        "decision_form",
        f"plan-{plan.pk}",
    )


@login_required
@require_POST
def plan_approve_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The result page's one-step form (``results:plan``): the plan with its recommended mode and
    that mode's terms, approved at once; under four-eyes approval, submitted for another manager.
    Errors re-render the form with what was typed (400); nothing is saved."""
    result = _result_for_change(request, pk)
    if not permitted(request.user, TransferPlan, "decide"):
        raise PermissionDenied(_("Only TTO managers approve transfer plans."))
    four_eyes = svc.four_eyes_on()
    form = f.PlanForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        common = {
            "result": result,
            "transfer_mode": c["transfer_mode"],
            "summary_zh": c["summary_zh"],
            "summary_en": c["summary_en"],
            "terms": form.terms(),
            "actor": request.user,
        }
        try:
            if four_eyes:
                svc.plan_propose(**common)
                messages.success(
                    request,
                    _("The transfer plan was submitted: another manager or an admin approves it."),
                )
            else:
                svc.plan_approve(note=c["note"], **common)
                messages.success(request, _("The transfer plan was approved."))
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("results:detail", pk=pk)
    messages.error(request, _("Nothing was saved: correct the fields marked below."))
    return render(
        request,
        "planning/plan_quick.html",
        {"result": result, "plan_form": form, "four_eyes": four_eyes},
        status=400,
    )


# IP layout -------------------------------------------------------------------------------------


@login_required
@require_POST
def family_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = pf.FamilyForm(request.POST)
    return _act(
        request,
        result,
        "ip",
        form,
        lambda fm: psvc.family_create(result=result, actor=request.user, **fm.cleaned_data),
        _("The patent family was added."),
        "family_form",
    )


def _family_for_change(request: AuthedHttpRequest, pk: int) -> PatentFamily:
    return for_change(request, PatentFamily.objects.select_related("result"), pk)


@login_required
@require_POST
def filing_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    family = _family_for_change(request, pk)
    form = pf.FilingForm(request.POST, family=family, user=request.user)

    def call(fm: Form) -> Any:
        return psvc.filing_create(family=family, data=fm.to_input(), actor=request.user)  # type: ignore[attr-defined]

    overrides_key = "filing_form_bound"
    if form.is_valid():
        return _act(
            request,
            family.result,
            "ip",
            form,
            call,
            _("The filing was added and its deadlines derived."),
            overrides_key,
            f"family-{family.pk}",
        )
    context_forms = {family.pk: form}
    messages.error(request, _("Nothing was saved: correct the fields marked below."))
    ctx = _workspace_context(request, family.result, "ip")
    ctx["filing_forms"].update(context_forms)
    return render(request, "planning/workspace.html", ctx, status=400)


@login_required
@require_POST
def family_propose_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    family = _family_for_change(request, pk)
    created = psvc.layout_propose_filings(family=family, actor=request.user)
    messages.success(request, _("%(n)s planned filings were added.") % {"n": len(created)})
    return redirect(reverse("planning:result_ip", args=[family.result_id]) + f"#family-{family.pk}")


@login_required
@require_POST
def confidentiality_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    family = _family_for_change(request, pk)
    form = pf.ConfidentialityForm(request.POST)
    return _act(
        request,
        family.result,
        "ip",
        form,
        lambda fm: psvc.confidentiality_record(
            family=family, actor=request.user, **fm.cleaned_data
        ),
        _("The confidentiality examination was recorded."),
        "confidentiality_form",
        f"family-{family.pk}",
    )


@login_required
@require_POST
def filing_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    filing = filing_for_change(request, pk)
    form = pf.FilingUpdateForm(request.POST)

    def call(fm: Form) -> Any:
        c = fm.cleaned_data
        return psvc.filing_update(
            filing=filing,
            application_number=c["application_number"],
            filing_date=c["filing_date"],
            grant_date=c["grant_date"],
            compensation_days=c["compensation_days"] or 0,
            actor=request.user,
        )

    return _act(
        request,
        filing.family.result,
        "ip",
        form,
        call,
        _("The filing was updated and its deadlines derived again."),
        "filing_update_form",
        f"family-{filing.family_id}",
    )


@login_required
@require_POST
def filing_abandon_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    filing = filing_for_change(request, pk)
    form = pf.AbandonForm(request.POST)
    return _act(
        request,
        filing.family.result,
        "ip",
        form,
        lambda fm: psvc.filing_abandon(filing=filing, actor=request.user, **fm.cleaned_data),
        _("The decision to abandon was recorded."),
        "abandon_form",
        f"family-{filing.family_id}",
    )


@login_required
@require_POST
def deadline_done_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deadline = for_change(
        request, FilingDeadline.objects.select_related("filing__family__result"), pk
    )
    form = pf.DoneForm(request.POST)
    response = _act(
        request,
        deadline.filing.family.result,
        "ip",
        form,
        lambda fm: psvc.deadline_mark_done(
            deadline=deadline, actor=request.user, **fm.cleaned_data
        ),
        _("The deadline was marked done."),
        "done_form",
    )
    if request.POST.get("next") == "calendar" and response.status_code == 302:
        return redirect("planning:calendar")
    return response


# financing ----------------------------------------------------------------------------------------


@login_required
@require_POST
def valuation_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    deals = list(finsvc.comparable_deals(request.user, result)[:50])
    form = finf.ValuationForm(request.POST, deals=deals)
    if request.POST.get("action") == "preview":
        preview = None
        if form.is_valid():
            values, errors = finsvc.valuation_compute(result, form.to_input(), actor=request.user)
            if errors:
                apply_errors(form, ValidationError(errors))
            else:
                revenues = [calc.parse_decimal(r, "revenue") for r in values["revenues"]]
                rfr = calc.relief_from_royalty(
                    revenues,
                    values["royalty_rate"],
                    values["tax_rate"],
                    values["discount_rate"],
                    decay=values["decay"],
                )
                cells = calc.sensitivity_grid(
                    revenues,
                    values["royalty_rate"],
                    values["tax_rate"],
                    values["discount_rate"],
                    decay=values["decay"],
                )
                royalties = sorted({c.royalty_rate for c in cells})
                discounts = sorted({c.discount_rate for c in cells})
                lookup = {(c.royalty_rate, c.discount_rate): c.value for c in cells}
                preview = {
                    "values": values,
                    "years": [y.as_dict() for y in rfr.years],
                    "royalties": royalties,
                    "discounts": discounts,
                    "grid": [(r, [lookup.get((r, d)) for d in discounts]) for r in royalties],
                }
        return _render_workspace(
            request,
            result,
            "financing",
            {"valuation_form": form, "preview": preview, "open_form": "valuation_form"},
            status=200 if preview else 400,
        )
    return _act(
        request,
        result,
        "financing",
        form,
        lambda fm: finsvc.valuation_create(result=result, data=fm.to_input(), actor=request.user),  # type: ignore[attr-defined]
        _("The valuation was saved."),
        "valuation_form",
    )


@login_required
@require_POST
def pledge_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = finf.PledgeForm(request.POST, result=result, user=request.user)
    return _act(
        request,
        result,
        "financing",
        form,
        lambda fm: finsvc.pledge_loan_create(result=result, actor=request.user, **fm.cleaned_data),
        _("The pledge loan was recorded; its patents are now encumbered."),
        "pledge_form",
        "pledges",
    )


@login_required
@require_POST
def room_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.DealRoomForm(request.POST, result=result, user=request.user)
    return _act(
        request,
        result,
        "financing",
        form,
        lambda fm: svc.deal_room_create(result=result, actor=request.user, **fm.cleaned_data),
        _("The deal room was opened."),
        "room_form",
        "rooms",
    )


@login_required
@require_GET
def room_list_view(request: AuthedHttpRequest) -> HttpResponse:
    or_404(permitted(request.user, DealRoom, "view"))
    rooms = sel.deal_rooms_for(request.user)
    return render(request, "planning/room_list.html", {"rooms": rooms})


@login_required
@require_GET
def room_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    room = get_object_or_404(sel.deal_rooms_for(request.user), pk=pk)
    audit_record(
        actor=request.user,
        action="deal_room.view",
        obj=room,
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    return render(
        request,
        "planning/room_detail.html",
        {
            "room": room,
            "result": room.result,
            "documents": room.attachments.all(),
            "can_change": allows(request.user, room, "change"),
            "invites": room.invites.all(),
            "invite_form": f.InviteForm(),
        },
    )


@login_required
@require_GET
def room_document_view(request: AuthedHttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    room = get_object_or_404(sel.deal_rooms_for(request.user), pk=pk)
    attachment = get_object_or_404(room.attachments.all(), pk=attachment_pk)
    audit_record(
        actor=request.user,
        action="deal_room.download",
        obj=room,
        payload={"attachment": attachment.pk},
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@login_required
@require_POST
def room_invite_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    room = for_change(request, DealRoom.objects.all(), pk)
    form = f.InviteForm(request.POST)
    if form.is_valid():
        try:
            svc.deal_room_invite(room=room, user=form.cleaned_data["user"], actor=request.user)
            messages.success(request, _("The investor was invited."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose an investor."))
    return redirect("planning:room", pk=room.pk)


@login_required
@require_POST
def room_close_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    room = for_change(request, DealRoom.objects.all(), pk)
    svc.deal_room_set_open(room=room, is_open=not room.is_open, actor=request.user)
    messages.success(request, _("The room is open.") if room.is_open else _("The room is closed."))
    return redirect("planning:room", pk=room.pk)


# overseas channels and companion services ------------------------------------------------------------


@login_required
@require_POST
def channel_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.ChannelForm(request.POST, result=result, user=request.user)
    return _act(
        request,
        result,
        "services",
        form,
        lambda fm: svc.channel_create(result=result, actor=request.user, **fm.cleaned_data),
        _("The overseas channel was added."),
        "channel_form",
        "channels",
    )


@login_required
@require_POST
def channel_status_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    channel = for_change(request, OverseasChannel.objects.select_related("result"), pk)
    form = f.ChannelStatusForm(request.POST)
    return _act(
        request,
        channel.result,
        "services",
        form,
        lambda fm: svc.channel_set_status(channel=channel, actor=request.user, **fm.cleaned_data),
        _("The channel's status was changed."),
        "channel_status_form",
        "channels",
    )


@login_required
def channel_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    channel = for_change(request, OverseasChannel.objects.select_related("result"), pk)
    form = f.ChannelForm(request.POST or None, channel=channel, user=request.user)
    return edit_page(
        request,
        form,
        lambda fm: svc.channel_update(channel=channel, actor=request.user, **fm.cleaned_data),
        heading=_("Edit the overseas channel: %(country)s") % {"country": channel.country},
        back_url=reverse("planning:result_services", args=[channel.result_id]) + "#channels",
        done=_("The overseas channel was saved."),
    )


@login_required
@require_POST
def task_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.TaskForm(request.POST)
    return _act(
        request,
        result,
        "services",
        form,
        lambda fm: svc.task_create(result=result, actor=request.user, **fm.cleaned_data),
        _("The task was added."),
        "task_form",
        "tasks",
    )


@login_required
@require_POST
def task_status_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = for_change(request, ServiceTask.objects.select_related("result"), pk)
    form = f.TaskStatusForm(request.POST)
    return _act(
        request,
        task.result,
        "services",
        form,
        lambda fm: svc.task_set_status(task=task, actor=request.user, **fm.cleaned_data),
        _("The task's status was changed."),
        "task_status_form",
        "tasks",
    )


@login_required
@require_POST
def service_log_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.ServiceLogForm(request.POST)
    return _act(
        request,
        result,
        "services",
        form,
        lambda fm: svc.service_log_record(result=result, actor=request.user, **fm.cleaned_data),
        _("The service was logged."),
        "log_form",
        "log",
    )


# overview pages -------------------------------------------------------------------------------------


@login_required
@require_GET
def index_view(request: AuthedHttpRequest) -> HttpResponse:
    or_404(does_planning(request.user))
    user = request.user
    return render(
        request,
        "planning/index.html",
        {
            "awaiting": sel.plans_awaiting_approval(user),
            "deadlines": psel.calendar_deadlines(user, manager=user, days=60)[:20],
            "tasks": sel.my_open_tasks(user)[:20],
            "results": sel.planning_results(user, "change")
            .filter(stage=ResultStageChoices.PLANNING)
            .order_by("-stage_changed_at")[:30],
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def workload_view(request: AuthedHttpRequest) -> HttpResponse:
    or_404(permitted(request.user, ServiceLogEntry, "figures"))
    today = timezone.localdate()
    form = f.WorkloadForm(
        request.GET or None, initial={"since": today.replace(month=1, day=1), "until": today}
    )
    since, until = today.replace(month=1, day=1), today
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        if since > until:
            form.add_error("until", _("The end comes before the start."))
    if not form.is_bound:
        form = f.WorkloadForm(initial={"since": since, "until": until})
    report = sel.workload(request.user, since=since, until=until)
    return render(
        request,
        "planning/workload.html",
        {"form": form, "report": report, "since": since, "until": until},
    )
