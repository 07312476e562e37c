"""Writes for results: onboarding (成果入驻), editing and attachments.

Every function validates everything first and raises one ``ValidationError`` whose keys name the
fields (``title_zh``, ``inventors``, ``ip_assets-1-application_number`` …), then writes in one
transaction with an audit event: nothing is ever half-saved.

Duplicates are looked for only among the results the user may see: an application number
already registered with a result they may see is refused, a nearly identical title they may see
is shown to them. A clash with a result they may *not* see is neither refused nor told: the
result is stored as if nothing clashed (the response is the same) and held for the TTO
(:mod:`opentto.clashes`); its clashing IP asset is stored ``is_held``, outside the number's
uniqueness.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opentto.accounts.models import User
from opentto.clashes.services import clash_hold, split_by_visibility
from opentto.core.audit import audit_record
from opentto.core.cache import figures_changed
from opentto.core.permissions import allows, permitted
from opentto.core.uploads import CheckedUpload, check_upload
from opentto.core.validators import validate_cn_application_number
from opentto.organisations.models import Organisation, Person
from opentto.search.enqueue import enqueue_result_index

from .models import (
    Attachment,
    Funding,
    IPAsset,
    IPAssetKindChoices,
    Result,
    ResultFieldChoices,
    ResultInventor,
    ResultKindChoices,
    ResultOwner,
    ResultStageChoices,
    StageTransition,
)

HUNDRED = Decimal("100")
#: Titles at least this similar (difflib ratio, after normalising) within one owner are flagged.
NEAR_DUPLICATE_RATIO = 0.9
CN_CHECKED_KINDS = {
    IPAssetKindChoices.INVENTION,
    IPAssetKindChoices.UTILITY,
    IPAssetKindChoices.DESIGN,
}
#: The kind of clash a result is held for (registered in ``opentto.results.clashes``).
RESULT_CLASH = "results.result"


@dataclass
class InventorInput:
    person: Person
    share: Decimal


@dataclass
class IPAssetInput:
    application_number: str
    ip_kind: str = IPAssetKindChoices.INVENTION
    jurisdiction: str = "CN"
    filing_date: date | None = None
    publication_number: str = ""
    grant_number: str = ""
    grant_date: date | None = None
    status: str = "filed"


@dataclass
class FundingInput:
    programme: str
    grant_number: str = ""
    funder: str = ""
    government_funded: bool = False


@dataclass
class ResultInput:
    kind: str
    field: str
    trl: int
    owners: Sequence[Organisation]
    inventors: Sequence[InventorInput]
    title_zh: str = ""
    title_en: str = ""
    abstract_zh: str = ""
    abstract_en: str = ""
    advantages_zh: str = ""
    advantages_en: str = ""
    applications_zh: str = ""
    applications_en: str = ""
    details_zh: str = ""
    details_en: str = ""
    keywords_zh: list[str] = dataclass_field(default_factory=list)
    keywords_en: list[str] = dataclass_field(default_factory=list)
    is_public: bool = False
    ip_assets: Sequence[IPAssetInput] = ()
    fundings: Sequence[FundingInput] = ()


class DuplicateResultError(ValidationError):
    """Raised before saving when the result looks like one already on the platform."""

    def __init__(self, similar: list[Result]) -> None:
        self.similar = similar
        super().__init__(
            {
                "title_zh": [
                    _("A result with a nearly identical title already exists in this organisation.")
                ]
            },
            code="duplicate",
        )


def _normalise_title(title: str) -> str:
    return re.sub(r"[\W_]+", "", title.lower())


def result_find_near_duplicates(
    *, title_zh: str, title_en: str, owners: Sequence[Organisation], exclude_pk: int | None = None
) -> list[Result]:
    """Results of the same owners whose Chinese or English title is nearly identical (all of
    them: the services split them by what their user may see)."""
    wanted = [
        (_normalise_title(t), lang) for t, lang in ((title_zh, "zh"), (title_en, "en")) if t.strip()
    ]
    if not wanted or not owners:
        return []
    candidates = Result.objects.filter(
        pk__in=Result.objects.filter(ownerships__organisation__in=owners).values("pk")
    )
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    similar = []
    for candidate in candidates.only("id", "title_zh", "title_en"):
        for normalised, lang in wanted:
            other = _normalise_title(candidate.title_zh if lang == "zh" else candidate.title_en)
            if (
                other
                and difflib.SequenceMatcher(None, normalised, other).ratio() >= NEAR_DUPLICATE_RATIO
            ):
                similar.append(candidate)
                break
    return similar


def _validate_result_input(
    data: ResultInput, *, actor: User, exclude_pk: int | None
) -> tuple[dict[str, list[str]], list[tuple[IPAssetInput, str]], dict[tuple[str, str], int]]:
    """The errors, the checked IP assets, and the numbers held for the TTO: (jurisdiction,
    number) → the result, which ``actor`` may not see, that registered it."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    data.title_zh, data.title_en = data.title_zh.strip(), data.title_en.strip()
    if not data.title_zh and not data.title_en:
        add("title_zh", _("Give the title in Chinese, in English, or both."))
    if data.kind not in ResultKindChoices.values:
        add("kind", _("Choose the kind of result."))
    if data.field not in ResultFieldChoices.values:
        add("field", _("Choose the field."))
    if not isinstance(data.trl, int) or not 1 <= data.trl <= 9:
        add("trl", _("The TRL is a whole number from 1 to 9."))

    if not data.owners:
        add("owners", _("Name at least one owner organisation."))

    if not data.inventors:
        add("inventors", _("Name at least one inventor."))
    else:
        people = [i.person.pk for i in data.inventors]
        if len(set(people)) != len(people):
            add("inventors", _("Each inventor may be listed once."))
        if any(i.share is None or i.share <= 0 for i in data.inventors):
            add("inventors", _("Every contribution share must be greater than 0."))
        total = sum((i.share or Decimal(0) for i in data.inventors), Decimal(0))
        if total != HUNDRED:
            add(
                "inventors",
                _("The contribution shares add up to %(total)s%%; they must add up to 100%%.")
                % {"total": format(total.normalize(), "f")},
            )

    checked_assets: list[tuple[IPAssetInput, str]] = []
    seen_numbers: set[tuple[str, str]] = set()
    held: dict[tuple[str, str], int] = {}
    for index, asset in enumerate(data.ip_assets):
        prefix = f"ip_assets-{index}-"
        jurisdiction = (asset.jurisdiction or "").strip().upper()
        number = (asset.application_number or "").strip()
        if not number:
            add(prefix + "application_number", _("Give the application number."))
            continue
        if jurisdiction == "CN" and asset.ip_kind in CN_CHECKED_KINDS:
            try:
                number = validate_cn_application_number(number)
            except ValidationError as exc:
                for message in exc.messages:
                    add(prefix + "application_number", message)
                continue
        else:
            number = re.sub(r"\s+", "", number).upper()
        if asset.filing_date and asset.grant_date and asset.grant_date < asset.filing_date:
            add(prefix + "grant_date", _("The grant date cannot be before the filing date."))
        if asset.filing_date and asset.filing_date > timezone.localdate():
            add(prefix + "filing_date", _("The filing date cannot be in the future."))
        key = (jurisdiction, number)
        if key in seen_numbers:
            add(
                prefix + "application_number", _("%(number)s is listed twice.") % {"number": number}
            )
        seen_numbers.add(key)
        # The number's registration: held rows are outside it. Only a result the user may see
        # refuses the number; one they may not see holds the new row for the TTO.
        existing = IPAsset.objects.filter(
            jurisdiction=jurisdiction, application_number=number, is_held=False
        )
        if exclude_pk is not None:
            existing = existing.exclude(result_id=exclude_pk)
        visible, hidden = split_by_visibility(
            Result.objects.filter(pk__in=existing.values("result_id")), actor
        )
        if visible.exists():
            add(
                prefix + "application_number",
                _("%(number)s is already registered on the platform with another result.")
                % {"number": number},
            )
        else:
            clash = existing.filter(result__in=hidden.values("pk")).order_by("pk").first()
            if clash is not None:
                held[(jurisdiction, number)] = clash.result_id
        checked_assets.append((asset, number))

    for index, funding in enumerate(data.fundings):
        if not funding.programme.strip():
            add(f"fundings-{index}-programme", _("Name the funding programme."))
    return errors, checked_assets, held


