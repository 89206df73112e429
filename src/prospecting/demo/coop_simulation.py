"""The provider coop in the simulated network: what intros and hand-offs recover, at what cost.

Why: the coop exists to turn requests a provider cannot take (full this week, or not their
kind of work) into bookings elsewhere, without anything about the person leaving before they
agreed. This module replays `demo.simulation`'s network twice through the real services, on
throwaway SQLite stores, and compares:

- **without the coop**: a request the provider cannot take is lost: the provider reads it,
  answers with a decline, and nobody books;
- **with the coop**: the provider offers a hand-off (`workflows.coop.offer_handoff`) or, where
  the network is dense enough, a warm intro to a named vetted peer
  (`workflows.coop.propose_intro`); the simulated person answers the consent request on the
  page (the token in the notice the channel got) or with a YES/NO reply in the conversation
  (`workflows.inbound.receive`), or never answers (expiry, `workflows.coop.sweep`); the peer
  accepts (`accept_intro` / `accept_handoff`), declines, or lets the offer time out (the sweep
  cascades it to the next candidate); the winner books with a probability from the person's
  kind and reports the outcome (structured).

What is added to the network (deterministic per seed, a random stream of its own so the
network itself is `simulation.generate`'s): a weekly count of new-client slots per provider
(`CoopConfig.weekly_slots`), the languages each provider works in and the language each person
needs. A request is **wrong-fit** when the person's category is not the provider's or the
provider does not work in their language; it is **overflow** when it would take a slot
(booked, rescheduled or no-show in the truth) and the provider has none left that week.
Blocked people (abusive, spam) are never referred.

The coop runs with its real gates: an Org admin verifies some providers, vetted providers
endorse others (two endorsements vet), some stay unvetted (they cannot refer, nor receive);
listings are published with the week's open slots, so a full provider's overflow reason is
accepted and candidates are the peers with capacity. `coop_intro_min_peers` is lowered to what
the simulated network can reach when the product default is above it, and the report says so.

Flows run synchronously at the simulated contact (the coop's clocks are wall time: consent
TTLs, offer timeouts); an expiry or timeout is applied by a sweep at the row's own deadline,
while nothing else is open. Ids are drawn from the seed during a replay
(`deterministic_ids`), so the ranking's last tie-break (person id) and therefore every figure
is the same for the same seed.

Provider minutes: each inbound message costs what `simulation_metrics.MINUTES` says (a held
draft is reviewed by hand, else one tap), each no-show its slot; the coop's own steps cost
`COOP_MINUTES` (rules in `COOP_MINUTE_RULES`, printed with the report).
"""

from __future__ import annotations

import random
import re
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from prospecting import db
from prospecting.config import Settings
from prospecting.coop import handoffs, intros, listing, network, vetting
from prospecting.coop import service as coop_service
from prospecting.coop.models import (
    Handoff,
    HandoffOffer,
    HandoffStatus,
    Intro,
    IntroStatus,
    OfferStatus,
    ShareConsent,
    ShareStatus,
)
from prospecting.coop.schemas import EndorseIn, ListingIn, ShareField, Vouch
from prospecting.demo.simulation import (
    SERVICES,
    Contact,
    Kind,
    Network,
    SimPerson,
    SimProvider,
    SimulationSettings,
    create_provider,
    generate,
    provider_profile,
    simulation_settings,
)
from prospecting.demo.simulation_metrics import MINUTES
from prospecting.errors import FeatureUnavailable, NotVetted
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.identity.schemas import MembershipCreate, OrgCreate, PersonCreate
from prospecting.prospects.models import Prospect
from prospecting.prospects.schemas import (
    POSITIVE_OUTCOMES,
    Channel,
    InboundMessage,
    Outcome,
    OutcomeIn,
)
from prospecting.qualify.models import OutboxItem
from prospecting.runtime import Runtime
from prospecting.workflows import coop as coop_flow
from prospecting.workflows import inbound, outcomes

Reason = Literal["overflow", "wrong_fit"]

CONSENT_ANSWERS: dict[str, tuple[float, float]] = {
    "decider": (0.80, 0.10),
    "shopper": (0.55, 0.25),
    "tire_kicker": (0.30, 0.30),
    "no_shower": (0.60, 0.15),
}
"""Per kind: P(yes), P(no) to a consent request; the rest never answer (expiry)."""

REFERRED_OUTCOMES: dict[str, tuple[tuple[Outcome, float], ...]] = {
    "decider": ((Outcome.BOOKED, 0.68), (Outcome.RESCHEDULED, 0.07), (Outcome.DECLINED, 0.25)),
    "shopper": ((Outcome.BOOKED, 0.36), (Outcome.RESCHEDULED, 0.04), (Outcome.GHOSTED, 0.60)),
    "tire_kicker": ((Outcome.BOOKED, 0.10), (Outcome.GHOSTED, 0.90)),
    "no_shower": ((Outcome.NO_SHOW, 0.55), (Outcome.BOOKED, 0.15), (Outcome.GHOSTED, 0.30)),
}
"""What a referred person of each kind does at the peer who took them (truth of the sim)."""

