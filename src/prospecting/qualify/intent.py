"""Read step of auto-qualify: which of ``INTENTS`` an inbound prospect message asks for, plus
its language (`qualify.language`) and the service, day/time wishes and urgency it names
(`qualify.entities`).

The intent model is a tf-idf (char and word n-grams) + logistic regression pipeline, fitted
offline by `tools/build_intent_model.py` on the packaged examples (`data/intent_train.jsonl`) and
shipped as plain arrays: `data/intent_model.json` (manifest) and `data/intent_model.npz` (no
pickle). At run time it is loaded once, never trained, and scored without scikit-learn, which is
imported only to fit.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, tzinfo
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from prospecting.qualify.entities import Entities as Entities
from prospecting.qualify.entities import extract_entities
from prospecting.qualify.language import UNDETERMINED, detect_language, fold

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

INTENTS: tuple[str, ...] = (
    "booking_request",
    "availability_question",
    "pricing_question",
    "service_question",
    "reschedule_cancel",
    "not_a_prospect",
    "other",
)
MAX_CHARS = 4000
TRAINING_FILE = "intent_train.jsonl"
MODEL_FILE = "intent_model.json"
ARRAYS_FILE = "intent_model.npz"
ARTIFACT_FORMAT = "prospecting.intent-model"
ARTIFACT_VERSION = 1


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


def classify(
    text: str,
    *,
    service_names: Sequence[str] = (),
    now: datetime | None = None,
    time_zone: str | tzinfo | None = "UTC",
) -> Intent:
    """Label ``text`` with one of ``INTENTS``; ``service_names`` are the provider's own services,
    ``now`` when the message arrived (default now) and ``time_zone`` the provider's IANA zone
    (default UTC), against which its day and time wishes resolve."""
    text = text[:MAX_CHARS]
    if not text.strip():
        return Intent("other", 1.0, UNDETERMINED, Entities(None, [], "normal"))
    model = intent_model()
    probabilities = model.probabilities(text)
    best = int(np.argmax(probabilities))
    label = model.classes[best]
    language = detect_language(text)
    entities = extract_entities(
        text, service_names=service_names, label=label, now=now, time_zone=time_zone
    )
    return Intent(label, float(probabilities[best]), language, entities)


def _data_file(name: str) -> Any:
    return resources.files("prospecting.qualify").joinpath("data", name)


def training_data() -> bytes:
    """The packaged training set as shipped (``data/intent_train.jsonl``)."""
    return bytes(_data_file(TRAINING_FILE).read_bytes())


def training_examples() -> list[Example]:
    """The packaged training set, one ``Example`` per line."""
    rows = (json.loads(line) for line in training_data().decode("utf-8").splitlines() if line)
    return [Example(row["text"], row["intent"], row["lang"]) for row in rows]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- features -----------------------------------------------------------------------------

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|io|ly|co|biz|xyz|de|fr|es|it|nl|pt|br)\b(?:/\S*)?",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_WORD_PATTERN = r"(?u)\b\w+\b|[?$€£!]"
_SKLEARN_WORDS = r"(?u)\b\w\w+\b"  # TfidfVectorizer's default token_pattern
_WHITE_SPACES = re.compile(r"\s\s+")


def _model_text(text: str) -> str:
    """What the vectorizers see: links and addresses as placeholders, digits as 0, folded."""
    text = _URL.sub(" weblink ", _EMAIL.sub(" emailaddr ", text))
    return _DIGIT.sub("0", fold(unicodedata.normalize("NFKC", text)))


@dataclass(frozen=True)
class FeatureBlock:
    """One sublinear tf-idf vectorizer over ``_model_text``; its ``analyze`` reproduces
    scikit-learn's ``TfidfVectorizer.build_analyzer()`` for these settings, token for token."""

    name: str
    analyzer: Literal["char_wb", "word"]
    ngram_range: tuple[int, int]
    token_pattern: str | None = None

    def analyze(self, text: str) -> list[str]:
        doc = _model_text(text)
        low, high = self.ngram_range
        if self.analyzer == "char_wb":
            return _char_wb_ngrams(doc, low, high)
        return _word_ngrams(
            _token_regex(self.token_pattern or _SKLEARN_WORDS).findall(doc), low, high
        )


FEATURE_BLOCKS: tuple[FeatureBlock, ...] = (
    # Char n-grams carry typos, SMS spelling and seven languages; words carry phrasing.
    FeatureBlock("chars", "char_wb", (2, 5)),
    FeatureBlock("words", "word", (1, 2), _WORD_PATTERN),
)


