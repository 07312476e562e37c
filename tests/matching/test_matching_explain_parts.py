"""Explanations add up: a hit's score equals its parts (``Explanation.basis``): the meaning
part, each matched term's share and the word side's corpus average (hybrid), the terms' shares
(lexical), on the exact and the approximate path; and the dictionary's plausible glosses."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from opentto.matching import Document, MatchEngine
from opentto.matching.translate import get_lexicon

from .conftest import fake_embed

ZH = [
    "锂电池",
    "隔膜",
    "正极材料",
    "电解液",
    "机械臂",
    "强化学习",
    "二尖瓣",
    "夹合器",
    "除草剂",
    "芯片",
    "封装",
    "散热",
    "图像识别",
    "算法",
    "传感器",
    "水稻",
    "容量",
    "涂层",
    "催化剂",
    "疫苗",
]
EN = [
    "lithium battery",
    "separator",
    "cathode",
    "electrolyte",
    "robot arm",
    "reinforcement learning",
    "mitral valve",
    "clip",
    "herbicide",
    "chip",
    "packaging",
    "heat",
    "image recognition",
    "algorithm",
    "sensor",
    "rice",
    "capacity",
    "coating",
    "catalyst",
    "vaccine",
]


def _corpus(n: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        zh = "，".join(rng.sample(ZH, 5)) + "。" + "".join(rng.sample(ZH, 3)) + "的方法。"
        en = " ".join(rng.sample(EN, 4)) if i % 3 == 0 else ""
        docs.append(Document(f"d{i}", "".join(rng.sample(ZH, 2)), zh + "\n" + en))
    return docs


def _queries(seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(25):
        words = rng.sample(ZH, rng.randint(1, 4)) if i % 2 else rng.sample(EN, rng.randint(1, 3))
        out.append(("，" if i % 2 else " ").join(words) + ("的需求" if i % 5 == 1 else ""))
    return out


def _sum_of_parts(hit) -> float:
    why = hit.explanation
    b = why.basis
    return (
        b.dense_part(why.dense) + sum(b.term_part(t.score) for t in why.terms) + b.lexical_offset()
    )


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> tuple[MatchEngine, MatchEngine]:
    root: Path = tmp_path_factory.mktemp("parts")
    docs = _corpus(120)
    exact = MatchEngine(None, cache_dir=root / "c", embed_fn=fake_embed)
    exact.upsert(docs)
    approx = MatchEngine(None, cache_dir=root / "c", embed_fn=fake_embed)
    approx.upsert(docs)
    approx.exact_limit = 0
    return exact, approx


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "dense"])
def test_the_parts_add_up_to_the_score_for_many_pairs(
    engines: tuple[MatchEngine, MatchEngine], mode: str
) -> None:
    checked = 0
    for eng in engines:
        for q in _queries():
            for hit in eng.search(q, top=10, mode=mode, explain=True):
                why = hit.explanation
                assert why is not None and why.basis is not None and why.basis.mode == mode
                assert _sum_of_parts(hit) == pytest.approx(hit.score, abs=0.005), (q, hit.id)
                checked += 1
    assert checked > 300


def test_explain_of_one_document_adds_up_too(engines: tuple[MatchEngine, MatchEngine]) -> None:
    exact, approx = engines
    for eng in (exact, approx):
        for q in _queries()[:6]:
            why = eng.explain(q, "d3")
            assert why.basis is not None
            b = why.basis
            total = (
                b.dense_part(why.dense)
                + sum(b.term_part(t.score) for t in why.terms)
                + b.lexical_offset()
            )
            assert total == pytest.approx(why.fused, abs=0.005)


def test_hybrid_basis_is_the_fusion_weights() -> None:
    eng = MatchEngine(None, embed_fn=fake_embed)
    eng.upsert(_corpus(30))
    hit = eng.search("锂电池，隔膜", top=1, mode="hybrid", explain=True)[0]
    b = hit.explanation.basis
    assert (b.mode, b.dense_weight, b.lexical_weight) == ("hybrid", 1.0, 0.2)
    assert b.lexical_offset() < 0 < b.lexical_sd and b.dense_sd > 0


@pytest.mark.parametrize(
    ("form", "context", "gloss"),
    [
        ("锂电池", "", "lithium battery"),  # the dictionary's only sense
        ("二尖瓣", "", "mitral valve"),
        ("容量", "", "capacity"),  # first sense, whose best Chinese word is 容量 again
        ("材料", "", None),  # "material" or "data": ambiguous out of context
        ("材料", "new battery material", "material"),  # the texts tell
        ("隔膜", "battery separator", None),  # no sense of the dictionary is "separator"
        ("锂电池", "a battery", None),  # texts in English without its sense: not corroborated
        ("capacity", "电池容量", "容量"),
        ("capacity", "电池体积", None),
        ("arms", "机械臂的手臂", "手臂"),  # a plural: the sense is "arm"
        ("glass", "玻璃", "玻璃"),  # not the single character 玻 (whose sense is "glass" too)
        ("machine learning", "", "机器学习"),
        ("separator", "", None),  # "separate" is not "separator"
        ("mitral valve", "", "二尖瓣"),  # the synonym file's pairing
        ("robot", "", "机器人"),
        ("", "", None),
        ("锂 battery", "", None),  # mixed scripts
    ],
)
def test_gloss_gives_plausible_translations_only(
    form: str, context: str, gloss: str | None
) -> None:
    assert get_lexicon().gloss(form, context) == gloss
