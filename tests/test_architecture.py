"""The layer contract has teeth: an upward import makes `lint-imports` fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_package_keeps_its_layers(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    graph = tree / "src" / "prospecting" / "graph" / "network.py"
    graph.write_text(graph.read_text() + "\nfrom prospecting.qualify import signals  # upward\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "prospecting.graph is not allowed to import prospecting.qualify" in result.stdout


def test_edges_stay_independent(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    mcp = tree / "src" / "prospecting" / "edges" / "mcp" / "graph.py"
    mcp.write_text(mcp.read_text() + "\nfrom prospecting.edges.http import deps  # sideways\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "prospecting.edges.mcp is not allowed to import prospecting.edges.http" in result.stdout
