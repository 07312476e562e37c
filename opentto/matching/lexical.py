"""BM25 over compact numpy postings (no scipy, no per-document Python objects).

Documents live in immutable *slots*: an update takes a new slot and kills the old one. The
postings of slots ``[0, base_n)`` are one term-major CSR (``indptr`` int64, ``post_slots``
int32, ``post_tfs`` uint8) that may be memory-mapped from a snapshot and shared between
processes; newer slots keep small per-slot arrays (the *delta*) until the engine consolidates
them into a new CSR (:meth:`BM25Index.consolidated`). Scores are the same whatever the split.

The base CSR stores term frequencies in one byte: a frequency of 255 or more is stored as 255
and its exact value (up to ``TF_MAX``) is kept in a small sorted side table (``tf_over_pos``,
positions in the CSR, and ``tf_over_val``), so no score changes (see ADR 0004).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

TF_MAX = np.iinfo(np.uint16).max
#: one-byte frequencies in the base CSR; this value means "see the overflow table"
TF_BYTE = np.iinfo(np.uint8).max


def compact_tfs(tfs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Term frequencies (≤ ``TF_MAX``) as (uint8 values, overflow positions, exact values):
    frequencies ≥ 255 are stored as 255 and listed, with their exact value, in the overflow."""
    tfs = np.asarray(tfs)
    over = np.flatnonzero(tfs >= TF_BYTE).astype(np.int64)
    small = np.minimum(tfs, TF_BYTE).astype(np.uint8)
    return small, over, np.asarray(tfs[over], dtype=np.uint16)


def expand_tfs(tfs: np.ndarray, over_pos: np.ndarray, over_val: np.ndarray) -> np.ndarray:
    """The exact frequencies (uint16) of a compacted CSR (inverse of :func:`compact_tfs`)."""
    out = np.array(tfs, dtype=np.uint16)  # a copy: the base may be a mapped file
    if len(over_pos):
        out[over_pos] = over_val
    return out


class Growable:
    """An append-only 1-d numpy buffer (amortised O(1) appends); ``view()`` is the live part."""

    def __init__(self, dtype: type | np.dtype, data: np.ndarray | None = None) -> None:
        n = 0 if data is None else len(data)
        self.buf = np.zeros(max(16, n + n // 8), dtype=dtype)
        if data is not None:
            self.buf[:n] = data
        self.n = n

    def append(self, value: object) -> None:
        if self.n == len(self.buf):
            grown = np.zeros(len(self.buf) * 2, dtype=self.buf.dtype)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        self.buf[self.n] = value
        self.n += 1

    def view(self) -> np.ndarray:
        return self.buf[: self.n]


class _Delta:
    """Term-major postings (CSR) of the delta slots ``[start, stop)`` (rebuilt when it grows)."""

    def __init__(
        self, start: int, terms: list[np.ndarray], tfs: list[np.ndarray], n_terms: int
    ) -> None:
        self.start, self.stop = start, start + len(terms)
        lens = np.fromiter((len(t) for t in terms), dtype=np.int64, count=len(terms))
        if len(terms) and lens.sum():
            tid = np.concatenate(terms)
            tf = np.concatenate(tfs)
            slot = np.repeat(np.arange(self.start, self.stop, dtype=np.int32), lens)
            order = np.argsort(tid, kind="stable")
            self.tids, self.tfs, self.slots = tid[order], tf[order], slot[order]
        else:
            self.tids = np.zeros(0, np.int32)
            self.tfs = np.zeros(0, np.uint16)
            self.slots = np.zeros(0, np.int32)
        self.indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.tids, minlength=n_terms), out=self.indptr[1:])

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        if tid + 1 >= len(self.indptr):
            return self.slots[:0], self.tfs[:0]
        a, b = int(self.indptr[tid]), int(self.indptr[tid + 1])
        return self.slots[a:b], self.tfs[a:b]


