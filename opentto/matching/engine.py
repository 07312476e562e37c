"""The matching engine: documents, on-disk index, lexical / dense / hybrid search, explanations."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import math
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from .analysis import Analyzer
from .embeddings import DIM, MODEL_ID, Embedder, EmbedFn, default_cache_dir, openmp_threads
from .lexical import BM25Index
from .passages import estimate_tokens, split_passages

#: Query-term translation for the searches run in this context (see :func:`translation_off`).
_TRANSLATE: ContextVar[bool] = ContextVar("opentto_matching_translate", default=True)


@contextlib.contextmanager
def translation_off() -> Iterator[None]:
    """Searches in this block use the query's own words only: for a query that already carries
    both languages (a bilingual result's text looking for demands), translating its English half
    adds nothing the Chinese half does not, and costs a few milliseconds per page."""
    token = _TRANSLATE.set(False)
    try:
        yield
    finally:
        _TRANSLATE.reset(token)


log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DB_NAME = "index.sqlite3"
#: the .npy snapshot next to the database (see ADR 0004); an older format is rewritten
#: 2: one-byte term frequencies with an overflow table, sign codes stored word-major
SNAPSHOT_FORMAT = 2
SNAPSHOT_POINTER = "snapshot.json"
#: write a snapshot after this many changes (or a quarter of the index, whichever is more)
SNAPSHOT_MIN = 5000
#: fold the in-memory delta into the base CSR above max(MERGE_MIN, min(base / 10, MERGE_MAX))
MERGE_MIN, MERGE_MAX = 2000, 20000
#: dense scoring is an exact scan up to this many passages; above, a coarse pass over 384-bit
#: sign codes picks candidates that are rescored exactly
EXACT_LIMIT = 20000
DENSE_CANDIDATES = 4000
LEXICAL_CANDIDATES = 1000
STATS_SAMPLE = 8192
_BIT_TYPES = (np.uint8, np.uint16, np.uint32, np.uint64)
#: the 8 bits of every byte value (256 × 8), to count set bits per position with a bincount
_BYTE_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little")
#: postings read per translation candidate for its co-occurrence cohesion (an even sample)
COHESION_SAMPLE = 1000
#: masks of allowed-id sets remembered (one per permission scope in use)
MASK_CACHE = 8
CODE_WORDS = DIM // 64

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


@dataclass
class _Prepared:
    terms: dict[str, float]
    forms: dict[str, str]
    translated: set[str]
    vector: np.ndarray | None
    cross_lingual: bool
    #: at most ``symmetric_above_tokens`` (a demand-like query, embedded as ``query:``)
    short: bool = False
    #: the query vector while its embedding runs in the background (see :meth:`resolve`)
    pending: Callable[[], np.ndarray] | None = field(default=None, repr=False)

    def resolve(self) -> np.ndarray | None:
        """The query vector, waiting for its embedding if it is still running."""
        if self.pending is not None:
            self.vector, self.pending = self.pending(), None
        return self.vector


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


@dataclass
class _LexicalSide:
    allowed: np.ndarray
    top: np.ndarray
    mean: float
    std: float


#: threads that embed a query's texts while the calling thread scores the lexical side (the
#: embedding model releases the GIL); one per text: the query and its translated terms
EMBED_THREADS = 2
#: OpenMP threads for a long query's only embedding while a core is free (``_embed_wide``)
WIDE_EMBED_THREADS = 2
_POOL: tuple[int, ThreadPoolExecutor, threading.Semaphore] | None = None
_POOL_LOCK = threading.Lock()


def _parallel(setting: bool | None) -> bool:
    """Whether to embed in the background: as set, or (None) while the 1-minute load average
    is below the number of usable cores. On saturated cores the threads cannot run at the same
    time anyway, and each hand-over waits for the scheduler (measured: slower under load)."""
    if setting is not None:
        return setting
    try:
        return os.getloadavg()[0] < len(os.sched_getaffinity(0)) - 0.5
    except (AttributeError, OSError):
        return True


def _embed_async(
    embed: Callable[[Sequence[str], str], np.ndarray], texts: Sequence[str], mode: str
) -> Future[np.ndarray] | None:
    """Start ``embed(texts, mode)`` in one of the process's embedding threads (created again in
    a forked child), or None when they are all busy (another request's query: the caller then
    embeds it itself rather than queue behind it)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            pool = ThreadPoolExecutor(EMBED_THREADS, thread_name_prefix="matching-embed")
            _POOL = (os.getpid(), pool, threading.Semaphore(EMBED_THREADS))
        _, pool, free = _POOL
    if not free.acquire(blocking=False):
        return None
    try:
        fut = pool.submit(embed, texts, mode)
    except BaseException:
        free.release()
        raise
    fut.add_done_callback(lambda _: free.release())
    return fut


def _embed_wide(
    embed: Callable[[Sequence[str], str], np.ndarray], texts: Sequence[str], mode: str
) -> np.ndarray:
    """``embed(texts, mode)`` on ``WIDE_EMBED_THREADS`` OpenMP threads (a whole abstract as the
    query while a core is free; ``embeddings.openmp_threads``)."""
    with openmp_threads(WIDE_EMBED_THREADS):
        return embed(texts, mode)


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

    def memory_bytes(self) -> int:
        extra, start, codes = self._joined()
        return int(
            self.base.nbytes + self.base_codes.nbytes + extra.nbytes + codes.nbytes + start.nbytes
        )


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


