"""Short (demand-style) cross-lingual queries mix in more of their translated terms' embedding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from opentto.matching import MatchEngine
from opentto.matching.passages import estimate_tokens

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
    assert (f.translated_dense_weight, f.short_translated_dense_weight) == (0.5, 0.7)
    assert f.symmetric_above_tokens == 150


def test_short_cross_lingual_query_uses_the_short_weight() -> None:
    eng, calls = _engine()
    assert estimate_tokens(SHORT) <= eng.fusion.symmetric_above_tokens
    cross, vector = _query_vector(eng, SHORT)
    assert cross
    assert [m for _, m in calls] == ["query", "query"]  # the query, then its translated terms
    assert calls[0][0] == (SHORT,)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in calls[1][0][0])  # Chinese translations
    np.testing.assert_allclose(vector, _mixed(eng, calls, 0.7), atol=1e-6)
    assert not np.allclose(vector, _mixed(eng, calls, 0.5), atol=1e-4)


def test_long_cross_lingual_query_keeps_the_document_weight() -> None:
    eng, calls = _engine()
    assert estimate_tokens(LONG) > eng.fusion.symmetric_above_tokens
    cross, vector = _query_vector(eng, LONG)
    assert cross
    assert [m for _, m in calls] == ["passage", "query"]
    np.testing.assert_allclose(vector, _mixed(eng, calls, 0.5), atol=1e-6)
    assert not np.allclose(vector, _mixed(eng, calls, 0.7), atol=1e-4)


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