def _check_attachments(
    attachments: Sequence[UploadedFile], errors: dict[str, list[str]]
) -> list[CheckedUpload]:
    checked = []
    for upload in attachments:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.setdefault("attachments", []).extend(exc.messages)
    return checked


def _write_children(
    result: Result,
    data: ResultInput,
    assets: list[tuple[IPAssetInput, str]],
    held: dict[tuple[str, str], int],
) -> None:
    ResultOwner.objects.bulk_create(
        [ResultOwner(result=result, organisation=o) for o in data.owners]
    )
    ResultInventor.objects.bulk_create(
        [
            ResultInventor(result=result, person=i.person, share=i.share, position=n)
            for n, i in enumerate(data.inventors)
        ]
    )
    IPAsset.objects.bulk_create(
        [
            IPAsset(
                result=result,
                jurisdiction=(asset.jurisdiction or "CN").strip().upper(),
                ip_kind=asset.ip_kind,
                application_number=number,
                filing_date=asset.filing_date,
                publication_number=asset.publication_number.strip(),
                grant_number=asset.grant_number.strip(),
                grant_date=asset.grant_date,
                status=asset.status,
                is_held=((asset.jurisdiction or "CN").strip().upper(), number) in held,
            )
            for asset, number in assets
        ]
    )
    Funding.objects.bulk_create(
        [
            Funding(
                result=result,
                programme=f.programme.strip(),
                grant_number=f.grant_number.strip(),
                funder=f.funder.strip(),
                government_funded=f.government_funded,
            )
            for f in data.fundings
        ]
    )


