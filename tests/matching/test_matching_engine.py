"""Engine: BM25 order, incremental updates, persistence, corruption, allowed_ids, explanations."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from opentto.matching import Document, MatchEngine
from opentto.matching.engine import DB_NAME

from .conftest import TINY, fake_embed


def ids(hits: list) -> list[str]:
    return [h.id for h in hits]


def test_bm25_exact_order_on_tiny_corpus() -> None:
    eng = MatchEngine(None, dense=False)
    assert eng.upsert(TINY) == 5
    assert ids(eng.search("除草机", mode="lexical")) == ["d1", "d3"]
    assert ids(eng.search("AI chip", mode="lexical")) == ["d4", "d5"]
    # synonyms: 人工智能 reaches the English "AI" document, 芯片 reaches 集成电路
    assert ids(eng.search("人工智能芯片", mode="lexical")) == ["d5", "d4"]
    assert ids(eng.search("甲氨基阿维菌素苯甲酸盐 除草剂", mode="lexical")) == ["d3", "d1"]
    # English query, Chinese document: CC-CEDICT translation of the query terms
    assert ids(eng.search("battery cathode material", mode="lexical")) == ["d2"]
    assert eng.search("量子通信", mode="lexical") == []


def test_bm25_scores_are_consistent_with_explanations() -> None:
    eng = MatchEngine(None, dense=False)
    eng.upsert(TINY)
    hit = eng.search("人工智能芯片", mode="lexical", explain=True)[0]
    ex = hit.explanation
    assert ex is not None and ex.doc_id == "d5"
    assert [(t.term, t.query_form, t.doc_form) for t in ex.terms] == [
        ("≡集成电路", "芯片", "集成电路"),
        ("芯片", "芯片", "芯片"),
    ]
    assert sum(t.score for t in ex.terms) == pytest.approx(hit.score, rel=1e-3)
    assert ex.lexical == pytest.approx(hit.score) and ex.best_passage.startswith("集成电路封装")


def test_hybrid_and_dense_modes_with_fake_embedder(fake_engine: MatchEngine) -> None:
    for mode in ("hybrid", "dense", "lexical"):
        hits = fake_engine.search("水田除草机", top=3, mode=mode)
        assert hits[0].id == "d1", mode
    ex = fake_engine.explain("水田除草机", "d1")
    assert (
        ex.dense > 0
        and ex.lexical > 0
        and ex.fused == pytest.approx(fake_engine.search("水田除草机", top=1)[0].score)
    )
    with pytest.raises(ValueError):
        fake_engine.search("x", mode="fuzzy")


def test_allowed_ids_never_leak(fake_engine: MatchEngine) -> None:
    for mode in ("hybrid", "lexical", "dense"):
        hits = fake_engine.search("除草机", top=10, mode=mode, allowed_ids={"d2", "d3"})
        assert set(ids(hits)) <= {"d2", "d3"}
        assert hits and hits[0].id == "d3"
    assert fake_engine.search("除草机", allowed_ids=set()) == []
    assert fake_engine.search("，。！  ") == []  # nothing to match on
    assert fake_engine.search("除草机", allowed_ids={"nope"}) == []
    only = fake_engine.search("除草机", top=2, filter=lambda i: i in {"d4", "d5"}, mode="dense")
    assert set(ids(only)) == {"d4", "d5"}


def test_incremental_upsert_update_remove(fake_engine: MatchEngine) -> None:
    assert fake_engine.upsert(TINY) == 0  # unchanged content is skipped
    assert fake_engine.upsert([Document("d6", "", "小型除草机：除草机底盘和除草机刀具")]) == 1
    assert ids(fake_engine.search("除草机", mode="lexical"))[:2] == ["d6", "d1"]
    fake_engine.upsert([Document("d6", "", "一种绿茶饮料")])  # update replaces the text
    assert ids(fake_engine.search("除草机", mode="lexical")) == ["d1", "d3"]
    assert ids(fake_engine.search("绿茶", mode="lexical")) == ["d6"]
    assert fake_engine.remove(["d6", "unknown"]) == 1
    assert fake_engine.search("绿茶", mode="lexical") == []
    assert "d6" not in fake_engine and len(fake_engine) == 5
    assert "d6" not in ids(fake_engine.search("绿茶饮料", top=10, mode="dense"))


def test_persistence_and_reload(tmp_path: Path) -> None:
    index = tmp_path / "index"
    eng = MatchEngine(index, cache_dir=tmp_path / "cache", embed_fn=fake_embed)
    assert eng.status == "created"
    eng.upsert(TINY)
    eng.remove(["d2"])
    before = [(h.id, round(h.score, 5)) for h in eng.search("集成电路 除草", top=5)]
    computed = eng.embedder.computed
    eng.close()
    again = MatchEngine(index, cache_dir=tmp_path / "cache", embed_fn=fake_embed)
    assert again.status == "loaded" and sorted(again.ids()) == ["d1", "d3", "d4", "d5"]
    assert [(h.id, round(h.score, 5)) for h in again.search("集成电路 除草", top=5)] == before
    assert computed == 6 and again.embedder.computed == 0  # 5 passages + 1 query, all cached
    again.close()


def test_older_format_is_rebuilt_from_stored_documents(tmp_path: Path) -> None:
    index = tmp_path / "index"
    eng = MatchEngine(index, cache_dir=tmp_path / "cache", embed_fn=fake_embed)
    eng.upsert(TINY)
    eng.close()
    db = sqlite3.connect(index / DB_NAME)
    db.execute("UPDATE meta SET v = '0' WHERE k = 'format'")
    db.execute("UPDATE docs SET terms = '{}'")  # derived data of the old format is ignored
    db.commit()
    db.close()
    eng = MatchEngine(index, cache_dir=tmp_path / "cache", embed_fn=fake_embed)
    assert eng.status == "rebuilt:format" and len(eng) == 5
    assert ids(eng.search("除草机", mode="lexical")) == ["d1", "d3"]
    assert eng.embedder.computed == 0  # vectors came from the embedding cache
    eng.close()
    meta = dict(sqlite3.connect(index / DB_NAME).execute("SELECT k, v FROM meta").fetchall())
    assert meta["format"] == "1"


def test_corrupt_index_is_rebuilt(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    (index / DB_NAME).write_bytes(b"this is not a database" * 100)
    eng = MatchEngine(
        index, cache_dir=tmp_path / "cache", embed_fn=fake_embed, source=lambda: TINY[:2]
    )
    assert eng.status == "rebuilt:corrupt" and sorted(eng.ids()) == ["d1", "d2"]
    assert any(p.name.startswith(DB_NAME + ".corrupt-") for p in index.iterdir())
    eng.close()
    eng = MatchEngine(index, cache_dir=tmp_path / "cache", embed_fn=fake_embed)
    assert eng.status == "loaded" and sorted(eng.ids()) == ["d1", "d2"]
    eng.close()


def test_corrupt_index_without_source_starts_empty(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    (index / DB_NAME).write_bytes(b"\x00garbage" * 500)
    eng = MatchEngine(index, cache_dir=tmp_path / "cache", embed_fn=fake_embed)
    assert eng.status == "rebuilt:corrupt" and len(eng) == 0
    assert eng.search("除草机") == []
    eng.close()


def test_keywords_extend_the_dictionary_and_reanalyse(tmp_path: Path) -> None:
    eng = MatchEngine(None, dense=False)
    eng.upsert([Document("a", "", "钙钛矿叠层电池的效率提升")])
    assert "钙钛矿叠层电池" not in eng.bm25.vocab
    eng.upsert([Document("b", "", "另一种电池", keywords=("钙钛矿叠层电池",))])
    # "a" was re-analysed with the new dictionary word, so both documents carry it
    assert eng.bm25.df("钙钛矿叠层电池") == 2
    assert ids(eng.search("钙钛矿叠层电池", mode="lexical"))[0] in {"a", "b"}


def test_run_file_roundtrip_shape() -> None:
    hit = MatchEngine(None, dense=False)
    hit.upsert(TINY)
    line = {"query_id": "q", "doc_ids": ids(hit.search("除草", mode="lexical"))}
    assert json.loads(json.dumps(line)) == {"query_id": "q", "doc_ids": ["d1", "d3"]}
