"""Bulk import: create a job from an uploaded file, map its columns, run it (dry or for real).

Rules:
- Only those granted ``add`` on import jobs import (the TTO: opentto/imports/permissions.py); a
  job is configured and repeated by those who may change it (its creator, the TTO).
- Idempotent by natural keys: a patent (IP asset) by jurisdiction + application number; an
  organisation by its unified social credit code (else its exact name); a person by e-mail (else
  name + organisation); a result without an application number by its exact title within its
  first owner. A row whose key is already on the platform creates nothing (a patent's
  bibliographic fields are updated), so a file can be imported again safely.
- Keys are looked up only among the records the importing user may see. A row whose key belongs
  to a record they may not see is imported as if the key were new — the job's report is the
  same — and the new record is held for the TTO (``opentto.clashes``).
- Every row goes through the same services as the forms (``result_onboard``,
  ``organisation_create``, ``person_create``), inside a savepoint; a refused row is rolled back and
  reported with its spreadsheet row number, the column and the message in the job's language.
- One transaction per job. A dry run rolls it back at the end. A real run commits the accepted rows
  and stores none of the refused ones; with ``strict`` it commits nothing if any row is refused.
  If the process dies midway the database rolls the transaction back: nothing was imported, and the
  same file can be run again. The job records which process runs it; ``import_jobs_mark_interrupted``
  (on the import pages, when ``opentto import`` or a Celery worker starts, and every few minutes
  from beat) marks a job whose process is gone as interrupted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opentto.accounts.models import User
from opentto.clashes.services import clash_hold, split_by_visibility
from opentto.core.audit import audit_record
from opentto.core.permissions import allows, permitted, users_permitted
from opentto.core.processes import process_identity
from opentto.core.validators import (
    validate_cn_application_number,
    validate_unified_social_credit_code,
)
from opentto.organisations.models import (
    MembershipRoleChoices,
    Organisation,
    OrganisationKindChoices,
    Person,
)
from opentto.organisations.services import (
    ORGANISATION_CLASH,
    PERSON_CLASH,
    organisation_create,
    person_create,
)
from opentto.results.models import (
    IPAsset,
    IPAssetKindChoices,
    IPAssetStatusChoices,
    Result,
    ResultFieldChoices,
    ResultKindChoices,
)
from opentto.results.services import InventorInput, IPAssetInput, ResultInput, result_onboard
from opentto.search.tasks import import_reindex_task

from .columns import COLUMNS, suggest_mapping
from .models import ImportJob, ImportKindChoices, ImportStatusChoices
from .readers import Table, read_table

#: At most this many row errors are kept on a job (the count is always exact).
MAX_STORED_ERRORS = 5000
PROGRESS_EVERY = 50
ProgressCallback = Callable[[int, int], None]


# --- creating and configuring jobs ---------------------------------------------------------------


def _require(actor: User | None, job: ImportJob | None = None, action: str = "add") -> None:
    """The actor may import at all (``job`` None), or ``action`` this job. ``None`` is the system
    (a task or the demo loader), which may."""
    if actor is None:
        return
    allowed = permitted(actor, ImportJob, "add") if job is None else allows(actor, job, action)
    if not allowed:
        raise PermissionError(_("Only TTO managers import data."))


def default_import_actor() -> User | None:
    """Who onboards the rows of a job without a creator, and who imports from the command line
    without ``--user``: the first active user who may import and onboard results of any owner."""
    from opentto.results.models import Result

    may_onboard = users_permitted(Result, "add", every_row=True).values("pk")
    return (
        users_permitted(ImportJob, "add", every_row=True)
        .filter(pk__in=may_onboard)
        .order_by("pk")
        .first()
    )


def import_job_create(
    *,
    kind: str,
    file: UploadedFile | ContentFile,
    actor: User | None,
    dry_run: bool = True,
    mapping: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    language: str | None = None,
) -> ImportJob:
    """Check the file (CSV, xlsx or patent XML, by content), guess the column mapping, save the job."""
    from django.conf import settings

    _require(actor)
    errors: dict[str, list[str]] = {}
    if kind not in ImportKindChoices.values:
        errors["kind"] = [_("Choose what the file holds.")]
    name = (getattr(file, "name", "") or "import").rsplit("/", 1)[-1][:255]
    size = file.size or 0
    if size == 0:
        errors["file"] = [_("%(name)s is empty.") % {"name": name}]
    elif size > settings.OPENTTO_MAX_UPLOAD_BYTES:
        errors["file"] = [_("%(name)s is too large.") % {"name": name}]
    table: Table | None = None
    fmt = ""
    if not errors:
        file.seek(0)
        raw = file.read()
        try:
            fmt, table = read_table(raw, name)
        except ValidationError as exc:
            errors["file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    assert table is not None
    guessed = suggest_mapping(kind, table.headers)
    job = ImportJob(
        token=secrets.token_hex(16),
        kind=kind,
        original_name=name,
        file_format=fmt,
        dry_run=dry_run,
        mapping=mapping if mapping is not None else guessed,
        options=_clean_options(kind, options or {}),
        language=language or translation.get_language() or "zh-hans",
        created_by=actor if actor and actor.is_authenticated else None,
        total_rows=len(table.rows),
    )
    job.file.save(name, ContentFile(raw), save=False)
    with transaction.atomic():
        job.save()
        audit_record(
            actor=actor,
            action="import.create",
            obj=job,
            payload={"kind": kind, "name": name, "rows": job.total_rows},
        )
    return job


def _clean_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {"strict": bool(options.get("strict"))}
    if kind == ImportKindChoices.PATENTS:
        try:
            trl = int(options.get("default_trl") or 3)
        except (TypeError, ValueError):
            trl = 3
        clean["default_trl"] = min(max(trl, 1), 9)
        dfield = options.get("default_field") or ResultFieldChoices.OTHER
        clean["default_field"] = (
            dfield if dfield in ResultFieldChoices.values else ResultFieldChoices.OTHER
        )
        clean["public"] = bool(options.get("public"))
    return clean


def job_headers(job: ImportJob) -> list[str]:
    job.file.open("rb")
    try:
        return read_table(job.file.read(), job.original_name)[1].headers
    finally:
        job.file.close()


def mapping_problems(kind: str, mapping: dict[str, str]) -> list[str]:
    """What is wrong with a mapping: required columns not mapped, a column mapped twice."""
    keys = [k for k in mapping.values() if k]
    problems = []
    labels = {c.key: c.label for c in COLUMNS[kind]}
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(
            _("“%(column)s” is chosen for more than one header.") % {"column": labels.get(key, key)}
        )
    for column in COLUMNS[kind]:
        if column.required and column.key not in keys:
            problems.append(
                _("Choose the header that holds “%(column)s”.") % {"column": column.label}
            )
    if kind in {ImportKindChoices.RESULTS, ImportKindChoices.PATENTS} and not {
        "title_zh",
        "title_en",
    } & set(keys):
        problems.append(_("Choose the header that holds the title (Chinese or English)."))
    if kind in {ImportKindChoices.ORGANISATIONS, ImportKindChoices.PEOPLE} and not {
        "name_zh",
        "name_en",
    } & set(keys):
        problems.append(_("Choose the header that holds the name (Chinese or English)."))
    return problems


def import_job_configure(
    *, job: ImportJob, mapping: dict[str, str], options: dict[str, Any], actor: User | None
) -> ImportJob:
    _require(actor, job, "change")
    valid = {c.key for c in COLUMNS[job.kind]}
    clean = {str(i): k for i, k in mapping.items() if k in valid}
    problems = mapping_problems(job.kind, clean)
    if problems:
        raise ValidationError({"mapping": problems})
    if job.status != ImportStatusChoices.PENDING:
        raise ValidationError({"mapping": [_("This import has already run; start a new one.")]})
    job.mapping, job.options = clean, _clean_options(job.kind, options)
    job.save(update_fields=["mapping", "options"])
    return job


def import_job_repeat(*, job: ImportJob, dry_run: bool, actor: User | None) -> ImportJob:
    """A new job on the same file, mapping and options: the real run after a dry run, or a rerun."""
    _require(actor)
    _require(actor, job, "change")
    new = ImportJob(
        token=secrets.token_hex(16),
        kind=job.kind,
        original_name=job.original_name,
        file_format=job.file_format,
        mapping=job.mapping,
        options=job.options,
        dry_run=dry_run,
        language=translation.get_language() or job.language,
        created_by=actor if actor and actor.is_authenticated else None,
        total_rows=job.total_rows,
    )
    new.file.name = job.file.name
    with transaction.atomic():
        new.save()
        audit_record(
            actor=actor,
            action="import.create",
            obj=new,
            payload={
                "kind": job.kind,
                "name": job.original_name,
                "repeat_of": job.pk,
                "dry_run": dry_run,
            },
        )
    return new


# --- running --------------------------------------------------------------------------------------


class RowRefused(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class _Rollback(Exception):
    pass


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_rows: int = 0


def _choice_lookup(choices: Any, extra: dict[str, str] | None = None) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[value.lower()] = value
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                lookup[str(label).strip().lower()] = value
    for k, v in (extra or {}).items():
        lookup[k.lower()] = v
    return lookup


def _split(value: Any, separators: str = r"[;；\n]") -> list[str]:
    return [part.strip() for part in re.split(separators, str(value or "")) if part.strip()]


def _parse_date(value: Any, column: str, errors: list[tuple[str, str]]) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    errors.append(
        (column, _("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text})
    )
    return None


_BOOL = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "是": True,
    "公开": True,
    "public": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "否": False,
    "不公开": False,
    "confidential": False,
    "保密": False,
}
_IP_KIND_EXTRA = {
    "发明": "invention",
    "发明专利": "invention",
    "实用新型": "utility",
    "外观设计": "design",
    "软件著作权": "software_copyright",
}
_IP_STATUS_EXTRA = {
    "授权": "granted",
    "有效": "granted",
    "专利权维持": "granted",
    "实质审查": "under_examination",
    "实审": "under_examination",
    "审中": "under_examination",
    "公开": "published",
    "失效": "lapsed",
    "权利终止": "lapsed",
    "未缴年费": "lapsed",
    "撤回": "withdrawn",
    "视为撤回": "withdrawn",
    "驳回": "lapsed",
    "申请": "filed",
}
_RESULT_KIND_FROM_IP = {
    "invention": "invention_patent",
    "pct": "invention_patent",
    "utility": "utility_model",
    "design": "design",
    "software_copyright": "software_copyright",
}
_ORG_KIND_EXTRA = {
    "大学": "university",
    "高校": "university",
    "高等院校": "university",
    "研究所": "institute",
    "研究院": "institute",
    "科研院所": "institute",
    "医院": "hospital",
    "企业": "enterprise",
    "公司": "enterprise",
    "投资机构": "investor",
    "银行": "bank",
    "政府": "government",
    "政府部门": "government",
    "服务机构": "service",
    "中介机构": "service",
}
_ROLE_EXTRA = {
    "研究员": "researcher",
    "研究人员": "researcher",
    "团队负责人": "team_lead",
    "课题组长": "team_lead",
    "工作人员": "staff",
    "负责人": "manager",
    "联系人": "contact",
}
_SERVICE_KEY = re.compile(r"^ip_assets-\d+-")


class _Importer:
    def __init__(self, job: ImportJob, actor: User | None) -> None:
        self.job = job
        self.actor = actor
        self.orgs: dict[str, Organisation | None] = {}
        self.seen_all: dict[Any, bool] = {}
        self.result_kinds = _choice_lookup(ResultKindChoices)
        self.fields = _choice_lookup(ResultFieldChoices)
        self.ip_kinds = _choice_lookup(IPAssetKindChoices, _IP_KIND_EXTRA)
        self.ip_statuses = _choice_lookup(IPAssetStatusChoices, _IP_STATUS_EXTRA)
        self.org_kinds = _choice_lookup(OrganisationKindChoices, _ORG_KIND_EXTRA)
        self.roles = _choice_lookup(MembershipRoleChoices, _ROLE_EXTRA)

    # shared look-ups -------------------------------------------------------------------------
    def visible(self, qs: Any) -> Any:
        """The rows of ``qs`` the importing user may see: a file never finds, names or updates
        a record they may not see."""
        return split_by_visibility(qs, self.actor)[0]

    def sees_every(self, model: Any) -> bool:
        """Whether the importing user may see every row of ``model`` (no narrowing needed)."""
        if model not in self.seen_all:
            self.seen_all[model] = self.actor is None or permitted(
                self.actor, model, "view", every_row=True
            )
        return self.seen_all[model]

    def organisation(self, ref: str) -> Organisation | None:
        key = ref.strip()
        if key not in self.orgs:
            code = key.upper()
            orgs = self.visible(Organisation.objects.all())
            found = (
                orgs.filter(credit_code=code).order_by("is_held", "pk").first()
                if len(code) == 18
                else None
            )
            if found is None:
                matches = list(orgs.filter(Q(name_zh=key) | Q(name_en__iexact=key))[:2])
                found = matches[0] if len(matches) == 1 else None
            self.orgs[key] = found
        return self.orgs[key]

    def application_number(self, raw: Any, errors: list[tuple[str, str]]) -> tuple[str, str]:
        text = re.sub(r"\s+", "", str(raw or "")).upper()
        if not text:
            return "", ""
        jurisdiction = text[:2] if text[:2].isalpha() and not text.startswith("ZL") else "CN"
        if jurisdiction == "CN":
            try:
                return "CN", validate_cn_application_number(text)
            except ValidationError as exc:
                errors.extend(("application_number", m) for m in exc.messages)
                return "", ""
        return jurisdiction, text

    # results and patents ----------------------------------------------------------------------
    def result_row(self, v: dict[str, Any]) -> str:
        errors: list[tuple[str, str]] = []
        patents = self.job.kind == ImportKindChoices.PATENTS
        jurisdiction, number = self.application_number(v.get("application_number"), errors)
        if patents and not number and not errors:
            errors.append(("application_number", _("Give the application number.")))
        filing = _parse_date(v.get("filing_date"), "filing_date", errors)
        grant = _parse_date(v.get("grant_date"), "grant_date", errors)
        status_text = str(v.get("ip_status") or "").strip().lower()
        status = self.ip_statuses.get(status_text, "") if status_text else ""
        if status_text and not status:
            errors.append(
                ("ip_status", _("Unknown IP status “%(value)s”.") % {"value": v.get("ip_status")})
            )
        ip_kind_text = str(v.get("ip_kind") or "").strip().lower()
        ip_kind = self.ip_kinds.get(ip_kind_text, "") if ip_kind_text else ""
        if ip_kind_text and not ip_kind:
            errors.append(
                ("ip_kind", _("Unknown IP kind “%(value)s”.") % {"value": v.get("ip_kind")})
            )
        if not ip_kind:
            digit = number[6] if number.startswith("CN") and len(number) > 12 else ""
            ip_kind = {
                "1": "invention",
                "8": "invention",
                "2": "utility",
                "9": "utility",
                "3": "design",
            }.get(digit, "invention")
        if number and not errors:
            # a patent of a result the user may see is updated; of one they may not see, the row
            # creates a result as if the number were new, and result_onboard holds it for the TTO
            registered = IPAsset.objects.filter(
                jurisdiction=jurisdiction, application_number=number, is_held=False
            )
            if not self.sees_every(Result):
                registered = registered.filter(
                    result__in=self.visible(Result.objects.all()).values("pk")
                )
            existing = registered.first()
            if existing is not None:
                return self._update_asset(existing, filing=filing, grant=grant, status=status, v=v)

        title_zh, title_en = (
            str(v.get("title_zh") or "").strip(),
            str(v.get("title_en") or "").strip(),
        )
        kind_text = str(v.get("kind") or "").strip().lower()
        if patents and not kind_text:
            kind = _RESULT_KIND_FROM_IP.get(ip_kind, "other")
        else:
            kind = self.result_kinds.get(kind_text, "")
            if not kind:
                errors.append(
                    (
                        "kind",
                        _("Unknown kind of result “%(value)s”.") % {"value": v.get("kind") or ""},
                    )
                )
        field_text = str(v.get("field") or "").strip().lower()
        if patents and not field_text:
            field_value = self.job.options.get("default_field", "other")
        else:
            field_value = self.fields.get(field_text, "")
            if not field_value:
                errors.append(
                    ("field", _("Unknown field “%(value)s”.") % {"value": v.get("field") or ""})
                )
        trl_text = str(v.get("trl") or "").strip()
        trl = 0
        if patents and not trl_text:
            trl = int(self.job.options.get("default_trl", 3))
        else:
            try:
                trl = int(Decimal(trl_text)) if Decimal(trl_text) == int(Decimal(trl_text)) else 0
            except (InvalidOperation, ValueError):
                trl = 0
            if not 1 <= trl <= 9:
                errors.append(
                    (
                        "trl",
                        _("The TRL is a whole number from 1 to 9 (found “%(value)s”).")
                        % {"value": trl_text},
                    )
                )
        public_text = str(v.get("public") or "").strip().lower()
        is_public = (
            bool(self.job.options.get("public"))
            if patents and not public_text
            else _BOOL.get(public_text)
        )
        if is_public is None:
            if public_text:
                errors.append(
                    ("public", _("Write yes or no, not “%(value)s”.") % {"value": v.get("public")})
                )
            is_public = False

        owners: list[Organisation] = []
        for ref in _split(v.get("owners")):
            org = self.organisation(ref)
            if org is None:
                errors.append(
                    (
                        "owners",
                        _(
                            "No organisation “%(name)s” on the platform: import or add it first (name or credit code)."
                        )
                        % {"name": ref},
                    )
                )
            elif org not in owners:
                owners.append(org)
        if not _split(v.get("owners")):
            errors.append(("owners", _("Name at least one owner organisation.")))
        inventor_specs: list[tuple[str, Decimal | None]] = []
        for part in _split(v.get("inventors"), r"[;；\n、,，]"):
            name, share_text = ([*re.split(r"[:：]", part, maxsplit=1), ""])[:2]
            share: Decimal | None = None
            if share_text.strip():
                try:
                    share = Decimal(share_text.strip().rstrip("%"))
                except InvalidOperation:
                    errors.append(
                        (
                            "inventors",
                            _("“%(value)s” is not a share in per cent.") % {"value": share_text},
                        )
                    )
            inventor_specs.append((name.strip(), share))
        if not inventor_specs:
            errors.append(("inventors", _("Name at least one inventor.")))
        elif any(s is None for _n, s in inventor_specs) and any(
            s is not None for _n, s in inventor_specs
        ):
            errors.append(("inventors", _("Give a share for every inventor or for none.")))
        if not number and owners and (title_zh or title_en):
            same = self.visible(
                Result.objects.filter(
                    ownerships__organisation=owners[0], title_zh=title_zh, title_en=title_en
                )
            )
            if not errors and same.exists():
                return "unchanged"  # (one the user may not see: created below, and held by result_onboard)
        if errors:
            raise RowRefused(errors)

        inventors = self._inventors(inventor_specs, owners)
        assets = (
            [
                IPAssetInput(
                    application_number=number,
                    ip_kind=ip_kind,
                    jurisdiction=jurisdiction,
                    filing_date=filing,
                    publication_number=str(v.get("publication_number") or "").strip()[:40],
                    grant_number=str(v.get("grant_number") or "").strip()[:40],
                    grant_date=grant,
                    status=status or ("granted" if grant else "filed"),
                )
            ]
            if number
            else []
        )
        data = ResultInput(
            kind=kind,
            field=field_value,
            trl=trl,
            owners=owners,
            inventors=inventors,
            title_zh=title_zh[:300],
            title_en=title_en[:300],
            abstract_zh=str(v.get("abstract_zh") or ""),
            abstract_en=str(v.get("abstract_en") or ""),
            advantages_zh=str(v.get("advantages_zh") or ""),
            advantages_en=str(v.get("advantages_en") or ""),
            applications_zh=str(v.get("applications_zh") or ""),
            applications_en=str(v.get("applications_en") or ""),
            keywords_zh=_split(v.get("keywords_zh"), r"[;；,，、]"),
            keywords_en=_split(v.get("keywords_en"), r"[;；,，、]"),
            is_public=is_public,
            ip_assets=assets,
        )
        assert self.actor is not None
        result_onboard(data=data, actor=self.actor, confirm_duplicates=True)
        return "created"

    def _inventors(
        self, specs: list[tuple[str, Decimal | None]], owners: list[Organisation]
    ) -> list[InventorInput]:
        people: list[Person] = []
        people_visible = self.visible(Person.objects.all())
        for name, _share in specs:
            candidates = list(
                people_visible.filter(
                    Q(name_zh=name) | Q(name_en__iexact=name), memberships__organisation__in=owners
                ).distinct()[:2]
            )
            if len(candidates) != 1:
                candidates = list(
                    people_visible.filter(Q(name_zh=name) | Q(name_en__iexact=name))[:2]
                )
            if len(candidates) == 1:
                people.append(candidates[0])
                continue
            chinese = any("\u4e00" <= ch <= "\u9fff" for ch in name)
            people.append(
                person_create(
                    name_zh=name if chinese else "",
                    name_en="" if chinese else name,
                    memberships=[(owners[0], MembershipRoleChoices.RESEARCHER, "", "")],
                    actor=self.actor,
                )
            )
        if all(s is not None for _n, s in specs):
            shares: list[Decimal | None] = [s for _n, s in specs]
        else:
            each = (Decimal(100) / len(specs)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            shares = [each] * len(specs)
            shares[0] = each + Decimal(100) - each * len(specs)
        return [InventorInput(person=p, share=s) for p, s in zip(people, shares, strict=True)]  # type: ignore[arg-type]

    def _update_asset(
        self,
        asset: IPAsset,
        *,
        filing: date | None,
        grant: date | None,
        status: str,
        v: dict[str, Any],
    ) -> str:
        """Bring a known patent's bibliographic fields up to date (only fields the row gives), if
        the actor may change its result."""
        if self.actor is not None and not allows(self.actor, asset.result, "change"):
            raise RowRefused(
                [("application_number", _("This patent belongs to a result you may not change."))]
            )
        changes: dict[str, Any] = {}
        for name, value in (
            ("filing_date", filing),
            ("grant_date", grant),
            ("status", status),
            ("publication_number", str(v.get("publication_number") or "").strip()[:40]),
            ("grant_number", str(v.get("grant_number") or "").strip()[:40]),
        ):
            if value and getattr(asset, name) != value:
                changes[name] = value
        if not changes:
            return "unchanged"
        for name, value in changes.items():
            setattr(asset, name, value)
        try:
            asset.full_clean(exclude=["result"])
        except ValidationError as exc:
            raise RowRefused(
                [
                    (("ip_status" if k == "status" else k), m)
                    for k, ms in exc.message_dict.items()
                    for m in ms
                ]
            ) from exc
        asset.save(update_fields=list(changes))
        audit_record(
            actor=self.actor,
            action="ipasset.update",
            obj=asset,
            payload={"fields": changes, "via": "import", "job": self.job.pk},
        )
        return "updated"

    # organisations and people -------------------------------------------------------------------
    def organisation_row(self, v: dict[str, Any]) -> str:
        errors: list[tuple[str, str]] = []
        code = re.sub(r"\s+", "", str(v.get("credit_code") or "")).upper()
        if code:
            try:
                code = validate_unified_social_credit_code(code)
            except ValidationError as exc:
                raise RowRefused([("credit_code", m) for m in exc.messages]) from exc
            # one the user may not see: created below, and held by organisation_create
            if self.visible(Organisation.objects.filter(credit_code=code)).exists():
                return "unchanged"
        name_zh, name_en = str(v.get("name_zh") or "").strip(), str(v.get("name_en") or "").strip()
        kind_text = str(v.get("kind") or "").strip().lower()
        kind = self.org_kinds.get(kind_text, "")
        if not kind:
            errors.append(
                (
                    "kind",
                    _("Unknown kind of organisation “%(value)s”.") % {"value": v.get("kind") or ""},
                )
            )
        same_name = None
        if not code and (name_zh or name_en):
            same = (
                Organisation.objects.filter(name_zh=name_zh)
                if name_zh
                else Organisation.objects.filter(name_en__iexact=name_en)
            )
            visible, hidden = split_by_visibility(same, self.actor)
            if visible.exists():
                return "unchanged"
            same_name = hidden.order_by("pk").first()
        if errors:
            raise RowRefused(errors)
        organisation = organisation_create(
            kind=kind,
            name_zh=name_zh[:200],
            name_en=name_en[:200],
            credit_code=code,
            city_zh=str(v.get("city_zh") or "")[:100],
            city_en=str(v.get("city_en") or "")[:100],
            description_zh=str(v.get("description_zh") or ""),
            description_en=str(v.get("description_en") or ""),
            actor=self.actor,
        )
        if same_name is not None:  # the same name as one the user may not see: held for the TTO
            clash_hold(
                kind=ORGANISATION_CLASH,
                held=organisation,
                existing=same_name,
                actor=self.actor,
                detail={"name": name_zh or name_en, "via": "import"},
            )
        self.orgs.clear()
        return "created"

    def person_row(self, v: dict[str, Any]) -> str:
        errors: list[tuple[str, str]] = []
        name_zh, name_en = str(v.get("name_zh") or "").strip(), str(v.get("name_en") or "").strip()
        email = str(v.get("email") or "").strip()
        org_ref = str(v.get("organisation") or "").strip()
        org = self.organisation(org_ref) if org_ref else None
        if org_ref and org is None:
            errors.append(
                (
                    "organisation",
                    _(
                        "No organisation “%(name)s” on the platform: import or add it first (name or credit code)."
                    )
                    % {"name": org_ref},
                )
            )
        role_text = str(v.get("role") or "").strip().lower()
        role = self.roles.get(role_text, "") if role_text else MembershipRoleChoices.RESEARCHER
        if not role:
            errors.append(("role", _("Unknown role “%(value)s”.") % {"value": v.get("role")}))
        if email:
            try:
                from django.core.validators import validate_email

                validate_email(email)
            except ValidationError:
                errors.append(
                    ("email", _("“%(value)s” is not an e-mail address.") % {"value": email})
                )
        if errors:
            raise RowRefused(errors)
        # the natural key among the people the user may see; the same as one they may not see: held
        if email:
            same = Person.objects.filter(email__iexact=email)
            detail = {"email": email, "via": "import"}
        elif name_zh or name_en:
            same = Person.objects.filter(name_zh=name_zh, name_en=name_en)
            if org is not None:
                same = same.filter(memberships__organisation=org)
            detail = {"name": name_zh or name_en, "via": "import"}
        else:
            same, detail = Person.objects.none(), {}
        visible, hidden = split_by_visibility(same, self.actor)
        if visible.exists():
            return "unchanged"
        clash = hidden.order_by("pk").first()
        person = person_create(
            name_zh=name_zh[:100],
            name_en=name_en[:100],
            email=email,
            memberships=[
                (
                    org,
                    role,
                    str(v.get("position_zh") or "")[:100],
                    str(v.get("position_en") or "")[:100],
                )
            ]
            if org
            else [],
            actor=self.actor,
        )
        if clash is not None:
            clash_hold(
                kind=PERSON_CLASH, held=person, existing=clash, actor=self.actor, detail=detail
            )
        return "created"

    def import_row(self, values: dict[str, Any]) -> str:
        if self.job.kind in {ImportKindChoices.RESULTS, ImportKindChoices.PATENTS}:
            return self.result_row(values)
        if self.job.kind == ImportKindChoices.ORGANISATIONS:
            return self.organisation_row(values)
        return self.person_row(values)


def _service_errors(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        out: list[tuple[str, str]] = []
        for key, messages in exc.message_dict.items():
            column = _SERVICE_KEY.sub("", key)
            column = {
                "status": "ip_status",
                "name_zh": "name_zh",
                "memberships": "organisation",
                "is_public": "public",
            }.get(column, column)
            out.extend((column, m) for m in messages)
        return out
    return [("", m) for m in exc.messages]


class _Progress:
    """Writes a job's progress where other processes can read it while its transaction is open: on
    PostgreSQL through a second connection; on SQLite (one writer at a time) only to the callback."""

    def __init__(self, job: ImportJob, callback: ProgressCallback | None) -> None:
        self.job = job
        self.callback = callback
        self.side = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.side = connections.create_connection("default")

    def __call__(self, done: int) -> None:
        if self.callback:
            self.callback(done, self.job.total_rows)
        if self.side is not None:
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET processed_rows = %s, heartbeat_at = %s WHERE id = %s",  # noqa: S608 - the model's table
                    [done, timezone.now(), self.job.pk],
                )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def import_job_run(*, job: ImportJob, progress: ProgressCallback | None = None) -> ImportJob:
    """Run a waiting job (dry or real) in one transaction; see the module's rules."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatusChoices.PENDING).update(
        status=ImportStatusChoices.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        worker=process_identity(),
    )
    job.refresh_from_db()
    if not claimed:
        return job  # already run (or running): a task delivered twice does nothing
    actor = job.created_by
    if actor is None and job.kind in {ImportKindChoices.RESULTS, ImportKindChoices.PATENTS}:
        actor = default_import_actor()
    counts = _Counts()
    reporter = _Progress(job, progress)
    _suspend_search_indexing(True)
    status, message = ImportStatusChoices.FAILED, ""
    with translation.override(job.language):
        try:
            job.file.open("rb")
            try:
                _fmt, table = read_table(job.file.read(), job.original_name)
            finally:
                job.file.close()
            columns = {int(i): key for i, key in job.mapping.items() if key}
            importer = _Importer(job, actor)
            try:
                with transaction.atomic():
                    for n, (number, row) in enumerate(
                        zip(table.row_numbers, table.rows, strict=True), start=1
                    ):
                        values = {key: row[i] for i, key in columns.items() if i < len(row)}
                        row_errors: list[tuple[str, str]] = []
                        try:
                            with transaction.atomic():
                                outcome = importer.import_row(values)
                        except RowRefused as exc:
                            row_errors = exc.errors
                        except ValidationError as exc:
                            row_errors = _service_errors(exc)
                        except PermissionError as exc:
                            row_errors = [("", str(exc))]
                        except DatabaseError as exc:
                            row_errors = [
                                (
                                    "",
                                    _("The database refused the row: %(error)s")
                                    % {"error": str(exc).splitlines()[0][:200]},
                                )
                            ]
                        if row_errors:
                            counts.error_rows += 1
                            for column, text in row_errors:
                                if len(counts.errors) < MAX_STORED_ERRORS:
                                    counts.errors.append(
                                        {"row": number, "column": column, "message": str(text)}
                                    )
                        else:
                            setattr(counts, outcome, getattr(counts, outcome) + 1)
                        if n % PROGRESS_EVERY == 0 or n == len(table.rows):
                            reporter(n)
                    if job.dry_run:
                        status = ImportStatusChoices.CHECKED
                        raise _Rollback
                    if job.options.get("strict") and counts.error_rows:
                        status = ImportStatusChoices.REFUSED
                        message = ngettext(
                            "%(n)d row has errors and you chose to refuse the whole file: nothing was written.",
                            "%(n)d rows have errors and you chose to refuse the whole file: nothing was written.",
                            counts.error_rows,
                        ) % {"n": counts.error_rows}
                        raise _Rollback
                    status = ImportStatusChoices.DONE
                    audit_record(
                        actor=actor,
                        action="import.run",
                        obj=job,
                        payload={
                            "created": counts.created,
                            "updated": counts.updated,
                            "unchanged": counts.unchanged,
                            "refused_rows": counts.error_rows,
                        },
                    )
            except _Rollback:
                pass
        except ValidationError as exc:
            message = " ".join(exc.messages)
        except (
            Exception
        ) as exc:  # the transaction rolled back: record why, then re-raise for the logs
            job.status, job.message, job.finished_at = (
                ImportStatusChoices.FAILED,
                f"{type(exc).__name__}: {exc}"[:2000],
                timezone.now(),
            )
            job.save(update_fields=["status", "message", "finished_at"])
            raise
        finally:
            reporter.close()
            _suspend_search_indexing(False)
    job.status = status
    job.message = message
    job.processed_rows = job.total_rows if status != ImportStatusChoices.FAILED else 0
    job.created_count, job.updated_count, job.unchanged_count = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    job.error_count, job.errors = counts.error_rows, counts.errors
    job.finished_at = job.heartbeat_at = timezone.now()
    job.save()
    if status == ImportStatusChoices.DONE and (counts.created or counts.updated):
        import_reindex_task.delay()
    return job


