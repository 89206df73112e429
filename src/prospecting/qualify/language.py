"""Which of seven languages an inbound message is written in, with lingua (offline: its n-gram
models ship inside the `lingua-language-detector` wheel, nothing is downloaded).

The detector knows only the seven languages the product drafts in and is built once per process,
lazily, at the first call. Its cost, measured on the 2-core development machine:

- import and build: about 2 ms and 1 MB (the models are not read yet);
- the first detection loads the 1- to 5-gram models of all seven languages (lingua's high
  accuracy mode, which is what makes a short message readable): about 2 s of CPU and 200 MB of
  resident memory, held for the life of the process. lingua's native code keeps the GIL while it
  loads, so `warm_up` loads the models in small steps (each well under half a second) for a
  background thread to call a little after start-up (`prospecting.app`, via `schedule_warm_up`);
- until that warm-up has finished, a process that scheduled one reads with lingua's low-accuracy
  mode (trigram models only: about 0.1 s and 25 MB to load), so the first messages after a start
  neither wait for the full models nor compete with them; a process that scheduled none (the
  CLI, tests) loads the full models at its first detection;
- after that, a detection takes well under a millisecond.

What counts as too little to go on ("und"), tuned on the packaged training examples and the
held-out eval set (tests/qualify/data/intent_eval.jsonl, see bench/intent_eval.py):

- no letters at all ("👍", "1234");
- lingua has no clear winner: the top two languages are closer than
  ``MIN_RELATIVE_DISTANCE`` (lingua's minimum relative distance);
- a single word whose top confidence is below ``SINGLE_WORD_MIN_CONFIDENCE``: "STOP", "OK",
  "hi", "yes", "si" are shared by several languages and say nothing (lingua alone reads "STOP"
  and "ok" as Dutch), while "Bonjour", "Grazie" or "obrigado" still read as their language.
"""

from __future__ import annotations

import functools
import re
import threading
import time
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import Language, LanguageDetector

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it", "nl")
UNDETERMINED = "und"
MIN_RELATIVE_DISTANCE = 0.05
"""lingua answers None (here "und") when its top two languages are closer than this."""
SINGLE_WORD_MIN_CONFIDENCE = 0.7
"""A one-word message needs at least this confidence in its top language."""

_LETTERS = re.compile(r"[^\W\d_]+")


def fold(text: str) -> str:
    """Casefold and drop diacritics, so "Mañana", "manana" and "MAÑANA" read the same."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _lingua_languages() -> list[Language]:
    from lingua import IsoCode639_1, Language

    return [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in LANGUAGES]


@functools.lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """The process's one detector over ``LANGUAGES`` (its models load at the first detection)."""
    from lingua import LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(*_lingua_languages())
        .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
        .build()
    )


@functools.lru_cache(maxsize=1)
def light_detector() -> LanguageDetector:
    """The low-accuracy detector read while the full models load in the background."""
    from lingua import LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(*_lingua_languages())
        .with_minimum_relative_distance(MIN_RELATIVE_DISTANCE)
        .with_low_accuracy_mode()
        .build()
    )


_full = threading.Event()
_pending = threading.Event()


def schedule_warm_up() -> None:
    """Say that `warm_up` will run soon in the background: until it has, read lightly."""
    _pending.set()


def detect_language(text: str) -> str:
    """ISO 639-1 code among ``LANGUAGES``, or "und" when the text gives too little to go on."""
    words = _LETTERS.findall(text)
    if not words:
        return UNDETERMINED
    read = light_detector() if _pending.is_set() and not _full.is_set() else detector()
    language = read.detect_language_of(text)
    if language is None:
        return UNDETERMINED
    if len(words) == 1:
        confidence = read.compute_language_confidence(text, language)
        if confidence < SINGLE_WORD_MIN_CONFIDENCE:
            return UNDETERMINED
    return language.iso_code_639_1.name.lower()


def warm_up(pause: float = 0.002) -> None:
    """Load the detector's models ahead of the first message, in steps that each hold the GIL
    briefly: lingua shares loaded models between detectors, so a two-language detector (English
    and one other) per language and n-gram length loads a slice at a time, with ``pause`` seconds
    between slices for the event loop. Safe to call from any thread, any number of times."""
    from lingua import LanguageDetectorBuilder

    first, *others = _lingua_languages()
    for other in others:
        pair = LanguageDetectorBuilder.from_languages(first, other).build()
        for length in range(1, 6):
            pair.compute_language_confidence_values("abcde"[:length])
            time.sleep(pause)
    detector().compute_language_confidence_values("abcde")
    _full.set()
