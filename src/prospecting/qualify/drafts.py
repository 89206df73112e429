"""Draft step: an offline reply per message, built only from the acting provider's own profile.

Every fact in a draft (service names, durations, prices, hours, booking link, address, parking,
insurance, cancellation policy, session modes, FAQ answers, crisis lines) comes from that
provider's profile. The draft answers each question the message asks (`detect_questions`):
from a profile fact when there is one, otherwise by saying the provider will confirm it
personally. Nothing is invented.

Languages and templates. Drafts are written in English, Spanish, French, German, Portuguese,
Italian and Dutch: the message's language when the profile lists it, else the profile's first
language (`draft_language`). The wording lives in Jinja2 templates, one file per language in
`templates/` (package data), each defining the same macros (`greeting`, `book`, `price_defer`,
`crisis_default`, ...). This module only decides which lines a draft has; the templates word
them. Jinja2 rather than gettext catalogs because:

- a draft is assembled from phrases whose grammar differs per language: the polite register
  ("tú"/"usted", "je"/"u", "tu"/"Lei") changes pronouns inside sentences, German and Dutch glue
  a weekday and a part of day into one word ("Donnerstagabend", "donderdagavond"), and Italian
  elides before some hours ("all'8"). One gettext msgid per sentence cannot carry that without
  pushing the grammar back into Python; a macro keeps it beside the words, in one file a native
  speaker can read and edit whole;
- Jinja2 was already a dependency, and templates need no compile step (.po to .mo) in the
  build or the package data;
- the profile's values are passed to macros as arguments, never compiled as templates, and
  the environment uses `StrictUndefined`, so a missing phrase fails loudly in tests.

Wording is gender-neutral in every language: no salutation or adjective that agrees with the
gender of the provider or of the person writing in.

Triage. When the screen (`qualify.triage`) finds a crisis, the draft follows the provider's
crisis protocol (their words, their region's emergency number and helplines; without one, a
safe default naming local emergency services and saying the provider will reach out) and
never proposes booking, rescheduling, prices or links. Any other held kind gets a neutral
holding reply. A message read as no prospect gets a neutral, polite line.

`guard_refinement` keeps a language-model rewrite only if it adds no number, price, link or
address that the offline draft does not already state.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from rapidfuzz import fuzz, process

from prospecting.qualify.intent import Intent
from prospecting.qualify.schemas import CrisisProtocol, FaqEntry, ProfileIn, ServiceOffer
from prospecting.qualify.triage import Triage

TEMPLATE_LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl")
TOPICS = (
    "booking",
    "availability",
    "price",
    "mode",
    "location",
    "parking",
    "insurance",
    "cancellation",
    "hours",
)
"""What a message can ask that a draft answers from the profile (or defers), in draft order."""

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
_BOOKING_INTENTS = frozenset(
    {"booking_request", "availability_question", "pricing_question", "service_question"}
)


@dataclass(frozen=True)
class OfflineDraft:
    body: str
    language: str
    tone: str
    suggested_action: str


@dataclass(frozen=True)
class Questions:
    """What a message asks: topics among ``TOPICS`` and the provider's FAQ entries it matches."""

    topics: tuple[str, ...] = ()
    faq: tuple[FaqEntry, ...] = field(default=())


# --- templates ----------------------------------------------------------------------------


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("prospecting.qualify", "templates"),
        # Plain-text replies: nothing is HTML, so nothing is escaped.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@functools.lru_cache(maxsize=len(TEMPLATE_LANGUAGES) * 3)
def _module(lang: str, tone: str) -> Any:
    template = _environment().get_template(f"{lang}.j2")
    return template.make_module({"tone": tone, "formal": tone == "formal"})


class _Words:
    """One language's macros for one tone: ``words("book", service)`` is one line."""

    def __init__(self, lang: str, tone: str) -> None:
        self.lang = lang
        self.module = _module(lang, tone)

    def __call__(self, macro: str, *args: Any) -> str:
        return str(getattr(self.module, macro)(*args)).strip()

    def data(self, name: str) -> Any:
        return getattr(self.module, name)


def template_macros(lang: str) -> frozenset[str]:
    """The macros a language file defines (every language defines the same ones)."""
    module = _module(lang, "warm")
    return frozenset(
        name
        for name in dir(module)
        if not name.startswith("_") and callable(getattr(module, name, None))
    )


