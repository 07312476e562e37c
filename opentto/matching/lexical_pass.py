"""The lexical pass: a query's analysis, translation and co-occurrence cohesion, the start of its
embedding (in the background while BM25 runs), BM25 scoring and single-document lexical scores."""

from __future__ import annotations

import contextlib
import functools
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np

from .embeddings import _embed_async, _embed_wide, _parallel
from .fusion import _top_indices
from .passages import estimate_tokens, split_passages
from .store import _Store

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


LEXICAL_CANDIDATES = 1000
_BIT_TYPES = (np.uint8, np.uint16, np.uint32, np.uint64)
#: the 8 bits of every byte value (256 × 8), to count set bits per position with a bincount
_BYTE_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little")
#: postings read per translation candidate for its co-occurrence cohesion (an even sample)
COHESION_SAMPLE = 1000


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
class _LexicalSide:
    allowed: np.ndarray
    top: np.ndarray
    mean: float
    std: float


class _LexicalPass(_Store):
    """Query preparation and the lexical side of a search."""

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
