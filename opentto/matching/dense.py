"""The dense pass: exact scan for small indexes; for large ones a coarse candidate pass over sign
codes rescored exactly, with the dense side's z-normalisation from a fixed sample."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .fusion import ScoreBasis
from .lexical_pass import _LexicalPass, _LexicalSide, _Prepared
from .vectors import STATS_SAMPLE, _matvec

#: passages the sign-code pass kept for rescoring (`_Vectors.coarse`, replaced by the graph)
DENSE_CANDIDATES = 4000  # the sign-code pass (`_Vectors.coarse`) before the graph; unused


@dataclass
class _Scores:
    lexical: np.ndarray
    dense: np.ndarray
    fused: np.ndarray
    prepared: _Prepared = field(repr=False)
    #: approximate path: the (sorted) slots outside which ``fused`` is -inf
    candidates: np.ndarray | None = field(default=None, repr=False)
    #: how ``fused`` is made of its parts (for explanations)
    basis: ScoreBasis | None = field(default=None, repr=False)


class _DensePass(_LexicalPass):
    """The dense side of a search."""

    def _approximate(self) -> bool:
        return self._vec.n_passages > self.exact_limit

    def _dense_stats(self, q: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the live documents' dense scores, from a fixed
        random sample (large indexes only; small ones use every score)."""
        if self._sample is None or self._sample[0] != self.version:
            live = np.nonzero(self._alive())[0]
            rng = np.random.default_rng(0)
            pick = np.sort(rng.choice(live, min(len(live), STATS_SAMPLE), replace=False))
            _, start, _ = self._vec._joined()
            a, b = start[pick], start[pick + 1]
            counts = b - a
            offsets = np.zeros(len(pick), np.int64)
            np.cumsum(counts[:-1], out=offsets[1:])
            idx = np.repeat(a - offsets, counts) + np.arange(int(counts.sum()))
            self._sample = (self.version, self._vec._rows(idx), offsets)
        _, rows, offsets = self._sample
        if not len(rows):
            return 0.0, 0.0
        s = np.maximum.reduceat(_matvec(rows, q), offsets).astype(np.float64)
        return float(s.mean()), float(s.std())

    def _feedback(self, vector: np.ndarray, top: Sequence[int]) -> np.ndarray:
        """Pseudo-relevance feedback: the query moved towards the top documents' mean vector."""
        fb = np.mean([self._vec.of_slot(i).mean(axis=0) for i in top], axis=0)
        qv = vector + self.fusion.prf_weight * fb
        return qv / max(float(np.linalg.norm(qv)), 1e-9)

    def _scores_approximate(
        self,
        prep: _Prepared,
        mode: str,
        lex: np.ndarray,
        alive: np.ndarray,
        side: _LexicalSide,
    ) -> _Scores:
        """Large indexes: dense scores only for candidates (the passages nearest by sign codes,
        plus the best lexical documents in hybrid mode), rescored exactly from the float16
        vectors; z-normalisation of the dense side from a fixed sample of live documents.
        Non-candidates score -inf."""
        n = len(lex)
        allowed = side.allowed
        f = self.fusion

        def candidates(vector: np.ndarray) -> np.ndarray:
            near = self._vec.ann(vector, allowed)
            # a user who may see few results, or whose results the graph's neighbours miss:
            # an exact scan of the slots they may see
            cand = np.nonzero(allowed)[0] if near is None else near
            if mode != "dense":
                cand = np.union1d(cand, side.top)
            return cand.astype(np.int64)

        def fused_of(vector: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            cand = candidates(vector)
            d = self._vec.slot_scores(cand, vector)
            if mode == "dense":
                return cand, d, d.copy()
            mu, sd = self._dense_stats(vector)
            zd = (d - mu) / sd if sd >= 1e-9 else np.zeros_like(d)
            lsd = side.std
            zl = (lex[cand] - side.mean) / lsd if lsd >= 1e-9 else np.zeros(len(cand))
            wl = f.lexical_weight_of(prep.cross_lingual, prep.short)
            return cand, d, (f.dense_weight * zd + wl * zl).astype(np.float32)

        assert prep.vector is not None
        cand, d, fz = fused_of(prep.vector)
        if f.prf_docs > 0 and f.prf_weight > 0 and len(cand):
            order = np.lexsort((cand, -fz))[: f.prf_docs]
            prep.vector = self._feedback(prep.vector, [int(cand[i]) for i in order])
            cand, d, fz = fused_of(prep.vector)
        dense = np.zeros(n, np.float32)
        dense[cand] = d
        fused = np.full(n, -np.inf, np.float32)
        fused[cand] = fz
        fused[~alive] = -np.inf
        if mode == "dense":
            basis = ScoreBasis("dense")
        else:
            mu, sd = self._dense_stats(prep.vector)
            basis = ScoreBasis(
                "hybrid",
                f.dense_weight,
                mu,
                sd,
                f.lexical_weight_of(prep.cross_lingual, prep.short),
                side.mean,
                side.std,
            )
        return _Scores(lex, dense, fused, prep, cand, basis)
