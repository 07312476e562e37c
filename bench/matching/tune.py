"""Sweep hybrid-fusion weights on a benchmark set (scores computed once, fused many times).

.venv/bin/python bench/matching/tune.py CORPUS QUERIES QRELS [--translation-weight W]
    [--half even|odd] [--set FIELD=VALUE ...] [--translate NAME=VALUE ...]
    [--weights 0.1,0.2,...] [--quick]

Choose a setting on one half of the queries (``--half even``, by position in the queries file)
and confirm it on the other (``--half odd``) before making it a default.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import evaluate, read_qrels

from opentto.matching.cli import read_jsonl
from opentto.matching.engine import MatchEngine, _top_indices, _znorm, documents_from_rows


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("corpus", type=Path)
    p.add_argument("queries", type=Path)
    p.add_argument("qrels", type=Path)
    p.add_argument("--translation-weight", type=float, default=None)
    p.add_argument("--k3", type=float, default=None)
    p.add_argument("--k1", type=float, default=None)
    p.add_argument("--b", type=float, default=None)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--cached-only", action="store_true")
    p.add_argument("--set", action="append", default=[], help="FusionParams field=value")
    p.add_argument(
        "--translate",
        action="append",
        default=[],
        help="opentto.matching.translate constant=value (e.g. TABLE_CAP=30), set before the "
        "dictionary is read",
    )
    p.add_argument("--half", choices=("even", "odd"), default=None, help="use half the queries")
    p.add_argument("--lexical-only", action="store_true", help="no embeddings: lexical figures")
    p.add_argument(
        "--weights",
        default="0.1,0.15,0.2,0.25,0.3,0.45,0.6",
        help="lexical weights of the z-score sweep (comma-separated)",
    )
    args = p.parse_args()
    from opentto.matching import translate

    for kv in args.translate:
        k, v = kv.split("=")
        setattr(translate, k, type(getattr(translate, k))(v))
    eng = MatchEngine(None, dense=not args.lexical_only)
    if args.translation_weight is not None:
        eng.fusion.translation_weight = args.translation_weight
    if args.k3 is not None:
        eng.fusion.query_term_saturation = args.k3
    for kv in args.set:
        k, v = kv.split("=")
        setattr(eng.fusion, k, type(getattr(eng.fusion, k))(v))
    if args.k1 is not None:
        eng.bm25.k1 = args.k1
    if args.b is not None:
        eng.bm25.b = args.b
    eng.upsert(documents_from_rows(read_jsonl(args.corpus)))
    qrels = read_qrels(args.qrels)
    queries = [q for q in read_jsonl(args.queries) if q["_id"] in qrels]
    if args.half is not None:
        queries = queries[(args.half == "odd") :: 2]
        qrels = {q["_id"]: qrels[q["_id"]] for q in queries}
    if args.cached_only:  # A/B on the queries whose passage-mode vectors are already cached
        from opentto.matching.embeddings import content_key

        have = eng.embedder.cache.get_many([content_key(q["text"], "passage") for q in queries])
        queries = [q for q in queries if content_key(q["text"], "passage") in have]
        qrels = {q["_id"]: qrels[q["_id"]] for q in queries}
        print("queries:", len(queries))
    alive = np.array(eng.bm25.alive)
    rows = []
    for q in queries:
        sc = eng._scores(q["text"], "lexical" if args.lexical_only else "hybrid")
        rows.append((q["_id"], sc.lexical, sc.dense, sc.prepared.cross_lingual))
    print("cross-lingual queries:", sum(r[3] for r in rows))

    def run_of(fn):
        return {
            qid: [eng.slot_ids[i] for i in _top_indices(fn(lx, dn), 100)] for qid, lx, dn, _ in rows
        }

    def show(name, fn):
        m = evaluate(run_of(fn), qrels)
        print(
            f"{name:28s} ndcg {m['ndcg@10']:.4f} r10 {m['recall@10']:.3f} r100 {m['recall@100']:.3f} mrr {m['mrr@10']:.4f}",
            flush=True,
        )

    show("lexical", lambda lx, dn: lx)
    if args.lexical_only:
        return 0
    show("dense", lambda lx, dn: dn)
    for w in (float(x) for x in args.weights.split(",")):
        show(f"z w_lex={w}", lambda lx, dn, w=w: _znorm(dn, alive) + w * _znorm(lx, alive))
    if args.quick:
        return 0

    def topz(x, k=100):
        t = np.sort(x)[-k:]
        return (x - t.mean()) / max(t.std(), 1e-9)

    for w in (0.2, 0.3, 0.5, 0.7, 1.0):
        show(f"topz w_lex={w}", lambda lx, dn, w=w: topz(dn) + w * topz(lx))
    for w in (0.05, 0.1, 0.15, 0.2):
        show(f"max w_lex={w}", lambda lx, dn, w=w: dn + w * lx / max(lx.max(), 1e-9))
    for w in (0.3, 0.5, 1.0):

        def rrf(lx, dn, w=w):
            r = np.empty(len(lx))
            r[np.argsort(-lx)] = np.arange(len(lx))
            s = np.empty(len(dn))
            s[np.argsort(-dn)] = np.arange(len(dn))
            return w / (60 + r) + 1 / (60 + s)

        show(f"rrf w_lex={w}", rrf)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
