"""Triage before drafting: what must never get a template reply.

Every inbound is screened before a draft is built. A message of a sensitive kind is held back
from one-tap approval (`needs_review`), with the reasons; crisis raises the urgency and its
draft follows the provider's crisis protocol, never booking or rescheduling.

How it reads a message (nothing downloaded; every decision but the last can be traced to a line
of the lexicon, `qualify.lexicon`):

1. `normalize`: casefold, drop accents ("está" = "esta", "schlägt" = "schlagt"), drop
   apostrophes ("don't" = "dont", "j'ai" = "j ai" = "jai"), expand common SMS spellings ("u",
   "2day", "wanna", "idk", "vc", "nn"), keep "?" and mark sentence breaks with "#".
2. The phrase lexicon: per kind and reason, one regular expression per phrasing, grouped by
   language (en, es, fr, de, pt, it, nl). Every language's phrases run on every message: the
   detected language of a short message is often wrong, and a crisis must not be missed
   because of it. Phrases that mean something harmless in another language are listed as
   `strict` and run only when `language` is theirs (or undetermined).
3. A few rules are code, not phrases: age (a sender under 18 vs. a parent booking for their
   child), and negation of health mentions ("not pregnant", "no injuries").
4. Typos: distinctive single words (suicide, pregnant, overdose, anorexia, chargeback, ...)
   also match at one or two edits (`rapidfuzz`), so "suicde" or "pregant" still count.
5. A second crisis net, only when the lexicon names no crisis: the learned crisis model
   (`qualify.crisis`, char and word n-grams + logistic regression, shipped as a built
   artifact) adds crisis with the reason "reads like a person in crisis (model)" when its
   probability reaches the artifact's threshold, for crisis phrasings the lexicon never saw.

Judgement calls (each is a labelled case in tests/qualify/data/triage_eval.jsonl):

- Idioms are not crisis: "I'm dying to try your class", "this price is killing me lol",
  "that class nearly killed me", "me muero de ganas", "je meurs d'envie".
- A day after "can't" is a reschedule, not despair: "ich kann am Dienstag nicht mehr",
  "ik kan donderdag niet meer", "non ce la faccio giovedì" stay ordinary; the bare
  "ich kann nicht mehr", "ik kan niet meer", "non ce la faccio più", "je n'en peux plus",
  "no puedo más" are crisis.
- Health means a condition that needs the provider's judgement before a booking is
  confirmed: pregnancy, surgery, injuries (torn, sprained, herniated, fractured, ...),
  medication, chronic or serious conditions, eating disorders, allergies. Everyday reasons to
  book are not: stiffness, tension, a cold, stress, anxiety or low mood for a therapist.
  "My knee is fine now, book me in" is ordinary (nothing is wrong today, the sender books);
  "my knee injury has healed" is still health (a named injury: the provider decides).
  A question about a service ("do you offer pregnancy massage?") is ordinary; "I'm pregnant"
  is health.
- Complaint means a complaint or a money dispute; a policy question ("what's your refund
  policy?", "do you refund if I cancel?") is ordinary.
- Minor: a sender who says they are under 18 (or in a school year that makes them so), keeps
  it from their parents, or books for a named minor who is not their own child. A parent
  booking for their child ("for my 10-year-old son", "my daughter is 15") is ordinary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from prospecting.qualify.crisis import REASON as CRISIS_MODEL_REASON
from prospecting.qualify.crisis import crisis_model
from prospecting.qualify.language import LANGUAGES
from prospecting.qualify.lexicon import (
    COMPLAINT,
    CONDITION,
    CRISIS_WORDS,
    GROUPS,
    IDIOMS,
    KINDS,
    LEGAL,
    PREGNANCY,
    SELF_HARM,
    SURGERY,
    URGENCY_ORDER,
    Group,
    Kind,
    Urgency,
    _expand,
    normalize,
)


@dataclass(frozen=True)
class Triage:
    """What the screen found: the sensitive kinds (empty for an ordinary message), one reason
    per finding in the provider's words, and the urgency. `hold` keeps the draft from one tap.
    `hints` are the words that triggered each finding (for review and for tuning the lexicon)."""

    kinds: tuple[Kind, ...] = ()
    reasons: tuple[str, ...] = ()
    urgency: Urgency = "normal"
    hints: tuple[str, ...] = field(default=())

    @property
    def hold(self) -> bool:
        return bool(self.kinds)

    @property
    def crisis(self) -> bool:
        return "crisis" in self.kinds

    def as_json(self) -> dict[str, object]:
        """What a qualification stores (`Qualification.triage`): kinds, reasons, urgency."""
        return {"kinds": list(self.kinds), "reasons": list(self.reasons), "urgency": self.urgency}


def max_urgency(*levels: str) -> Urgency:
    """The highest of these urgencies ("normal" < "high" < "crisis"; unknown counts as normal)."""
    ranks = [URGENCY_ORDER.index(x) for x in levels if x in URGENCY_ORDER]  # type: ignore[arg-type]
    return URGENCY_ORDER[max(ranks, default=0)]


# --- minors: age is a rule, not a phrase ------------------------------------------------

MINOR_SELF = "says they are under 18"
MINOR_SECRET = "wants to keep it from their parents"  # noqa: S105 (a reason, not a secret)
MINOR_OTHER = "books for someone under 18 who is not their own child"

_AGE = (
    r"(?:1[0-7]|[5-9]|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|once|doce|trece|catorce|quince|dieciseis|diecisiete|onze|douze|treize|quatorze|quinze"
    r"|seize|dix ?sept|zwolf|dreizehn|vierzehn|funfzehn|fünfzehn|sechzehn|siebzehn|treze"
    r"|catorze|dezesseis|dezessete|tredici|quattordici|quindici|sedici|diciassette|twaalf"
    r"|dertien|veertien|vijftien|zestien|zeventien)"
)
_NOT_AN_AGE = (
    r"(?! ?(?:min|mins|minute|minutes|minutos|minuten|minuti|minuut|hours?|hrs?|h\b|horas|heures"
    r"|stunden|ore|uur|weeks?|semanas|semaines|wochen|settimane|weken|months?|meses|mois|monate"
    r"|mesi|maanden|days?|dias|jours|tage|giorni|dagen|stone|st\b|kg|kilos?|lbs?|pounds?|am\b"
    r"|pm\b|uhr|oclock|k\b|percent|cm|km|miles?|euros?|eur\b|quid|dollars?|x\b|times|sessions?"
    r"|classes|people|of us|of them|foot|feet|ft\b|inch\w*|monat\w*|woche|stock|jahr\w*"
    r"|semester|grad|\d))"
)
_YEARS = r"(?:years?|anos|ans|anni|jahre|jahren|jaar)"
_SELF_AGE = "|".join(
    (
        _expand(r"(?:{me}|iam) (?:only |just |nearly |almost )?") + rf"{_AGE}\b{_NOT_AN_AGE}",
        _expand(r"(?:{me}|iam) an? ") + rf"{_AGE} years old",
        rf"tengo {_AGE}\b{_NOT_AN_AGE}",
        rf"(?:jai|j ai) {_AGE} ans",
        rf"ich bin (?:erst |gerade )?{_AGE}\b{_NOT_AN_AGE}",
        rf"tenho {_AGE} anos",
        rf"ho {_AGE} anni",
        rf"ik ben (?:pas |nog maar )?{_AGE}\b{_NOT_AN_AGE}",
    )
)
_SCHOOL = (
    r"(?:{me}|iam) (?:in|at|still in) (?:year|yr|grade) (?:[5-9]|1[0-2])\b"
    r"|(?:in|into) (?:[5-9]|1[01])(?:st|nd|rd|th) grade|(?:im|i am) (?:in|at|still in)"
    r" (?:middle school|junior high|high school|secondary school|school)"
    r"|(?:doing|taking|sitting|revising for) my gcses|(?:a|in) (?:high school|middle school)"
    r" student"
    r"|je suis (?:en|au) (?:6e|5e|4e|3e|6eme|5eme|4eme|3eme|sixieme|cinquieme|quatrieme"
    r"|troisieme|seconde|2nde|college|lycee)"
    r"|estoy en (?:\d|primero|segundo|tercero|cuarto) (?:de )?(?:la )?eso|estoy en (?:el )?"
    r"(?:instituto|colegio|secundaria)"
    r"|ich bin in der (?:[5-9]|1[01]) ?klasse|gehe in die (?:[5-9]|1[01]) ?klasse"
    r"|estou no (?:[5-9]|[5-9]o) ano|estou no ensino (?:fundamental|medio)"
    r"|(?:faccio|sono in) (?:la )?(?:prima|seconda|terza) media|vado alle medie"
    r"|ik zit in (?:de )?(?:brugklas|klas \d|\de? klas|groep [6-8])|ik zit op de middelbare"
)
_EXPLICIT = (
    r"(?:{me}|iam) (?:a )?minor\b|underage|under (?:18|eighteen)|not (?:18|eighteen) yet"
    r"|menor de edad|soy menor|menor de idade|sou menor|minorenne|minderjährig|minderjarig"
    r"|je suis mineure?"
)
_PARENTS = (
    r"(?:parents|mum|mom|mother|dad|father|folks|mam|madre|padre|padres|mere|pere|parents"
    r"|eltern|mama|mutter|vater|papa|pais|mae|pai|genitori|ouders|moeder|vader)"
)
_SECRECY = (
    r"(?:my )?" + _PARENTS + r" (?:dont|doesnt|do not|does not|cant|cannot|mustnt|wont|will not"
    r"|must not|shouldnt) (?:\w+ )?(?:know|find out|see)|without (?:telling |asking )?my "
    + _PARENTS
    + r"|(?:keep|hide) (?:it|this) from my "
    + _PARENTS
    + r"|(?:dont|doesnt|do not|does not) want (?:my|her|his|their) "
    + _PARENTS
    + r" to (?:know|find out)|(?:her|his|their) "
    + _PARENTS
    + r" (?:dont|doesnt|do not"
    r"|does not|cant|mustnt|wont) (?:\w+ )?(?:know|find out)"
    r"|(?:my )?" + _PARENTS + r" (?:can|must|cant) not find out"
    r"|(?:mis )?padres no (?:lo )?(?:saben|sepan|pueden saber)|sin que (?:lo sepan )?mis padres"
    r"|sin que se enteren mis padres|sin que (?:lo )?sepan mis padres"
    r"|(?:mes )?parents ne (?:le )?(?:savent|sachent) pas|sans (?:le dire a )?mes parents"
    r"|(?:meine )?eltern (?:wissen|dürfen) (?:nichts|es nicht|das nicht)|ohne (?:das wissen"
    r" )?meine[rn]? eltern|ohne dass meine eltern"
    r"|sem (?:que )?(?:os )?meus pais (?:saberem|saibam)|meus pais (?:nao|n) (?:sabem|podem)"
    r"|senza dirlo ai miei|(?:i )?miei (?:genitori )?non lo sanno|senza che i miei"
    r"|(?:mijn )?ouders weten (?:het|er) niet|zonder (?:dat )?mijn ouders|zonder mijn ouders"
    r"|(?:permission|consent|permiso|autorizacion|autorisation|accord|erlaubnis|einverständnis"
    r"|autorizacao|permissao|permesso|toestemming) (?:(?:of|from|de|des|der|dos|dei|van) )?"
    r"(?:my |mis |mes |meiner |meine |meus |miei |mijn )"
    + _PARENTS
    + r"|(?:need|without|have|get) (?:my )?"
    + _PARENTS
    + r"? (?:permission|consent)"
)
_CHILD = (
    r"(?:son|sons|daughter|daughters|kid|kids|child|children|boy|girl|stepson|stepdaughter"
    r"|twins|teen|teenager|little one|hijo|hija|hijos|hijas|nino|nina|ninos|fils|fille|filles"
    r"|enfant|enfants|sohn|tochter|kind|kinder|filho|filha|filhos|figlio|figlia|figli|bambino"
    r"|bambina|zoon|dochter|kinderen)"
)
_MY = (
    r"(?:my|mi|mis|mon|ma|mes|mein|meine|meinen|meiner|meu|minha|meus|mio|mia|miei|mijn|our|nuestro"
    r"|nuestra|notre|nos|unser|unsere|unseren|nosso|nossa|nostro|nostra|ons|onze)"
)
_NOT_CHILD = (
    r"(?:girlfriend|boyfriend|friend|friends|mate|partner|gf|bf|neighbour|neighbor|niece|nephew"
    r"|cousin|student|novia|novio|amiga|amigo|copine|copain|amie|ami|freundin|freund|namorada"
    r"|namorado|fidanzata|fidanzato|amica|amico|vriendin|vriend)"
)
_PARENT_CONTEXT = (
    _MY + r" (?:\w+ )?(?:" + _AGE + r" ?(?:years? old|year|ans|anos|anni|jahre|jährige\w*"
    r"|jaar|jarige)? )?" + _CHILD + r"\b"
    r"|"
    + _MY
    + r" "
    + _AGE
    + r" ?(?:years? old|jährige\w*)\b(?! "
    + _NOT_CHILD
    + r")|(?:pour|para|pra|per|voor|für) (?:mon|ma|mi|meu|minha|mio|mia|mijn|meinen|meine)"
    r" " + _CHILD
)
_OTHER_AGE = (
    r"(?:she|he|shes|hes|she is|he is|they are|theyre|who is|whos|ella tiene|el tiene|elle a"
    r"|il a|sie ist|er ist|ela tem|ele tem|lei ha|lui ha|zij is|hij is)"
    r" (?:only |just )?"
    + _AGE
    + r"\b"
    + _NOT_AN_AGE
    + r"|\b"
    + _AGE
    + r" ?(?:years? old|jahre alt|jaar oud)\b(?! (?:dog|cat|puppy|horse|car"
    r"|house|building|business|company|salon|studio|tree)s?\b)"
    r"|\b" + _AGE + r" ?jährig\w*|\b" + _AGE + r" ?(?:ans|anos|anni|jaar)(?: #| ?\?|$)"
    r"|(?:chica|chico|nina|nino|nena|nene|hija|hijo|novia|novio|amiga|amigo|sobrina|sobrino"
    r"|fille|fils|garcon|copine|copain|amie|ami|niece|neveu|menina|menino|filha|filho|namorada"
    r"|namorado|sobrinha|sobrinho|ragazza|ragazzo|bambina|bambino|figlia|figlio|fidanzata"
    r"|fidanzato|amica|amico|nipote|meisje|jongen|dochter|zoon|vriendin|vriend|nichtje|neefje"
    r"|tochter|sohn|freundin|freund|nichte|neffe) (?:de|di|van|von) "
    + _AGE
    + r"(?: (?:anos|ans|anni|jaar|jahren))?\b"
)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{_expand(pattern)})")


_SELF_AGE_RE = re.compile(rf"\b(?:{_SELF_AGE})")
_SCHOOL_RE = _rx(_SCHOOL)
_EXPLICIT_RE = _rx(_EXPLICIT)
_SECRECY_RE = _rx(_SECRECY)
_PARENT_RE = _rx(_PARENT_CONTEXT)
_OTHER_AGE_RE = _rx(_OTHER_AGE)


def _minor(norm: str) -> list[tuple[str, str]]:
    """(reason, matched words) for a sender under 18, or booking for one without being the
    child's parent; a parent booking for their own child is ordinary."""
    found = []
    for regex in (_SELF_AGE_RE, _SCHOOL_RE, _EXPLICIT_RE):
        if m := regex.search(norm):
            found.append((MINOR_SELF, m.group(0)))
            break
    if m := _SECRECY_RE.search(norm):
        found.append((MINOR_SECRET, m.group(0)))
    if not found and (m := _OTHER_AGE_RE.search(norm)) and not _PARENT_RE.search(norm):
        found.append((MINOR_OTHER, m.group(0)))
    return found


