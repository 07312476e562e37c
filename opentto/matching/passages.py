"""Split long texts into passages that fit the embedding model (512 tokens)."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]+|\d+")
_SENT = re.compile(r"(?<=[。！？；!?;])|(?<=\.)\s+|\n+")

# Estimated model tokens: a whole text up to this size is embedded as one passage.
WHOLE_LIMIT = 460
# Target size of a window when a text is longer.
WINDOW = 240


def estimate_tokens(text: str) -> int:
    """A cheap estimate of e5 (XLM-R) tokens: ~0.8 per CJK char, ~1.3 per Latin word."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(text))
    other = max(0, (len(text) - cjk) // 12)
    return int(cjk * 0.8 + words * 1.3 + other) + 2


def sentences(text: str) -> list[str]:
    """Sentences (Chinese or Western punctuation), stripped, non-empty."""
    return [s.strip() for s in _SENT.split(text) if s and s.strip()]


def split_passages(text: str, whole_limit: int = WHOLE_LIMIT, window: int = WINDOW) -> list[str]:
    """The whole text if short, else overlapping sentence windows of about ``window`` tokens."""
    text = text.strip()
    if not text:
        return []
    if estimate_tokens(text) <= whole_limit:
        return [text]
    sents = sentences(text)
    out: list[str] = []
    cur: list[str] = []
    size = 0
    for s in sents:
        n = estimate_tokens(s)
        while n > window:  # a giant sentence: cut it by characters
            cut = max(1, int(len(s) * window / n))
            out.append(s[:cut])
            s = s[cut:]
            n = estimate_tokens(s)
        if cur and size + n > window:
            out.append(" ".join(cur))
            cur, size = cur[-1:], estimate_tokens(cur[-1])  # one sentence of overlap
            if size + n > window:
                cur, size = [], 0
        cur.append(s)
        size += n
    if cur:
        last = " ".join(cur)
        if not out or last not in out[-1]:
            out.append(last)
    return out
