"""Bilingual content: records carry a Chinese and an English text; show the user's, else the other."""

from __future__ import annotations


def bilingual(zh: str, en: str, language: str | None) -> str:
    if (language or "").startswith("en"):
        return en or zh
    return zh or en


def translate_path(url: str, language: str) -> str:
    """``url`` in ``language`` (``/en/results/`` → ``/zh-hans/results/``).

    Django's ``translate_url`` resolves the path in the *active* language, so a path with another
    language's prefix would come back unchanged; resolve it in the path's own language first."""
    from urllib.parse import urlsplit

    from django.urls import translate_url
    from django.utils import translation

    own = translation.get_language_from_path(urlsplit(url).path)
    with translation.override(own or translation.get_language()):
        return translate_url(url, language)