def _content_fields(data: ResultInput) -> dict[str, Any]:
    return {
        "title_zh": data.title_zh,
        "title_en": data.title_en,
        "abstract_zh": data.abstract_zh.strip(),
        "abstract_en": data.abstract_en.strip(),
        "advantages_zh": data.advantages_zh.strip(),
        "advantages_en": data.advantages_en.strip(),
        "applications_zh": data.applications_zh.strip(),
        "applications_en": data.applications_en.strip(),
        "details_zh": data.details_zh.strip(),
        "details_en": data.details_en.strip(),
        "kind": data.kind,
        "field": data.field,
        "trl": data.trl,
        "keywords_zh": [k.strip() for k in data.keywords_zh if k.strip()],
        "keywords_en": [k.strip() for k in data.keywords_en if k.strip()],
        "is_public": data.is_public,
    }


def _duplicates(
    data: ResultInput, *, actor: User, confirm_duplicates: bool, exclude_pk: int | None = None
) -> list[Result]:
    """The nearly identical results ``actor`` may not see (held for the TTO after saving);
    raises ``DuplicateResultError`` with those they may see, unless they confirmed."""
    if confirm_duplicates and permitted(actor, Result, "view", every_row=True):
        return []  # confirmed, and no result is hidden from this user
    similar = result_find_near_duplicates(
        title_zh=data.title_zh, title_en=data.title_en, owners=data.owners, exclude_pk=exclude_pk
    )
    if not similar:
        return []
    visible_ids = set(
        Result.objects.restrict(actor, "view")
        .filter(pk__in=[r.pk for r in similar])
        .values_list("pk", flat=True)
    )
    shown = [r for r in similar if r.pk in visible_ids]
    if shown and not confirm_duplicates:
        raise DuplicateResultError(shown)
    return [r for r in similar if r.pk not in visible_ids]


def _hold_clashes(
    result: Result, *, actor: User, numbers: dict[tuple[str, str], int], similar: list[Result]
) -> None:
    """Hold ``result`` for the TTO against each result it may duplicate that ``actor`` may not
    see (one hold per pair, naming the numbers and whether the title is nearly identical)."""
    reasons: dict[int, dict[str, Any]] = {}
    for (jurisdiction, number), other in sorted(numbers.items()):
        reasons.setdefault(other, {}).setdefault("application_numbers", []).append(
            f"{jurisdiction} {number}"
        )
    for duplicate in similar:
        reasons.setdefault(duplicate.pk, {})["similar_title"] = True
    for pk, detail in sorted(reasons.items()):
        clash_hold(
            kind=RESULT_CLASH,
            held=result,
            existing=Result.objects.get(pk=pk),
            actor=actor,
            detail=detail,
        )