def import_jobs_mark_interrupted() -> list[ImportJob]:
    """Record as interrupted every job still marked running whose process is gone (or, when that
    process cannot be checked from here, that has been silent too long): its transaction was
    rolled back, so nothing of it was imported. Returns the jobs marked."""
    marked = []
    for job in ImportJob.objects.filter(status=ImportStatusChoices.RUNNING):
        if not job.is_interrupted:
            continue
        with translation.override(job.language):
            message = _(
                "The process running this import stopped before it finished: nothing was imported. Run it again."
            )
        with transaction.atomic():
            changed = ImportJob.objects.filter(
                pk=job.pk, status=ImportStatusChoices.RUNNING, worker=job.worker
            ).update(
                status=ImportStatusChoices.INTERRUPTED,
                message=message,
                processed_rows=0,
                finished_at=timezone.now(),
            )
            if changed:
                audit_record(
                    actor=None,
                    action="import.interrupted",
                    obj=job,
                    payload={
                        "worker": job.worker,
                        "started_at": job.started_at,
                        "heartbeat_at": job.heartbeat_at,
                        "rows": job.total_rows,
                    },
                )
        if changed:
            job.refresh_from_db()
            marked.append(job)
    return marked


def _suspend_search_indexing(value: bool) -> None:
    """The search index is brought up to date once after the import, not once per row."""
    try:
        from opentto.search.enqueue import suspend_indexing
    except ImportError:  # pragma: no cover - the matching app is optional here
        return
    suspend_indexing(value)
