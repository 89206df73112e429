"""A simulated provider network, replayed through the real services, to measure the graph.

Why: the cross-provider graph exists to move provider decisions (who is the same person, who
books, who is abusive). This module builds a synthetic network where the truth is known and
replays it through exactly the paths production takes, so `simulation_metrics` can compare what
the product saw with what was true.

What it generates (`generate`, deterministic per seed, `random.Random(seed)`):

- providers in categories and regions (GB and US), each a real Person with a drafting profile;
- people of latent kinds in stated proportions (`KIND_SHARES`): deciders, shoppers,
  tire-kickers, no-showers, abusive people and spammers, each with a true phone, one or two
  emails and a name, and a schedule of contacts with the true outcome of each; a few
  (`SHARED_PHONE_SHARE`) share a household phone with someone else, so linking on a phone can
  merge two people and precision is tested, not assumed;
- each contact carries a random subset of the identifiers, written the way people write them:
  national or E.164 phones with spaces, dashes, dots or parentheses; email case changes, Gmail
  dots, `+tag` subaddresses; names in other case or order, nicknames, initials, accents dropped;
  some people use a second email at some providers (unlinkable without a bridge);
- a message per contact whose wording depends on the kind (`message_signal="high"`) or comes
  from one pool for everybody (`"low"`: the text says little about the person).

What `replay` does: one Runtime over throwaway SQLite stores (or the URLs given), migrated like
production; providers get profiles and graph consent (contribute all + query on, unless the
graph is off); then every event runs in simulated time order through public workflows only:
`workflows.inbound.receive` for a contact, `workflows.outcomes.record(..., contribute=True)` for
its outcome some days later, and `graph.service.attest` after a block. A later provider
therefore sees what earlier providers contributed. Afterwards it reads what qualify stored
(features) and the graph's links (read-only), for the metrics.
"""

from __future__ import annotations

import random
import tempfile
import time
import typing
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import phonenumbers
from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from sqlalchemy import select

from prospecting.config import Settings
from prospecting.errors import DomainError
from prospecting.graph import service as graph
from prospecting.graph.models import ProspectLink, SubjectKey
from prospecting.graph.schemas import AttestationIn, ConsentAction, ConsentChange
from prospecting.identity import service as identity
from prospecting.identity.models import Person
from prospecting.identity.schemas import PersonCreate
from prospecting.prospects.schemas import Channel, InboundMessage, Outcome, OutcomeIn
from prospecting.qualify.models import Qualification
from prospecting.qualify.profile import update_profile
from prospecting.qualify.schemas import ProfileIn, QualifiedInbound
from prospecting.runtime import Context, Runtime
from prospecting.workflows import inbound, outcomes

Kind = Literal["decider", "shopper", "tire_kicker", "no_shower", "abusive", "spam"]
Signal = Literal["high", "low"]

KIND_SHARES: dict[Kind, float] = {
    "decider": 0.34,
    "shopper": 0.22,
    "tire_kicker": 0.20,
    "no_shower": 0.08,
    "abusive": 0.06,
    "spam": 0.10,
}
"""Stated proportions of the latent kinds (drawn per person, so a run is close to these)."""

SHARED_PHONE_SHARE = 0.03
"""People who use the phone of someone earlier in their country (a household line)."""

START = datetime(2026, 6, 1, tzinfo=UTC)
DEFAULT_DAYS = 120
SIM_KEY = "sim1=" + "simulated-network-throwaway-secret-" + "s" * 24
CATEGORIES = ("therapy", "coaching", "fitness", "salon", "tutoring")
REGIONS: tuple[tuple[str, str, str], ...] = (
    ("GB-LND", "GB", "Europe/London"),
    ("GB-MAN", "GB", "Europe/London"),
    ("US-NY", "US", "America/New_York"),
    ("US-IL", "US", "America/Chicago"),
)
US_AREAS = {"US-NY": ("212", "646", "917", "718"), "US-IL": ("312", "773", "872", "630")}
ATTEST_CODES: dict[str, tuple[str, ...]] = {
    "abusive": ("abusive", "abusive_language", "harassment"),
    "spam": ("spam",),
}
"""The attestation code a blocking provider files, first one `AttestationIn` accepts."""

SERVICES: dict[str, tuple[tuple[str, int, int | None], ...]] = {
    "therapy": (("Initial consultation", 50, 70), ("Individual therapy", 50, 80)),
    "coaching": (("Coaching session", 60, 65), ("Three-month programme", 60, None)),
    "fitness": (("Personal training", 60, 55), ("Bootcamp", 45, 20)),
    "salon": (("Cut and colour", 120, 95), ("Balayage", 180, 150), ("Blow dry", 45, 35)),
    "tutoring": (("Maths tutoring", 60, 45), ("Exam preparation", 90, 60)),
}