def draft_language(message_language: str, profile_languages: Sequence[str]) -> str:
    """The message's language when the provider lists it, else the provider's first language
    that has templates, else English."""
    if message_language in TEMPLATE_LANGUAGES and message_language in profile_languages:
        return message_language
    for lang in profile_languages:
        if lang in TEMPLATE_LANGUAGES:
            return lang
    return "en"


# --- prices ---------------------------------------------------------------------------------


def format_price(service: ServiceOffer, lang: str = "en") -> str | None:
    """The service's price or range as ``lang`` writes money (English "£60", German
    "1.250,50 €"; a range joined by an en dash), or None without a price."""
    if service.price_min is None and service.price_max is None:
        return None
    style = _module(lang, "warm").number_format
    currency = service.currency or ""
    unit = _SYMBOLS.get(currency, currency)

    def number(value: float) -> str:
        text = f"{value:,.2f}".removesuffix(".00")
        return text.replace(",", "\0").replace(".", style["decimal"]).replace("\0", style["group"])

    def money(value: float) -> str:
        if style["symbol_first"] and currency in _SYMBOLS:
            return f"{unit}{number(value)}"
        return f"{number(value)} {unit}"

    low, high = service.price_min, service.price_max
    if low is not None and high is not None and high != low:
        if style["symbol_first"] and currency in _SYMBOLS:
            return f"{money(low)}\u2013{money(high)}"
        return f"{number(low)}\u2013{money(high)}"
    value = low if low is not None else high
    assert value is not None
    return money(value)


def _service_line(service: ServiceOffer, words: _Words, *, price: bool) -> str:
    parts = [service.name]
    if service.duration_minutes:
        parts.append(words("minutes", service.duration_minutes))
    shown = format_price(service, words.lang) if price else None
    if shown:
        parts.append(shown)
    return "- " + ", ".join(parts)


# --- what the message asks ------------------------------------------------------------------


