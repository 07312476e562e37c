"""The matching engine: documents, on-disk index, lexical / dense / hybrid search, explanations.

The facade of the package's engine modules (each one concern; ADR 0003, docs/matching.md):
:mod:`.documents` (what is indexed and returned), :mod:`.store` (state, database, snapshots,
updates), :mod:`.vectors` (dense storage), :mod:`.lexical_pass` (query preparation, BM25),
:mod:`.dense` (exact and approximate dense scoring), :mod:`.fusion` (z-score fusion),
:mod:`.explain` (explanations). Everything importable from here before the split still is."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from . import embeddings as _embeddings
from .dense import DENSE_CANDIDATES, _DensePass, _Scores
from .documents import MODES, Document, Explanation, Hit, Mode, TermMatch, documents_from_rows
from .embeddings import (
    EMBED_THREADS,
    WIDE_EMBED_THREADS,
    Embedder,
    _embed_async,
    _embed_wide,
    _parallel,
)
from .explain import _Explaining
from .fusion import FusionParams, ScoreBasis, _Fusing, _top_indices, _znorm
from .lexical_pass import (
    _BIT_TYPES,
    _BYTE_BITS,
    _TRANSLATE,
    COHESION_SAMPLE,
    LEXICAL_CANDIDATES,
    _LexicalPass,
    _LexicalSide,
    _Prepared,
    translation_off,
)
from .store import (
    DB_NAME,
    FORMAT_VERSION,
    MERGE_MAX,
    MERGE_MIN,
    SNAPSHOT_FORMAT,
    SNAPSHOT_MIN,
    SNAPSHOT_POINTER,
    _Hashes,
    _Store,
)
from .vectors import (
    _HYPERPLANES,
    CODE_WORDS,
    EXACT_LIMIT,
    STATS_SAMPLE,
    _matvec,
    _sign_codes,
    _Vectors,
)

__all__ = [
    "CODE_WORDS",
    "COHESION_SAMPLE",
    "DB_NAME",
    "DENSE_CANDIDATES",
    "EMBED_THREADS",
    "EXACT_LIMIT",
    "FORMAT_VERSION",
    "LEXICAL_CANDIDATES",
    "MASK_CACHE",
    "MERGE_MAX",
    "MERGE_MIN",
    "MODES",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_MIN",
    "SNAPSHOT_POINTER",
    "STATS_SAMPLE",
    "WIDE_EMBED_THREADS",
    "Document",
    "Embedder",
    "Explanation",
    "FusionParams",
    "Hit",
    "MatchEngine",
    "Mode",
    "ScoreBasis",
    "TermMatch",
    "_BIT_TYPES",
    "_BYTE_BITS",
    "_DensePass",
    "_Explaining",
    "_Fusing",
    "_HYPERPLANES",
    "_Hashes",
    "_LexicalPass",
    "_LexicalSide",
    "_Prepared",
    "_Scores",
    "_Store",
    "_TRANSLATE",
    "_Vectors",
    "_embed_async",
    "_embed_wide",
    "_matvec",
    "_parallel",
    "_sign_codes",
    "_top_indices",
    "_znorm",
    "documents_from_rows",
    "translation_off",
]

#: masks of allowed-id sets remembered (one per permission scope in use)
MASK_CACHE = 8


def __getattr__(name: str) -> Any:
    """Mutable module state that moved with the split (the query-embedding thread pool)."""
    if name in ("_POOL", "_POOL_LOCK"):
        return getattr(_embeddings, name)
    raise AttributeError(name)


class MatchEngine(_Explaining, _Fusing):
    """Hybrid BM25 + dense matching over a persistent index directory (``None``: in memory)."""

    def _scores(self, text: str, mode: str, mask: np.ndarray | None = None) -> _Scores:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if mode != "lexical" and not self.dense_enabled:
            raise ValueError("this engine was created with dense=False")
        need_lex = mode != "dense"
        need_dense = mode != "lexical"
        prep = self._prepare(text, need_lex, need_dense)
        n = self.bm25.n_slots
        alive = self._alive()
        approximate = need_dense and n > 0 and self._approximate()
        try:
            # the lexical side, while the query's embedding runs (see _prepare)
            lex = self.bm25.score(prep.terms) if need_lex else np.zeros(n, np.float32)
            lexical_side = self._lexical_side(lex, alive, mask, mode) if approximate else None
        finally:
            prep.resolve()  # never leave an embedding running unobserved
        if lexical_side is not None and prep.vector is not None:
            return self._scores_approximate(prep, mode, lex, alive, lexical_side)
        dense = np.zeros(n, np.float32)
        if need_dense and prep.vector is not None and n:
            dense = self._vec.exact_scores(prep.vector)
            f = self.fusion
            if f.prf_docs > 0 and f.prf_weight > 0:
                seed = (
                    dense
                    if mode == "dense"
                    else self._fuse(lex, dense, alive, prep.cross_lingual, prep.short)
                )
                seed = np.where(alive, seed, -np.inf)
                top = _top_indices(seed, f.prf_docs)
                prep.vector = self._feedback(prep.vector, top)
                dense = self._vec.exact_scores(prep.vector)
        if mode == "lexical":
            fused = np.where(lex > 0, lex, -np.inf).astype(np.float32)
            basis = ScoreBasis("lexical")
        elif mode == "dense":
            fused = dense.copy()
            basis = ScoreBasis("dense")
        else:
            fused = self._fuse(lex, dense, alive, prep.cross_lingual, prep.short)
            basis = self._basis(lex, dense, alive, prep.cross_lingual, prep.short)
        fused[~alive] = -np.inf
        return _Scores(lex, dense, fused, prep, basis=basis)

    def _mask(self, allowed_ids: Collection[str]) -> np.ndarray:
        """Slots of the allowed ids (built from the ids, not by scanning every slot).

        Building it costs ≈ 90 ms for 100,000 ids. The masks of the last ``MASK_CACHE`` distinct
        ``frozenset`` objects (immutable: callers keep one per permission scope, see
        ``opentto.core.cache.cached_ids``) are remembered with the index version, so each
        is built once per scope and change; any other collection is read afresh."""
        n = self.bm25.n_slots
        for i, (ids, version, cached) in enumerate(self._mask_cache):
            if ids is allowed_ids and version == self.version and cached.shape[0] == n:
                self._mask_cache.append(self._mask_cache.pop(i))
                return cached
        mask = np.zeros(n, dtype=bool)
        slot_of = self.slot_of
        slots = [s for s in (slot_of.get(i) for i in allowed_ids) if s is not None]
        mask[np.asarray(slots, dtype=np.int64)] = True
        if isinstance(allowed_ids, frozenset):
            self._mask_cache = [e for e in self._mask_cache if e[1] == self.version][
                -(MASK_CACHE - 1) :
            ]
            self._mask_cache.append((allowed_ids, self.version, mask))
        return mask

    def search(
        self,
        text: str,
        top: int = 10,
        mode: Mode | str = "hybrid",
        allowed_ids: Collection[str] | None = None,
        filter: Callable[[str], bool] | None = None,
        explain: bool = False,
    ) -> list[Hit]:
        """The ``top`` best documents for ``text``; never returns an id outside ``allowed_ids``
        or rejected by ``filter`` (both applied before the cut to ``top``)."""
        with self._lock:
            if not any(ch.isalnum() for ch in text) or not self.slot_of or top <= 0:
                return []
            mask = None
            allowed: Collection[str] = ()
            if allowed_ids is not None:
                mask = self._mask(allowed_ids)
                allowed = (
                    allowed_ids if isinstance(allowed_ids, set | frozenset) else set(allowed_ids)
                )
            sc = self._scores(text, mode, mask)
            fused = sc.fused
            cand = sc.candidates
            if cand is not None:  # the rest is -inf: rank the candidates only (same order)
                fused = fused[cand]
                if mask is not None:
                    fused = np.where(mask[cand], fused, -np.inf)
            elif mask is not None:
                fused = np.where(mask, fused, -np.inf)
            valid = int(np.isfinite(fused).sum())
            hits: list[Hit] = []
            k = min(valid, top if filter is None else max(top * 4, 50))
            while True:
                order = _top_indices(fused, k)
                if cand is not None:
                    order = [int(cand[i]) for i in order]
                hits = []
                for s in order:
                    doc_id = self.slot_ids[s]
                    if allowed_ids is not None and doc_id not in allowed:
                        continue
                    if filter is not None and not filter(doc_id):
                        continue
                    hits.append(
                        Hit(doc_id, float(sc.fused[s]), float(sc.lexical[s]), float(sc.dense[s]))
                    )
                    if len(hits) == top:
                        break
                if len(hits) == top or k >= valid:
                    break
                k = min(valid, k * 4)
            if explain:
                slots = [self.slot_of[h.id] for h in hits]
                contribs = (
                    self.bm25.term_scores_many(sc.prepared.terms, slots)
                    if sc.prepared.terms
                    else [{} for _ in slots]
                )
                hits = [
                    Hit(h.id, h.score, h.lexical, h.dense, self._explain(sc, s, c))
                    for h, s, c in zip(hits, slots, contribs, strict=True)
                ]
            return hits

    def embed_query(self, text: str) -> bool:
        """Embed ``text`` as a hybrid search would (its passages or ``query:`` form, and the
        translated terms of a cross-lingual query) into the embedding cache now, so that a later
        :meth:`search` for it only reads its vector (a demand's text, when the demand is written).
        False when nothing was embedded (dense off, no text)."""
        if not self.dense_enabled or not any(ch.isalnum() for ch in text):
            return False
        with self._lock:
            prep = self._prepare(text, True, True)
        return prep.resolve() is not None

    def explain(self, text: str, doc_id: str, mode: Mode | str = "hybrid") -> Explanation:
        """Score parts, matched terms (query and document forms) and best passage for one document."""
        with self._lock:
            if doc_id not in self.slot_of:
                raise KeyError(doc_id)
            slot = self.slot_of[doc_id]
            sc = self._scores(text, mode)
            if not np.isfinite(sc.fused[slot]) and self._approximate() and mode != "lexical":
                # outside the candidates of a large index: score this one document exactly
                sc = self._score_one(sc, slot, mode)
            return self._explain(sc, slot)

    def memory_bytes(self) -> int:
        """Bytes of the lexical postings and the dense vectors (and their codes), memory-mapped
        pages included (shared between the processes that map the same snapshot)."""
        total = self.bm25.memory_bytes()
        if self.dense_enabled:
            total += self._vec.memory_bytes()
        return total
