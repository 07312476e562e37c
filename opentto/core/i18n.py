"""Bilingual content: records carry a Chinese and an English text; show the user's, else the other."""

from __future__ import annotations

import re
from typing import Any

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: what ``ch.isascii() and ch.isalpha()`` accepts
_LATIN = re.compile(r"[A-Za-z]")


def has_chinese(text: str) -> bool:
    """Whether ``text`` holds a Chinese character."""
    return _HAN.search(text) is not None


def text_language(text: str) -> str:
    """The language a quoted text is written in, for ``lang``: "zh-Hans" when it has at least as
    many Chinese characters as Latin letters (and one at least), else "en"."""
    han = len(_HAN.findall(text))
    latin = len(
        _LATIN.findall(text)
    )  # a regex, not a loop over every character (quoted passages are long)
    return "zh-Hans" if han and han >= latin else "en"


class Bilingual(str):
    """A bilingual record's text as shown in one language. ``fallback`` is the other language's code
    ("zh" or "en") when the record has no text in the page's language and shows the other one, else "".

    In a template it renders with a visible marker in the page's language after a fallback
    ("Own deal（仅英文）", "保密需求 (Chinese only)"): plain escaped text, so that it is right in an
    attribute or a ``<title>`` too. Anywhere else (exports, PDFs, e-mails, the API) it is the bare text."""

    fallback: str

    def __new__(cls, value: str, fallback: str = "") -> Bilingual:
        obj = super().__new__(cls, value)
        obj.fallback = fallback
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Bilingual, (str(self), self.fallback))

    def marker(self) -> str:
        """The visible note that the text is in the other language ("" when it is not)."""
        from django.utils.translation import gettext

        if not self.fallback or not str(self):
            return ""
        return gettext("(Chinese only)") if self.fallback == "zh" else gettext("(English only)")

    def __html__(self) -> str:
        from django.utils.html import escape

        marker = self.marker()
        return escape(f"{self} {marker}" if marker else str(self))


def bilingual(zh: str, en: str, language: str | None) -> str:
    """The text in ``language``, else the other language's (a :class:`Bilingual` that shows its fallback marker)."""
    if (language or "").startswith("en"):
        return Bilingual(en) if en else Bilingual(zh, "zh" if zh else "")
    return Bilingual(zh) if zh else Bilingual(en, "en" if en else "")


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
