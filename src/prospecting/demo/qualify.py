"""Demo history for auto-qualify: provider profiles and a few hundred messages with outcomes.

How it is generated (deterministic for a seed, `random.Random(seed)`; no network, no model):
each synthetic prospect gets a hidden propensity to book ``u ~ N(0, 1)``. ``u`` tilts which
intent the message has (keen people ask to book or for a time; tire-kickers ask only for the
price), whether it names a day/time, and — for about half of the prospects — a synthetic graph
signal (booked share around ``sigmoid(1.5 u)``, a few contributors, reachability). About a third
had an earlier contact (with a reply, sometimes unanswered follow-ups and an outcome). The final
outcome is drawn from a logistic in ``u`` plus the same observable cues, so message, history and
graph features all carry signal, the graph a little more. Roughly 8% are spam (blocked) and the
most recent prospects are often still open (no outcome). Text comes from English and Spanish
templates with typos and lower-casing. Everything goes through the real pipeline — ingest →
qualify (read, score, draft) → approve / edit / discard → outcome — so reports and `qualify eval`
see exactly what production rows look like.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from prospecting.identity.models import Person
from prospecting.prospects import service as prospects
from prospecting.prospects.models import Touchpoint
from prospecting.prospects.schemas import Channel, InboundMessage, Outcome, OutcomeIn
from prospecting.qualify import approvals
from prospecting.qualify import service as qualify
from prospecting.qualify.profile import profile_for, update_profile
from prospecting.qualify.schemas import ProfileIn
from prospecting.qualify.scoring import LogisticScorer
from prospecting.qualify.signals import GraphFeatures
from prospecting.qualify.training import active_scorer
from prospecting.resolver.service import Resolver

HISTORY_START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
HISTORY_DAYS = 150
DEMO_SEED = 1

PROFILES: tuple[dict[str, Any], ...] = (
    {
        "services": [
            {
                "name": "Initial consultation",
                "duration_minutes": 50,
                "price_min": 70,
                "currency": "GBP",
            },
            {
                "name": "Individual therapy",
                "duration_minutes": 50,
                "price_min": 70,
                "price_max": 90,
                "currency": "GBP",
            },
            {
                "name": "Couples therapy",
                "duration_minutes": 80,
                "price_min": 110,
                "currency": "GBP",
            },
        ],
        "hours_text": "Monday to Thursday 9:00-19:00, Friday mornings",
        "booking_link": "https://book.example.com/amara-okafor",
        "tone": "formal",
        "sign_off": "Dr Amara Okafor",
        "languages": ["en"],
    },
    {
        "services": [
            {
                "name": "Sesión de coaching",
                "duration_minutes": 60,
                "price_min": 60,
                "price_max": 75,
                "currency": "EUR",
            },
            {"name": "Programa de 3 meses", "duration_minutes": 60},
        ],
        "hours_text": "De lunes a viernes, 10:00-20:00",
        "booking_link": "https://cal.example.es/lucia",
        "tone": "warm",
        "sign_off": "Lucía",
        "languages": ["es", "en"],
    },
    {
        "services": [
            {"name": "Personal training", "duration_minutes": 60},
            {"name": "Bootcamp", "duration_minutes": 45},
        ],
        "hours_text": "Mon-Sat, early mornings and evenings",
        "booking_link": None,
        "tone": "concise",
        "sign_off": "Marcus",
        "languages": ["en"],
    },
    {
        "services": [
            {
                "name": "Cut and colour",
                "duration_minutes": 120,
                "price_min": 95,
                "price_max": 140,
                "currency": "GBP",
            },
            {
                "name": "Balayage",
                "duration_minutes": 180,
                "price_min": 150,
                "price_max": 220,
                "currency": "GBP",
            },
            {"name": "Blow dry", "duration_minutes": 45, "price_min": 35, "currency": "GBP"},
        ],
        "hours_text": "Tuesday to Saturday 9:00-18:00",
        "booking_link": "https://salon-lumiere.example.co.uk/book",
        "tone": "warm",
        "sign_off": "The Salon Lumière team",
        "languages": ["en", "fr"],
    },
)
SPANISH_SHARE = (0.0, 0.7, 0.05, 0.0)
PHONE_REGION = ("GB", "ES", "US", "GB")

_EN = {
    "booking_request": [
        "Hi, could I book {service} {wish}?",
        "I'd like to book {service} {wish} please",
        "can you fit me in {wish}? looking for {service}",
        "Hello, I want to make an appointment for {service}.",
        "book me in {wish} pls",
        "Hi! I'd love to come in for {service} {wish}",
    ],
    "availability_question": [
        "Do you have any availability {wish}?",
        "Are you taking new clients at the moment?",
        "any openings {wish}?",
        "When is your next free slot for {service}?",
        "Hi, are you free {wish} by any chance?",
    ],
    "pricing_question": [
        "How much is {service}?",
        "What are your prices?",
        "how much do you charge",
        "Can you send me your rates for {service}?",
        "hi whats the cost of {service}",
    ],
    "service_question": [
        "What does {service} involve?",
        "Is {service} suitable for beginners?",
        "Do you offer {service} online as well?",
        "What should I expect from {service}?",
    ],
    "reschedule_cancel": [
        "I need to cancel my appointment, sorry",
        "Can we move my session to {wish}?",
        "something came up, can I reschedule?",
    ],
    "not_a_prospect": [
        "We can get your business to #1 on Google, reply for pricing!",
        "Congratulations! You have won a gift card, click the link to claim",
        "Sorry, wrong number",
        "Hi, I'm from a marketing agency offering social media packages",
    ],
    "other": ["thanks!", "Just saying hi, I found you on Instagram", "ok great", "Got it, cheers"],
}
_ES = {
    "booking_request": [
        "Hola, ¿podría reservar una {service} {wish}?",
        "Quiero pedir cita para {service} {wish}",
        "me gustaría reservar {wish}",
        "hola quiero una cita {wish} porfa",
    ],
    "availability_question": [
        "¿Tienes disponibilidad {wish}?",
        "Hola, ¿tienes algún hueco {wish}?",
        "¿Estás aceptando clientes nuevos?",
    ],
    "pricing_question": [
        "¿Cuánto cuesta la {service}?",
        "Hola, ¿qué precios tienes?",
        "cuanto cobras por sesion",
    ],
    "service_question": [
        "¿En qué consiste la {service}?",
        "¿La {service} es online o presencial?",
    ],
    "reschedule_cancel": [
        "Tengo que cancelar mi cita, lo siento",
        "¿Podemos cambiar la sesión a {wish}?",
    ],
    "not_a_prospect": [
        "Ofrecemos posicionamiento SEO para tu web, responde para más info",
        "Perdona, me he equivocado de número",
    ],
    "other": ["¡gracias!", "vale, perfecto", "Hola, te vi en Instagram"],
}
_WISH_EN = [
    "Thursday evening",
    "tomorrow at 6pm",
    "next week",
    "Saturday morning",
    "on Monday",
    "this Friday after 5",
    "tomorrow morning",
    "Wednesday at 10am",
]
_WISH_ES = [
    "el jueves por la tarde",
    "mañana a las 18:00",
    "la semana que viene",
    "el sábado por la mañana",
    "el lunes",
]
_FIRST = [
    "Jamie",
    "Priya",
    "Tom",
    "Sofia",
    "Liam",
    "Aisha",
    "Noah",
    "Chloe",
    "Mateo",
    "Elena",
    "Omar",
    "Grace",
    "Lucas",
    "Maya",
    "Ben",
    "Zoe",
    "Diego",
    "Hannah",
    "Ravi",
    "Ines",
]
_LAST = [
    "Clarke",
    "Nair",
    "Brooks",
    "García",
    "Murphy",
    "Khan",
    "Evans",
    "Silva",
    "Rossi",
    "Walsh",
    "Ortega",
    "Patel",
    "Moreau",
    "Hughes",
    "Novak",
    "Reyes",
    "Bennett",
    "Ito",
]


@dataclass
class SyntheticInbound:
    at: datetime
    text: str
    channel: Channel
    reply_after: timedelta | None
    reply_edit: bool
    followups: int


@dataclass
class SyntheticProspect:
    provider: int
    phone: str
    email: str | None
    name: str
    messages: list[SyntheticInbound]
    graph: GraphFeatures | None
    prior_outcome: tuple[datetime, Outcome] | None
    outcome: tuple[datetime, Outcome] | None


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _typo(rng: random.Random, text: str) -> str:
    if rng.random() < 0.3:
        text = text.lower()
    if rng.random() < 0.25 and len(text) > 12:
        i = rng.randrange(1, len(text) - 2)
        text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if rng.random() < 0.15:
        text = text.rstrip("?!.")
    return text


def _intent(rng: random.Random, u: float, spam: bool) -> str:
    if spam:
        return "not_a_prospect"
    weights = {
        "booking_request": 1.0 + 1.4 * max(u, 0.0),
        "availability_question": max(0.2, 1.0 + 0.4 * u),
        "pricing_question": max(0.2, 1.0 - 0.6 * u),
        "service_question": 0.6,
        "other": 0.25,
    }
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _text(
    rng: random.Random, intent: str, spanish: bool, services: Sequence[str], wish: str | None
) -> str:
    bank = (_ES if spanish else _EN)[intent]
    template = rng.choice(bank)
    service = rng.choice(services).lower() if services else "a session"
    text = template.format(service=service, wish=wish or "").replace("  ", " ")
    text = text.replace(" ?", "?").replace(" .", ".").strip()
    if intent in ("booking_request", "availability_question") and rng.random() < 0.1:
        text += " it's quite urgent" if not spanish else " es urgente"
    return _typo(rng, text)


def generate(seed: int = DEMO_SEED, *, per_provider: int = 60) -> list[SyntheticProspect]:
    """The synthetic prospects of every demo provider, in a fixed order for a seed."""
    rng = random.Random(seed)
    out: list[SyntheticProspect] = []
    for p, profile in enumerate(PROFILES):
        services = [s["name"] for s in profile["services"]]
        for k in range(per_provider):
            u = rng.gauss(0.0, 1.0)
            spam = rng.random() < 0.08
            spanish = rng.random() < SPANISH_SHARE[p]
            start = HISTORY_START + timedelta(
                days=rng.uniform(0, HISTORY_DAYS), hours=rng.uniform(0, 10)
            )
            messages: list[SyntheticInbound] = []
            prior_outcome = None
            if not spam and rng.random() < 0.35:
                first_at = start - timedelta(days=rng.uniform(10, 60))
                messages.append(
                    SyntheticInbound(
                        first_at,
                        _text(rng, _intent(rng, u, False), spanish, services, None),
                        rng.choice(list(Channel)),
                        timedelta(minutes=rng.uniform(2, 90)),
                        False,
                        rng.choice([0, 0, 1, 2]) if u < 0 else 0,
                    )
                )
                if rng.random() < 0.6:
                    booked_before = rng.random() < _sigmoid(1.2 * u)
                    kind = (
                        Outcome.BOOKED
                        if booked_before
                        else rng.choice([Outcome.NO_SHOW, Outcome.GHOSTED, Outcome.DECLINED])
                    )
                    prior_outcome = (first_at + timedelta(days=rng.uniform(1, 5)), kind)
            intent = _intent(rng, u, spam)
            wish_p = 0.15 + 0.6 * _sigmoid(1.5 * u)
            wishes = _WISH_ES if spanish else _WISH_EN
            wish = rng.choice(wishes) if rng.random() < wish_p else None
            decided = rng.random()
            reply_after = (
                None if decided < 0.1 or spam else timedelta(minutes=rng.lognormvariate(2.0, 1.0))
            )
            messages.append(
                SyntheticInbound(
                    start,
                    _text(rng, intent, spanish, services, wish),
                    rng.choice(list(Channel)),
                    reply_after,
                    decided > 0.8,
                    0,
                )
            )
            graph = None
            if not spam and rng.random() < 0.55:
                contributors = rng.randint(2, 14)
                booked = _sigmoid(1.8 * u + rng.gauss(0, 0.5))
                no_show = (1 - booked) * rng.uniform(0.1, 0.6)
                graph = GraphFeatures(
                    network_state="dense" if contributors >= 10 else "sparse",
                    linked=True,
                    contributors=contributors,
                    n_reports=contributors,
                    outcome_counts={
                        "positive": round(booked * contributors, 3),
                        "no_show": round(no_show * contributors, 3),
                        "not_booked": round((1 - booked - no_show) * contributors, 3),
                        "blocked": 0.0,
                    },
                    outcome_shares={
                        "positive": round(booked, 3),
                        "no_show": round(no_show, 3),
                        "not_booked": round(1 - booked - no_show, 3),
                        "blocked": 0.0,
                    },
                    contacts={"1d": None, "7d": None, "30d": None},
                    reachability=round(booked * contributors * rng.uniform(0.3, 0.8)),
                )
            lin = -0.7 + 1.7 * u + 0.5 * (intent == "booking_request") + 0.5 * (wish is not None)
            lin -= 0.6 * (intent == "pricing_question")
            if prior_outcome:
                lin += 0.8 if prior_outcome[1] is Outcome.BOOKED else -0.8
            outcome = None
            open_recent = start > HISTORY_START + timedelta(days=HISTORY_DAYS - 20)
            if spam:
                outcome = (start + timedelta(hours=2), Outcome.BLOCKED)
            elif not (open_recent and rng.random() < 0.6):
                if rng.random() < _sigmoid(lin):
                    kind = Outcome.BOOKED if rng.random() < 0.9 else Outcome.RESCHEDULED
                else:
                    kind = rng.choices(
                        [Outcome.GHOSTED, Outcome.DECLINED, Outcome.NO_SHOW],
                        weights=[0.55, 0.25, 0.2],
                    )[0]
                outcome = (start + timedelta(days=rng.uniform(0.5, 10)), kind)
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            phone = _phone(p, k, seed)
            email = f"demo{seed}.{p}.{k}@example.org" if rng.random() < 0.5 else None
            out.append(
                SyntheticProspect(p, phone, email, name, messages, graph, prior_outcome, outcome)
            )
    return out


def _phone(provider: int, k: int, seed: int) -> str:
    n = (seed * 7919 + provider * 1000 + k) % 10000
    return {
        "GB": f"07911 1{n:05d}",
        "ES": f"+34 610 {n:06d}",
        "US": f"(212) 736-{n:04d}",
    }[PHONE_REGION[provider]]


def seed_profiles(*, session: Session, providers: Sequence[Person]) -> None:
    for person, profile in zip(providers, PROFILES, strict=False):
        data = ProfileIn.model_validate(profile)
        update_profile(session=session, actor=person, data=data)


def seed_history(
    *,
    session: Session,
    resolver: Resolver,
    providers: Sequence[Person],
    seed: int = DEMO_SEED,
    per_provider: int = 60,
    scorer: LogisticScorer | None = None,
) -> int:
    """Run the synthetic history through the real pipeline; returns the inbound count."""
    count = 0
    profiles = {p.id: profile_for(session=session, actor=p) for p in providers}
    scorers = {p.id: scorer or active_scorer(session=session, actor=p) for p in providers}
    for prospect in generate(seed, per_provider=per_provider):
        if prospect.provider >= len(providers):
            continue
        actor = providers[prospect.provider]
        graph = prospect.graph
        pending_outcome = prospect.prior_outcome
        for message in prospect.messages:
            ingested = prospects.ingest(
                session=session,
                actor=actor,
                resolver=resolver,
                message=InboundMessage(
                    channel=message.channel,
                    sender_phone=prospect.phone,
                    sender_email=prospect.email,
                    sender_name=prospect.name,
                    body=message.text,
                    received_at=message.at,
                ),
            )
            if pending_outcome and pending_outcome[0] < message.at:
                _outcome(session, actor, ingested.prospect.id, *pending_outcome)
                pending_outcome = None
            _, draft = qualify.qualify_inbound(
                session=session,
                actor=actor,
                touchpoint_id=ingested.touchpoint.id,
                graph=graph,
                received_at=message.at,
                scorer=scorers[actor.id],
                profile=profiles[actor.id],
            )
            count += 1
            if message.reply_after is None:
                approvals.discard_draft(
                    session=session,
                    actor=actor,
                    draft_id=draft.id,
                    at=message.at + timedelta(minutes=30),
                )
            elif message.reply_edit:
                approvals.edit_and_approve(
                    session=session,
                    actor=actor,
                    draft_id=draft.id,
                    body=draft.body + "\nP.S. Let me know if you have any questions.",
                    at=message.at + message.reply_after,
                )
            else:
                approvals.approve_draft(
                    session=session,
                    actor=actor,
                    draft_id=draft.id,
                    at=message.at + message.reply_after,
                    confirm_review=True,  # the simulated provider read what they approved
                )
            for i in range(message.followups):
                session.add(
                    Touchpoint(
                        prospect_id=ingested.prospect.id,
                        person_id=actor.id,
                        kind="message",
                        direction="outbound",
                        channel=message.channel.value,
                        body="Just following up on my last message.",
                        occurred_at=message.at + timedelta(days=4 + 4 * i),
                    )
                )
        if prospect.outcome:
            _outcome(session, actor, ingested.prospect.id, *prospect.outcome)
    session.flush()
    return count


def _outcome(
    session: Session, actor: Person, prospect_id: str, at: datetime, kind: Outcome
) -> None:
    prospects.record_outcome(
        session=session,
        actor=actor,
        prospect_id=prospect_id,
        data=OutcomeIn(outcome=kind, occurred_at=at),
    )


def seed(*, session: Session, resolver: Resolver, providers: Sequence[Person]) -> int:
    """Demo network hook: profiles, the synthetic history, and a draft for every inbound the
    demo already holds (left pending, so the provider sees a queue to approve)."""
    from sqlalchemy import select

    from prospecting.qualify.models import Qualification

    seed_profiles(session=session, providers=providers)
    count = seed_history(session=session, resolver=resolver, providers=providers)
    by_id = {p.id: p for p in providers}
    done = select(Qualification.touchpoint_id)
    waiting = session.scalars(
        select(Touchpoint)
        .where(
            Touchpoint.person_id.in_(list(by_id)),
            Touchpoint.direction == "inbound",
            Touchpoint.kind == "message",
            Touchpoint.id.not_in(done),
        )
        .order_by(Touchpoint.occurred_at)
    )
    for touchpoint in list(waiting):
        qualify.qualify_inbound(
            session=session,
            actor=by_id[touchpoint.person_id],
            touchpoint_id=touchpoint.id,
            received_at=touchpoint.occurred_at,
        )
        count += 1
    return count
