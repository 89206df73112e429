"""Read step of auto-qualify: what an inbound prospect message asks for, in which language, and
which service, day/time wishes and urgency it names. Offline: trained at first use from
packaged examples, no model download."""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from importlib import resources

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

INTENTS: tuple[str, ...] = (
    "booking_request",
    "availability_question",
    "pricing_question",
    "service_question",
    "reschedule_cancel",
    "not_a_prospect",
    "other",
)
LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it", "nl")
UNDETERMINED = "und"
MAX_CHARS = 4000
_SAME_DAY_URGENT = frozenset({"booking_request", "availability_question", "reschedule_cancel"})


@dataclass(frozen=True)
class Entities:
    """What a message names for the draft: one of the provider's services, time wishes
    (canonical English: "tomorrow", "monday", "10am", "18:30", "evening", "next week"), urgency."""

    requested_service: str | None
    day_time_wishes: list[str]
    urgency: str


@dataclass(frozen=True)
class Intent:
    """One message read; ``confidence`` is the model's probability of ``label``."""

    label: str
    confidence: float
    language: str
    entities: Entities


@dataclass(frozen=True)
class Example:
    """One labelled message of the packaged training set."""

    text: str
    intent: str
    lang: str


def classify(text: str, *, service_names: Sequence[str] = ()) -> Intent:
    """Label ``text`` with one of ``INTENTS``; ``service_names`` are the provider's own services."""
    text = text[:MAX_CHARS]
    if not text.strip():
        return Intent("other", 1.0, UNDETERMINED, Entities(None, [], "normal"))
    model = intent_model()
    probabilities = model.probabilities(text)
    best = int(probabilities.argmax())
    label = model.classes[best]
    language = detect_language(text)
    entities = extract_entities(text, service_names=service_names, label=label)
    return Intent(label, float(probabilities[best]), language, entities)


def training_examples() -> list[Example]:
    """The packaged training set (``data/intent_train.jsonl``)."""
    source = resources.files("prospecting.qualify").joinpath("data/intent_train.jsonl")
    rows = (json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line)
    return [Example(row["text"], row["intent"], row["lang"]) for row in rows]


def fold(text: str) -> str:
    """Casefold and drop diacritics, so "Mañana", "manana" and "MAÑANA" read the same."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --- intent model -------------------------------------------------------------------------

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|io|ly|co|biz|xyz|de|fr|es|it|nl|pt|br)\b(?:/\S*)?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_WORD_PATTERN = r"(?u)\b\w+\b|[?$€£!]"


def _model_text(text: str) -> str:
    """What the vectorizers see: links and addresses as placeholders, digits as 0, folded."""
    text = _URL.sub(" weblink ", _EMAIL.sub(" emailaddr ", text))
    return _DIGIT.sub("0", fold(unicodedata.normalize("NFKC", text)))


def build_pipeline() -> Pipeline:
    """Char n-grams carry typos, SMS spelling and seven languages; words carry phrasing."""
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    sublinear_tf=True,
                    preprocessor=_model_text,
                    min_df=1,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    preprocessor=_model_text,
                    token_pattern=_WORD_PATTERN,
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=20.0, max_iter=3000, class_weight="balanced")
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass(frozen=True)
class IntentModel:
    """The fitted pipeline plus a direct scorer that computes its ``predict_proba`` for one text
    without scikit-learn's per-call validation (~3 ms), so one message reads in well under 5 ms."""

    pipeline: Pipeline
    classes: tuple[str, ...]
    analyzers: tuple[Callable[[str], list[str]], ...]
    vocabularies: tuple[dict[str, int], ...]
    idfs: tuple[npt.NDArray[np.float64], ...]
    offsets: tuple[int, ...]
    weights: npt.NDArray[np.float64]
    intercept: npt.NDArray[np.float64]

    @classmethod
    def fit(cls, examples: Sequence[Example]) -> IntentModel:
        pipeline = build_pipeline()
        with threadpool_limits(limits=1):
            pipeline.fit([e.text for e in examples], [e.intent for e in examples])
        vectorizers = [v for _, v in pipeline.named_steps["features"].transformer_list]
        sizes = [len(v.vocabulary_) for v in vectorizers]
        classifier = pipeline.named_steps["classifier"]
        return cls(
            pipeline=pipeline,
            classes=tuple(str(c) for c in classifier.classes_),
            analyzers=tuple(v.build_analyzer() for v in vectorizers),
            vocabularies=tuple(dict(v.vocabulary_) for v in vectorizers),
            idfs=tuple(np.asarray(v.idf_, dtype=np.float64) for v in vectorizers),
            offsets=tuple(int(o) for o in np.cumsum([0, *sizes[:-1]])),
            weights=np.ascontiguousarray(classifier.coef_.T, dtype=np.float64),
            intercept=np.asarray(classifier.intercept_, dtype=np.float64),
        )

    def probabilities(self, text: str) -> npt.NDArray[np.float64]:
        """Probabilities in ``classes`` order: sublinear tf-idf, l2 per vectorizer, softmax."""
        logits = self.intercept.copy()
        parts = zip(self.analyzers, self.vocabularies, self.idfs, self.offsets, strict=True)
        for analyzer, vocabulary, idf, offset in parts:
            known = (vocabulary.get(token) for token in analyzer(text))
            counts = Counter(j for j in known if j is not None)
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            values = tf * idf[columns]
            logits += (values / np.linalg.norm(values)) @ self.weights[offset + columns]
        exp = np.exp(logits - logits.max())
        return np.asarray(exp / exp.sum(), dtype=np.float64)


