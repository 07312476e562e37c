"""The matching engine: documents, on-disk index, lexical / dense / hybrid search, explanations."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from .analysis import Analyzer
from .embeddings import DIM, MODEL_ID, Embedder, EmbedFn, default_cache_dir
from .lexical import BM25Index
from .passages import estimate_tokens, split_passages

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
DB_NAME = "index.sqlite3"

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
    """Why a document matched: score parts, matched terms, best passage."""

    doc_id: str
    lexical: float
    dense: float
    fused: float
    terms: tuple[TermMatch, ...]
    best_passage: str
    passage_index: int


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
    # English query on a mostly Chinese index: the lexical side only has translations
    cross_lingual_lexical_weight: float = 0.2
    translation_weight: float = 0.6
    query_term_saturation: float = 4.0
    translated_term_saturation: float = 1.5
    translation_subtoken_weight: float = 0.0
    # queries longer than this (estimated tokens) are document-like: embed them as passages
    symmetric_above_tokens: int = 150
    # cross-lingual: mix in the embedding of the translated (Chinese) query terms
    translated_dense_weight: float = 0.5
    # pseudo-relevance feedback on the dense side: mean of the top documents' vectors
    prf_docs: int = 0
    prf_weight: float = 0.0


@dataclass
class _Prepared:
    terms: dict[str, float]
    forms: dict[str, str]
    translated: set[str]
    vector: np.ndarray | None
    cross_lingual: bool


@dataclass
class _Scores:
    lexical: np.ndarray
    dense: np.ndarray
    fused: np.ndarray
    prepared: _Prepared = field(repr=False)


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
        self._reset_memory()
        self._db = self._open_db()
        self._load(source)

    # -- state ----------------------------------------------------------------------------
    def _reset_memory(self) -> None:
        self.bm25 = BM25Index()
        self.slot_ids: list[str] = []
        self.slot_of: dict[str, int] = {}
        self.docs: dict[str, Document] = {}
        self.hashes: dict[str, str] = {}
        self.passages: list[list[str]] = []
        self.vectors: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None
        self._pass_start: np.ndarray | None = None

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
            db = sqlite3.connect(path, check_same_thread=False)
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
            return self._init_db(sqlite3.connect(path, check_same_thread=False))

    @staticmethod
    def _init_db(db: sqlite3.Connection) -> sqlite3.Connection:
        db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, hash TEXT NOT NULL,"
            " title TEXT NOT NULL, text TEXT NOT NULL, keywords TEXT NOT NULL,"
            " terms TEXT NOT NULL, passages TEXT NOT NULL, vecs BLOB)"
        )
        db.commit()
        return db

    def _signature(self) -> dict[str, str]:
        return {
            "format": str(FORMAT_VERSION),
            "analyzer": str(Analyzer.version),
            "model": self.model_id if self.dense_enabled else "none",
        }

    def _load(self, source: Callable[[], Iterable[Document]] | None) -> None:
        meta = dict(self._db.execute("SELECT k, v FROM meta").fetchall())
        sig = self._signature()
        rows = self._db.execute(
            "SELECT id, hash, title, text, keywords, terms, passages, vecs FROM docs ORDER BY rowid"
        ).fetchall()
        stale = bool(meta) and any(meta.get(k) != v for k, v in sig.items())
        if not meta and not rows and self.status == "new":
            self.status = "created"
        docs = [Document(r[0], r[2], r[3], tuple(json.loads(r[4]))) for r in rows]
        for d in docs:
            self.analyzer.add_words(d.keywords)
        if stale or (not meta and rows):
            log.warning("matching index has an older format (%s); rebuilding", meta)
            self.status = "rebuilt:format"
            self._db.execute("DELETE FROM docs")
            self._write_meta()
            self.upsert(docs)
            return
        if self.status == "rebuilt:corrupt" and source is not None:
            self._write_meta()
            self.upsert(source())
            return
        self._write_meta()
        for d, r in zip(docs, rows, strict=True):
            terms = Counter({str(k): int(v) for k, v in json.loads(r[5]).items()})
            vec = np.frombuffer(r[7], dtype=np.float16).reshape(-1, DIM) if r[7] else None
            self._add_memory(d, r[1], terms.elements(), json.loads(r[6]), vec)
        if self.status == "new":
            self.status = "loaded"

    def _write_meta(self) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", list(self._signature().items())
        )
        self._db.commit()

    # -- updates --------------------------------------------------------------------------
    def _add_memory(
        self,
        doc: Document,
        digest: str,
        tokens: Iterable[str],
        passages: list[str],
        vecs: np.ndarray | None,
    ) -> None:
        old = self.slot_of.get(doc.id)
        if old is not None:
            self.bm25.kill(old)
        slot = self.bm25.add(tokens)
        self.slot_ids.append(doc.id)
        self.slot_of[doc.id] = slot
        self.docs[doc.id] = doc
        self.hashes[doc.id] = digest
        self.passages.append(passages)
        if vecs is None or not len(vecs):
            vecs = np.zeros((1, DIM), dtype=np.float16)
        self.vectors.append(vecs)
        self._matrix = None

    def upsert(self, docs: Iterable[Document]) -> int:
        """Add or replace documents by id; unchanged documents are skipped. Returns the count changed."""
        with self._lock:
            todo: dict[str, tuple[Document, str]] = {}
            for d in docs:
                digest = d.content_hash()
                if self.hashes.get(d.id) != digest:
                    todo[d.id] = (d, digest)
            if not todo:
                return 0
            new_words = self.analyzer.add_words(w for d, _ in todo.values() for w in d.keywords)
            if new_words:  # re-analyse existing documents that contain a new dictionary word
                for doc_id, doc in list(self.docs.items()):
                    if doc_id not in todo and any(w in doc.body for w in new_words):
                        todo[doc_id] = (doc, self.hashes[doc_id] + "+")
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
            for (d, digest), ps, v in zip(items, passages, vecs, strict=True):
                digest = digest.rstrip("+")
                tokens = self.analyzer.analyze(d.body + "\n" + "\n".join(d.keywords))
                self._add_memory(d, digest, tokens, ps, v)
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
            self._db.executemany(
                "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._db.commit()
            self._maybe_compact()
            return len(items)

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents by id; unknown ids are ignored. Returns the count removed."""
        with self._lock:
            gone = [i for i in ids if i in self.slot_of]
            for i in gone:
                self.bm25.kill(self.slot_of.pop(i))
                self.docs.pop(i, None)
                self.hashes.pop(i, None)
            self._db.executemany("DELETE FROM docs WHERE id = ?", [(i,) for i in gone])
            self._db.commit()
            self._matrix = None
            self._maybe_compact()
            return len(gone)

    def _maybe_compact(self) -> None:
        dead = self.bm25.n_slots - len(self.slot_of)
        if dead > 1000 and dead > len(self.slot_of):
            self.reload()

    def reload(self) -> None:
        """Rebuild the in-memory structures from the index directory (drops dead slots)."""
        with self._lock:
            self._reset_memory()
            self._load(None)

    def close(self) -> None:
        """Close the index database."""
        self._db.close()
        if self._embedder is not None:
            self._embedder.cache.close()

    # -- search ---------------------------------------------------------------------------
    def _dense_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        if self._matrix is None or self._pass_start is None:
            self._matrix = (
                np.ascontiguousarray(np.concatenate(self.vectors))
                if self.vectors
                else np.zeros((0, DIM), np.float16)
            )
            counts = np.fromiter(
                (len(v) for v in self.vectors), dtype=np.int64, count=len(self.vectors)
            )
            self._pass_start = np.zeros(len(counts), dtype=np.int64)
            np.cumsum(counts[:-1], out=self._pass_start[1:])
        return self._matrix, self._pass_start

    def _passage_scores(self, q: np.ndarray) -> np.ndarray:
        mat, _ = self._dense_matrix()
        out = np.empty(len(mat), dtype=np.float32)
        step = 32768
        for i in range(0, len(mat), step):
            out[i : i + step] = mat[i : i + step].astype(np.float32) @ q
        return out

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
        if need_lex and self.translate_enabled and english:
            from .translate import get_lexicon

            lex = get_lexicon(an)
            tw = self.fusion.translation_weight
            shares: dict[str, float] = {}
            for zh, w, src in lex.translate(text, df=self.bm25.df):
                subs = [t for t in an.chinese_tokens(zh) if t != zh and t in self.bm25.vocab]
                parts: list[tuple[str, float]] = []
                if zh in self.bm25.vocab:
                    parts.append((zh, w))
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
        vector = None
        if need_dense:
            f = self.fusion
            passages = split_passages(text) or [text]
            qmode = "passage" if estimate_tokens(text) > f.symmetric_above_tokens else "query"
            qv = self.embedder.embed(passages, qmode).astype(np.float32).mean(axis=0)
            qv /= max(float(np.linalg.norm(qv)), 1e-9)
            if cross and f.translated_dense_weight > 0 and self.translate_enabled:
                from .translate import get_lexicon

                words = list(
                    dict.fromkeys(z for z, _, _ in get_lexicon(an).translate(text, df=self.bm25.df))
                )
                if words:
                    tv = self.embedder.embed([" ".join(words)], "query")[0].astype(np.float32)
                    qv = qv + f.translated_dense_weight * tv
            vector = qv / max(float(np.linalg.norm(qv)), 1e-9)
        return _Prepared(terms, forms, translated, vector, cross)

    def _scores(self, text: str, mode: str) -> _Scores:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if mode != "lexical" and not self.dense_enabled:
            raise ValueError("this engine was created with dense=False")
        need_lex = mode != "dense"
        need_dense = mode != "lexical"
        prep = self._prepare(text, need_lex, need_dense)
        n = self.bm25.n_slots
        alive = np.array(self.bm25.alive, dtype=bool) if n else np.zeros(0, bool)
        lex = self.bm25.score(prep.terms) if need_lex else np.zeros(n, np.float32)
        dense = np.zeros(n, np.float32)
        if need_dense and prep.vector is not None and n:
            _, starts = self._dense_matrix()
            dense = np.maximum.reduceat(self._passage_scores(prep.vector), starts).astype(
                np.float32
            )
            f = self.fusion
            if f.prf_docs > 0 and f.prf_weight > 0:
                seed = (
                    dense if mode == "dense" else self._fuse(lex, dense, alive, prep.cross_lingual)
                )
                seed = np.where(alive, seed, -np.inf)
                top = _top_indices(seed, f.prf_docs)
                fb = np.mean([self.vectors[i].astype(np.float32).mean(axis=0) for i in top], axis=0)
                qv = prep.vector + f.prf_weight * fb
                prep.vector = qv / max(float(np.linalg.norm(qv)), 1e-9)
                dense = np.maximum.reduceat(self._passage_scores(prep.vector), starts).astype(
                    np.float32
                )
        if mode == "lexical":
            fused = np.where(lex > 0, lex, -np.inf).astype(np.float32)
        elif mode == "dense":
            fused = dense.copy()
        else:
            fused = self._fuse(lex, dense, alive, prep.cross_lingual)
        fused[~alive] = -np.inf
        return _Scores(lex, dense, fused, prep)

    def _fuse(
        self, lex: np.ndarray, dense: np.ndarray, alive: np.ndarray, cross: bool
    ) -> np.ndarray:
        f = self.fusion
        wl = f.cross_lingual_lexical_weight if cross else f.lexical_weight
        return f.dense_weight * _znorm(dense, alive) + wl * _znorm(lex, alive)

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
            sc = self._scores(text, mode)
            fused = sc.fused
            if allowed_ids is not None:
                allowed = set(allowed_ids)
                mask = np.fromiter(
                    (i in allowed for i in self.slot_ids), dtype=bool, count=len(self.slot_ids)
                )
                fused = np.where(mask, fused, -np.inf)
            valid = int(np.isfinite(fused).sum())
            hits: list[Hit] = []
            k = min(valid, top if filter is None else max(top * 4, 50))
            while True:
                order = _top_indices(fused, k)
                hits = []
                for s in order:
                    doc_id = self.slot_ids[s]
                    if allowed_ids is not None and doc_id not in allowed:
                        continue
                    if filter is not None and not filter(doc_id):
                        continue
                    hits.append(
                        Hit(doc_id, float(fused[s]), float(sc.lexical[s]), float(sc.dense[s]))
                    )
                    if len(hits) == top:
                        break
                if len(hits) == top or k >= valid:
                    break
                k = min(valid, k * 4)
            if explain:
                hits = [
                    Hit(h.id, h.score, h.lexical, h.dense, self._explain(sc, self.slot_of[h.id]))
                    for h in hits
                ]
            return hits

    def explain(self, text: str, doc_id: str, mode: Mode | str = "hybrid") -> Explanation:
        """Score parts, matched terms (query and document forms) and best passage for one document."""
        with self._lock:
            if doc_id not in self.slot_of:
                raise KeyError(doc_id)
            return self._explain(self._scores(text, mode), self.slot_of[doc_id])

    def _explain(self, sc: _Scores, slot: int) -> Explanation:
        doc_id = self.slot_ids[slot]
        doc = self.docs[doc_id]
        prep = sc.prepared
        contrib = self.bm25.term_scores(prep.terms, slot) if prep.terms else {}
        doc_forms = self.analyzer.surfaces(doc.body + "\n" + "\n".join(doc.keywords))
        terms = sorted(
            (
                TermMatch(
                    t, prep.forms.get(t, t), doc_forms.get(t, t), round(s, 4), t in prep.translated
                )
                for t, s in contrib.items()
            ),
            key=lambda m: -m.score,
        )
        passages = self.passages[slot] or [doc.body]
        best = 0
        if prep.vector is not None and len(passages) > 1:
            best = int(np.argmax(self.vectors[slot].astype(np.float32) @ prep.vector))
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
        )

    def memory_bytes(self) -> int:
        """Approximate bytes held by the lexical postings and the dense vectors."""
        mat, _ = self._dense_matrix()
        return self.bm25.memory_bytes() + int(mat.nbytes) + sum(int(v.nbytes) for v in self.vectors)


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
