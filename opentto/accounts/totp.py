"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits) — what every
authenticator app speaks. Pure Python."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

STEP = 30
DIGITS = 6
#: Codes from one step before or after are accepted (clock drift).
WINDOW = 1


def new_secret() -> str:
    """A random 160-bit secret in base32 (as authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.strip().replace(" ", "").upper()
    padded += "=" * (-len(padded) % 8)
    return base64.b32decode(padded)


def hotp(secret: str, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226: HMAC-SHA1 of the counter, dynamically truncated."""
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def totp(secret: str, at: float | None = None, step: int = STEP, digits: int = DIGITS) -> str:
    return hotp(secret, int((time.time() if at is None else at) // step), digits)


def verify(secret: str, code: str, *, at: float | None = None, last_counter: int | None = None) -> int | None:
    """The counter ``code`` matches (within the window), or ``None``. A counter at or before
    ``last_counter`` is refused, so a code cannot be used twice."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != DIGITS or not secret:
        return None
    now = int((time.time() if at is None else at) // STEP)
    for counter in range(now - WINDOW, now + WINDOW + 1):
        if last_counter is not None and counter <= last_counter:
            continue
        if hmac.compare_digest(hotp(secret, counter), code):
            return counter
    return None


def provisioning_uri(secret: str, account: str, issuer: str = "OpenTTO") -> str:
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP})