SLOT_OUTCOMES = frozenset({Outcome.BOOKED, Outcome.RESCHEDULED, Outcome.NO_SHOW})
"""Outcomes that take one of the provider's new-client slots of that week."""

REMOTE_CATEGORIES = frozenset({"therapy", "coaching", "tutoring"})
"""Work that can be done online: a hand-off may go to any region when none is open nearby."""

COOP_MINUTES = {
    "decline_reply": 1.0,
    "offer_handoff": 1.0,
    "propose_intro": 2.0,
    "read_offer": 0.5,
    "answer_offer": 0.25,
    "read_intro": 1.0,
    "take_referred": 1.0,
    "report_outcome": 0.25,
}
COOP_MINUTE_RULES = (
    "each inbound message (first contact, or a YES/NO reply to a consent request): "
    "review_by_hand when its draft is held for review, else one_tap_draft (simulation MINUTES)",
    "each no-show: no_show_slot (simulation MINUTES; no deposit modelled here)",
    "a request the provider cannot take and does not refer (no coop, not vetted, no peer): "
    "decline_reply",
    "referring: offer_handoff (reason, scope, fields) or propose_intro (named peer, vouch)",
    "a referral that ends without a taker after the person said yes (exhausted, peer declined "
    "or silent): decline_reply by the sender",
    "each hand-off offer a candidate gets: read_offer, plus answer_offer when they answer it",
    "each intro that reaches its peer: read_intro (accepting or declining included)",
    "the taker of a referral: take_referred (read the new prospect, send the drafted first "
    "message) and report_outcome",
    "bookings: outcomes booked or rescheduled (at the first provider or the taker)",
)

WEEK = timedelta(days=7)
_TOKEN = re.compile(r"/consent/([A-Za-z0-9_\-]+)")


@dataclass(frozen=True)
class CoopConfig:
    """The assumptions of the coop replay (every probability is per event, seeded)."""

    weekly_slots: tuple[int, ...] = (1, 1, 1, 2)
    """New-client slots per week, drawn per provider from these."""
    person_languages: tuple[tuple[str, float], ...] = (("en", 0.86), ("es", 0.09), ("fr", 0.05))
    provider_extra_languages: tuple[tuple[str, float], ...] = (("es", 0.3), ("fr", 0.15))
    """Every provider works in English; these others with these probabilities."""
    verified_share: float = 0.4
    """Providers an Org admin verifies; the rest may be endorsed by two verified peers."""
    endorsed_share: float = 0.8
    """Of the others, those endorsed by two vetted peers; the rest stay unvetted."""
    intro_share: float = 0.5
    """Where warm intros are available and a fitting peer is known: P(intro) over hand-off."""
    reply_share: float = 0.5
    """A person who answers does so by a YES/NO reply with this probability, else on the page."""
    peer_accept: float = 0.85
    """A peer with a free slot this week accepts with this probability..."""
    peer_silent: float = 0.05
    """...lets the offer or intro time out with this one, and otherwise declines."""
    intro_min_peers: int | None = None
    """None: the product default, lowered to the network's reach when above it."""


@dataclass
class FlowCounts:
    proposed: int = 0
    consented: int = 0
    declined_by_prospect: int = 0
    expired: int = 0
    accepted: int = 0
    declined_by_peer: int = 0
    exhausted: int = 0
    offers: int = 0
    offers_declined: int = 0
    offers_timed_out: int = 0
    peer_silent: int = 0
    booked: int = 0


@dataclass
class Arm:
    """One replay's figures: with the coop or without."""

    coop: bool
    contacts: int = 0
    bookings: int = 0
    bookings_direct: int = 0
    overflow: int = 0
    wrong_fit: int = 0
    blocked: int = 0
    referrals_refused: Counter[str] = field(default_factory=Counter)
    recovered: Counter[str] = field(default_factory=Counter)
    intros: FlowCounts = field(default_factory=FlowCounts)
    handoffs: FlowCounts = field(default_factory=FlowCounts)
    consent_replies: int = 0
    consent_pages: int = 0
    minutes: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    wall_seconds: float = 0.0
    consentless_shares: int = 0
    referred_rows: int = 0
    vetted_providers: int = 0
    accept_errors: int = 0
    """Acceptances the product refused with a database error (the taker then declines): a
    referred person the taker already knows by two identifiers made `create_referred` insert
    one merge suggestion twice (UNIQUE merge_suggestions); 0 once that is fixed."""


# ---------------------------------------------------------------------------- ids


_ID_SOURCE = "uuid"
"""The module `db.new_id` draws its ids from."""


