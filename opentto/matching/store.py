"""Storage and snapshots: the engine's state, its SQLite database (documents, changes), the .npy
snapshot that worker processes map (ADR 0004), and incremental updates."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from .analysis import Analyzer
from .documents import Document
from .embeddings import DIM, MODEL_ID, Embedder, EmbedFn, default_cache_dir
from .fusion import FusionParams
from .lexical import BM25Index
from .passages import split_passages
from .vectors import CODE_WORDS, EXACT_LIMIT, GRAPH_FILE, _Vectors, build_graph, open_graph

log = logging.getLogger("opentto.matching.engine")

FORMAT_VERSION = 1
DB_NAME = "index.sqlite3"
#: the .npy snapshot next to the database (see ADR 0004); an older format is rewritten
#: 2: one-byte term frequencies with an overflow table, sign codes stored word-major
#: 3: the dense pass's HNSW graph (``graph.usearch``) above ``exact_limit`` passages
SNAPSHOT_FORMAT = 3
SNAPSHOT_POINTER = "snapshot.json"
#: write a snapshot after this many changes (or a quarter of the index, whichever is more)
SNAPSHOT_MIN = 5000
#: fold the in-memory delta into the base CSR above max(MERGE_MIN, min(base / 10, MERGE_MAX))
MERGE_MIN, MERGE_MAX = 2000, 20000


class _Hashes(Mapping[str, str]):
    """Content hash of every indexed document, by id (read-only view over the engine's slots)."""

    def __init__(self, engine: _Store) -> None:
        self._e = engine

    def __getitem__(self, doc_id: str) -> str:
        return self._e._hash_of(self._e.slot_of[doc_id])

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._e.slot_of

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._e.slot_of))

    def __len__(self) -> int:
        return len(self._e.slot_of)


class _Store:
    """State, persistence, snapshots and updates of a :class:`~opentto.matching.engine.MatchEngine`."""

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
            graph = self.dense_enabled and len(arrays["vec"]) > self.exact_limit
            if graph:  # the approximate dense pass's HNSW graph (ADR 0018)
                build_graph(arrays["vec"], tmp / GRAPH_FILE)
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
                "graph": bool(graph),
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
        if self.dense_enabled and ptr.get("graph"):
            self._vec.graph = open_graph(d / GRAPH_FILE, int(ptr["passages"]))
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

    def _alive(self) -> np.ndarray:
        return self.bm25.alive

    @property
    def change_seq(self) -> int:
        """The index's change sequence (shared by every process that opens it): how many
        upserts and removals it has seen. Callers use the difference between two readings to
        tell how much changed."""
        return int(self._seen_seq)
