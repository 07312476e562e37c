"""Text analysis for BM25: Chinese segmentation (rjieba, search mode), English stemming,
synonym / abbreviation groups from ``data/synonyms.tsv`` and a domain dictionary.

Every token is a plain string. A synonym group adds the token ``"≡" + canonical`` wherever any
of its surface forms occurs (documents and queries alike), so "AI" matches "人工智能".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import rjieba
import snowballstemmer

SYN_PREFIX = "≡"

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*|\d+(?:\.\d+)?[a-z]+[a-z0-9]*|\d+")
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")

EN_STOP = frozenset(
    str.split(
        """a an the and or of to in on at by for with from as is are was were be been being this that
    these those it its into than then there their which who whom whose what when where while
    such can could may might shall should will would has have had do does did not no nor so
    also each other any all both more most some same only own very said wherein thereof
    thereby therein herein via one two first second further between about above below over
    under up down out off through during before after again once i we you he she they them our
    your his her"""
    )
)
ZH_STOP = frozenset(
    str.split(
        """的 了 和 与 及 或 等 在 是 为 对 以 于 将 由 从 其 该 所 所述 之 中 上 下 内 并 且 而 被 把
    个 一 一种 一个 包括 包含 具有 设有 用于 通过 可以 能够 进行 采用 使用 利用 实现 提供 本 此
    这 这种 这些 那 也 还 都 就 则 即 及其 以及 或者 并且 其中 所述的 至少 多个 若干"""
    )
)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class SynonymGroup:
    """Equivalent surface forms; ``canonical`` is the first one."""

    canonical: str
    forms: tuple[str, ...]

    @property
    def token(self) -> str:
        """The token that stands for the whole group."""
        return SYN_PREFIX + normalize(self.canonical)


def load_synonyms(text: str | None = None) -> list[SynonymGroup]:
    """Parse the synonym file (tab-separated groups, ``#`` comments)."""
    if text is None:
        text = resources.files("opentto.matching").joinpath("data/synonyms.tsv").read_text("utf-8")
    groups: list[SynonymGroup] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        forms = tuple(f.strip() for f in line.split("\t") if f.strip())
        if forms:
            groups.append(SynonymGroup(forms[0], forms))
    return groups


class Analyzer:
    """Turns text into BM25 tokens; thread-safe; keeps its own segmenter dictionary."""

    version = 1

    def __init__(self, synonyms: list[SynonymGroup] | None = None) -> None:
        self._jieba = rjieba.Jieba()
        self._lock = threading.Lock()
        self._stemmer = snowballstemmer.stemmer("english")
        self._stem_cache: dict[str, str] = {}
        self.synonyms = load_synonyms() if synonyms is None else synonyms
        self.user_words: set[str] = set()
        self._form_token: dict[str, str] = {}
        for g in self.synonyms:
            for f in g.forms:
                self._form_token[normalize(f)] = g.token
                if _HAS_CJK.search(f):
                    self.add_words([f])
        self._syn_re = self._compile_synonyms()

    def _compile_synonyms(self) -> re.Pattern[str] | None:
        forms = sorted(self._form_token, key=len, reverse=True)
        if not forms:
            return None
        parts = []
        for f in forms:
            if _HAS_CJK.search(f):
                parts.append(re.escape(f))
            else:
                # "not after a letter or digit", checked after the first character: every branch
                # then starts with a literal, which the regex engine tests before entering the
                # branch (6x faster than the lookbehind first, the same matches:
                # bench/matching/synonym_pattern.py)
                head, rest = re.escape(f[0]), re.escape(f[1:])
                parts.append(rf"{head}(?<![a-z0-9](?s:.)){rest}(?:e?s)?(?![a-z0-9])")
        return re.compile("|".join(parts))

    def add_words(self, words: Iterable[str]) -> list[str]:
        """Add domain terms (e.g. keywords) to the segmenter; returns the ones that were new."""
        new: list[str] = []
        for w in words:
            w = normalize(w).strip()
            if len(w) < 2 or len(w) > 24 or not _HAS_CJK.search(w) or w in self.user_words:
                continue
            if " " in w or not _CJK_RUN.fullmatch(w):
                continue
            with self._lock:
                self._jieba.add_word(w, None, None)
            self.user_words.add(w)
            new.append(w)
        return new

    def stem(self, word: str) -> str:
        """Snowball English stem (cached)."""
        s = self._stem_cache.get(word)
        if s is None:
            s = self._stemmer.stemWord(word)
            if len(self._stem_cache) < 200_000:
                self._stem_cache[word] = s
        return s

    def english_words(self, text: str) -> list[str]:
        """Stemmed English / alphanumeric words of already-normalised text, stopwords removed."""
        out: list[str] = []
        for m in _LATIN.finditer(text):
            w = m.group(0)
            if w in EN_STOP:
                continue
            if w.isdigit():
                if len(w) < 3:
                    continue
                out.append(w)
            else:
                out.append(self.stem(w))
        return out

    def chinese_tokens(self, run: str) -> list[str]:
        """Search-mode segmentation of one CJK run, stopwords and lone stop chars removed."""
        with self._lock:
            toks = self._jieba.cut_for_search(run)
        return [t for t in toks if t not in ZH_STOP]

    def chinese_words(self, run: str) -> list[str]:
        """Precise-mode segmentation of one CJK run (one word per position), stopwords removed."""
        with self._lock:
            toks = self._jieba.cut(run)
        return [t for t in toks if t not in ZH_STOP and _HAS_CJK.search(t)]

    def _group_token(self, form: str) -> str:
        for cand in (form, form[:-1], form[:-2]):
            tok = self._form_token.get(cand)
            if tok is not None:
                return tok
        raise KeyError(form)

    def synonym_tokens(self, text: str) -> list[str]:
        """One group token per synonym surface form (English plurals too) in normalised text."""
        if self._syn_re is None:
            return []
        return [self._group_token(m.group(0)) for m in self._syn_re.finditer(text)]

    def analyze(self, text: str) -> list[str]:
        """All BM25 tokens of a text (with repetitions)."""
        norm = normalize(text)
        tokens: list[str] = []
        for m in _CJK_RUN.finditer(norm):
            tokens.extend(self.chinese_tokens(m.group(0)))
        tokens.extend(self.english_words(_CJK_RUN.sub(" ", norm)))
        tokens.extend(self.synonym_tokens(norm))
        return tokens

    def surfaces(self, text: str, *, chinese: bool = True) -> dict[str, str]:
        """Token -> first surface form in the text (for explanations). A Chinese token is its
        own surface form: ``chinese=False`` leaves them out (no segmentation), for a caller that
        looks tokens up with themselves as the default."""
        norm = normalize(text)
        out: dict[str, str] = {}
        for m in _CJK_RUN.finditer(norm) if chinese else ():
            for t in self.chinese_tokens(m.group(0)):
                out.setdefault(t, t)
        for m in _LATIN.finditer(_CJK_RUN.sub(" ", norm)):
            w = m.group(0)
            if w in EN_STOP:
                continue
            out.setdefault(w if w.isdigit() else self.stem(w), w)
        if self._syn_re is not None:
            for m in self._syn_re.finditer(norm):
                out.setdefault(self._group_token(m.group(0)), m.group(0))
        return out

    @staticmethod
    def is_mostly_english(text: str) -> bool:
        """True when a text has more Latin letters than CJK characters."""
        cjk = len(_HAS_CJK.findall(text))
        latin = sum(1 for c in text if c.isascii() and c.isalpha())
        return latin > 2 * cjk