# ---------------------------------------------------------------------------- the network


@dataclass(frozen=True)
class SimProvider:
    index: int
    name: str
    category: str
    region: str
    country: str
    time_zone: str


@dataclass(frozen=True)
class SimPerson:
    """One real person behind prospects; `national` is the phone's national digits."""

    index: int
    kind: Kind
    region: str
    country: str
    category: str
    phone: str
    national: str
    emails: tuple[str, ...]
    first: str
    last: str
    nickname: str | None


@dataclass(frozen=True)
class Contact:
    """One inbound message and the outcome its provider records later (the truth)."""

    index: int
    person: int
    provider: int
    at: datetime
    channel: Channel
    phone: str | None
    email: str | None
    email_index: int | None
    name: str | None
    body: str
    outcome: Outcome
    outcome_at: datetime


@dataclass(frozen=True)
class Network:
    seed: int
    message_signal: Signal
    start: datetime
    days: int
    providers: tuple[SimProvider, ...]
    people: tuple[SimPerson, ...]
    contacts: tuple[Contact, ...]
    """In simulated time order; `Contact.index` is the position here."""


# ---------------------------------------------------------------------------- wording

_WISHES = (
    "Thursday evening",
    "tomorrow at 6pm",
    "Saturday morning",
    "on Monday",
    "this Friday after 5",
    "tomorrow morning",
    "Wednesday at 10am",
    "next Tuesday at 2pm",
)
_HIGH: dict[Kind, tuple[str, ...]] = {
    "decider": (
        "Hi, could I book {service} {wish}?",
        "I'd like to book {service} {wish} please",
        "Hello, I want to make an appointment for {service} {wish}.",
        "Please book me in for {service} {wish}, happy to pay a deposit",
        "Can you fit me in {wish} for {service}? Ready to book",
    ),
    "shopper": (
        "Hi, are you taking new clients? I'm comparing a few options",
        "What are your rates for {service}? Looking at a few places",
        "Do you have any availability next week? Still deciding between a couple of people",
        "How much is {service}? Trying to decide who to go with",
        "Any openings soon? just shopping around for now",
    ),
    "tire_kicker": (
        "how much do you charge",
        "What does {service} involve?",
        "just wondering about prices",
        "Do you offer {service} online as well?",
        "hi whats the cost of {service}",
    ),
    "no_shower": (
        "can you squeeze me in {wish}?",
        "Need {service} asap, {wish} works",
        "book me in {wish} pls",
        "Hey can I get {service} {wish}? it's quite urgent",
    ),
    "abusive": (
        "Why has nobody answered me?? This is ridiculous, answer me NOW",
        "You people are useless. Book me {wish} or I'll leave a 1-star review everywhere",
        "Answer me you idiots, I want {service}",
        "I've messaged three times, are you deaf? book me in {wish}",
    ),
    "spam": (
        "We can get your business to #1 on Google, reply for pricing!",
        "Congratulations! You have won a gift card, click the link to claim",
        "Hi, I'm from a marketing agency offering social media packages",
        "Boost your bookings 300% with our AI receptionist, reply YES to start",
    ),
}
_LOW = (
    "Hi, do you have any availability {wish}?",
    "How much is {service}?",
    "Could I book {service} {wish}?",
    "What does {service} involve?",
    "Are you taking new clients at the moment?",
    "Hello, I'd like some information about {service}",
    "Is {service} something you could do {wish}?",
)
"""One pool for every kind when the message signal is low."""

