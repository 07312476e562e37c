"""Encryption at rest for personal data and TOTP secrets (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from ``OPENTTO_FIELD_KEYS`` (a comma-separated list of Fernet keys, newest first, so keys
can be rotated); without it a key is derived from ``SECRET_KEY`` (fine for the embedded default and
the demo; production sites set their own key and keep it out of the database backups)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    derived = base64.urlsafe_b64encode(
        hashlib.sha256(b"opentto-field-encryption:" + secret_key.encode()).digest()
    )
    return MultiFernet([Fernet(derived)])


def _current() -> MultiFernet:
    keys = tuple(
        k.strip()
        for k in str(getattr(settings, "OPENTTO_FIELD_KEYS", "") or "").split(",")
        if k.strip()
    )
    return _fernet(keys, str(settings.SECRET_KEY))


def encrypt(value: str) -> str:
    """The ciphertext of ``value`` ('' stays '')."""
    if not value:
        return ""
    return _current().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of ``token`` ('' stays ''). Raises ``ValueError`` if the key does not fit."""
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("the stored value cannot be decrypted with the configured keys") from exc


def mask(value: str, *, keep_start: int = 0, keep_end: int = 4) -> str:
    """``110101199003071234`` → ``**************1234``; short values are masked whole."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end + 2:
        return "*" * len(value)
    return (
        value[:keep_start]
        + "*" * (len(value) - keep_start - keep_end)
        + value[len(value) - keep_end :]
    )