@functools.cache
def _token_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _char_wb_ngrams(doc: str, low: int, high: int) -> list[str]:
    """Char n-grams inside space-padded words; a word shorter than n is counted once."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", doc).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[:n])
            while offset + n < size:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:
                break
    return grams


def _word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """Word n-grams joined by one space, unigrams first."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


# --- fitting (offline: tools/build_intent_model.py, tests) ---------------------------------


def build_pipeline() -> Pipeline:
    """The scikit-learn pipeline ``IntentModel`` mirrors (imported here only, to fit)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    vectorizers = [
        (
            block.name,
            TfidfVectorizer(
                analyzer=block.analyzer,
                ngram_range=block.ngram_range,
                sublinear_tf=True,
                preprocessor=_model_text,
                **({"token_pattern": block.token_pattern} if block.token_pattern else {}),
            ),
        )
        for block in FEATURE_BLOCKS
    ]
    classifier = LogisticRegression(C=20.0, max_iter=3000, class_weight="balanced")
    return Pipeline([("features", FeatureUnion(vectorizers)), ("classifier", classifier)])


def fit_pipeline(examples: Sequence[Example]) -> Pipeline:
    """Fit ``build_pipeline()`` single-threaded (about a second), so the result is reproducible."""
    from threadpoolctl import threadpool_limits

    pipeline = build_pipeline()
    with threadpool_limits(limits=1):
        pipeline.fit([e.text for e in examples], [e.intent for e in examples])
    return pipeline


# --- the model ----------------------------------------------------------------------------


class StaleArtifact(RuntimeError):
    """The packaged intent model does not match this code; run tools/build_intent_model.py."""


@dataclass(frozen=True)
class IntentModel:
    """The fitted pipeline as plain arrays, scoring one text exactly like its ``predict_proba``
    (sublinear tf-idf, l2 per block, softmax over the linear layer) without scikit-learn."""

    classes: tuple[str, ...]
    vocabularies: tuple[dict[str, int], ...]
    idfs: tuple[npt.NDArray[np.float64], ...]
    offsets: tuple[int, ...]
    weights: npt.NDArray[np.float64]
    intercept: npt.NDArray[np.float64]

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline) -> IntentModel:
        vectorizers = [v for _, v in pipeline.named_steps["features"].transformer_list]
        for block, vectorizer in zip(FEATURE_BLOCKS, vectorizers, strict=True):
            check_vectorizer(block, vectorizer)
        classifier = pipeline.named_steps["classifier"]
        return cls.from_parts(
            classes=tuple(str(c) for c in classifier.classes_),
            vocabularies=tuple(dict(v.vocabulary_) for v in vectorizers),
            idfs=tuple(np.asarray(v.idf_, dtype=np.float64) for v in vectorizers),
            weights=np.asarray(classifier.coef_, dtype=np.float64).T,
            intercept=np.asarray(classifier.intercept_, dtype=np.float64),
        )

    @classmethod
    def from_parts(
        cls,
        *,
        classes: tuple[str, ...],
        vocabularies: tuple[dict[str, int], ...],
        idfs: tuple[npt.NDArray[np.float64], ...],
        weights: npt.NDArray[np.float64],
        intercept: npt.NDArray[np.float64],
    ) -> IntentModel:
        sizes = [len(v) for v in vocabularies]
        if [len(i) for i in idfs] != sizes or weights.shape != (sum(sizes), len(classes)):
            raise StaleArtifact(f"intent model arrays do not fit together: {weights.shape}")
        return cls(
            classes=classes,
            vocabularies=vocabularies,
            idfs=idfs,
            offsets=tuple(int(o) for o in np.cumsum([0, *sizes[:-1]])),
            weights=np.ascontiguousarray(weights, dtype=np.float64),
            intercept=np.asarray(intercept, dtype=np.float64),
        )

    def probabilities(self, text: str) -> npt.NDArray[np.float64]:
        """Probabilities in ``classes`` order: sublinear tf-idf, l2 per vectorizer, softmax."""
        logits = self.intercept.copy()
        parts = zip(FEATURE_BLOCKS, self.vocabularies, self.idfs, self.offsets, strict=True)
        for block, vocabulary, idf, offset in parts:
            known = (vocabulary.get(token) for token in block.analyze(text))
            counts = Counter(j for j in known if j is not None)
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            values = tf * idf[columns]
            logits += (values / np.linalg.norm(values)) @ self.weights[offset + columns]
        exp = np.exp(logits - np.max(logits))
        return np.asarray(exp / exp.sum(), dtype=np.float64)

    # --- artifact: a JSON manifest plus an .npz of plain arrays (loaded with allow_pickle=False)

    def to_artifact(self, provenance: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
        """The manifest and the .npz bytes (byte-for-byte reproducible); writing them is the
        build tool's job, the package never writes into itself."""
        arrays: dict[str, npt.NDArray[Any]] = {}
        for block, vocabulary, idf in zip(
            FEATURE_BLOCKS, self.vocabularies, self.idfs, strict=True
        ):
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            if [vocabulary[t] for t in terms] != list(range(len(terms))):
                raise ValueError(f"{block.name}: vocabulary columns are not 0..n-1")
            arrays[f"{block.name}_terms"] = np.array(terms, dtype=np.str_)
            arrays[f"{block.name}_idf"] = idf
        arrays["weights"] = self.weights
        arrays["intercept"] = self.intercept
        blob = _npz_bytes(arrays)
        manifest = {
            "format": ARTIFACT_FORMAT,
            "format_version": ARTIFACT_VERSION,
            "classes": list(self.classes),
            "features": [_jsonable(asdict(block)) for block in FEATURE_BLOCKS],
            "vocabulary_sizes": [len(v) for v in self.vocabularies],
            **provenance,
            "arrays": {"file": ARRAYS_FILE, "sha256": sha256(blob)},
        }
        return manifest, blob

    @classmethod
    def from_artifact(cls, manifest: Mapping[str, Any], blob: bytes) -> IntentModel:
        """Load what ``to_artifact`` wrote; a manifest this code cannot read is StaleArtifact."""
        if (manifest.get("format"), manifest.get("format_version")) != (
            ARTIFACT_FORMAT,
            ARTIFACT_VERSION,
        ):
            raise StaleArtifact("unknown intent model format; rebuild the artifact")
        if manifest.get("features") != [_jsonable(asdict(b)) for b in FEATURE_BLOCKS]:
            raise StaleArtifact("intent model was built with other features; rebuild it")
        if manifest.get("arrays", {}).get("sha256") != sha256(blob):
            raise StaleArtifact("intent model arrays do not match their manifest; rebuild it")
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        return cls.from_parts(
            classes=tuple(str(c) for c in manifest["classes"]),
            vocabularies=tuple(
                {term: i for i, term in enumerate(arrays[f"{b.name}_terms"].tolist())}
                for b in FEATURE_BLOCKS
            ),
            idfs=tuple(np.asarray(arrays[f"{b.name}_idf"], np.float64) for b in FEATURE_BLOCKS),
            weights=arrays["weights"],
            intercept=arrays["intercept"],
        )


