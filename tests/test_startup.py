"""A fast start: the CLI, and reading a message with the packaged intent model, import neither
OpenDP nor scikit-learn (seconds of imports). Checked in fresh subprocesses by what they import,
never by how long they take: the timings are bench/startup.py's job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = frozenset({"opendp", "sklearn", "scipy", "lingua", "dateparser"})
PROSPECTING = Path(sys.executable).with_name("prospecting")


def _env(data_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTING_")}
    env |= {"PROSPECTING_MODE": "development", "PROSPECTING_SEED_DEMO": "false"}
    if data_dir is not None:
        env["PROSPECTING_DATA_DIR"] = str(data_dir)
    return env


def _prospecting(data_dir: Path | None, *args: str) -> tuple[str, set[str]]:
    """Run the console script: its stdout and the top-level packages it imported (from the
    interpreter's own import report, PYTHONPROFILEIMPORTTIME)."""
    assert PROSPECTING.exists(), f"the console script is not installed next to {sys.executable}"
    done = subprocess.run(
        [str(PROSPECTING), *args],
        env=_env(data_dir) | {"PYTHONPROFILEIMPORTTIME": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "prospecting" in imported, "no import report: PYTHONPROFILEIMPORTTIME ignored?"
    return done.stdout, imported


def test_help_imports_neither_opendp_nor_scikit_learn() -> None:
    stdout, imported = _prospecting(None, "--help")
    assert "Usage" in stdout
    assert imported.isdisjoint(HEAVY), sorted(imported & HEAVY)


@pytest.mark.parametrize(
    "module", ["prospecting.main", "prospecting.edges.cli.main", "prospecting.qualify.service"]
)
def test_importing_the_entry_points_loads_no_heavy_package(module: str) -> None:
    code = (
        f"import json, sys, {module}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert module.split(".")[0] in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & HEAVY)


def test_cli_commands_that_need_no_model_import_neither(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    heavy: dict[str, set[str]] = {}
    _, imported = _prospecting(data_dir, "migrate")
    heavy["migrate"] = imported & HEAVY
    stdout, imported = _prospecting(data_dir, "persons", "create", "--name", "Ada")
    heavy["persons create"] = imported & HEAVY
    person_id = stdout.strip().splitlines()[-1].strip()
    stdout, imported = _prospecting(data_dir, "persons", "list")
    heavy["persons list"] = imported & HEAVY
    assert person_id in stdout
    stdout, imported = _prospecting(data_dir, "tokens", "create", person_id)
    heavy["tokens create"] = imported & HEAVY
    assert stdout.strip()
    for args in (("qualify", "--help"), ("qualify", "train", "--help"), ("keys", "--help")):
        _, imported = _prospecting(data_dir, *args)
        heavy[" ".join(args)] = imported & HEAVY
    assert {command: found for command, found in heavy.items() if found} == {}


def test_reading_a_message_uses_the_packaged_model_without_scikit_learn() -> None:
    code = (
        "import json, sys\n"
        "from prospecting.qualify.intent import classify\n"
        "read = classify('Hi, can I book a haircut Thursday evening?', service_names=['Haircut'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'opendp'})\n"
        "print(json.dumps({'label': read.label, 'service': read.entities.requested_service,"
        " 'heavy': heavy}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert result == {"label": "booking_request", "service": "Haircut", "heavy": []}