class _SeededUuid:
    """`uuid4` from a seeded stream; every other attribute is the real `uuid` module's."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def __getattr__(self, name: str) -> Any:
        return getattr(uuid, name)


@contextmanager
def deterministic_ids(seed: int) -> Iterator[None]:
    """Row ids drawn from `seed` while the replay runs (the product draws `uuid4`): the coop's
    ranking breaks its last tie on person id, so this is what makes a replay reproducible."""
    real = vars(db)[_ID_SOURCE]
    setattr(db, _ID_SOURCE, _SeededUuid(seed))
    try:
        yield
    finally:
        setattr(db, _ID_SOURCE, real)


# ---------------------------------------------------------------------------- fit


@dataclass(frozen=True)
class Fit:
    """What the coop replay adds to the network: slots, languages (seeded, own stream)."""

    slots: tuple[int, ...]
    provider_languages: tuple[tuple[str, ...], ...]
    person_languages: tuple[str, ...]

    def wrong_fit(self, person: SimPerson, provider: SimProvider) -> bool:
        return (
            person.category != provider.category
            or self.person_languages[person.index] not in self.provider_languages[provider.index]
        )


def fit_of(network: Network, config: CoopConfig) -> Fit:
    rng = random.Random(network.seed * 7919 + 17)
    slots = tuple(rng.choice(config.weekly_slots) for _ in network.providers)
    provider_languages = tuple(
        ("en", *(lang for lang, p in config.provider_extra_languages if rng.random() < p))
        for _ in network.providers
    )
    names = [lang for lang, _ in config.person_languages]
    weights = [w for _, w in config.person_languages]
    person_languages = tuple(rng.choices(names, weights)[0] for _ in network.people)
    return Fit(slots, provider_languages, person_languages)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def intro_reach(network: Network) -> int:
    """Most providers in one category and region, but one: the most peers an asker can see."""
    per_scope = Counter((p.category, p.region) for p in network.providers)
    return max(1, max(per_scope.values()) - 1)


# ---------------------------------------------------------------------------- the channel


@dataclass(frozen=True)
class Notice:
    channel: str | None
    recipient: str | None
    token: str | None


class SimInbox:
    """The channel adapter the consent requests are handed to: keeps what the person got."""

    name = "sim_inbox"

    def __init__(self) -> None:
        self.by_consent: dict[str, Notice] = {}

    def send(self, item: OutboxItem) -> None:
        found = _TOKEN.search(item.body or "")
        if item.ref_id is not None:
            self.by_consent[item.ref_id] = Notice(
                item.channel, item.recipient, found.group(1) if found else None
            )


# ---------------------------------------------------------------------------- replay


def coop_settings(folder: Path, intro_min_peers: int | None) -> Settings:
    base = simulation_settings(folder)
    values = base.model_dump()
    if intro_min_peers is not None:
        values["coop_intro_min_peers"] = intro_min_peers
    return SimulationSettings(**values)


@contextmanager
def coop_runtime(intro_min_peers: int | None) -> Iterator[Runtime]:
    """A Runtime over throwaway SQLite stores, migrated to head."""
    from prospecting.migrations import upgrade_all  # alembic: only when simulating

    with tempfile.TemporaryDirectory(prefix="prospecting-coop-sim-") as folder:
        settings = coop_settings(Path(folder), intro_min_peers)
        upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
        runtime = Runtime.build(settings)
        try:
            yield runtime
        finally:
            runtime.stores.dispose()


def replay_arm(
    network: Network, fit: Fit, config: CoopConfig, *, coop: bool, intro_min_peers: int | None
) -> Arm:
    """One replay of the network: with the coop's flows, or without (lost requests)."""
    with deterministic_ids(network.seed), coop_runtime(intro_min_peers) as runtime:
        return _CoopReplayer(runtime, network, fit, config, coop=coop).run()


