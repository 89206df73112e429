"""Triage before drafting: the screen itself, the one-tap decision, and a quality floor on the
labelled eval set (tests/qualify/data/triage_eval.jsonl; the lexicon was tuned on
tools/triage_dev.jsonl, never on this file). A floor on recall, not a timing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from prospecting.qualify.drafts import build_draft
from prospecting.qualify.entities import Entities
from prospecting.qualify.intent import Intent, classify
from prospecting.qualify.lexicon import KINDS, normalize
from prospecting.qualify.schemas import ProfileIn
from prospecting.qualify.service import (
    NOT_PROSPECT_SURE,
    UNCERTAIN_INTENT_BELOW,
    review_decision,
)
from prospecting.qualify.triage import Triage, max_urgency, triage

EVAL = Path(__file__).parent / "data" / "triage_eval.jsonl"
LANGUAGES = {"en", "es", "fr", "de", "pt", "it", "nl"}


def _rows() -> list[dict[str, object]]:
    with EVAL.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_eval_set_covers_every_kind_in_several_languages() -> None:
    rows = _rows()
    assert len(rows) >= 200
    assert sum(1 for r in rows if not r["kinds"]) >= 80
    for kind in KINDS:
        langs = {r["language"] for r in rows if kind in r["kinds"]}  # type: ignore[operator]
        assert len(langs) >= 3, kind
    assert {r["language"] for r in rows} == LANGUAGES


def test_quality_floor_on_the_eval_set_through_the_services_decision() -> None:
    """What `qualify_inbound` decides (read, screen, draft, review_decision) for every message:
    crisis always held with urgency crisis and never suggested for approval, every other
    sensitive kind held at least 95 % of the time, ordinary messages one-tap at least 90 %."""
    n: Counter[str] = Counter()
    held: Counter[str] = Counter()
    crisis_named = 0
    profile = ProfileIn(languages=sorted(LANGUAGES))
    for row in _rows():
        text = str(row["text"])
        read = classify(text)
        screened = triage(text, language=read.language)
        offline = build_draft(intent=read, profile=profile, triage=screened, text=text)
        review = review_decision(read, screened, offline.suggested_action)
        kinds = list(row["kinds"])  # type: ignore[call-overload]
        if not kinds:
            n["ordinary"] += 1
            held["ordinary"] += review.needs_review
            continue
        for kind in kinds:
            n[kind] += 1
            held[kind] += review.needs_review
        if "crisis" in kinds:
            assert review.needs_review and review.suggested_action != "approve", text
            assert screened.crisis and screened.urgency == "crisis", text
            crisis_named += 1
    assert crisis_named == n["crisis"] > 0
    for kind in KINDS:
        assert held[kind] / n[kind] >= 0.95, (kind, held[kind], n[kind])
    assert 1 - held["ordinary"] / n["ordinary"] >= 0.90, (held["ordinary"], n["ordinary"])


QUOTED = [
    ("I don't know if I can keep going anymore. Can you see me today?", "crisis"),
    ("My husband hit me again last night, I need to talk to someone", "crisis"),
    ("I'm 30 weeks pregnant with high blood pressure, is a deep tissue massage ok?", "health"),
    ("hi im 14 and my parents dont know, can i book sessions", "minor"),
    ("I know where you live. Answer my messages.", "harassment"),
    ("Can you tell me if my wife has been coming to see you?", "privacy"),
    ("I'm 62 and had knee surgery, would your bootcamp suit me?", "health"),
]


@pytest.mark.parametrize(("text", "kind"), QUOTED)
def test_the_reported_messages_are_screened(text: str, kind: str) -> None:
    found = triage(text, language="en")
    assert kind in found.kinds and found.hold
    assert found.reasons and all(isinstance(r, str) and r for r in found.reasons)
    if kind == "crisis":
        assert found.urgency == "crisis"


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("I don't see the point anymore", "en", "crisis"),
        ("je n'en peux plus", "fr", "crisis"),
        ("je nen peux plus", "fr", "crisis"),  # apostrophe dropped
        ("ya no quiero vivir", "es", "crisis"),
        ("YA NO QUIERO VIVIR", "und", "crisis"),  # upper case, language unknown
        ("ich will nicht mehr leben", "de", "crisis"),
        ("nao aguento mais", "pt", "crisis"),  # no accents
        ("non ce la faccio più", "it", "crisis"),
        ("ik zie het niet meer zitten", "nl", "crisis"),
        ("been havin thoughts of killing myself tbh", "en", "crisis"),
        ("i think i might be suicdal", "en", "crisis"),  # typo, matched at one edit
        ("im pregant is that ok for hot yoga", "en", "health"),  # typo
        ("Ich bin schwanger", "de", "health"),
        ("I'm filing a chargeback", "en", "complaint"),
        ("quiero un reembolso", "es", "complaint"),
        ("My solicitor needs your notes for court", "en", "legal"),
        ("Ik wil inzage in mijn gegevens (AVG)", "nl", "legal"),
        ("j'ai 15 ans", "fr", "minor"),
        ("can i book a massage for my girlfriend shes 15", "en", "minor"),
        ("do you do happy endings", "en", "harassment"),
        ("¿Mi marido ha ido a tu consulta?", "es", "privacy"),
    ],
)
def test_kinds_across_languages_and_spellings(text: str, language: str, kind: str) -> None:
    assert kind in triage(text, language=language).kinds


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying to try your class! Any spots Saturday?",  # idiom, not crisis
        "this price is killing me lol, any discounts?",  # idiom
        "That class nearly killed me but I loved it",  # idiom
        "can I cancel Thursday?",
        "Ich kann am Dienstag nicht mehr, geht Mittwoch?",  # a day, not despair
        "Ik kan donderdag niet meer, kan het vrijdag?",
        "my knee is fine now, book me in for Monday",  # judgement: resolved, books
        "Looking for a maths tutor for my 10-year-old son",  # parent books for their child
        "Do you do sessions for teenagers? My daughter is 15",
        "im 15 mins late sorry",  # minutes, not an age
        "I'm 14 stone and want to lose weight",
        "What's your refund policy if I can't make it?",  # policy question, not a dispute
        "Do you accept insurance?",
        "Do you offer pregnancy massage?",  # a service question
        "My wife and I would like couples therapy",
        "my mum is a client of yours and recommended you!",
        "can you send me some photos of your work?",
        "do you have nude nail polish?",
        "",
    ],
)
def test_ordinary_messages_are_not_flagged(text: str) -> None:
    found = triage(text, language="en")
    assert found == Triage() and not found.hold


def test_negation_cancels_a_health_mention_but_not_a_crisis() -> None:
    assert not triage("I'm not pregnant and have no injuries", language="en").hold
    assert triage("I don't want to live anymore", language="en").crisis


def test_findings_carry_plain_reasons_hints_and_the_stored_shape() -> None:
    found = triage("im 15 and i keep thinking about killing myself", language="en")
    assert found.kinds == ("crisis", "minor")  # in KINDS order
    assert found.reasons[0] == "mentions self-harm or suicidal thoughts"
    assert "says they are under 18" in found.reasons
    assert "killing myself" in found.hints
    assert found.as_json() == {
        "kinds": ["crisis", "minor"],
        "reasons": list(found.reasons),
        "urgency": "crisis",
    }


def test_threats_raise_urgency_and_urgency_only_goes_up() -> None:
    assert triage("I know where you live", language="en").urgency == "high"
    assert max_urgency("high", "normal") == "high"
    assert max_urgency("normal", "crisis", "high") == "crisis"
    assert max_urgency("bogus") == "normal"


def test_normalize_folds_accents_apostrophes_and_sms() -> None:
    assert normalize("Je n\u2019en peux PLUS!!") == "je nen peux plus #"
    assert normalize("u r gr8, see u 2day") == "you are gr8 # see you today"
    assert normalize("un'operazione") == "un operazione"
    assert normalize("im 15yo") == "im 15 years old"


def _intent(label: str, confidence: float) -> Intent:
    return Intent(label, confidence, "en", Entities(None, [], "normal"))


def test_review_decision_holds_unsure_reads_and_never_suggests_discarding_them() -> None:
    ordinary = Triage()
    sure = review_decision(_intent("booking_request", 0.9), ordinary, "approve")
    assert not sure.needs_review and sure.suggested_action == "approve" and not sure.reasons

    unsure = review_decision(
        _intent("booking_request", UNCERTAIN_INTENT_BELOW - 0.01), ordinary, "approve"
    )
    assert unsure.needs_review and unsure.suggested_action == "review"
    assert "unclear what the message asks" in unsure.reasons[0]

    neutral = review_decision(_intent("other", 0.2), ordinary, "approve")
    assert not neutral.needs_review  # the neutral reply commits to nothing

    maybe_spam = review_decision(
        _intent("not_a_prospect", NOT_PROSPECT_SURE - 0.01), ordinary, "discard"
    )
    assert maybe_spam.needs_review and maybe_spam.suggested_action == "review"
    spam = review_decision(_intent("not_a_prospect", 0.95), ordinary, "discard")
    assert not spam.needs_review and spam.suggested_action == "discard"

    screened = triage("I want a full refund", language="en")
    held = review_decision(_intent("booking_request", 0.99), screened, "approve")
    assert held.needs_review and held.suggested_action == "review"
    assert held.reasons == screened.reasons


def test_a_person_flagged_by_consenting_peers_is_never_one_tap() -> None:
    ordinary = Triage()
    sure = _intent("booking_request", 0.95)
    flagged = review_decision(sure, ordinary, "approve", flags={"harassment": 2})
    assert flagged.needs_review and flagged.suggested_action == "review"
    assert flagged.reasons == ("flagged by 2 consenting peers: harassment",)
    several = review_decision(
        sure, ordinary, "approve", flags={"safety_concern": 3, "payment_dispute": 2}
    )
    assert several.needs_review and several.suggested_action == "review"
    assert several.reasons == (
        "flagged by 2 consenting peers: payment dispute",
        "flagged by 3 consenting peers: safety concern",
    )
    unflagged = review_decision(sure, ordinary, "approve", flags={})
    assert unflagged == review_decision(sure, ordinary, "approve")
    assert not unflagged.needs_review


def test_spam_flags_alone_suggest_discarding() -> None:
    ordinary = Triage()
    sure = _intent("booking_request", 0.95)
    spam = review_decision(sure, ordinary, "approve", flags={"spam": 2})
    assert spam.needs_review and spam.suggested_action == "discard"
    assert spam.reasons == ("flagged by 2 consenting peers: spam",)
    mixed = review_decision(sure, ordinary, "approve", flags={"spam": 2, "harassment": 2})
    assert mixed.needs_review and mixed.suggested_action == "review"
    screened = triage("I want a full refund", language="en")
    sensitive = review_decision(sure, screened, "approve", flags={"spam": 4})
    assert sensitive.needs_review and sensitive.suggested_action == "review"  # triage first
    assert sensitive.reasons[: len(screened.reasons)] == screened.reasons
