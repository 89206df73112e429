"""Drafts a provider can trust with one tap: every question answered from the profile or
deferred, in the message's language, gender-neutral, and triage-aware (crisis, hold)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from prospecting.qualify.drafts import (
    TEMPLATE_LANGUAGES,
    build_draft,
    detect_questions,
    facts,
    guard_refinement,
    template_macros,
)
from prospecting.qualify.intent import INTENTS, Entities, Intent
from prospecting.qualify.schemas import ProfileIn
from prospecting.qualify.triage import Triage
from qualify.qualify_factories import all_tables, count_rows

LINK = "https://book.example.com/sam"
BASE: dict[str, Any] = {
    "services": [
        {
            "name": "Initial consultation",
            "duration_minutes": 50,
            "price_min": 60,
            "price_max": 80,
            "currency": "EUR",
        }
    ],
    "hours_text": "Mon-Thu 9:00-19:00",
    "booking_link": LINK,
    "sign_off": "Sam",
    "parking": "Free parking in the courtyard",
    "languages": list(TEMPLATE_LANGUAGES),
}

# "Hi, can I book Thursday evening? How much is it and is there parking?" in each language,
# with the price as the draft writes it and a phrase of the language's booking line.
BOOK_PRICE_PARKING = {
    "en": (
        "Hi, can I book Thursday evening? How much is it and is there parking?",
        "€60\u2013€80",
        "I'd be glad to book you in",
    ),
    "es": (
        "Hola, ¿puedo reservar el jueves por la tarde? ¿Cuánto cuesta y hay aparcamiento?",
        "60\u201380 €",
        "te reservo una cita",
    ),
    "fr": (
        "Bonjour, je peux réserver jeudi soir ? Combien ça coûte et il y a un parking ?",
        "60\u201380 €",
        "vous proposer un rendez-vous",
    ),
    "de": (
        "Hallo, kann ich Donnerstagabend buchen? Was kostet es und gibt es Parkplätze?",
        "60\u201380 €",
        "vereinbare ich einen Termin",
    ),
    "pt": (
        "Olá, posso marcar quinta-feira à noite? Quanto custa e há estacionamento?",
        "60\u201380 €",
        "marcar uma sessão",
    ),
    "it": (
        "Ciao, posso prenotare giovedì sera? Quanto costa e c'è parcheggio?",
        "60\u201380 €",
        "fisso volentieri un appuntamento",
    ),
    "nl": (
        "Hoi, kan ik donderdagavond boeken? Wat kost het en is er parkeergelegenheid?",
        "60\u201380 €",
        "plan graag een afspraak",
    ),
}
THURSDAY_EVENING = {
    "en": "Thursday evening",
    "es": "el jueves por la tarde",
    "fr": "jeudi soir",
    "de": "Donnerstagabend",
    "pt": "quinta-feira à noite",
    "it": "giovedì sera",
    "nl": "donderdagavond",
}
# "Do you take insurance?" and a phrase of the language's deferral.
INSURANCE_ASKED = {
    "en": ("Do you take my insurance?", "insurance question"),
    "es": ("¿Aceptas mi seguro médico?", "Lo del seguro"),
    "fr": ("Est-ce que c'est remboursé par la mutuelle ?", "je vérifie"),
    "de": ("Zahlt meine Krankenkasse das?", "Versicherung"),
    "pt": ("Aceita o meu plano de saúde?", "questão do seguro"),
    "it": ("Accetti l'assicurazione sanitaria?", "dell'assicurazione"),
    "nl": ("Wordt het vergoed door mijn verzekering?", "over de verzekering"),
}
# Forms that agree with the gender of the provider or of the person writing in.
GENDERED = {
    "en": r"\b(?:Sir|Madam|Mr|Mrs|Ms)\b",
    "es": r"\b(?:Estimad[oa]s?|Querid[oa]s?|Encantad[oa]|bienvenid[oa]s?|Señor|Señora|"
    r"segur[oa] de|contento|contenta)\b|/a\b|\(a\)",
    "fr": r"\b(?:Cher|Chère|Madame|Monsieur|ravie?|désolée?|prête?|heureux|heureuse)\b|\(e\)|·e",
    "de": r"\b(?:Sehr geehrte[rn]?|Liebe[rn]?|Herr|Frau)\b|/r\b|\*in\b",
    "pt": r"\b(?:obrigad[oa]|Car[oa]|Prezad[oa]|bem-vind[oa]|encantad[oa]|senhor|senhora)\b|/a\b",
    "it": r"\b(?:Car[oa]|Gentilissim[oa]|benvenut[oa]|content[oa]|liet[oa]|Signor[ae]?)\b|/a\b",
    "nl": r"\b(?:heer|mevrouw|meneer)\b",
}
CRISIS = {
    "emergency_number": "112",
    "helplines": [{"name": "Samaritans", "number": "116 123"}],
}


def _intent(
    label: str, language: str, *, wishes: list[str] | None = None, service: str | None = None
) -> Intent:
    return Intent(label, 0.9, language, Entities(service, wishes or [], "normal"))


def _profile(**changes: Any) -> ProfileIn:
    return ProfileIn.model_validate(BASE | changes)


def _allowed(profile: ProfileIn) -> set[str]:
    """Every number and link the profile states (60.0 is written 60), and currency signs."""
    stated = facts(json.dumps(profile.model_dump(mode="json")))
    return stated | {f.removesuffix(".0") for f in stated} | {"€", "£", "$"}


def test_every_language_file_defines_the_same_macros():
    english = template_macros("en")
    assert {"greeting", "book", "price_defer", "crisis_default", "hold", "when"} <= english
    for lang in TEMPLATE_LANGUAGES:
        assert template_macros(lang) == english, lang


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
def test_booking_with_a_price_and_parking_question_is_answered_in_the_messages_language(lang):
    text, price, booking_phrase = BOOK_PRICE_PARKING[lang]
    assert detect_questions(text).topics == ("booking", "price", "parking")
    profile = _profile()
    draft = build_draft(
        intent=_intent("booking_request", lang, wishes=["thursday", "evening"]),
        profile=profile,
        prospect_name="Jamie Clarke",
        text=text,
    )
    assert draft.language == lang and draft.suggested_action == "approve"
    body = draft.body
    assert booking_phrase in body
    assert price in body and "Initial consultation" in body
    assert "Free parking in the courtyard" in body
    assert THURSDAY_EVENING[lang] in body
    assert LINK in body and body.endswith("Sam")
    assert facts(body) <= _allowed(profile), facts(body) - _allowed(profile)
    if lang != "en":
        assert "book you in" not in body and "Here are my prices" not in body


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
def test_a_question_the_profile_cannot_answer_is_deferred_never_invented(lang):
    text, deferral = INSURANCE_ASKED[lang]
    assert "insurance" in detect_questions(text).topics
    profile = _profile()
    draft = build_draft(intent=_intent("other", lang), profile=profile, text=text)
    assert deferral in draft.body
    assert facts(draft.body) <= _allowed(profile)
    insured = build_draft(
        intent=_intent("other", lang),
        profile=_profile(insurance="Bupa and AXA cover sessions"),
        text=text,
    )
    assert "Bupa and AXA cover sessions" in insured.body and deferral not in insured.body


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
def test_an_unpriced_service_gets_no_invented_price(lang):
    text = BOOK_PRICE_PARKING[lang][0]
    profile = _profile(services=[{"name": "Couples therapy", "duration_minutes": 80}])
    draft = build_draft(
        intent=_intent("booking_request", lang, service="Couples therapy"),
        profile=profile,
        text=text,
    )
    assert "Couples therapy" in draft.body
    assert not {"€", "£", "$"} & facts(draft.body)
    assert facts(draft.body) <= _allowed(profile)


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
def test_several_unknowns_are_deferred_in_one_line(lang):
    profile = _profile(parking=None, hours_text=None)
    text = {
        "en": "Is it online? Where are you? Is there parking? Opening hours?",
        "de": "Geht es online? Wo sind Sie? Kann man parken? Öffnungszeiten?",
    }.get(lang, "online? parking? " + INSURANCE_ASKED[lang][0])
    draft = build_draft(intent=_intent("other", lang), profile=profile, text=text)
    deferred = [line for line in draft.body.splitlines() if line.endswith(".") and ":" in line]
    assert len(deferred) == 1, draft.body
    assert facts(draft.body) <= _allowed(profile)


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
def test_crisis_follows_the_providers_protocol_and_never_proposes_booking(lang):
    profile = _profile(crisis_protocol=CRISIS)
    for label in ("booking_request", "pricing_question", "reschedule_cancel"):
        draft = build_draft(
            intent=_intent(label, lang, wishes=["thursday"]),
            profile=profile,
            prospect_name="Jamie",
            triage=Triage(kinds=("crisis",), urgency="crisis"),
            text=BOOK_PRICE_PARKING[lang][0],
        )
        body = draft.body
        assert "Samaritans: 116 123" in body and "112" in body
        assert "http" not in body and LINK not in body
        assert not {"€", "60", "80"} & facts(body)
        assert BOOK_PRICE_PARKING[lang][2] not in body and "Free parking" not in body
        assert draft.suggested_action == "review" and draft.language == lang
        assert facts(body) <= _allowed(profile)


def test_crisis_quotes_the_providers_own_words_and_defaults_safely_without_a_protocol():
    own = "I'm here for you. Please stay safe, I will call you today."
    with_message = build_draft(
        intent=_intent("booking_request", "en"),
        profile=_profile(crisis_protocol=CRISIS | {"message": own}),
        triage=Triage(kinds=("crisis",)),
    )
    assert own in with_message.body and "116 123" in with_message.body
    for lang in TEMPLATE_LANGUAGES:
        default = build_draft(
            intent=_intent("booking_request", lang),
            profile=_profile(),
            prospect_name="Jamie",
            triage=Triage(kinds=("crisis", "health")),
        )
        assert not re.search(r"\d", default.body), default.body  # no number of a wrong region
        assert "http" not in default.body
    english = build_draft(
        intent=_intent("other", "en"), profile=_profile(), triage=Triage(kinds=("crisis",))
    ).body
    assert "local emergency number" in english and "reach out to you personally" in english


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
def test_a_held_message_gets_a_neutral_holding_reply_without_template_facts(lang):
    profile = _profile()
    draft = build_draft(
        intent=_intent("booking_request", lang, wishes=["thursday"]),
        profile=profile,
        prospect_name="Jamie",
        triage=Triage(kinds=("health",), reasons=("mentions a medication",)),
        text="Can I still book a massage while on blood thinners? How much is it?",
    )
    body = draft.body
    assert draft.suggested_action == "review"
    assert LINK not in body and "Mon-Thu" not in body and "€" not in body
    assert BOOK_PRICE_PARKING[lang][2] not in body
    assert THURSDAY_EVENING[lang].split()[-1] not in body


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
def test_no_prospect_gets_a_neutral_polite_line(lang):
    draft = build_draft(
        intent=_intent("not_a_prospect", lang), profile=_profile(), prospect_name="Jamie"
    )
    assert draft.suggested_action == "discard"
    lowered = draft.body.casefold()
    for dismissive in ("not something i need", "no es algo que necesite", "no, thanks", "spam"):
        assert dismissive not in lowered
    assert LINK not in draft.body


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
@pytest.mark.parametrize("tone", ["warm", "concise", "formal"])
def test_every_draft_is_gender_neutral(lang, tone):
    gendered = re.compile(GENDERED[lang], re.IGNORECASE)
    profile = _profile(tone=tone, crisis_protocol=None, cancellation_policy="24 hours' notice")
    text = "Is it online? Where are you? Insurance? Cancellation policy? "
    text += BOOK_PRICE_PARKING[lang][0]
    bodies = [
        build_draft(
            intent=_intent(label, lang, wishes=["tomorrow", "evening", "6pm"]),
            profile=profile,
            prospect_name=name,
            text=text,
        ).body
        for label in INTENTS
        for name in ("Jamie", None)
    ]
    bodies += [
        build_draft(
            intent=_intent("other", lang), profile=profile, prospect_name=name, triage=found
        ).body
        for found in (Triage(kinds=("crisis",)), Triage(kinds=("complaint",)))
        for name in ("Jamie", None)
    ]
    for body in bodies:
        assert not gendered.search(body), (gendered.search(body), body)


@pytest.mark.parametrize("lang", TEMPLATE_LANGUAGES)
def test_day_and_time_wishes_read_naturally(lang):
    expected = {
        "en": "tomorrow evening at 6:30pm or Friday the 21st",
        "es": "mañana por la tarde a las 18:30 o el viernes 21",
        "fr": "demain soir à 18h30 ou vendredi 21",
        "de": "morgen Abend um 18:30 Uhr oder Freitag, den 21.,",
        "pt": "amanhã à noite às 18h30 ou sexta-feira, dia 21",
        "it": "domani sera alle 18:30 o venerdì 21",
        "nl": "morgenavond om 18.30 uur of vrijdag de 21e",
    }[lang]
    draft = build_draft(
        intent=_intent(
            "availability_question",
            lang,
            wishes=["tomorrow", "evening", "6:30pm", "friday", "21st"],
        ),
        profile=_profile(),
    )
    assert expected in draft.body


def test_faq_answers_match_fuzzily_and_only_when_asked():
    faq = [
        {"question": "Do you work with children?", "answer": "Yes, from age 12 with consent."},
        {"question": "Is the first session free?", "answer": "The first 15-minute call is free."},
        {"question": "Is there parking?", "answer": "Two free spaces behind the building."},
        {"question": "¿Trabajas con niños?", "answer": "Sí, a partir de los 12 años."},
    ]
    profile = _profile(faq=faq)
    typo = build_draft(
        intent=_intent("service_question", "en"),
        profile=profile,
        text="Hi! Do you work with childern? My son is 13.",
    )
    assert "Yes, from age 12 with consent." in typo.body
    assert "first 15-minute call" not in typo.body
    paraphrase = build_draft(
        intent=_intent("pricing_question", "en"),
        profile=profile,
        text="is the first session really free of charge??",
    )
    assert "The first 15-minute call is free." in paraphrase.body
    unrelated = build_draft(
        intent=_intent("booking_request", "en"),
        profile=profile,
        text="I'm free on Thursday for a session, can I book?",
    )
    assert not any(entry["answer"] in unrelated.body for entry in faq)
    spanish = build_draft(
        intent=_intent("service_question", "es"),
        profile=profile,
        text="Hola, ¿trabajas con niños pequeños?",
    )
    assert "Sí, a partir de los 12 años." in spanish.body
    # The provider's FAQ answer on parking stands in for the parking field: said once.
    parking = build_draft(
        intent=_intent("other", "en"), profile=profile, text="Is there parking nearby?"
    )
    assert "Two free spaces behind the building." in parking.body
    assert "Free parking in the courtyard" not in parking.body


def test_modes_location_and_cancellation_come_from_the_profile():
    profile = _profile(
        online_sessions=True,
        in_person=False,
        location="12 Rue des Lilas, Lyon",
        cancellation_policy="Free cancellation up to 24 hours before.",
    )
    asked = "C'est en ligne ou en présentiel ? Où se trouve le cabinet ? Et si j'annule ?"
    draft = build_draft(intent=_intent("other", "fr"), profile=profile, text=asked)
    assert "Les séances ont lieu uniquement en ligne." in draft.body
    assert "Adresse : 12 Rue des Lilas, Lyon" in draft.body
    assert "Conditions d'annulation : Free cancellation up to 24 hours before." in draft.body
    moving = build_draft(intent=_intent("reschedule_cancel", "en"), profile=profile, text="")
    assert "Cancellation policy: Free cancellation up to 24 hours before." in moving.body
    assert "You can choose a new time here" in moving.body


def test_prices_are_written_the_way_each_language_writes_money():
    profile = _profile(
        services=[{"name": "Massage", "price_min": 1250.5, "currency": "EUR"}],
        languages=["en", "de", "fr"],
    )
    asked = {"en": "how much?", "de": "was kostet das?", "fr": "quel est le prix ?"}
    written = {"en": "€1,250.50", "de": "1.250,50 €", "fr": "1 250,50 €"}
    for lang, text in asked.items():
        body = build_draft(intent=_intent("other", lang), profile=profile, text=text).body
        assert written[lang] in body, body


def test_a_refinement_may_keep_the_drafts_facts_but_never_add_one():
    crisis = build_draft(
        intent=_intent("other", "de"),
        profile=_profile(crisis_protocol=CRISIS),
        triage=Triage(kinds=("crisis",)),
    ).body
    kept = "Bitte rufen Sie jetzt die 112 an oder sprechen Sie mit Samaritans: 116 123."
    assert guard_refinement(crisis, kept) == kept
    assert guard_refinement(crisis, kept + " Termine: https://book.example.com/sam") is None
    assert guard_refinement(crisis, "Rufen Sie die 110 an.") is None
    booking_text, _, _ = BOOK_PRICE_PARKING["fr"]
    offer = build_draft(
        intent=_intent("booking_request", "fr"), profile=_profile(), text=booking_text
    ).body
    assert guard_refinement(offer, "Bonjour ! C'est 60\u201380 €, réservez ici : " + LINK)
    assert guard_refinement(offer, "Bonjour ! C'est 45 €.") is None


FULL_PROFILE: dict[str, Any] = BASE | {
    "faq": [{"question": "Do you see couples?", "answer": "Yes, on Fridays."}],
    "cancellation_policy": "24 hours' notice, or the session is charged.",
    "location": "4 Canal Street, Manchester",
    "online_sessions": True,
    "in_person": False,
    "insurance": "I am registered with Bupa.",
    "crisis_protocol": {
        "message": "Please reach out to someone now.",
        "emergency_number": "999",
        "helplines": [{"name": "Samaritans", "number": "116 123"}],
    },
}


def test_profile_facts_and_crisis_protocol_round_trip_over_http(client, make_provider):
    provider = make_provider()
    empty = client.get("/qualify/profile", headers=provider.headers).json()
    assert empty["faq"] == [] and empty["crisis_protocol"] is None
    assert empty["online_sessions"] is None and empty["parking"] is None
    saved = client.put("/qualify/profile", json=FULL_PROFILE, headers=provider.headers)
    assert saved.status_code == 200, saved.text
    read = client.get("/qualify/profile", headers=provider.headers).json()
    for key in (
        "faq",
        "cancellation_policy",
        "location",
        "parking",
        "online_sessions",
        "in_person",
        "insurance",
        "crisis_protocol",
    ):
        assert read[key] == FULL_PROFILE[key], key
    assert {k: v for k, v in read.items() if k != "updated_at"} == {
        k: v for k, v in saved.json().items() if k != "updated_at"
    }
    cleared = client.put(
        "/qualify/profile", json=BASE | {"parking": None}, headers=provider.headers
    )
    assert cleared.status_code == 200
    again = client.get("/qualify/profile", headers=provider.headers).json()
    assert again["faq"] == [] and again["crisis_protocol"] is None
    assert again["parking"] is None and again["in_person"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"faq": [{"question": "Parking?", "answer": ""}]}, "faq.0.answer"),
        ({"faq": [{"question": "Parking?", "answer": "Yes", "extra": 1}]}, "faq.0.extra"),
        ({"parking": "x" * 301}, "parking"),
        ({"online_sessions": "sometimes"}, "online_sessions"),
        (
            {"crisis_protocol": {"emergency_number": "call the police"}},
            "crisis_protocol.emergency_number",
        ),
        (
            {"crisis_protocol": {"helplines": [{"name": "Samaritans", "number": "ring us"}]}},
            "crisis_protocol.helplines.0.number",
        ),
    ],
)
def test_a_bad_profile_fact_is_a_422_naming_the_field(
    client, runtime, make_provider, change, field
):
    provider = make_provider()
    before = count_rows(runtime, *all_tables())
    response = client.put("/qualify/profile", json=BASE | change, headers=provider.headers)
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields
    assert count_rows(runtime, *all_tables()) == before
