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
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opentto.accounts.models import User
from opentto.core.audit import audit_record
from opentto.core.http import AuthedHttpRequest
from opentto.core.permissions import allows, permitted
from opentto.organisations.models import Organisation
from opentto.results.models import Result, ResultStageChoices

from . import forms as f
from . import selectors as sel
from . import services as svc
from . import valuation as calc
from .deadlines import covered_years
from .hooks import outcome_panels
from .ics import deadlines_ics
from .memo import memo_data, valuation_memo_pdf
from .models import (
    PLAN_TRANSITIONS,
    CalendarFeed,
    DealRoom,
    Filing,
    FilingDeadline,
    FilingFeeReduction,
    OverseasChannel,
    PatentFamily,
    PlanTarget,
    PledgeLoan,
    PoolAsset,
    ServiceLogEntry,
    ServiceTask,
    TransferOption,
    TransferPlan,
    TransferPlanStatusChoices,
    Valuation,
)
from .permissions import does_planning

TABS = ("plan", "ip", "financing", "services")


def _or_404(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _for_change(request: AuthedHttpRequest, qs: Any, pk: int, action: str = "change", parent: Callable[[Any], Any] | None = None) -> Any:
    """The object ``pk`` of ``qs`` the user may ``action`` (on ``parent(obj)`` where the action is
    the parent's): 404 when the user may not see it, 403 when they may only see it."""
    obj = get_object_or_404(qs.restrict(request.user, "view"), pk=pk)
    if not allows(request.user, parent(obj) if parent else obj, action):
        raise PermissionDenied(_("Only TTO managers do operations planning."))
    return obj


def _result_for_change(request: AuthedHttpRequest, pk: int) -> Result:
    """A result the user may plan for: 404 when not visible at all, 403 when visible only."""
    return _for_change(request, Result.objects.all(), pk, "plan")  # type: ignore[no-any-return]


def _result_for_view(request: AuthedHttpRequest, pk: int) -> Result:
    return get_object_or_404(sel.planning_results(request.user), pk=pk)


def _financing_visible(user: Any) -> bool:
    """Whether the user may see any kind of financing record (the financing tab)."""
    return any(permitted(user, model, "view") for model in (Valuation, PledgeLoan, DealRoom))


def _apply_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            base = field.split("-")[0]
            form.add_error(base if base in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- the result's planning workspace -------------------------------------------------------------


def _workspace_context(request: AuthedHttpRequest, result: Result, tab: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The tab's records, each what the user may see; its forms where the user may use them:
    ``can_plan`` (add records to the result) and the ids of the records the user may change."""
    user = request.user
    can_plan = allows(user, result, "plan")
    today = timezone.localdate()
    context: dict[str, Any] = {
        "result": result, "tab": tab, "tabs": TABS, "can_plan": can_plan, "show_financing": _financing_visible(user), "today": today,
    }
    if tab == "plan":
        plans = list(sel.plans_for(user, result))
        changeable = sel.changeable(sel.plans_for(user, result), user)
        decidable = sel.changeable(sel.plans_for(user, result), user, "decide")
        context.update(plans=plans, changeable_plans=changeable, outcome_panels=outcome_panels(user, result))
        if can_plan:
            context["new_plan_form"] = f.PlanDraftForm()
        if changeable:
            mine = [p for p in plans if p.pk in changeable]
            context["option_form"] = f.OptionForm()
            context["target_form"] = f.TargetForm(user=user)
            context["decision_form"] = f.DecisionForm()
            context["target_status_form"] = f.TargetStatusForm()
            context["negotiation_forms"] = {p.pk: f.NegotiationForm(plan=p, user=user, initial={"occurred_on": today}) for p in mine}
            context["plan_edit_forms"] = {p.pk: f.PlanDraftForm(initial={"transfer_mode": p.transfer_mode, "summary_zh": p.summary_zh, "summary_en": p.summary_en}) for p in mine if p.status == TransferPlanStatusChoices.DRAFT}
            context["suggested_targets"] = _suggested_targets(request, result)
            context["plan_moves"] = {
                p.pk: [(target, verb, svc.plan_problem(p, target, user)) for (source, target), verb in PLAN_TRANSITIONS.items()
                       if source == p.status and verb != "supersede" and (verb not in {"approve", "reject"} or p.pk in decidable)]
                for p in mine
            }
    elif tab == "ip":
        families = list(sel.families_for(user, result))
        for family in families:
            for filing in family.filings.all():
                rows = sorted(filing.deadlines.all(), key=lambda d: (d.due, d.pk))
                live = [d for d in rows if d.status == "open" and d.key != "term_end"]
                filing.next_deadlines = live[:4]  # type: ignore[attr-defined]
                filing.other_deadlines = [d for d in rows if d not in filing.next_deadlines]  # type: ignore[attr-defined]
        changeable_families = sel.changeable(PatentFamily.objects.filter(result=result), user)
        context["families"] = families
        context["lapses"] = sel.lapse_outlook(families)
        context["clearance"] = {fam.pk: sel.clearance(fam) for fam in families}
        context["changeable_families"] = changeable_families
        context["changeable_filings"] = sel.changeable(Filing.objects.filter(family__result=result), user)
        context["changeable_deadlines"] = sel.changeable(FilingDeadline.objects.filter(filing__family__result=result), user)
        context["proposals"] = {fam.pk: svc.layout_proposals(fam) for fam in families if fam.pk in changeable_families}
        if can_plan:
            context["family_form"] = f.FamilyForm(initial={"title_zh": result.title_zh, "title_en": result.title_en, "made_in_china": True, "manager": user.pk, "target_offices": ["CN"]})
        if changeable_families:
            context["filing_forms"] = {fam.pk: f.FilingForm(family=fam, user=user) for fam in families if fam.pk in changeable_families}
            context["confidentiality_form"] = f.ConfidentialityForm()
        if context["changeable_filings"]:
            context["filing_update_form"] = f.FilingUpdateForm()
            context["abandon_form"] = f.AbandonForm(initial={"decided_on": today, "approved_by": user.pk})
        if context["changeable_deadlines"]:
            context["done_form"] = f.DoneForm(initial={"done_on": today})
    elif tab == "financing":
        if not context["show_financing"]:
            raise Http404
        context["valuations"] = list(sel.valuations_for(user, result))
        context["pledges"] = list(sel.pledge_loans(user).filter(result=result))
        context["rooms"] = list(sel.deal_rooms_for(user).filter(result=result).prefetch_related("attachments"))
        if can_plan:
            deals = list(svc.comparable_deals(user, result)[:50])
            context["valuation_form"] = f.ValuationForm(deals=deals, initial={"valuation_date": today, "concluded_method": "relief_from_royalty"})
            context["pledge_form"] = f.PledgeForm(result=result, user=user)
            context["room_form"] = f.DealRoomForm(result=result, user=user, initial={"title": result.title})
    elif tab == "services":
        changeable_channels = sel.changeable(OverseasChannel.objects.filter(result=result), user)
        changeable_tasks = sel.changeable(ServiceTask.objects.filter(result=result), user)
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
            context["task_form"] = f.TaskForm(initial={"owner": user.pk, "due_on": today + timedelta(days=14)})
            context["log_form"] = f.ServiceLogForm(initial={"occurred_on": today})
    context.update(overrides or {})
    return context


def _suggested_targets(request: AuthedHttpRequest, result: Result) -> list[Any]:
    """Enterprises whose live demands fit the result (the demands app's matching), if present."""
    try:
        from opentto.demands.selectors import result_demands
    except ImportError:  # the demands app is optional
        return []
    return list(result_demands(request.user, result).enterprises)


def _render_workspace(request: AuthedHttpRequest, result: Result, tab: str, overrides: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "planning/workspace.html", _workspace_context(request, result, tab, overrides), status=status)


@login_required
@require_GET
def workspace_view(request: AuthedHttpRequest, pk: int, tab: str = "plan") -> HttpResponse:
    if tab not in TABS:
        raise Http404
    result = _result_for_view(request, pk)
    return _render_workspace(request, result, tab)


def _act(
    request: AuthedHttpRequest, result: Result, tab: str, form: Form, call: Callable[[Form], Any], success: str, form_key: str,
    anchor: str = "",
) -> HttpResponse:
    """Validate ``form``, call the service; on error re-render the tab with the bound form (400)."""
    if form.is_valid():
        try:
            call(form)
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, success)
            url = reverse(f"planning:{'result' if tab == 'plan' else 'result_' + tab}", args=[result.pk])
            return redirect(url + (f"#{anchor}" if anchor else ""))
    messages.error(request, _("Nothing was saved: correct the fields marked below."))
    return _render_workspace(request, result, tab, {form_key: form, "open_form": form_key}, status=400)


# plan ----------------------------------------------------------------------------------------


@login_required
@require_POST
def plan_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.PlanDraftForm(request.POST)
    return _act(request, result, "plan", form, lambda fm: svc.plan_create(result=result, actor=request.user, **fm.cleaned_data), _("A draft plan was created."), "new_plan_form")


def _plan_for_change(request: AuthedHttpRequest, pk: int, action: str = "change") -> TransferPlan:
    return _for_change(request, TransferPlan.objects.select_related("result"), pk, action)  # type: ignore[no-any-return]


@login_required
@require_POST
def plan_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = f.PlanDraftForm(request.POST)
    return _act(request, plan.result, "plan", form, lambda fm: svc.plan_update(plan=plan, actor=request.user, **fm.cleaned_data), _("The plan was saved."), "new_plan_form", f"plan-{plan.pk}")


@login_required
@require_POST
def option_add_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = f.OptionForm(request.POST)
    return _act(request, plan.result, "plan", form, lambda fm: svc.plan_option_add(plan=plan, mode=fm.cleaned_data["mode"], terms=fm.terms(), actor=request.user), _("The transfer option was added."), "option_form", f"plan-{plan.pk}")  # type: ignore[attr-defined]


@login_required
@require_POST
def option_remove_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    option = _for_change(request, TransferOption.objects.select_related("plan__result"), pk, parent=lambda o: o.plan)
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
    return _act(request, plan.result, "plan", form, lambda fm: svc.plan_target_add(plan=plan, actor=request.user, **fm.cleaned_data), _("The target enterprise was added."), "target_form", f"plan-{plan.pk}")


@login_required
@require_POST
def target_status_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    target = _for_change(request, PlanTarget.objects.select_related("plan__result"), pk, parent=lambda t: t.plan)
    form = f.TargetStatusForm(request.POST)
    return _act(request, target.plan.result, "plan", form, lambda fm: svc.plan_target_set_status(target=target, actor=request.user, **fm.cleaned_data), _("The target's status was changed."), "target_status_form")


@login_required
@require_POST
def negotiation_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_change(request, pk)
    form = f.NegotiationForm(request.POST, plan=plan, user=request.user)
    response = _act(request, plan.result, "plan", form, lambda fm: svc.negotiation_record(plan=plan, actor=request.user, **fm.cleaned_data), _("The negotiation was logged."), "negotiation_form", f"plan-{plan.pk}")
    return response


@login_required
@require_POST
def plan_move_view(request: AuthedHttpRequest, pk: int, verb: str) -> HttpResponse:
    plan = _plan_for_change(request, pk, "decide" if verb in {"approve", "reject"} else "change")
    form = f.DecisionForm(request.POST)
    calls: dict[str, Callable[[Form], Any]] = {
        "submit": lambda fm: svc.plan_submit(plan=plan, actor=request.user),
        "approve": lambda fm: svc.plan_decide_approve(plan=plan, note=fm.cleaned_data["note"], actor=request.user),
        "reject": lambda fm: svc.plan_reject(plan=plan, reason=fm.cleaned_data["note"], actor=request.user),
        "revise": lambda fm: svc.plan_revise(plan=plan, actor=request.user),
    }
    if verb not in calls:
        raise Http404
    done = {"submit": _("The plan was submitted for approval."), "approve": _("The transfer plan was approved."), "reject": _("The plan was rejected."), "revise": _("The plan is a draft again.")}
    return _act(request, plan.result, "plan", form, calls[verb], done[verb], "decision_form", f"plan-{plan.pk}")


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
        common = {"result": result, "transfer_mode": c["transfer_mode"], "summary_zh": c["summary_zh"], "summary_en": c["summary_en"], "terms": form.terms(), "actor": request.user}
        try:
            if four_eyes:
                svc.plan_propose(**common)  # type: ignore[arg-type]
                messages.success(request, _("The transfer plan was submitted: another manager or an admin approves it."))
            else:
                svc.plan_approve(note=c["note"], **common)  # type: ignore[arg-type]
                messages.success(request, _("The transfer plan was approved."))
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("results:detail", pk=pk)
    messages.error(request, _("Nothing was saved: correct the fields marked below."))
    return render(request, "planning/plan_quick.html", {"result": result, "plan_form": form, "four_eyes": four_eyes}, status=400)


# IP layout -------------------------------------------------------------------------------------


@login_required
@require_POST
def family_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.FamilyForm(request.POST)
    return _act(request, result, "ip", form, lambda fm: svc.family_create(result=result, actor=request.user, **fm.cleaned_data), _("The patent family was added."), "family_form")


def _family_for_change(request: AuthedHttpRequest, pk: int) -> PatentFamily:
    return _for_change(request, PatentFamily.objects.select_related("result"), pk)  # type: ignore[no-any-return]


@login_required
@require_POST
def filing_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    family = _family_for_change(request, pk)
    form = f.FilingForm(request.POST, family=family, user=request.user)

    def call(fm: Form) -> Any:
        return svc.filing_create(family=family, data=fm.to_input(), actor=request.user)  # type: ignore[attr-defined]

    overrides_key = "filing_form_bound"
    if form.is_valid():
        return _act(request, family.result, "ip", form, call, _("The filing was added and its deadlines derived."), overrides_key, f"family-{family.pk}")
    context_forms = {family.pk: form}
    messages.error(request, _("Nothing was saved: correct the fields marked below."))
    ctx = _workspace_context(request, family.result, "ip")
    ctx["filing_forms"].update(context_forms)
    return render(request, "planning/workspace.html", ctx, status=400)


@login_required
@require_POST
def family_propose_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    family = _family_for_change(request, pk)
    created = svc.layout_propose_filings(family=family, actor=request.user)
    messages.success(request, _("%(n)s planned filings were added.") % {"n": len(created)})
    return redirect(reverse("planning:result_ip", args=[family.result_id]) + f"#family-{family.pk}")


@login_required
@require_POST
def confidentiality_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    family = _family_for_change(request, pk)
    form = f.ConfidentialityForm(request.POST)
    return _act(request, family.result, "ip", form, lambda fm: svc.confidentiality_record(family=family, actor=request.user, **fm.cleaned_data), _("The confidentiality examination was recorded."), "confidentiality_form", f"family-{family.pk}")


def _filing_for_change(request: AuthedHttpRequest, pk: int) -> Filing:
    return _for_change(request, Filing.objects.select_related("family__result"), pk)  # type: ignore[no-any-return]


@login_required
@require_POST
def filing_update_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    filing = _filing_for_change(request, pk)
    form = f.FilingUpdateForm(request.POST)

    def call(fm: Form) -> Any:
        c = fm.cleaned_data
        return svc.filing_update(filing=filing, application_number=c["application_number"], filing_date=c["filing_date"], grant_date=c["grant_date"], compensation_days=c["compensation_days"] or 0, actor=request.user)

    return _act(request, filing.family.result, "ip", form, call, _("The filing was updated and its deadlines derived again."), "filing_update_form", f"family-{filing.family_id}")


def _edit_page(
    request: AuthedHttpRequest, form: Form, save: Callable[[Form], Any], *, heading: str, back_url: str, done: str, lead: str = "",
) -> HttpResponse:
    """GET shows the edit form; POST validates, calls the service and goes back; errors re-render
    the form with what was typed (400) and nothing is saved."""
    if request.method == "POST":
        if form.is_valid():
            try:
                save(form)
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect(back_url)
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
    status = 400 if form.is_bound else 200
    return render(request, "planning/edit.html", {"form": form, "heading": heading, "lead": lead, "back_url": back_url}, status=status)


@login_required
def filing_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    filing = _filing_for_change(request, pk)
    form = f.FilingForm(request.POST or None, filing=filing, user=request.user)
    return _edit_page(
        request, form, lambda fm: svc.filing_edit(filing=filing, data=fm.to_input(), actor=request.user),  # type: ignore[attr-defined]
        heading=_("Edit the filing: %(office)s %(number)s") % {"office": filing.office, "number": filing.application_number or filing.get_route_display()},
        lead=_("The office and the route change only while the filing is planned. The deadlines are derived again when you save."),
        back_url=reverse("planning:result_ip", args=[filing.family.result_id]) + f"#family-{filing.family_id}",
        done=_("The filing was saved and its deadlines derived again."),
    )


@login_required
def fee_reduction_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A CN filing's fee-reduction status: the rate, each applicant's ground, an open licence."""
    filing = _filing_for_change(request, pk)
    if filing.office != "CN":
        raise Http404
    applicants = list(Organisation.objects.restrict(request.user, "view").filter(ownerships__result_id=filing.family.result_id).order_by("id"))
    record = FilingFeeReduction.objects.filter(filing=filing).prefetch_related("applicants").first()
    initial: dict[str, Any] = {}
    grounds: dict[int, str] = {}
    if record is not None:
        initial = {"reduction": record.reduction, "open_licence_from": record.open_licence_from, "open_licence_until": record.open_licence_until}
        grounds = {a.organisation_id: a.ground for a in record.applicants.all()}
    form = f.FeeReductionForm(request.POST or None, initial=initial, applicants=applicants, initial_grounds=grounds)
    years = covered_years(filing.filing_date, filing.grant_date)
    lead = _("85%% for a single qualifying applicant, 70%% for two or more applicants when every one qualifies (Measures for Patent Fee Reductions, Caishui [2016] No. 78); it covers the application, substantive-examination and re-examination fees and the annual fees of the year of grant and the nine years after it (Caishui [2018] No. 37). During an open licence the annual fees are reduced 15%% when no other reduction applies (Caishui [2024] No. 23).") % {}
    if years is not None:
        lead += " " + _("This patent: annual-fee years %(first)s–%(last)s are covered.") % {"first": years[0], "last": years[1]}
    return _edit_page(
        request, form,
        lambda fm: svc.filing_fee_reduction_record(
            filing=filing, reduction=fm.cleaned_data["reduction"], grounds=fm.grounds(),  # type: ignore[attr-defined]
            open_licence_from=fm.cleaned_data["open_licence_from"], open_licence_until=fm.cleaned_data["open_licence_until"], actor=request.user,
        ),
        heading=_("Fee reduction: %(office)s %(number)s") % {"office": filing.office, "number": filing.application_number or filing.get_route_display()},
        lead=lead,
        back_url=reverse("planning:result_ip", args=[filing.family.result_id]) + f"#filing-{filing.pk}",
        done=_("The fee reduction was recorded."),
    )


@login_required
@require_POST
def filing_abandon_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    filing = _filing_for_change(request, pk)
    form = f.AbandonForm(request.POST)
    return _act(request, filing.family.result, "ip", form, lambda fm: svc.filing_abandon(filing=filing, actor=request.user, **fm.cleaned_data), _("The decision to abandon was recorded."), "abandon_form", f"family-{filing.family_id}")


@login_required
@require_POST
def deadline_done_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    deadline = _for_change(request, FilingDeadline.objects.select_related("filing__family__result"), pk)
    form = f.DoneForm(request.POST)
    response = _act(request, deadline.filing.family.result, "ip", form, lambda fm: svc.deadline_mark_done(deadline=deadline, actor=request.user, **fm.cleaned_data), _("The deadline was marked done."), "done_form")
    if request.POST.get("next") == "calendar" and response.status_code == 302:
        return redirect("planning:calendar")
    return response


# financing ----------------------------------------------------------------------------------------


@login_required
@require_POST
def valuation_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    deals = list(svc.comparable_deals(request.user, result)[:50])
    form = f.ValuationForm(request.POST, deals=deals)
    if request.POST.get("action") == "preview":
        preview = None
        if form.is_valid():
            values, errors = svc.valuation_compute(result, form.to_input(), actor=request.user)
            if errors:
                _apply_errors(form, ValidationError(errors))
            else:
                revenues = [calc.parse_decimal(r, "revenue") for r in values["revenues"]]
                rfr = calc.relief_from_royalty(revenues, values["royalty_rate"], values["tax_rate"], values["discount_rate"], decay=values["decay"])
                cells = calc.sensitivity_grid(revenues, values["royalty_rate"], values["tax_rate"], values["discount_rate"], decay=values["decay"])
                royalties = sorted({c.royalty_rate for c in cells})
                discounts = sorted({c.discount_rate for c in cells})
                lookup = {(c.royalty_rate, c.discount_rate): c.value for c in cells}
                preview = {"values": values, "years": [y.as_dict() for y in rfr.years], "royalties": royalties, "discounts": discounts,
                           "grid": [(r, [lookup.get((r, d)) for d in discounts]) for r in royalties]}
        return _render_workspace(request, result, "financing", {"valuation_form": form, "preview": preview, "open_form": "valuation_form"}, status=200 if preview else 400)
    return _act(request, result, "financing", form, lambda fm: svc.valuation_create(result=result, data=fm.to_input(), actor=request.user), _("The valuation was saved."), "valuation_form")  # type: ignore[attr-defined]


def _valuation(request: AuthedHttpRequest, pk: int) -> Valuation:
    return get_object_or_404(sel.valuation_visible(request.user), pk=pk)


@login_required
@require_GET
def valuation_memo_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    valuation = _valuation(request, pk)
    memo = memo_data(valuation, request.user)
    grid = list(zip(memo.sensitivity_royalties, memo.sensitivity, strict=True))
    return render(request, "planning/valuation_memo.html", {"memo": memo, "memo_grid": grid, "valuation": valuation, "result": valuation.result})


@login_required
@require_GET
def valuation_pdf_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    valuation = _valuation(request, pk)
    audit_record(actor=request.user, action="valuation.pdf", obj=valuation)
    response = HttpResponse(valuation_memo_pdf(valuation, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="valuation-{valuation.pk}.pdf"'
    return response


@login_required
@require_POST
def pledge_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.PledgeForm(request.POST, result=result, user=request.user)
    return _act(request, result, "financing", form, lambda fm: svc.pledge_loan_create(result=result, actor=request.user, **fm.cleaned_data), _("The pledge loan was recorded; its patents are now encumbered."), "pledge_form", "pledges")


@login_required
@require_GET
def pledge_list_view(request: AuthedHttpRequest) -> HttpResponse:
    _or_404(permitted(request.user, PledgeLoan, "view"))
    loans = sel.pledge_loans(request.user)
    return render(request, "planning/pledge_list.html", {
        "loans": loans, "changeable_loans": sel.changeable(loans, request.user), "register_form": f.PledgeRegisterForm(initial={"registration_date": timezone.localdate()}),
        "release_form": f.PledgeReleaseForm(initial={"released_on": timezone.localdate()}),
    })


@login_required
@require_POST
def pledge_move_view(request: AuthedHttpRequest, pk: int, verb: str) -> HttpResponse:
    loan = _for_change(request, PledgeLoan.objects.all(), pk)
    forms_by_verb: dict[str, type[Form]] = {"register": f.PledgeRegisterForm, "release": f.PledgeReleaseForm, "cancel": Form}
    if verb not in forms_by_verb:
        raise Http404
    form = forms_by_verb[verb](request.POST)
    if form.is_valid():
        try:
            if verb == "register":
                svc.pledge_loan_register(loan=loan, actor=request.user, **form.cleaned_data)
            elif verb == "release":
                svc.pledge_loan_release(loan=loan, actor=request.user, **form.cleaned_data)
            else:
                svc.pledge_loan_cancel(loan=loan, actor=request.user)
            messages.success(request, _("The loan's status was changed."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("planning:pledges")


@login_required
def pool_list_view(request: AuthedHttpRequest) -> HttpResponse:
    _or_404(permitted(request.user, "planning.securitisationpool", "view"))
    can_add = permitted(request.user, "planning.securitisationpool", "add")
    if request.method == "POST" and not can_add:
        raise PermissionDenied(_("Only TTO managers do operations planning."))
    form = f.PoolForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
            try:
                pool = svc.pool_create(actor=request.user, **form.cleaned_data)
                messages.success(request, _("The pool was created."))
                return redirect("planning:pool", pk=pool.pk)
            except ValidationError as exc:
                _apply_errors(form, exc)
    return render(request, "planning/pool_list.html", {"pools": sel.pools(request.user), "form": form, "can_add": can_add}, status=400 if form.errors else 200)


@login_required
def pool_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(sel.pools(request.user), pk=pk)
    can_change = allows(request.user, pool, "change")
    if request.method == "POST" and not can_change:
        raise PermissionDenied(_("Only TTO managers do operations planning."))
    form = f.PoolAssetForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
            try:
                svc.pool_asset_add(pool=pool, result=form.cleaned_data["result"], licensee=form.cleaned_data["licensee"], cash_flows=form.flows(), actor=request.user)
                messages.success(request, _("The licence was added to the pool."))
                return redirect("planning:pool", pk=pool.pk)
            except ValidationError as exc:
                _apply_errors(form, exc)
    summary = sel.pool_summary(request.user, pool)
    peak = max((a for _p, a in summary.periods), default=0)
    bars = [(p, a, (a * 100 / peak) if peak else 0) for p, a in summary.periods]
    return render(request, "planning/pool_detail.html", {
        "pool": pool, "summary": summary, "bars": bars, "form": form, "assets": summary.rows, "can_change": can_change,
    }, status=400 if form.errors else 200)


@login_required
def pool_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    pool = _for_change(request, sel.pools(request.user), pk)
    form = f.PoolForm(request.POST or None, user=request.user, initial={"name_zh": pool.name_zh, "name_en": pool.name_en, "arranger": pool.arranger_id, "notes": pool.notes})
    return _edit_page(
        request, form, lambda fm: svc.pool_update(pool=pool, actor=request.user, **fm.cleaned_data),
        heading=_("Edit the pool: %(name)s") % {"name": pool.name}, back_url=reverse("planning:pool", args=[pool.pk]), done=_("The pool was saved."),
    )


def _pool_asset(request: AuthedHttpRequest, pk: int) -> PoolAsset:
    """A pool licence the user may see (404), in a pool they may change (403)."""
    return _for_change(request, PoolAsset.objects.select_related("pool", "result", "licensee"), pk, parent=lambda a: a.pool)  # type: ignore[no-any-return]


@login_required
def pool_asset_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    asset = _pool_asset(request, pk)
    form = f.PoolAssetEditForm(request.POST or None, asset=asset, user=request.user)
    return _edit_page(
        request, form, lambda fm: svc.pool_asset_update(asset=asset, licensee=fm.cleaned_data["licensee"], cash_flows=fm.flows(), actor=request.user),  # type: ignore[attr-defined]
        heading=_("Edit the licence of %(result)s in %(pool)s") % {"result": asset.result.title, "pool": asset.pool.name},
        lead=_("The expected royalties you save replace the licence's old ones."),
        back_url=reverse("planning:pool", args=[asset.pool_id]), done=_("The licence was saved."),
    )


@login_required
@require_POST
def pool_asset_remove_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    asset = _pool_asset(request, pk)
    pool_pk = asset.pool_id
    svc.pool_asset_remove(asset=asset, actor=request.user)
    messages.success(request, _("The licence was taken out of the pool."))
    return redirect("planning:pool", pk=pool_pk)


@login_required
@require_POST
def room_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.DealRoomForm(request.POST, result=result, user=request.user)
    return _act(request, result, "financing", form, lambda fm: svc.deal_room_create(result=result, actor=request.user, **fm.cleaned_data), _("The deal room was opened."), "room_form", "rooms")


@login_required
@require_GET
def room_list_view(request: AuthedHttpRequest) -> HttpResponse:
    _or_404(permitted(request.user, DealRoom, "view"))
    rooms = sel.deal_rooms_for(request.user)
    return render(request, "planning/room_list.html", {"rooms": rooms})


@login_required
@require_GET
def room_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    room = get_object_or_404(sel.deal_rooms_for(request.user), pk=pk)
    audit_record(actor=request.user, action="deal_room.view", obj=room, remote_addr=request.META.get("REMOTE_ADDR"))
    return render(request, "planning/room_detail.html", {
        "room": room, "result": room.result, "documents": room.attachments.all(), "can_change": allows(request.user, room, "change"),
        "invites": room.invites.all(), "invite_form": f.InviteForm(),
    })


@login_required
@require_GET
def room_document_view(request: AuthedHttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    room = get_object_or_404(sel.deal_rooms_for(request.user), pk=pk)
    attachment = get_object_or_404(room.attachments.all(), pk=attachment_pk)
    audit_record(actor=request.user, action="deal_room.download", obj=room, payload={"attachment": attachment.pk}, remote_addr=request.META.get("REMOTE_ADDR"))
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type)


@login_required
@require_POST
def room_invite_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    room = _for_change(request, DealRoom.objects.all(), pk)
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
    room = _for_change(request, DealRoom.objects.all(), pk)
    svc.deal_room_set_open(room=room, is_open=not room.is_open, actor=request.user)
    messages.success(request, _("The room is open.") if room.is_open else _("The room is closed."))
    return redirect("planning:room", pk=room.pk)


# overseas channels and companion services ------------------------------------------------------------


@login_required
@require_POST
def channel_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.ChannelForm(request.POST, result=result, user=request.user)
    return _act(request, result, "services", form, lambda fm: svc.channel_create(result=result, actor=request.user, **fm.cleaned_data), _("The overseas channel was added."), "channel_form", "channels")


@login_required
@require_POST
def channel_status_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    channel = _for_change(request, OverseasChannel.objects.select_related("result"), pk)
    form = f.ChannelStatusForm(request.POST)
    return _act(request, channel.result, "services", form, lambda fm: svc.channel_set_status(channel=channel, actor=request.user, **fm.cleaned_data), _("The channel's status was changed."), "channel_status_form", "channels")


@login_required
def channel_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    channel = _for_change(request, OverseasChannel.objects.select_related("result"), pk)
    form = f.ChannelForm(request.POST or None, channel=channel, user=request.user)
    return _edit_page(
        request, form, lambda fm: svc.channel_update(channel=channel, actor=request.user, **fm.cleaned_data),
        heading=_("Edit the overseas channel: %(country)s") % {"country": channel.country},
        back_url=reverse("planning:result_services", args=[channel.result_id]) + "#channels", done=_("The overseas channel was saved."),
    )


@login_required
@require_POST
def task_create_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.TaskForm(request.POST)
    return _act(request, result, "services", form, lambda fm: svc.task_create(result=result, actor=request.user, **fm.cleaned_data), _("The task was added."), "task_form", "tasks")


@login_required
@require_POST
def task_status_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    task = _for_change(request, ServiceTask.objects.select_related("result"), pk)
    form = f.TaskStatusForm(request.POST)
    return _act(request, task.result, "services", form, lambda fm: svc.task_set_status(task=task, actor=request.user, **fm.cleaned_data), _("The task's status was changed."), "task_status_form", "tasks")


@login_required
@require_POST
def service_log_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    result = _result_for_change(request, pk)
    form = f.ServiceLogForm(request.POST)
    return _act(request, result, "services", form, lambda fm: svc.service_log_record(result=result, actor=request.user, **fm.cleaned_data), _("The service was logged."), "log_form", "log")


# overview pages -------------------------------------------------------------------------------------


@login_required
@require_GET
def index_view(request: AuthedHttpRequest) -> HttpResponse:
    _or_404(does_planning(request.user))
    user = request.user
    return render(request, "planning/index.html", {
        "awaiting": sel.plans_awaiting_approval(user),
        "deadlines": sel.calendar_deadlines(user, manager=user, days=60)[:20],
        "tasks": sel.my_open_tasks(user)[:20],
        "results": sel.planning_results(user, "change").filter(stage=ResultStageChoices.PLANNING).order_by("-stage_changed_at")[:30],
        "today": timezone.localdate(),
    })


@login_required
@require_GET
def calendar_view(request: AuthedHttpRequest) -> HttpResponse:
    _or_404(permitted(request.user, FilingDeadline, "change"))
    manager: User = request.user
    managers = list(sel.calendar_managers(request.user))
    if request.GET.get("manager"):
        manager = get_object_or_404(User, pk=request.GET["manager"]) if request.GET["manager"].isdigit() else manager
    everyone = request.GET.get("manager") == "all"
    days = int(request.GET["days"]) if request.GET.get("days", "") in {"90", "180", "365", "730"} else 180
    rows = list(sel.calendar_deadlines(request.user, manager=None if everyone else manager, days=days))
    changeable = sel.changeable(FilingDeadline.objects.filter(pk__in=[row.pk for row in rows]), request.user)
    feed = CalendarFeed.objects.filter(user=request.user).first()
    today = timezone.localdate()
    months: dict[str, list[Any]] = {}
    for row in rows:
        months.setdefault(row.due.strftime("%Y-%m"), []).append(row)
    return render(request, "planning/calendar.html", {
        "months": months, "days": days, "horizons": (90, 180, 365, 730), "manager": manager, "managers": managers, "everyone": everyone, "today": today,
        "feed_url": request.build_absolute_uri(reverse("planning:ics", args=[feed.token])) if feed else None,
        "done_form": f.DoneForm(initial={"done_on": today}), "changeable_deadlines": changeable,
        "can_feed": permitted(request.user, CalendarFeed, "add"),
    })


@login_required
@require_POST
def calendar_feed_view(request: AuthedHttpRequest) -> HttpResponse:
    _or_404(permitted(request.user, CalendarFeed, "add"))
    if request.POST.get("reset"):
        svc.calendar_feed_reset(user=request.user)
        messages.success(request, _("A new feed address was made; the old one no longer works."))
    else:
        svc.calendar_feed_get_or_create(user=request.user)
        messages.success(request, _("Your calendar feed is ready: subscribe to its address in your calendar application."))
    return redirect("planning:calendar")


@require_GET
def ics_view(request: HttpRequest, token: str) -> HttpResponse:
    """The manager's deadlines as an iCalendar feed; the secret token in the address is the
    only credential (calendar applications do not sign in). An unknown token answers 404."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    owner = feed.user
    if not allows(owner, feed, "view"):  # the feed reads with its owner's grants (none while inactive)
        raise Http404
    language = getattr(owner, "language", "") or translation.get_language()
    with translation.override(language):
        body = deadlines_ics(sel.feed_deadlines(owner), name=_("OpenTTO patent deadlines"), base_url=f"{request.scheme}://{request.get_host()}")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="opentto-deadlines.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
@require_GET
def workload_view(request: AuthedHttpRequest) -> HttpResponse:
    _or_404(permitted(request.user, ServiceLogEntry, "figures"))
    today = timezone.localdate()
    form = f.WorkloadForm(request.GET or None, initial={"since": today.replace(month=1, day=1), "until": today})
    since, until = today.replace(month=1, day=1), today
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
        if since > until:
            form.add_error("until", _("The end comes before the start."))
    if not form.is_bound:
        form = f.WorkloadForm(initial={"since": since, "until": until})
    report = sel.workload(request.user, since=since, until=until)
    return render(request, "planning/workload.html", {"form": form, "report": report, "since": since, "until": until})
