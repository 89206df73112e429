"""Which of seven languages an inbound message is written in: stopwords, spelling cues and
per-language character trigrams from the packaged intent examples. Offline, no model download."""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from importlib import resources

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it", "nl")
UNDETERMINED = "und"
SAMPLES_FILE = "intent_train.jsonl"
"""The packaged intent examples double as language samples: each row carries its ``lang``."""


def fold(text: str) -> str:
    """Casefold and drop diacritics, so "Mañana", "manana" and "MAÑANA" read the same."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_STOPWORDS_TEXT = {
    "en": "the and to you your for is are am i my me an of on at it this that can could would "
    "do does have has with be what when how please thanks thank hi hello hey will just need "
    "want like there any we our us get it's i'm i'd don't off only now no not so up out from "
    "by or if all about some then than too very yes okay enough",
    "es": "el los las del y que un una por para con es mi tu quiero quisiera hola gracias cuanto "
    "puedo tienes tiene hay esta estoy pero como muy mas manana semana hora tengo podemos "
    "puede usted le lo al sesion cita clase precio buenas ya si bien vale todo nada hasta "
    "luego nos vemos",
    "fr": "le les des du et une pour avec est je vous tu mon ma mes nous pas qui sur bonjour "
    "merci ce cette combien rendez-vous demain semaine au aux il elle suis c'est est-ce "
    "j'ai je voudrais votre vos seance cours tarif bien oui non mais ou tres tout aussi deja "
    "chez encore bonne vais",
    "de": "der das und ich sie du ein eine einen fur mit ist nicht zu am um bei wie was wann "
    "haben hallo danke gerne bitte termin woche konnen kann mochte ihr ihnen mein meine "
    "noch auch es wir uns gibt habe ware wurde heute morgen vielen bis dann sehr schon jetzt "
    "gut mal doch aber oder wenn dass hier",
    "pt": "o os um uma para com eu voce voces nao no na em por ola obrigado obrigada quanto "
    "posso tem horario amanha queria gostaria meu minha vc vcs sessao aula hoje da do "
    "esta estou fazer pra tudo bem sim mas ou muito tambem ja ainda ate logo vou to",
    "it": "il lo gli di del della un una per con sono io tu lei non che al alla ciao "
    "buongiorno grazie quanto costa posso avete hai vorrei domani settimana mio mia "
    "oggi sei siete ho ci lezione seduta prezzo si ma molto bene tutto anche gia ancora "
    "vediamo va",
    "nl": "de het een en ik je jij jullie voor met is niet dat van op te hoi hallo dank "
    "bedankt graag hoeveel kost kan kunnen heb heeft wil afspraak week mijn ook nog wat "
    "wanneer vandaag morgen zijn bij mij er dan maar als al wel dus hier even toch tot",
}
_STOPWORDS = {lang: frozenset(fold(words).split()) for lang, words in _STOPWORDS_TEXT.items()}
_CUES = {
    "es": re.compile(r"[ñ¿¡]"),
    "pt": re.compile(r"[ãõ]|ção|ções"),
    "de": re.compile(r"[ßäöü]"),
    "fr": re.compile(r"[êîœùû]|\bj'|\bc'|\bd'|\bl'|\bqu'"),
    "it": re.compile(r"[ìò]\b|\bun'|\bl'|\bc'è"),
    "nl": re.compile(r"ij|\b's\s"),
}
_LETTERS = re.compile(r"[^\W\d_]+")


def _samples() -> Iterator[tuple[str, str]]:
    """(text, language) of every packaged example."""
    source = resources.files("prospecting.qualify").joinpath("data", SAMPLES_FILE)
    for line in source.read_text(encoding="utf-8").splitlines():
        if line:
            row = json.loads(line)
            yield row["text"], row["lang"]


def _trigrams(text: str) -> Iterable[str]:
    for word in _LETTERS.findall(text.casefold()):
        padded = f" {word} "
        for i in range(len(padded) - 2):
            yield padded[i : i + 3]


@functools.lru_cache(maxsize=1)
def _trigram_profiles() -> dict[str, dict[str, float]]:
    """Per-language char trigram log-probabilities from the training texts and stopwords; an
    unseen trigram costs the same in every language, so the bigger English sample is no handicap."""
    counts: dict[str, Counter[str]] = {lang: Counter() for lang in LANGUAGES}
    for text, lang in _samples():
        if lang in counts:
            counts[lang].update(_trigrams(text))
    for lang, words in _STOPWORDS_TEXT.items():
        counts[lang].update(_trigrams(words))
    totals = {lang: sum(counter.values()) + len(counter) + 1 for lang, counter in counts.items()}
    unseen = math.log(1 / max(totals.values()))
    profiles: dict[str, dict[str, float]] = {}
    for lang, counter in counts.items():
        profiles[lang] = {g: math.log((n + 1) / totals[lang]) for g, n in counter.items()}
        profiles[lang][""] = unseen
    return profiles


def detect_language(text: str) -> str:
    """ISO 639-1 code among ``LANGUAGES``, or "und" when the text gives too little to go on."""
    words = _LETTERS.findall(fold(text))
    if not words or sum(len(w) for w in words) < 3:
        return UNDETERMINED
    scores = dict.fromkeys(LANGUAGES, 0.0)
    for word in words:
        owners = [lang for lang, stop in _STOPWORDS.items() if word in stop]
        for lang in owners:
            scores[lang] += 1.0 / len(owners)
    lowered = text.casefold()
    for lang, cue in _CUES.items():
        scores[lang] += 1.5 * len(cue.findall(lowered))
    profiles = _trigram_profiles()
    loglik = {
        lang: sum(profile.get(g, profile[""]) for g in _trigrams(text))
        for lang, profile in profiles.items()
    }
    top = max(loglik.values())
    weights = {lang: math.exp(max(value - top, -50.0)) for lang, value in loglik.items()}
    norm = sum(weights.values())
    for lang in LANGUAGES:
        scores[lang] += 2.0 * weights[lang] / norm
    best = max(LANGUAGES, key=lambda lang: scores[lang])
    evidence = scores[best] - 2.0 * weights[best] / norm
    if evidence <= 0 and weights[best] / norm < 0.6:
        return UNDETERMINED
    return best