# --- typos: distinctive single words, matched at one or two edits -----------------------

_FUZZY: dict[str, Group] = {
    **dict.fromkeys(
        [
            "suicide",
            "suicidal",
            "suicidio",
            "suicidarme",
            "suicidaire",
            "suizid",
            "suizidal",
            "selbstmord",
            "zelfmoord",
            "overdose",
            "overdosed",
            "sobredosis",
            "uberdosis",
            "overdosis",
            "selfharm",
        ],
        SELF_HARM,
    ),
    **dict.fromkeys(
        ["pregnant", "embarazada", "enceinte", "schwanger", "gravida", "incinta", "zwanger"],
        PREGNANCY,
    ),
    **dict.fromkeys(
        [
            "anorexia",
            "anorexic",
            "bulimia",
            "bulimic",
            "boulimie",
            "magersucht",
            "diabetes",
            "diabetic",
            "diabetique",
            "epilepsy",
            "epileptic",
            "chemotherapy",
        ],
        CONDITION,
    ),
    **dict.fromkeys(["surgery", "cirugia", "chirurgie", "cirurgia", "operatie"], SURGERY),
    **dict.fromkeys(["chargeback"], COMPLAINT),
    **dict.fromkeys(["solicitor", "subpoena"], LEGAL),
}
_FUZZY_WORDS = tuple(_FUZZY)
_NOT_TYPOS = frozenset(
    # real words one or two edits from a keyword above
    # plural "pregnant women" names a service, not the sender ("massages pour femmes enceintes")
    [
        "pregnancy",
        "operate",
        "operated",
        "sugary",
        "surgeon",
        "surgeons",
        "diabolic",
        "solicit",
        "enceintes",
        "embarazadas",
        "gravidas",
        "schwangere",
        "zwangeren",
        "incinte",
    ]
)
_TOKENS = re.compile(r"[a-z]+")


