"""The synonym pattern (``Analyzer._compile_synonyms``) against the plain one it replaced: the
same matches on every text, and the time of one ``finditer`` pass per text.

    .venv/bin/python bench/matching/synonym_pattern.py ../shared/bench/patentmatch

The plain pattern checks an English form's word boundary before its first character; ours checks
it after (so every branch starts with a literal the regex engine tests before entering it). Texts:
every ``text`` of the ``*.jsonl`` files in the folder, normalised as ``Analyzer.analyze`` does.
Exit status 1 when a text matches differently.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from opentto.matching.analysis import _HAS_CJK, Analyzer, normalize


def plain_pattern(an: Analyzer) -> re.Pattern[str]:
    forms = sorted(an._form_token, key=len, reverse=True)
    return re.compile(
        "|".join(
            re.escape(f)
            if _HAS_CJK.search(f)
            else rf"(?<![a-z0-9]){re.escape(f)}(?:e?s)?(?![a-z0-9])"
            for f in forms
        )
    )


def per_text_ms(pattern: re.Pattern[str], texts: list[str], repeat: int) -> list[float]:
    out = []
    for t in texts:
        started = time.perf_counter()
        for _ in range(repeat):
            for _m in pattern.finditer(t):
                pass
        out.append((time.perf_counter() - started) * 1000 / repeat)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path, help="a folder of .jsonl files with a 'text' field")
    parser.add_argument("--repeat", type=int, default=5, help="passes per text (the mean is taken)")
    args = parser.parse_args()
    texts = [
        normalize(json.loads(line)["text"])
        for f in sorted(args.folder.glob("*.jsonl"))
        for line in f.open(encoding="utf-8")
    ]
    an = Analyzer()
    ours, plain = an._syn_re, plain_pattern(an)
    assert ours is not None
    differ = [
        i
        for i, t in enumerate(texts)
        if [m.span() for m in ours.finditer(t)] != [m.span() for m in plain.finditer(t)]
    ]
    chars = statistics.mean(len(t) for t in texts)
    new, old = per_text_ms(ours, texts, args.repeat), per_text_ms(plain, texts, args.repeat)
    print(
        f"{len(texts)} texts, mean {chars:.0f} characters; texts matched differently: {len(differ)}"
    )
    print(
        f"plain pattern: mean {statistics.mean(old):.3f} ms per text ({statistics.mean(old) / chars * 1000:.2f} ms per 1,000 characters)"
    )
    print(
        f"our pattern:   mean {statistics.mean(new):.3f} ms per text ({statistics.mean(new) / chars * 1000:.2f} ms per 1,000 characters)"
    )
    print(f"speed-up: {sum(old) / sum(new):.1f}x")
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
