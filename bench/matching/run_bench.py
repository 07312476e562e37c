"""Run ``opentto match`` on the shared benchmark sets and print nDCG@10 / Recall / MRR.

    .venv/bin/python bench/matching/run_bench.py [BENCH_DIR] [--sets patentmatch-zh,...]
        [--modes hybrid,lexical,dense] [--out-dir var/bench/matching]

BENCH_DIR defaults to ``../shared/bench`` relative to the repository root. Sets:
patentmatch-zh (zh->zh), patentmatch-en (en->zh), patentmatch-zh-en (zh->en), csl-title, and
``<patentmatch set>-short``: the same with each query cut to its first sentence (demand-like).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import evaluate, read_qrels, read_run

from opentto.matching.analysis import Analyzer

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
    "patentmatch-zh-en": (
        "patentmatch/corpus.en.jsonl",
        "patentmatch/queries.zh.jsonl",
        "patentmatch/qrels.tsv",
    ),
    "csl-title": ("csl/corpus.jsonl", "csl/queries.title.jsonl", "csl/qrels.title.tsv"),
}
# Short, demand-style variants: each query cut to its first sentence, at most SHORT_CHARS
# characters (Chinese) or SHORT_CHARS_EN (English, at a word boundary).
for _name in ("patentmatch-zh", "patentmatch-en", "patentmatch-zh-en"):
    SETS[_name + "-short"] = SETS[_name]
SHORT_CHARS = 80
SHORT_CHARS_EN = 200
_SENTENCE_END = re.compile(r"[。；！？;!?]|\.(?:\s|$)")


def shorten(text: str) -> str:
    """The first sentence of ``text``, cut to a demand-like length."""
    m = _SENTENCE_END.search(text)
    first = text[: m.start()] if m else text
    if Analyzer.is_mostly_english(first):
        if len(first) > SHORT_CHARS_EN:
            first = first[:SHORT_CHARS_EN].rsplit(" ", 1)[0]
    else:
        first = first[:SHORT_CHARS]
    return first.strip()


def short_queries(src: Path, out_dir: Path, name: str) -> Path:
    """Write the shortened queries of ``src`` to ``out_dir`` and return the file."""
    out = out_dir / f"{name}.queries.jsonl"
    with src.open(encoding="utf-8") as fh, out.open("w", encoding="utf-8") as w:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                w.write(
                    json.dumps({"_id": q["_id"], "text": shorten(q["text"])}, ensure_ascii=False)
                )
                w.write("\n")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("bench_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "bench")
    p.add_argument("--sets", default="patentmatch-zh,patentmatch-en,patentmatch-zh-en,csl-title")
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
        if name.endswith("-short"):
            queries = short_queries(queries, args.out_dir, name)
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