_FIRST: tuple[tuple[str, str | None], ...] = (
    ("Robert", "Bob"),
    ("William", "Bill"),
    ("Elizabeth", "Liz"),
    ("Katherine", "Kate"),
    ("Michael", "Mike"),
    ("Alexander", "Alex"),
    ("Jennifer", "Jen"),
    ("Margaret", "Maggie"),
    ("Thomas", "Tom"),
    ("Benjamin", "Ben"),
    ("Olivia", "Liv"),
    ("José", "Pepe"),
    ("Zoë", None),
    ("Chloé", None),
    ("Renée", None),
    ("Siobhán", None),
    ("Inés", None),
    ("François", None),
    ("Priya", None),
    ("Aisha", None),
    ("Mateo", None),
    ("Hannah", None),
    ("Ravi", None),
    ("Grace", None),
)
_LAST = (
    "Smith",
    "García",
    "Müller",
    "Núñez",
    "O'Brien",
    "Nair",
    "Okafor",
    "Dubois",
    "Kowalski",
    "Martínez",
    "Walsh",
    "Brooks",
    "Patel",
    "Rossi",
    "Nguyen",
    "Hughes",
    "Schäfer",
    "López",
    "Khan",
    "Silva",
    "Moreau",
    "Novak",
    "Bennett",
    "Clarke",
)
_PERSONAL_DOMAINS = (
    ("gmail.com", 0.36),
    ("outlook.com", 0.12),
    ("hotmail.com", 0.08),
    ("icloud.com", 0.10),
    ("yahoo.com", 0.10),
    ("fastmail.com", 0.06),
    ("proton.me", 0.06),
    ("example.org", 0.12),
)
_SECOND_DOMAINS = ("example.com", "work.example.net", "gmail.com", "outlook.com", "proton.me")
_TAGGABLE = frozenset(
    {"gmail.com", "outlook.com", "hotmail.com", "fastmail.com", "proton.me", "icloud.com"}
)
_TAGS = ("booking", "therapy", "fitness", "web", "services", "appointments")

# ---------------------------------------------------------------------------- generation


def generate(
    *,
    providers: int = 60,
    people: int = 1000,
    seed: int = 1,
    days: int = DEFAULT_DAYS,
    message_signal: Signal = "high",
    household_share: float = SHARED_PHONE_SHARE,
) -> Network:
    """The whole network and its contact stream, identical for identical arguments;
    `household_share` of people use an earlier person's phone (0 turns shared phones off)."""
    if providers < 1 or people < 1 or days < 1:
        raise ValueError("providers, people and days must be at least 1")
    rng = random.Random(seed)
    provs = tuple(_provider(i) for i in range(providers))
    phones = _Phones(share=household_share)
    persons = tuple(_person(rng, i, phones) for i in range(people))
    drafts: list[tuple[datetime, int, int, Contact]] = []
    for person in persons:
        for seq, contact in enumerate(_contacts(rng, person, provs, days, message_signal)):
            drafts.append((contact.at, person.index, seq, contact))
    drafts.sort(key=lambda d: d[:3])
    contacts = tuple(replace(c, index=i) for i, (*_, c) in enumerate(drafts))
    return Network(seed, message_signal, START, days, provs, persons, contacts)


