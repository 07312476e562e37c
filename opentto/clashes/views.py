"""The TTO's pages of held clashes: the list, and one hold with both records and the decision."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.permissions import allows, permitted

from .models import ClashHold, ClashHoldStatusChoices
from .selectors import clash_hold_records, clash_holds_visible
from .services import clash_kind, clash_resolve

DECISION_LABELS = {
    "merge": gettext_lazy("Merge the new record into the existing one"),
    "keep_both": gettext_lazy("Keep both"),
    "reject": gettext_lazy("Reject the new record"),
}


#: What clashed, as the services name it in ``ClashHold.detail`` (a key not listed is shown as is).
DETAIL_LABELS = {
    "application_numbers": gettext_lazy("Same application numbers"),
    "similar_title": gettext_lazy("Nearly identical title"),
    "credit_code": gettext_lazy("Same unified social credit code"),
    "email": gettext_lazy("Same e-mail address"),
    "name": gettext_lazy("Same name"),
    "via": gettext_lazy("Stored through"),
}
DETAIL_VALUES = {"import": gettext_lazy("an import")}


def detail_rows(detail: dict[str, object]) -> list[tuple[object, str]]:
    """The hold's ``detail`` as (label, text) rows for people: lists joined, yes for true."""
    rows: list[tuple[object, str]] = []
    for key, value in detail.items():
        if isinstance(value, bool):
            text = str(_("yes") if value else _("no"))
        elif isinstance(value, list | tuple):
            text = "; ".join(str(v) for v in value)
        else:
            text = str(DETAIL_VALUES.get(str(value), value))
        rows.append((DETAIL_LABELS.get(key, key), text))
    return rows


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(label=pgettext_lazy("clash", "Decision"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, decisions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["decision"].choices = [(d, DECISION_LABELS[d]) for d in decisions]  # type: ignore[attr-defined]


@login_required
@require_GET
def hold_list_view(request: AuthedHttpRequest) -> HttpResponse:
    if not permitted(request.user, ClashHold, "view"):
        raise Http404
    status = request.GET.get("status", "open")
    holds = clash_holds_visible(request.user)
    if status in ClashHoldStatusChoices.values:
        holds = holds.filter(status=status)
    else:
        status = ""
    page = Paginator(holds, 25).get_page(request.GET.get("page"))
    rows = [(hold, clash_kind(hold.kind), *clash_hold_records(hold)) for hold in page.object_list]
    return render(
        request,
        "clashes/hold_list.html",
        {"page": page, "rows": rows, "status": status, "statuses": ClashHoldStatusChoices.choices},
    )


@login_required
def hold_detail_view(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(clash_holds_visible(request.user), pk=pk)
    kind = clash_kind(hold.kind)
    decisions = list(kind.resolvers) if kind is not None else []
    can_resolve = hold.is_open and allows(request.user, hold, "resolve")
    form = ResolveForm(request.POST or None, decisions=decisions) if can_resolve else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                clash_resolve(
                    hold=hold,
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
            else:
                messages.success(request, _("The clash is resolved."))
                return redirect("clashes:hold", pk=hold.pk)
    held, existing = clash_hold_records(hold)
    context = {
        "hold": hold,
        "kind": kind,
        "held": held,
        "existing": existing,
        "form": form,
        "detail": detail_rows(hold.detail),
    }
    return render(
        request,
        "clashes/hold_detail.html",
        context,
        status=422 if request.method == "POST" else 200,
    )
