"""What an inbound message names for the draft: one of the provider's services, day and time
wishes, and urgency. Rules over folded text, in seven languages.

Day and time wishes are read with the regex tables below into canonical English
(``day_time_wishes``: "thursday", "evening", "18:30", "next week"), then resolved to concrete
local times in the provider's time zone, relative to when the message arrived
(``resolved_times``), with dateparser doing the calendar arithmetic on those canonical English
phrases. dateparser reads the raw messages less well than the tables do ("el jueves por la tarde",
"sábado de manhã" and "nächsten Montag um 10" come back empty or wrong, "domani alle 18" as 09:00),
so it never sees them. It is imported at the first message that names a day or time (about
0.2 s, plus 0.2 s for its first English parse); ``warm_up`` does both ahead of time.

How a wish becomes a time (ISO 8601 with the zone's offset, "2026-12-03T18:00:00+01:00"):

- a wish is grouped with the day it goes with: "vendredi à 14h30 ou samedi matin" is Friday
  14:30 and Saturday morning; a time without a day is its next occurrence after the message;
- a part of day is one representative time, the start of when people ask for it
  (``PART_OF_DAY``): morning 09:00, noon 12:00, afternoon 14:00, evening (and "tonight")
  18:00; with a clock time it only tells am from pm ("Thursday evening at 7" is 19:00);
- a bare "at 1" to "at 7" ("um 6", "alle 7") with no am/pm and no "morning" is afternoon or
  evening (13:00 to 19:00), since nobody books at 3 in the night;
- a day without a time is that day's start, 00:00 local: "Thursday" is the coming Thursday
  (on a Thursday, the next one), "next week" is next week's Monday ("next week, Tuesday" its
  Tuesday), "this week" today, "weekend" the coming Saturday (today on a weekend), "next month"
  its first day, "the 5th" the next 5th of a month.

Service matching compares the message's words with each service name's words, with rapidfuzz
for typos (``match_service``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from prospecting.qualify.language import fold

_SAME_DAY_URGENT = frozenset({"booking_request", "availability_question", "reschedule_cancel"})


@dataclass(frozen=True)
class Entities:
    """What a message names for the draft: one of the provider's services, time wishes
    (canonical English: "tomorrow", "monday", "10am", "18:30", "evening", "next week"), the same
    wishes as local times in the provider's zone (ISO 8601 with offset), and urgency."""

    requested_service: str | None
    day_time_wishes: list[str]
    urgency: str
    resolved_times: list[str] = field(default_factory=list)


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


def _wishes(text: str) -> list[tuple[int, str, str]]:
    """(position, canonical wish, kind) in order of appearance; kind is "table" for the wish
    table, else the clock pattern that read it ("ampm", "clock", "bare", "at", "ordinal")."""
    folded = fold(text)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str, str]] = []

    def claim(start: int, end: int) -> bool:
        if any(start < e and s < end for s, e in taken):
            return False
        taken.append((start, end))
        return True

    for regex, canonical in _WISH_REGEXES:
        for match in regex.finditer(folded):
            if claim(*match.span()):
                found.extend((match.start() + i, c, "table") for i, c in enumerate(canonical))
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
                found.append((match.start(), wish, kind))
    return sorted(found)


def day_time_wishes(text: str) -> list[str]:
    """Day and time wishes in order of appearance, each once, in canonical English."""
    return list(dict.fromkeys(wish for _, wish, _ in _wishes(text)))


# --- resolving wishes to local times --------------------------------------------------------

PART_OF_DAY: dict[str, time] = {
    "morning": time(9),
    "noon": time(12),
    "afternoon": time(14),
    "evening": time(18),
}
"""The representative local time of each part of day (when such a slot usually starts)."""
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DATEPARSER_DAYS = {"tomorrow": "tomorrow", "day after tomorrow": "in 2 days"}
_WEEKS = frozenset({"this week", "next week"})
_DAYS = frozenset(
    {"today", "tonight", "tomorrow", "day after tomorrow", "weekend", "next month", *_WEEKS}
    | set(_WEEKDAYS)
)
_PM_PARTS = frozenset({"afternoon", "evening"})
_CLOCK_WISH = re.compile(r"(\d{1,2})(?::(\d{2}))?([ap]m)?")


@dataclass
class _Slot:
    """One asked-for day (None: the next occurrence of its times) and its time wishes."""

    day: str | None
    times: list[tuple[str, str]] = field(default_factory=list)
    week: str | None = None


