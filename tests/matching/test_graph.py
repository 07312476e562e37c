"""The approximate dense pass's HNSW graph (usearch, ADR 0018): written with the snapshot, mapped
by every process that opens it, grown incrementally between snapshots, and bypassed by an exact
scan for a user who may see only a small share of the results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from opentto.matching import Document, MatchEngine
from opentto.matching import vectors as vectors_mod

from .conftest import fake_embed
from .test_matching_scale import QUERIES, corpus, run


def persisted(tmp_path: Path, docs: list[Document]) -> MatchEngine:
    eng = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.exact_limit = 0  # the graph is written for any index above exact_limit passages
    eng.upsert(docs)
    eng.save()
    return eng


def reopen(tmp_path: Path) -> MatchEngine:
    eng = MatchEngine(tmp_path / "i", cache_dir=tmp_path / "c", embed_fn=fake_embed)
    eng.exact_limit = 0
    return eng


def test_the_snapshot_carries_a_mapped_graph_that_finds_the_exact_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = corpus(400)
    persisted(tmp_path, docs).close()
    eng = reopen(tmp_path)
    graph = eng._vec.graph
    assert graph is not None and len(graph) == eng._vec.n_passages
    assert eng._vec.delta is None  # nothing added since the snapshot
    ref = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    ref.upsert(docs)
    assert not ref._approximate()
    monkeypatch.setattr(vectors_mod, "ANN_CANDIDATES", 10_000)  # the graph returns everything
    for mode in ("dense", "hybrid"):
        for got, want in zip(run(eng, mode, top=5), run(ref, mode, top=5), strict=True):
            assert [i for i, _ in got] == [i for i, _ in want], mode
    # 100 candidate passages of 400: nearly the same top 5 (ties may swap)
    monkeypatch.setattr(vectors_mod, "ANN_CANDIDATES", 100)
    pairs = zip(run(eng, "dense", top=5), run(ref, "dense", top=5), strict=True)
    overlap = [len({i for i, _ in a} & {i for i, _ in b}) for a, b in pairs]
    assert sum(overlap) >= 0.9 * 5 * len(QUERIES), overlap


def test_documents_added_after_the_snapshot_are_in_the_delta_graph_and_removed_ones_never_return(
    tmp_path: Path,
) -> None:
    persisted(tmp_path, corpus(300)).close()
    eng = reopen(tmp_path)
    base = eng._vec.n_passages
    new = Document("new", "", "一种用于深海探测的声呐阵列校准装置")
    eng.upsert([new])
    hits = eng.search(new.text, top=3, mode="dense")
    assert hits[0].id == "new"
    assert eng._vec.graph is not None and len(eng._vec.graph) == base
    assert eng._vec.delta is not None and len(eng._vec.delta) == eng._vec.n_passages - base
    eng.remove(["new", "g0"])
    for q in [new.text, *QUERIES]:
        ids = {h.id for h in eng.search(q, top=50, mode="dense")}
        assert "new" not in ids and "g0" not in ids
    # another process sees the change through the database (replayed), graph included
    other = reopen(tmp_path)
    assert "new" not in other and len(other) == 299


def test_a_small_allowed_share_is_scanned_exactly_and_a_large_one_through_the_graph(
    tmp_path: Path,
) -> None:
    docs = corpus(400)
    eng = persisted(tmp_path, docs)
    ref = MatchEngine(None, cache_dir=tmp_path / "c", embed_fn=fake_embed)
    ref.upsert(docs)
    q = eng._prepare(QUERIES[0], False, True).resolve()
    assert q is not None
    few = frozenset(d.id for d in docs[::80])  # 5 of 400: 1.25 % ≤ EXACT_SHARE
    assert eng._vec.ann(q, eng._mask(few) & eng._alive()) is None
    many = frozenset(d.id for d in docs[::2])
    near = eng._vec.ann(q, eng._mask(many) & eng._alive())
    assert near is not None and len(near) > 0
    assert {eng.slot_ids[int(s)] for s in near} <= many
    for allowed in (few, many):
        got = eng.search(QUERIES[0], top=5, mode="dense", allowed_ids=allowed)
        want = ref.search(QUERIES[0], top=5, mode="dense", allowed_ids=allowed)
        assert [h.id for h in got] == [h.id for h in want]
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=2e-3)
    assert np.all(np.isin([h.id for h in got], list(many)))