def _fuzzy_hits(norm: str) -> list[tuple[Group, str]]:
    hits = []
    for m in _TOKENS.finditer(norm):
        token = m.group(0)
        if len(token) < 6 or token in _NOT_TYPOS:
            continue
        cutoff = 85 if len(token) >= 7 else 90
        match = process.extractOne(token, _FUZZY_WORDS, scorer=fuzz.ratio, score_cutoff=cutoff)
        if match is None or match[0][0] != token[0] or abs(len(match[0]) - len(token)) > 1:
            continue
        group = _FUZZY[match[0]]
        if group.negatable and _negated(norm, m.start()):
            continue
        hits.append((group, token))
    return hits


# --- negation (health only) ----------------------------------------------------------------

_NEGATORS = frozenset(
    [
        "no",
        "not",
        "never",
        "without",
        "dont",
        "doesnt",
        "isnt",
        "arent",
        "wasnt",
        "havent",
        "hasnt",
        "sin",
        "ni",
        "nunca",
        "ningun",
        "ninguna",
        "pas",
        "sans",
        "aucun",
        "aucune",
        "jamais",
        "kein",
        "keine",
        "keinen",
        "keiner",
        "nicht",
        "ohne",
        "nie",
        "nao",
        "sem",
        "nenhum",
        "nenhuma",
        "nunca",
        "non",
        "senza",
        "nessun",
        "nessuna",
        "mai",
        "geen",
        "niet",
        "zonder",
        "nooit",
    ]
)


