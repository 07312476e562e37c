"""BM25 over numpy postings (no scipy).

Documents live in immutable *slots*: an update takes a new slot and kills the old one, so
compiled postings never go stale; they only miss the newest slots, which are scored from a
small second segment until the next merge.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np


class _Segment:
    """Term-major postings (CSR) for the slots ``[start, stop)``."""

    def __init__(
        self,
        start: int,
        stop: int,
        slot_terms: list[np.ndarray],
        slot_tfs: list[np.ndarray],
        n_terms: int,
    ) -> None:
        self.start, self.stop = start, stop
        terms = slot_terms[start:stop]
        lens = np.fromiter((len(t) for t in terms), dtype=np.int64, count=len(terms))
        if len(terms) and lens.sum():
            tid = np.concatenate(terms)
            tf = np.concatenate(slot_tfs[start:stop])
            slot = np.repeat(np.arange(start, stop, dtype=np.int32), lens)
            order = np.argsort(tid, kind="stable")
            tid, tf, slot = tid[order], tf[order], slot[order]
            counts = np.bincount(tid, minlength=n_terms)
        else:
            tf = np.zeros(0, np.float32)
            slot = np.zeros(0, np.int32)
            counts = np.zeros(n_terms, np.int64)
        self.indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.slots = slot
        self.tfs = tf.astype(np.float32)

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        """(slots, tfs) of a term; empty if the term is newer than the segment."""
        if tid + 1 >= len(self.indptr):
            return self.slots[:0], self.tfs[:0]
        a, b = self.indptr[tid], self.indptr[tid + 1]
        return self.slots[a:b], self.tfs[a:b]


class BM25Index:
    """An in-memory BM25 index of token bags, addressed by slot number."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self.slot_terms: list[np.ndarray] = []
        self.slot_tfs: list[np.ndarray] = []
        self.lengths: list[float] = []
        self.alive: list[bool] = []
        self._base: _Segment | None = None
        self._delta: _Segment | None = None
        self._alive_arr: np.ndarray | None = None
        self._len_arr: np.ndarray | None = None
        self.live_count = 0
        self.total_len = 0.0

    # -- building -----------------------------------------------------------------------
    def add(self, tokens: Iterable[str]) -> int:
        """Index a bag of tokens in a new slot; returns the slot."""
        bag = Counter(tokens)
        ids = np.fromiter(
            (self.vocab.setdefault(t, len(self.vocab)) for t in bag), dtype=np.int32, count=len(bag)
        )
        tfs = np.fromiter(bag.values(), dtype=np.float32, count=len(bag))
        self.slot_terms.append(ids)
        self.slot_tfs.append(tfs)
        length = float(sum(bag.values()))
        self.lengths.append(length)
        self.alive.append(True)
        self.live_count += 1
        self.total_len += length
        self._invalidate()
        return len(self.alive) - 1

    def kill(self, slot: int) -> None:
        """Remove a slot from all future results."""
        if self.alive[slot]:
            self.alive[slot] = False
            self.live_count -= 1
            self.total_len -= self.lengths[slot]
            self._alive_arr = None

    def _invalidate(self) -> None:
        self._delta = None
        self._alive_arr = None
        self._len_arr = None

    @property
    def n_slots(self) -> int:
        """Number of slots (live or dead)."""
        return len(self.alive)

    def _segments(self) -> list[_Segment]:
        n = self.n_slots
        base_stop = self._base.stop if self._base is not None else 0
        if self._base is None or (n - base_stop) > max(2000, base_stop // 10):
            self._base = _Segment(0, n, self.slot_terms, self.slot_tfs, len(self.vocab))
            self._delta = None
            base_stop = n
        if base_stop < n and (self._delta is None or self._delta.stop != n):
            self._delta = _Segment(base_stop, n, self.slot_terms, self.slot_tfs, len(self.vocab))
        segs = [self._base]
        if base_stop < n and self._delta is not None:
            segs.append(self._delta)
        return segs

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._alive_arr is None:
            self._alive_arr = np.array(self.alive, dtype=bool)
        if self._len_arr is None:
            self._len_arr = np.array(self.lengths, dtype=np.float32)
        return self._alive_arr, self._len_arr

    # -- statistics ---------------------------------------------------------------------
    def df(self, term: str) -> int:
        """Live documents containing ``term``."""
        tid = self.vocab.get(term)
        if tid is None:
            return 0
        alive, _ = self._arrays()
        return int(sum(int(alive[seg.postings(tid)[0]].sum()) for seg in self._segments()))

    def idf(self, df: int) -> float:
        """BM25 idf (always positive)."""
        n = self.live_count
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # -- scoring ------------------------------------------------------------------------
    def score(self, query: Mapping[str, float]) -> np.ndarray:
        """BM25 scores of every slot (dead slots score 0) for weighted query terms."""
        out = np.zeros(self.n_slots, dtype=np.float32)
        if not self.live_count:
            return out
        alive, lengths = self._arrays()
        avgdl = max(self.total_len / self.live_count, 1e-9)
        k1, b = self.k1, self.b
        segs = self._segments()
        for term, qw in query.items():
            tid = self.vocab.get(term)
            if tid is None or qw == 0:
                continue
            parts = []
            for seg in segs:
                slots, tfs = seg.postings(tid)
                keep = alive[slots]
                parts.append((slots[keep], tfs[keep]))
            df = sum(len(p[0]) for p in parts)
            if not df:
                continue
            w = qw * self.idf(df)
            for slots, tfs in parts:
                norm = k1 * (1.0 - b + b * lengths[slots] / avgdl)
                out[slots] += w * tfs * (k1 + 1.0) / (tfs + norm)
        return out

    def term_scores(self, query: Mapping[str, float], slot: int) -> dict[str, float]:
        """Per-term BM25 contributions for one slot (for explanations)."""
        if not self.alive[slot]:
            return {}
        ids = self.slot_terms[slot]
        tfs = self.slot_tfs[slot]
        pos = {int(t): float(f) for t, f in zip(ids, tfs, strict=True)}
        avgdl = max(self.total_len / max(self.live_count, 1), 1e-9)
        norm = self.k1 * (1.0 - self.b + self.b * self.lengths[slot] / avgdl)
        out: dict[str, float] = {}
        for term, qw in query.items():
            tid = self.vocab.get(term)
            if tid is None or tid not in pos:
                continue
            tf = pos[tid]
            out[term] = qw * self.idf(self.df(term)) * tf * (self.k1 + 1.0) / (tf + norm)
        return out

    def memory_bytes(self) -> int:
        """Approximate bytes held by postings and per-slot arrays."""
        total = sum(a.nbytes for a in self.slot_terms) + sum(a.nbytes for a in self.slot_tfs)
        for seg in (self._base, self._delta):
            if seg is not None:
                total += seg.indptr.nbytes + seg.slots.nbytes + seg.tfs.nbytes
        return total