class _Hashes(Mapping[str, str]):
    """Content hash of every indexed document, by id (read-only view over the engine's slots)."""

    def __init__(self, engine: MatchEngine) -> None:
        self._e = engine

    def __getitem__(self, doc_id: str) -> str:
        return self._e._hash_of(self._e.slot_of[doc_id])

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._e.slot_of

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._e.slot_of))

    def __len__(self) -> int:
        return len(self._e.slot_of)


class MatchEngine:
    """Hybrid BM25 + dense matching over a persistent index directory (``None``: in memory)."""

    def __init__(
        self,
        index_dir: Path | str | None = None,
        *,
        cache_dir: Path | str | None = None,
        dense: bool = True,
        embed_fn: EmbedFn | None = None,
        fusion: FusionParams | None = None,
        translate: bool = True,
        source: Callable[[], Iterable[Document]] | None = None,
    ) -> None:
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.dense_enabled = dense
        self.fusion = fusion or FusionParams()
        self.translate_enabled = translate
        self.analyzer = Analyzer()
        self._embed_fn = embed_fn
        self._cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self._embedder: Embedder | None = None
        self._lock = threading.RLock()
        self.model_id = MODEL_ID if embed_fn is None else MODEL_ID + "+custom"
        self.status = "new"
        #: dense scoring scans every passage up to this count, above it: coarse pass + rescoring
        self.exact_limit = EXACT_LIMIT
        #: largest in-memory delta (slots) before it is folded into the base postings
        self.merge_max = MERGE_MAX
        #: write a snapshot by itself after enough changes (a bulk build turns this off and
        #: calls :meth:`save` at the end)
        self.autosave = True
        #: embed the query in background threads while the lexical side is scored: True,
        #: False, or None (automatic: only while the load average leaves a core free)
        self.parallel_embedding: bool | None = None
        self.version = 0  # bumped on every change (callers cache derived figures on it)
        self._mask_cache: list[tuple[frozenset[str], int, np.ndarray]] = []
        self._words: set[str] = set()
        self._snapshot_locked = False
        self._reset_memory()
        self._db = self._open_db()
        self._load(source)

    # -- state ----------------------------------------------------------------------------
    def _reset_memory(self) -> None:
        self.bm25 = BM25Index()
        self.slot_ids: list[str] = []
        self.slot_of: dict[str, int] = {}
        self._base_hashes = np.zeros(0, dtype="S64")
        self._extra_hashes: list[str] = []
        self.hashes: Mapping[str, str] = _Hashes(self)
        self._vec = _Vectors()
        self._sample: tuple[int, np.ndarray, np.ndarray] | None = None
        self._snapshot_seq = -1
        self._seen_seq = 0
        self._since_snapshot = 0
        self.version += 1

    def _hash_of(self, slot: int) -> str:
        n0 = len(self._base_hashes)
        if slot < n0:
            return bytes(self._base_hashes[slot]).decode("ascii")
        return self._extra_hashes[slot - n0]

    @property
    def embedder(self) -> Embedder:
        """The (lazily created) cached embedder."""
        if self._embedder is None:
            self._embedder = Embedder(
                self._cache_dir, embed_fn=self._embed_fn, model_id=self.model_id
            )
        return self._embedder

    def __len__(self) -> int:
        return len(self.slot_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.slot_of

    def ids(self) -> list[str]:
        """Ids of all indexed documents."""
        return list(self.slot_of)

    # -- persistence ----------------------------------------------------------------------
    def _open_db(self) -> sqlite3.Connection:
        if self.index_dir is None:
            return self._init_db(sqlite3.connect(":memory:", check_same_thread=False))
        self.index_dir.mkdir(parents=True, exist_ok=True)
        path = self.index_dir / DB_NAME
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(path, check_same_thread=False, timeout=60)
            ok = db.execute("PRAGMA quick_check").fetchone()
            if not ok or ok[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            return self._init_db(db)
        except sqlite3.DatabaseError as exc:
            log.warning("matching index %s is corrupt (%s); rebuilding", path, exc)
            self.status = "rebuilt:corrupt"
            if db is not None:
                db.close()
            for p in self.index_dir.glob(DB_NAME + "*"):
                p.rename(p.with_name(p.name + f".corrupt-{int(time.time())}"))
            return self._init_db(sqlite3.connect(path, check_same_thread=False, timeout=60))

    @staticmethod
    def _init_db(db: sqlite3.Connection) -> sqlite3.Connection:
        db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, hash TEXT NOT NULL,"
            " title TEXT NOT NULL, text TEXT NOT NULL, keywords TEXT NOT NULL,"
            " terms TEXT NOT NULL, passages TEXT NOT NULL, vecs BLOB)"
        )
        # the last change of every id, numbered: a snapshot replays the changes after its own
        db.execute(
            "CREATE TABLE IF NOT EXISTS changes (id TEXT PRIMARY KEY, seq INTEGER NOT NULL,"
            " gone INTEGER NOT NULL)"
        )
        db.execute("CREATE INDEX IF NOT EXISTS changes_seq ON changes (seq)")
        db.commit()
        return db

    def _signature(self) -> dict[str, str]:
        return {
            "format": str(FORMAT_VERSION),
            "analyzer": str(Analyzer.version),
            "model": self.model_id if self.dense_enabled else "none",
        }

    def _meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT k, v FROM meta").fetchall())

    def _new_identity(self) -> None:
        """A new database identity: snapshots of the previous contents no longer apply."""
        self._db.execute(
            "INSERT OR REPLACE INTO meta (k, v) VALUES ('db_id', ?)", (os.urandom(8).hex(),)
        )
        self._db.execute("DELETE FROM changes")
        self._db.commit()
        if self.index_dir is not None:
            (self.index_dir / SNAPSHOT_POINTER).unlink(missing_ok=True)

    def _load(self, source: Callable[[], Iterable[Document]] | None) -> None:
        meta = self._meta()
        sig = self._signature()
        n_rows = self._db.execute("SELECT count(*) FROM docs").fetchone()[0]
        stale = bool(meta) and any(meta.get(k) != v for k, v in sig.items())
        if not meta and not n_rows and self.status == "new":
            self.status = "created"
        if stale or (not meta and n_rows):
            rows = self._db.execute(
                "SELECT id, title, text, keywords FROM docs ORDER BY rowid"
            ).fetchall()
            docs = [Document(r[0], r[1], r[2], tuple(json.loads(r[3]))) for r in rows]
            for d in docs:
                self._add_words(d.keywords)
            log.warning("matching index has an older format (%s); rebuilding", meta)
            self.status = "rebuilt:format"
            self._db.execute("DELETE FROM docs")
            self._new_identity()
            self._write_meta()
            self.upsert(docs)
            self.save()
            return
        if self.status == "rebuilt:corrupt" or "db_id" not in meta:
            self._new_identity()
        if self.status == "rebuilt:corrupt" and source is not None:
            self._write_meta()
            self.upsert(source())
            self.save()
            return
        self._write_meta()
        if not self._load_snapshot():
            with self._snapshot_lock():
                if not self._load_snapshot():
                    self._load_rows()
                    if self.index_dir is not None and len(self.slot_of):
                        self._write_snapshot()
        if self.status == "new":
            self.status = "loaded"

    def _load_rows(self) -> None:
        """Everything from the database (no snapshot): token bags and vectors, no analysis."""
        self._seen_seq = self._seq()
        cur = self._db.execute("SELECT id, hash, keywords, terms, vecs FROM docs ORDER BY rowid")
        while batch := cur.fetchmany(5000):
            for r in batch:
                self._add_words(json.loads(r[2]))
                terms = Counter({str(k): int(v) for k, v in json.loads(r[3]).items()})
                vec = np.frombuffer(r[4], dtype=np.float16).reshape(-1, DIM) if r[4] else None
                self._add_memory(r[0], r[1], terms.elements(), vec)
        self._maybe_consolidate()

    def _add_words(self, words: Iterable[str]) -> list[str]:
        words = [w for w in words if w]
        self._words.update(words)
        return self.analyzer.add_words(words)

    def _seq(self) -> int:
        return int(self._meta().get("seq", "0"))

    def _write_meta(self) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", list(self._signature().items())
        )
        self._db.commit()

    # -- snapshot -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _snapshot_lock(self) -> Iterator[None]:
        """Only one process writes a snapshot; the others wait and then read it."""
        if self.index_dir is None or self._snapshot_locked:
            yield
            return
        with (self.index_dir / "snapshot.lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            self._snapshot_locked = True
            try:
                yield
            finally:
                self._snapshot_locked = False
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _consolidated(self) -> dict[str, np.ndarray]:
        keep = self.bm25.alive.copy()
        arrays = self.bm25.consolidated(keep)
        if self.dense_enabled:
            arrays.update(self._vec.consolidated(keep))
        live = np.nonzero(keep)[0]
        arrays["hashes"] = np.array([self._hash_of(int(s)) for s in live], dtype="S64")
        arrays["_ids"] = np.array([self.slot_ids[int(s)] for s in live], dtype=object)
        return arrays

    def _adopt(self, arrays: dict[str, np.ndarray], terms: list[str], ids: list[str]) -> None:
        self.bm25.adopt(arrays, terms)
        if self.dense_enabled:
            self._vec.adopt(arrays)
        self.slot_ids = list(ids)
        self.slot_of = {d: i for i, d in enumerate(self.slot_ids)}
        self._base_hashes = arrays["hashes"]
        self._extra_hashes = []
        self._sample = None
        self.version += 1

    def _maybe_consolidate(self) -> None:
        """Fold the delta into the base (in memory) when it grows, and drop dead slots."""
        dead = self.bm25.n_slots - len(self.slot_of)
        limit = max(MERGE_MIN, min(self.bm25.base_n // 10, self.merge_max))
        if dead > 1000 and dead > len(self.slot_of):
            arrays = self._consolidated()
            ids = list(arrays.pop("_ids"))
            self._adopt(arrays, list(self.bm25.vocab), ids)
        elif self.bm25.delta_n > limit:
            self.bm25.merge_delta()
            if self.dense_enabled:
                self._vec.merge_extra()
        if (
            self.autosave
            and self.index_dir is not None
            and self._since_snapshot > max(SNAPSHOT_MIN, len(self.slot_of) // 4)
        ):
            self._write_snapshot()

    def save(self) -> None:
        """Write the snapshot now if the index changed since the last one (persistent only)."""
        with self._lock:
            if self.index_dir is not None and (
                self._since_snapshot or not (self.index_dir / SNAPSHOT_POINTER).exists()
            ):
                self._write_snapshot()

    def _write_snapshot(self) -> None:
        """Write the consolidated index as .npy files and switch this process to mapping them."""
        assert self.index_dir is not None
        with self._snapshot_lock():
            db_seq = self._seq()
            if db_seq > self._seen_seq:
                self._replay(self._seen_seq)
            seq = self._seen_seq = max(self._seen_seq, db_seq)
            arrays = self._consolidated()
            ids = list(arrays.pop("_ids"))
            name = f"snap-{seq}-{os.urandom(4).hex()}"
            tmp = self.index_dir / (name + ".tmp")
            tmp.mkdir()
            for key, arr in arrays.items():
                np.save(tmp / f"{key}.npy", arr, allow_pickle=False)
            (tmp / "ids.json").write_text(json.dumps(ids, ensure_ascii=False), "utf-8")
            (tmp / "terms.json").write_text(
                json.dumps(list(self.bm25.vocab), ensure_ascii=False), "utf-8"
            )
            (tmp / "words.json").write_text(
                json.dumps(sorted(self._words), ensure_ascii=False), "utf-8"
            )
            tmp.rename(self.index_dir / name)
            pointer = {
                "snapshot_format": SNAPSHOT_FORMAT,
                "signature": self._signature(),
                "db_id": self._meta().get("db_id"),
                "seq": seq,
                "dir": name,
                "slots": len(ids),
                "terms": len(self.bm25.vocab),
                "passages": int(len(arrays["vec"])) if "vec" in arrays else 0,
            }
            ptmp = self.index_dir / f"{SNAPSHOT_POINTER}.{os.getpid()}.tmp"
            ptmp.write_text(json.dumps(pointer))
            ptmp.replace(self.index_dir / SNAPSHOT_POINTER)
            # keep the previous snapshot (another process may be opening it); drop older ones
            olds = sorted(
                (p for p in self.index_dir.glob("snap-*") if p.name != name),
                key=lambda p: p.stat().st_mtime,
            )
            for old in olds[:-1]:
                shutil.rmtree(old, ignore_errors=True)
            del arrays
            self._reset_memory()
            if not self._load_snapshot():
                raise RuntimeError("matching snapshot written but unreadable")

    def _load_snapshot(self) -> bool:
        """Map the snapshot (if it matches this database) and replay the later changes."""
        if self.index_dir is None:
            return False
        try:
            ptr = json.loads((self.index_dir / SNAPSHOT_POINTER).read_text())
            meta = self._meta()
            if (
                ptr.get("snapshot_format") != SNAPSHOT_FORMAT
                or ptr.get("signature") != self._signature()
                or ptr.get("db_id") != meta.get("db_id")
                or int(ptr["seq"]) > int(meta.get("seq", "0"))
            ):
                return False
            d = self.index_dir / str(ptr["dir"])
            names = ["lex_indptr", "lex_slots", "lex_tfs", "lex_tf_over_pos", "lex_tf_over_val"]
            names += ["lex_lengths", "hashes"]
            if self.dense_enabled:
                names += ["vec", "vec_start", "vec_codes", "vec_centre"]
            # plain ndarray views of the mapped files (np.memmap's slicing costs ~6 µs a call)
            arrays = {
                n: np.load(d / f"{n}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
                for n in names
            }
            ids = json.loads((d / "ids.json").read_text("utf-8"))
            terms = json.loads((d / "terms.json").read_text("utf-8"))
            words = json.loads((d / "words.json").read_text("utf-8"))
            n, nt = int(ptr["slots"]), int(ptr["terms"])
            ok = (
                len(ids) == n == len(arrays["lex_lengths"]) == len(arrays["hashes"])
                and len(terms) == nt
                and arrays["lex_indptr"].shape == (nt + 1,)
                and int(arrays["lex_indptr"][-1])
                == len(arrays["lex_slots"])
                == len(arrays["lex_tfs"])
                and arrays["lex_tfs"].dtype == np.uint8
                and len(arrays["lex_tf_over_pos"]) == len(arrays["lex_tf_over_val"])
            )
            if self.dense_enabled:
                m = int(ptr["passages"])
                ok = ok and (
                    arrays["vec"].shape == (m, DIM)
                    and arrays["vec_codes"].shape == (CODE_WORDS, m)
                    and arrays["vec_start"].shape == (n + 1,)
                    and int(arrays["vec_start"][-1]) == m
                )
            if not ok:
                raise ValueError("snapshot arrays do not match their pointer")
        except FileNotFoundError:
            return False
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "matching snapshot in %s is unusable (%s); reading the database",
                self.index_dir,
                exc,
            )
            return False
        self._reset_memory()
        self._add_words(words)
        self._adopt(arrays, terms, ids)
        self._snapshot_seq = self._seen_seq = int(ptr["seq"])
        self._replay(self._snapshot_seq)
        return True

    def _replay(self, after: int, upto: int | None = None) -> int:
        """Apply the database's changes numbered after ``after`` (and before ``upto``): those of
        other processes, or those made after the snapshot. Returns the count applied."""
        sql = (
            "SELECT c.id, c.gone, d.hash, d.keywords, d.terms, d.vecs, c.seq FROM changes c"
            " LEFT JOIN docs d ON d.id = c.id WHERE c.seq > ?"
        )
        args: tuple[int, ...] = (after,)
        if upto is not None:
            sql += " AND c.seq < ?"
            args = (after, upto)
        n = 0
        for doc_id, gone, digest, keywords, terms_json, vecs, seq in self._db.execute(
            sql + " ORDER BY c.seq", args
        ).fetchall():
            n += 1
            self._seen_seq = max(self._seen_seq, int(seq))
            if gone or digest is None:
                slot = self.slot_of.pop(doc_id, None)
                if slot is not None:
                    self.bm25.kill(slot)
                continue
            self._add_words(json.loads(keywords))
            terms = Counter({str(k): int(v) for k, v in json.loads(terms_json).items()})
            vec = np.frombuffer(vecs, dtype=np.float16).reshape(-1, DIM) if vecs else None
            self._add_memory(doc_id, digest, terms.elements(), vec)
        self._since_snapshot += n
        self._sample = None
        self.version += 1
        return n

    def _catch_up(self, seq: int) -> None:
        """Before applying our own change ``seq``: apply other processes' changes since ours."""
        if seq > self._seen_seq + 1:
            self._replay(self._seen_seq, seq)
        self._seen_seq = max(self._seen_seq, seq)

    # -- updates --------------------------------------------------------------------------
    def _add_memory(
        self,
        doc_id: str,
        digest: str,
        tokens: Iterable[str],
        vecs: np.ndarray | None,
    ) -> None:
        old = self.slot_of.get(doc_id)
        if old is not None:
            self.bm25.kill(old)
        slot = self.bm25.add(tokens)
        self.slot_ids.append(doc_id)
        self.slot_of[doc_id] = slot
        self._extra_hashes.append(digest)
        if self.dense_enabled:
            if vecs is None or not len(vecs):
                vecs = np.zeros((1, DIM), dtype=np.float16)
            self._vec.add(vecs)
        self._sample = None
        self.version += 1

    def _document(self, doc_id: str) -> tuple[Document, list[str]]:
        """A stored document and its passages (read from the database: not held in memory)."""
        r = self._db.execute(
            "SELECT title, text, keywords, passages FROM docs WHERE id = ?", (doc_id,)
        ).fetchone()
        if r is None:
            raise KeyError(doc_id)
        return Document(doc_id, r[0], r[1], tuple(json.loads(r[2]))), json.loads(r[3])

    def _bump_seq(self) -> int:
        self._db.execute(
            "INSERT INTO meta (k, v) VALUES ('seq', '1')"
            " ON CONFLICT(k) DO UPDATE SET v = CAST(v AS INTEGER) + 1"
        )
        return int(self._db.execute("SELECT v FROM meta WHERE k = 'seq'").fetchone()[0])

    def upsert(self, docs: Iterable[Document]) -> int:
        """Add or replace documents by id; unchanged documents are skipped. Returns the count changed."""
        with self._lock:
            todo: dict[str, tuple[Document, str]] = {}
            for d in docs:
                digest = d.content_hash()
                known = self.hashes.get(d.id)
                if known != digest:
                    todo[d.id] = (d, digest)
            if not todo:
                return 0
            new_words = self._add_words(w for d, _ in todo.values() for w in d.keywords)
            if new_words:  # re-analyse existing documents that contain a new dictionary word
                for doc_id, digest, title, text, kw in self._db.execute(
                    "SELECT id, hash, title, text, keywords FROM docs"
                ).fetchall():
                    doc = Document(doc_id, title, text, tuple(json.loads(kw)))
                    if (
                        doc_id not in todo
                        and doc_id in self.slot_of
                        and any(w in doc.body for w in new_words)
                    ):
                        todo[doc_id] = (doc, digest + "+")
            items = list(todo.values())
            passages = [split_passages(d.body) for d, _ in items]
            vecs: list[np.ndarray | None] = [None] * len(items)
            if self.dense_enabled:
                flat = [p for ps in passages for p in ps]
                mat = (
                    self.embedder.embed(flat, "passage") if flat else np.zeros((0, DIM), np.float16)
                )
                pos = 0
                for i, ps in enumerate(passages):
                    vecs[i] = mat[pos : pos + len(ps)]
                    pos += len(ps)
            rows = []
            memory: list[tuple[tuple[Document, str], list[str], np.ndarray | None, list[str]]] = []
            for (d, digest), ps, v in zip(items, passages, vecs, strict=True):
                digest = digest.rstrip("+")
                tokens = self.analyzer.analyze(d.body + "\n" + "\n".join(d.keywords))
                memory.append(((d, digest), ps, v, tokens))
                rows.append(
                    (
                        d.id,
                        digest,
                        d.title,
                        d.text,
                        json.dumps(list(d.keywords), ensure_ascii=False),
                        json.dumps(Counter(tokens), ensure_ascii=False),
                        json.dumps(ps, ensure_ascii=False),
                        v.tobytes() if v is not None else None,
                    )
                )
            seq = self._bump_seq()
            self._catch_up(seq)
            for (d, digest), _, v, tokens in memory:
                self._add_memory(d.id, digest, tokens, v)
            self._db.executemany(
                "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO changes (id, seq, gone) VALUES (?, ?, 0)",
                [(r[0], seq) for r in rows],
            )
            self._db.commit()
            self._since_snapshot += len(items)
            self._maybe_consolidate()
            return len(items)

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents by id; unknown ids are ignored. Returns the count removed."""
        with self._lock:
            gone = [i for i in dict.fromkeys(ids) if i in self.slot_of]
            if gone:
                seq = self._bump_seq()
                self._catch_up(seq)
                gone = [i for i in gone if i in self.slot_of]
                for i in gone:
                    self.bm25.kill(self.slot_of.pop(i))
                self._db.executemany("DELETE FROM docs WHERE id = ?", [(i,) for i in gone])
                self._db.executemany(
                    "INSERT OR REPLACE INTO changes (id, seq, gone) VALUES (?, ?, 1)",
                    [(i, seq) for i in gone],
                )
                self._db.commit()
                self._since_snapshot += len(gone)
                self._sample = None
                self.version += 1
                self._maybe_consolidate()
            return len(gone)

    def reload(self) -> None:
        """Re-read the index directory (snapshot + later changes); drops dead slots."""
        with self._lock:
            self._reset_memory()
            self._load(None)

    def close(self) -> None:
        """Close the index database."""
        self._db.close()
        if self._embedder is not None:
            self._embedder.cache.close()

    # -- search ---------------------------------------------------------------------------
    def _approximate(self) -> bool:
        return self._vec.n_passages > self.exact_limit

    def _alive(self) -> np.ndarray:
        return self.bm25.alive

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

    def _prepare(self, text: str, need_lex: bool, need_dense: bool) -> _Prepared:
        an = self.analyzer
        tokens = an.analyze(text)
        k3 = self.fusion.query_term_saturation
        terms = {t: c * (k3 + 1) / (k3 + c) for t, c in Counter(tokens).items()}
        forms = an.surfaces(text)
        translated: set[str] = set()
        english = an.is_mostly_english(text)
        native_hits = sum(1 for t in terms if t in self.bm25.vocab)
        cross = english and native_hits < max(3, 0.25 * len(terms))
        trans: list[tuple[str, float, str, str]] = []
        if (
            self.translate_enabled
            and _TRANSLATE.get()
            and (need_lex or (need_dense and (cross or not english)))
        ):
            trans, cross = self._translations(text, english, native_hits, len(terms), cross)
        if cross and self.fusion.cross_lingual_native_weight != 1.0:
            nw = self.fusion.cross_lingual_native_weight
            terms = {t: w * nw for t, w in terms.items()}
        if need_lex and trans:
            tw = self.fusion.translation_weight
            shares: dict[str, float] = {}
            for cand, w, src, _ in trans:
                parts: list[tuple[str, float]] = []
                if not english:  # a Chinese query's candidates are stemmed English terms
                    if cand in self.bm25.vocab:
                        parts.append((cand, w))
                else:
                    subs = [
                        t for t in an.chinese_tokens(cand) if t != cand and t in self.bm25.vocab
                    ]
                    if cand in self.bm25.vocab:
                        parts.append((cand, w))
                        sw = self.fusion.translation_subtoken_weight
                        parts += [(t, w * sw / len(subs)) for t in subs if sw > 0]
                    elif subs:
                        parts += [(t, w / len(subs)) for t in subs]
                for t, share in parts:
                    shares[t] = shares.get(t, 0.0) + share
                    forms.setdefault(t, src)
            k3t = self.fusion.translated_term_saturation
            for t, c in shares.items():
                terms[t] = terms.get(t, 0.0) + tw * c * (k3t + 1) / (k3t + c)
                translated.add(t)
        short = estimate_tokens(text) <= self.fusion.symmetric_above_tokens
        prep = _Prepared(terms, forms, translated, None, cross, short)
        if need_dense:
            f = self.fusion
            passages = split_passages(text) or [text]
            qmode = "query" if short else "passage"
            words = ""
            tdw = (
                f.translated_dense_weight if qmode == "passage" else f.short_translated_dense_weight
            )
            if cross and tdw > 0 and trans:
                from .translate import dense_text

                per_word = (
                    f.dense_translations_per_word
                    if qmode == "passage"
                    else f.short_dense_translations_per_word
                )
                words = dense_text(trans, per_word)
            # both embeddings start now, in parallel; the caller scores the lexical side
            # meanwhile and calls prep.resolve() when it needs the vector
            embedder = self.embedder
            jobs = [(passages, qmode)] + ([([words], "query")] if words else [])
            futures: list[Future[np.ndarray] | None] = [None] * len(jobs)
            if _parallel(self.parallel_embedding):
                # one long text and a free core: its embedding takes both threads of the model
                wide = qmode == "passage" and len(jobs) == 1
                embed = functools.partial(_embed_wide, embedder.embed) if wide else embedder.embed
                futures = [_embed_async(embed, t, m) for t, m in jobs]

            def vector() -> np.ndarray:
                got = [
                    embedder.embed(t, m) if fut is None else fut.result()
                    for fut, (t, m) in zip(futures, jobs, strict=True)
                ]
                qv = got[0].astype(np.float32).mean(axis=0)
                qv /= max(float(np.linalg.norm(qv)), 1e-9)
                if words:
                    tv = got[1][0].astype(np.float32)
                    qv = qv + tdw * tv
                return qv / max(float(np.linalg.norm(qv)), 1e-9)

            prep.pending = vector
        return prep

    def _translations(
        self, text: str, english: bool, native_hits: int, n_terms: int, cross: bool
    ) -> tuple[list[tuple[str, float, str, str]], bool]:
        """Query-term translations (term, weight, source word, surface) and whether the query
        is cross-lingual. English queries get Chinese candidates (CC-CEDICT, reversed); a
        Chinese query gets English ones when fewer than half of its own terms are in the index
        and more of its words reach the index through translation than its own terms do."""
        from .translate import get_lexicon

        lex = get_lexicon(self.analyzer)
        coh = self._cohesion if self.fusion.translation_cohesion > 0 else None
        if english:
            got = lex.translate(text, df=self.bm25.df, cohesion=coh)
            return [(z, w, s, z) for z, w, s in got], cross
        if native_hits >= 0.5 * n_terms:  # most of its own words are in the index
            return [], cross
        vocab = self.bm25.vocab
        # whole words and their search-mode parts only: a word known only by its characters
        # ("虢国考") is no sign of another language
        reached = {src for t, _, src, _ in lex.translate_chinese(text, cover=False) if t in vocab}
        if len(reached) <= native_hits:
            return [], cross
        return lex.translate_chinese(text, df=self.bm25.df, cohesion=coh), True

    def _cohesion(self, pools: list[list[str]]) -> list[list[float]]:
        """Co-occurrence cohesion of translation candidates (``translate.Cohesion``): for each
        candidate c of a query word, ``translation_cohesion`` × the mean over the other words
        w of log(P(w | c) / P(w)), where a document "has" w when it contains one of w's
        ``cohesion_top`` best candidates, and P(w | c) is the rate among the documents with c,
        smoothed towards P(w) by ``cohesion_smoothing`` pseudo-documents. One pass over each
        candidate's postings (a candidate of several words: its rarest word's), at most
        ``COHESION_SAMPLE`` of them."""
        f = self.fusion
        bm = self.bm25
        live = bm.live_count
        groups = len(pools)
        zero = [[0.0] * len(p) for p in pools]
        if not live or groups < 2 or groups > 64:
            return zero
        alive = bm.alive
        all_alive = live == bm.n_slots
        empty = np.zeros(0, np.int32)

        def slots_of(term: str, sample: bool) -> np.ndarray:
            best: tuple[int, int] | None = None
            for word in term.split():
                tid = bm.vocab.get(word)
                if tid is None:
                    return empty
                d = bm._df_tid(tid)
                if best is None or d < best[0]:
                    best = (d, tid)
            if best is None:
                return empty
            parts = bm._postings_slots(best[1])
            got = parts[0] if len(parts) == 1 else np.concatenate(parts)
            if sample and len(got) > COHESION_SAMPLE:  # an even sample of the sorted postings
                got = got[:: -(-len(got) // COHESION_SAMPLE)]
            return got if all_alive else got[alive[got]]

        dtype = next(t for t in _BIT_TYPES if np.dtype(t).itemsize * 8 >= groups)
        bits = np.zeros(bm.n_slots, dtype)  # bit g: the document has one of word g's best
        for g, pool in enumerate(pools):
            bit = dtype(1 << g)
            for c in pool[: f.cohesion_top]:
                bits[slots_of(c, False)] |= bit

        def counts(b: np.ndarray, of: np.ndarray, n: int) -> np.ndarray:
            """(n, groups): how many entries of each ``of`` value have each bit set in ``b``."""
            cols = b.view(np.uint8).reshape(len(b), -1)
            per = [
                np.bincount(of * 256 + cols[:, j], minlength=n * 256).reshape(n, 256) @ _BYTE_BITS
                for j in range(cols.shape[1])
            ]
            return np.concatenate(per, axis=1)[:, :groups]

        whole = bits.view(np.uint8).reshape(len(bits), -1)
        base = (
            np.concatenate(
                [
                    np.bincount(whole[:, j], minlength=256) @ _BYTE_BITS
                    for j in range(whole.shape[1])
                ]
            )[:groups]
            / live
        )  # dead slots have no bits
        if not all(base > 0):
            return zero
        sampled = [slots_of(c, True) for pool in pools for c in pool]
        sizes = np.array([len(x) for x in sampled], np.int64)
        flat = np.concatenate(sampled) if sampled else empty
        which = np.repeat(np.arange(len(sampled), dtype=np.int64), sizes)
        mu = f.cohesion_smoothing
        rate = (counts(bits[flat], which, len(sampled)) + mu * base) / (sizes[:, None] + mu)
        pmi = np.log(rate) - np.log(base)
        # a candidate of word g: its mean over the other words (none of its own word's bit)
        owner = np.repeat(np.arange(groups), [len(p) for p in pools])
        pmi[np.arange(len(sampled)), owner] = 0.0
        coh = f.translation_cohesion * pmi.sum(axis=1) / (groups - 1)
        coh[sizes == 0] = 0.0
        out: list[list[float]] = []
        i = 0
        for pool in pools:
            out.append([float(x) for x in coh[i : i + len(pool)]])
            i += len(pool)
        return out

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

    def _feedback(self, vector: np.ndarray, top: Sequence[int]) -> np.ndarray:
        """Pseudo-relevance feedback: the query moved towards the top documents' mean vector."""
        fb = np.mean([self._vec.of_slot(i).mean(axis=0) for i in top], axis=0)
        qv = vector + self.fusion.prf_weight * fb
        return qv / max(float(np.linalg.norm(qv)), 1e-9)

    def _lexical_side(
        self, lex: np.ndarray, alive: np.ndarray, mask: np.ndarray | None, mode: str
    ) -> _LexicalSide:
        """What the approximate path needs from the lexical scores alone (computed while the
        query is being embedded): allowed slots, best lexical documents, mean and deviation."""
        allowed = alive if mask is None else alive & mask
        if mode == "dense":
            return _LexicalSide(allowed, np.zeros(0, np.int64), 0.0, 0.0)
        lx = np.where(allowed & (lex > 0), lex, -np.inf)
        top = np.asarray(_top_indices(lx, LEXICAL_CANDIDATES), np.int64)
        del lx
        live = lex[alive]
        lsd = float(live.std()) if len(live) else 0.0
        lmean = float(live.mean()) if lsd >= 1e-9 else 0.0
        return _LexicalSide(allowed, top, lmean, lsd)

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
            cand = self._vec.coarse(vector, DENSE_CANDIDATES, allowed)
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
        filter: Callable[[str], bool] | None = None,  # noqa: A002 - public keyword
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

    def _score_one(self, sc: _Scores, slot: int, mode: str) -> _Scores:
        vector = sc.prepared.vector
        assert vector is not None
        d = float(self._vec.slot_scores(np.array([slot]), vector)[0])
        dense, fused = sc.dense.copy(), sc.fused.copy()
        dense[slot] = d
        basis = sc.basis
        if mode == "dense":
            fused[slot] = d
        else:
            f = self.fusion
            mu, sd = self._dense_stats(vector)
            alive = self._alive()
            live = sc.lexical[alive]
            lsd = float(live.std())
            zd = (d - mu) / sd if sd >= 1e-9 else 0.0
            zl = (float(sc.lexical[slot]) - float(live.mean())) / lsd if lsd >= 1e-9 else 0.0
            wl = f.lexical_weight_of(sc.prepared.cross_lingual, sc.prepared.short)
            fused[slot] = f.dense_weight * zd + wl * zl
            basis = ScoreBasis(
                "hybrid",
                f.dense_weight,
                mu,
                sd,
                wl,
                float(live.mean()) if lsd >= 1e-9 else 0.0,
                lsd if lsd >= 1e-9 else 0.0,
            )
        return _Scores(sc.lexical, dense, fused, sc.prepared, basis=basis)

    def _explain(
        self, sc: _Scores, slot: int, contrib: dict[str, float] | None = None
    ) -> Explanation:
        """``contrib``: the slot's per-term BM25 shares when the caller has them."""
        doc_id = self.slot_ids[slot]
        doc, stored_passages = self._document(doc_id)
        prep = sc.prepared
        if contrib is None:
            contrib = self.bm25.term_scores(prep.terms, slot) if prep.terms else {}
        # a Chinese token's surface form is the token itself: no segmentation of the document
        doc_forms = self.analyzer.surfaces(
            doc.body + "\n" + "\n".join(doc.keywords), chinese=False
        )
        terms = sorted(
            (
                TermMatch(
                    t, prep.forms.get(t, t), doc_forms.get(t, t), round(s, 4), t in prep.translated
                )
                for t, s in contrib.items()
            ),
            key=lambda m: -m.score,
        )
        passages = stored_passages or [doc.body]
        best = 0
        if prep.vector is not None and len(passages) > 1:
            best = int(np.argmax(self._vec.of_slot(slot) @ prep.vector))
        elif len(passages) > 1:
            keys = set(contrib)
            best = max(
                range(len(passages)),
                key=lambda i: len(keys & set(self.analyzer.analyze(passages[i]))),
            )
        fused = float(sc.fused[slot])
        return Explanation(
            doc_id,
            float(sc.lexical[slot]),
            float(sc.dense[slot]),
            fused if math.isfinite(fused) else 0.0,
            tuple(terms),
            passages[best],
            best,
            sc.basis,
        )

    # -- scoring single documents (no search) ----------------------------------------------
    @property
    def change_seq(self) -> int:
        """The index's change sequence (shared by every process that opens it): how many
        upserts and removals it has seen. Callers use the difference between two readings to
        tell how much changed."""
        return int(self._seen_seq)

    def query_terms(self, text: str) -> dict[str, float]:
        """The weighted lexical terms of a query (analysis and translation, as a lexical search
        uses them), for :meth:`lexical_score`."""
        with self._lock:
            return dict(self._prepare(text, True, False).terms)

    def lexical_score(self, terms: Mapping[str, float], doc_id: str) -> float:
        """The BM25 score of one document for terms from :meth:`query_terms` — what a lexical
        search would give it, without scoring every document (0 when it is not indexed)."""
        with self._lock:
            slot = self.slot_of.get(doc_id)
            if slot is None:
                return 0.0
            return float(sum(self.bm25.term_scores(terms, slot).values()))

    def lexical_scores(self, queries: Sequence[Mapping[str, float]], doc_id: str) -> list[float]:
        """:meth:`lexical_score` of one document for several queries: the document's term counts
        (stored with it) are read once, and each query costs a few dictionary lookups."""
        with self._lock:
            slot = self.slot_of.get(doc_id)
            if slot is None:
                return [0.0] * len(queries)
            bm = self.bm25
            row = self._db.execute("SELECT terms FROM docs WHERE id = ?", (doc_id,)).fetchone()
            counts: dict[str, int] | None = json.loads(row[0]) if row else None
            if counts is None or abs(sum(counts.values()) - float(bm.lengths[slot])) > 0.5:
                # not the counts that were indexed (e.g. a snapshot built without rows)
                return [float(sum(bm.term_scores(q, slot).values())) for q in queries]
            return [bm.score_counts(q, counts, slot) for q in queries]

    def memory_bytes(self) -> int:
        """Bytes of the lexical postings and the dense vectors (and their codes), memory-mapped
        pages included (shared between the processes that map the same snapshot)."""
        total = self.bm25.memory_bytes()
        if self.dense_enabled:
            total += self._vec.memory_bytes()
        return total


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
