"""Language detection with lingua over the seven drafting languages: what it reads, when it
declines ("und"), and that it stays out of the import path until a message is read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from prospecting.qualify.language import (
    LANGUAGES,
    UNDETERMINED,
    detect_language,
    detector,
    warm_up,
)

EVAL_PATH = Path(__file__).parent / "data" / "intent_eval.jsonl"


@pytest.mark.parametrize(
    "text",
    ["STOP", "Stop", "stop", "STOP!!!", "OK", "ok", "Ok", "hi", "Hi", "HI", "k", "yes", "Si",
     "👍", "1234", "", "   ", "?!"],
)  # fmt: skip
def test_short_shared_words_are_undetermined(text: str) -> None:
    assert detect_language(text) == UNDETERMINED


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Could you squeeze me in for a quick trim before the weekend?", "en"),
        ("Me gustaría reservar un masaje para mi madre el sábado", "es"),
        ("Est-ce que vous faites aussi des soins du visage pour les peaux sensibles ?", "fr"),
        ("Können wir den Termin auf nächste Woche verschieben?", "de"),
        ("Vocês atendem aos domingos? Queria marcar uma sessão", "pt"),
        ("Buonasera, volevo prenotare una lezione di prova per mio figlio", "it"),
        ("Goedemiddag, kan ik volgende week een afspraak maken voor mijn dochter?", "nl"),
    ],
)
def test_one_sentence_per_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize(("text", "language"), [("Bonjour", "fr"), ("obrigado", "pt")])
def test_a_single_word_that_belongs_to_one_language_still_reads(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_answers_are_drafting_languages_or_undetermined() -> None:
    assert {detect_language(t) for t in ("Hello there", "ok", "Hola amigo")} <= {
        *LANGUAGES,
        UNDETERMINED,
    }


def test_held_out_eval_set() -> None:
    """At least 97% right on messages of 20+ characters, and almost never a wrong language
    (declining with "und" is allowed: the draft then falls back to the provider's language)."""
    rows = [json.loads(line) for line in EVAL_PATH.read_text(encoding="utf-8").splitlines()]
    read = [(detect_language(row["text"]), row) for row in rows if row]
    longer = [(got, row) for got, row in read if len(row["text"]) >= 20]
    assert sum(got == row["lang"] for got, row in longer) / len(longer) >= 0.97
    wrong = [row["text"] for got, row in read if got not in (row["lang"], UNDETERMINED)]
    assert len(wrong) <= 5, wrong


def test_the_detector_is_built_once_and_warm_up_is_repeatable() -> None:
    assert detector() is detector()
    warm_up(pause=0)
    warm_up(pause=0)
    assert detect_language("Hoeveel kost een knipbeurt bij jullie?") == "nl"


def test_lingua_is_imported_at_the_first_detection_not_before() -> None:
    code = (
        "import json, sys\n"
        "import prospecting.qualify.language as language\n"
        "before = 'lingua' in sys.modules\n"
        "language.detect_language('Bonjour, je voudrais un rendez-vous')\n"
        "print(json.dumps([before, 'lingua' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == [False, True]


def test_a_server_reads_lightly_until_the_full_models_are_loaded(monkeypatch) -> None:
    import threading

    from prospecting.qualify import language

    monkeypatch.setattr(language, "_pending", threading.Event())
    monkeypatch.setattr(language, "_full", threading.Event())
    used: list[str] = []
    light, full = language.light_detector, language.detector

    def spy_light() -> Any:
        used.append("light")
        return light()

    def spy_full() -> Any:
        used.append("full")
        return full()

    monkeypatch.setattr(language, "light_detector", spy_light)
    monkeypatch.setattr(language, "detector", spy_full)

    assert language.detect_language("Hola, ¿tienes hueco el jueves?") == "es"
    language.schedule_warm_up()  # what `serve` does at start-up
    assert language.detect_language("Bonjour, avez-vous un créneau jeudi ?") == "fr"
    language.warm_up()
    assert language.detect_language("Hallo, haben Sie am Donnerstag Zeit?") == "de"
    assert used[0] == "full" and used[1] == "light" and used[-1] == "full"
