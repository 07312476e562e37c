"""Simulated feedback: does a ranker trained on half the queries' judgements help the other half?

    .venv/bin/python bench/matching/feedback.py [BENCH_DIR] [--sets patentmatch-zh,patentmatch-en]
        [--mode hybrid|lexical] [--curve 25,50,100,250] [--negatives 4] [--c 0.1]

PatentMatch: the queries at even positions of the queries file give the feedback, the odd ones
are measured (never a query whose judgements trained the model). A judgement is one query's
relevant pair (from the qrels), given with the ``--negatives`` best-ranked non-relevant results
of today's fusion as "not relevant" (the curve counts these positive judgements: 25 … 250, all
of the even half). The model (``opentto.matching.ranker``) re-orders the fusion's best
``RERANK_DEPTH``; nDCG@10 is over the odd half's full runs (top 100), as in run_bench.py.
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import evaluate, read_qrels
from run_bench import SETS

from opentto.matching.cli import read_jsonl
from opentto.matching.engine import MatchEngine, documents_from_rows
from opentto.matching.ranker import (
    RERANK_DEPTH,
    Judged,
    add_list_features,
    hit_features,
    rerank,
    train,
    train_and_check,
)

ROOT = Path(__file__).resolve().parents[2]


def candidates(
    engine: MatchEngine, text: str, mode: str, top: int
) -> list[tuple[str, dict[str, float]]]:
    """The fusion's ``top``, the first ``RERANK_DEPTH`` with their features (the rest: none)."""
    explained = engine.search(text, top=RERANK_DEPTH, mode=mode, explain=True)
    out = [(h.id, hit_features(h, i + 1)) for i, h in enumerate(explained)]
    add_list_features([f for _i, f in out])
    seen = {h.id for h in explained}
    out += [(h.id, {}) for h in engine.search(text, top=top, mode=mode) if h.id not in seen]
    return out


def judged_rows(
    qid: str,
    cands: list[tuple[str, dict[str, float]]],
    rel: dict[str, int],
    negatives: int,
    implicit: bool,
) -> list[Judged]:
    """A query's feedback: its relevant pair and the ``negatives`` best-ranked non-relevant results
    as judged; with ``implicit``, the other candidates the ranker re-orders count as not relevant
    (as the site counts a demand's unjudged candidates: opentto.demands.ranking)."""
    head = [(d, f) for d, f in cands[:RERANK_DEPTH] if f]
    judged = {d for d, _f in head if d not in rel}
    judged = set(list(dict.fromkeys(d for d, _f in head if d in judged))[:negatives])
    return [
        Judged(qid, d, f, float(rel.get(d, 0)))
        for d, f in head
        if d in rel or d in judged or implicit
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bench_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "bench")
    p.add_argument("--sets", default="patentmatch-zh,patentmatch-en")
    p.add_argument("--mode", default="hybrid", choices=("hybrid", "lexical"))
    p.add_argument("--curve", default="25,50,100,250")
    p.add_argument("--negatives", type=int, default=4)
    p.add_argument("--c", type=float, default=0.1)
    p.add_argument("--top", type=int, default=100)
    p.add_argument(
        "--explicit-only",
        action="store_true",
        help="train on the judged pairs only (no unjudged candidate counted as not relevant)",
    )
    p.add_argument(
        "--fresh", action="store_true", help="score the queries again (not the stored features)"
    )
    args = p.parse_args(argv)
    curve = [int(n) for n in args.curve.split(",")]
    engines: dict[str, MatchEngine] = {}
    for name in args.sets.split(","):
        corpus_f, queries_f, qrels_f = (args.bench_dir / f for f in SETS[name])
        t0 = time.time()
        qrels = read_qrels(qrels_f)
        queries = [q for q in read_jsonl(queries_f) if str(q["_id"]) in qrels]
        store = ROOT / "var" / "bench" / "matching" / f"feedback-{name}-{args.mode}.pickle"
        feats: dict[str, list[tuple[str, dict[str, float]]]] = {}
        if store.exists() and not args.fresh:
            feats = pickle.loads(store.read_bytes())  # written by this script: features of a run
            for cands in feats.values():  # stored before the list features were added: idempotent
                add_list_features([f for _d, f in cands if f])
        else:
            if str(corpus_f) not in engines:
                engines[str(corpus_f)] = MatchEngine(None, dense=args.mode != "lexical")
                engines[str(corpus_f)].upsert(documents_from_rows(read_jsonl(corpus_f)))
            engine = engines[str(corpus_f)]
            for q in queries:
                feats[str(q["_id"])] = candidates(engine, str(q["text"]), args.mode, args.top)
            store.parent.mkdir(parents=True, exist_ok=True)
            store.write_bytes(pickle.dumps(feats))
        print(
            f"# {name} ({args.mode}): {len(queries)} queries scored in {time.time() - t0:.0f}s",
            flush=True,
        )
        train_ids = [str(q["_id"]) for i, q in enumerate(queries) if i % 2 == 0]
        test_ids = [str(q["_id"]) for i, q in enumerate(queries) if i % 2 == 1]
        random.Random(0).shuffle(train_ids)

        def run_of(
            ids: list[str], ranker: Any, feats: dict[str, Any] = feats
        ) -> dict[str, list[str]]:
            return {qid: rerank(feats[qid][: args.top], ranker) for qid in ids}

        test_qrels = {qid: qrels[qid] for qid in test_ids}
        base = evaluate(run_of(test_ids, None), test_qrels)
        print(
            f"{name}\tjudgements 0\tnDCG@10 {base['ndcg@10']:.4f}\tMRR@10 {base['mrr@10']:.4f}\t(today's fusion, odd half)"
        )
        for n in curve:
            if n > len(train_ids):
                n = len(train_ids)
            rows: list[Judged] = []
            for qid in train_ids[:n]:
                rows += judged_rows(
                    qid, feats[qid], qrels[qid], args.negatives, not args.explicit_only
                )
            ranker = train(rows, c=args.c, min_judgements=1)
            m = evaluate(run_of(test_ids, ranker), test_qrels)
            gate = "—"
            if len(rows) >= 100:
                v = train_and_check(rows, c=args.c)
                gate = f"gate {'replace' if v.replace else 'keep'} ({v.before:.3f} → {v.after:.3f} on its held-out)"
            weights = ", ".join(
                f"{k} {w:+.2f}"
                for k, w in sorted(
                    zip(ranker.names, ranker.weights, strict=True), key=lambda x: -abs(x[1])
                )[:5]
            )
            print(
                f"{name}\tjudgements {n}\tnDCG@10 {m['ndcg@10']:.4f} ({m['ndcg@10'] - base['ndcg@10']:+.4f})\t"
                f"MRR@10 {m['mrr@10']:.4f}\t{gate}\t[{weights}]",
                flush=True,
            )
            if n == len(train_ids):
                break
    print(f"# re-ranked depth {RERANK_DEPTH}, negatives per judgement {args.negatives}, C {args.c}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