def _fold(text: str) -> str:
    """Casefold and drop diacritics ("Précio" reads as "precio"); apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# One alternation per topic over folded text, words of en, es, fr, de, pt, it and nl.
_TOPIC_PATTERNS = {
    "booking": (
        r"book(?:ing|ed)?|appointment|appt|schedule (?:a|an|me|in)|sign (?:me )?up"
        r"|reserv\w*|cita|agendar|pedir hora|rendez-vous|rdv|buch\w*|termin\w*|vereinbar\w*"
        r"|marcar|marcacao|agend\w*|prenot\w*|appuntament\w*|boek\w*|afspraak|inplannen"
    ),
    "availability": (
        r"availab\w*|any (?:slots?|spots?|space|openings?)|free (?:slots?|spaces?|times?)|openings?"
        r"|(?:slots?|spots?) (?:open|free|left|available)"
        r"|disponib\w*|disponivel|hueco\w*|creneau\w*|verfugbar\w*|freie termine|vaga\w*"
        r"|posti liberi|beschikbaar\w*|plek(?:je)? vrij|tijd vrij"
    ),
    "price": (
        r"prices?|pricing|costs?|how much|fees?|rates?|charge[sd]?|quote"
        r"|precio\w*|cuesta\w*|cuanto (?:es|sale|vale|cobras|cobra|seria)|tarifa\w*|coste|costo"
        r"|prix|tarif\w*|combien(?! de (?:temps|minutes|seances))|coute\w*|cout"
        r"|preis\w*|kost\w*|wie ?viel|honorar|gebuhr\w*"
        r"|preco\w*|quanto (?:custa|e|fica|cobra|sai)|valor(?:es)?|custo|custa"
        r"|prezz\w*|quanto (?:costa|costano|viene)|tariff\w*|costa"
        r"|prijs\w*|prijzen|hoeveel(?! tijd)|tarie\w*"
    ),
    "mode": (
        r"online|on-line|video\w*|zoom|skype|remote\w*|virtual\w*|in[- ]person|face[- ]to[- ]face"
        r"|en linea|a distancia|en persona|presencial\w*|en ligne|visio\w*|a distance"
        r"|presentiel\w*|en personne|personlich|vor ort|prasenz\w*|em pessoa"
        r"|in presenza|di persona|da remoto|videobell\w*|beeldbell\w*|in persoon|fysiek\w*"
        r"|op afstand"
    ),
    "location": (
        r"address|where (?:are|is|do) you|where(?:'s| is) (?:it|the|your)|located|location"
        r"|directions|postcode|zip code|(?:which|what) areas?"
        r"|direccion|donde (?:estas|esta|queda|te encuentras|se encuentra|atiendes|es)|ubicacion"
        r"|ubicad\w*|adresse|ou (?:etes-vous|es-tu|se trouve|vous trouvez|est le cabinet)"
        r"|situe\w*|wo (?:sind sie|bist du|ist|befinde\w*|finde\w*|genau)|standort|anfahrt"
        r"|anschrift|endereco|morada|onde (?:fica|e|voce|atende)|localizacao|localizad\w*"
        r"|indirizzo|dove (?:si trova|sei|siete|e|ricevi|riceve)|dov'e|adres|waar (?:zit|is|zijn"
        r"|bevind\w*|zitten)|locatie"
    ),
    "parking": (
        r"park\w*|car ?park|aparca\w*|estaciona\w*|garer|stationn\w*|parchegg\w*|posteggi\w*"
        r"|parkeer\w*"
    ),
    "insurance": (
        r"insur\w*|covered by|health fund|medicare|medicaid|co-?pay\w*|out of network"
        r"|seguro (?:medico|de salud|privado|saude|de saude)|(?:mi|el|tu|su|meu|o|pelo|do|con|com)"
        r" seguro|aseguradora\w*|mutua\w*|plano de saude|convenio\w*|assuran\w*|mutuelle\w*"
        r"|securite sociale|versicher\w*|krankenkass\w*|kostenubernahme|privatpatient\w*"
        r"|assicura\w*|convenzion\w*|verzeker\w*|zorgverzekeraar\w*"
    ),
    "cancellation": (
        r"cancel\w*|no[- ]shows?|refund\w*|anula\w*|annul\w*|decommander|absag\w*|storn\w*"
        r"|ausfallgebuhr\w*|desmarca\w*|disdi\w*|afzeg\w*|annuler\w*|terugbetal\w*|restitutie"
    ),
    "hours": (
        r"opening (?:hours|times)|(?:your|office|working|business) hours|are you open"
        r"|when (?:are|do) you (?:open|work)|what time do you|how late"
        r"|horario\w*|a que hora|abr(?:e|en|es)|abierto|hasta que hora|horaire\w*"
        r"|heures d'ouverture|a quelle heure|ouvert\w*|offnungszeit\w*|sprechzeit\w*|geoffnet"
        r"|bis wann|um wie ?viel uhr|a que horas|aberto|funcionamento|ate que horas|orari\w*"
        r"|a che ora|aperto|fino a che ora|openingstijd\w*|openingsuren|hoe laat"
    ),
}
_TOPIC_REGEXES = {
    topic: re.compile(rf"(?<!\w)(?:{pattern})(?!\w)") for topic, pattern in _TOPIC_PATTERNS.items()
}

_FAQ_STOPWORDS = frozenset(
    _fold(
        # en
        "the and you your yours are can could would will does did have has had there any what "
        "how when where which who why for with about from this that these those please hello "
        "thanks thank just also get got want need like offer offers "
        # es
        "que los las una uno del con por para tienes tiene tienen hay como puedo puedes puede "
        "usted ustedes cual cuales cuando donde esta estas este eso hola gracias algo "
        # fr
        "les des une est vous avez pour avec qui quoi quel quelle quels comment quand est-ce "
        "bonjour merci sur dans faites faire peut pouvez "
        # de
        "der die das und ist sie ihr ihre haben gibt mit fur ein eine einen kann konnen ich "
        "wie was wann wo welche hallo danke auch bei zum zur "
        # pt
        "uma com voce voces tem pode posso dos das qual quais quando onde ola obrigado "
        "obrigada faz fazem "
        # it
        "che con per sono avete hai puo posso della delle degli quale quali quando dove ciao "
        "grazie fate fai anche "
        # nl
        "het een van voor met zijn jullie kan kunnen ook wat hoe wanneer waar welke hallo "
        "bedankt doen doe jij heb hebben"
    ).split()
)
_TOKEN = re.compile(r"[^\W_]+")
_CLAUSE = re.compile(r"[^.!?¿¡;\n]+")
FAQ_MIN_COVERAGE = 0.75
FAQ_MIN_SCORE = 75.0
MAX_FAQ_ANSWERS = 2


def _content_tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(_fold(text)) if len(t) >= 3 and t not in _FAQ_STOPWORDS]


def _faq_score(question: list[str], clause: list[str]) -> float:
    """How well one clause of the message asks ``question`` (0 when too few of its words are
    there): each content word of the question must be in the clause, typos allowed."""
    if not question or not clause:
        return 0.0
    found = sum(
        1
        for word in question
        if process.extractOne(word, clause, scorer=fuzz.ratio, score_cutoff=80) is not None
    )
    if found / len(question) < FAQ_MIN_COVERAGE:
        return 0.0
    score = float(fuzz.token_set_ratio(" ".join(question), " ".join(clause)))
    return score if score >= FAQ_MIN_SCORE else 0.0


def match_faq(text: str, faq: Sequence[FaqEntry]) -> list[FaqEntry]:
    """The provider's FAQ entries the message asks about, best match first (at most two)."""
    clauses = [tokens for c in _CLAUSE.findall(text) if (tokens := _content_tokens(c))]
    scored: list[tuple[float, int, FaqEntry]] = []
    for index, entry in enumerate(faq):
        question = _content_tokens(entry.question)
        best = max((_faq_score(question, clause) for clause in clauses), default=0.0)
        if best:
            scored.append((best, -index, entry))
    scored.sort(key=lambda item: item[:2], reverse=True)
    return [entry for _, _, entry in scored[:MAX_FAQ_ANSWERS]]


