"""Qualify and draft a referred prospect: a person a vetted peer introduced (warm intro) or
handed off, who has not written yet.

There is no message to read, so P(book) comes from a prior for referred people, raised or
lowered by the introducing provider's structured vouch (a fixed set of fields, never text):

    logit(P) = logit(REFERRED_BASE) + sum of VOUCH_WEIGHTS for the vouch's values

Without a vouch (a hand-off may have none) P = REFERRED_BASE. Each vouch term is one factor
(signed log-odds contribution), like the message scorer's factors. The first message is written
from the receiver's own profile in the receiver's first profile language; it says the person
came through a warm intro (naming the introducing provider, who opted in) or a colleague's
referral. No words from the other provider's tenant are used: only the referred person's
consented name and the introducer's display name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from prospecting.db import new_id, utcnow
from prospecting.identity.models import Person
from prospecting.qualify.models import Draft, Qualification
from prospecting.qualify.profile import profile_for
from prospecting.qualify.schemas import DraftStatus, EntitiesOut

Origin = Literal["warm_intro", "handoff"]

REFERRED_BASE = 0.35
"""P(book) of a referred person before the vouch: above a cold inbound's usual score (someone
who already saw a provider and was pointed here), below a clear booking request."""

VOUCH_WEIGHTS: dict[str, dict[Any, float]] = {
    "known_for": {
        "under_3_months": 0.0,
        "3_to_12_months": 0.15,
        "1_to_3_years": 0.3,
        "over_3_years": 0.4,
    },
    "attended_reliably": {True: 0.5, False: -0.6},
    "paid_on_time": {True: 0.2, False: -0.4},
    "respectful": {True: 0.1, False: -0.5},
    "would_see_again": {True: 0.3, False: -0.5},
}
"""Log-odds per vouch value. Attendance weighs most (a no-show is the booking that fails);
an explicit "no" weighs more than a "yes" (a peer who says it has a reason)."""

_REASONS = {
    "known_for": "the introducing provider has known them {value}",
    "attended_reliably": "attended booked sessions reliably: {value}",
    "paid_on_time": "paid on time: {value}",
    "respectful": "respectful: {value}",
    "would_see_again": "the introducing provider would see them again: {value}",
}

MODEL_VERSION = "referral-prior-1"

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hi {first},",
        "hello_anon": "Hello,",
        "intro": "{peer} introduced us and mentioned you might be looking for support.",
        "handoff": "A colleague passed on your details as you were looking for support.",
        "offer": "I'd be glad to help. Would you like to book a first session?",
        "book": "You can pick a time here: {link}",
        "close": "Warm regards,",
    },
    "fr": {
        "hello": "Bonjour {first},",
        "hello_anon": "Bonjour,",
        "intro": "{peer} nous a mis en contact et m'a dit que vous cherchiez un accompagnement.",
        "handoff": "Un collègue m'a transmis vos coordonnées car vous cherchiez un accompagnement.",
        "offer": "Je serais ravie de vous aider. Souhaitez-vous réserver une première séance ?",
        "book": "Vous pouvez choisir un créneau ici : {link}",
        "close": "Bien cordialement,",
    },
    "es": {
        "hello": "Hola {first}:",
        "hello_anon": "Hola:",
        "intro": "{peer} nos puso en contacto y me comentó que buscas acompañamiento.",
        "handoff": "Un colega me pasó tus datos porque buscabas acompañamiento.",
        "offer": "Estaré encantada de ayudarte. ¿Quieres reservar una primera sesión?",
        "book": "Puedes elegir un horario aquí: {link}",
        "close": "Un saludo,",
    },
    "de": {
        "hello": "Hallo {first},",
        "hello_anon": "Hallo,",
        "intro": "{peer} hat uns bekannt gemacht und erwähnt, dass Sie Unterstützung suchen.",
        "handoff": "Eine Kollegin gab mir Ihre Kontaktdaten, da Sie Unterstützung suchen.",
        "offer": "Ich helfe Ihnen gern. Möchten Sie eine erste Sitzung buchen?",
        "book": "Einen Termin können Sie hier wählen: {link}",
        "close": "Herzliche Grüße",
    },
}


@dataclass(frozen=True)
class Prior:
    p_book: float
    factors: list[dict[str, Any]]
    features: dict[str, float]


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def vouch_prior(vouch: dict[str, Any] | None) -> Prior:
    """P(book) for a referred person from the vouch's fields (see the module doc)."""
    logit = _logit(REFERRED_BASE)
    factors: list[dict[str, Any]] = []
    features: dict[str, float] = {"referred": 1.0, "vouched": 0.0}
    if vouch is not None:
        features["vouched"] = 1.0
        for name, weights in VOUCH_WEIGHTS.items():
            value = vouch[name]
            contribution = weights[value]
            logit += contribution
            features[f"vouch_{name}"] = contribution
            if contribution:
                factors.append(
                    {
                        "feature": f"vouch_{name}",
                        "reason": _REASONS[name].format(value=str(value).replace("_", " ").lower()),
                        "contribution": round(contribution, 3),
                        "direction": "raises" if contribution > 0 else "lowers",
                    }
                )
    factors.sort(key=lambda f: -abs(f["contribution"]))
    p = 1 / (1 + math.exp(-logit))
    return Prior(round(p, 4), factors, features)


