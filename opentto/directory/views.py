from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from opentto.access.privacy import can_see_private_data
from opentto.accounts.http import AuthedHttpRequest
from opentto.core.cache import fragment_key
from opentto.core.http import id_param, is_htmx
from opentto.core.permissions import allows, permitted
from opentto.organisations.forms import OrganisationForm, PersonForm
from opentto.organisations.models import (
    RESEARCH_KINDS,
    Membership,
    Organisation,
    OrganisationKindChoices,
    Person,
)
from opentto.organisations.services import organisation_create, person_create
from opentto.results.selectors import results_visible

from .selectors import organisation_list, person_list

PAGE_SIZE = 25


@login_required
def organisation_list_view(request: AuthedHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    kind = (
        request.GET.get("kind", "")
        if request.GET.get("kind") in OrganisationKindChoices.values
        else ""
    )
    sort = (
        request.GET.get("sort", "name")
        if request.GET.get("sort") in {"name", "results", "kind"}
        else "name"
    )
    page = Paginator(
        organisation_list(request.user, q=q, kind=kind, sort=sort), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "page": page,
        "q": q,
        "kind": kind,
        "sort": sort,
        "kinds": OrganisationKindChoices.choices,
        # the page's query carries the viewer's scope and the cached counts: its table is rendered once
        "table_key": fragment_key(
            "organisation-table",
            page.object_list,
            page.number,
            page.paginator.count,
            request.GET.urlencode(),
        ),
        "querystring": querystring.urlencode(),
        "can_create": permitted(request.user, Organisation, "add"),
    }
    template = (
        "organisations/partials/organisation_table.html"
        if is_htmx(request)
        else "organisations/organisation_list.html"
    )
    return render(request, template, context)


@login_required
def organisation_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation.objects.restrict(request.user, "view"), pk=pk)
    results = results_visible(request.user).filter(ownerships__organisation=organisation).distinct()
    people = (
        Membership.objects.restrict(request.user, "view")
        .filter(organisation=organisation)
        .select_related("person")
    )
    return render(
        request,
        "organisations/organisation_detail.html",
        {"organisation": organisation, "results": results, "memberships": people},
    )


@login_required
def organisation_create_view(request: AuthedHttpRequest) -> HttpResponse:
    if not permitted(request.user, Organisation, "add"):
        raise PermissionDenied
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisation_create(actor=request.user, **form.cleaned_data)
            messages.success(request, _("The organisation was added."))
            return redirect("organisations:detail", pk=organisation.pk)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
    status = 422 if request.method == "POST" else 200
    return render(request, "organisations/organisation_form.html", {"form": form}, status=status)


@login_required
def person_list_view(request: AuthedHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    organisation = id_param(request.GET.get("organisation"))
    sort = (
        request.GET.get("sort", "name")
        if request.GET.get("sort") in {"name", "results"}
        else "name"
    )
    page = Paginator(
        person_list(request.user, q=q, organisation=organisation, sort=sort), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    context = {
        "page": page,
        "q": q,
        "organisation": organisation,
        "sort": sort,
        "querystring": querystring.urlencode(),
        "organisations": Organisation.objects.restrict(request.user, "view").filter(
            kind__in=RESEARCH_KINDS
        ),
        "can_create": permitted(request.user, Person, "add"),
    }
    template = (
        "organisations/partials/person_table.html"
        if is_htmx(request)
        else "organisations/person_list.html"
    )
    return render(request, template, context)


@login_required
def person_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.restrict(request.user, "view"), pk=pk)
    results = results_visible(request.user).filter(inventorships__person=person).distinct()
    memberships = (
        Membership.objects.restrict(request.user, "view")
        .filter(person=person)
        .select_related("organisation")
    )
    return render(
        request,
        "organisations/person_detail.html",
        {
            "person": person,
            "results": results,
            "memberships": memberships,
            "can_view_contact": allows(request.user, person, "view_email"),
            "may_see_private": can_see_private_data(request.user),
        },
    )


@login_required
def person_create_view(request: AuthedHttpRequest) -> HttpResponse:
    """Add a person (e.g. an inventor who is not on the platform yet) with their organisation."""
    if not permitted(request.user, Person, "add"):
        raise PermissionDenied
    form = PersonForm(
        request.POST or None,
        user=request.user,
        initial={"organisation": request.GET.get("organisation")},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            person = person_create(
                name_zh=d["name_zh"],
                name_en=d["name_en"],
                email=d["email"],
                memberships=[(d["organisation"], d["role"], d["position_zh"], d["position_en"])],
                actor=request.user,
            )
            messages.success(request, _("The person was added."))
            return redirect("organisations:person", pk=person.pk)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
    status = 422 if request.method == "POST" else 200
    return render(request, "organisations/person_form.html", {"form": form}, status=status)
