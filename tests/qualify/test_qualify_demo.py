"""The demo network carries profiles, a history with outcomes, and pending drafts."""

from __future__ import annotations

from sqlalchemy import func, select

from prospecting.demo import network as demo
from prospecting.demo import qualify as demo_data
from prospecting.qualify.models import Draft, DraftingProfile, Qualification


def test_generation_is_deterministic_and_realistic():
    first, again = demo_data.generate(3, per_provider=30), demo_data.generate(3, per_provider=30)
    assert [(p.name, [m.text for m in p.messages]) for p in first] == [
        (p.name, [m.text for m in p.messages]) for p in again
    ]
    assert len({m.text for p in first for m in p.messages}) > 60
    outcomes = [p.outcome[1] for p in first if p.outcome]
    assert {"booked", "ghosted", "blocked"} <= {o.value for o in outcomes}
    assert any(p.graph is not None for p in first) and any(p.graph is None for p in first)


def test_demo_seed_gives_every_provider_a_profile_history_and_pending_drafts(runtime):
    with runtime.stores.tenant() as session:
        demo.seed(session=session, resolver=runtime.resolver)
    with runtime.stores.tenant() as session:
        profiles = session.scalar(select(func.count()).select_from(DraftingProfile))
        qualified = session.scalar(select(func.count()).select_from(Qualification))
        pending = session.scalar(
            select(func.count()).select_from(Draft).where(Draft.status == "pending")
        )
        languages = set(session.scalars(select(Qualification.language)))
    assert profiles == 4
    assert qualified >= 200
    assert pending >= 10
    assert {"en", "es"} <= languages
