"""What a rendered page says in fixed text, and what in it is in the wrong language.

A page's *fixed text* is everything a reader sees (text nodes, and the ``title``, ``placeholder``,
``aria-label`` and ``alt`` attributes) minus

- scripts, styles and templates;
- text inside an element whose ``lang`` names another language (the language switcher, data shown
  in the other language behind a visible fallback marker: ``opentto.core.i18n.bilingual``);
- the world's data: every text value stored in the database (a model's text fields, choices
  excepted: a stored code shown as is would be untranslated fixed text). On a Chinese page the
  English half of a bilingual pair whose Chinese half exists is *not* data (it must not be
  shown), and the reverse on an English page;
- tokens that are the same in both languages (:data:`ALLOWED_LATIN`, numbers, codes, URLs,
  e-mail addresses).

``wrong_language(html, language, data)`` returns the words left that belong to the other language:
Latin words on a Chinese page, Han characters (and Chinese punctuation) on an English page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from django.apps import apps
from django.db import models

#: Words that are the same on a Chinese and an English page (names, formats, standards, units).
ALLOWED_LATIN = {
    "OpenTTO",
    "TTO",
    "HTMX",
    "PDF",
    "CSV",
    "API",
    "TOTP",
    "JSON",
    "XLSX",
    "xlsx",
    "csv",
    "pdf",
    "json",
    "Excel",
    "IPC",
    "CPC",
    "PCT",
    "ID",
    "URL",
    "HTTP",
    "HTTPS",
    "SSO",
    "OIDC",
    "OAuth",
    "REST",
    "CNIPA",
    "EPO",
    "USPTO",
    "WIPO",
    "UTC",
    "CST",
    "GMT",
    "Asia",
    "Shanghai",
    "PoC",
    "NDA",
    "TRL",
    "IP",
    "R",
    "D",
    "DCF",
    "NPV",
    "IRR",
    "CNY",
    "RMB",
    "USD",
    "EUR",
    "kg",
    "km",
    "mm",
    "cm",
    "MB",
    "KB",
    "GB",
    "ms",
    "min",
    "h",
    "s",
    "x",
    "vs",
    "QR",
    "SMS",
    "RSS",
    "Atom",
    "iCal",
    "ICS",
    "ics",
    "GitHub",
    "Django",
    "PIPL",
    "GB/T",
    "OpenAPI",
    "Swagger",
    "ReDoc",
    "English",
    "Markdown",
    "UTF",
    "Chromium",
    "ORCID",
    "DOI",
    "ISBN",
    "ISO",
    "SHA",
    "MIT",
    "GPL",
    "AGPL",
    "Apache",
    "BSD",
    "LPR",
    "SHIBOR",
    "ABS",
    "REITs",
    "CAGR",
    "KPI",
    "OKR",
    "AI",
    "ESG",
    "CEO",
    "CTO",
    "FTO",
    "AUTM",
    "MTA",
    "CDA",
    "HHI",
    "XML",
    "ST",
    "YYYY",
    "MM",
    "DD",
    "Qn",
    "YYYY-MM-DD",
    "YYYY-Qn",
    "EPC",
    "CFR",
    "U.S.C",
    "CN",
    "EP",
    "US",
    "JP",
    "KR",
    "WO",
    "DE",
    "FR",
    "NASA",
    "EU",
    "IPscore",
    "Google",
    "Microsoft",
    "Authenticator",
    "FreeOTP",
    "Uniloc",
    "v",
    "Asia/Shanghai",
    "docs/figures.md",
    "STANDARDS.md",
    "docs",
}
#: Latin "words" that are identifiers, not language: codes (CN202310000001.5, AP-2024-001), hex, versions.
_IDENTIFIER = re.compile(
    r"^(?=.*[\d_])[A-Za-z0-9][A-Za-z0-9_./\-]*$"
)  # with a digit or an underscore (data_quality)
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|/[\w\-./?=&%#]+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’._/\-]*")
_HAN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff0f\uff1a-\uff1f]+"
)
#: Not fixed text: code, data being edited (a textarea) and identifiers (code, kbd, samp: grant actions, column keys).
_SKIP_TAGS = {"script", "style", "template", "noscript", "svg", "textarea", "code", "kbd", "samp"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_ATTRS = ("title", "placeholder", "aria-label", "alt")


def _lang_of(code: str | None) -> str | None:
    if not code:
        return None
    return (
        "zh"
        if code.lower().startswith("zh")
        else ("en" if code.lower().startswith("en") else code.lower())
    )


class _Text(HTMLParser):
    """The visible text of a page, each piece with the language its nearest ``lang`` declares."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None, bool]] = []  # (tag, lang, skipped)
        self.pieces: list[tuple[str | None, str]] = []

    def _state(self) -> tuple[str | None, bool]:
        lang = next((entry[1] for entry in reversed(self.stack) if entry[1]), None)
        return lang, any(entry[2] for entry in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = _lang_of(values.get("lang"))
        parent_lang, skipped = self._state()
        here = lang or parent_lang
        if not skipped and tag not in _SKIP_TAGS:
            for name in _ATTRS:
                if values.get(name):
                    self.pieces.append((here, values[name] or ""))
            if (
                tag == "input"
                and (values.get("type") or "") in {"submit", "button"}
                and values.get("value")
            ):
                self.pieces.append((here, values["value"] or ""))
        if tag not in _VOID:
            self.stack.append((tag, lang, tag in _SKIP_TAGS))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        lang, skipped = self._state()
        if not skipped and data.strip():
            self.pieces.append((lang, data))


def visible_text(html: str, language: str) -> str:
    """The page's visible text in ``language`` (text declared to be in another language left out)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    want = _lang_of(language)
    return "\n".join(text for lang, text in parser.pieces if lang in (None, want))


def choice_codes() -> set[str]:
    """The stored codes of every field with choices: identifiers an import file or a URL uses, the same in both languages."""
    return {
        str(value)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.choices
        for value, _label in f.flatchoices
    }


def data_values(language: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Every text stored in the database that a page in ``language`` may show as it is (longest first), and ``extra``
    (texts the database holds encrypted)."""
    want = _lang_of(language)
    other = "en" if want == "zh" else "zh"
    values: set[str] = set(extra)
    for model in apps.get_models():
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(
                f, models.CharField | models.TextField | models.EmailField | models.FileField
            )
            and not f.choices
        ]
        if not fields:
            continue
        names = {f.attname for f in fields}
        for row in model._default_manager.values(*names):
            for name, value in row.items():
                if not value or not isinstance(value, str):
                    continue
                # the other language's half of a bilingual pair whose own half exists is not to be shown
                if name.endswith(f"_{other}") and row.get(name[: -len(other)] + want):
                    continue
                values.add(value)
                values.update(line.strip() for line in value.splitlines() if line.strip())
                if "/" in value:  # a stored file's name
                    values.add(value.rsplit("/", 1)[-1])
    return sorted(values, key=len, reverse=True)