def check_vectorizer(block: FeatureBlock, vectorizer: Any) -> None:
    """Only settings ``FeatureBlock.analyze`` and ``IntentModel.probabilities`` reproduce."""
    expected = {
        "analyzer": block.analyzer,
        "ngram_range": block.ngram_range,
        "preprocessor": _model_text,
        "sublinear_tf": True,
        "use_idf": True,
        "norm": "l2",
        "binary": False,
        "tokenizer": None,
        "stop_words": None,
        "input": "content",
    }
    if block.token_pattern is not None:
        expected["token_pattern"] = block.token_pattern
    params = vectorizer.get_params()
    different = {k for k, v in expected.items() if params.get(k) != v}
    if different:
        raise ValueError(f"{block.name}: unsupported vectorizer settings {sorted(different)}")


def _jsonable(value: Any) -> Any:
    """What ``value`` reads back as from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def _npz_bytes(arrays: Mapping[str, npt.NDArray[Any]]) -> bytes:
    """``np.savez_compressed`` without timestamps, so an unchanged model rebuilds to equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def packaged_artifact() -> tuple[dict[str, Any], bytes]:
    """The shipped manifest and array bytes, as ``IntentModel.to_artifact`` made them."""
    manifest = json.loads(_data_file(MODEL_FILE).read_text(encoding="utf-8"))
    return manifest, bytes(_data_file(ARRAYS_FILE).read_bytes())


@functools.lru_cache(maxsize=1)
def intent_model() -> IntentModel:
    """The packaged model, loaded once per process (tens of ms): no training, no scikit-learn."""
    return IntentModel.from_artifact(*packaged_artifact())
