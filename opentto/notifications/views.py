from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .models import Notification
from .services import notification_mark_read


@login_required
def notification_list_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.for_user(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    notification_mark_read(notification=notification, actor=request.user)  # type: ignore[arg-type]
    target = notification.url if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}) else "notifications:list"
    return redirect(target)