class _CoopReplayer:
    def __init__(
        self, runtime: Runtime, network: Network, fit: Fit, config: CoopConfig, *, coop: bool
    ) -> None:
        self.runtime, self.network, self.fit, self.config = runtime, network, fit, config
        self.arm = Arm(coop=coop)
        self.actors: list[Person] = []
        self.index_of: dict[str, int] = {}
        self.used: Counter[tuple[int, int]] = Counter()
        self.published: dict[int, int] = {}
        self.inbox = SimInbox()
        self.week = 0

    # -- setup

    def run(self) -> Arm:
        started = time.perf_counter()
        self._providers()
        if self.arm.coop:
            self._coop_setup()
        for contact in self.network.contacts:
            self._contact(contact)
        if self.arm.coop:
            self._check_shares()
        self.arm.wall_seconds = time.perf_counter() - started
        return self.arm

    def _providers(self) -> None:
        with self.runtime.stores.tenant() as session:
            for sim in self.network.providers:
                profile = provider_profile(sim).model_copy(
                    update={"languages": list(self.fit.provider_languages[sim.index])}
                )
                person = create_provider(session, sim, profile)
                self.actors.append(person)
                self.index_of[person.id] = sim.index

    def _coop_setup(self) -> None:
        """Org verification, endorsements by vetted peers, listings: the real vetting."""
        rng = random.Random(self.network.seed * 104_729 + 3)
        n = len(self.actors)
        verified = sorted(
            {i for i in range(n) if rng.random() < self.config.verified_share}
            | set(range(min(n, 2)))
        )
        with self.runtime.stores.tenant() as session:
            admin = identity.create_person(
                session=session, data=PersonCreate(display_name="Sim guild admin")
            )
            org = identity.create_org(
                session=session, data=OrgCreate(name="Sim provider guild"), admin=admin
            )
            for person in self.actors:
                identity.invite_member(
                    session=session,
                    actor=admin,
                    org_id=org.id,
                    data=MembershipCreate(person_id=person.id),
                )
                identity.accept_invitation(session=session, actor=person, org_id=org.id)
            for i in verified:
                vetting.verify_member(
                    session=session, actor=admin, org_id=org.id, person_id=self.actors[i].id
                )
            for i in range(n):
                if i in verified or len(verified) < 2:
                    continue
                if rng.random() >= self.config.endorsed_share:
                    continue
                for endorser in rng.sample([v for v in verified if v != i], 2):
                    vetting.endorse(
                        session=session,
                        actor=self.actors[endorser],
                        data=EndorseIn(
                            peer_id=self.actors[i].id,
                            basis="worked_alongside",
                            known_for="1_to_3_years",
                        ),
                    )
            vetted = vetting.vetted_ids(session=session)
            self.arm.vetted_providers = sum(1 for a in self.actors if a.id in vetted)
        self._publish_all(self.network.start)

    # -- capacity

    def _week(self, at: datetime) -> int:
        return (at - self.network.start) // WEEK

    def _free(self, provider: int, at: datetime) -> int:
        return max(0, self.fit.slots[provider] - self.used[(provider, self._week(at))])

    def _take(self, provider: int, at: datetime) -> None:
        self.used[(provider, self._week(at))] += 1
        if self.arm.coop:
            self._publish(provider, at)

    def _publish_all(self, at: datetime) -> None:
        for i in range(len(self.actors)):
            self._publish(i, at)

    def _publish(self, provider: int, at: datetime) -> None:
        """The provider's listing says this week's open slots (only when they changed)."""
        free = self._free(provider, at)
        if self.published.get(provider) == free:
            return
        sim = self.network.providers[provider]
        with self.runtime.stores.tenant() as session:
            listing.publish(
                session=session,
                actor=self.actors[provider],
                data=ListingIn(
                    categories=[sim.category],
                    region=slug(sim.region),
                    services=[slug(name) for name, _, _ in SERVICES[sim.category]],
                    languages=list(self.fit.provider_languages[provider]),
                    accepting=free > 0,
                    open_slots=free,
                ),
            )
        self.published[provider] = free

    # -- one contact

    def _contact(self, contact: Contact) -> None:
        if self.arm.coop and self._week(contact.at) != self.week:
            self.week = self._week(contact.at)
            self._publish_all(contact.at)  # a new week: slots are free again
        actor = self.actors[contact.provider]
        answer = inbound.receive(
            self.runtime,
            actor=actor,
            message=InboundMessage(
                channel=contact.channel,
                sender_phone=contact.phone,
                sender_email=contact.email,
                sender_name=contact.name,
                body=contact.body,
                received_at=contact.at,
            ),
            channel="cli",
        )
        self.arm.contacts += 1
        self._message_minutes(answer.draft.needs_review)
        prospect_id = answer.ingest.prospect.id
        person = self.network.people[contact.person]
        provider = self.network.providers[contact.provider]
        reason: Reason | None = None
        if contact.outcome is Outcome.BLOCKED:
            self.arm.blocked += 1
        elif self.fit.wrong_fit(person, provider):
            reason = "wrong_fit"
        elif contact.outcome in SLOT_OUTCOMES and not self._free(contact.provider, contact.at):
            reason = "overflow"
        if reason is None:
            if contact.outcome in SLOT_OUTCOMES:
                self._take(contact.provider, contact.at)
            self._record(actor, prospect_id, contact.outcome, contact.outcome_at)
            self._booked(contact.outcome, None)
            return
        if reason == "overflow":
            self.arm.overflow += 1
        else:
            self.arm.wrong_fit += 1
        self._record(actor, prospect_id, Outcome.DECLINED, contact.outcome_at)
        if not self.arm.coop:
            self.arm.minutes["decline_reply"] += COOP_MINUTES["decline_reply"]
            return
        self._refer(contact, actor, prospect_id, reason)

    def _record(self, actor: Person, prospect_id: str, outcome: Outcome, at: datetime) -> None:
        outcomes.record(
            self.runtime,
            actor=actor,
            prospect_id=prospect_id,
            data=OutcomeIn(outcome=outcome, occurred_at=at),
            contribute=False,
            channel="cli",
        )

    def _booked(self, outcome: Outcome, reason: Reason | None) -> None:
        if outcome is Outcome.NO_SHOW:
            self.arm.minutes["no_shows"] += MINUTES["no_show_slot"]
        if outcome not in POSITIVE_OUTCOMES:
            return
        self.arm.bookings += 1
        if reason is None:
            self.arm.bookings_direct += 1
        else:
            self.arm.recovered[reason] += 1

    def _message_minutes(self, needs_review: bool) -> None:
        self.arm.minutes["messages"] += MINUTES[
            "review_by_hand" if needs_review else "one_tap_draft"
        ]

    # -- the coop

    def _refer(self, contact: Contact, actor: Person, prospect_id: str, reason: Reason) -> None:
        rng = random.Random(f"{self.network.seed}:{contact.index}")
        person = self.network.people[contact.person]
        category, region = person.category, slug(person.region)
        language = self.fit.person_languages[person.index]
        peer = self._intro_peer(actor, category, region, language, contact.at)
        fields: list[ShareField] = ["name", "phone", "email"]
        try:
            if peer is not None and rng.random() < self.config.intro_share:
                self._intro(contact, rng, actor, prospect_id, peer, reason, fields)
            else:
                self._handoff(contact, rng, actor, prospect_id, reason, fields, region, language)
        except NotVetted:
            self._refused("sender_not_vetted")
        except FeatureUnavailable as exc:
            self._refused(f"unavailable_{exc.state}")

    def _refused(self, why: str) -> None:
        self.arm.referrals_refused[why] += 1
        self.arm.minutes["decline_reply"] += COOP_MINUTES["decline_reply"]

    def _intro_peer(
        self, actor: Person, category: str, region: str, language: str, at: datetime
    ) -> Person | None:
        """A named vetted peer with a free slot who fits, where warm intros are available."""
        with self.runtime.stores.tenant_read() as session:
            state = network.feature_state(
                session=session,
                settings=self.runtime.settings,
                actor=actor,
                feature="intros",
                category=category,
                region=region,
            )
            if not state.available or not vetting.is_vetted(session=session, person_id=actor.id):
                return None
            found = listing.candidates(
                session=session,
                category=category,
                region=region,
                language=language,
                exclude={actor.id},
            )
        fitting = [c.person_id for c in found if self._free(self.index_of[c.person_id], at)]
        if not fitting:
            return None
        chosen = random.Random(f"{self.network.seed}:peer:{actor.id}:{at}").choice(sorted(fitting))
        return self.actors[self.index_of[chosen]]

    def _consent(self, rng: random.Random, contact: Contact, consent_id: str | None) -> str:
        """The person answers the consent request (page or reply), or never does."""
        kind: Kind = self.network.people[contact.person].kind
        yes, no = CONSENT_ANSWERS.get(kind, (0.0, 0.0))
        roll = rng.random()
        decision = "yes" if roll < yes else "no" if roll < yes + no else None
        notice = self.inbox.by_consent.get(consent_id or "")
        if decision is None or notice is None:
            return "none"
        if rng.random() < self.config.reply_share and notice.recipient:
            self.arm.consent_replies += 1
            sms = notice.channel == "sms"
            answer = inbound.receive(
                self.runtime,
                actor=self.actors[contact.provider],
                message=InboundMessage(
                    channel=Channel.SMS if sms else Channel.EMAIL,
                    sender_phone=notice.recipient if sms else None,
                    sender_email=None if sms else notice.recipient,
                    body="YES" if decision == "yes" else "NO",
                    received_at=contact.at + timedelta(hours=rng.uniform(0.2, 20)),
                ),
                channel="cli",
            )
            self._message_minutes(answer.draft.needs_review)
        elif notice.token:
            self.arm.consent_pages += 1
            with self.runtime.stores.tenant() as session:
                coop_service.decide_by_token(
                    session=session,
                    token=notice.token,
                    decision=decision,  # type: ignore[arg-type]
                    now=db.utcnow(),
                )
        return decision

    def _sweep_at(self, deadline: datetime) -> None:
        coop_flow.sweep(self.runtime, now=max(deadline, db.utcnow()) + timedelta(seconds=1))

    def _intro(
        self,
        contact: Contact,
        rng: random.Random,
        actor: Person,
        prospect_id: str,
        peer: Person,
        reason: Reason,
        fields: list[ShareField],
    ) -> None:
        counts = self.arm.intros
        out = coop_flow.propose_intro(
            self.runtime,
            actor=actor,
            prospect_id=prospect_id,
            receiver_id=peer.id,
            vouch=Vouch(
                known_for="under_3_months",
                attended_reliably=False,
                paid_on_time=False,
                respectful=True,
                would_see_again=True,
            ),
            fields=fields,
            adapter=self.inbox,
        )
        counts.proposed += 1
        self.arm.minutes["propose_intro"] += COOP_MINUTES["propose_intro"]
        if self._consent(rng, contact, out.consent_id) == "none":
            self._sweep_at(out.expires_at)
        status = self._intro_status(actor, out.id)
        if status == IntroStatus.DECLINED_BY_PROSPECT:
            counts.declined_by_prospect += 1
            return
        if status == IntroStatus.EXPIRED:
            counts.expired += 1
            return
        counts.consented += 1
        self.arm.minutes["read_intro"] += COOP_MINUTES["read_intro"]
        index = self.index_of[peer.id]
        roll = rng.random()
        if roll < self.config.peer_silent:
            self._sweep_at(out.expires_at)
            counts.peer_silent += 1
            self.arm.minutes["decline_reply"] += COOP_MINUTES["decline_reply"]
            return
        if not self._free(index, contact.at) or roll >= self.config.peer_accept:
            with self.runtime.stores.tenant() as session:
                intros.decline(session=session, actor=peer, intro_id=out.id, now=db.utcnow())
            counts.declined_by_peer += 1
            self.arm.minutes["decline_reply"] += COOP_MINUTES["decline_reply"]
            return
        try:
            taken = coop_flow.accept_intro(self.runtime, actor=peer, intro_id=out.id)
        except IntegrityError:
            self.arm.accept_errors += 1  # see `Arm.accept_errors`
            with self.runtime.stores.tenant() as session:
                intros.decline(session=session, actor=peer, intro_id=out.id, now=db.utcnow())
            counts.declined_by_peer += 1
            self.arm.minutes["decline_reply"] += COOP_MINUTES["decline_reply"]
            return
        counts.accepted += 1
        outcome = self._referred(contact, rng, peer, taken.prospect_id, reason)
        with self.runtime.stores.tenant() as session:
            intros.record_outcome(
                session=session,
                actor=peer,
                intro_id=out.id,
                outcome="booked" if outcome in POSITIVE_OUTCOMES else "not_booked",
            )
        counts.booked += outcome in POSITIVE_OUTCOMES

    def _intro_status(self, actor: Person, intro_id: str) -> IntroStatus:
        with self.runtime.stores.tenant_read() as session:
            return intros.get(session=session, actor=actor, intro_id=intro_id).status

    def _handoff(
        self,
        contact: Contact,
        rng: random.Random,
        actor: Person,
        prospect_id: str,
        reason: Reason,
        fields: list[ShareField],
        region: str,
        language: str,
    ) -> None:
        counts = self.arm.handoffs
        category = self.network.people[contact.person].category
        scopes: list[str | None] = [region]
        if category in REMOTE_CATEGORIES:
            scopes.append(None)
        for scope in scopes:
            try:
                out = coop_flow.offer_handoff(
                    self.runtime,
                    actor=actor,
                    prospect_id=prospect_id,
                    reason=reason,
                    category=category,
                    region=scope,
                    language=language,
                    fields=fields,
                    adapter=self.inbox,
                )
                break
            except FeatureUnavailable:
                if scope is scopes[-1]:
                    raise
        counts.proposed += 1
        self.arm.minutes["offer_handoff"] += COOP_MINUTES["offer_handoff"]
        if self._consent(rng, contact, out.consent_id) == "none":
            self._sweep_at(out.expires_at)
        status = self._handoff_status(actor, out.id)
        if status == HandoffStatus.DECLINED_BY_PROSPECT:
            counts.declined_by_prospect += 1
            return
        if status == HandoffStatus.EXPIRED:
            counts.expired += 1
            return
        counts.consented += 1
        current: HandoffStatus | None = status
        for _ in range(len(self.actors) + 1):
            if current != HandoffStatus.OFFERING:
                break
            current = self._offer_round(contact, rng, out.id, reason, counts)
        if current == HandoffStatus.EXHAUSTED:
            counts.exhausted += 1
            self.arm.minutes["decline_reply"] += COOP_MINUTES["decline_reply"]

    def _handoff_status(self, actor: Person, handoff_id: str) -> HandoffStatus:
        with self.runtime.stores.tenant_read() as session:
            return handoffs.get(session=session, actor=actor, handoff_id=handoff_id).status

    def _offer_round(
        self,
        contact: Contact,
        rng: random.Random,
        handoff_id: str,
        reason: Reason,
        counts: FlowCounts,
    ) -> HandoffStatus | None:
        """The open offer's candidate answers (or not); None once the hand-off was taken."""
        with self.runtime.stores.tenant_read() as session:
            row = session.scalars(
                select(HandoffOffer).where(
                    HandoffOffer.handoff_id == handoff_id,
                    HandoffOffer.status == OfferStatus.OFFERED,
                )
            ).first()
            if row is None:
                sender = session.get(Handoff, handoff_id)
                return sender.status if sender is not None else HandoffStatus.EXHAUSTED
            offer_id, candidate_id, expires_at = row.id, row.candidate_id, row.expires_at
        counts.offers += 1
        self.arm.minutes["read_offer"] += COOP_MINUTES["read_offer"]
        candidate = self.actors[self.index_of[candidate_id]]
        roll = rng.random()
        if roll < self.config.peer_silent:
            counts.offers_timed_out += 1
            self._sweep_at(expires_at)
        elif self._free(self.index_of[candidate_id], contact.at) and roll < self.config.peer_accept:
            self.arm.minutes["answer_offer"] += COOP_MINUTES["answer_offer"]
            try:
                taken = coop_flow.accept_handoff(
                    self.runtime, actor=candidate, handoff_id=handoff_id, offer_id=offer_id
                )
            except IntegrityError:
                self.arm.accept_errors += 1  # see `Arm.accept_errors`
                self._decline_offer(candidate, offer_id, counts)
                return self._status_now(handoff_id)
            counts.accepted += 1
            outcome = self._referred(contact, rng, candidate, taken.prospect_id, reason)
            with self.runtime.stores.tenant() as session:
                handoffs.record_outcome(
                    session=session,
                    actor=candidate,
                    handoff_id=handoff_id,
                    outcome="booked" if outcome in POSITIVE_OUTCOMES else "not_booked",
                )
            counts.booked += outcome in POSITIVE_OUTCOMES
            return None
        else:
            self.arm.minutes["answer_offer"] += COOP_MINUTES["answer_offer"]
            self._decline_offer(candidate, offer_id, counts)
        return self._status_now(handoff_id)

    def _decline_offer(self, candidate: Person, offer_id: str, counts: FlowCounts) -> None:
        counts.offers_declined += 1
        with self.runtime.stores.tenant() as session:
            handoffs.decline_offer(
                session=session,
                actor=candidate,
                offer_id=offer_id,
                now=db.utcnow(),
                settings=self.runtime.settings,
            )

    def _status_now(self, handoff_id: str) -> HandoffStatus:
        with self.runtime.stores.tenant_read() as session:
            handoff = session.get(Handoff, handoff_id)
            return handoff.status if handoff is not None else HandoffStatus.EXHAUSTED

    def _referred(
        self,
        contact: Contact,
        rng: random.Random,
        taker: Person,
        prospect_id: str,
        reason: Reason,
    ) -> Outcome:
        """The taker's new prospect: first message, then what the person does (by kind)."""
        self.arm.minutes["take_referred"] += COOP_MINUTES["take_referred"]
        self.arm.minutes["report_outcome"] += COOP_MINUTES["report_outcome"]
        kind = self.network.people[contact.person].kind
        choices = REFERRED_OUTCOMES.get(kind, ((Outcome.GHOSTED, 1.0),))
        outcome = rng.choices([o for o, _ in choices], [w for _, w in choices])[0]
        index = self.index_of[taker.id]
        if outcome in SLOT_OUTCOMES:
            self._take(index, contact.at)
        self._record(taker, prospect_id, outcome, contact.outcome_at)
        self._booked(outcome, reason)
        return outcome

    # -- the check

    def _check_shares(self) -> None:
        """Shares made without a granted consent (must be 0), read from the stores: every
        referred prospect row, and every accepted intro or hand-off, against its consent."""
        with self.runtime.stores.tenant_read() as session:
            consents = dict(session.execute(select(ShareConsent.id, ShareConsent.status)).all())
            taken: dict[str, str] = {}
            for ref, consent_id in session.execute(
                select(Intro.id, Intro.consent_id).where(Intro.status == IntroStatus.ACCEPTED)
            ):
                taken[ref] = consent_id
            for ref, consent_id in session.execute(
                select(Handoff.id, Handoff.consent_id).where(
                    Handoff.status == HandoffStatus.ACCEPTED
                )
            ):
                taken[ref] = consent_id
            referred = session.execute(
                select(Prospect.origin_ref).where(Prospect.origin.in_(("warm_intro", "handoff")))
            ).all()
        self.arm.referred_rows = len(referred)
        bad = sum(1 for c in taken.values() if consents.get(c) != ShareStatus.GRANTED)
        bad += sum(
            1
            for (ref,) in referred
            if ref not in taken or consents.get(taken[ref]) != ShareStatus.GRANTED
        )
        self.arm.consentless_shares = bad


