"""Translation disambiguation by co-occurrence in the index (``translate.cohere``,
``MatchEngine._cohesion``) and the weight of a cross-lingual query's own terms."""

from __future__ import annotations

import math

import pytest

from opentto.matching import Document, MatchEngine
from opentto.matching.translate import cohere, get_lexicon

# 横梁 (cross-beam) occurs with 框架 (frame); 波束 (radio beam) never does
DOCS = [
    Document("d1", "", "横梁和框架"),
    Document("d2", "", "横梁与框架焊接"),
    Document("d3", "", "波束天线"),
    Document("d4", "", "波束雷达天线"),
    Document("d5", "", "波束信号"),
]


@pytest.fixture()
def engine() -> MatchEngine:
    eng = MatchEngine(None, dense=False)
    eng.upsert(DOCS)
    return eng


def test_cohere_adds_the_cohesion_and_reranks_each_unit_once() -> None:
    a = [("x", 1.0), ("y", 0.5), ("z", 0.1)]
    b = [("u", 0.0)]
    calls: list[list[list[str]]] = []

    def cohesion(pools: list[list[str]]) -> list[list[float]]:
        calls.append(pools)
        return [[0.0, 1.0, 0.0], [0.25]]

    cohere([a, b, a], cohesion)  # the repeated unit is the same list: one pool
    assert calls == [[["x", "y", "z"], ["u"]]]
    assert a == [("y", 1.5), ("x", 1.0), ("z", 0.1)]
    assert b == [("u", 0.25)]
    # a single distinct unit has nothing to cohere with
    c = [("x", 1.0), ("y", 0.5)]
    cohere([c, c], lambda pools: [[0.0, 9.0]])
    assert c == [("x", 1.0), ("y", 0.5)]


def test_cohesion_is_the_smoothed_pmi_with_the_other_words(engine: MatchEngine) -> None:
    f = engine.fusion
    assert (f.translation_cohesion, f.cohesion_top, f.cohesion_smoothing) == (3.0, 3, 5.0)
    got = engine._cohesion([["波束", "横梁"], ["框架"]])
    # "beam"'s best candidates cover all 5 documents, "frame"'s 2 of 5 (base rate 0.4):
    # 波束: 0 of its 3 documents have 框架 -> log(((0 + 5 * 0.4) / (3 + 5)) / 0.4)
    # 横梁: 2 of 2 -> log(((2 + 5 * 0.4) / (2 + 5)) / 0.4); 框架: every document has a "beam"
    want = [[3.0 * math.log(0.25 / 0.4), 3.0 * math.log((4 / 7) / 0.4)], [0.0]]
    assert [[round(x, 9) for x in row] for row in got] == [
        [round(x, 9) for x in row] for row in want
    ]
    # a word missing from the index, or a single word: no evidence
    assert engine._cohesion([["波束"], ["没有"]]) == [[0.0], [0.0]]
    assert engine._cohesion([["波束", "横梁"]]) == [[0.0, 0.0]]


def test_cohesion_picks_the_sense_that_fits_the_other_words(engine: MatchEngine) -> None:
    lex = get_lexicon()
    df = engine.bm25.df
    # by corpus frequency alone "beam" is 波束 (3 documents against 2)
    plain = lex.translate("beam frame", df=df)
    assert [(z, round(w, 4)) for z, w, _ in plain] == [
        ("波束", 0.5714),
        ("横梁", 0.4286),
        ("框架", 1.0),
    ]
    # next to "frame", 横梁: P ∝ 3 · exp(-0.35 · 0.5 + 3.0 · log((4/7) / 0.4)) against
    # 4 · exp(-0.35 · 0.5 + 3.0 · log(0.25 / 0.4))
    got = lex.translate("beam frame", df=df, cohesion=engine._cohesion)
    p = 1.0 / (1.0 + (4 / 3) * math.exp(3.0 * (math.log(0.25 / 0.4) - math.log((4 / 7) / 0.4))))
    assert [(z, round(w, 4)) for z, w, _ in got] == [
        ("横梁", round(p, 4)),
        ("波束", round(1 - p, 4)),
        ("框架", 1.0),
    ]
    assert round(p, 4) == 0.8996
    # the engine uses it (translation_cohesion > 0) and ranks the frame documents first
    hits = engine.search("beam frame", mode="lexical")
    assert [h.id for h in hits][:2] == ["d1", "d2"]
    engine.fusion.translation_cohesion = 0.0
    off = engine._prepare("beam frame", True, False)
    assert off.terms["波束"] > off.terms["横梁"]


def test_cross_lingual_query_keeps_its_own_terms_at_a_lower_weight(engine: MatchEngine) -> None:
    prep = engine._prepare("beam frame", True, False)
    assert prep.cross_lingual
    # own terms (not in this Chinese index) at 0.35 of their weight; translations as before
    assert prep.terms["beam"] == pytest.approx(0.35) and prep.terms["frame"] == pytest.approx(0.35)
    k3t, tw = engine.fusion.translated_term_saturation, engine.fusion.translation_weight
    assert prep.terms["框架"] == pytest.approx(tw * 1.0 * (k3t + 1) / (k3t + 1.0))
    # a same-language query is untouched
    zh = engine._prepare("横梁框架", True, False)
    assert not zh.cross_lingual and zh.terms == {"横梁": 1.0, "框架": 1.0}


def test_cohesion_counts_live_documents_only(engine: MatchEngine) -> None:
    engine.remove(["d2"])
    assert engine.bm25.live_count == 4 and engine.bm25.n_slots == 5
    got = engine._cohesion([["波束", "横梁"], ["框架"]])
    # "frame" now in 1 of 4 live documents; 横梁 in 1 (with 框架), 波束 in 3 (without)
    want = [[3.0 * math.log((1.25 / 8) / 0.25), 3.0 * math.log((2.25 / 6) / 0.25)], [0.0]]
    assert [[round(x, 9) for x in row] for row in got] == [
        [round(x, 9) for x in row] for row in want
    ]


def test_unknown_hyphenated_word_is_looked_up_by_its_parts() -> None:
    lex = get_lexicon()
    # known as a whole ("x-ray", "e-mail"): kept; unknown: split, stop words dropped
    assert lex._query_words("X-ray of the e-mail and a high-frequency one-of-a-kind wire") == [
        "x-ray",
        "e-mail",
        "high",
        "frequency",
        "kind",
        "wire",
    ]
    # a part with digits: a code or model number, kept whole
    assert lex._query_words("an x9-policy for mo-99") == ["x9-policy", "mo-99"]
    # the parts then meet the dictionary's two-word gloss "high frequency"
    got = lex.translate("high-frequency", df=lambda z: {"高频": 3}.get(z, 0))
    assert got == [("高频", 1.0, "high frequency")]
