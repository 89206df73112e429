"""The demo network's provider coop, seeded through the real coop services after the rest of
the demo (`demo.network.seed_network` calls `seed_coop` last).

What it shows, all made the way a provider would make it:

- **Vetted by an Org**: the Thames Therapy Collective's coordinator (an `org_admin`) invites
  London therapists, they accept, the coordinator verifies them (`coop.vetting.verify_member`);
  the Harbour Wellness Clinic's admin (the demo therapist, Dr Amara Okafor) verifies the clinic's
  member Salon Lumière.
- **Vetted by peers**: two verified therapists endorse Dr Okafor (`coop.vetting.endorse`), which
  vets her (`MIN_ENDORSEMENTS` = 2); Lucía and Marcus stay unvetted.
- **Listings** (`coop.listing.publish`): every vetted provider lists what they may be matched on;
  Dr Okafor is full (not accepting), which makes an overflow hand-off meaningful.
- **A dense network, honestly**: warm intros need `settings.coop_intro_min_peers` vetted listed
  peers in the category and region (default 50). The threshold is **not** lowered for the demo:
  enough synthetic "Thames therapist NN" providers are seeded, vetted and listed in therapy in
  `gb-lnd` (the two named therapists count too) to reach it. When that would take more than
  `MAX_DEMO_PEERS`, the demo adds a few and leaves the intro out (the gate then refuses, as it
  would anywhere).
- **One warm intro in progress**: Dr Okafor introduces Jamie Clarke to Dr Femi Adeyemi
  (`workflows.coop.propose_intro`); Jamie answers YES (`coop.service.decide_by_reply`), so the
  intro awaits Dr Adeyemi (`coop intro accept` with his demo token).
- **One hand-off in progress**: Dr Okafor hands off Priya Nair as overflow, asking for EMDR
  (`workflows.coop.offer_handoff`); Priya answers YES, so the hand-off is `offering` and its
  live offer waits for Dr Hana Sato, the one peer listing EMDR (`coop offers`).

Nothing is shared without the prospect's granted consent: both shares go through
`coop.consent` and the YES is a recorded decision. The consent requests are handed to the
default log-only channel adapter, like any development send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from prospecting.coop import listing, vetting
from prospecting.coop import service as coop
from prospecting.coop.schemas import EndorseIn, ListingIn, Vouch
from prospecting.db import utcnow
from prospecting.identity import service as identity
from prospecting.identity.models import MembershipStatus, Org, OrgMembership, Person
from prospecting.identity.schemas import MembershipCreate, OrgCreate, PersonCreate
from prospecting.prospects.models import Prospect
from prospecting.runtime import Runtime
from prospecting.workflows import coop as coop_flows

log = logging.getLogger(__name__)

CATEGORY = "therapy"
REGION = "gb-lnd"
MAX_DEMO_PEERS = 200
"""The most synthetic peers the demo adds to reach `coop_intro_min_peers`; when more would be
needed it adds only `SPARSE_PEERS` (the network then shows as not dense)."""
SPARSE_PEERS = 8
COLLECTIVE = "Thames Therapy Collective"
FILLER_SERVICES = (["cbt"], ["counselling"], ["anxiety", "cbt"], ["grief"], ["counselling"])
FILLER_LANGUAGES = (["en"], ["en"], ["en", "fr"], ["en"], ["en", "es"])


@dataclass(frozen=True)
class _Peer:
    data: PersonCreate
    listing: ListingIn
    token: bool


def _therapist(name: str, services: list[str], languages: list[str], slots: int | None) -> _Peer:
    return _Peer(
        data=PersonCreate(
            display_name=name,
            service_categories=[CATEGORY],
            region="GB-LND",
            default_phone_region="GB",
            time_zone="Europe/London",
        ),
        listing=ListingIn(
            categories=[CATEGORY],
            region=REGION,
            services=services,
            languages=languages,
            accepting=slots != 0,
            open_slots=slots,
        ),
        token=False,
    )


FEMI = "Dr Femi Adeyemi (therapist)"
HANA = "Dr Hana Sato (therapist)"
NAMED = (
    replace(_therapist(FEMI, ["couples", "cbt"], ["en"], 2), token=True),
    replace(_therapist(HANA, ["emdr", "trauma"], ["en", "ja"], 3), token=True),
)


def _fillers(count: int) -> list[_Peer]:
    """Synthetic London therapists; every fifth is full, so the hand-off state stays `open`."""
    return [
        _therapist(
            f"Thames therapist {i + 1:02d}",
            FILLER_SERVICES[i % len(FILLER_SERVICES)],
            FILLER_LANGUAGES[i % len(FILLER_LANGUAGES)],
            0 if i % 5 == 4 else 1 + i % 4,
        )
        for i in range(count)
    ]


def seed_coop(runtime: Runtime, *, therapist: str, salon: str) -> dict[str, str]:
    """Seed the coop part of the demo (see the module doc) on top of the seeded demo network;
    `therapist` and `salon` are the display names of the demo's clinic admin and its member.
    Returns a token per named coop Person (the collective's coordinator and two therapists)."""
    settings = runtime.settings
    with runtime.stores.tenant() as session:
        okafor = _by_name(session, therapist)
        lumiere = _by_name(session, salon)
        tokens = _vet_and_list(session, okafor, lumiere, settings.coop_intro_min_peers)
        jamie = _prospect(session, okafor, "+447911123456")
        priya = _prospect(session, okafor, "+447400123456")
        femi = _by_name(session, FEMI)
    vouch = Vouch(
        known_for="1_to_3_years",
        attended_reliably=True,
        paid_on_time=True,
        respectful=True,
        would_see_again=True,
    )
    if settings.coop_intro_min_peers <= len(NAMED) + MAX_DEMO_PEERS:
        coop_flows.propose_intro(
            runtime,
            actor=okafor,
            prospect_id=jamie,
            receiver_id=femi.id,
            vouch=vouch,
            fields=["name", "phone"],
        )
    else:
        log.info("demo: intro left out (coop_intro_min_peers above the demo's peers)")
    coop_flows.offer_handoff(
        runtime,
        actor=okafor,
        prospect_id=priya,
        reason="overflow",
        category=CATEGORY,
        region=REGION,
        service="emdr",
        language="en",
        vouch=vouch.model_copy(update={"known_for": "under_3_months"}),
        fields=["name", "phone", "email"],
    )
    # Each prospect answers YES to the request they were sent (the reply path).
    with runtime.stores.tenant() as session:
        for prospect_id in (jamie, priya):
            coop.decide_by_reply(
                session=session,
                person_id=okafor.id,
                prospect_id=prospect_id,
                body="YES",
                now=utcnow(),
            )
    return tokens


def _vet_and_list(
    session: Session, okafor: Person, lumiere: Person, min_peers: int
) -> dict[str, str]:
    coordinator = identity.create_person(
        session=session,
        data=PersonCreate(
            display_name=f"{COLLECTIVE} coordinator",
            region="GB-LND",
            default_phone_region="GB",
            time_zone="Europe/London",
        ),
    )
    collective = identity.create_org(
        session=session, data=OrgCreate(name=COLLECTIVE), admin=coordinator
    )
    needed = max(0, min_peers - len(NAMED))
    fillers = _fillers(needed if needed <= MAX_DEMO_PEERS else SPARSE_PEERS)
    tokens = {}
    made: list[Person] = []
    for peer in (*NAMED, *fillers):
        person = identity.create_person(session=session, data=peer.data)
        identity.invite_member(
            session=session,
            actor=coordinator,
            org_id=collective.id,
            data=MembershipCreate(person_id=person.id),
        )
        identity.accept_invitation(session=session, actor=person, org_id=collective.id)
        vetting.verify_member(
            session=session, actor=coordinator, org_id=collective.id, person_id=person.id
        )
        listing.publish(session=session, actor=person, data=peer.listing)
        if peer.token:
            tokens[person.display_name] = identity.issue_token(
                session=session, person=person, name="demo"
            )[1]
        made.append(person)
    # The clinic's admin verifies the salon, a member of her clinic.
    clinic = _clinic_of(session, lumiere)
    vetting.verify_member(session=session, actor=okafor, org_id=clinic, person_id=lumiere.id)
    listing.publish(
        session=session,
        actor=lumiere,
        data=ListingIn(
            categories=["salon"],
            region=REGION,
            services=["colour", "cut"],
            languages=["en", "fr"],
            accepting=True,
            open_slots=4,
        ),
    )
    # Two verified peers endorse the therapist: vetted by peers, not by an Org.
    for endorser, basis in zip(made[:2], ("worked_alongside", "referred_clients"), strict=True):
        vetting.endorse(
            session=session,
            actor=endorser,
            data=EndorseIn(peer_id=okafor.id, basis=basis, known_for="over_3_years"),
        )
    listing.publish(
        session=session,
        actor=okafor,
        data=ListingIn(
            categories=[CATEGORY],
            region=REGION,
            services=["anxiety", "cbt"],
            languages=["en"],
            accepting=False,
            open_slots=0,
        ),
    )
    tokens[coordinator.display_name] = identity.issue_token(
        session=session, person=coordinator, name="demo"
    )[1]
    return tokens


def _by_name(session: Session, name: str) -> Person:
    person = session.scalars(select(Person).where(Person.display_name == name)).first()
    if person is None:
        raise LookupError(f"demo person missing: {name}")
    return person


def _clinic_of(session: Session, member: Person) -> str:
    org_id = session.scalar(
        select(Org.id)
        .join(OrgMembership, OrgMembership.org_id == Org.id)
        .where(
            OrgMembership.person_id == member.id,
            OrgMembership.status == MembershipStatus.ACTIVE,
        )
        .order_by(Org.created_at)
        .limit(1)
    )
    if org_id is None:
        raise LookupError("the demo salon belongs to no Org")
    return org_id


def _prospect(session: Session, owner: Person, phone: str) -> str:
    prospect_id = session.scalar(
        select(Prospect.id)
        .where(Prospect.person_id == owner.id, Prospect.phone_e164 == phone)
        .order_by(Prospect.created_at)
        .limit(1)
    )
    if prospect_id is None:
        raise LookupError("demo prospect missing")
    return prospect_id
