"""Short (demand-style) cross-lingual queries mix in more of their translated terms' embedding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from opentto.matching import MatchEngine
from opentto.matching.engine import _znorm
from opentto.matching.passages import estimate_tokens
from opentto.matching.translate import dense_text

from .conftest import TINY, fake_embed

SHORT = "rice paddy weeding machine with a power chassis"
# document-length: far above FusionParams.symmetric_above_tokens, none of its words in TINY
LONG = " ".join(
    ["rice paddy weeding machine with a power chassis and a lifting hydraulic cylinder"] * 12
)


def _engine() -> tuple[MatchEngine, list[tuple[tuple[str, ...], str]]]:
    eng = MatchEngine(None, embed_fn=fake_embed)
    eng.upsert(TINY)
    eng.parallel_embedding = False
    calls: list[tuple[tuple[str, ...], str]] = []
    embed = eng.embedder.embed

    def recording(texts: Sequence[str], mode: str) -> np.ndarray:
        calls.append((tuple(texts), mode))
        return embed(texts, mode)

    eng.embedder.embed = recording  # type: ignore[method-assign]
    return eng, calls


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _query_vector(eng: MatchEngine, text: str) -> tuple[bool, np.ndarray]:
    prep = eng._prepare(text, need_lex=False, need_dense=True)
    vector = prep.resolve()
    assert vector is not None
    return prep.cross_lingual, vector


def _mixed(eng: MatchEngine, calls: list[tuple[tuple[str, ...], str]], weight: float) -> np.ndarray:
    """The query vector the engine should build from the texts it embedded."""
    (passages, mode), (words, words_mode) = calls[:2]  # (later calls: this helper's own)
    assert words_mode == "query" and len(words) == 1
    q = _unit(eng.embedder.embed(list(passages), mode).astype(np.float32).mean(axis=0))
    t = eng.embedder.embed(list(words), "query")[0].astype(np.float32)
    return _unit(q + weight * t)


def test_defaults() -> None:
    f = MatchEngine(None, dense=False).fusion
    assert (f.translated_dense_weight, f.short_translated_dense_weight) == (0.5, 1.4)
    assert (f.dense_translations_per_word, f.short_dense_translations_per_word) == (3, 1)
    assert f.symmetric_above_tokens == 150


def test_short_cross_lingual_query_uses_the_short_weight() -> None:
    eng, calls = _engine()
    assert estimate_tokens(SHORT) <= eng.fusion.symmetric_above_tokens
    cross, vector = _query_vector(eng, SHORT)
    assert cross
    assert [m for _, m in calls] == ["query", "query"]  # the query, then its translated terms
    assert calls[0][0] == (SHORT,)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in calls[1][0][0])  # Chinese translations
    np.testing.assert_allclose(vector, _mixed(eng, calls, 1.4), atol=1e-6)
    assert not np.allclose(vector, _mixed(eng, calls, 0.5), atol=1e-4)
    # one (the best) candidate per English word in the embedded text
    trans, _ = eng._translations(SHORT, True, 0, 8, True)
    assert calls[1][0][0] == dense_text(trans, per_source=1)
    assert dense_text(trans, per_source=1) != dense_text(trans, per_source=3)


def test_long_cross_lingual_query_keeps_the_document_weight() -> None:
    eng, calls = _engine()
    assert estimate_tokens(LONG) > eng.fusion.symmetric_above_tokens
    cross, vector = _query_vector(eng, LONG)
    assert cross
    assert [m for _, m in calls] == ["passage", "query"]
    np.testing.assert_allclose(vector, _mixed(eng, calls, 0.5), atol=1e-6)
    assert not np.allclose(vector, _mixed(eng, calls, 1.4), atol=1e-4)
    trans, _ = eng._translations(LONG, True, 0, 8, True)
    assert calls[1][0][0] == dense_text(trans, per_source=3)


@pytest.mark.parametrize(
    ("text", "field"), [(SHORT, "short_translated_dense_weight"), (LONG, "translated_dense_weight")]
)
def test_each_weight_only_moves_its_own_queries(text: str, field: str) -> None:
    eng, calls = _engine()
    _, before = _query_vector(eng, text)
    other = (
        "translated_dense_weight"
        if field == "short_translated_dense_weight"
        else "short_translated_dense_weight"
    )
    setattr(eng.fusion, other, 0.0)  # the other length's weight does not matter
    calls.clear()
    _, same = _query_vector(eng, text)
    np.testing.assert_array_equal(same, before)
    setattr(eng.fusion, field, 0.0)  # 0: the translated terms are not embedded at all
    calls.clear()
    _, alone = _query_vector(eng, text)
    assert len(calls) == 1
    q = eng.embedder.embed(list(calls[0][0]), calls[0][1]).astype(np.float32).mean(axis=0)
    np.testing.assert_allclose(alone, _unit(_unit(q)), atol=1e-6)


def test_same_language_query_embeds_no_translation() -> None:
    eng, calls = _engine()
    cross, _ = _query_vector(eng, "水田除草机")
    assert not cross and len(calls) == 1


def test_short_cross_lingual_query_has_its_own_lexical_weight() -> None:
    eng, _ = _engine()
    f = eng.fusion
    assert (f.lexical_weight, f.cross_lingual_lexical_weight) == (0.2, 0.3)
    f.lexical_weight, f.cross_lingual_lexical_weight = 0.11, 0.22
    f.short_cross_lingual_lexical_weight = 0.33
    assert [f.lexical_weight_of(c, s) for c in (False, True) for s in (False, True)] == [
        0.11,
        0.11,
        0.22,
        0.33,
    ]
    for text, cross, short, weight in (
        (SHORT, True, True, 0.33),
        (LONG, True, False, 0.22),
        ("水田除草机", False, True, 0.11),
    ):
        sc = eng._scores(text, "hybrid")
        assert (sc.prepared.cross_lingual, sc.prepared.short) == (cross, short)
        alive = eng.bm25.alive
        want = _znorm(sc.dense, alive) + weight * _znorm(sc.lexical, alive)
        np.testing.assert_allclose(sc.fused[alive], want[alive], atol=1e-5)
