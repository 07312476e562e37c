"""Checking uploaded files by their content, not by their name or the browser's claim."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

#: Types accepted as result attachments: PDF, images and Office files.
ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
}


@dataclass(frozen=True)
class CheckedUpload:
    file: UploadedFile
    safe_name: str
    content_type: str
    size: int
    sha256: str


def safe_file_name(name: str) -> str:
    """The last path component, without control characters or path separators, ≤ 120 characters."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r'[\\/:*?"<>|]+', "_", base).strip(" .")
    if not base:
        base = "file"
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:110] + dot + ext[:9]) if dot else base[:120]
    return base


def check_upload(upload: UploadedFile) -> CheckedUpload:
    limit = settings.OPENTTO_MAX_UPLOAD_BYTES
    name = safe_file_name(upload.name or "")
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is %(size)s; the limit is %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.extension not in ALLOWED_TYPES:
        raise ValidationError(
            _("%(name)s is not a PDF, an image or an Office file (checked by its content).")
            % {"name": name},
            code="type",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        file=upload,
        safe_name=name,
        content_type=ALLOWED_TYPES[kind.extension],
        size=upload.size,
        sha256=digest.hexdigest(),
    )
