"""IR metrics for runs: nDCG@k, Recall@k, MRR@k (qrels: query -> {doc: relevance})."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

Qrels = dict[str, dict[str, int]]


def read_qrels(path: Path) -> Qrels:
    """TSV with a header ``query_id doc_id relevance``."""
    out: Qrels = {}
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader, None)
        for row in reader:
            if len(row) >= 3 and int(row[2]) > 0:
                out.setdefault(row[0], {})[row[1]] = int(row[2])
    return out


def read_run(path: Path) -> dict[str, list[str]]:
    """JSONL ``{"query_id", "doc_ids"}``."""
    run = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                run[r["query_id"]] = r["doc_ids"]
    return run


def evaluate(run: dict[str, list[str]], qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, Recall@10, Recall@100, MRR@10 over the judged queries."""
    sums = {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for qid, rel in qrels.items():
        ranked = run.get(qid, [])
        dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
        ideal = sorted(rel.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        sums["ndcg@10"] += dcg / idcg if idcg else 0.0
        sums["recall@10"] += len(set(ranked[:10]) & set(rel)) / len(rel)
        sums["recall@100"] += len(set(ranked[:100]) & set(rel)) / len(rel)
        sums["mrr@10"] += next((1.0 / (i + 1) for i, d in enumerate(ranked[:10]) if d in rel), 0.0)
    n = max(len(qrels), 1)
    return {k: v / n for k, v in sums.items()}
