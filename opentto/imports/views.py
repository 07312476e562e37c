"""Import pages (those who may import: the TTO; a job for its creator and the TTO) and list
exports (anyone, limited to what they may see)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opentto.accounts.http import AuthedHttpRequest
from opentto.core.audit import audit_record
from opentto.core.http import is_htmx
from opentto.core.permissions import allows, permitted
from opentto.core.spreadsheets import csv_bytes, file_response, spreadsheet_response

from .columns import COLUMNS
from .exports import EXPORTS, export_rows
from .forms import MappingForm, UploadForm
from .models import ImportJob, ImportKindChoices, ImportStatusChoices
from .services import (
    import_job_configure,
    import_job_create,
    import_job_repeat,
    import_jobs_mark_interrupted,
    job_headers,
)
from .tasks import import_run_task
from .template import template_csv, template_xlsx


def _may_import(request: AuthedHttpRequest) -> None:
    if not permitted(request.user, ImportJob, "add"):
        raise Http404


def _job(request: AuthedHttpRequest, token: str, action: str = "view") -> ImportJob:
    """The job of the URL if the user may ``action`` it (its creator, the TTO), else 404."""
    return get_object_or_404(ImportJob.objects.restrict(request.user, action), token=token)


def _start(job: ImportJob) -> None:
    transaction.on_commit(lambda: import_run_task.delay(job.pk))


@login_required
def import_index_view(request: AuthedHttpRequest) -> HttpResponse:
    _may_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                kind=form.cleaned_data["kind"], file=form.cleaned_data["file"], actor=request.user
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(key if key in form.fields else None, message)
        else:
            return redirect("imports:job", token=job.token)
    import_jobs_mark_interrupted()
    jobs = ImportJob.objects.restrict(request.user, "view").select_related("created_by")[:30]
    kinds = [(k, label, [c for c in COLUMNS[k]]) for k, label in ImportKindChoices.choices]
    return render(
        request, "imports/import_index.html", {"form": form, "jobs": jobs, "kinds": kinds}
    )


@login_required
def template_view(request: AuthedHttpRequest, kind: str, fmt: str) -> HttpResponse:
    _may_import(request)
    if kind not in ImportKindChoices.values or fmt not in {"csv", "xlsx"}:
        raise Http404
    body = template_csv(kind) if fmt == "csv" else template_xlsx(kind)
    return file_response(body, fmt=fmt, filename=f"opentto-{kind}-template.{fmt}")


@login_required
def job_view(request: AuthedHttpRequest, token: str) -> HttpResponse:
    job = _job(request, token)
    if job.status == ImportStatusChoices.RUNNING and job.is_interrupted:
        import_jobs_mark_interrupted()
        job.refresh_from_db()
    form = None
    if (
        job.status == ImportStatusChoices.PENDING
        and job.started_at is None
        and allows(request.user, job, "change")
    ):
        headers = job_headers(job)
        form = MappingForm(
            request.POST or None,
            kind=job.kind,
            headers=headers,
            mapping=job.mapping,
            options=job.options,
        )
        if request.method == "POST" and form.is_valid():
            try:
                import_job_configure(
                    job=job, mapping=form.mapping(), options=form.options(), actor=request.user
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if request.POST.get("action") == "import" and job.dry_run:
                    job.dry_run = False
                    job.save(update_fields=["dry_run"])
                _start(job)
                return redirect("imports:job", token=job.token)
    context = {
        "job": job,
        "form": form,
        "errors": job.errors[:500],
        "more_errors": max(len(job.errors) - 500, 0),
    }
    template = "imports/partials/job_status.html" if is_htmx(request) else "imports/import_job.html"
    return render(request, template, context)


@login_required
@require_POST
def job_repeat_view(request: AuthedHttpRequest, token: str) -> HttpResponse:
    _may_import(request)
    job = _job(request, token, "change")
    if not (job.is_finished or job.is_interrupted):
        return redirect("imports:job", token=job.token)
    new = import_job_repeat(job=job, dry_run=request.POST.get("dry_run") == "1", actor=request.user)
    _start(new)
    return redirect("imports:job", token=new.token)


@login_required
def job_errors_view(request: AuthedHttpRequest, token: str) -> HttpResponse:
    job = _job(request, token)
    body = csv_bytes(
        [_("Row"), _("Column"), _("Problem")],
        ([e["row"], e["column"], e["message"]] for e in job.errors),
    )
    return file_response(body, fmt="csv", filename=f"import-{job.token[:8]}-errors.csv")


def export_view(request: HttpRequest, what: str, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """``/imports/export/<list>.<csv|xlsx>?<the list's filters>`` for every list in ``EXPORTS``."""
    if what not in EXPORTS or fmt not in {"csv", "xlsx"}:
        raise Http404
    if EXPORTS[what].signed_in and not request.user.is_authenticated:
        raise Http404
    headers, rows = export_rows(request, what)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"opentto-{what}-{stamp}.{fmt}"
    if request.user.is_authenticated:
        audit_record(
            actor=request.user,
            action=f"export.{what}",
            payload={"format": fmt, "query": request.GET.urlencode()[:500]},
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
    return spreadsheet_response(
        fmt=fmt, filename=filename, headers=headers, rows=rows, title=str(EXPORTS[what].title)
    )