def _negated(norm: str, start: int) -> bool:
    """A negation among the three words before `start`, inside the same sentence."""
    before = norm[:start].split("#")[-1].split()[-3:]
    return any(word in _NEGATORS for word in before)


# --- the screen ----------------------------------------------------------------------------


def _group_hit(group: Group, norm: str, language: str) -> str | None:
    patterns = [group.pattern]
    for lang, pattern in group.strict_patterns.items():
        if language == lang or language not in LANGUAGES:
            patterns.append(pattern)
    for pattern in patterns:
        for m in pattern.finditer(norm):
            if group.negatable and _negated(norm, m.start()):
                continue
            return m.group(0)
    return None


_WEEKDAYS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|lunes|martes|miercoles|jueves|viernes|sabado|domingo"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag"
    r"|segunda|terca|quarta|quinta|sexta"
    r"|lunedi|martedi|mercoledi|giovedi|venerdi"
    r"|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag"
)
_DAY_CANT = re.compile(
    rf"\b(?:{_WEEKDAYS})\b(?: \w+){{0,3}} "
    r"(?:niet meer|nicht mehr|anymore|no more|mas|plus|piu|mais)"
    rf"|\b(?:kan|kann|cant|cannot|puedo|peux|posso|faccio|consigo)(?: \w+){{0,2}} (?:{_WEEKDAYS})\b"
)
"""The judgement call "a day after can't is a reschedule" (module docstring): where the lexicon
reads "ik kan donderdag niet meer" as ordinary, the crisis model is not asked."""