@functools.lru_cache(maxsize=1)
def intent_model() -> IntentModel:
    """Fitted once per process from the packaged examples (about a second, single-threaded)."""
    return IntentModel.fit(training_examples())


# --- language -----------------------------------------------------------------------------

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
    for example in training_examples():
        if example.lang in counts:
            counts[example.lang].update(_trigrams(example.text))
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


# --- entities -----------------------------------------------------------------------------

# One wish per line, "canonical: regex" on folded text; "a+b" yields two wishes, ":" alone
# consumes greetings ("Guten Morgen" is no "tomorrow"); "  |..." continues the line above.
# Earlier lines win overlaps, so "por la manana" (morning) beats "manana" (tomorrow).
_WISH_TABLE = r"""
monday+morning: (?:montag|maandag)(?:morgen|vormittag|ochtend)s?
monday+afternoon: (?:montag|maandag)(?:nachmittag|middag)s?
monday+evening: (?:montag|maandag)(?:abend|avond)s?
tuesday+morning: (?:dienstag|dinsdag)(?:morgen|vormittag|ochtend)s?
tuesday+afternoon: (?:dienstag|dinsdag)(?:nachmittag|middag)s?
tuesday+evening: (?:dienstag|dinsdag)(?:abend|avond)s?
wednesday+morning: (?:mittwoch|woensdag)(?:morgen|vormittag|ochtend)s?
wednesday+afternoon: (?:mittwoch|woensdag)(?:nachmittag|middag)s?
wednesday+evening: (?:mittwoch|woensdag)(?:abend|avond)s?
thursday+morning: (?:donnerstag|donderdag)(?:morgen|vormittag|ochtend)s?
thursday+afternoon: (?:donnerstag|donderdag)(?:nachmittag|middag)s?
thursday+evening: (?:donnerstag|donderdag)(?:abend|avond)s?
friday+morning: (?:freitag|vrijdag)(?:morgen|vormittag|ochtend)s?
friday+afternoon: (?:freitag|vrijdag)(?:nachmittag|middag)s?
friday+evening: (?:freitag|vrijdag)(?:abend|avond)s?
saturday+morning: (?:samstag|zaterdag)(?:morgen|vormittag|ochtend)s?
saturday+afternoon: (?:samstag|zaterdag)(?:nachmittag|middag)s?
saturday+evening: (?:samstag|zaterdag)(?:abend|avond)s?
sunday+morning: (?:sonntag|zondag)(?:morgen|vormittag|ochtend)s?
sunday+afternoon: (?:sonntag|zondag)(?:nachmittag|middag)s?
sunday+evening: (?:sonntag|zondag)(?:abend|avond)s?
: good (?:morning|afternoon|evening)|guten (?:morgen|abend|tag)|goede(?:morgen|middag|navond)
  ||buenas (?:tardes|noches)|boa (?:tarde|noite)|buona ?sera|buon pomeriggio|bonsoir
day after tomorrow: day after tomorrow|pasado manana|apres[- ]demain|ubermorgen|dopodomani
  ||depois de amanha|overmorgen
tomorrow+morning: morgen ?fruh|morgenochtend|morgen vormittag
tomorrow+evening: morgenavond|morgen abend
tonight: tonight|tonite|2nite|this evening|esta noche|ce soir|heute abend|hoje a noite|stasera
  ||hoje de noite|vanavond
next week: next week|(?:la )?semana que viene|(?:la )?proxima semana|semana que vem|kommende woche
  ||semaine prochaine|(?:la )?prochaine semaine|nachste woche|naechste woche|volgende week
  ||settimana prossima|prossima settimana
this week: this week|esta semana|essa semana|cette semaine|diese woche|questa settimana|deze week
next month: next month|el mes que viene|el proximo mes|le mois prochain|nachsten monat|mes que vem
  ||proximo mes|il mese prossimo|volgende maand
weekend: (?:this |next )?week-?ends?|(?:el |este |no |neste )?fin(?:de| de) semana|fim de semana
  ||wochenende|fine settimana
morning: mornings?|(?:por|de|en) la manana|(?:de|pela|na) manha|matin(?:ee)?|vormittags?|morgens
  ||am morgen|mattin(?:a|ata)|(?:'s |s )?ochtends?|'s morgens
afternoon: afternoons?|(?:por|en|a) la tarde|esta tarde|apres-? ?midi|nachmittags?|pomeriggio
  ||(?:a|de|pela) tarde|'s middags|middag
evening: evenings?|after work|(?:por|en) la noche|soir(?:ee)?|abends?|(?:a|de) noite|serata
  ||(?:di |la |in |alla )sera|(?:'s )?avonds?
noon: noon|midday|lunch ?time|mediodia|midi|mittags?|meio-? ?dia|mezzogiorno|middaguur|lunchtijd
tomorrow: tomorrow|tmrw|tmr|tmrow|tomoro|tomorow|tommorow|tommorrow|2morrow|2moro|manana|demain
  ||morgen|amanha|domani
today: today|hoy|aujourd'?hui|heute|hoje|oggi|vandaag
monday: mondays?|lunes|lundis?|montags?|segunda(?:-feira)?|lunedi|maandag
tuesday: tuesdays?|tues?|martes|mardis?|dienstags?|terca(?:-feira)?|martedi|dinsdag
wednesday: wednesdays?|weds|miercoles|mercredis?|mittwochs?|quarta(?:-feira)?|mercoledi|woensdag
thursday: thursdays?|thu(?:rs?)?|jueves|jeudis?|donnerstags?|quinta(?:-feira)?|giovedi|donderdag
friday: fridays?|fri|viernes|vendredis?|freitags?|sexta(?:-feira)?|venerdi|vrijdag
saturday: saturdays?|sabados?|samedis?|samstags?|sabato|zaterdag
sunday: sundays?|domingos?|dimanches?|sonntags?|domenica|zondag
saturday: (?:(?<=on )|(?<=this )|(?<=next )|(?<=do ))sat|sat(?=\s+(?:morn|aft|eve|night|\d))
sunday: (?:(?<=on )|(?<=this )|(?<=next )|(?<=do ))sun|sun(?=\s+(?:morn|aft|eve|night|\d))
wednesday: (?:(?<=on )|(?<=this )|(?<=next )|(?<=do ))wed|wed(?=\s+(?:morn|aft|eve|night|\d))
"""


