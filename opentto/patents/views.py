"""Pages of the IP layout that stand on their own (the planning workspace's IP tab and its forms are
``opentto.planning.views``): the deadline calendar and its ICS feed, a filing's edit page and its
fee reduction; and the view helpers the planning desk's pages share (404 for what the user may not
see, 403 for what they may only see; the edit page). The URL names stay ``planning:*``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.accounts.models import User
from opentto.core.action_views import form_service_redirect
from opentto.core.permissions import allows, permitted
from opentto.organisations.models import Organisation
from opentto.patents.deadlines import covered_years
from opentto.patents.ics import deadlines_ics
from opentto.patents.models import (
    CalendarFeed,
    Filing,
    FilingDeadline,
    FilingFeeReduction,
)

from . import forms as f
from . import selectors as sel
from . import services as svc


def or_404(allowed: bool) -> None:
    if not allowed:
        raise Http404


def for_change(
    request: HttpRequest,
    qs: Any,
    pk: int,
    action: str = "change",
    parent: Callable[[Any], Any] | None = None,
) -> Any:
    """The object ``pk`` of ``qs`` the user may ``action`` (on ``parent(obj)`` where the action is
    the parent's): 404 when the user may not see it, 403 when they may only see it."""
    obj = get_object_or_404(qs.restrict(request.user, "view"), pk=pk)
    if not allows(request.user, parent(obj) if parent else obj, action):
        raise PermissionDenied(_("Only TTO managers do operations planning."))
    return obj


def apply_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            base = field.split("-")[0]
            form.add_error(base if base in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def filing_for_change(request: HttpRequest, pk: int) -> Filing:
    return for_change(request, Filing.objects.select_related("family__result"), pk)


def edit_page(
    request: HttpRequest,
    form: Form,
    save: Callable[[Form], Any],
    *,
    heading: str,
    back_url: str,
    done: str,
    lead: str = "",
) -> HttpResponse:
    """GET shows the edit form; POST validates, calls the service and goes back; errors re-render
    the form with what was typed (400) and nothing is saved."""

    def page(bound: Form, status: int = 400) -> HttpResponse:
        return render(
            request,
            "planning/edit.html",
            {"form": bound, "heading": heading, "lead": lead, "back_url": back_url},
            status=status,
        )

    if request.method != "POST":
        return page(form, 400 if form.is_bound else 200)

    def invalid(bound: Form) -> HttpResponse:
        messages.error(request, _("Nothing was saved: correct the fields marked below."))
        return page(
            bound, 400 if bound.is_bound else 200
        )  # an empty POST leaves the form unbound: 200, as before

    try:  # ``core.action_views.form_service_redirect``: the service's errors on the form, kept
        return form_service_redirect(
            request,
            form,
            lambda data: save(form),
            success=done,
            success_url=back_url,
            invalid=invalid,
            put_errors=apply_errors,
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc


@login_required
def filing_edit_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    filing = filing_for_change(request, pk)
    form = f.FilingForm(request.POST or None, filing=filing, user=request.user)
    return edit_page(
        request,
        form,
        lambda fm: svc.filing_edit(filing=filing, data=fm.to_input(), actor=request.user),  # type: ignore[attr-defined]
        heading=_("Edit the filing: %(office)s %(number)s")
        % {
            "office": filing.office,
            "number": filing.application_number or filing.get_route_display(),
        },
        lead=_(
            "The office and the route change only while the filing is planned. The deadlines are derived again when you save."
        ),
        back_url=reverse("planning:result_ip", args=[filing.family.result_id])
        + f"#family-{filing.family_id}",
        done=_("The filing was saved and its deadlines derived again."),
    )


@login_required
def fee_reduction_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A CN filing's fee-reduction status: the rate, each applicant's ground, an open licence."""
    filing = filing_for_change(request, pk)
    if filing.office != "CN":
        raise Http404
    applicants = list(
        Organisation.objects.restrict(request.user, "view")
        .filter(ownerships__result_id=filing.family.result_id)
        .order_by("id")
    )
    record = FilingFeeReduction.objects.filter(filing=filing).prefetch_related("applicants").first()
    initial: dict[str, Any] = {}
    grounds: dict[int, str] = {}
    if record is not None:
        initial = {
            "reduction": record.reduction,
            "open_licence_from": record.open_licence_from,
            "open_licence_until": record.open_licence_until,
        }
        grounds = {a.organisation_id: a.ground for a in record.applicants.all()}
    form = f.FeeReductionForm(
        request.POST or None, initial=initial, applicants=applicants, initial_grounds=grounds
    )
    years = covered_years(filing.filing_date, filing.grant_date)
    lead = (
        _(
            "85%% for a single qualifying applicant, 70%% for two or more applicants when every one qualifies (Measures for Patent Fee Reductions, Caishui [2016] No. 78); it covers the application, substantive-examination and re-examination fees and the annual fees of the year of grant and the nine years after it (Caishui [2018] No. 37). During an open licence the annual fees are reduced 15%% when no other reduction applies (Caishui [2024] No. 23)."
        )
        % {}
    )
    if years is not None:
        lead += " " + _("This patent: annual-fee years %(first)s–%(last)s are covered.") % {
            "first": years[0],
            "last": years[1],
        }
    return edit_page(
        request,
        form,
        lambda fm: svc.filing_fee_reduction_record(
            filing=filing,
            reduction=fm.cleaned_data["reduction"],
            grounds=fm.grounds(),  # type: ignore[attr-defined]
            open_licence_from=fm.cleaned_data["open_licence_from"],
            open_licence_until=fm.cleaned_data["open_licence_until"],
            actor=request.user,
        ),
        heading=_("Fee reduction: %(office)s %(number)s")
        % {
            "office": filing.office,
            "number": filing.application_number or filing.get_route_display(),
        },
        lead=lead,
        back_url=reverse("planning:result_ip", args=[filing.family.result_id])
        + f"#filing-{filing.pk}",
        done=_("The fee reduction was recorded."),
    )


@login_required
@require_GET
def calendar_view(request: AuthedHttpRequest) -> HttpResponse:
    or_404(permitted(request.user, FilingDeadline, "change"))
    manager: User = request.user
    managers = list(sel.calendar_managers(request.user))
    if request.GET.get("manager"):
        manager = (
            get_object_or_404(User, pk=request.GET["manager"])
            if request.GET["manager"].isdigit()
            else manager
        )
    everyone = request.GET.get("manager") == "all"
    days = (
        int(request.GET["days"])
        if request.GET.get("days", "") in {"90", "180", "365", "730"}
        else 180
    )
    rows = list(
        sel.calendar_deadlines(request.user, manager=None if everyone else manager, days=days)
    )
    changeable = sel.changeable(
        FilingDeadline.objects.filter(pk__in=[row.pk for row in rows]), request.user
    )
    feed = CalendarFeed.objects.filter(user=request.user).first()
    today = timezone.localdate()
    months: dict[str, list[Any]] = {}
    for row in rows:
        months.setdefault(row.due.strftime("%Y-%m"), []).append(row)
    return render(
        request,
        "planning/calendar.html",
        {
            "months": months,
            "days": days,
            "horizons": (90, 180, 365, 730),
            "manager": manager,
            "managers": managers,
            "everyone": everyone,
            "today": today,
            "feed_url": request.build_absolute_uri(reverse("planning:ics", args=[feed.token]))
            if feed
            else None,
            "done_form": f.DoneForm(initial={"done_on": today}),
            "changeable_deadlines": changeable,
            "can_feed": permitted(request.user, CalendarFeed, "add"),
        },
    )


@login_required
@require_POST
def calendar_feed_view(request: AuthedHttpRequest) -> HttpResponse:
    or_404(permitted(request.user, CalendarFeed, "add"))
    if request.POST.get("reset"):
        svc.calendar_feed_reset(user=request.user)
        messages.success(request, _("A new feed address was made; the old one no longer works."))
    else:
        svc.calendar_feed_get_or_create(user=request.user)
        messages.success(
            request,
            _(
                "Your calendar feed is ready: subscribe to its address in your calendar application."
            ),
        )
    return redirect("planning:calendar")


@require_GET
def ics_view(request: HttpRequest, token: str) -> HttpResponse:
    """The manager's deadlines as an iCalendar feed; the secret token in the address is the
    only credential (calendar applications do not sign in). An unknown token answers 404."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    owner = feed.user
    if not allows(
        owner, feed, "view"
    ):  # the feed reads with its owner's grants (none while inactive)
        raise Http404
    language = getattr(owner, "language", "") or translation.get_language()
    with translation.override(language):
        body = deadlines_ics(
            sel.feed_deadlines(owner),
            name=_("OpenTTO patent deadlines"),
            base_url=f"{request.scheme}://{request.get_host()}",
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="opentto-deadlines.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response