class BM25Index:
    """An in-memory BM25 index of token bags, addressed by slot number."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        self.indptr = np.zeros(1, dtype=np.int64)
        self.post_slots = np.zeros(0, dtype=np.int32)
        self.post_tfs = np.zeros(0, dtype=np.uint8)
        # base frequencies ≥ 255: positions in the CSR (sorted) and exact values
        self.tf_over_pos = np.zeros(0, dtype=np.int64)
        self.tf_over_val = np.zeros(0, dtype=np.uint16)
        self.base_n = 0
        self._lengths = Growable(np.float32)
        self._alive = Growable(np.bool_)
        self.delta_terms: list[np.ndarray] = []
        self.delta_tfs: list[np.ndarray] = []
        self._delta: _Delta | None = None
        self.live_count = 0
        self.total_len = 0.0
        # per-state caches (document frequencies by term id, BM25 length norms); ``_stamp``
        # changes with every add / kill / merge / adopt
        self._stamp = 0
        self._df_cache: dict[int, int] = {}
        self._df_stamp = -1
        self._norm: tuple[int, np.ndarray] | None = None

    def _changed(self) -> None:
        self._stamp += 1

    # -- building -----------------------------------------------------------------------
    def add(self, tokens: Iterable[str]) -> int:
        """Index a bag of tokens in a new slot; returns the slot."""
        bag = Counter(tokens)
        vocab = self.vocab
        ids = np.array([vocab.setdefault(t, len(vocab)) for t in bag], dtype=np.int32)
        counts = np.array(list(bag.values()), dtype=np.int64)
        tfs = np.minimum(counts, TF_MAX).astype(np.uint16)
        self.delta_terms.append(ids)
        self.delta_tfs.append(tfs)
        length = float(sum(bag.values()))
        self._lengths.append(length)
        self._alive.append(True)
        self.live_count += 1
        self.total_len += length
        self._delta = None
        self._changed()
        return self._alive.n - 1

    def kill(self, slot: int) -> None:
        """Remove a slot from all future results."""
        alive = self._alive.view()
        if alive[slot]:
            alive[slot] = False
            self.live_count -= 1
            self.total_len -= float(self._lengths.view()[slot])
            self._changed()

    @property
    def alive(self) -> np.ndarray:
        """Live flag of every slot (a view: do not keep it across updates)."""
        return self._alive.view()

    @property
    def lengths(self) -> np.ndarray:
        return self._lengths.view()

    @property
    def n_slots(self) -> int:
        """Number of slots (live or dead)."""
        return self._alive.n

    @property
    def delta_n(self) -> int:
        return len(self.delta_terms)

    def _delta_seg(self) -> _Delta | None:
        if not self.delta_terms:
            return None
        if self._delta is None:
            self._delta = _Delta(self.base_n, self.delta_terms, self.delta_tfs, len(self.vocab))
        return self._delta

    def _base_tfs(self, a: int, b: int) -> np.ndarray:
        """Exact frequencies of the base CSR's positions ``[a, b)`` (float32)."""
        tfs = self.post_tfs[a:b].astype(np.float32)
        over = self.tf_over_pos
        if len(over):
            i, j = np.searchsorted(over, (a, b))
            if j > i:
                tfs[over[i:j] - a] = self.tf_over_val[i:j]
        return tfs

    def postings(self, tid: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """(slots, exact tfs) of a term in the base CSR and in the delta."""
        out = []
        if tid + 1 < len(self.indptr):
            a, b = int(self.indptr[tid]), int(self.indptr[tid + 1])
            out.append((self.post_slots[a:b], self._base_tfs(a, b)))
        seg = self._delta_seg()
        if seg is not None:
            out.append(seg.postings(tid))
        return out

    # -- statistics ---------------------------------------------------------------------
    def _postings_slots(self, tid: int) -> list[np.ndarray]:
        """Slots of a term in the base CSR and in the delta (no frequencies)."""
        out = []
        if tid + 1 < len(self.indptr):
            out.append(self.post_slots[int(self.indptr[tid]) : int(self.indptr[tid + 1])])
        seg = self._delta_seg()
        if seg is not None:
            out.append(seg.postings(tid)[0])
        return out

    def _df_tid(self, tid: int) -> int:
        """Live documents containing term ``tid``, remembered until the index changes."""
        if self._df_stamp != self._stamp:
            self._df_cache, self._df_stamp = {}, self._stamp
        got = self._df_cache.get(tid)
        if got is None:
            alive = self.alive
            all_alive = self.live_count == self.n_slots
            got = sum(
                len(s) if all_alive else int(np.count_nonzero(alive[s]))
                for s in self._postings_slots(tid)
            )
            if len(self._df_cache) < 100_000:
                self._df_cache[tid] = got
        return got

    def df(self, term: str) -> int:
        """Live documents containing ``term``."""
        tid = self.vocab.get(term)
        if tid is None:
            return 0
        return self._df_tid(tid)

    def length_norms(self) -> np.ndarray:
        """``k1 · (1 − b + b · length / avgdl)`` of every slot (computed once per state)."""
        if self._norm is None or self._norm[0] != self._stamp:
            avgdl = max(self.total_len / max(self.live_count, 1), 1e-9)
            k1, b = self.k1, self.b
            self._norm = (self._stamp, k1 * (1.0 - b + b * self.lengths / avgdl))
        return self._norm[1]

    def idf(self, df: int) -> float:
        """BM25 idf (always positive)."""
        n = self.live_count
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    # -- scoring ------------------------------------------------------------------------
    def score(self, query: Mapping[str, float]) -> np.ndarray:
        """BM25 scores of every slot (dead slots score 0) for weighted query terms.

        Every posting is scored, dead slots included (they are zeroed at the end), and each
        term's contributions are computed with the same float32 operations, in the same order,
        as ``w * tf * (k1 + 1) / (tf + norm)``: the scores do not depend on how the index is
        split or on dead slots."""
        n = self.n_slots
        out = np.zeros(n, dtype=np.float32)
        if not self.live_count:
            return out
        k1 = self.k1
        norm_of: np.ndarray | None = None  # per slot, computed once a query reaches a posting
        for term, qw in query.items():
            tid = self.vocab.get(term)
            if tid is None or qw == 0:
                continue
            df = self._df_tid(tid)
            if not df:
                continue
            w = qw * self.idf(df)
            if norm_of is None:
                norm_of = self.length_norms()
            for slots, tf in self.postings(tid):
                if not len(slots):
                    continue
                # a fresh float32 array (the base's is one already; the delta's are uint16)
                tfs = tf if tf.dtype == np.float32 else tf.astype(np.float32)
                den = norm_of[slots]
                den += tfs
                tfs *= w
                tfs *= k1 + 1.0
                tfs /= den
                out[slots] += tfs
        if self.live_count != n:
            out[~self.alive] = 0.0
        return out

    def slot_tf(self, tid: int, slot: int) -> float:
        """Term frequency of one term in one slot (0 if absent)."""
        if slot >= self.base_n:
            i = slot - self.base_n
            hit = np.nonzero(self.delta_terms[i] == tid)[0]
            return float(self.delta_tfs[i][hit[0]]) if len(hit) else 0.0
        if tid + 1 >= len(self.indptr):
            return 0.0
        a, b = int(self.indptr[tid]), int(self.indptr[tid + 1])
        j = a + int(np.searchsorted(self.post_slots[a:b], slot))
        if j >= b or int(self.post_slots[j]) != slot:
            return 0.0
        tf = int(self.post_tfs[j])
        if tf == TF_BYTE:
            k = int(np.searchsorted(self.tf_over_pos, j))
            if k < len(self.tf_over_pos) and int(self.tf_over_pos[k]) == j:
                tf = int(self.tf_over_val[k])
        return float(tf)

    def term_scores(self, query: Mapping[str, float], slot: int) -> dict[str, float]:
        """Per-term BM25 contributions for one slot (for explanations)."""
        if not self.alive[slot]:
            return {}
        avgdl = max(self.total_len / max(self.live_count, 1), 1e-9)
        norm = self.k1 * (1.0 - self.b + self.b * float(self.lengths[slot]) / avgdl)
        out: dict[str, float] = {}
        for term, qw in query.items():
            tid = self.vocab.get(term)
            if tid is None:
                continue
            tf = self.slot_tf(tid, slot)
            if not tf:
                continue
            out[term] = qw * self.idf(self.df(term)) * tf * (self.k1 + 1.0) / (tf + norm)
        return out

    def term_scores_many(
        self, query: Mapping[str, float], slots: Sequence[int]
    ) -> list[dict[str, float]]:
        """:meth:`term_scores` of several slots at once (the same numbers, in the same order): each
        query term's base postings are searched once for all the slots, not once per slot."""
        out: list[dict[str, float]] = [{} for _ in slots]
        avgdl = max(self.total_len / max(self.live_count, 1), 1e-9)
        norm = {
            i: self.k1 * (1.0 - self.b + self.b * float(self.lengths[s]) / avgdl)
            for i, s in enumerate(slots)
            if self.alive[s]
        }
        base = [
            i for i in norm if slots[i] < self.base_n
        ]  # in the CSR; the others are in the delta
        wanted = np.array([slots[i] for i in base], dtype=self.post_slots.dtype)
        for term, qw in query.items():
            tid = self.vocab.get(term)
            if tid is None or not norm:
                continue
            tfs = {i: self.slot_tf(tid, slots[i]) for i in norm if slots[i] >= self.base_n}
            if base and tid + 1 < len(self.indptr):
                a, b = int(self.indptr[tid]), int(self.indptr[tid + 1])
                for i, j in zip(
                    base, (np.searchsorted(self.post_slots[a:b], wanted) + a).tolist(), strict=True
                ):
                    if j < b and int(self.post_slots[j]) == slots[i]:
                        tfs[i] = float(self._base_tfs(j, j + 1)[0])
            found = {i: tf for i, tf in tfs.items() if tf}
            if found:
                idf = self.idf(self.df(term))
                for i, tf in found.items():
                    out[i][term] = qw * idf * tf * (self.k1 + 1.0) / (tf + norm[i])
        return out

    def score_counts(
        self, query: Mapping[str, float], counts: Mapping[str, int], slot: int
    ) -> float:
        """The BM25 score of one slot from its own term counts (as indexed), for weighted query
        terms: the same sum as :meth:`term_scores` without looking the slot up in each term's
        postings."""
        if not self.alive[slot]:
            return 0.0
        avgdl = max(self.total_len / max(self.live_count, 1), 1e-9)
        norm = self.k1 * (1.0 - self.b + self.b * float(self.lengths[slot]) / avgdl)
        total = 0.0
        for term, qw in query.items():
            tf = min(int(counts.get(term, 0)), TF_MAX)
            if not tf or term not in self.vocab:
                continue
            total += qw * self.idf(self.df(term)) * tf * (self.k1 + 1.0) / (tf + norm)
        return total

    # -- consolidation ------------------------------------------------------------------
    def consolidated(self, keep: np.ndarray) -> dict[str, np.ndarray]:
        """One CSR over the kept slots (renumbered in order), merging base and delta without
        a global sort: within a term, base postings precede delta ones (slot order)."""
        n_terms = len(self.vocab)
        remap = np.cumsum(keep, dtype=np.int64) - 1
        base_counts = np.diff(self.indptr)
        tid_b = np.repeat(np.arange(len(base_counts), dtype=np.int32), base_counts)
        kb = keep[self.post_slots] if len(self.post_slots) else np.zeros(0, bool)
        tid_b = tid_b[kb]
        slots_b = remap[self.post_slots[kb]].astype(np.int32)
        tfs_b = expand_tfs(self.post_tfs, self.tf_over_pos, self.tf_over_val)[kb]
        seg = self._delta_seg()
        if seg is not None and len(seg.tids):
            kd = keep[seg.slots]
            tid_d, slots_d, tfs_d = seg.tids[kd], remap[seg.slots[kd]].astype(np.int32), seg.tfs[kd]
        else:
            tid_d = np.zeros(0, np.int32)
            slots_d = np.zeros(0, np.int32)
            tfs_d = np.zeros(0, np.uint16)
        cb = np.bincount(tid_b, minlength=n_terms)
        cd = np.bincount(tid_d, minlength=n_terms)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(cb + cd, out=indptr[1:])
        excl_b = np.cumsum(cb) - cb
        excl_d = np.cumsum(cd) - cd
        total = int(indptr[-1])
        slots = np.empty(total, dtype=np.int32)
        tfs = np.empty(total, dtype=np.uint16)
        pos = indptr[tid_b] + (np.arange(len(tid_b), dtype=np.int64) - excl_b[tid_b])
        slots[pos], tfs[pos] = slots_b, tfs_b
        del pos
        pos = indptr[tid_d] + cb[tid_d] + (np.arange(len(tid_d), dtype=np.int64) - excl_d[tid_d])
        slots[pos], tfs[pos] = slots_d, tfs_d
        del pos
        small, over_pos, over_val = compact_tfs(tfs)
        del tfs
        return {
            "lex_indptr": indptr,
            "lex_slots": slots,
            "lex_tfs": small,
            "lex_tf_over_pos": over_pos,
            "lex_tf_over_val": over_val,
            "lex_lengths": np.asarray(self.lengths[keep], dtype=np.float32),
        }

    def merge_delta(self) -> None:
        """Fold the delta into the base CSR (slots keep their numbers; dead ones stay dead)."""
        arrays = self.consolidated(np.ones(self.n_slots, dtype=bool))
        self.indptr, self.post_slots = arrays["lex_indptr"], arrays["lex_slots"]
        self.post_tfs = arrays["lex_tfs"]
        self.tf_over_pos = arrays["lex_tf_over_pos"]
        self.tf_over_val = arrays["lex_tf_over_val"]
        self.base_n = self.n_slots
        self.delta_terms, self.delta_tfs, self._delta = [], [], None
        self._changed()

    def adopt(self, arrays: Mapping[str, np.ndarray], terms: list[str]) -> None:
        """Take a consolidated CSR (all slots live) as the base; the delta is empty. Exact
        (uint16) frequencies without an overflow table are compacted first."""
        self.vocab = {t: i for i, t in enumerate(terms)}
        self.indptr = arrays["lex_indptr"]
        self.post_slots = arrays["lex_slots"]
        if "lex_tf_over_pos" in arrays:
            self.post_tfs = arrays["lex_tfs"]
            self.tf_over_pos = np.asarray(arrays["lex_tf_over_pos"], dtype=np.int64)
            self.tf_over_val = np.asarray(arrays["lex_tf_over_val"], dtype=np.uint16)
        else:
            self.post_tfs, self.tf_over_pos, self.tf_over_val = compact_tfs(arrays["lex_tfs"])
        lengths = np.asarray(arrays["lex_lengths"], dtype=np.float32)
        self.base_n = len(lengths)
        self._lengths = Growable(np.float32, lengths)
        self._alive = Growable(np.bool_, np.ones(self.base_n, dtype=bool))
        self.delta_terms, self.delta_tfs, self._delta = [], [], None
        self.live_count = self.base_n
        self.total_len = float(lengths.sum(dtype=np.float64))
        self._changed()

    def memory_bytes(self) -> int:
        """Bytes of postings, lengths, flags and delta arrays (mapped pages included)."""
        total = self.indptr.nbytes + self.post_slots.nbytes + self.post_tfs.nbytes
        total += self.tf_over_pos.nbytes + self.tf_over_val.nbytes
        total += self._lengths.buf.nbytes + self._alive.buf.nbytes
        total += sum(
            a.nbytes + t.nbytes for a, t in zip(self.delta_terms, self.delta_tfs, strict=True)
        )
        seg = self._delta
        if seg is not None:
            total += seg.tids.nbytes + seg.slots.nbytes + seg.tfs.nbytes + seg.indptr.nbytes
        return total