def detect_topics(text: str) -> tuple[str, ...]:
    """The topics of ``TOPICS`` the text asks about, in ``TOPICS`` order."""
    folded = _fold(text)
    return tuple(topic for topic in TOPICS if _TOPIC_REGEXES[topic].search(folded))


def detect_questions(text: str, *, faq: Sequence[FaqEntry] = ()) -> Questions:
    """Each question the message asks that a draft can answer or defer, in seven languages."""
    if not text.strip():
        return Questions()
    return Questions(detect_topics(text), tuple(match_faq(text, faq)))


# --- the draft ------------------------------------------------------------------------------


def build_draft(
    *,
    intent: Intent,
    profile: ProfileIn,
    prospect_name: str | None = None,
    triage: Triage | None = None,
    text: str = "",
) -> OfflineDraft:
    """The offline reply for one classified (and screened) message, from the profile and the
    templates only. ``text`` is the message itself, read for the questions it asks."""
    lang = draft_language(intent.language, profile.languages)
    tone = profile.tone
    words = _Words(lang, tone)
    first = prospect_name.split()[0] if prospect_name and prospect_name.split() else ""
    closing = ""
    if triage is not None and triage.crisis:
        lines = _crisis(words, profile.crisis_protocol, first)
        suggested = "review"
    elif triage is not None and triage.hold:
        lines = [words("greeting_calm", first), words("hold")]
        suggested = "review"
    elif intent.label == "not_a_prospect":
        lines = [words("not_prospect")]
        suggested = "discard"
    else:
        lines = _reply(words, intent, profile, first, text)
        closing = words("closing")
        suggested = "approve"
    tail = [line for line in (closing, profile.sign_off or "") if line]
    body = "\n".join(line for line in lines if line)
    if tail:
        body += "\n\n" + "\n".join(tail)
    return OfflineDraft(body=body.strip(), language=lang, tone=tone, suggested_action=suggested)


def _crisis(words: _Words, protocol: CrisisProtocol | None, first: str) -> list[str]:
    """The provider's crisis protocol, or the safe default: no booking, prices or links."""
    protocol = protocol or CrisisProtocol()
    lines = [words("greeting_calm", first), protocol.message or words("crisis_default")]
    if protocol.emergency_number:
        lines.append(words("emergency", protocol.emergency_number))
    else:
        lines.append(words("emergency_generic"))
    if protocol.helplines:
        lines.append(words("helplines_intro"))
        lines.extend(f"- {line.name}: {line.number}" for line in protocol.helplines)
    if not protocol.message:
        lines.append(words("crisis_personal"))
    return lines


