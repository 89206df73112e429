"""Every ORM module, imported so both metadata objects are complete (Alembic, tests)."""

from __future__ import annotations

from prospecting.coop import models as coop_models
from prospecting.graph import models as graph_models
from prospecting.identity import models as identity_models
from prospecting.prospects import models as prospects_models
from prospecting.qualify import models as qualify_models

MODEL_MODULES = (identity_models, prospects_models, graph_models, qualify_models, coop_models)


def load_all() -> None:
    """Kept for callers that want the import to read as an action; the imports above did it."""
