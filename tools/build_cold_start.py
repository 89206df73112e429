"""Rebuild the packaged cold-start "will book" model from a synthetic history.

A development tool, never shipped or run by the service: it writes into the source tree,
`src/prospecting/qualify/data/cold_start_model.json`.

    .venv/bin/python tools/build_cold_start.py
"""

from __future__ import annotations

import json
from pathlib import Path

from prospecting.demo.synthetic import build_cold_start
from prospecting.qualify.training import COLD_START_FILE

TARGET = Path(__file__).resolve().parents[1] / "src" / "prospecting" / "qualify" / "data"


def main() -> None:
    params = build_cold_start()
    path = TARGET / COLD_START_FILE
    path.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    print(f"cold-start model written to {path}: {params['metrics']}")


if __name__ == "__main__":
    main()
