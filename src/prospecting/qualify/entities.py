"""What an inbound message names for the draft: one of the provider's services, day and time
wishes in canonical English, and urgency. Rules over folded text, in seven languages."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from prospecting.qualify.language import fold

_SAME_DAY_URGENT = frozenset({"booking_request", "availability_question", "reschedule_cancel"})


@dataclass(frozen=True)
class Entities:
    """What a message names for the draft: one of the provider's services, time wishes
    (canonical English: "tomorrow", "monday", "10am", "18:30", "evening", "next week"), urgency."""

    requested_service: str | None
    day_time_wishes: list[str]
    urgency: str


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
