"""Draft step: an offline reply per intent, built only from the acting provider's own profile.

Every fact in a draft (service names, durations, prices, hours, booking link) comes from that
provider's profile; when the profile lacks one, the draft says the provider will confirm it
instead of inventing it. Templates exist in English and Spanish; other languages fall back to
English. `guard_refinement` keeps a language-model rewrite only if it adds no new numbers,
prices, links or addresses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from prospecting.qualify.intent import Intent
from prospecting.qualify.schemas import ProfileIn, ServiceOffer

TEMPLATE_LANGUAGES = ("en", "es")
_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}

_T: dict[str, dict[str, str]] = {
    "en": {
        "hi_warm": "Hi {name}, thanks so much for getting in touch!",
        "hi_concise": "Hi {name},",
        "hi_formal": "Dear {name}, thank you for your message.",
        "anon_warm": "Hi there, thanks so much for getting in touch!",
        "anon_concise": "Hi,",
        "anon_formal": "Hello, thank you for your message.",
        "book": "I'd be glad to book you in{service}.",
        "wishes": "You mentioned {wishes}; I'll check that for you.",
        "availability": "Happy to find a time that suits you{service}.",
        "pricing": "Here are my prices:",
        "pricing_missing": "I'll confirm the pricing{service} with you personally.",
        "service_q": "Here is what I offer:",
        "service_missing": "I'll send you the details of what I offer{service} shortly.",
        "reschedule": "No problem at all, we can move or cancel your appointment.",
        "spam": "Thank you for your message, but this is not something I need.",
        "other": "Thanks for your message, I'll get back to you shortly.",
        "link": "You can pick a time and book directly here: {link}",
        "link_reschedule": "You can choose a new time here: {link}",
        "no_link": "Reply with a couple of times that suit you and I'll confirm one.",
        "hours": "My usual hours: {hours}",
        "close_warm": "Looking forward to hearing from you!",
        "close_concise": "",
        "close_formal": "Kind regards,",
        "session": "session",
        "for": " for {what}",
    },
    "es": {
        "hi_warm": "¡Hola {name}, muchas gracias por escribirme!",
        "hi_concise": "Hola {name}:",
        "hi_formal": "Estimado/a {name}, gracias por su mensaje.",
        "anon_warm": "¡Hola, muchas gracias por escribirme!",
        "anon_concise": "Hola:",
        "anon_formal": "Buenos días, gracias por su mensaje.",
        "book": "Con gusto te reservo una cita{service}.",
        "wishes": "Mencionas {wishes}; lo compruebo y te confirmo.",
        "availability": "Encantada de encontrar un horario que te venga bien{service}.",
        "pricing": "Estos son mis precios:",
        "pricing_missing": "Te confirmo personalmente el precio{service}.",
        "service_q": "Esto es lo que ofrezco:",
        "service_missing": "En breve te envío los detalles de lo que ofrezco{service}.",
        "reschedule": "Sin problema, podemos cambiar o cancelar tu cita.",
        "spam": "Gracias por su mensaje, pero no es algo que necesite.",
        "other": "Gracias por tu mensaje, te respondo en breve.",
        "link": "Puedes elegir hora y reservar directamente aquí: {link}",
        "link_reschedule": "Puedes elegir una nueva hora aquí: {link}",
        "no_link": "Dime un par de horarios que te vengan bien y te confirmo uno.",
        "hours": "Mi horario habitual: {hours}",
        "close_warm": "¡Un saludo y hasta pronto!",
        "close_concise": "",
        "close_formal": "Atentamente,",
        "session": "sesión",
        "for": " para {what}",
    },
}
_WEEKDAYS = frozenset(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
)
_WISH_WORDS_ES = {
    "today": "hoy",
    "tonight": "esta noche",
    "tomorrow": "mañana",
    "monday": "el lunes",
    "tuesday": "el martes",
    "wednesday": "el miércoles",
    "thursday": "el jueves",
    "friday": "el viernes",
    "saturday": "el sábado",
    "sunday": "el domingo",
    "morning": "por la mañana",
    "afternoon": "por la tarde",
    "evening": "por la tarde-noche",
    "weekend": "el fin de semana",
    "next week": "la semana que viene",
    "this week": "esta semana",
}


@dataclass(frozen=True)
class OfflineDraft:
    body: str
    language: str
    tone: str
    suggested_action: str


def draft_language(message_language: str, profile_languages: Sequence[str]) -> str:
    """The message's language when the provider lists it and templates exist, else a fallback."""
    if message_language in TEMPLATE_LANGUAGES and message_language in profile_languages:
        return message_language
    for lang in profile_languages:
        if lang in TEMPLATE_LANGUAGES:
            return lang
    return "en"


def format_price(service: ServiceOffer) -> str | None:
    if service.price_min is None and service.price_max is None:
        return None
    currency = service.currency or ""
    symbol = _SYMBOLS.get(currency)

    def money(value: float) -> str:
        text = f"{value:,.2f}".removesuffix(".00")
        return f"{symbol}{text}" if symbol else f"{text} {currency}"

    low, high = service.price_min, service.price_max
    if low is not None and high is not None and high != low:
        return f"{money(low)}\u2013{money(high)}"
    value = low if low is not None else high
    assert value is not None
    return money(value)