def _wish_regexes(table: str) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    rows: list[list[str]] = []
    for line in table.strip().splitlines():
        if line.startswith("  |"):
            rows[-1][1] += line.strip()[1:]
        else:
            rows.append(line.split(": ", 1) if not line.startswith(":") else ["", line[2:]])
    return tuple(
        (re.compile(rf"(?<!\w)(?:{pattern})(?!\w)"), tuple(filter(None, key.split("+"))))
        for key, pattern in rows
    )


_WISH_REGEXES = _wish_regexes(_WISH_TABLE)
_AMPM = re.compile(r"(?<![\w:.])(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?")
_CLOCK = re.compile(r"(?<![\w:.])(\d{1,2})\s*[:h]\s*(\d{2})(?![\d%])")
_BARE_HOUR = re.compile(r"(?<![\w:.])(\d{1,2})\s*(?:h|uhr|uur)(?!\w)")
_AT_HOUR = re.compile(
    r"(?<!\w)(?:at|around|by|after|before|until|a las|sobre las|hacia las|desde las|as|vers|um"
    r"|gegen|ab|om|rond|alle|verso le|dalle|dopo le)\s+(\d{1,2})(?:\s*(?:o'?clock|hrs?))?"
    r"(?!\s*(?:[:.,]?\d|%|€|\$|£|min|people|person|persons|personas|personnes|personen|persone"
    r"|sessions?|x\b))(?!\w)"
)
_ORDINAL_DAY = re.compile(r"(?<!\w)(\d{1,2})(?:st|nd|rd|th)(?!\w)")
_URGENT = re.compile(
    r"(?<!\w)(?:urgen\w*|asap|a\.s\.a\.p|emergenc\w*|notfall|noodgeval|spoed\w*|dringend\w*"
    r"|as soon as (?:possible|you can)|right away|right now|immediately|same[- ]day"
    r"|lo antes posible|cuanto antes|lo mas pronto posible|hoy mismo|au plus vite|des que possible"
    r"|au plus tot|le plus tot possible|so schnell wie moglich|schnellstmoglich|sofort"
    r"|moglichst bald|o mais rapido possivel|o quanto antes|o mais breve possivel"
    r"|(?:il )?prima possibile|al piu presto|subito|zo snel mogelijk|zsm|meteen"
    r"|in (?:a lot of )?pain)(?!\w)"
)
_SAME_DAY = frozenset({"today", "tonight"})