# ---------------------------------------------------------------------------- the report


def _flow(counts: FlowCounts) -> dict[str, Any]:
    out: dict[str, Any] = asdict(counts)
    out["consent_rate"] = round(counts.consented / counts.proposed, 3) if counts.proposed else None
    return out


def arm_report(arm: Arm) -> dict[str, Any]:
    total = sum(arm.minutes.values())
    flows = arm.intros.proposed + arm.handoffs.proposed
    consented = arm.intros.consented + arm.handoffs.consented
    return {
        "contacts": arm.contacts,
        "bookings": arm.bookings,
        "bookings_direct": arm.bookings_direct,
        "requests_overflow": arm.overflow,
        "requests_wrong_fit": arm.wrong_fit,
        "blocked": arm.blocked,
        "recovered_overflow": arm.recovered["overflow"],
        "recovered_wrong_fit": arm.recovered["wrong_fit"],
        "intros": _flow(arm.intros),
        "handoffs": _flow(arm.handoffs),
        "referrals_refused": dict(sorted(arm.referrals_refused.items())),
        "consent_asked": flows,
        "consent_granted": consented,
        "consent_rate": round(consented / flows, 3) if flows else None,
        "consent_answers": {"reply": arm.consent_replies, "page": arm.consent_pages},
        "consentless_shares": arm.consentless_shares,
        "accept_errors": arm.accept_errors,
        "referred_rows": arm.referred_rows,
        "minutes_total": round(total, 1),
        "minutes_per_booking": round(total / arm.bookings, 2) if arm.bookings else None,
        "minutes_parts": {k: round(v, 1) for k, v in sorted(arm.minutes.items())},
        "wall_seconds": round(arm.wall_seconds, 2),
    }


