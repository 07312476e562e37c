"""Pre-fill the embedding cache for benchmark files (passages of corpora, whole queries)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from opentto.matching.embeddings import Embedder, default_cache_dir
from opentto.matching.passages import split_passages


def main(argv: list[str]) -> int:
    emb = Embedder(default_cache_dir(), batch_size=32)
    for arg in argv:
        kind, path = arg.split(":", 1)
        rows = [
            json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()
        ]
        texts: list[str] = []
        for r in rows:
            if kind == "corpus":
                body = "\n".join(x for x in (r.get("title") or "", r.get("text") or "") if x)
                texts.extend(split_passages(body))
            else:
                texts.append(r["text"])
        t = time.time()
        for i in range(0, len(texts), 128):
            emb.embed(texts[i : i + 128], "passage" if kind == "corpus" else "query")
            print(
                f"{path} {min(i + 128, len(texts))}/{len(texts)} {time.time() - t:.0f}s", flush=True
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