def triage(text: str, *, language: str) -> Triage:
    """Screen one inbound message (any language the product drafts in).

    `language` is the reader's guess (ISO 639-1, or "und"); every language's phrases run
    anyway, and it only enables the few phrases that are harmless in other languages."""
    norm = normalize(text)
    if not norm:
        return Triage()
    plain = IDIOMS.sub(" ", norm)  # what CRISIS_WORDS reads: figures of speech removed
    findings: list[tuple[Kind, str, Urgency, str]] = []
    for group in GROUPS:
        if group is CRISIS_WORDS and any(f[0] == "crisis" for f in findings):
            continue  # a specific crisis reason already says it
        hit = _group_hit(group, plain if group is CRISIS_WORDS else norm, language)
        if hit is not None:
            findings.append((group.kind, group.reason, group.urgency, hit))
    seen = {reason for _, reason, _, _ in findings}
    for group, token in _fuzzy_hits(norm):
        if group.reason not in seen:
            findings.append((group.kind, group.reason, group.urgency, token))
            seen.add(group.reason)
    findings.extend(("minor", reason, "normal", words) for reason, words in _minor(norm))
    if not any(f[0] == "crisis" for f in findings) and not _DAY_CANT.search(norm):
        model = crisis_model()
        probability = model.probability(text)
        if probability >= model.threshold:
            hint = f"crisis model p={probability:.2f}"
            findings.append(("crisis", CRISIS_MODEL_REASON, "crisis", hint))
    if not findings:
        return Triage()
    kinds = tuple(k for k in KINDS if any(f[0] == k for f in findings))
    ordered = sorted(findings, key=lambda f: KINDS.index(f[0]))
    return Triage(
        kinds=kinds,
        reasons=tuple(dict.fromkeys(f[1] for f in ordered)),
        urgency=max_urgency(*(f[2] for f in ordered)),
        hints=tuple(dict.fromkeys(f[3] for f in ordered)),
    )


def screen_all(rows: Sequence[tuple[str, str]]) -> list[Triage]:
    """`triage` over (text, language) pairs, for evaluation."""
    return [triage(text, language=language) for text, language in rows]
