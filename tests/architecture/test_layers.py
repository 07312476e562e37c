"""The layers hold (docs/architecture.md, "Layers"; issue 19): every app sits in one layer of the
import-linter contract in pyproject.toml, ``lint-imports`` keeps every contract, an import from a
lower layer up to a higher one (at module level or inside a function) breaks it, the contract
ignores no import, and the apps' import graph has no cycle."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grimp
import pytest

from .test_import_graph import cycles

pytestmark = pytest.mark.one_database  # the code's imports: no database engine involved

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
#: Packages of opentto that are no app and import none: configuration and data.
NOT_LAYERED = {"settings"}


def _importlinter() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]


def _layers_contract() -> dict[str, Any]:
    found = [c for c in _importlinter()["contracts"] if c["type"] == "layers"]
    assert len(found) == 1, "one layers contract in pyproject.toml"
    return found[0]


def _layers() -> list[list[str]]:
    """The contract's layers, top first, each the list of its modules."""
    return [[m.strip() for m in re.split(r"[|:]", layer)] for layer in _layers_contract()["layers"]]


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_every_app_sits_in_one_layer() -> None:
    placed = [m for layer in _layers() for m in layer]
    assert len(placed) == len(set(placed)), "an app in two layers"
    packages = {
        f"opentto.{p.name}" for p in (ROOT / "opentto").iterdir() if (p / "__init__.py").is_file()
    }
    assert packages - {f"opentto.{n}" for n in NOT_LAYERED} <= set(placed), (
        "an app in no layer (add it to pyproject.toml and docs)"
    )
    # The bottom and the top: the pure packages and core below everything, the demo above.
    assert _layers()[-1] == ["opentto.celery", "opentto.formats", "opentto.matching"]
    assert _layers()[-2] == ["opentto.core"]
    assert _layers()[0] == ["opentto.demo"]


def test_the_contracts_are_kept() -> None:
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Layers: each app imports only from the layers below it KEPT" in run.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The code and the contracts, copied (only the Python and the configuration)."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "opentto",
        root / "opentto",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates", "data"),
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    assert _lint(root).returncode == 0  # the copy keeps the contracts before anything is planted
    yield root


@pytest.mark.parametrize(
    ("module", "source", "reported"),
    [
        # core imports no app
        (
            "opentto/core/planted.py",
            "from opentto.dashboard import views\n",
            "opentto.core.planted -> opentto.dashboard.views",
        ),
        # an import inside a function counts as much as one at the top
        (
            "opentto/results/planted.py",
            "def later():\n    from opentto.landing import models\n",
            "opentto.results.planted -> opentto.landing.models",
        ),
        # siblings of one layer that must not know each other (access | rights)
        (
            "opentto/access/planted.py",
            "import opentto.rights.hooks\n",
            "opentto.access.planted -> opentto.rights.hooks",
        ),
        # the demo sits above every app: no app reads the demo's story
        (
            "opentto/evaluation/planted.py",
            "from opentto.demo.story import ROBOT_ARM_KEY\n",
            "opentto.evaluation.planted -> opentto.demo.story",
        ),
    ],
)
def test_an_upward_import_breaks_the_layers(
    tree_copy: Path, module: str, source: str, reported: str
) -> None:
    path = tree_copy / module
    path.write_text(source, encoding="utf-8")
    try:
        run = _lint(tree_copy)
    finally:
        path.unlink()
    assert run.returncode == 1, run.stdout
    assert "Layers: each app imports only from the layers below it BROKEN" in run.stdout
    assert f"- {reported} (l." in run.stdout


def test_the_layers_contract_ignores_no_import() -> None:
    assert "ignore_imports" not in _layers_contract()


def test_the_apps_import_graph_has_no_cycle() -> None:
    """App A imports app B when a module of A imports one of B (``opentto.urls`` and the other
    modules at the root are the composition root, not apps)."""
    graph = grimp.build_graph("opentto", cache_dir=None)
    apps: dict[str, set[str]] = {}
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 3 or ".migrations" in module:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")
            if len(target) >= 2 and target[1] != parts[1]:
                apps.setdefault(parts[1], set()).add(target[1])
    assert cycles(apps) == []