def first_message(
    *,
    language: str,
    origin: Origin,
    first_name: str | None,
    introducer: str | None,
    booking_link: str | None,
    sign_off: str | None,
) -> str:
    """The first outreach to a referred person, from the receiver's profile only."""
    words = _WORDS.get(language, _WORDS["en"])
    lines = [words["hello"].format(first=first_name) if first_name else words["hello_anon"]]
    if origin == "warm_intro" and introducer:
        lines.append(words["intro"].format(peer=introducer))
    else:
        lines.append(words["handoff"])
    lines.append(words["offer"])
    if booking_link:
        lines.append(words["book"].format(link=booking_link))
    tail = [words["close"]] + ([sign_off] if sign_off else [])
    return "\n".join(lines) + "\n\n" + "\n".join(tail)


_NO_ENTITIES = EntitiesOut(
    requested_service=None, day_time_wishes=[], urgency="normal"
).model_dump()
"""A referral has no message to read entities from: the same shape as any qualification's."""


def qualify_referred(
    *,
    session: Session,
    actor: Person,
    prospect_id: str,
    touchpoint_id: str,
    first_name: str | None,
    vouch: dict[str, Any] | None,
    origin: Origin,
    introducer: str | None,
    now: datetime | None = None,
) -> tuple[Qualification, Draft]:
    """The referred prospect's qualification (the vouch as a prior) and first-message draft,
    which waits for the provider's look like every draft (status pending)."""
    now = now or utcnow()
    profile = profile_for(session=session, actor=actor)
    language = next((lang for lang in profile.languages if lang in _WORDS), "en")
    prior = vouch_prior(vouch)
    qualification = Qualification(
        id=new_id(),
        person_id=actor.id,
        prospect_id=prospect_id,
        touchpoint_id=touchpoint_id,
        intent="other",
        intent_confidence=1.0,
        language=language,
        entities={
            **EntitiesOut(
                requested_service=None, day_time_wishes=[], urgency="normal"
            ).model_dump(),
            "origin": origin,
        },
        p_book=prior.p_book,
        factors=prior.factors,
        features=prior.features,
        graph_state="empty",
        triage={},
        model_version=MODEL_VERSION,
        message_at=now,
        received_at=now,
    )
    session.add(qualification)
    session.flush()
    body = first_message(
        language=language,
        origin=origin,
        first_name=first_name,
        introducer=introducer,
        booking_link=str(profile.booking_link) if profile.booking_link else None,
        sign_off=profile.sign_off,
    )
    draft = Draft(
        id=new_id(),
        person_id=actor.id,
        prospect_id=prospect_id,
        qualification_id=qualification.id,
        channel=None,
        language=language,
        tone=profile.tone,
        body=body,
        offline_body=body,
        source="offline",
        suggested_action="approve",
        needs_review=True,
        review_reasons=[f"first message to a {origin.replace('_', ' ')}"],
        status=DraftStatus.PENDING,
        received_at=now,
        ready_at=now,
        latency_ms=0.0,
    )
    session.add(draft)
    session.flush()
    return qualification, draft