def _slots(wishes: Sequence[tuple[int, str, str]]) -> list[_Slot]:
    slots: list[_Slot] = []
    for _, wish, kind in wishes:
        if kind == "ordinal" or wish in _DAYS:
            last = slots[-1] if slots else None
            if last is not None and last.day in _WEEKS and wish in _WEEKDAYS and not last.times:
                last.week, last.day = last.day, wish  # "next week, Tuesday"
            elif last is not None and last.day is None:
                last.day = wish  # "at 10am tomorrow"
            else:
                slots.append(_Slot(wish))
            if wish == "tonight":
                slots[-1].times.append(("evening", "table"))
        else:
            if not slots:
                slots.append(_Slot(None))
            slots[-1].times.append((wish, kind))
    return slots


def _clock(wish: str, kind: str, parts: set[str]) -> time:
    """A clock wish ("10am", "18:30", "6:00") as a time of day; ``parts`` of day in the same
    slot tell am from pm for a clock that does not say."""
    match = _CLOCK_WISH.fullmatch(wish)
    assert match is not None, wish
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3):
        hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
    elif hour < 12 and (
        bool(parts & _PM_PARTS) or (kind == "at" and 1 <= hour <= 7 and "morning" not in parts)
    ):
        hour += 12
    return time(hour, minute)


def _times_of(slot: _Slot) -> list[time | None]:
    """The slot's times of day: its clock times, else its parts of day, else None (all day)."""
    parts = {wish for wish, _ in slot.times if wish in PART_OF_DAY}
    clocks = [_clock(w, kind, parts) for w, kind in slot.times if w not in PART_OF_DAY]
    if clocks:
        return list(clocks)
    if parts:
        return [PART_OF_DAY[wish] for wish, _ in slot.times if wish in PART_OF_DAY]
    return [None]


_DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}


class _Calendar:
    """dateparser over canonical English, relative to the message's local wall-clock time."""

    def __init__(self, local_now: datetime) -> None:
        from dateparser.date import DateDataParser

        self.now = local_now.replace(tzinfo=None)
        self.today = self.now.date()
        self._parser = DateDataParser(
            languages=["en"], settings=_DATEPARSER_SETTINGS | {"RELATIVE_BASE": self.now}
        )

    def parse(self, phrase: str) -> datetime:
        parsed = self._parser.get_date_data(phrase).date_obj
        if not isinstance(parsed, datetime):  # never for the phrases this module builds
            raise ValueError(f"dateparser could not read {phrase!r}")
        return parsed

    def day(self, slot: _Slot) -> date | None:
        wish = slot.day
        if wish is None:
            return None
        if wish in ("today", "tonight", "this week"):
            return self.today
        if wish in _DATEPARSER_DAYS:
            return self.parse(_DATEPARSER_DAYS[wish]).date()
        if wish == "next week":
            start = self.parse("next week").date()
            return start - timedelta(days=start.weekday())
        if wish == "next month":
            return self.parse("next month").date().replace(day=1)
        if wish == "weekend":
            return self.today if self.today.weekday() >= 5 else self.parse("saturday").date()
        if wish in _WEEKDAYS:
            if slot.week == "next week":
                monday = self.parse("next week").date()
                monday -= timedelta(days=monday.weekday())
                return monday + timedelta(days=_WEEKDAYS.index(wish))
            return self.parse(wish).date()
        return _next_day_of_month(self.today, int(wish[:-2]))

    def next_time(self, at: time) -> date:
        """The day on which ``at`` next comes round (today if it is still ahead)."""
        return self.parse(at.strftime("%H:%M")).date()


def _next_day_of_month(today: date, day: int) -> date | None:
    year, month = today.year, today.month
    for _ in range(13):
        if day >= today.day or (year, month) != (today.year, today.month):
            try:
                return date(year, month, day)
            except ValueError:
                pass
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def zone(time_zone: str | tzinfo | None) -> tzinfo:
    """The IANA zone named by ``time_zone`` (a Person's ``time_zone``); UTC when it is empty or
    unknown, so a bad profile value never stops a message from being read."""
    if isinstance(time_zone, tzinfo):
        return time_zone
    try:
        return ZoneInfo(time_zone) if time_zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def resolve_times(
    wishes: Sequence[tuple[int, str, str]], *, now: datetime, time_zone: str | tzinfo | None
) -> list[str]:
    """``_wishes`` as local times in ``time_zone``, relative to ``now`` (naive means UTC)."""
    if not wishes:
        return []
    tz = zone(time_zone)
    aware_now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    calendar = _Calendar(aware_now.astimezone(tz))
    resolved: list[str] = []
    for slot in _slots(wishes):
        day = calendar.day(slot)
        if slot.day is not None and day is None:
            continue
        for at in _times_of(slot):
            on = day if day is not None else calendar.next_time(at or time(0))
            stamp = datetime.combine(on, at or time(0), tzinfo=tz)
            resolved.append(stamp.isoformat())
    return list(dict.fromkeys(resolved))


