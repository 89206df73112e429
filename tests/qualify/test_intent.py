"""The Read step on a hand-written, held-out eval set, plus entities, language and the shipped
model artifact (speed is measured in bench/intent_eval.py and bench/startup.py)."""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import re
import string
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from prospecting.qualify.entities import extract_entities, match_service
from prospecting.qualify.intent import (
    FEATURE_BLOCKS,
    INTENTS,
    IntentModel,
    StaleArtifact,
    classify,
    fit_pipeline,
    intent_model,
    packaged_artifact,
    sha256,
    training_data,
    training_examples,
)
from prospecting.qualify.language import detect_language

EVAL_PATH = Path(__file__).parent / "data" / "intent_eval.jsonl"
TRAIN_PATH = (
    Path(__file__).parents[2] / "src" / "prospecting" / "qualify" / "data" / "intent_train.jsonl"
)
GENERATOR_PATH = Path(__file__).parents[2] / "tools" / "make_intent_data.py"
REBUILD = "the packaged intent model is stale: run .venv/bin/python tools/build_intent_model.py"
PUNCTUATION = str.maketrans("", "", string.punctuation + "¿¡\u2014\u2013")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(kept.translate(PUNCTUATION).split())


@pytest.fixture(scope="module")
def eval_rows() -> list[dict[str, str]]:
    return _rows(EVAL_PATH)


@pytest.fixture(scope="module")
def fitted() -> Any:
    """The scikit-learn pipeline fitted afresh on the packaged training data."""
    return fit_pipeline(training_examples())


@pytest.fixture(scope="module")
def predicted(eval_rows: list[dict[str, str]]) -> list[str]:
    return [classify(row["text"]).label for row in eval_rows]


def test_eval_set_covers_every_intent_in_several_languages(
    eval_rows: list[dict[str, str]],
) -> None:
    assert len(eval_rows) >= 240
    per_intent = Counter(row["intent"] for row in eval_rows)
    assert set(per_intent) == set(INTENTS)
    assert min(per_intent.values()) >= 30
    for intent in INTENTS:
        languages = {row["lang"] for row in eval_rows if row["intent"] == intent}
        assert len(languages) >= 5, intent


def test_no_eval_message_is_in_the_training_set(eval_rows: list[dict[str, str]]) -> None:
    trained = {_key(row["text"]) for row in _rows(TRAIN_PATH)}
    leaked = [row["text"] for row in eval_rows if _key(row["text"]) in trained]
    assert leaked == []


def test_held_out_accuracy_and_recall_per_intent(
    eval_rows: list[dict[str, str]], predicted: list[str]
) -> None:
    truth = [row["intent"] for row in eval_rows]
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    recall = {
        intent: sum(t == p == intent for t, p in zip(truth, predicted, strict=True))
        / truth.count(intent)
        for intent in INTENTS
    }
    print(f"\n{'intent':<24}{'recall':>8}{'n':>5}")
    for intent in INTENTS:
        print(f"{intent:<24}{recall[intent]:>8.3f}{truth.count(intent):>5}")
    print(f"{'accuracy':<24}{accuracy:>8.3f}{len(truth):>5}")
    assert accuracy >= 0.8
    assert min(recall.values()) >= 0.6, recall


@pytest.mark.parametrize(
    "text",
    [
        "Congratulations, you have been selected to win a free iPhone! Click bit.ly/abc123",
        "We can get your salon to the top of Google in 2 weeks. Reply YES for a free SEO audit",
        "Invest in crypto today, 300% returns guaranteed 🚀",
        "sorry, wrong number!",
        "Your PayPal account has been limited, confirm your identity at paypal-secure-check.com",
        "Gana 500€ al día con bitcoin, escríbeme ya",
    ],
)
def test_spam_and_wrong_numbers_are_not_prospects(text: str) -> None:
    assert classify(text).label == "not_a_prospect"


def test_entities_of_an_urgent_booking() -> None:
    read = classify(
        "Can I book a deep tissue massage tomorrow at 10am? it's urgent",
        service_names=["Deep Tissue Massage", "Haircut"],
    )
    assert read.label == "booking_request"
    assert 0.0 < read.confidence <= 1.0
    assert read.language == "en"
    assert read.entities.requested_service == "Deep Tissue Massage"
    assert {"tomorrow", "10am"} <= set(read.entities.day_time_wishes)
    assert read.entities.urgency == "high"


@pytest.mark.parametrize(
    ("text", "wishes"),
    [
        ("u free tmrw evening?", ["tomorrow", "evening"]),
        ("Could we do next week, Tuesday at 6:30pm?", ["next week", "tuesday", "6:30pm"]),
        ("¿Tienes hueco mañana por la mañana a las 10:30?", ["tomorrow", "morning", "10:30"]),
        (
            "Je peux venir vendredi à 14h30 ou samedi matin ?",
            ["friday", "14:30", "saturday", "morning"],
        ),
        ("Guten Morgen! Geht es morgen früh um 9 Uhr?", ["tomorrow", "morning", "9:00"]),
        ("Posso ir amanhã à tarde?", ["tomorrow", "afternoon"]),
        ("Sei libera stasera o nel weekend?", ["tonight", "weekend"]),
        ("Kan ik donderdagavond of volgende week komen?", ["thursday", "evening", "next week"]),
        ("Thanks, that was lovely", []),
    ],
)
def test_day_time_wishes_across_languages(text: str, wishes: list[str]) -> None:
    assert extract_entities(text).day_time_wishes == wishes