def _reply(words: _Words, intent: Intent, profile: ProfileIn, first: str, text: str) -> list[str]:
    """An ordinary reply: the intent's lead, an answer (or a deferral) per question asked, the
    FAQ answers that match, then how to book."""
    label = intent.label
    asked = detect_questions(text, faq=profile.faq)
    topics = set(asked.topics)
    for entry in asked.faq:  # the provider's own answer covers what its question is about
        topics -= set(detect_topics(entry.question)) - {"booking", "availability"}
    requested = _requested(intent, profile)
    service = requested.name if requested else None
    open_question = label in ("pricing_question", "service_question", "other")
    booking = label == "booking_request" or (open_question and "booking" in topics)
    available = label == "availability_question" or (
        open_question and not booking and "availability" in topics
    )
    lines = [words("greeting", first)]

    if label == "reschedule_cancel":
        lines.append(words("reschedule"))
        if profile.cancellation_policy:
            lines.append(words("cancellation", profile.cancellation_policy))
        topics.discard("cancellation")
    elif booking or available:
        lines.append(words("book" if booking else "availability", service))
        lines.extend(_wishes(intent, words))
    elif label == "other" and not (topics - {"booking", "availability"}) and not asked.faq:
        lines.append(words("other"))

    listed = False
    if label == "service_question":
        if profile.services:
            lines.append(words("services_intro"))
            offers = [requested] if requested else profile.services
            lines.extend(_service_line(s, words, price=True) for s in offers)
            listed = True
        else:
            lines.append(words("services_defer", service))
    if label == "pricing_question" or "price" in topics:
        lines.extend(_prices(words, profile, requested, listed=listed))
    lines.extend(_answers(words, profile, topics))
    lines.extend(entry.answer for entry in asked.faq)
    lines.extend(_next_steps(words, profile, label, booking or available, topics))
    return lines


def _prices(
    words: _Words, profile: ProfileIn, requested: ServiceOffer | None, *, listed: bool
) -> list[str]:
    """The asked-for prices from the profile; a deferral for any service without one."""
    offers = [requested] if requested else profile.services
    priced = [s for s in offers if format_price(s)]
    unpriced = [s for s in offers if not format_price(s)]
    lines = []
    if priced and not listed:
        lines.append(words("prices_intro"))
        lines.extend(_service_line(s, words, price=True) for s in priced)
    if not priced or unpriced:
        what = requested.name if requested else None
        if not requested and priced and unpriced:
            what = ", ".join(s.name for s in unpriced)
        lines.append(words("price_defer", what))
    return lines


def _answers(words: _Words, profile: ProfileIn, topics: set[str]) -> list[str]:
    """One line per fact-backed topic asked with the provider's fact; what the profile does not
    say is deferred in one line ("I'll confirm ... personally")."""
    lines = []
    deferred = []
    if "mode" in topics:
        online, in_person = profile.online_sessions, profile.in_person
        if (online, in_person) in ((None, None), (False, False)):
            deferred.append("mode")
        else:
            lines.append(words("modes", online, in_person))
    for topic, fact in (
        ("location", profile.location),
        ("parking", profile.parking),
        ("insurance", profile.insurance),
        ("cancellation", profile.cancellation_policy),
    ):
        if topic in topics:
            if fact:
                lines.append(words(topic, fact))
            else:
                deferred.append(topic)
    if "hours" in topics and not profile.hours_text:
        deferred.append("hours")
    if len(deferred) == 1:
        lines.append(words(f"{deferred[0]}_defer"))
    elif deferred:
        names = words.data("topic_names")
        lines.append(words("defer_many", [names[topic] for topic in deferred]))
    return lines


def _next_steps(
    words: _Words, profile: ProfileIn, label: str, booking: bool, topics: set[str]
) -> list[str]:
    steps = []
    if profile.hours_text and (booking or label in _BOOKING_INTENTS or "hours" in topics):
        steps.append(words("hours", profile.hours_text))
    if label == "reschedule_cancel":
        if profile.booking_link:
            steps.append(words("link_reschedule", str(profile.booking_link)))
        else:
            steps.append(words("no_link"))
    elif booking or label in _BOOKING_INTENTS:
        if profile.booking_link:
            steps.append(words("link", str(profile.booking_link)))
        else:
            steps.append(words("no_link"))
    elif profile.booking_link:
        steps.append(words("link", str(profile.booking_link)))
    return steps