def run(
    *,
    providers: int = 60,
    people: int = 1000,
    seed: int = 1,
    days: int = 120,
    config: CoopConfig | None = None,
) -> dict[str, Any]:
    """Generate the network, replay it without and with the coop, and report both."""
    config = config or CoopConfig()
    net = generate(providers=providers, people=people, seed=seed, days=days)
    fit = fit_of(net, config)
    default = int(Settings.model_fields["coop_intro_min_peers"].default)
    reach = intro_reach(net)
    overrides: dict[str, Any] = {}
    min_peers = config.intro_min_peers
    if min_peers is None and default > reach:
        min_peers = reach
    if min_peers is not None:
        overrides["coop_intro_min_peers"] = {
            "value": min_peers,
            "product_default": default,
            "why": (
                f"the simulated network has at most {reach} peer(s) for an asker in one "
                "category and region"
            ),
        }
    without = replay_arm(net, fit, config, coop=False, intro_min_peers=min_peers)
    with_coop = replay_arm(net, fit, config, coop=True, intro_min_peers=min_peers)
    off, on = arm_report(without), arm_report(with_coop)
    return {
        "network": {
            "providers": providers,
            "people": people,
            "contacts": len(net.contacts),
            "days": days,
            "seed": seed,
            "weekly_slots_total": sum(fit.slots),
            "vetted_providers": with_coop.vetted_providers,
        },
        "settings_overrides": overrides,
        "assumptions": {
            "config": asdict(config),
            "consent_answers": {k: {"yes": y, "no": n} for k, (y, n) in CONSENT_ANSWERS.items()},
            "referred_outcomes": {
                k: {o.value: w for o, w in v} for k, v in REFERRED_OUTCOMES.items()
            },
            "minutes": {
                "messages": {k: MINUTES[k] for k in ("review_by_hand", "one_tap_draft")},
                "no_show_slot": MINUTES["no_show_slot"],
                "coop": dict(COOP_MINUTES),
            },
            "minute_rules": list(COOP_MINUTE_RULES),
        },
        "without_coop": off,
        "with_coop": on,
        "bookings_gained": on["bookings"] - off["bookings"],
    }


