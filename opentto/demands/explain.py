"""Match explanations in plain words (the matches page).

- :func:`fit_sentence`: why a result fits a demand, in one sentence of the page's language, built
  from the best matched terms, each with a translation when the engine's dictionary has a
  plausible one (``Lexicon.gloss``, with the two texts as context), and whether the texts are
  close in meaning. No number in it: this is what an enterprise reads.
- :func:`score_parts`: for who may see scores (``view_scores`` on the demand: the TTO by
  default), the parts the score is made of (the meaning part, each matched term's share, the
  rest of the matched words, the word side's corpus average, rounding), shown to two decimals
  so that the shown parts add up exactly to the shown score (largest remainders).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, pgettext

from opentto.core.i18n import has_chinese
from opentto.matching import Explanation, Hit, ScoreBasis
from opentto.matching.translate import get_lexicon

#: matched terms named in the sentence
SENTENCE_TERMS = 3
#: matched terms listed one by one in the score's parts (the rest are summed)
PART_TERMS = 12


_is_chinese = has_chinese


def _page_is_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _join(items: Sequence[str], html: bool = False) -> str:
    if len(items) <= 1:
        return "".join(items)
    # Translators: separates the items of a list ("A, B and C"); Chinese uses "、"
    separator = pgettext("list separator", ", ")
    head = (str(escape(separator)) if html else separator).join(items[:-1])
    return _fixed(gettext("%(items)s and %(last)s"), html) % {"items": head, "last": items[-1]}


def _piece(text: str, html: bool) -> str:
    """A quoted word: as is, or (``html``) escaped and, when it is in the other language than the
    page, inside ``<span lang>`` so that it reads (and is checked) as quoted data."""
    if not html:
        return text
    if _is_chinese(text) != _page_is_chinese():
        return str(
            format_html('<span lang="{}">{}</span>', "zh-Hans" if _is_chinese(text) else "en", text)
        )
    return str(escape(text))


def _named(
    query_form: str, doc_form: str, translated: bool, context: str, html: bool = False
) -> str:
    """The term as named, with its translation in brackets when that helps the reader."""
    chinese_page = _page_is_chinese()
    if translated and _is_chinese(query_form) != _is_chinese(doc_form):
        # the engine itself translated the demand's word: both forms, the page's language first
        main, other = (
            (doc_form, query_form)
            if _is_chinese(doc_form) == chinese_page
            else (query_form, doc_form)
        )
    else:
        main, other = query_form, ""
        if _is_chinese(main) != chinese_page:
            other = get_lexicon().gloss(main, context) or ""
    if other and other.lower() != main.lower():
        return _fixed(gettext("%(term)s (%(translation)s)"), html) % {
            "term": _piece(main, html),
            "translation": _piece(other, html),
        }
    return _piece(main, html)


def _fixed(text: str, html: bool) -> str:
    """A translated message, escaped when it frames HTML pieces."""
    return str(escape(text)) if html else text


def _part_of(a: str, b: str) -> bool:
    """Chinese words one inside the other (机械 in 机械臂: the segmenter's sub-words)."""
    return _is_chinese(a) and _is_chinese(b) and (a in b or b in a)


def fit_sentence(
    terms: Sequence[tuple[str, str, float, bool]],
    *,
    close_in_meaning: bool,
    context: str,
    html: bool = False,
) -> str:
    """Why a result fits, in a sentence. ``terms``: (demand's form, result's form, share,
    translated), best first, as :func:`opentto.demands.selectors._distinct_terms` gives them.

    With ``html`` the sentence is safe HTML in which each word quoted in the other language than
    the page's is marked with its ``lang`` (the page's language checks and screen readers read
    it as quoted data); the words are the same."""
    named: list[str] = []
    seen: set[str] = set()
    for query_form, doc_form, _share, translated in terms:
        forms = {query_form.lower(), doc_form.lower()}
        if forms & seen or any(_part_of(f, g) for f in forms for g in seen):
            continue  # the same word again (a synonym, a translation, a word inside a named one)
        seen |= forms
        named.append(_named(query_form, doc_form, translated, context, html))
        if len(named) == SENTENCE_TERMS:
            break
    if named and close_in_meaning:
        sentence = _fixed(
            gettext("Fits because both speak of %(terms)s; the texts are also close in meaning."),
            html,
        ) % {"terms": _join(named, html)}
    elif named:
        sentence = _fixed(gettext("Fits because both speak of %(terms)s."), html) % {
            "terms": _join(named, html)
        }
    elif close_in_meaning:
        sentence = _fixed(
            gettext("Fits because the texts are close in meaning, though they share no key term."),
            html,
        )
    else:
        sentence = _fixed(
            gettext("Shares only a few scattered words with the demand: a weak fit."), html
        )
    return SafeString(sentence) if html else sentence


def close_in_meaning(hit: Hit) -> bool:
    """The meaning part stands above the index's average (hybrid matching only)."""
    why: Explanation | None = hit.explanation
    basis = why.basis if why else None
    return bool(basis is not None and basis.mode == "hybrid" and basis.dense_part(hit.dense) > 0)


@dataclass
class ScorePart:
    key: str  # "meaning", "term", "other_terms", "word_average", "rounding"
    label: str
    value: float
    shown: str = ""  # two decimals, signed; the shown parts add up to the shown score
    label_html: str = ""  # a term's label as safe HTML, the quoted word marked with its ``lang``


def _hundredths(x: float) -> int:
    return int(Decimal(repr(x)).scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def shown_score(score: float) -> str:
    """The score to two decimals, rounded half up (as the parts are)."""
    return f"{_hundredths(score) / 100:.2f}"


def _allocate(parts: list[ScorePart], total: float) -> None:
    """Round the parts to hundredths so that they add up to ``total`` rounded (largest
    remainders: each part moves by less than 0.01 from its value)."""
    target = _hundredths(total)
    exact = [p.value * 100 for p in parts]
    floors = [math.floor(x) for x in exact]
    missing = target - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: max(0, min(missing, len(parts)))]:
        floors[i] += 1
    if missing > len(parts) or missing < 0:  # cannot happen when the parts add up; never hide it
        floors[-1] += target - sum(floors)
    for p, h in zip(parts, floors, strict=True):
        p.shown = f"{h / 100:+.2f}"


def _num(x: float, places: int = 2) -> str:
    return f"{x:.{places}f}"


def score_parts(hit: Hit, terms: Sequence[tuple[str, str, float, bool]]) -> list[ScorePart]:
    """The parts of ``hit.score`` (see the module's docstring); their ``shown`` values add up to
    :func:`shown_score`. ``terms`` as for :func:`fit_sentence` (each listed with its share)."""
    why: Explanation | None = hit.explanation
    basis: ScoreBasis | None = why.basis if why else None
    parts: list[ScorePart] = []
    if basis is None or why is None:
        parts.append(ScorePart("rounding", gettext("Score"), hit.score))
        _allocate(parts, hit.score)
        return parts
    hybrid = basis.mode == "hybrid"
    if hybrid:
        parts.append(
            ScorePart(
                "meaning",
                gettext(
                    "Meaning: cosine %(cosine)s against the index's average %(mean)s (spread %(sd)s), standardised, × %(weight)s"
                )
                % {
                    "cosine": _num(hit.dense, 3),
                    "mean": _num(basis.dense_mean, 3),
                    "sd": _num(basis.dense_sd, 3),
                    "weight": _num(basis.dense_weight),
                },
                basis.dense_part(hit.dense),
            )
        )
    listed = 0.0
    for query_form, doc_form, share, _translated in list(terms)[:PART_TERMS]:
        labels = []
        for html in (False, True):
            name = (
                _piece(query_form, html)
                if query_form.lower() == doc_form.lower()
                else f"{_piece(query_form, html)} → {_piece(doc_form, html)}"
            )
            if hybrid:
                labels.append(
                    _fixed(
                        gettext("Word “%(term)s”: BM25 %(share)s ÷ spread %(sd)s × %(weight)s"),
                        html,
                    )
                    % {
                        "term": name,
                        "share": _num(share),
                        "sd": _num(basis.lexical_sd),
                        "weight": _num(basis.lexical_weight),
                    }
                )
            else:
                labels.append(
                    _fixed(gettext("Word “%(term)s”: BM25 %(share)s"), html)
                    % {"term": name, "share": _num(share)}
                )
        value = basis.term_part(share)
        listed += share
        parts.append(ScorePart("term", labels[0], value, label_html=SafeString(labels[1])))
    rest = hit.lexical - listed
    if abs(basis.term_part(rest)) >= 0.0005:
        parts.append(
            ScorePart(
                "other_terms",
                gettext("Other matched words (single characters and the rest): BM25 %(share)s")
                % {"share": _num(rest)},
                basis.term_part(rest),
            )
        )
    if hybrid and basis.lexical_offset():
        parts.append(
            ScorePart(
                "word_average",
                gettext(
                    "Words: the index's average BM25 %(mean)s ÷ spread %(sd)s × %(weight)s, subtracted"
                )
                % {
                    "mean": _num(basis.lexical_mean),
                    "sd": _num(basis.lexical_sd),
                    "weight": _num(basis.lexical_weight),
                },
                basis.lexical_offset(),
            )
        )
    remainder = hit.score - sum(p.value for p in parts)
    parts.append(ScorePart("rounding", gettext("Rounding"), remainder))
    _allocate(parts, hit.score)
    if parts[-1].shown in ("+0.00", "-0.00"):
        parts.pop()
    return parts


def result_context(result: Any) -> str:
    """A result's public text in both languages (to tell plausible translations)."""
    fields = (
        "title_zh",
        "title_en",
        "abstract_zh",
        "abstract_en",
        "applications_zh",
        "applications_en",
    )
    words = [str(getattr(result, f, "") or "") for f in fields]
    words += [
        str(k)
        for k in [
            *(getattr(result, "keywords_zh", None) or []),
            *(getattr(result, "keywords_en", None) or []),
        ]
    ]
    return "\n".join(w for w in words if w.strip())
