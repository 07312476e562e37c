"""Run ``opentto match`` on the shared benchmark sets and print nDCG@10 / Recall / MRR.

    .venv/bin/python bench/matching/run_bench.py [BENCH_DIR] [--sets patentmatch-zh,...]
        [--modes hybrid,lexical,dense] [--out-dir var/bench/matching]

BENCH_DIR defaults to ``../shared/bench`` relative to the repository root.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import evaluate, read_qrels, read_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SETS = {
    "patentmatch-zh": (
        "patentmatch/corpus.zh.jsonl",
        "patentmatch/queries.zh.jsonl",
        "patentmatch/qrels.tsv",
    ),
    "patentmatch-en": (
        "patentmatch/corpus.zh.jsonl",
        "patentmatch/queries.en.jsonl",
        "patentmatch/qrels.tsv",
    ),
    "csl-title": ("csl/corpus.jsonl", "csl/queries.title.jsonl", "csl/qrels.title.tsv"),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bench_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "bench")
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument("--modes", default="lexical,dense,hybrid")
    p.add_argument("--out-dir", type=Path, default=ROOT / "var" / "bench" / "matching")
    p.add_argument("--top", type=int, default=100)
    args = p.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    print("| set | mode | nDCG@10 | Recall@10 | Recall@100 | MRR@10 | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        corpus, queries, qrels = (args.bench_dir / x for x in SETS[name])
        for mode in args.modes.split(","):
            out = args.out_dir / f"{name}.{mode}.jsonl"
            cmd = [
                sys.executable,
                "-m",
                "opentto.matching.cli",
                "--corpus",
                str(corpus),
                "--queries",
                str(queries),
                "--top",
                str(args.top),
                "--out",
                str(out),
                "--mode",
                mode,
                "--quiet",
            ]
            t = time.time()
            subprocess.run(cmd, check=True, cwd=ROOT)
            secs = time.time() - t
            m = evaluate(read_run(out), read_qrels(qrels))
            results.append({"set": name, "mode": mode, "seconds": round(secs, 1), **m})
            print(
                f"| {name} | {mode} | {m['ndcg@10']:.3f} | {m['recall@10']:.3f} | "
                f"{m['recall@100']:.3f} | {m['mrr@10']:.3f} | {secs:.0f} |",
                flush=True,
            )
    (args.out_dir / "results.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