def _requested(intent: Intent, profile: ProfileIn) -> ServiceOffer | None:
    wanted = intent.entities.requested_service
    if not wanted:
        return None
    for service in profile.services:
        if service.name.casefold() == wanted.casefold():
            return service
    return None


# --- day and time wishes --------------------------------------------------------------------

_WEEKDAYS = frozenset(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
)
_DAYS = _WEEKDAYS | {
    "today",
    "tonight",
    "tomorrow",
    "day after tomorrow",
    "next week",
    "this week",
    "next month",
    "weekend",
}
_PARTS = frozenset(("morning", "afternoon", "evening", "noon"))
_AMPM = re.compile(r"^(\d{1,2})(?::(\d{2}))?([ap])m$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)$")
MAX_WISH_GROUPS = 3


@dataclass
class _When:
    day: str | None = None
    part: str | None = None
    date: int | None = None
    hour: int | None = None
    minute: int = 0


def _wish_groups(wishes: Sequence[str]) -> list[_When]:
    """Canonical wishes ("thursday", "evening", "6pm", "21st") grouped into moments: a part of
    day, a date or a time joins the moment before it when that slot is still free."""
    groups: list[_When] = []
    for wish in wishes:
        current = groups[-1] if groups else None
        if wish in _DAYS:
            if current and current.day is None and (current.date is None or wish in _WEEKDAYS):
                current.day = wish
            else:
                groups.append(_When(day=wish))
        elif wish in _PARTS:
            if current and current.part is None and current.day != "tonight":
                current.part = wish
            else:
                groups.append(_When(part=wish))
        elif match := _ORDINAL.match(wish):
            date = int(match.group(1))
            if (
                current
                and current.date is None
                and (current.day is None or current.day in _WEEKDAYS)
            ):
                current.date = date
            else:
                groups.append(_When(date=date))
        elif clock := _clock(wish):
            if current and current.hour is None:
                current.hour, current.minute = clock
            else:
                groups.append(_When(hour=clock[0], minute=clock[1]))
    return groups[:MAX_WISH_GROUPS]


def _clock(wish: str) -> tuple[int, int] | None:
    if match := _AMPM.match(wish):
        hour = int(match.group(1)) % 12 + (12 if match.group(3) == "p" else 0)
        return hour, int(match.group(2) or 0)
    if match := _CLOCK.match(wish):
        return int(match.group(1)), int(match.group(2))
    return None


def _wishes(intent: Intent, words: _Words) -> list[str]:
    groups = _wish_groups(intent.entities.day_time_wishes[:6])
    phrases = [
        words("when", g.day, g.part, g.date, g.hour, g.minute)
        for g in groups
        if g.day or g.part or g.date or g.hour is not None
    ]
    phrases = [p for p in phrases if p]
    if not phrases:
        return []
    joined = f" {words.data('or_word')} ".join(phrases)
    return [words("when_sentence", joined)]


# --- refinement guard -----------------------------------------------------------------------

_FACTS = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+|[£$€¥]|\d+(?:[.,:]\d+)*", re.IGNORECASE
)
MAX_REFINED_CHARS = 4000


def facts(text: str) -> set[str]:
    """Numbers, currency signs, links and addresses: what a rewrite may not invent."""
    return {m.group(0).rstrip(".,;:!?)\"'").lower() for m in _FACTS.finditer(text)}


def guard_refinement(offline: str, refined: str | None) -> str | None:
    """The refined text if it is safe to offer, else None (the caller keeps the offline draft).

    Every number, price, link and address in the offline draft came from the provider's
    profile (prices, hours, emergency number, helplines, FAQ answers) or from the message
    (the times asked for); a rewrite may keep or drop them but never add one."""
    if refined is None:
        return None
    refined = refined.strip()
    if not refined or len(refined) > min(MAX_REFINED_CHARS, 3 * len(offline) + 200):
        return None
    if facts(refined) - facts(offline):
        return None
    return refined