def _clock_wish(match: re.Match[str], kind: str) -> str | None:
    hour = int(match.group(1))
    if kind == "ampm":
        minutes = match.group(2)
        suffix = f"{match.group(3)}m"
        if not 1 <= hour <= 12:
            return None
        return f"{hour}:{minutes}{suffix}" if minutes and minutes != "00" else f"{hour}{suffix}"
    if kind == "clock":
        minutes = int(match.group(2))
        return f"{hour}:{minutes:02d}" if hour <= 23 and minutes < 60 else None
    if kind == "bare":
        return f"{hour}:00" if 6 <= hour <= 23 else None
    if kind == "ordinal":
        return f"{hour}{match.group(0)[-2:]}" if 1 <= hour <= 31 else None
    return f"{hour}:00" if 1 <= hour <= 23 else None


def day_time_wishes(text: str) -> list[str]:
    """Day and time wishes in order of appearance, each once, in canonical English."""
    folded = fold(text)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []

    def claim(start: int, end: int) -> bool:
        if any(start < e and s < end for s, e in taken):
            return False
        taken.append((start, end))
        return True

    for regex, canonical in _WISH_REGEXES:
        for match in regex.finditer(folded):
            if claim(*match.span()):
                found.extend((match.start() + i, c) for i, c in enumerate(canonical))
    for regex, kind in (
        (_AMPM, "ampm"),
        (_CLOCK, "clock"),
        (_BARE_HOUR, "bare"),
        (_AT_HOUR, "at"),
        (_ORDINAL_DAY, "ordinal"),
    ):
        for match in regex.finditer(folded):
            wish = _clock_wish(match, kind)
            if wish and claim(*match.span()):
                found.append((match.start(), wish))
    return list(dict.fromkeys(wish for _, wish in sorted(found)))


_TOKENS = re.compile(r"[^\W_]+")
_GENERIC_SERVICE_WORDS = frozenset(
    _TOKENS.findall("and with the a an of for de la le et y e und en con min mins minute minutes h")
)


def _service_tokens(name: str) -> list[str]:
    return [
        t
        for t in _TOKENS.findall(fold(name))
        if t not in _GENERIC_SERVICE_WORDS and not t.isdigit()
    ]


def _token_in(token: str, words: Sequence[str]) -> bool:
    for word in words:
        if word == token:
            return True
        if len(token) >= 4 and word.startswith(token):
            return True
        if len(token) >= 5 and SequenceMatcher(None, word, token).ratio() >= 0.85:
            return True
    return False


def match_service(text: str, service_names: Sequence[str]) -> str | None:
    """The provider service ``text`` asks for: full name match first, else a unique distinctive
    word (e.g. "swedish" but not "massage" when two massages are offered); None if unsure."""
    words = _TOKENS.findall(fold(text))
    services = [(name, _service_tokens(name)) for name in service_names]
    services = [(name, tokens) for name, tokens in services if tokens]
    full = [(len(t), name) for name, t in services if all(_token_in(x, words) for x in t)]
    if full:
        most = max(n for n, _ in full)
        longest = [name for n, name in full if n == most]
        return longest[0] if len(longest) == 1 else None
    owners = Counter(t for _, tokens in services for t in set(tokens))
    ranked: list[tuple[int, float, str]] = []
    for name, tokens in services:
        matched = [t for t in tokens if _token_in(t, words)]
        distinctive = sum(1 for t in matched if owners[t] == 1)
        if distinctive:
            ranked.append((distinctive, len(matched) / len(tokens), name))
    ranked.sort(reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]):
        return None
    return ranked[0][2]


def extract_entities(
    text: str,
    *,
    service_names: Sequence[str] = (),
    label: str | None = None,
) -> Entities:
    """Service, wishes and urgency; a same-day wish is urgent only for a booking-type ``label``."""
    wishes = day_time_wishes(text)
    urgent = bool(_URGENT.search(fold(text))) or (
        label in _SAME_DAY_URGENT and bool(_SAME_DAY.intersection(wishes))
    )
    return Entities(match_service(text, service_names), wishes, "high" if urgent else "normal")
