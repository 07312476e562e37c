"""Bilingual content: records carry a Chinese and an English text; show the user's, else the other."""

from __future__ import annotations


def bilingual(zh: str, en: str, language: str | None) -> str:
    if (language or "").startswith("en"):
        return en or zh
    return zh or en