def test_same_day_is_urgent_only_for_a_booking_type_message() -> None:
    assert extract_entities("free today?", label="availability_question").urgency == "high"
    assert extract_entities("Invest today!", label="not_a_prospect").urgency == "normal"
    assert extract_entities("Can I come Friday?", label="booking_request").urgency == "normal"
    assert extract_entities("Necesito una cita urgente").urgency == "high"


@pytest.mark.parametrize(
    ("text", "services", "expected"),
    [
        ("je voudrais une epilation jeudi", ["Épilation", "Massage suédois"], "Épilation"),
        ("HAIRCUTS for two kids?", ["Haircut", "Kids Haircut"], "Kids Haircut"),
        ("a swedish one please", ["Deep Tissue Massage", "Swedish Massage"], "Swedish Massage"),
        ("a massage please", ["Deep Tissue Massage", "Swedish Massage"], None),
        ("a massage please", ["Massage (60 min)", "Haircut"], "Massage (60 min)"),
        ("how much for balayage on long hair?", ["Haircut", "Colour"], None),
        ("anything tomorrow?", [], None),
    ],
)
def test_requested_service_is_one_of_the_providers_or_none(
    text: str, services: list[str], expected: str | None
) -> None:
    assert match_service(text, services) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, could I book a haircut for next Friday?", "en"),
        ("Thanks a lot for your help, see you next week", "en"),
        ("Hola, quisiera saber si tienes disponibilidad el jueves", "es"),
        ("¿Cuánto cuesta una clase de yoga?", "es"),
        ("Bonjour, est-ce que vous avez de la place samedi matin ?", "fr"),
        ("Je voudrais annuler mon rendez-vous", "fr"),
        ("Hallo, ich hätte gerne einen Termin am Montag", "de"),
        ("Wie viel kostet eine Massage bei Ihnen?", "de"),
        ("Olá, gostaria de saber o preço da massagem", "pt"),
        ("Você tem horário amanhã à tarde?", "pt"),
        ("Ciao, vorrei sapere quanto costa un taglio", "it"),
        ("Avete posto sabato mattina?", "it"),
        ("Hoi, ik wil graag een afspraak maken", "nl"),
        ("Hoeveel kost een knipbeurt bij jullie?", "nl"),
        ("👍", "und"),
        ("ok", "und"),
    ],
)
def test_language_detection(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_language_detection_on_the_eval_set(eval_rows: list[dict[str, str]]) -> None:
    longer = [row for row in eval_rows if len(row["text"]) >= 20]
    right = sum(detect_language(row["text"]) == row["lang"] for row in longer)
    assert right / len(longer) >= 0.9


def test_packaged_model_equals_a_freshly_fitted_pipeline(
    eval_rows: list[dict[str, str]], fitted: Any
) -> None:
    model = intent_model()
    texts = [row["text"] for row in eval_rows]
    expected = fitted.predict_proba(texts)
    actual = np.array([model.probabilities(text) for text in texts])
    assert list(fitted.classes_) == list(model.classes), REBUILD
    np.testing.assert_allclose(actual, expected, atol=1e-9, err_msg=REBUILD)


def test_analyzers_reproduce_scikit_learn_token_for_token(
    eval_rows: list[dict[str, str]], fitted: Any
) -> None:
    texts = [row["text"] for row in eval_rows] + [e.text for e in training_examples()]
    texts += ["", " ", "a", "  two\t\tspaces \n ", "x" * 30, "ab cd", "call 07911 123456 www.a.io"]
    vectorizers = [v for _, v in fitted.named_steps["features"].transformer_list]
    for block, vectorizer in zip(FEATURE_BLOCKS, vectorizers, strict=True):
        analyzer = vectorizer.build_analyzer()
        different = [t for t in texts if block.analyze(t) != analyzer(t)]
        assert different == [], block.name


def test_packaged_model_was_built_from_the_packaged_training_data() -> None:
    manifest, _ = packaged_artifact()
    assert manifest["training_data"]["sha256"] == sha256(training_data()), REBUILD
    assert manifest["training_data"]["examples"] == len(training_examples()), REBUILD


def test_artifact_round_trips_to_the_same_bytes_without_pickle() -> None:
    manifest, blob = packaged_artifact()
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
    provenance = {k: manifest[k] for k in ("training_data", "built_with")}
    assert intent_model().to_artifact(provenance) == (manifest, blob)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m.update(format_version=m["format_version"] + 1),
        lambda m: m["features"][0].update(ngram_range=[1, 5]),
        lambda m: m["arrays"].update(sha256="0" * 64),
    ],
)
def test_an_artifact_this_code_cannot_read_is_refused(tamper: Any) -> None:
    manifest, blob = packaged_artifact()
    changed = copy.deepcopy(manifest)
    tamper(changed)
    with pytest.raises(StaleArtifact):
        IntentModel.from_artifact(changed, blob)


@pytest.mark.parametrize("text", ["", "   \n", "x" * 20_000, "🙂🙂🙂", "1234"])
def test_odd_input_still_reads(text: str) -> None:
    read = classify(text)
    assert read.label in INTENTS
    assert 0.0 < read.confidence <= 1.0
    assert read.entities.urgency in {"high", "normal"}


def test_training_file_is_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_intent_data", GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    rows = generator.generate()
    assert rows == _rows(TRAIN_PATH)
    assert {row["intent"] for row in rows} == set(INTENTS)
    assert TRAIN_PATH.stat().st_size < 1_000_000
    assert all(re.fullmatch(r"[a-z]{2}", row["lang"]) for row in rows)
