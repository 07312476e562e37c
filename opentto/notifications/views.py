from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest

from .forms import PreferenceForm
from .models import Notification
from .services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_preference_get,
    notification_preference_set,
)


@login_required
def notification_list_view(request: AuthedHttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.restrict(request.user, "view"), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_open_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.restrict(request.user, "change"), pk=pk)
    notification_mark_read(notification=notification, actor=request.user)
    target = (
        notification.url
        if notification.url
        and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
        else "notifications:list"
    )
    return redirect(target)


@login_required
@require_POST
def notification_read_all_view(request: AuthedHttpRequest) -> HttpResponse:
    n = notification_mark_all_read(actor=request.user)
    messages.success(request, _("%(n)d notifications marked as read.") % {"n": n})
    return redirect("notifications:list")


@login_required
def notification_preferences_view(request: AuthedHttpRequest) -> HttpResponse:
    pref = notification_preference_get(request.user)
    kinds = sorted(
        set(
            Notification.objects.restrict(request.user, "view")
            .values_list("kind", flat=True)
            .distinct()
        )
        | set(pref.muted_kinds or [])
    )
    form = PreferenceForm(
        request.POST or None,
        kinds=kinds,
        initial={"email_mode": pref.email_mode, "muted_kinds": pref.muted_kinds},
    )
    if request.method == "POST" and form.is_valid():
        notification_preference_set(
            user=request.user,
            email_mode=form.cleaned_data["email_mode"],
            muted_kinds=form.cleaned_data.get("muted_kinds", []),
            actor=request.user,
        )
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
