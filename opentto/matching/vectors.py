"""Dense storage: every slot's passage vectors (float16, a memory-mapped base plus newer slots in
memory), their sign codes, and exact / coarse scoring over them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from usearch.index import Index

from .embeddings import DIM

#: dense scoring is an exact scan up to this many passages; above, a coarse pass over 384-bit
#: sign codes picks candidates that are rescored exactly
EXACT_LIMIT = 20000
STATS_SAMPLE = 8192
CODE_WORDS = DIM // 64
#: the approximate dense pass (ADR 0018): an HNSW graph of int8 passage vectors (usearch),
#: memory-mapped from the snapshot (``GRAPH_FILE``), plus an in-memory graph of the passages
#: added since; it returns ``ANN_CANDIDATES`` passages (more when a permission mask hides
#: some), which are rescored exactly from the float16 vectors
GRAPH_FILE = "graph.usearch"
GRAPH_CONNECTIVITY = 16
GRAPH_EXPANSION_ADD = 64
GRAPH_EXPANSION_SEARCH = 64
ANN_CANDIDATES = 400
#: a user who may see at most this share of the slots gets an exact scan of them instead
EXACT_SHARE = 0.02


def new_graph() -> Index:
    """An empty passage graph: cosine over int8-quantised vectors."""
    return Index(
        ndim=DIM,
        metric="cos",
        dtype="i8",
        connectivity=GRAPH_CONNECTIVITY,
        expansion_add=GRAPH_EXPANSION_ADD,
        expansion_search=GRAPH_EXPANSION_SEARCH,
    )


def build_graph(vec: np.ndarray, path: Path, first: int = 0) -> Index:
    """Build the graph of ``vec`` (keys: ``first`` + row), save it to ``path``, return it."""
    graph = new_graph()
    step = 65536
    for i in range(0, len(vec), step):
        block = np.asarray(vec[i : i + step], dtype=np.float32)
        graph.add(np.arange(first + i, first + i + len(block), dtype=np.uint64), block)
    graph.save(str(path))
    return graph


def open_graph(path: Path, size: int) -> Index | None:
    """The saved graph, memory-mapped (shared by every process that maps it), or None when it
    is missing or does not hold ``size`` passages."""
    if not path.exists():
        return None
    graph = Index.restore(str(path), view=True)
    if graph is None or len(graph) != size:
        return None
    return graph


class _Vectors:
    """Passage vectors (float16) of every slot, held once: a base matrix (memory-mapped from the
    snapshot, shared between processes) and the newer slots' vectors in memory, plus 384-bit
    sign codes of the base for the coarse candidate pass of large indexes. The base codes are
    stored word-major (``CODE_WORDS`` rows of one uint64 per passage) so that the Hamming pass
    reads contiguous memory; the newer slots' codes are passage-major."""

    def __init__(self) -> None:
        self.base = np.zeros((0, DIM), np.float16)
        self.base_start = np.zeros(1, np.int64)
        self.base_codes = np.zeros((CODE_WORDS, 0), np.uint64)
        self.centre = np.zeros(DIM, np.float32)
        self.extra: list[np.ndarray] = []
        self._cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: the snapshot's graph (passages 0 … len - 1, mapped) and the later passages' graph
        self.graph: Index | None = None
        self.delta: Index | None = None

    @property
    def n_slots(self) -> int:
        return len(self.base_start) - 1 + len(self.extra)

    def add(self, vecs: np.ndarray) -> None:
        self.extra.append(np.ascontiguousarray(vecs, dtype=np.float16))
        self._cache = None

    def _joined(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(extra matrix, global passage start of every slot (n+1), extra codes)."""
        if self._cache is None:
            m0 = len(self.base)
            mat = np.concatenate(self.extra) if self.extra else np.zeros((0, DIM), np.float16)
            counts = np.fromiter((len(v) for v in self.extra), np.int64, count=len(self.extra))
            start = np.concatenate([self.base_start, m0 + np.cumsum(counts)])
            self._cache = (mat, start, _sign_codes(mat, self.centre))
        return self._cache

    @property
    def n_passages(self) -> int:
        return len(self.base) + len(self._joined()[0])

    def of_slot(self, slot: int) -> np.ndarray:
        _, start, _ = self._joined()
        return self._rows(np.arange(start[slot], start[slot + 1]))

    def _rows(self, idx: np.ndarray) -> np.ndarray:
        """Passage rows by global index, as float32."""
        m0 = len(self.base)
        if not len(idx) or int(idx.max()) < m0:
            return np.asarray(self.base[idx], dtype=np.float32)
        extra = self._joined()[0]
        out = np.empty((len(idx), DIM), np.float32)
        low = idx < m0
        out[low] = self.base[idx[low]]
        out[~low] = extra[idx[~low] - m0]
        return out

    def exact_scores(self, q: np.ndarray) -> np.ndarray:
        """Every slot's best passage cosine (a full scan)."""
        extra, start, _ = self._joined()
        out = np.empty(len(self.base) + len(extra), dtype=np.float32)
        step = 32768
        for part, off in ((self.base, 0), (extra, len(self.base))):
            for i in range(0, len(part), step):
                block = part[i : i + step]
                out[off + i : off + i + len(block)] = block.astype(np.float32) @ q
        if not len(out):
            return out
        return np.maximum.reduceat(out, start[:-1]).astype(np.float32)

    def slot_scores(self, slots: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Best passage cosine of some slots (exact)."""
        if not len(slots):
            return np.zeros(0, np.float32)
        _, start, _ = self._joined()
        a, b = start[slots], start[slots + 1]
        counts = b - a
        offsets = np.zeros(len(slots), np.int64)
        np.cumsum(counts[:-1], out=offsets[1:])
        idx = np.repeat(a - offsets, counts) + np.arange(int(counts.sum()))
        return np.maximum.reduceat(_matvec(self._rows(idx), q), offsets).astype(np.float32)

    def coarse(self, q: np.ndarray, k: int, mask: np.ndarray | None) -> np.ndarray:
        """Slots of the ``k`` passages whose sign codes are nearest to the query's (Hamming)."""
        _, start, extra_codes = self._joined()
        qc = _sign_codes(q[None, :], np.zeros(DIM, np.float32), centred=False)[0]
        dist = np.zeros(len(start) - 1 and int(start[-1]), dtype=np.uint16)
        m0 = self.base_codes.shape[1]
        # base (word-major): per block of passages, XOR + popcount one word at a time, summing
        # three words in uint8 (≤ 192) before widening; all in small reused buffers
        step = 65536
        xor = np.empty(min(step, m0), np.uint64)
        cnt = np.empty(len(xor), np.uint8)
        acc = np.empty(len(xor), np.uint8)
        for i in range(0, m0, step):
            j = min(m0, i + step)
            m, d = j - i, dist[i:j]
            for w in range(CODE_WORDS):
                np.bitwise_xor(self.base_codes[w, i:j], qc[w], out=xor[:m])
                np.bitwise_count(xor[:m], out=cnt[:m] if w % 3 else acc[:m])
                if w % 3:
                    np.add(acc[:m], cnt[:m], out=acc[:m])
                if w % 3 == 2 or w == CODE_WORDS - 1:
                    np.add(d, acc[:m], out=d)
        if len(extra_codes):
            x = np.bitwise_count(extra_codes ^ qc)
            dist[m0:] = x.sum(axis=1, dtype=np.uint16)
        if mask is not None:
            dist[np.repeat(~mask, np.diff(start))] = np.iinfo(np.uint16).max
        k = min(k, len(dist))
        near = np.argpartition(dist, k - 1)[:k] if k < len(dist) else np.arange(len(dist))
        near = near[dist[near] < np.iinfo(np.uint16).max]
        near.sort()  # sorted lookups are cache-friendly (the result is a set anyway)
        slots = np.searchsorted(start, near, side="right") - 1
        return np.unique(slots)

    def _graphs(self) -> list[Index]:
        """The graphs that cover every passage: the snapshot's, and one of the passages added
        since (grown incrementally, in memory: a view cannot be added to)."""
        covered = len(self.graph) if self.graph is not None else 0
        total = self.n_passages
        if covered < total:
            if self.delta is None:
                self.delta = new_graph()
            have = covered + len(self.delta)
            if have < total:
                rows = self._rows(np.arange(have, total))
                self.delta.add(np.arange(have, total, dtype=np.uint64), rows)
        return [g for g in (self.graph, self.delta) if g is not None and len(g)]

    def ann(self, q: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
        """Slots of the passages nearest to ``q`` in the graphs (``ANN_CANDIDATES`` of the
        slots in ``mask``), or None when an exact scan is the better answer: the mask lets
        through at most ``EXACT_SHARE`` of the slots, or too few of the graph's neighbours
        pass it. Dead slots are left out by the mask (the caller's ``allowed``)."""
        _, start, _ = self._joined()
        n = len(start) - 1
        share = 1.0 if mask is None else float(np.count_nonzero(mask)) / max(n, 1)
        if share <= EXACT_SHARE:
            return None
        want = min(int(ANN_CANDIDATES / share) + 1, int(start[-1]))
        keys: list[np.ndarray] = []
        qv = q.astype(np.float32, copy=False)
        for graph in self._graphs():
            k = min(want, len(graph))
            # the search's breadth: at least the count asked for (read by each search)
            setattr(graph, "expansion_search", max(k, GRAPH_EXPANSION_SEARCH))  # noqa: B010
            found = graph.search(qv, k, threads=1)
            keys.append(np.asarray(found.keys, dtype=np.int64))
        near = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        slots = np.unique(np.searchsorted(start, near, side="right") - 1)
        if mask is not None:
            slots = slots[mask[slots]]
        if len(slots) < ANN_CANDIDATES // 2 and (mask is None or len(slots) < mask.sum()):
            return None
        return slots

    def merge_extra(self) -> None:
        """Append the newer slots' vectors to the base (in memory; slots keep their numbers)."""
        extra, start, codes = self._joined()
        if not len(self.base):
            self.centre = extra.astype(np.float32).mean(axis=0) if len(extra) else self.centre
            codes = _sign_codes(extra, self.centre)
        self.base = np.concatenate([self.base, extra])
        self.base_codes = np.concatenate([self.base_codes, codes.T], axis=1)
        self.base_start = start
        self.extra = []
        self._cache = None

    def consolidated(self, keep: np.ndarray) -> dict[str, np.ndarray]:
        extra, start, _ = self._joined()
        counts = np.diff(start)
        pass_keep = np.repeat(keep, counts)
        m0 = len(self.base)
        vec = np.concatenate([self.base[pass_keep[:m0]], extra[pass_keep[m0:]]])
        new_start = np.zeros(int(keep.sum()) + 1, np.int64)
        np.cumsum(counts[keep], out=new_start[1:])
        centre = np.zeros(DIM, np.float32)
        for i in range(0, len(vec), 65536):
            centre += vec[i : i + 65536].astype(np.float32).sum(axis=0)
        centre /= max(len(vec), 1)
        return {
            "vec": vec,
            "vec_start": new_start,
            "vec_codes": np.ascontiguousarray(_sign_codes(vec, centre).T),
            "vec_centre": centre,
        }

    def adopt(self, arrays: dict[str, np.ndarray]) -> None:
        self.base = arrays["vec"]
        self.base_start = np.asarray(arrays["vec_start"], dtype=np.int64)
        self.base_codes = arrays["vec_codes"]
        self.centre = np.asarray(arrays["vec_centre"], dtype=np.float32)
        self.extra = []
        self._cache = None
        self.graph = None
        self.delta = None

    def memory_bytes(self) -> int:
        extra, start, codes = self._joined()
        return (
            int(
                self.base.nbytes
                + self.base_codes.nbytes
                + extra.nbytes
                + codes.nbytes
                + start.nbytes
            )
            + self.graph_bytes()
        )

    def graph_bytes(self) -> int:
        """Bytes of the graphs (int8 vectors, links, keys): the mapped file of the snapshot's,
        the memory of the later passages'."""
        total = int(self.graph.serialized_length) if self.graph is not None else 0
        return total + (int(self.delta.memory_usage) if self.delta is not None else 0)


def _matvec(rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``rows @ q`` without BLAS threads: for a few thousand rows, OpenBLAS's threads cost more
    than they save on 2 busy cores (measured 5x slower under load)."""
    return np.einsum("ij,j->i", rows, q.astype(np.float32, copy=False))


_HYPERPLANES = np.random.default_rng(20261129).standard_normal((DIM, DIM)).astype(np.float32)


def _sign_codes(mat: np.ndarray, centre: np.ndarray, centred: bool = True) -> np.ndarray:
    """SimHash: one bit per random hyperplane, of the centred vectors, packed in uint64 words."""
    out = np.zeros((len(mat), CODE_WORDS), np.uint64)
    for i in range(0, len(mat), 65536):
        x = np.asarray(mat[i : i + 65536], dtype=np.float32)
        if centred:
            x = x - centre
        bits = (x @ _HYPERPLANES) > 0
        out[i : i + 65536] = np.packbits(bits, axis=1, bitorder="little").view(np.uint64)
    return out
