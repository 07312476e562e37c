"""``opentto match``: rank a BEIR-style corpus for each query, without a database.

    opentto match --corpus CORPUS.jsonl --queries QUERIES.jsonl --top 100 --out RUN.jsonl
                  [--mode hybrid|lexical|dense] [--cache-dir DIR] [--index-dir DIR]

Corpus lines ``{"_id", "title", "text", ...}`` (other fields ignored), query lines
``{"_id", "text"}``; output lines ``{"query_id", "doc_ids": [...]}``, best first.
Embeddings are cached under ``$OPENTTO_CACHE_DIR/embeddings`` or ``var/cache/embeddings``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .embeddings import default_cache_dir
from .engine import MODES, MatchEngine, documents_from_rows


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Parse a JSON-lines file (blank lines skipped)."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (shared with the Django management command)."""
    p = argparse.ArgumentParser(prog="opentto match", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the ``match`` options to a parser."""
    p.add_argument("--corpus", required=True, type=Path, help="corpus JSONL")
    p.add_argument("--queries", required=True, type=Path, help="queries JSONL")
    p.add_argument("--out", required=True, type=Path, help="run JSONL to write")
    p.add_argument("--top", type=int, default=100, help="documents per query (default 100)")
    p.add_argument("--mode", choices=MODES, default="hybrid", help="default hybrid")
    p.add_argument("--cache-dir", type=Path, default=None, help="embedding cache directory")
    p.add_argument("--index-dir", type=Path, default=None, help="persist the index here")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    """Execute a parsed ``match`` invocation."""

    def say(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    t0 = time.time()
    corpus = documents_from_rows(read_jsonl(args.corpus))
    queries = read_jsonl(args.queries)
    cache = args.cache_dir if args.cache_dir is not None else default_cache_dir()
    engine = MatchEngine(args.index_dir, cache_dir=cache, dense=args.mode != "lexical")
    if engine.dense_enabled:
        engine.embedder.progress = lambda done, total: say(f"embedding {done}/{total}")
    engine.upsert(corpus)
    say(f"indexed {len(engine)} documents in {time.time() - t0:.1f}s")
    t1 = time.time()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for q in queries:
            hits = engine.search(str(q.get("text") or ""), top=args.top, mode=args.mode)
            line = {"query_id": str(q.get("_id", q.get("id"))), "doc_ids": [h.id for h in hits]}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    say(f"searched {len(queries)} queries in {time.time() - t1:.1f}s")
    engine.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse ``argv`` (without the program name) and run."""
    return run(build_parser().parse_args(list(argv) if argv is not None else None))


if __name__ == "__main__":
    raise SystemExit(main())
