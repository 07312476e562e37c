"""Fusion of the lexical and dense scores: parameters, z-score sum, how a score is made of its
parts (:class:`ScoreBasis`), and the top-k selection every pass uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScoreBasis:
    """How a document's score is made of its parts, so that they add up to it.

    - ``lexical`` mode: score = Σ the matched terms' BM25 shares;
    - ``dense`` mode: score = the cosine;
    - ``hybrid`` mode: score = dense_weight × (cosine − dense_mean) / dense_sd
      + lexical_weight × (BM25 − lexical_mean) / lexical_sd, i.e. the meaning part
      (:meth:`dense_part`) + Σ :meth:`term_part` of every matched term's share
      + :meth:`lexical_offset` (the word side's corpus average, standardised: ≤ 0).

    A side with no spread over the index (sd 0) counts 0, as in the fusion."""

    mode: str
    dense_weight: float = 0.0
    dense_mean: float = 0.0
    dense_sd: float = 0.0
    lexical_weight: float = 0.0
    lexical_mean: float = 0.0
    lexical_sd: float = 0.0

    def dense_part(self, cosine: float) -> float:
        if self.mode == "dense":
            return float(cosine)
        if self.mode == "lexical" or self.dense_sd < 1e-9:
            return 0.0
        return self.dense_weight * (float(cosine) - self.dense_mean) / self.dense_sd

    def term_part(self, share: float) -> float:
        """What a term's BM25 share adds to the score."""
        if self.mode == "lexical":
            return float(share)
        if self.mode == "dense" or self.lexical_sd < 1e-9:
            return 0.0
        return self.lexical_weight * float(share) / self.lexical_sd

    def lexical_offset(self) -> float:
        if self.mode != "hybrid" or self.lexical_sd < 1e-9:
            return 0.0
        return -self.lexical_weight * self.lexical_mean / self.lexical_sd


@dataclass
class FusionParams:
    """Hybrid fusion: weighted sum of z-normalised lexical and dense scores."""

    lexical_weight: float = 0.2
    dense_weight: float = 1.0
    # a query in the other language than the index (English on Chinese, Chinese on English):
    # the lexical side only has translations (0.3: PatentMatch en→zh, both halves; benchmarks.md)
    cross_lingual_lexical_weight: float = 0.3
    # the same for a short cross-lingual query (at most ``symmetric_above_tokens``)
    short_cross_lingual_lexical_weight: float = 0.2
    translation_weight: float = 0.6
    query_term_saturation: float = 4.0
    translated_term_saturation: float = 1.5
    translation_subtoken_weight: float = 0.0
    # queries longer than this (estimated tokens) are document-like: embed them as passages
    symmetric_above_tokens: int = 150
    # cross-lingual: mix in the embedding of the translated (Chinese) query terms
    translated_dense_weight: float = 0.5
    # the same for a short (demand-style, embedded as `query:`) cross-lingual query, whose own
    # embedding carries less, with only each word's best candidate embedded: PatentMatch en→zh
    # short hybrid 0.501 → 0.512 / 0.490 → 0.492 (even / odd halves; 3 candidates at 0.7 before,
    # docs/benchmarks.md); longer queries keep 3 candidates at 0.5
    short_translated_dense_weight: float = 1.4
    # candidates per query word in that embedded text (best first), long and short queries
    dense_translations_per_word: int = 3
    short_dense_translations_per_word: int = 1
    # translation disambiguation by co-occurrence in the index (``translate.cohere``): the
    # weight of a candidate's mean PMI with the other query words' best candidates (0 = off)
    translation_cohesion: float = 3.0
    # a cross-lingual query's own terms found in the index (numbers, codes, loanwords)
    cross_lingual_native_weight: float = 0.35
    # how many of each word's candidates (best first) stand for it in the others' PMI
    cohesion_top: int = 3
    # Dirichlet smoothing of the co-occurrence rate (pseudo-documents at the base rate)
    cohesion_smoothing: float = 5.0
    # pseudo-relevance feedback on the dense side: mean of the top documents' vectors
    prf_docs: int = 0
    prf_weight: float = 0.0

    def lexical_weight_of(self, cross_lingual: bool, short: bool) -> float:
        """The lexical side's weight for a query: same-language, cross-lingual, short
        cross-lingual."""
        if not cross_lingual:
            return self.lexical_weight
        return (
            self.short_cross_lingual_lexical_weight if short else self.cross_lingual_lexical_weight
        )


class _Fusing:
    """The hybrid fusion of an engine's two score arrays (``self.fusion`` holds its weights)."""

    fusion: FusionParams

    def _fuse(
        self,
        lex: np.ndarray,
        dense: np.ndarray,
        alive: np.ndarray,
        cross: bool,
        short: bool = False,
    ) -> np.ndarray:
        f = self.fusion
        wl = f.lexical_weight_of(cross, short)
        return f.dense_weight * _znorm(dense, alive) + wl * _znorm(lex, alive)

    def _basis(
        self, lex: np.ndarray, dense: np.ndarray, alive: np.ndarray, cross: bool, short: bool
    ) -> ScoreBasis:
        """The means and deviations :meth:`_fuse` standardised with (as ``_znorm`` does)."""
        f = self.fusion

        def stats(x: np.ndarray) -> tuple[float, float]:
            if not alive.any():
                return 0.0, 0.0
            live = x[alive]
            sd = float(live.std())
            return (float(live.mean()), sd) if sd >= 1e-9 else (0.0, 0.0)

        dm, dsd = stats(dense)
        lm, lsd = stats(lex)
        return ScoreBasis(
            "hybrid", f.dense_weight, dm, dsd, f.lexical_weight_of(cross, short), lm, lsd
        )


def _znorm(x: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """z-scores over live slots (0 where there is no spread)."""
    if not alive.any():
        return np.zeros_like(x)
    live = x[alive]
    sd = float(live.std())
    if sd < 1e-9:
        return np.zeros_like(x)
    return ((x - float(live.mean())) / sd).astype(np.float32)


def _top_indices(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k largest finite scores, best first (ties: lower index first)."""
    if k <= 0:
        return []
    k = min(k, len(scores))
    cand = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    cand = cand[np.isfinite(scores[cand])]
    order = np.lexsort((cand, -scores[cand]))
    return [int(i) for i in cand[order]]