def _service_line(service: ServiceOffer, *, price: bool) -> str:
    parts = [service.name]
    if service.duration_minutes:
        parts.append(f"{service.duration_minutes} min")
    shown = format_price(service) if price else None
    if shown:
        parts.append(shown)
    return "- " + ", ".join(parts)


def build_draft(
    *, intent: Intent, profile: ProfileIn, prospect_name: str | None = None
) -> OfflineDraft:
    """The offline reply for one classified message, from the profile and templates only."""
    lang = draft_language(intent.language, profile.languages)
    t = _T[lang]
    tone = profile.tone
    label = intent.label
    first = (prospect_name or "").split()[0] if prospect_name else ""
    lines = [t[f"hi_{tone}"].format(name=first) if first else t[f"anon_{tone}"]]
    requested = _requested(intent, profile)
    service_txt = t["for"].format(what=requested.name) if requested else ""
    suggested = "approve"

    if label == "not_a_prospect":
        lines = [t[f"anon_{'formal' if tone == 'formal' else 'concise'}"], t["spam"]]
        suggested = "discard"
    elif label == "booking_request":
        lines.append(t["book"].format(service=service_txt))
        lines.extend(_wishes(intent, lang))
        lines.extend(_next_steps(profile, t))
    elif label == "availability_question":
        lines.append(t["availability"].format(service=service_txt))
        lines.extend(_wishes(intent, lang))
        lines.extend(_next_steps(profile, t))
    elif label == "pricing_question":
        offers = [requested] if requested else profile.services
        priced = [s for s in offers if format_price(s)]
        if priced:
            lines.append(t["pricing"])
            lines.extend(_service_line(s, price=True) for s in priced)
        unpriced = [s for s in offers if not format_price(s)]
        if not priced or unpriced:
            what = requested.name if requested else None
            if not requested and priced and unpriced:
                what = ", ".join(s.name for s in unpriced)
            for_what = t["for"].format(what=what) if what else ""
            lines.append(t["pricing_missing"].format(service=for_what))
        lines.extend(_next_steps(profile, t))
    elif label == "service_question":
        if profile.services:
            lines.append(t["service_q"])
            offers = [requested] if requested else profile.services
            lines.extend(_service_line(s, price=True) for s in offers)
        else:
            lines.append(t["service_missing"].format(service=service_txt))
        lines.extend(_next_steps(profile, t))
    elif label == "reschedule_cancel":
        lines.append(t["reschedule"])
        if profile.booking_link:
            lines.append(t["link_reschedule"].format(link=profile.booking_link))
        else:
            lines.append(t["no_link"])
    else:
        lines.append(t["other"])
        if profile.booking_link:
            lines.append(t["link"].format(link=profile.booking_link))
    closing = t[f"close_{tone}"] if suggested == "approve" else ""
    tail = [line for line in (closing, profile.sign_off or "") if line]
    body = "\n".join(lines) + ("\n\n" + "\n".join(tail) if tail else "")
    return OfflineDraft(body=body.strip(), language=lang, tone=tone, suggested_action=suggested)


def _requested(intent: Intent, profile: ProfileIn) -> ServiceOffer | None:
    wanted = intent.entities.requested_service
    if not wanted:
        return None
    for service in profile.services:
        if service.name.casefold() == wanted.casefold():
            return service
    return None


def _wishes(intent: Intent, lang: str) -> list[str]:
    wishes = intent.entities.day_time_wishes[:3]
    if not wishes:
        return []
    if lang == "es":
        wishes = [_WISH_WORDS_ES.get(w, w) for w in wishes]
    else:
        wishes = [w.capitalize() if w in _WEEKDAYS else w for w in wishes]
    return [_T[lang]["wishes"].format(wishes=" ".join(wishes))]


def _next_steps(profile: ProfileIn, t: dict[str, str]) -> list[str]:
    steps = []
    if profile.hours_text:
        steps.append(t["hours"].format(hours=profile.hours_text))
    if profile.booking_link:
        steps.append(t["link"].format(link=profile.booking_link))
    else:
        steps.append(t["no_link"])
    return steps


_FACTS = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+|[£$€¥]|\d+(?:[.,:]\d+)*", re.IGNORECASE
)
MAX_REFINED_CHARS = 4000


def facts(text: str) -> set[str]:
    """Numbers, currency signs, links and addresses: what a rewrite may not invent."""
    return {m.group(0).rstrip(".,;:!?)\"'").lower() for m in _FACTS.finditer(text)}


def guard_refinement(offline: str, refined: str | None) -> str | None:
    """The refined text if it is safe to offer, else None (the caller keeps the offline draft)."""
    if refined is None:
        return None
    refined = refined.strip()
    if not refined or len(refined) > min(MAX_REFINED_CHARS, 3 * len(offline) + 200):
        return None
    if facts(refined) - facts(offline):
        return None
    return refined
