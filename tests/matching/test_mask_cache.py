"""The engine remembers the masks of the last few frozensets of allowed ids (one per permission
scope), so a search with a scope's cached id set does not rebuild its mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from opentto.matching import Document, MatchEngine
from opentto.matching import engine as engine_module


def test_masks_of_frozensets_are_remembered_per_set_and_version(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    eng = MatchEngine(tmp_path / "idx", dense=False)
    eng.upsert([Document(str(i), title=f"robot arm {i}", text="control") for i in range(6)])
    built: list[int] = []
    real_zeros = np.zeros

    def counting_zeros(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("dtype") is bool:
            built.append(1)
        return real_zeros(*args, **kwargs)

    monkeypatch.setattr(engine_module.np, "zeros", counting_zeros)
    a, b = frozenset({"0", "1"}), frozenset({"2", "3", "4"})
    assert sorted(h.id for h in eng.search("robot", mode="lexical", allowed_ids=a)) == ["0", "1"]
    n = len(built)
    assert sorted(h.id for h in eng.search("robot", mode="lexical", allowed_ids=b)) == [
        "2",
        "3",
        "4",
    ]
    assert len(built) == n + 1
    eng.search("robot", mode="lexical", allowed_ids=a)
    eng.search("robot", mode="lexical", allowed_ids=b)
    assert len(built) == n + 1  # both masks remembered
    eng.search("robot", mode="lexical", allowed_ids=set(a))  # a plain set: built afresh each time
    assert len(built) == n + 2
    eng.upsert([Document("9", title="robot", text="arm")])  # a new version: masks rebuilt
    assert sorted(h.id for h in eng.search("robot", mode="lexical", allowed_ids=a)) == ["0", "1"]
    assert len(built) == n + 3
    eng.close()