# ---------------------------------------------------------------------------- rendering


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def render(report: Mapping[str, Any]) -> list[Table]:
    """The figures: without the coop beside with it, then the coop's flows and assumptions."""
    off, on = report["without_coop"], report["with_coop"]
    net = report["network"]
    main = Table(
        title=(
            f"Coop replay: {net['providers']} providers, {net['people']} people, "
            f"{net['contacts']} contacts, {net['days']} days, seed {net['seed']}"
        ),
        title_justify="left",
    )
    main.add_column("figure")
    main.add_column("without coop", justify="right")
    main.add_column("with coop", justify="right")
    for name in (
        "bookings",
        "bookings_direct",
        "requests_overflow",
        "requests_wrong_fit",
        "recovered_overflow",
        "recovered_wrong_fit",
        "minutes_total",
        "minutes_per_booking",
    ):
        main.add_row(name.replace("_", " "), _fmt(off[name]), _fmt(on[name]))
    main.add_row("bookings gained", "", _fmt(report["bookings_gained"]))
    for part in sorted(set(off["minutes_parts"]) | set(on["minutes_parts"])):
        main.add_row(
            f"minutes: {part.replace('_', ' ')}",
            _fmt(off["minutes_parts"].get(part)),
            _fmt(on["minutes_parts"].get(part)),
        )
    main.add_row("replay wall seconds", _fmt(off["wall_seconds"]), _fmt(on["wall_seconds"]))
    flows = Table(title="Coop flows (with coop)", title_justify="left")
    flows.add_column("figure")
    flows.add_column("intros", justify="right")
    flows.add_column("hand-offs", justify="right")
    for name in (
        "proposed",
        "consented",
        "declined_by_prospect",
        "expired",
        "accepted",
        "declined_by_peer",
        "exhausted",
        "offers",
        "offers_declined",
        "offers_timed_out",
        "peer_silent",
        "booked",
        "consent_rate",
    ):
        flows.add_row(name.replace("_", " "), _fmt(on["intros"][name]), _fmt(on["handoffs"][name]))
    flows.add_row("consent rate (all)", _fmt(on["consent_rate"]), "")
    flows.add_row(
        "consent answers: reply / page",
        f"{on['consent_answers']['reply']} / {on['consent_answers']['page']}",
        "",
    )
    for why, count in on["referrals_refused"].items():
        flows.add_row(f"referral refused: {why.replace('_', ' ')}", _fmt(count), "")
    flows.add_row("referred prospect rows", _fmt(on["referred_rows"]), "")
    flows.add_row("acceptances refused by a store error", _fmt(on["accept_errors"]), "")
    flows.add_row(
        "shares without a granted consent (must be 0)", _fmt(on["consentless_shares"]), ""
    )
    notes = Table(title="Assumptions", title_justify="left", show_header=False)
    notes.add_column("what")
    for name, item in report["settings_overrides"].items():
        notes.add_row(
            f"setting {name} = {item['value']} (product default {item['product_default']}): "
            f"{item['why']}"
        )
    minutes = report["assumptions"]["minutes"]
    notes.add_row(
        "minutes: "
        + "; ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in minutes["messages"].items())
        + f"; no-show slot {minutes['no_show_slot']:g}; "
        + "; ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in minutes["coop"].items())
    )
    for rule in report["assumptions"]["minute_rules"]:
        notes.add_row(f"rule: {rule}")
    config = report["assumptions"]["config"]
    notes.add_row(
        "weekly slots drawn from {}; verified {:.0%}, endorsed {:.0%} of the rest; intro share "
        "{:.0%}; reply share {:.0%}; peer accepts {:.0%}, silent {:.0%}".format(
            config["weekly_slots"],
            config["verified_share"],
            config["endorsed_share"],
            config["intro_share"],
            config["reply_share"],
            config["peer_accept"],
            config["peer_silent"],
        )
    )
    notes.add_row(
        "consent (yes/no, rest silent): "
        + "; ".join(
            f"{k} {v['yes']:.0%}/{v['no']:.0%}"
            for k, v in report["assumptions"]["consent_answers"].items()
        )
    )
    return [main, flows, notes]