_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _without_data(text: str, data: list[str]) -> str:
    """``text`` with every data value cut out (a Latin value only as whole words: "A" is not cut from "API")."""
    key = tuple(data)
    if key not in _PATTERNS:
        parts = []
        for value in data:
            if len(value) < 2 and not _HAN.match(value):
                continue
            head = r"(?<![A-Za-z0-9])" if value[0].isascii() and value[0].isalnum() else ""
            tail = r"(?![A-Za-z0-9])" if value[-1].isascii() and value[-1].isalnum() else ""
            parts.append(head + re.escape(value) + tail)
        _PATTERNS.clear()
        _PATTERNS[key] = re.compile("|".join(parts) or r"(?!x)x")
    return _PATTERNS[key].sub(" ", text)


def wrong_language(html: str, language: str, data: list[str], codes: bool = False) -> list[str]:
    """The fixed text of ``html`` that is not in ``language`` (see the module's doc); ``codes``: the page documents
    the stored codes of choices (the import page), which are then identifiers, not words."""
    text = _without_data(visible_text(html, language), data)
    if _lang_of(language) == "en":
        return sorted(set(_HAN.findall(text)))
    text = _URL.sub(" ", text)
    allowed = choice_codes() | {"yes", "no"} if codes else set()  # the import file's values
    found = set()
    for word in _LATIN_WORD.findall(text):
        word = word.strip("'’._/-")
        if (
            len(word) < 2
            or word in ALLOWED_LATIN
            or word in allowed
            or _IDENTIFIER.match(word)
            or all(part in ALLOWED_LATIN for part in re.split(r"[/._\-]", word) if part)
        ):
            continue
        found.add(word)
    return sorted(found)


def explain(html: str, language: str, data: list[str], words: list[str]) -> list[str]:
    """The lines of the page's fixed text that hold the wrong words (for a readable failure)."""
    text = _without_data(visible_text(html, language), data)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for word in words:
        line = next((ln for ln in lines if word in ln), word)
        if line not in out:
            out.append(line[:160])
    return out


def page_lines(response: Any) -> str:
    return response.content.decode(errors="replace")