def warm_up() -> None:
    """Import dateparser and load its English data (about 0.4 s), ahead of the first message."""
    resolve_times(_wishes("thursday evening"), now=datetime.now(UTC), time_zone=UTC)


_TOKENS = re.compile(r"[^\W_]+")
_GENERIC_SERVICE_WORDS = frozenset(
    _TOKENS.findall("and with the a an of for de la le et y e und en con min mins minute minutes h")
)


TYPO_MIN_LENGTH = 5
"""Service words shorter than this match only exactly or as a prefix ("nail" in "nails"): one
letter off in a short word is another word ("hair"/"pair", "nail"/"mail")."""
TYPO_MIN_SCORE = 88.0
"""rapidfuzz ``fuzz.ratio`` (normalised Indel similarity, 0-100) from which a word is a typo or
an inflection of a service word of ``TYPO_MIN_LENGTH`` letters or more: one letter missing or
extra ("masage", "sweedish", "massages", "color" for "colour"), one letter wrong only from 9
letters on ("epilasion"), so never "message" for "massage" (85.7). An adjacent swap
("hiarcut", "facail") counts too (rapidfuzz OSA distance 1, same letters)."""


def _service_tokens(name: str) -> list[str]:
    return [
        t
        for t in _TOKENS.findall(fold(name))
        if t not in _GENERIC_SERVICE_WORDS and not t.isdigit() and len(t) > 1
    ]


def _swapped(a: str, b: str) -> bool:
    """``b`` is ``a`` with two adjacent letters swapped."""
    return len(a) == len(b) and sorted(a) == sorted(b) and OSA.distance(a, b) == 1


def _token_in(token: str, words: Sequence[str]) -> bool:
    if token in words:
        return True
    if len(token) >= 4 and any(word.startswith(token) for word in words):
        return True  # plurals and compounds: "haircuts", "nails"
    if len(token) < TYPO_MIN_LENGTH:
        return False
    if process.extractOne(token, words, scorer=fuzz.ratio, score_cutoff=TYPO_MIN_SCORE):
        return True
    return any(_swapped(token, word) for word in words)


def match_service(text: str, service_names: Sequence[str]) -> str | None:
    """The provider service ``text`` asks for, or None if unsure.

    Words are folded (case, accents: "EPILATION" is "Épilation") and compared with each
    service's distinctive words (not "and", "min", "60"), with typos and plurals per
    ``_token_in``. The service whose words all appear wins (the longest such name, so "Kids
    Haircut" beats "Haircut"); else the one service with the most words that no other service
    has: "a swedish one" is "Swedish Massage" but "a massage" is none of two massages, and
    "couples therapy" is "Couple's Session" when it is the one service about couples, and none
    when "Individual Therapy" matches as much. A tie is None.
    """
    words = list(dict.fromkeys(_TOKENS.findall(fold(text))))
    services = [(name, _service_tokens(name)) for name in service_names]
    services = [(name, tokens) for name, tokens in services if tokens]
    if not words or not services:
        return None
    found = {t for _, tokens in services for t in tokens if _token_in(t, words)}
    full = [(len(t), name) for name, t in services if found.issuperset(t)]
    if full:
        most = max(n for n, _ in full)
        longest = [name for n, name in full if n == most]
        return longest[0] if len(longest) == 1 else None
    owners = Counter(t for _, tokens in services for t in set(tokens))
    ranked: list[tuple[int, float, str]] = []
    for name, tokens in services:
        matched = [t for t in tokens if t in found]
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
    now: datetime | None = None,
    time_zone: str | tzinfo | None = "UTC",
) -> Entities:
    """Service, wishes and urgency; a same-day wish is urgent only for a booking-type ``label``.

    ``now`` is when the message arrived (default: now; naive means UTC) and ``time_zone`` the
    provider's IANA zone (default and fallback UTC): wishes resolve to local times there."""
    found = _wishes(text)
    wishes = list(dict.fromkeys(wish for _, wish, _ in found))
    urgent = bool(_URGENT.search(fold(text))) or (
        label in _SAME_DAY_URGENT and bool(_SAME_DAY.intersection(wishes))
    )
    resolved = resolve_times(found, now=now or datetime.now(UTC), time_zone=time_zone)
    return Entities(
        match_service(text, service_names), wishes, "high" if urgent else "normal", resolved
    )
