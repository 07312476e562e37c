from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.results.selectors import results_visible

from .forms import EvaluationForm
from .services import evaluation_record


@login_required
@require_POST
def evaluation_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(results_visible(request.user), pk=pk)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(str(e) for e in errors)}")
        return redirect("results:detail", pk=pk)
    try:
        evaluation_record(result=result, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("The evaluation was recorded."))
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("results:detail", pk=pk)