def _provider(index: int) -> SimProvider:
    category = CATEGORIES[index % len(CATEGORIES)]
    region, country, tz = REGIONS[(index // len(CATEGORIES)) % len(REGIONS)]
    return SimProvider(
        index, f"Sim {category} {index:03d} ({region})", category, region, country, tz
    )


@dataclass
class _Phones:
    """Numbers and mailboxes handed out so far (unique, except shared household phones)."""

    share: float = SHARED_PHONE_SHARE
    used: set[str] = field(default_factory=set)
    by_country: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def number(self, rng: random.Random, region: str, country: str) -> tuple[str, str]:
        earlier = self.by_country.setdefault(country, [])
        if earlier and rng.random() < self.share:
            return rng.choice(earlier)
        national, e164 = _phone_number(rng, region, country, self.used)
        earlier.append((national, e164))
        return national, e164


def _person(rng: random.Random, index: int, phones: _Phones) -> SimPerson:
    kind: Kind = rng.choices(list(KIND_SHARES), weights=list(KIND_SHARES.values()))[0]
    region, country, _ = rng.choice(REGIONS)
    first, nickname = rng.choice(_FIRST)
    last = rng.choice(_LAST)
    national, e164 = phones.number(rng, region, country)
    emails = [_email(rng, first, last, _domain(rng), phones.used)]
    if rng.random() < 0.25:
        emails.append(_email(rng, first, last, rng.choice(_SECOND_DOMAINS), phones.used))
    category = rng.choice(CATEGORIES)
    return SimPerson(
        index, kind, region, country, category, e164, national, tuple(emails), first, last, nickname
    )


def _phone_number(rng: random.Random, region: str, country: str, used: set[str]) -> tuple[str, str]:
    """A valid, unused mobile-looking number of the region (no reserved 555 exchange)."""
    while True:
        if country == "GB":
            national = "07" + rng.choice("45789") + "".join(rng.choices("0123456789", k=8))
        else:
            exchange = rng.choice("23456789") + "".join(rng.choices("0123456789", k=2))
            if exchange == "555":
                continue
            area = rng.choice(US_AREAS[region])
            national = area + exchange + "".join(rng.choices("0123456789", k=4))
        number = phonenumbers.parse(national, country)
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number) and e164 not in used:
            used.add(e164)
            return national, str(e164)


def _domain(rng: random.Random) -> str:
    names = [name for name, _ in _PERSONAL_DOMAINS]
    return rng.choices(names, weights=[w for _, w in _PERSONAL_DOMAINS])[0]


def ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _email(rng: random.Random, first: str, last: str, domain: str, used: set[str]) -> str:
    f, la = (
        "".join(ch for ch in ascii_fold(part).lower() if ch.isalnum()) for part in (first, last)
    )
    local = rng.choice(
        (f"{f}.{la}", f"{f}{la}", f"{f[0]}.{la}", f"{la}.{f}", f"{f}.{la}{rng.randrange(10, 99)}")
    )
    address, n = f"{local}@{domain}", 1
    while _mailbox(address) in used:
        n += 1
        address = f"{local}{n}@{domain}"
    used.add(_mailbox(address))
    return address


def _mailbox(address: str) -> str:
    """The mailbox an address reaches (Gmail ignores dots), for uniqueness only."""
    local, domain = address.split("@")
    return f"{local.replace('.', '')}@{domain}" if domain == "gmail.com" else address


# ---------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class _Visit:
    offset: float
    outcome: Outcome
    repeat_of: int | None = None


_B, _R, _N, _G, _D, _X = (
    Outcome.BOOKED,
    Outcome.RESCHEDULED,
    Outcome.NO_SHOW,
    Outcome.GHOSTED,
    Outcome.DECLINED,
    Outcome.BLOCKED,
)
_LAG_DAYS: dict[Outcome, tuple[float, float]] = {
    _B: (0.5, 4.0),
    _R: (1.0, 6.0),
    _N: (2.0, 10.0),
    _G: (4.0, 10.0),
    _D: (0.5, 5.0),
    _X: (0.02, 0.5),
}
"""Days from a contact to the outcome its provider records."""


def _booked(rng: random.Random) -> Outcome:
    return _R if rng.random() < 0.1 else _B


def _decider(rng: random.Random) -> list[_Visit]:
    """1-2 providers within two days; books (mostly with the first), sometimes comes back."""
    visits: list[_Visit] = []
    booked: int | None = None
    for i in range(2 if rng.random() < 0.3 else 1):
        if booked is None and rng.random() < (0.85 if i == 0 else 0.6):
            outcome, booked = _booked(rng), i
        else:
            outcome = rng.choice((_D, _G))
        visits.append(_Visit(rng.uniform(0, 2), outcome))
    if booked is not None and rng.random() < 0.25:
        again = visits[booked].offset + rng.uniform(14, 45)
        visits.append(_Visit(again, _booked(rng), repeat_of=booked))
    return visits


def _shopper(rng: random.Random) -> list[_Visit]:
    """3-6 providers within four days; books with at most one."""
    n = rng.randint(3, 6)
    chosen = rng.randrange(n) if rng.random() < 0.5 else None
    return [
        _Visit(
            rng.uniform(0, 4), _booked(rng) if i == chosen else rng.choices((_G, _D), (0.6, 0.4))[0]
        )
        for i in range(n)
    ]


def _tire_kicker(rng: random.Random) -> list[_Visit]:
    """1-3 providers over three weeks; mostly goes quiet or declines."""
    return [
        _Visit(rng.uniform(0, 20), rng.choices((_B, _G, _D), (0.08, 0.6, 0.32))[0])
        for _ in range(rng.randint(1, 3))
    ]


def _no_shower(rng: random.Random) -> list[_Visit]:
    """2-5 bookings weeks apart, mostly not shown up to; sometimes back at the same provider."""
    visits: list[_Visit] = []
    offset = 0.0
    for i in range(rng.randint(2, 5)):
        repeat = rng.randrange(i) if i and rng.random() < 0.25 else None
        outcome = rng.choices((_N, _B, _R), (0.75, 0.15, 0.10))[0]
        visits.append(_Visit(offset, outcome, repeat_of=repeat))
        offset += rng.uniform(8, 30)
    return visits


def _abusive(rng: random.Random) -> list[_Visit]:
    """2-5 providers within a month; each blocks."""
    return [_Visit(rng.uniform(0, 30), _X) for _ in range(rng.randint(2, 5))]


def _spam(rng: random.Random) -> list[_Visit]:
    """3-12 providers over two months; each blocks."""
    return [_Visit(rng.uniform(0, 60), _X) for _ in range(rng.randint(3, 12))]


_SCHEDULES: dict[Kind, Callable[[random.Random], list[_Visit]]] = {
    "decider": _decider,
    "shopper": _shopper,
    "tire_kicker": _tire_kicker,
    "no_shower": _no_shower,
    "abusive": _abusive,
    "spam": _spam,
}


def _provider_weight(person: SimPerson, provider: SimProvider) -> float:
    """Who a person contacts: spam anyone; abusive people locally; others their category."""
    same_region = provider.region == person.region
    same_country = provider.country == person.country
    if person.kind == "spam":
        return 1.0
    if person.kind == "abusive":
        return 4.0 if same_region else 1.0 if same_country else 0.05
    same_category = provider.category == person.category
    if same_category:
        return 8.0 if same_region else 3.0 if same_country else 0.05
    return 0.5 if same_country else 0.02


def _pick(rng: random.Random, weights: list[float], n: int) -> list[int]:
    """n distinct indices, weighted, without replacement."""
    pool = dict(enumerate(weights))
    picked: list[int] = []
    for _ in range(min(n, len(pool))):
        keys = list(pool)
        choice = rng.choices(keys, weights=[pool[k] for k in keys])[0]
        picked.append(choice)
        del pool[choice]
    return picked


def _contacts(
    rng: random.Random,
    person: SimPerson,
    providers: Sequence[SimProvider],
    days: int,
    signal: Signal,
) -> list[Contact]:
    visits = _SCHEDULES[person.kind](rng)
    fresh = [v for v in visits if v.repeat_of is None]
    weights = [_provider_weight(person, p) for p in providers]
    targets = iter(_pick(rng, weights, len(fresh)))
    chosen: list[int | None] = []
    for visit in visits:
        if visit.repeat_of is None:
            chosen.append(next(targets, None))
        else:
            chosen.append(chosen[visit.repeat_of])
    span = max(v.offset for v in visits)
    begin = START + timedelta(days=rng.uniform(0, max(days - span, 1.0)))
    out = []
    for visit, target in zip(visits, chosen, strict=True):
        if target is None:
            continue
        at = begin + timedelta(days=visit.offset, minutes=rng.uniform(0, 600))
        out.append(_contact(rng, person, providers[target], at, visit.outcome, signal))
    return out


def _contact(
    rng: random.Random,
    person: SimPerson,
    provider: SimProvider,
    at: datetime,
    outcome: Outcome,
    signal: Signal,
) -> Contact:
    carried = rng.choices(("phone", "email", "both"), weights=(0.3, 0.3, 0.4))[0]
    phone = format_phone(rng, person, provider) if carried != "email" else None
    email, email_index = None, None
    if carried != "phone":
        email_index = 1 if len(person.emails) > 1 and rng.random() < 0.4 else 0
        email = vary_email(rng, person.emails[email_index])
    name = vary_name(rng, person) if rng.random() < 0.75 else None
    channel = _channel(rng, carried)
    lag = rng.uniform(*_LAG_DAYS[outcome])
    body = message_text(rng, person.kind, provider.category, signal)
    return Contact(
        0,
        person.index,
        provider.index,
        at,
        channel,
        phone,
        email,
        email_index,
        name,
        body,
        outcome,
        at + timedelta(days=lag),
    )


def _channel(rng: random.Random, carried: str) -> Channel:
    if carried == "phone":
        return rng.choice((Channel.SMS, Channel.PHONE_CALL, Channel.SOCIAL_DM))
    if carried == "email":
        return rng.choice((Channel.EMAIL, Channel.WEB_FORM))
    return rng.choice((Channel.WEB_FORM, Channel.EMAIL, Channel.SMS))


# ---------------------------------------------------------------------------- variants


def format_phone(rng: random.Random, person: SimPerson, provider: SimProvider) -> str:
    """The person's number as they might type it; only international forms abroad."""
    n = person.national
    if person.country == "GB":
        intl = (f"+44{n[1:]}", f"+44 {n[1:5]} {n[5:]}", f"+44-{n[1:5]}-{n[5:]}")
        local = (
            f"{n[:5]} {n[5:]}",
            f"{n[:5]}-{n[5:8]}-{n[8:]}",
            f"{n[:5]}.{n[5:8]}.{n[8:]}",
            f"({n[:5]}) {n[5:]}",
            n,
        )
    else:
        intl = (f"+1{n}", f"+1 {n[:3]} {n[3:6]} {n[6:]}", f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}")
        local = (
            f"({n[:3]}) {n[3:6]}-{n[6:]}",
            f"{n[:3]}-{n[3:6]}-{n[6:]}",
            f"{n[:3]}.{n[3:6]}.{n[6:]}",
            f"{n[:3]} {n[3:6]} {n[6:]}",
            f"1-{n[:3]}-{n[3:6]}-{n[6:]}",
        )
    if provider.country != person.country:
        return rng.choice(intl)
    return rng.choice(local + intl)


def vary_email(rng: random.Random, address: str) -> str:
    """Gmail dots, a `+tag` subaddress where the provider supports one, case changes."""
    local, domain = address.split("@")
    if domain == "gmail.com" and rng.random() < 0.35:
        local = _gmail_dots(rng, local)
    if domain in _TAGGABLE and rng.random() < 0.25:
        local = f"{local}+{rng.choice(_TAGS)}"
    roll = rng.random()
    if roll < 0.12:
        local, domain = local.capitalize(), domain.capitalize()
    elif roll < 0.2:
        local, domain = local.upper(), domain.upper()
    elif roll < 0.28:
        local = ".".join(part.capitalize() for part in local.split("."))
    return f"{local}@{domain}"


def _gmail_dots(rng: random.Random, local: str) -> str:
    bare = local.replace(".", "")
    if "." in local or len(bare) < 3:
        return bare
    cut = rng.randrange(1, len(bare) - 1)
    return f"{bare[:cut]}.{bare[cut:]}"


def vary_name(rng: random.Random, person: SimPerson) -> str:
    """Case, "Last, First", a nickname or an initial, accents dropped, the first name alone."""
    first, last = person.first, person.last
    forms = [
        f"{first} {last}",
        f"{first} {last}".lower(),
        f"{first} {last}".upper(),
        f"{last}, {first}",
        f"{person.nickname or first} {last}",
        f"{first[0]}. {last}",
        ascii_fold(f"{first} {last}"),
        first,
    ]
    weights = (0.35, 0.1, 0.05, 0.12, 0.1, 0.08, 0.1, 0.1)
    return rng.choices(forms, weights=weights)[0]


def message_text(rng: random.Random, kind: Kind, category: str, signal: Signal) -> str:
    pool = _HIGH[kind] if signal == "high" else _LOW
    service = rng.choice(SERVICES[category])[0].lower()
    text = rng.choice(pool).format(service=service, wish=rng.choice(_WISHES))
    return text.lower() if rng.random() < 0.2 else text


# ---------------------------------------------------------------------------- replay


class SimulationSettings(Settings):
    """Settings from the arguments only: the developer's PROSPECTING_* environment (and any
    .env file) is never read, so a simulation is reproducible wherever it runs."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


@dataclass(frozen=True)
class ReplayConfig:
    """`epsilon`: per-report epsilon of a contribution; None keeps the product's default."""

    graph: bool = True
    epsilon: float | None = None
    tenant_url: str | None = None
    graph_url: str | None = None


@dataclass
class Served:
    """What the product stored for one contact: qualification, draft and ids."""

    contact: int
    provider_id: str
    prospect_id: str
    qualification_id: str
    p_book: float
    graph_state: str
    intent: str
    triage_kinds: tuple[str, ...]
    graph_notices: tuple[str, ...]
    factors: tuple[str, ...]
    suggested_action: str
    needs_review: bool
    review_reasons: tuple[str, ...]
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class Counters:
    events: int = 0
    contacts: int = 0
    outcomes: int = 0
    contributions: int = 0
    contributions_withheld: int = 0
    contributions_refused: int = 0
    attestations: int = 0
    attestations_refused: int = 0
    attestations_skipped: int = 0


@dataclass
class Replay:
    network: Network
    config: ReplayConfig
    epsilon: float
    """The per-report epsilon the replay ran with (the product's default unless set)."""
    min_contributors: int
    provider_ids: list[str]
    served: list[Served]
    links: dict[tuple[str, str], str]
    """(provider id, prospect id) → subject key, merged keys followed."""
    counters: Counters
    attestation_codes: dict[str, str | None]
    setup_seconds: float
    wall_seconds: float
    phase_seconds: dict[str, float]


def simulation_settings(
    folder: Path,
    *,
    epsilon: float | None = None,
    tenant_url: str | None = None,
    graph_url: str | None = None,
) -> Settings:
    """Settings for a replay; every other value is the product's default."""
    values: dict[str, Any] = {
        "mode": "test",
        "data_dir": folder,
        "tenant_database_url": tenant_url or f"sqlite:///{folder / 'tenant.sqlite3'}",
        "graph_database_url": graph_url or f"sqlite:///{folder / 'graph.sqlite3'}",
        "network_key": SecretStr(SIM_KEY),
        "seed_demo": False,
        "log_level": "WARNING",
    }
    if epsilon is not None:
        values["graph_contribution_epsilon_units"] = max(1, int(epsilon * 1_000_000))
    return SimulationSettings(**values)


@contextmanager
def simulation_runtime(config: ReplayConfig) -> Iterator[Runtime]:
    """A Runtime over throwaway SQLite stores (or the URLs given), migrated to head."""
    from prospecting.migrations import upgrade_all  # alembic: only when simulating

    with tempfile.TemporaryDirectory(prefix="prospecting-sim-") as folder:
        settings = simulation_settings(
            Path(folder),
            epsilon=config.epsilon,
            tenant_url=config.tenant_url,
            graph_url=config.graph_url,
        )
        upgrade_all(settings.resolved_tenant_url, settings.resolved_graph_url)
        runtime = Runtime.build(settings)
        try:
            yield runtime
        finally:
            runtime.stores.dispose()


def replay(network: Network, config: ReplayConfig | None = None) -> Replay:
    """Run the network's events through the real workflows in simulated time order."""
    config = config or ReplayConfig()
    with simulation_runtime(config) as runtime:
        return _Replayer(runtime, network, config).run()


def attestation_code(kind: str) -> str | None:
    """The first code for this kind that the graph's `AttestationIn` accepts, else None."""
    accepted = set(typing.get_args(AttestationIn.model_fields["code"].annotation))
    return next((c for c in ATTEST_CODES.get(kind, ()) if c in accepted), None)


class _Replayer:
    def __init__(self, runtime: Runtime, network: Network, config: ReplayConfig) -> None:
        self.runtime, self.network, self.config = runtime, network, config
        self.actors: list[Person] = []
        self.served: dict[int, Served] = {}
        self.counters = Counters()
        self.phases = {"inbound": 0.0, "outcome": 0.0, "attest": 0.0}
        self.codes = {kind: attestation_code(kind) for kind in ATTEST_CODES}

    def run(self) -> Replay:
        started = time.perf_counter()
        self._providers()
        setup = time.perf_counter() - started
        started = time.perf_counter()
        for _, step, index in self._events():
            contact = self.network.contacts[index]
            if step == 0:
                self._contact(contact)
            else:
                self._outcome(contact)
        wall = time.perf_counter() - started
        served = [self.served[i] for i in range(len(self.network.contacts))]
        self._read_features(served)
        return Replay(
            network=self.network,
            config=self.config,
            epsilon=self.runtime.settings.graph_contribution_epsilon_units / 1_000_000,
            min_contributors=self.runtime.settings.graph_min_contributors,
            provider_ids=[a.id for a in self.actors],
            served=served,
            links=self._read_links(),
            counters=self.counters,
            attestation_codes=dict(self.codes),
            setup_seconds=setup,
            wall_seconds=wall,
            phase_seconds=dict(self.phases),
        )

    def _events(self) -> list[tuple[datetime, int, int]]:
        events = [(c.at, 0, c.index) for c in self.network.contacts]
        events += [(c.outcome_at, 1, c.index) for c in self.network.contacts]
        return sorted(events)

    def _providers(self) -> None:
        with self.runtime.stores.tenant() as session:
            for sim in self.network.providers:
                person = create_provider(session, sim, provider_profile(sim))
                self.actors.append(person)
        if not self.config.graph:
            return
        stores = self.runtime.stores
        with stores.tenant_read() as tenant, stores.graph() as graph_session:
            for person in self.actors:
                ctx = self._ctx(tenant, graph_session, person)
                for action in (ConsentAction.CONTRIBUTE_ALL, ConsentAction.QUERY_ON):
                    graph.change_consent(ctx, ConsentChange(action=action))

    def _ctx(self, tenant: Any, graph_session: Any, person: Person) -> Context:
        runtime = self.runtime
        return Context(tenant, graph_session, person, runtime.settings, runtime.resolver, "cli")

    def _contact(self, contact: Contact) -> None:
        actor = self.actors[contact.provider]
        message = InboundMessage(
            channel=contact.channel,
            sender_phone=contact.phone,
            sender_email=contact.email,
            sender_name=contact.name,
            body=contact.body,
            received_at=contact.at,
        )
        started = time.perf_counter()
        answer = inbound.receive(self.runtime, actor=actor, message=message, channel="cli")
        self.phases["inbound"] += time.perf_counter() - started
        self.served[contact.index] = _served(contact.index, actor.id, answer)
        self.counters.contacts += 1
        self.counters.events += 1

    def _outcome(self, contact: Contact) -> None:
        actor = self.actors[contact.provider]
        prospect_id = self.served[contact.index].prospect_id
        started = time.perf_counter()
        recorded = outcomes.record(
            self.runtime,
            actor=actor,
            prospect_id=prospect_id,
            data=OutcomeIn(outcome=contact.outcome, occurred_at=contact.outcome_at),
            contribute=True,
            channel="cli",
        )
        self.phases["outcome"] += time.perf_counter() - started
        self.counters.outcomes += 1
        self.counters.events += 1
        if recorded.contribution is not None:
            self.counters.contributions += 1
            self.counters.contributions_withheld += recorded.contribution.budget_exhausted
        else:
            self.counters.contributions_refused += 1
        if contact.outcome is Outcome.BLOCKED:
            self._attest(actor, prospect_id, self.network.people[contact.person].kind)

    def _attest(self, actor: Person, prospect_id: str, kind: str) -> None:
        code = self.codes.get(kind)
        if code is None:
            self.counters.attestations_skipped += 1
            return
        stores = self.runtime.stores
        started = time.perf_counter()
        try:
            with stores.tenant_read() as tenant, stores.graph() as graph_session:
                data = AttestationIn.model_validate({"prospect_id": prospect_id, "code": code})
                graph.attest(self._ctx(tenant, graph_session, actor), data)
            self.counters.attestations += 1
        except DomainError:  # graph off (no consent), or the graph store is down
            self.counters.attestations_refused += 1
        self.phases["attest"] += time.perf_counter() - started
        self.counters.events += 1

    def _read_features(self, served: list[Served]) -> None:
        """The features qualify stored with each qualification (read-only)."""
        by_id = {s.qualification_id: s for s in served}
        ids = list(by_id)
        with self.runtime.stores.tenant_read() as session:
            for i in range(0, len(ids), 500):
                rows = session.execute(
                    select(Qualification.id, Qualification.features).where(
                        Qualification.id.in_(ids[i : i + 500])
                    )
                )
                for qid, features in rows:
                    by_id[qid].features = {k: float(v) for k, v in (features or {}).items()}

    def _read_links(self) -> dict[tuple[str, str], str]:
        """Every provider's prospect → subject key, with merged keys followed (read-only)."""
        mine = {a.id for a in self.actors}
        with self.runtime.stores.graph() as session:
            rows = session.execute(
                select(ProspectLink.provider_id, ProspectLink.prospect_id, ProspectLink.subject_key)
            ).all()
            merged = _merged_keys(session)
        return {(p, q): _follow(s, merged) for p, q, s in rows if p in mine}


def _merged_keys(session: Any) -> dict[str, str]:
    """subject key → the key it was merged into, where the graph records merges."""
    column = getattr(SubjectKey, "merged_into", None)
    if column is None:
        return {}
    rows = session.execute(select(SubjectKey.subject_key, column).where(column.is_not(None)))
    return {str(k): str(v) for k, v in rows}


def _follow(key: str, merged: dict[str, str]) -> str:
    seen = {key}
    while key in merged and merged[key] not in seen:
        key = merged[key]
        seen.add(key)
    return key


def _served(index: int, provider_id: str, answer: QualifiedInbound) -> Served:
    q, draft = answer.qualification, answer.draft
    return Served(
        contact=index,
        provider_id=provider_id,
        prospect_id=answer.ingest.prospect.id,
        qualification_id=q.id,
        p_book=q.p_book,
        graph_state=q.graph_state,
        intent=q.intent,
        triage_kinds=tuple(q.triage.kinds),
        graph_notices=tuple(q.graph_notices),
        factors=tuple(f.feature for f in q.factors),
        suggested_action=draft.suggested_action,
        needs_review=draft.needs_review,
        review_reasons=tuple(draft.review_reasons),
    )


def create_provider(session: Any, sim: SimProvider, profile: ProfileIn) -> Person:
    """The simulated provider as a real Person with their qualify profile."""
    person = identity.create_person(
        session=session,
        data=PersonCreate(
            display_name=sim.name,
            service_categories=[sim.category],
            region=sim.region,
            default_phone_region=sim.country,
            time_zone=sim.time_zone,
        ),
    )
    update_profile(session=session, actor=person, data=profile)
    return person


def provider_profile(sim: SimProvider) -> ProfileIn:
    currency = "GBP" if sim.country == "GB" else "USD"
    services = [
        {"name": name, "duration_minutes": minutes}
        | ({"price_min": price, "currency": currency} if price is not None else {})
        for name, minutes, price in SERVICES[sim.category]
    ]
    return ProfileIn.model_validate(
        {
            "services": services,
            "hours_text": "Monday to Saturday 9:00-19:00",
            "booking_link": f"https://book.example.com/sim-{sim.index:03d}",
            "tone": ("warm", "concise", "formal")[sim.index % 3],
            "sign_off": sim.name.split(" (")[0],
            "languages": ["en"],
        }
    )
