"""A small demo network, seeded into empty stores so `make run` shows something real.

Four providers in different categories and regions, one clinic Org, a privacy officer and an
operator; each provider gets inbound messages (some from the same person, to show local
de-duplication) and outcomes. Everything is fixed text, so two seeds give the same network
up to generated ids and tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prospecting.demo import qualify as qualify_demo
from prospecting.demo.coop import seed_coop
from prospecting.demo.graph import seed_graph
from prospecting.identity import service as identity
from prospecting.identity.models import Person, Role
from prospecting.identity.schemas import MembershipCreate, OrgCreate, PersonCreate
from prospecting.prospects import service as prospects
from prospecting.prospects.schemas import Channel, InboundMessage, Outcome, OutcomeIn
from prospecting.resolver.service import Resolver
from prospecting.runtime import Runtime

PROVIDERS = (
    PersonCreate(
        display_name="Dr Amara Okafor (therapist)",
        service_categories=["therapy"],
        region="GB-LND",
        default_phone_region="GB",
        time_zone="Europe/London",
    ),
    PersonCreate(
        display_name="Lucía Fernández (life coach)",
        service_categories=["coaching"],
        region="ES-MD",
        default_phone_region="ES",
        time_zone="Europe/Madrid",
    ),
    PersonCreate(
        display_name="Marcus Reid (personal trainer)",
        service_categories=["fitness"],
        region="US-NY",
        default_phone_region="US",
        time_zone="America/New_York",
    ),
    PersonCreate(
        display_name="Salon Lumière",
        service_categories=["salon"],
        region="GB-LND",
        default_phone_region="GB",
        time_zone="Europe/London",
    ),
)

# (provider index, channel, phone, email, name, body, outcome or None)
MESSAGES: tuple[
    tuple[int, Channel, str | None, str | None, str | None, str, Outcome | None], ...
] = (
    (
        0,
        Channel.SMS,
        "07911 123456",
        None,
        "Jamie Clarke",
        "Hi, do you have anything on Thursday evening for a first session?",
        Outcome.BOOKED,
    ),
    (
        0,
        Channel.EMAIL,
        None,
        "jamie.clarke+therapy@gmail.com",
        "Jamie Clarke",
        "Following up on my text, is Thursday still possible?",
        None,
    ),
    (
        0,
        Channel.WEB_FORM,
        "07400 123456",
        "priya.n@example.org",
        "Priya Nair",
        "How much is an initial consultation?",
        Outcome.GHOSTED,
    ),
    (
        0,
        Channel.SOCIAL_DM,
        None,
        None,
        "Jamie Clark",
        "hey saw your page, are you taking new clients?",
        None,
    ),
    (
        1,
        Channel.EMAIL,
        "+34 612 345 678",
        "carlos.m@example.es",
        "Carlos Martín",
        "Hola, ¿tienes disponibilidad la próxima semana para una sesión?",
        Outcome.BOOKED,
    ),
    (
        1,
        Channel.SMS,
        "612 345 678",
        None,
        None,
        "Perdona, ¿podemos pasarla al jueves?",
        Outcome.RESCHEDULED,
    ),
    (
        1,
        Channel.WEB_FORM,
        None,
        "ana.lopez@example.es",
        "Ana López",
        "What does a 3-month coaching package cost?",
        Outcome.DECLINED,
    ),
    (
        2,
        Channel.SMS,
        "(212) 555-0147",
        None,
        "Tyler Brooks",
        "yo can I get a session tmrw 6am?",
        Outcome.NO_SHOW,
    ),
    (
        2,
        Channel.PHONE_CALL,
        "212-555-0147",
        None,
        "Tyler Brooks",
        "Missed call, voicemail: sorry about yesterday, can we try again?",
        Outcome.BOOKED,
    ),
    (
        2,
        Channel.EMAIL,
        None,
        "seo-deals@example.net",
        "Growth Team",
        "We can get your gym to #1 on Google, reply for pricing!",
        Outcome.BLOCKED,
    ),
    (
        2,
        Channel.SMS,
        "+44 7911 123456",
        None,
        "Jamie Clarke",
        "Visiting New York next month, could I book two sessions?",
        Outcome.BOOKED,
    ),
    (
        3,
        Channel.SMS,
        "07911 123456",
        None,
        "Jamie Clarke",
        "Hi! Could I book a cut and colour for Saturday morning?",
        Outcome.BOOKED,
    ),
    (
        3,
        Channel.SOCIAL_DM,
        None,
        "priya.n@example.org",
        "Priya Nair",
        "How much for a balayage?",
        Outcome.GHOSTED,
    ),
)

BASE_TIME = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@dataclass
class DemoNetwork:
    tokens: dict[str, str]


def seed_network(runtime: Runtime) -> DemoNetwork:
    """Seed both stores: the tenant-side network (committed first, as every workflow does),
    then consents and noised contributions in the graph store, then the provider coop
    (`demo.coop`: vetted peers, one warm intro and one hand-off in progress)."""
    with runtime.stores.tenant() as session:
        network = seed(session=session, resolver=runtime.resolver)
    with runtime.stores.tenant_read() as tenant, runtime.stores.graph() as graph:
        seed_graph(tenant=tenant, graph=graph, settings=runtime.settings, resolver=runtime.resolver)
    therapist, salon = PROVIDERS[0].display_name, PROVIDERS[3].display_name
    network.tokens.update(seed_coop(runtime, therapist=therapist, salon=salon))
    return network


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Person))


def seed(*, session: Session, resolver: Resolver) -> DemoNetwork:
    """Create the demo network; returns one freshly issued token per demo Person."""
    providers = [identity.create_person(session=session, data=data) for data in PROVIDERS]
    officer = identity.create_person(
        session=session,
        data=PersonCreate(display_name="Privacy Officer", roles=[Role.PRIVACY_OFFICER]),
    )
    operator = identity.create_person(
        session=session,
        data=PersonCreate(display_name="Platform Operator", roles=[Role.PLATFORM_ADMIN]),
    )
    clinic = identity.create_org(
        session=session, data=OrgCreate(name="Harbour Wellness Clinic"), admin=providers[0]
    )
    # Joining is the Person's choice: the clinic's admin invites, the demo Person accepts.
    identity.invite_member(
        session=session,
        actor=providers[0],
        org_id=clinic.id,
        data=MembershipCreate(person_id=providers[3].id),
    )
    identity.accept_invitation(session=session, actor=providers[3], org_id=clinic.id)
    for i, (who, channel, phone, email, name, body, outcome) in enumerate(MESSAGES):
        actor = providers[who]
        received = BASE_TIME + timedelta(days=i, hours=who)
        result = prospects.ingest(
            session=session,
            actor=actor,
            resolver=resolver,
            message=InboundMessage(
                channel=channel,
                sender_phone=phone,
                sender_email=email,
                sender_name=name,
                body=body,
                received_at=received,
            ),
        )
        if outcome is not None:
            prospects.record_outcome(
                session=session,
                actor=actor,
                prospect_id=result.prospect.id,
                data=OutcomeIn(outcome=outcome, occurred_at=received + timedelta(hours=5)),
            )
    qualify_demo.seed(session=session, resolver=resolver, providers=providers)
    tokens = {}
    for person in [*providers, officer, operator]:
        _, plaintext = identity.issue_token(session=session, person=person, name="demo")
        tokens[person.display_name] = plaintext
    return DemoNetwork(tokens=tokens)
