"""Import every ORM module so both metadata objects are complete (Alembic, tests)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "prospecting.identity.models",
    "prospecting.prospects.models",
    "prospecting.graph.models",
    "prospecting.qualify.models",
)


def load_all() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