def _save_attachments(result: Result, checked: list[CheckedUpload], actor: User | None) -> None:
    for upload in checked:
        attachment = Attachment(
            result=result,
            original_name=upload.safe_name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            uploaded_by=actor,
        )
        attachment.file.save(upload.safe_name, upload.file, save=False)
        attachment.save()
        audit_record(
            actor=actor,
            action="attachment.upload",
            obj=attachment,
            payload={"result": result.pk, "name": upload.safe_name},
        )


#: A result its writer would not be allowed to write (e.g. an inventor's without their organisation).
OWNERS_NOT_ALLOWED = gettext_lazy(
    "You may onboard and edit only results your organisation owns: include it as an owner."
)


def _check_allowed_after_writing(result: Result, actor: User, action: str) -> None:
    """The written result (with its owners) must be one ``actor`` may ``action``: the grant's
    constraint decides (an inventor's: owned by their organisation). Raised inside the
    transaction, so nothing is kept."""
    if not allows(actor, result, action):
        raise ValidationError({"owners": [str(OWNERS_NOT_ALLOWED)]})


def result_onboard(
    *,
    data: ResultInput,
    actor: User,
    attachments: Sequence[UploadedFile] = (),
    confirm_duplicates: bool = False,
    onboarded_at: datetime | None = None,
) -> Result:
    """Onboard a result (成果入驻): it enters the pipeline in ``onboarding``. The actor needs the
    ``add`` action on results, and the new result must be one they may add (an inventor's is
    owned by their organisation)."""
    if not permitted(actor, Result, "add"):
        raise PermissionError(_("Only TTO managers and inventors can onboard results."))
    errors, assets, held = _validate_result_input(data, actor=actor, exclude_pk=None)
    checked = _check_attachments(attachments, errors)
    if errors:
        raise ValidationError(errors)
    hidden = _duplicates(data, actor=actor, confirm_duplicates=confirm_duplicates)
    when = onboarded_at or timezone.now()
    with transaction.atomic():
        result = Result(
            **_content_fields(data), created_by=actor, onboarded_at=when, stage_changed_at=when
        )
        result.full_clean()
        result.save()
        _write_children(result, data, assets, held)
        _check_allowed_after_writing(result, actor, "add")
        _save_attachments(result, checked, actor)
        StageTransition.objects.create(
            result=result,
            from_stage="",
            to_stage=ResultStageChoices.ONBOARDING,
            actor=actor,
            occurred_at=when,
            reason=_("Onboarded"),
        )
        audit_record(
            actor=actor,
            action="result.onboard",
            obj=result,
            payload={"title_zh": result.title_zh, "title_en": result.title_en},
        )
        _hold_clashes(result, actor=actor, numbers=held, similar=hidden)
        figures_changed()
    transaction.on_commit(lambda: enqueue_result_index(result.pk))
    return result


def result_update(
    *,
    result: Result,
    data: ResultInput,
    actor: User,
    attachments: Sequence[UploadedFile] = (),
    confirm_duplicates: bool = False,
) -> Result:
    """Replace a result's content, owners, inventors, IP assets and funding (attachments are added)."""
    if not allows(actor, result, "change"):
        raise PermissionError(_("You may not change this result."))
    errors, assets, held = _validate_result_input(data, actor=actor, exclude_pk=result.pk)
    checked = _check_attachments(attachments, errors)
    if errors:
        raise ValidationError(errors)
    hidden = _duplicates(
        data, actor=actor, confirm_duplicates=confirm_duplicates, exclude_pk=result.pk
    )
    with transaction.atomic():
        locked = Result.objects.select_for_update().get(pk=result.pk)
        for name, value in _content_fields(data).items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        locked.ownerships.all().delete()
        locked.inventorships.all().delete()
        locked.ip_assets.all().delete()
        locked.fundings.all().delete()
        _write_children(locked, data, assets, held)
        _check_allowed_after_writing(locked, actor, "change")
        _save_attachments(locked, checked, actor)
        audit_record(
            actor=actor,
            action="result.update",
            obj=locked,
            payload={"title_zh": locked.title_zh, "title_en": locked.title_en},
        )
        _hold_clashes(locked, actor=actor, numbers=held, similar=hidden)
        figures_changed()
    transaction.on_commit(lambda: enqueue_result_index(locked.pk))
    return locked
