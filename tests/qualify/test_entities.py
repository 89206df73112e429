"""Entities of an inbound message: day and time wishes resolved to local times in the provider's
zone (dateparser), and the requested service with typos (rapidfuzz)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from prospecting.qualify.entities import (
    PART_OF_DAY,
    Entities,
    extract_entities,
    match_service,
    zone,
)
from prospecting.qualify.intent import classify

PARIS = "Europe/Paris"
# Tuesday 1 December 2026, 09:00 in Paris (08:00 UTC).
RECEIVED = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo(PARIS))


def resolved(text: str, *, now: datetime = RECEIVED, time_zone: str = PARIS) -> list[str]:
    return extract_entities(text, now=now, time_zone=time_zone).resolved_times


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("Thursday evening", ["2026-12-03T18:00:00+01:00"]),
        ("tomorrow at 6pm", ["2026-12-02T18:00:00+01:00"]),
        ("el jueves por la tarde", ["2026-12-03T14:00:00+01:00"]),
        ("demain à 18h", ["2026-12-02T18:00:00+01:00"]),
        ("nächsten Montag um 10", ["2026-12-07T10:00:00+01:00"]),
        ("sábado de manhã", ["2026-12-05T09:00:00+01:00"]),
        ("domani alle 18", ["2026-12-02T18:00:00+01:00"]),
        ("morgen om 10 uur", ["2026-12-02T10:00:00+01:00"]),
    ],
)
def test_wishes_resolve_in_seven_languages(text: str, times: list[str]) -> None:
    assert resolved(text) == times


@pytest.mark.parametrize(
    ("text", "times"),
    [
        # each wish goes with its own day
        (
            "Je peux venir vendredi à 14h30 ou samedi matin ?",
            ["2026-12-04T14:30:00+01:00", "2026-12-05T09:00:00+01:00"],
        ),
        # a clock time beats the part of day, which only tells am from pm
        ("¿Tienes hueco mañana por la mañana a las 10:30?", ["2026-12-02T10:30:00+01:00"]),
        ("Thursday evening at 7?", ["2026-12-03T19:00:00+01:00"]),
        ("tomorrow at 10am or 2pm", ["2026-12-02T10:00:00+01:00", "2026-12-02T14:00:00+01:00"]),
        ("at 10am tomorrow", ["2026-12-02T10:00:00+01:00"]),
        # a day alone is its start; weeks start on Monday, next week's Tuesday is in it
        ("Can I come Friday?", ["2026-12-04T00:00:00+01:00"]),
        ("Could we do next week, Tuesday at 6:30pm?", ["2026-12-08T18:30:00+01:00"]),
        (
            "Kan ik donderdagavond of volgende week komen?",
            ["2026-12-03T18:00:00+01:00", "2026-12-07T00:00:00+01:00"],
        ),
        ("sometime next month", ["2027-01-01T00:00:00+01:00"]),
        ("any chance on the 31st?", ["2026-12-31T00:00:00+01:00"]),
        # tonight is this evening; the weekend starts on Saturday
        (
            "Sei libera stasera o nel weekend?",
            ["2026-12-01T18:00:00+01:00", "2026-12-05T00:00:00+01:00"],
        ),
        # without a day, a time is its next occurrence: 8am has passed at 09:00, 6pm has not
        ("free at 8am?", ["2026-12-02T08:00:00+01:00"]),
        ("an afternoon slot?", ["2026-12-01T14:00:00+01:00"]),
        # "at 6" with no am/pm is the evening; "at 6 in the morning" is not
        ("can I come at 6", ["2026-12-01T18:00:00+01:00"]),
        ("tomorrow at 6 in the morning", ["2026-12-02T06:00:00+01:00"]),
        ("Thanks, that was lovely", []),
    ],
)
def test_how_wishes_become_times(text: str, times: list[str]) -> None:
    assert resolved(text) == times


def test_part_of_day_times_are_documented_constants() -> None:
    texts = {"morning": "tomorrow morning", "noon": "tomorrow at noon",
             "afternoon": "tomorrow afternoon", "evening": "tomorrow evening"}  # fmt: skip
    for part, text in texts.items():
        (stamp,) = resolved(text)
        assert datetime.fromisoformat(stamp).time() == PART_OF_DAY[part]


def test_the_day_is_the_providers_day_not_utcs() -> None:
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Tokyo
    assert resolved("tomorrow evening", now=late, time_zone="Asia/Tokyo") == [
        "2026-12-03T18:00:00+09:00"
    ]
    assert resolved("tomorrow evening", now=late, time_zone="UTC") == ["2026-12-02T18:00:00+00:00"]
    naive_utc = datetime(2026, 12, 1, 8, 0)  # as the tenant store hands it back: UTC
    assert resolved("Thursday evening", now=naive_utc) == ["2026-12-03T18:00:00+01:00"]


def test_the_offset_follows_daylight_saving_time() -> None:
    saturday = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)  # Paris springs forward that night
    assert resolved("today at 6pm or tomorrow at 6pm", now=saturday) == [
        "2027-03-27T18:00:00+01:00",
        "2027-03-28T18:00:00+02:00",
    ]


@pytest.mark.parametrize("bad", ["", "Not/AZone", "../etc/passwd", None])
def test_an_unknown_time_zone_falls_back_to_utc(bad: str | None) -> None:
    assert zone(bad) == UTC
    assert extract_entities("Thursday evening", now=RECEIVED, time_zone=bad).resolved_times == [
        "2026-12-03T18:00:00+00:00"
    ]


def test_defaults_are_now_and_utc() -> None:
    read = extract_entities("tomorrow at 6pm")
    (stamp,) = read.resolved_times
    moment = datetime.fromisoformat(stamp)
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert (moment.hour, moment.minute) == (18, 0)
    assert read.day_time_wishes == ["tomorrow", "6pm"]


def test_classify_threads_the_time_and_zone_through() -> None:
    read = classify(
        "Hi, can I book Thursday evening?", service_names=["Haircut"], now=RECEIVED,
        time_zone=PARIS,
    )  # fmt: skip
    assert read.entities.day_time_wishes == ["thursday", "evening"]
    assert read.entities.resolved_times == ["2026-12-03T18:00:00+01:00"]


def test_entities_without_resolved_times_still_construct() -> None:
    assert Entities("Haircut", ["tomorrow"], "normal").resolved_times == []


def test_dateparser_is_imported_only_for_a_message_with_a_wish() -> None:
    code = (
        "import json, sys\n"
        "from prospecting.qualify.entities import extract_entities\n"
        "extract_entities('How much is a haircut?', service_names=['Haircut'])\n"
        "before = 'dateparser' in sys.modules\n"
        "extract_entities('tomorrow at 6pm?')\n"
        "print(json.dumps([before, 'dateparser' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == [False, True]


# --- services -------------------------------------------------------------------------------

SPA = ["Deep Tissue Massage", "Swedish Massage", "Haircut", "Manicure", "Épilation", "Colour"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can I book a deep tisue masage?", "Deep Tissue Massage"),  # one letter off, twice
        ("a sweedish one please", "Swedish Massage"),  # one letter doubled
        ("hiarcut for my son", "Haircut"),  # two letters swapped
        ("two haircuts please", "Haircut"),  # plural
        ("manicures?", "Manicure"),
        ("EPILATION jambes", "Épilation"),  # case and accents
        ("how much is a color?", "Colour"),  # US spelling
        ("a massage please", None),  # two massages: unsure
        ("I sent you a message yesterday", None),  # "message" is not "massage"
        ("see you soon", None),
    ],
)
def test_service_matching_with_typos(text: str, expected: str | None) -> None:
    assert match_service(text, SPA) == expected


def test_short_service_words_match_exactly_or_as_a_plural() -> None:
    services = ["Nail Art", "Hair Colour"]
    assert match_service("do you do nails?", services) == "Nail Art"
    assert match_service("I got some mail from you", services) is None
    assert match_service("a pair of earrings", services) is None


def test_couples_therapy_is_the_couples_session_only_when_it_is_the_one() -> None:
    assert match_service("couples therapy?", ["Couple's Session", "Individual Session"]) == (
        "Couple's Session"
    )
    assert match_service("couples therapy?", ["Couple's Session", "Individual Therapy"]) is None
