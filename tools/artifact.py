"""Writing a built model artifact (a JSON manifest beside a plain-array npz), shared by the
build tools in this folder."""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src" / "prospecting" / "qualify" / "data"


def built_with() -> dict[str, str]:
    """The versions a model was fitted with (recorded in its manifest)."""
    return {
        "python": platform.python_version(),
        "scikit-learn": metadata.version("scikit-learn"),
        "numpy": metadata.version("numpy"),
    }


def write(manifest: dict[str, object], blob: bytes, *, model_file: str, arrays_file: str) -> Path:
    """Write the arrays, then the manifest that names their hash; returns the manifest's path."""
    (DATA / arrays_file).write_bytes(blob)
    path = DATA / model_file
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
