"""What the engine indexes and returns: documents, hits, explanations and their term matches."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .fusion import ScoreBasis

Mode = Literal["hybrid", "lexical", "dense"]
MODES: tuple[str, ...] = ("hybrid", "lexical", "dense")


@dataclass(frozen=True)
class Document:
    """A searchable document: a result, a demand, a patent, an expert profile..."""

    id: str
    title: str = ""
    text: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        """Title and text as one string."""
        return "\n".join(x for x in (self.title.strip(), self.text.strip()) if x)

    def content_hash(self) -> str:
        """sha256 of everything that is indexed."""
        payload = json.dumps([self.title, self.text, list(self.keywords)], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TermMatch:
    """A query term found in a document, with both surface forms and its BM25 share."""

    term: str
    query_form: str
    doc_form: str
    score: float
    translated: bool = False


@dataclass(frozen=True)
class Explanation:
    """Why a document matched: score parts, matched terms, best passage.

    ``basis`` says how ``fused`` is made of the parts (see :class:`ScoreBasis`):
    ``basis.dense_part(dense) + Σ basis.term_part(t.score) + basis.lexical_offset()``
    equals ``fused`` (up to float32 rounding)."""

    doc_id: str
    lexical: float
    dense: float
    fused: float
    terms: tuple[TermMatch, ...]
    best_passage: str
    passage_index: int
    basis: ScoreBasis | None = None


@dataclass(frozen=True)
class Hit:
    """One search result; ``score`` is the score of the requested mode."""

    id: str
    score: float
    lexical: float
    dense: float
    explanation: Explanation | None = None


def documents_from_rows(
    rows: Sequence[dict[str, object]], use_keywords: bool = False
) -> list[Document]:
    """Documents from BEIR-style dicts (``_id``/``id``, ``title``, ``text``; ``keywords`` if asked)."""
    out = []
    for r in rows:
        kw = (r.get("keywords") or ()) if use_keywords else ()
        out.append(
            Document(
                str(r.get("_id", r.get("id"))),
                str(r.get("title") or ""),
                str(r.get("text") or ""),
                tuple(str(k) for k in kw) if isinstance(kw, list | tuple) else (),
            )
        )
    return out
