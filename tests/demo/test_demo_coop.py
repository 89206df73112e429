"""The demo network's coop part: vetted providers, one warm intro and one hand-off in progress,
seeded through the real services, and nothing shared without the prospect's granted consent."""

from __future__ import annotations

from sqlalchemy import select

from prospecting.coop import network, vetting
from prospecting.coop.models import (
    CoopAuditEntry,
    Handoff,
    HandoffOffer,
    HandoffStatus,
    Intro,
    IntroStatus,
    OfferStatus,
    ShareConsent,
    ShareStatus,
)
from prospecting.demo import coop as demo_coop
from prospecting.demo import network as demo
from prospecting.identity.models import Person
from prospecting.prospects.models import Prospect


def test_demo_seeds_vetted_peers_an_open_intro_and_an_open_handoff(runtime) -> None:
    seeded = demo.seed_network(runtime)
    assert {demo_coop.FEMI, demo_coop.HANA} <= set(seeded.tokens)
    with runtime.stores.tenant_read() as session:
        names = dict(session.execute(select(Person.id, Person.display_name)).all())
        vetted = {names[i] for i in vetting.vetted_ids(session=session)}
        okafor = session.scalars(
            select(Person).where(Person.display_name == demo.PROVIDERS[0].display_name)
        ).one()
        # Org-verified, peer-endorsed, and the two unvetted demo providers stay out.
        assert {demo_coop.FEMI, demo_coop.HANA, "Salon Lumière", okafor.display_name} <= vetted
        assert not {demo.PROVIDERS[1].display_name, demo.PROVIDERS[2].display_name} & vetted
        # The threshold is the configured one, met by real vetted listed peers.
        assert runtime.settings.coop_intro_min_peers == 50
        gate = network.feature_state(
            session=session,
            settings=runtime.settings,
            actor=okafor,
            feature="intros",
            category=demo_coop.CATEGORY,
            region=demo_coop.REGION,
        )
        assert gate.available and gate.state == "dense"

        intros = list(session.scalars(select(Intro)))
        handoffs = list(session.scalars(select(Handoff)))
        assert [i.status for i in intros] == [IntroStatus.AWAITING_PEER]
        assert names[intros[0].receiver_id] == demo_coop.FEMI
        assert [h.status for h in handoffs] == [HandoffStatus.OFFERING]
        offers = list(session.scalars(select(HandoffOffer)))
        assert [(names[o.candidate_id], o.status) for o in offers] == [
            (demo_coop.HANA, OfferStatus.OFFERED)
        ]

        # Every share that moved past asking has a granted consent, decided by the prospect.
        consents = {c.id: c for c in session.scalars(select(ShareConsent))}
        assert len(consents) == 2
        for row in [*intros, *handoffs]:
            consent = consents[row.consent_id]
            assert consent.status == ShareStatus.GRANTED and consent.decided_via == "reply"
            assert consent.prospect_id == row.prospect_id and consent.person_id == okafor.id
        granted = set(
            session.scalars(
                select(CoopAuditEntry.object_id).where(
                    CoopAuditEntry.action == "consent_granted",
                    CoopAuditEntry.actor == "prospect",
                )
            )
        )
        assert granted == set(consents)
        # Nobody has accepted yet, so no referred prospect row exists in anyone's tenant.
        referred = session.scalars(select(Prospect).where(Prospect.origin.is_not(None)))
        assert list(referred) == []
