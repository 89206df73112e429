"""The triage lexicon: how a message is normalised, and the reviewed phrases per kind, reason
and language that `qualify.triage` screens with (see its docstring for how they are used and
for the judgement calls)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from prospecting.qualify.language import fold

Kind = Literal["crisis", "health", "complaint", "legal", "minor", "harassment", "privacy"]
KINDS: tuple[Kind, ...] = (
    "crisis",
    "health",
    "complaint",
    "legal",
    "minor",
    "harassment",
    "privacy",
)
Urgency = Literal["normal", "high", "crisis"]
URGENCY_ORDER: tuple[Urgency, ...] = ("normal", "high", "crisis")
MAX_CHARS = 4000


# --- normalisation ------------------------------------------------------------------------

_SMS = {
    # English
    "u": "you",
    "ur": "your",
    "r": "are",
    "2day": "today",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "2nite": "tonight",
    "pls": "please",
    "plz": "please",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "idk": "i dont know",
    "dunno": "dont know",
    "cuz": "because",
    "coz": "because",
    "ppl": "people",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "hubby": "husband",
    "dnt": "dont",
    "cnt": "cant",
    "yrs": "years",
    "yr": "year",
    "any more": "anymore",
    # Spanish / Portuguese
    "q": "que",
    "xq": "porque",
    "porq": "porque",
    "vc": "voce",
    "vcs": "voces",
    "tb": "tambien",
    "tbm": "tambem",
    # French
    "jsuis": "je suis",
    "chui": "je suis",
    "chuis": "je suis",
    "jveux": "je veux",
    "jpeux": "je peux",
    "jpense": "je pense",
    "bcp": "beaucoup",
    # Italian
    "nn": "non",
    "ke": "che",
    "cmq": "comunque",
    # German
    "nich": "nicht",
    "hab": "habe",
    # Dutch
    "mn": "mijn",
}
_SMS_RE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _SMS), key=len, reverse=True)) + r")\b"
)
_NUMBER_SEP = re.compile(r"(\d)[:.](\d)")
_ORDINAL = re.compile(r"(\d)\.(?=\s+[a-z])")  # "im 7. Monat", "in der 9. Klasse"
_APOSTROPHES = re.compile(r"['`\u00b4\u2018\u2019\u02bc]")
_BREAKS = re.compile(r"[.!;,:\n\r\u2026\u2014\u2013()\[\]\"]+|\s-\s")
_OTHER = re.compile(r"[^a-z0-9?#\s]+")
_AGE_YO = re.compile(r"\b(\d{1,2}) ?(?:yo|y o|yrs? old|yrs? o)\b")
_ELISION = re.compile(r"(?:^|(?<= ))(j|n|c|t|qu|m) (?=[aeiouyh])")
_CONTRACTION = re.compile(r"(\w)\x00(t|s|m|ll|ve|re|d)\b")  # don't, she's, I'm, you'll, I'd
_ELIDED = re.compile(r"\b(j|n|c|t|qu|m|s)\x00")  # j'ai, n'en, c'est, t'es, qu'il, m'a, s'il
_REPEATS = re.compile(r"([a-z])\1{2,}")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The text every phrase is matched against: folded, no accents, contractions and elisions
    joined ("dont", "jai", "cest"), other apostrophes as spaces ("un operazione"), SMS
    spellings expanded, "?" kept, sentence breaks as "#", one space between tokens."""
    t = fold(text[:MAX_CHARS])
    t = _NUMBER_SEP.sub(r"\1h\2", t)
    t = _ORDINAL.sub(r"\1", t)
    t = _APOSTROPHES.sub("\x00", t)
    t = _ELIDED.sub(r"\1", _CONTRACTION.sub(r"\1\2", t)).replace("\x00", " ")
    t = _BREAKS.sub(" # ", t)
    t = t.replace("?", " ? ")
    t = _OTHER.sub(" ", t)
    t = _REPEATS.sub(r"\1\1", t)
    t = _SPACES.sub(" ", t).strip()
    t = _ELISION.sub(r"\1", t)
    t = _AGE_YO.sub(r"\1 years old", t)
    return _SMS_RE.sub(lambda m: _SMS[m.group(1)], t)


# --- the lexicon --------------------------------------------------------------------------
# Phrases are regular expressions over `normalize`d text (lowercase ASCII, no apostrophes).
# Writing "ä", "ö" or "ü" in a phrase matches both "a" and "ae" (Schlägt, schlaegt, schlagt).
# {me}: "i am" / "im"; {end}: end of a sentence; {day}: a weekday or day word in any language.

_MACROS = {
    "{me}": r"(?:i am|im|i m)",
    "{end}": r"(?=\s*(?:#|\?|$))",
    "{day}": r"(?:mon|tues?|wed|thu|thurs|fri|sat|sun)\w*|today|tomorrow|tonight|week|"
    r"lunes|martes|miercoles|jueves|viernes|sabado|domingo|hoy|manana|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|demain|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|heute|morgen|"
    r"segunda|terca|quarta|quinta|sexta|hoje|amanha|"
    r"lunedi|martedi|mercoledi|giovedi|venerdi|oggi|domani|"
    r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|vandaag",
}
_UMLAUT = {"ä": "(?:a|ae)", "ö": "(?:o|oe)", "ü": "(?:u|ue)"}


def _expand(phrase: str) -> str:
    for name, value in _MACROS.items():
        phrase = phrase.replace(name, f"(?:{value})" if name == "{day}" else value)
    for letter, value in _UMLAUT.items():
        phrase = phrase.replace(letter, value)
    return phrase


@dataclass(frozen=True)
class Group:
    """One finding: its kind, the reason shown to the provider, and its phrases by language.
    `strict` phrases run only on messages in their own language (or of undetermined language);
    a `negatable` finding is cancelled by a negation just before it ("not pregnant")."""

    kind: Kind
    reason: str
    phrases: dict[str, tuple[str, ...]]
    strict: dict[str, tuple[str, ...]] = field(default_factory=dict)
    urgency: Urgency = "normal"
    negatable: bool = False

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return _compile(p for ps in self.phrases.values() for p in ps)

    @functools.cached_property
    def strict_patterns(self) -> dict[str, re.Pattern[str]]:
        return {lang: _compile(ps) for lang, ps in self.strict.items()}


def _compile(phrases: Iterable[str]) -> re.Pattern[str]:
    body = "|".join(f"(?:{_expand(p)})" for p in phrases)
    return re.compile(rf"\b(?:{body})(?!\w)" if body else r"(?!x)x")


SELF_HARM = Group(
    "crisis",
    "mentions self-harm or suicidal thoughts",
    urgency="crisis",
    phrases={
        "en": (
            r"suicid\w*",
            r"(?:kill|killing|end|ending|off) myself",
            r"(?:cut|cutting|burn|burning|starve|starving) myself",
            r"self ?harm\w*|self ?injur\w*",
            r"(?:want|wanting|thinking|thoughts|urges?|tempted|keep|kept|been|feel like"
            r"|scared i ?ll|afraid i ?ll) (?:\w+ ){0,3}?"
            r"(?:hurt|hurting|harm|harming) myself",
            r"(?:want|wanted|wanting|going) to die|i ?d rather (?:be )?dead|wish i (?:was"
            r"|were) dead",
            r"(?:just )?want to (?:die|disappear|not wake up|not exist|not be here)",
            r"wish i could (?:just )?(?:die|disappear|not wake up|sleep forever)",
            r"disappear forever|never wake up|not wake up (?:again|tomorrow)",
            r"(?:dont|do not) want to (?:live|be alive|wake up|exist)(?! (?:in|near|far|with|on"
            r"|at|there|here|so|too|close|nearby|alone|abroad|next|without))|(?:dont"
            r"|do not) want to be here anymore",
            r"better off (?:dead|without me)|(?:end|ending|take|taking) my (?:own )?life",
            r"end (?:it all|everything)|ending (?:it all|everything)",
            r"want (?:it|this|everything) (?:all )?to (?:end|stop)",
            r"no (?:reason|point|will) (?:to|in|for) (?:live|living|life|going on|carry on)",
            r"nothing (?:left )?to live for|whats the point (?:of|in) (?:living|life|anything|"
            r"going on|me)",
            r"(?:dont|do not|cant|cannot) see (?:the|a|any) point(?: in (?:anything|life|living"
            r"|going on))?(?: anymore)?{end}",
            r"(?:dont|do not|cant|cannot) see (?:the|any) point anymore",
            r"(?:cant|can not|cannot|cant) (?:go on|keep going|carry on|do this|take (?:it|this)"
            r"|cope|handle (?:it|this|life))(?: like this)? anymore",
            r"(?:cant|can not|cannot) go on(?: like this)?{end}",
            r"(?:dont|do not) know (?:if|whether|how) i can (?:keep going|go on|carry on|cope)",
            r"tired of (?:living|life|being alive|existing)",
            r"(?:took|taken|swallowed) (?:too many|a load of|loads of|all (?:my|the|of my)|"
            r"a bunch of|a handful of|lots of|\d+) (?:pills|tablets|meds|paracetamol)",
            r"no way out|(?:a )?burden (?:to|on) (?:everyone|everybody|my family|them|others)"
            r"|(?:im|i am|feel like i ?m|feel like a) (?:just )?a burden",
            r"giv(?:e|ing|en) (?:away )?(?:all )?my (?:things|stuff|belongings|possessions) away"
            r"|(?:goodbye|farewell|suicide) (?:note|letter)s?|letters? to my (?:family|kids|mum"
            r"|mom|parents) in case",
            r"(?:stood|standing|sat|sitting) on (?:the|a) (?:bridge|ledge|edge|roof)|jump(?:ing)?"
            r" (?:off|from) (?:the|a) (?:bridge|roof|building|cliff)|in front of a (?:train|bus"
            r"|lorry|truck)|hang myself|slit my wrists?",
            r"(?:dont|do not) (?:really )?care (?:what happens(?: to me)?|if i (?:die|live|wake up"
            r"|make it))(?: anymore)?",
            r"(?:cut|cutting|burned|burning|harmed|hurt) (?:myself )?again|relapsed"
            r"|(?:nobody|no one|noone) would (?:care|notice|miss me)|(?:not|isnt|no longer)"
            r" worth living|hopeless(?:ness)?|(?:want|wish) (?:the pain|it all|everything) to stop",
        ),
        "es": (
            r"suicid\w*",
            r"(?:me )?quiero (?:morir|morirme|matarme|desaparecer)|quiero morir\w*",
            r"(?:ya )?no quiero (?:vivir|seguir viviendo|seguir|estar aqui|despertar)",
            r"quitarme la vida|matarme|acabar con (?:todo|mi vida)|terminar con (?:todo|mi vida)",
            r"no (?:le )?veo (?:sentido|salida)",
            r"no (?:aguanto|soporto) mas",
            r"no puedo mas(?! (?:tarde|temprano|de las|que|del|de la|el|los|las|{day}))",
            r"autolesion\w*|me (?:corto|hago dano|lastimo|autolesiono)|cortarme|hacerme dano",
            r"(?:tome|me tome|tomado) (?:demasiadas|muchas|un monton de) (?:pastillas|pildoras)",
            r"no (?:puedo|quiero) seguir(?: asi| viviendo)?|(?:estarian|estaria|estarias) mejor"
            r" sin mi|mejor sin mi|no hay salida|sin salida|soy una carga|tirarme (?:de|por|a"
            r"|desde|al)|cortarme las venas|nadie me (?:echaria de menos|extranaria)|no tiene"
            r" sentido (?:vivir|seguir)|no despertar(?:me)?(?: nunca)?",
        ),
        "fr": (
            r"suicid\w*",
            r"(?:envie|envi) de (?:mourir|disparaitre|en finir)|(?:je )?veux mourir",
            r"en finir|mettre fin a (?:mes jours|ma vie)",
            r"(?:je )?(?:nen|jen|en) peux plus",
            r"(?:je )?ne veux plus vivre|plus envie de vivre|veux plus vivre",
            r"me (?:tuer|suicider)|me (?:scarifie|scarifier|mutile)|scarification|automutil\w*",
            r"(?:je )?me (?:fais|fait) du mal",
            r"(?:pris|avale) trop de (?:medicaments|cachets|pilules|comprimes)",
            r"plus (?:la )?force (?:de continuer|de vivre|de rien)?|tout est noir|(?:pas|aucune)"
            r" (?:d ?)?issue|sans issue|(?:je suis|suis) un fardeau|(?:me )?jeter (?:sous|du|par"
            r"|dans)|ouvert les (?:veines|poignets)|personne ne me (?:regretterait"
            r"|remarquerait)|a quoi bon (?:vivre|continuer)|mieux sans moi|plus envie de rien",
        ),
        "de": (
            r"suizid\w*|selbstmord\w*",
            r"(?:will|möchte|mag) nicht mehr leben|nicht mehr leben (?:will|möchte)",
            r"(?:will|möchte) (?:sterben|tot sein)|mich umbringen|mir das leben (?:zu )?nehmen",
            r"ich kann nicht mehr{end}|ich kann nicht mehr (?:und|alles|ich|es)",
            r"halte (?:es|das) nicht mehr aus",
            r"alles (?:ist )?sinnlos|keinen sinn mehr",
            r"ritze mich|mich (?:selbst )?(?:zu )?(?:ritzen|verletzen)|verletze mich selbst"
            r"|selbstverletz\w*",
            r"zu viele? (?:tabletten|pillen)",
            r"keinen ausweg|(?:ich bin|bin) (?:nur )?eine last|besser (?:dran )?ohne mich"
            r"|(?:springen|spring) (?:von|vor)|vor den zug|von der brücke|pulsadern|keine kraft"
            r" mehr|nicht mehr aufwachen|hat (?:alles )?keinen sinn mehr|niemand würde mich"
            r" vermissen|mich aufhängen",
        ),
        "pt": (
            r"suicid\w*",
            r"(?:me )?matar|quero morrer|vontade de morrer",
            r"(?:nao|n) (?:quero|aguento) mais viver|(?:nao|n) quero (?:mais )?viver",
            r"(?:nao|n) aguento mais",
            r"tirar (?:a )?minha (?:propria )?vida|acabar com tudo|dormir e (?:nao|n) acordar",
            r"me (?:cortar|corto|machucar|machuco)|automutil\w*|auto ?lesao",
            r"sumir (?:de vez|pra sempre|para sempre)|ninguem (?:ia|vai|iria) sentir (?:a )?"
            r"(?:minha )?falta|(?:motivo|razao) (?:pra|para) viver|sou um peso|melhor sem mim"
            r"|sem saida|me jogar (?:da|de|na|do|embaixo)|cortar os pulsos|(?:nao|n) vejo"
            r" sentido",
        ),
        "it": (
            r"suicid\w*",
            r"(?:non )?voglio (?:piu )?(?:morire|vivere piu)|non voglio piu vivere",
            r"farla finita|togliermi la vita|ammazzarmi|uccidermi",
            r"non ce la faccio piu",
            r"mi (?:faccio|sono fatta|sono fatto) del male|autolesion\w*|tagliarmi|mi taglio",
            r"buttarmi (?:sotto|dal|giu|da)|lanciarmi|sentirebbe la mia mancanza|se (?:sparissi"
            r"|morissi)|sono un peso|meglio senza di me|(?:nessuna|senza|non vedo) (?:una )?via"
            r" d ?uscita|tagliarmi le vene|non ha (?:piu )?senso (?:vivere|niente)",
        ),
        "nl": (
            r"zelfmoord\w*|suicid\w*",
            r"(?:ik )?wil (?:niet meer leven|dood)|niet meer (?:willen )?leven",
            r"(?:een )?einde? aan (?:mijn|m n) leven",
            r"zie het (?:allemaal )?niet meer zitten",
            r"(?:ik )?kan niet meer{end}|ik kan niet meer (?:en|ik|het|alles)",
            r"mezelf (?:pijn doen|snijden|beschadigen|iets aandoen)|snijd mezelf"
            r"|zelfbeschadig\w*",
            r"(?:wil|willen) er niet meer zijn|(?:strip|doosje|handvol|heleboel|al mijn|veel)"
            r" (?:\w+ )?(?:pillen|tabletten) (?:genomen|geslikt|ingenomen)|geen uitweg"
            r"|ik ben een last|beter af zonder mij|(?:springen|spring) (?:van|voor)|voor de trein"
            r"|mijn polsen|niemand zou me missen|geen zin meer in (?:het )?leven",
        ),
    },
)

VIOLENCE = Group(
    "crisis",
    "mentions abuse or violence against them or someone close",
    urgency="crisis",
    phrases={
        "en": (
            r"(?:he|she|they|husband|wife|partner|boyfriend|girlfriend|fiance|dad|father|mum|mom"
            r"|mother|stepdad|stepfather|stepmum|ex|brother|uncle|someone|somebody)"
            r"(?: \w+){0,5}? (?:hit|hits|hitting|beat|beats|beating|punch(?:ed|es)?|kick(?:ed|s)"
            r"|chok(?:ed|es|ing)|strangl(?:ed|es)|push(?:ed|es)|shov(?:ed|es)|slap(?:ped|s)"
            r"|abus(?:ed|es)|attack(?:ed|s)|rap(?:ed|es)|hurt|hurts|threaten(?:ed|s)|raped"
            r"|stabb(?:ed|s)|grabb(?:ed|s)|touch(?:es|ed|ing)|molest(?:ed|s)|forces?)"
            r" (?:me|my mum|my mom|my mother|my sister|my brother|us|my kids)"
            r"(?! (?:up|back|to|into|with|out|off|around|over|hard|like|in the feels))",
            r"(?:strangled|choked|stabbed|raped|molested) me|beat me up|beats me up"
            r"|punched me|broke (?:in|into my (?:house|flat|home))",
            r"(?:keeps|kept) coming into my (?:room|bed)|police (?:are|were) (?:involved|called"
            r"|here)|called the police|restraining order|protection order|womens refuge",
            r"(?:was|been|being|got|get) (?:raped|sexually assaulted|assaulted|abused|beaten up"
            r"|beaten|molested|attacked)",
            r"sexual(?:ly)? (?:assault\w*|abus\w*)|domestic (?:violence|abuse)|\braped?\b",
            r"(?:threatened|threatens|threatening|said he ?d|said she ?d|hed|shed|tried) (?:to )?"
            r"(?:kill|hurt) me",
            r"(?:said|says|swore|threatens|threatened) (?:that )?(?:he|she|they) ?(?:ll|will|d"
            r"|would) (?:kill|hurt) me",
            r"(?:scared|afraid|frightened|terrified) (?:to go home|of (?:him|her|my (?:husband"
            r"|wife|partner|boyfriend|girlfriend|dad|father|ex)))",
        ),
        "es": (
            r"me (?:pega|pego|golpea|golpeo|maltrata|maltrato|agrede|agredio|pegaba|viola|violo"
            r"|amenaza con matarme|ha pegado|ha golpeado)",
            r"violencia (?:domestica|de genero)|abuso sexual|(?:me )?violaron|(?:fui|he sido)"
            r" (?:violada|agredida|abusada)",
            r"(?:tengo )?miedo de (?:volver a casa|el|mi pareja|mi marido|mi novio)",
            r"me (?:ha|han) (?:pegado|golpeado|violado|agredido|amenazado)|amenaz\w+ (?:con|de)"
            r" matarme|amenaza de muerte",
        ),
        "fr": (
            r"me (?:frappe|frappait|bat|battait|viole|violee|agresse|brutalise|menace de mort)",
            r"violences? (?:conjugales?|domestiques?)|abus sexuels?",
            r"(?:jai ete|ete) (?:violee?|agressee?|frappee?|battue?)",
            r"peur de (?:rentrer|lui|mon mari|mon copain)",
            r"(?:il|elle) ma (?:frapp|batt|viol|agress|etrangl|menac)\w*|menace de (?:me tuer"
            r"|mort)",
        ),
        "de": (
            r"(?:schlägt|schlug|verprügelt|misshandelt|vergewaltigt|würgt|bedroht|tritt) mich",
            r"hat mich (?:\w+ ){0,3}?(?:geschlagen|vergewaltigt|misshandelt|verprügelt"
            r"|gewürgt|bedroht|angegriffen)|droht mich umzubringen",
            r"häusliche gewalt|sexuell\w* (?:missbraucht|belästigt|übergriff)|vergewaltig\w*",
            r"angst (?:vor ihm|nach hause zu gehen|vor meinem (?:mann|freund|partner))",
        ),
        "pt": (
            r"me (?:bateu|bate|agride|agrediu|espanca|espancou|estuprou|violentou|ameaca)",
            r"violencia domestica|abuso sexual|(?:fui )?(?:estuprada|abusada|agredida)",
            r"medo de (?:voltar pra casa|voltar para casa|ele)|ameacou (?:me )?matar",
        ),
        "it": (
            r"mi (?:picchia|ha picchiat[oa]|maltratta|ha violentat[oa]|violenta|minaccia|ha"
            r" aggredit[oa]|aggredisce)|(?:mi )?ha picchiata",
            r"violenza (?:domestica|sessuale)|(?:sono stata )?(?:violentata|stuprata|aggredita)",
            r"ho paura di (?:lui|tornare a casa|mio marito)",
        ),
        "nl": (
            r"(?:slaat|sloeg|mishandelt|mishandelde|verkrachtte|bedreigt|schopt) (?:me|mij)",
            r"(?:ben )?(?:mishandeld|verkracht|aangerand)|huiselijk geweld",
            r"durf niet (?:meer )?(?:naar huis|thuis)",
        ),
    },
)

EMERGENCY = Group(
    "crisis",
    "describes a medical emergency",
    urgency="crisis",
    phrases={
        "en": (
            r"(?:cant|can not|cannot|struggling to|hard to|trouble) breath(?:e|ing)?",
            r"chest (?:pain|pains|is (?:really |very |so )?tight|tightness|feels tight|hurts)",
            r"(?:left )?arm (?:is |went |goes )?numb|numb(?:ness)? (?:in|down) my (?:left )?arm",
            r"(?:having|think im having|i think i ?m having) (?:a )?(?:heart attack|stroke"
            r"|seizure|fit|allergic reaction)",
            r"overdos\w*|\bod d\b",
            r"(?:fainted|passed out|collapsed|lost consciousness|unconscious|blacked out)",
            r"heart (?:is )?(?:racing|pounding) (?:and|so)|heart is racing",
            r"throat (?:is |feels )?(?:swelling|closing|tight)|(?:face|lips|tongue) (?:is |are )?"
            r"swell\w*|swelling up|anaphyla\w*|epipen",
            r"bleeding (?:heavily|a lot|badly|wont stop|that wont stop|everywhere)",
        ),
        "es": (
            r"no puedo respirar|me cuesta respirar|dolor (?:en el|de) pecho|me duele (?:mucho )?"
            r"el pecho",
            r"sobredosis|me (?:desmaye|he desmayado)",
        ),
        "fr": (
            r"(?:je )?(?:ne )?(?:peux|arrive) (?:pas|plus) (?:a )?respirer|douleur (?:a|dans) la"
            r" poitrine|mal a la poitrine|douleur thoracique",
            r"overdose|surdose|(?:je me suis|suis) evanoui\w*",
        ),
        "de": (
            r"(?:bekomme|kriege|krieg) keine luft|kann nicht (?:mehr )?atmen|brustschmerz\w*"
            r"|schmerzen in der brust",
            r"überdosis|ohnmächtig|bewusstlos",
        ),
        "pt": (r"(?:nao|n) consigo respirar|dor no peito|overdose|desmaiei",),
        "it": (r"non riesco a respirare|dolore al petto|overdose|sono svenut[oa]",),
        "nl": (
            r"kan niet (?:meer )?ademen|krijg geen lucht|pijn op (?:de|mijn) borst|overdosis"
            r"|flauwgevallen",
        ),
    },
)

IDIOMS = re.compile(
    _expand(
        r"\b(?:dying (?:to|for)|to die for|(?:would|could|d) die for|dead (?:keen|tired|easy"
        r"|good|set|on)|death of me|killer|kill(?:ing|ed)? it|killing me(?: lol| haha)?"
        r"|drop dead|deadlift\w*|deadline\w*|bored to death|scared to death"
        r"|(?:me )?muero (?:de ganas|por)|morrendo de vontade|(?:je )?meurs d ?envie"
        r"|muoio dalla voglia|morto di (?:fame|sonno)|mort de rire|doodmoe|dood ?op"
        r"|todmüde|totlachen|feel alive|come alive|id die for)\b"
    )
)
"""Figures of speech that use crisis words harmlessly; removed before `CRISIS_WORDS` runs."""

CRISIS_WORDS = Group(
    "crisis",
    "uses words often found in crisis messages (death, pills, weapons, abuse): may be a crisis",
    urgency="crisis",
    phrases={
        "en": (
            r"suicid\w*|(?:ways|how) to (?:die|end it|kill myself)|(?:be|am|was|rather be|better)"
            r" dead|death|dying|(?:not|wont|no longer|wouldnt) (?:\w+ ){0,2}alive",
            r"better off (?:if i|without)|(?:wasnt|wasn t|werent|not) around(?: anymore)?{end}"
            r"|(?:wont|will not|wouldnt|dont think i ?ll) be (?:here|around)",
            r"(?:got|have|saved|collected|stockpiled|hoarded|counting) (?:up )?(?:all )?(?:the "
            r"|my )?"
            r"(?:pills|tablets)|(?:pills|tablets) (?:in front of me|ready|saved)",
            r"knife|blade|gun\b|rope\b|weapon",
            r"abus(?:e|ed|es|ing|ive)\b|assault\w*|forced (?:me|himself|herself)|have sex with"
            r" (?:him|her|them)|locked me in",
            r"(?:want|need) (?:it|everything|this) (?:all )?to stop",
        ),
        "es": (
            r"muerte|morir\w*|matar(?:me|lo|la)?|quitarme|pastillas (?:guardadas|juntadas)"
            r"|cuchillo|abus\w+|violencia|violad\w+|viola(?:cion|ron)|tirar(?:me)? por la"
            r" ventana|que todo (?:pare|termine|acabe)",
        ),
        "fr": (
            r"mourir|mort\b|morte\b|tuer|couteau|abus\w*|violee?\b|violence|viol\b"
            r"|(?:plus|jamais|pas) (?:envie de )?me reveiller|que tout s ?arrete",
        ),
        "de": (
            r"sterben|tod\b|umbringen|tabletten (?:gesammelt|gehortet)|messer\b|missbrauch\w*"
            r"|gewalt\b|vergewalt\w*|dass alles aufhört|nicht mehr (?:aufwachen|da sein)",
        ),
        "pt": (
            r"morrer|morte\b|matar|faca\b|abus\w+|violencia|estupr\w+|acabar com a (?:minha )?vida",
        ),
        "it": (
            r"morire|morte\b|uccider\w*|ammazz\w+|pillole|pastiglie|coltello|abus\w+|violenza"
            r"|svegliarmi piu|mani addosso|che tutto finisca",
        ),
        "nl": (
            r"sterven|zelfmoord\w*|verkracht\w*|misbruik\w*|geweld\b|(?:dat|wil dat) het"
            r" ophoudt|(?:slaat|sloeg|mishandelt) (?:me|mij|mijn (?:moeder|zus|broer|moeder))"
            r"|kan dit niet meer aan",
        ),
    },
    strict={"en": (r"die|dies",), "de": (r"tot\b",), "nl": (r"dood\b|mes\b",)},
)

PREGNANCY = Group(
    "health",
    "mentions pregnancy or a recent birth",
    negatable=True,
    phrases={
        "en": (
            r"pregnant(?! (?:women|woman|ladies|clients|mums|moms|mothers|people))"
            r"|(?:my|during|in|through) (?:my )?pregnancy|trimester|\d+ weeks? pregnant"
            r"|pregnancy(?! (?:massage|yoga|pilates|facial|treatment|package|class|safe))"
            r"|\d+ weeks? (?:along|gone)|expecting (?:a baby|twins)",
            r"post ?partum|postnatal|gave birth|c ?section|caesarean|cesarean|just had (?:a|my)"
            r" baby",
        ),
        "es": (
            r"embarazada\b|embarazo(?! (?:masaje|yoga|pilates))|(?:di|he dado) a luz|cesarea"
            r"|postparto|posparto",
        ),
        "fr": (
            r"enceinte|grossesse(?! (?:massage|yoga|pilates))|(?:jai|je viens d) accouch\w+"
            r"|cesarienne|post ?partum",
        ),
        "de": (
            r"schwanger\b|(?:meiner|der) schwangerschaft|kaiserschnitt|(?:bin )?im [1-9] monat"
            r"|\d+ ssw|ssw \d+|(?:habe|hab) (?:vor \w+ )?"
            r"(?:\w+ )?entbunden|wochenbett",
        ),
        "pt": (
            r"gravida\b|gravidez(?! (?:massagem|yoga|pilates))|gestacao|cesarea|pos ?parto"
            r"|dei a luz",
        ),
        "it": (
            r"incinta|gravidanza(?! (?:massaggio|yoga|pilates))|cesareo|ho partorito|post ?parto",
        ),
        "nl": (r"zwanger\b|zwangerschap(?! (?:massage|yoga|pilates))|keizersnede|bevallen",),
    },
)

SURGERY = Group(
    "health",
    "mentions surgery or an operation",
    negatable=True,
    phrases={
        "en": (
            r"surgery|surgeries|operation on|(?:had|having|recovering from|after) (?:an? |my )?"
            r"(?:\w+ )?(?:operation|op)\b|post ?op|(?:knee|hip|shoulder|joint) replacement"
            r"|keyhole|stitches|\w+(?:ectomy|ectomies)",
        ),
        "es": (
            r"me (?:operaron|van a operar|han operado)|operad[oa] de|operacion|cirugia"
            r"|\w+ectomia",
        ),
        "fr": (
            r"(?:jai ete |je me suis fait |suis )?opere\w* (?:du|de la|des|de)|operation|"
            r"chirurgi\w+|intervention chirurgicale",
        ),
        "de": (
            r"operation|operiert|(?:knie|hüft|schulter|rücken|bandscheiben|kreuzband|meniskus)"
            r" ?op\b|\bop (?:am|an der|an dem)\b|eingriff",
        ),
        "pt": (r"cirurgia|operei|operad[oa]|operacao",),
        "it": (r"intervento|operat[oa] (?:al|alla|di|a)|operazione|chirurgic\w+",),
        "nl": (r"operatie|geopereerd|ingreep",),
    },
)

INJURY = Group(
    "health",
    "mentions an injury",
    negatable=True,
    phrases={
        "en": (
            r"injur(?:y|ies|ed)|sprain\w*|(?:torn|tore|ruptured|pulled) (?:my )?(?:\w+ )?"
            r"(?:acl|ligament|meniscus|muscle|hamstring|achilles|tendon|rotator cuff)",
            r"fractur\w+|broke (?:my|a) (?:\w+ )?(?:leg|arm|wrist|ankle|foot|rib|ribs|toe"
            r"|finger|collarbone|hip|back|neck)|broken (?:leg|arm|wrist|ankle|foot|rib|ribs"
            r"|toe|finger|collarbone|hip)",
            r"herniat\w*|slipped disc|bulging disc|sciatica|whiplash|tendinitis|tendonitis"
            r"|concussion|dislocat\w+|plantar fasciitis|frozen shoulder|(?:pinched|trapped)"
            r" nerve|nerve damage|(?:prolapsed|slipped|bulging|herniated) discs?",
        ),
        "es": (
            r"lesion(?:es)? (?:en|de)|lesionad[oa]|esguince|hernia|fractura|me rompi"
            r"|tendinitis|ciatica|rotura",
        ),
        "fr": (r"blessure|blesse\w*|entorse|hernie|fracture|tendinite|sciatique|dechirure",),
        "de": (
            r"verletzung|bandscheibe\w*|verstaucht|bänderriss|kreuzbandriss|gebrochen"
            r"|knochenbruch|sehnenentzündung|ischias|hexenschuss|bandscheibenvorfall",
        ),
        "pt": (r"lesao|lesionad[oa]|hernia|entorse|torci (?:o|meu)|fratura|quebrei|tendinite",),
        "it": (
            r"infortun\w+|lesione|strappo|distorsione|frattura|ernia|tendinite|sciatica"
            r"|mi sono (?:rott[oa]|fatt[oa] male)",
        ),
        "nl": (r"blessure|geblesseerd|hernia|verstuikt|gescheurd|gebroken|breuk|peesontsteking",),
    },
)

MEDICATION = Group(
    "health",
    "mentions medication or medical treatment",
    negatable=True,
    phrases={
        "en": (
            r"(?:on|taking|take|started) (?:\w+ )?(?:medication|meds|blood thinners?|warfarin"
            r"|antidepressants?|insulin|steroids|beta blockers|lithium|antibiotics)",
            r"blood thinners?|anticoagulants?|warfarin|antidepressants?|ssris?|insulin|lithium"
            r"|chemo\w*|radiotherapy|accutane|isotretinoin|roaccutane|dialysis|ozempic",
        ),
        "es": (
            r"(?:tomo|tomando|estoy tomando) (?:\w+ )?(?:medicacion|medicamentos|pastillas)"
            r"|antidepresivos?|anticoagulantes?|quimio\w*|insulina|medicacion",
        ),
        "fr": (
            r"je prends (?:des |un )?(?:medicaments|cachets|traitement)|anticoagulants?"
            r"|antidepresseurs?|chimio\w*|insuline|sous traitement",
        ),
        "de": (
            r"(?:nehme|bekomme) (?:\w+ )?(?:medikamente|tabletten)|antidepressiva|blutverdünner"
            r"|chemo\w*|insulin|medikamente",
        ),
        "pt": (
            r"(?:tomo|tomando) (?:\w+ )?(?:remedio|remedios|medicacao|medicamentos)"
            r"|antidepressivos?|anticoagulantes?|quimio\w*|insulina|remedio controlado",
        ),
        "it": (
            r"(?:prendo|assumo) (?:\w+ )?farmaci|anticoagulanti|antidepressivi|chemio\w*"
            r"|insulina",
        ),
        "nl": (
            r"(?:slik|gebruik|neem) (?:\w+ )?(?:medicijnen|medicatie|pillen)|medicatie"
            r"|bloedverdunners?|antidepressiva|chemo\w*|insuline",
        ),
    },
)

CONDITION = Group(
    "health",
    "mentions a chronic or serious health condition",
    negatable=True,
    phrases={
        "en": (
            r"diabet\w+|epilep\w+|seizures|heart (?:condition|disease|problems?|issues?"
            r"|failure|surgery)|pacemaker|(?:high|low) blood pressure|hypertension|asthma"
            r"|cancer|multiple sclerosis|fibromyalgia|arthritis|osteoporosis|crohns|lupus"
            r"|parkinsons|dementia|kidney (?:disease|failure)|blood clots?|thrombosis|dvt"
            r"|haemophilia|hemophilia|hiv|hepatitis|bipolar|schizophreni\w*|psychosis"
            r"|had a (?:stroke|heart attack)|chronic (?:pain|fatigue|illness|condition)"
            r"|heart attack|stroke (?:last|in|two|a)|coeliac|celiac|in remission",
            r"anorexi\w*|bulimi\w*|binge eating|(?:eating|disordered) (?:disorder|eating)"
            r"|purging",
            r"allerg(?:y|ic|ies) (?:to|reaction)|(?:nut|latex|peanut) allerg\w+",
        ),
        "es": (
            r"diabet\w+|epileps\w+|hipertension|tension alta|presion alta|asma|cancer"
            r"|cardiopatia|problemas? (?:de|del) corazon|marcapasos|artritis|fibromialgia"
            r"|anorexi\w*|bulimi\w*|trastorno (?:de la conducta )?alimentari\w*|alergi\w+ a"
            r"|celiac[oa]",
        ),
        "fr": (
            r"diabet\w+|epilep\w+|hypertension|tension (?:arterielle|elevee)|asthme|cancer"
            r"|cardiaque|pacemaker|stimulateur|arthrite|fibromyalgie|anorexi\w*|boulimi\w*"
            r"|troubles? (?:du comportement )?alimentaires?|allergique a",
        ),
        "de": (
            r"diabet\w+|zuckerkrank\w*|epilep\w+|bluthochdruck|asthma|krebs|herz"
            r"(?:erkrankung|problem\w*|fehler|krankheit|schwäche|infarkt)|herzschrittmacher"
            r"|arthritis|rheuma|fibromyalgie|(?:multiple )?sklerose|magersucht|bulimi\w*"
            r"|essstörung|allergisch gegen"
            r"|schlaganfall",
        ),
        "pt": (
            r"diabet\w+|epileps\w+|pressao alta|hipertens\w+|asma|cancer|cardiac\w+"
            r"|marca ?passo|artrite|fibromialgia|anorexi\w*|bulimi\w*|transtorno alimentar"
            r"|alergi\w+ a",
        ),
        "it": (
            r"diabet\w+|epiless\w+|pressione alta|ipertensione|asma|cancro|tumore|cardiopatia"
            r"|problemi (?:al|di) cuore|pacemaker|artrite|fibromialgia|anoressi\w*|bulimi\w*"
            r"|disturb\w+ alimentar\w*|allergic\w+ a",
        ),
        "nl": (
            r"diabet\w+|suikerziekte|epilep\w+|hoge bloeddruk|astma|kanker|hart(?:problemen"
            r"|aandoening|ziekte|falen)|pacemaker|artritis|reuma|fibromyalgie|anorexi\w*"
            r"|boulimi\w*|eetstoornis|allergisch voor",
        ),
    },
)

COMPLAINT = Group(
    "complaint",
    "complains or disputes a payment",
    phrases={
        "en": (
            r"(?:want|need|demand|demanding|expect|give me|requesting|request|asking for"
            r"|entitled to|owe me|still waiting for|where is|want to get|like to get|id like)"
            r" (?:a |my |the |full |a full )*refund",
            r"refund (?:me|my money)|i want a (?:full )?refund|(?:want|get|give me|need) my money"
            r" back|money back(?! guarantee)",
            r"charge ?backs?|(?:disput\w+) (?:it|this|the|a|with)",
            r"(?:make|file|lodge|raise|submit|put in) a (?:formal )?complaint|i want to complain"
            r"|complain(?:ing)? about|formal complaint",
            r"(?:not|wasnt|am not|im not|was not|werent) (?:at all )?(?:happy|satisfied|pleased)"
            r" with",
            r"(?:disappointed|unhappy|dissatisfied|furious|appalled|disgusted|fuming) (?:with|by"
            r"|about|in)",
            r"(?:worst|terrible|awful|horrible|appalling|disgraceful|shocking) (?:\w+ )?"
            r"(?:service|experience|session|haircut|cut|massage|treatment|class|job)"
            r"|worst \w+ ever|was a disaster",
            r"ruined my (?:hair|nails|skin|eyebrows|brows|day)|charged (?:me )?twice"
            r"|double charged|overcharg\w+|charged me (?:too much|extra)",
            r"(?:1|one) star review|bad review|trading standards|speak to (?:the|your) manager"
            r"|unacceptable|money (?:returned|refunded)|charged (?:me )?\w* ?\d+ instead of"
            r"|(?:go|going|went|talk|speak) to my bank|contact(?:ed|ing)? my bank"
            r"|(?:really|very|extremely) (?:poor|unhappy)|(?:poor|unprofessional) service"
            r"|(?:third|second|fourth) time you(?: ?ve| have)? cancell?ed"
            r"|unhappy with (?:the|my|your) (?:service|treatment|cut|colou?r|session|massage"
            r"|result|results|nails)|(?:left|leaving) me in pain|(?:isnt|not|wasnt) good enough"
            r"|reported you|(?:card provider|credit card company|paypal) (?:dispute|claim)",
        ),
        "es": (
            r"(?:quiero|exijo|pido|solicito|necesito) (?:un |el |mi )?(?:reembolso|devolucion)"
            r"|devuelv\w+ (?:el|mi) dinero|devolver (?:el|mi) dinero|reembolsen"
            r"|cobr\w+ (?:dos veces|de mas|doble)|enfadad[oa]|indignad[oa]"
            r"|exijo (?:la |el |que )?(?:devolucion|reembolso|devuelvan)|devolucion (?:de mi"
            r"|del) dinero",
            r"reclamacion|poner una queja|quejarme|me quiero quejar|hoja de reclamaciones",
            r"(?:muy )?(?:descontent|insatisfech|decepcionad)[oa]s?|quedo fatal|pesimo"
            r"|me cobraron (?:de mas|dos veces)|cobro doble|cobrado de mas",
        ),
        "fr": (
            r"(?:je veux|je voudrais|je demande|jexige|je souhaite) (?:etre )?rembours\w*"
            r"|un remboursement|remboursez",
            r"reclamation|(?:porter|deposer) plainte|me plaindre",
            r"(?:pas|peu) (?:du tout )?satisfait\w*|insatisfait\w*|decu\w*|mecontent\w*"
            r"|(?:debite|preleve|facture) deux fois|inadmissible|inacceptable|scandaleu\w+"
            r"|conteste\w* (?:le|la|ce|cette) (?:prelevement|paiement|facture|debit)",
        ),
        "de": (
            r"geld zurück|(?:will|möchte|verlange|fordere) (?:\w+ ){0,3}?(?:rückerstattung"
            r"|erstattung|mein geld)|rückbuchung|doppelt (?:abgebucht|berechnet)"
            r"|zu viel berechnet",
            r"beschwer\w+|reklamation|reklamier\w+",
            r"unzufrieden|enttäuscht|katastrophe|unverschämt|frechheit|schlechteste\w*",
        ),
        "pt": (
            r"dinheiro de volta|(?:quero|exijo) (?:o |um )?reembolso|estorno|reembolsem",
            r"reclamacao|reclamar|queixa",
            r"insatisfeit[oa]|decepcionad[oa]|pessim[oa]|indignad[oa]|um absurdo|descaso"
            r"|cobrou (?:duas vezes|a mais)"
            r"|cobraram (?:duas vezes|a mais)",
        ),
        "it": (
            r"(?:voglio|chiedo|pretendo) (?:un |il )?rimbors\w+|rivoglio i (?:miei )?soldi"
            r"|soldi indietro|indietro i (?:miei )?soldi|rimborsatemi|malissimo|uno schifo",
            r"reclam\w+|lamentela",
            r"insoddisfatt[oa]|delus[oa]|pessim[oa]|vergogn\w+|addebitat[oa] due volte",
        ),
        "nl": (
            r"geld terug|terugbetal\w+|restitutie|dubbel (?:afgeschreven|betaald|gerekend)",
            r"klacht\w*|klagen",
            r"ontevreden|teleurgesteld|(?:was|is) (?:erg |heel )?slecht|slechte (?:behandeling"
            r"|service|ervaring)|waardeloos",
        ),
    },
)

LEGAL = Group(
    "legal",
    "asks for records or their data, or involves a lawyer, a court or an insurance claim",
    phrases={
        "en": (
            r"gdpr|data protection|subject access|dsar|access request|right to (?:be forgotten"
            r"|erasure|access)",
            r"(?:copy|copies|all) of (?:my|all my|the) (?:data|notes|records|file|session notes"
            r"|treatment records|clinical notes|personal data)",
            r"(?:data|information|everything|details) (?:that )?you (?:hold|have|keep|store)"
            r" (?:about|on) me|(?:personal )?(?:information|data|details) you (?:store|hold|keep)"
            r"|who you share (?:it|my data|my information) with|(?:everything"
            r"|all) you have on file",
            r"(?:delete|erase|remove|wipe) (?:all )?(?:of )?my (?:personal )?(?:data|information"
            r"|details|records)|my data (?:erased|deleted|removed)",
            r"solicitor|lawyer|attorney|barrister|legal (?:action|advice|proceedings|case)"
            r"|custody|tribunal|subpoena\w*|witness statement|police (?:statement|report)"
            r"|(?:for|in|to) court|court (?:case|hearing|order|date)",
            r"insurance claim|for my insurer|(?:letter|report|records?|notes) for (?:my |the )?"
            r"insurance"
            r"|(?:my |the )?insurance company (?:needs|wants|asked|requires)|letter for my"
            r" insurance",
            r"(?:my )?(?:treatment|medical|clinical|session) (?:records|notes)|(?:my )?client"
            r" file|copy of (?:everything|my file)|court (?:has |have )?(?:asked|needs|wants"
            r"|requires|requested)|insurer (?:needs|wants|asked|requires)",
        ),
        "es": (
            r"rgpd|lopd|proteccion de datos|(?:acceso|copia) (?:a|de) (?:todos )?mis datos"
            r"|mis datos personales|(?:borr|elimin|supr)\w+ (?:todos )?mis datos",
            r"abogad[oa]|(?:para|en) (?:el|un) juicio|juzgado|tribunal|demanda judicial"
            r"|citacion judicial|mi expediente|abogada",
            r"historial (?:clinico|medico)?|informe (?:de las sesiones|clinico|para el"
            r" (?:juicio|seguro|abogado))|parte (?:para|del) seguro",
        ),
        "fr": (
            r"rgpd|cnil|protection des donnees|(?:acces|acceder) a (?:toutes )?mes donnees"
            r"|mes donnees personnelles|(?:suppression|supprimer|effacer) (?:de )?mes donnees"
            r"|droit (?:d ?acces|a l ?oubli|de rectification|d ?effacement)|(?:a|de|sur) mes"
            r" donnees",
            r"avocat|tribunal|proces\b|juge\b|huissier",
            r"(?:mon |du |le )dossier|compte rendu (?:des seances|pour)|attestation pour"
            r" (?:mon |ma |l )?(?:assurance|mutuelle|avocat)",
        ),
        "de": (
            r"dsgvo|datenschutz|auskunft über (?:meine|die) (?:gespeicherten )?daten"
            r"|meine (?:gespeicherten|personenbezogenen) daten|daten (?:zu )?löschen|daten"
            r" gelöscht|lösch\w* (?:sie )?(?:bitte )?(?:alle )?meine (?:\w+ )?daten",
            r"anwalt|anwältin|rechtsanwalt|(?:vor|für das|beim|vom|ans|zum) gericht"
            r"|gerichts(?:termin|verfahren|verhandlung)|klage\b|vorladung",
            r"(?:behandlungs|patienten)unterlagen|patientenakte|meine akte|versicherung"
            r" (?:braucht|will|verlangt)",
        ),
        "pt": (
            r"lgpd|rgpd|protecao de dados|(?:apag|exclu|delet|remov)\w+ (?:os )?meus dados"
            r"|meus dados pessoais",
            r"advogad[oa]|tribunal|processo (?:judicial|no tribunal)|juiz\b|audiencia",
            r"prontuario|relatorio (?:das sessoes|para o)|laudo",
        ),
        "it": (
            r"gdpr|trattamento dei dati|(?:accesso|accedere) ai (?:miei )?dati|miei dati"
            r" personali|cancella\w* (?:i |dei )?(?:miei )?dati|dati personali",
            r"avvocat[oa]|tribunale|per la causa|causa (?:legale|civile)|fare causa|giudice",
            r"cartella clinica|copia della cartella|relazione (?:per|sulle sedute)",
        ),
        "nl": (
            r"inzage in (?:mijn )?(?:persoonsgegevens|gegevens|dossier)|mijn (?:persoons)?"
            r"gegevens (?:verwijderen|wissen|inzien)|(?:verwijder|wis)\w* (?:al )?mijn gegevens"
            r"|persoonsgegevens",
            r"advocaat|rechtszaak|rechter|rechtbank",
            r"kopie van mijn dossier|mijn dossier|verslag voor",
        ),
    },
    strict={"nl": (r"avg",)},
)

THREAT = Group(
    "harassment",
    "threatens or stalks you",
    urgency="high",
    phrases={
        "en": (
            r"i know where you (?:live|work|sleep)|know where you live",
            r"(?:you ?ll|youll|you will|you are going to|youre going to|your going to)"
            r" (?:regret|pay for (?:this|it|that)|be sorry)|regret ignoring|watch your back",
            r"(?:i ?ll|ill|i will|im going to|i am going to) (?:find you(?! on| online)"
            r"|hurt you|make you pay|kill you|come for you|come round (?:to )?your (?:house"
            r"|home|flat))",
            r"or (?:else|youll be sorry|you will be sorry)|youll be sorry",
            r"(?:been )?(?:watching|following) you(?! on| for| since| online| ig| insta)"
            r"|followed you",
            r"waiting (?:for you )?outside your|outside your (?:house|home|flat|door)",
            r"(?:why did you|you) block(?:ed)? me|(?:keep|kept) making new numbers"
            r"|new numbers? until|you cant ignore me",
            r"(?:ill|i will|im going to|i am going to) (?:come|turn up|show up) (?:to|at) your"
            r" (?:house|home|flat|door)|if you dont (?:reply|answer|respond|call)(?: me)?"
            r"(?: #)? (?:ill|i will|youll|then)",
            r"i (?:can see|know) (?:your|where your|what) (?:car|house|window|door|kids)",
            r"make your life (?:hell|a misery|miserable)|not leaving until you"
            r"|(?:touch|grope|kiss) you\b",
        ),
        "es": (
            r"se donde (?:vives|trabajas)|te vas a arrepentir|te arrepentiras|me las vas a pagar",
            r"te voy a (?:encontrar|matar|pillar)|te estoy (?:vigilando|siguiendo)"
            r"|(?:esperando|espero|estoy) (?:fuera de|afuera de|en la puerta de) tu casa"
            r"|hacer la vida imposible|amargar la vida",
        ),
        "fr": (
            r"je sais ou (?:tu (?:habites|vis|travailles)|vous (?:habitez|travaillez))",
            r"(?:tu vas|vous allez) (?:le )?regretter|tu (?:me )?le (?:paieras|payeras)"
            r"|je vais te (?:retrouver|trouver|tuer)|je te surveille|je tai suivie?"
            r"|pourrir la vie|devant (?:chez toi|ta porte)",
        ),
        "de": (
            r"ich weiss (?:# )?wo (?:du wohnst|sie wohnen|du arbeitest)",
            r"(?:wirst|werden) (?:du|sie) (?:es |das )?bereuen|(?:das )?wirst du (?:noch )?bereuen"
            r"|du wirst (?:dafür )?bezahlen|ich (?:finde|kriege?) dich{end}|ich werde dich finden"
            r"|du wirst (?:schon )?sehen|vor deiner (?:tür|haustür|wohnung)"
            r"|ich beobachte dich",
        ),
        "pt": (
            r"sei onde (?:voce|tu) (?:mora|moras|trabalha)|vai se arrepender|vai me pagar"
            r"|vou te (?:achar|matar)|vou te encontrar{end}|(?:to|estou) te (?:vigiando|seguindo)"
            r"|vai se ver comigo"
            r"|te segui",
        ),
        "it": (
            r"so dove (?:abiti|vivi|lavori)|ti aspetto sotto casa|sotto casa tua|te ne pentirai"
            r"|(?:ti )?pentirai|te la faro pagare"
            r"|me la pagherai|ti (?:trovo|trovero|ammazzo)|ti (?:sto )?(?:osservando|seguendo)",
        ),
        "nl": (
            r"ik weet waar (?:je|jij|u) (?:woont|werkt|auto staat|huis)",
            r"(?:je gaat|ga je|gaat u) (?:hier )?spijt (?:van )?krijgen|krijg je spijt"
            r"|ik maak je af|ik (?:vind|pak|krijg) je{end}|ik hou je in de gaten"
            r"|voor (?:je|jouw) (?:huis|deur)",
        ),
    },
)

ABUSE = Group(
    "harassment",
    "is abusive towards you",
    phrases={
        "en": (
            r"bitch|whore|slut|cunt|twat|fuck (?:you|off)|fucking (?:idiot|bitch|useless|cow)"
            r"|stupid (?:cow|bitch|idiot|woman)|useless (?:bitch|whore|cow|idiot)|dickhead"
            r"|piece of shit",
            r"(?:fat|ugly|stupid|useless|pathetic) (?:ugly |fat |old )?(?:cow|pig|bitch|slag"
            r"|loser)|you ?re (?:a )?(?:fat|ugly|pathetic|disgusting|worthless) (?:\w+ )?"
            r"(?:cow|pig|bitch|woman|man|loser)",
        ),
        "es": (r"puta|zorra|perra|gilipollas|imbecil|estupida|cabron\w*|hija de puta",),
        "fr": (r"salope|connasse|pute|encule\w*|ta gueule|petasse|conne\b",),
        "de": (
            r"schlampe|hure|fotze|miststück|(?:blöde|dumme) (?:kuh|sau|ziege)|arschloch"
            r"|wichser|fick dich",
        ),
        "pt": (r"vagabunda|puta|piranha|vadia|otaria|filha da puta|vaca\b",),
        "it": (r"puttana|troia|stronza|zoccola|vaffanculo|cretina|poco di buono|sgualdrina",),
        "nl": (r"trut|hoer|slet|kutwijf|kanker ?wijf|teringwijf",),
    },
)

SEXUAL = Group(
    "harassment",
    "makes sexual advances or requests",
    phrases={
        "en": (
            r"happy endings?|(?:do|will) you (?:do|offer) (?:any )?extras(?! like)"
            r"|nudes|send (?:me )?(?:a )?nude|nude (?:pics|photos|selfies?)|naked"
            r"|(?:pics|photos|pictures|selfies?|snaps) of (?:you|yourself)|sexy|hot body"
            r"|are you single|(?:come|coming) back to (?:mine|my place)|(?:photo|photos|pic|pics"
            r"|picture|pictures) of your (?:feet|body|legs|bum|butt|boobs|chest)|feet pics"
            r"|sleep with (?:me|you)|horny|boobs|tits|\bcock\b|wanna fuck|date with me"
            r"|go out with me",
        ),
        "es": (
            r"fotos? (?:tuyas?|desnud[oa])|nudes|desnud[oa]|estas (?:muy )?buena|final feliz"
            r"|sexy",
        ),
        "fr": (r"photos? de toi|nue\b|nudes|sexy|tes (?:vraiment |trop )?bonne",),
        "de": (r"nackt\w*|schick mir (?:fotos|bilder) von dir|sexy",),
        "pt": (r"nudes|fotos? (?:suas?|de voce)|pelada|gostosa|sexy",),
        "it": (r"foto (?:sexy|nuda|di te)|nuda|sexy|sei (?:proprio )?bona|figa",),
        "nl": (r"naaktfoto\w*|naakt|(?:foto|fotos) van je(?:zelf)?{end}|sexy|lekker ding|geile",),
    },
)

_PERSON_EN = (
    r"(?:wife|husband|partner|girlfriend|boyfriend|ex|fiance|fiancee|son|daughter|mum|mom"
    r"|mother|dad|father|brother|sister|friend|colleague|boss|employee|flatmate|neighbour"
    r"|neighbor)s?"
)
PRIVACY = Group(
    "privacy",
    "asks about another client",
    phrases={
        "en": (
            r"(?:tell me|let me know|confirm|check|find out|need to know|know) (?:if|whether"
            r"|when|what time|where|that)\b(?: \w+){0,4}? (?:my|his|her) " + _PERSON_EN,
            r"(?:is|has|was|did) my " + _PERSON_EN + r"(?: \w+){0,3}?"
            r" (?:client|clients|patient|patients|customer|coming|came|been|seeing|see you"
            r"|booked|book|appointment|appointments|session|sessions|attend\w*|turn(?:ed)? up"
            r"|show(?:ed)? up)",
            r"(?:is|was|are)(?: \w+){1,3} (?:one of your|a client of yours|your) (?:clients?"
            r"|patients?|customers?)|a (?:client|patient|customer) of yours\b(?= \?)",
            r"(?:number|address|phone|details|email|contact|name|names) (?:of|for) (?:one of your"
            r"|your other|the|another|a) (?:\w+ ){0,2}(?:clients?|patients?|customers?|woman|man"
            r"|girl"
            r"|guy|lady|person|people)",
            r"(?:when|what time|what day) (?:is|does|did) my " + _PERSON_EN + r" (?:\w+ )?"
            r"(?:appointment|session|booking|class)",
            r"what did my " + _PERSON_EN + r" (?:talk|say|tell|discuss|speak)",
            r"what my " + _PERSON_EN + r" (?:talks|talked|says|said|tells|told|discusses)",
            r"(?:which|what) (?:days?|times?) (?:does|do|did) my " + _PERSON_EN,
            r"confirm (?:that )?(?:he|she|they) (?:actually |really )?(?:goes|went|comes|came"
            r"|attends|attended|is there|was there)",
            r"(?:has|is|was|did) (?:\w+ ){1,2}(?:been in|been coming|come in|came in|been booked"
            r"|attended|had (?:a|her|his) (?:session|appointment))\b",
            r"(?:was|is|did) (?!it |there |that |this |the |my |your |we |you |i )(?:\w+ ){1,2}"
            r"at (?:the|your) (?:\w+ )?(?:class|session|appointment)",
            r"does my " + _PERSON_EN + r" (?:come|go|see|visit)(?: to)? (?:you|your)",
            r"what (?:she|he|they)(?: ?s| has| have)? (?:said|says|told you|talks about"
            r"|talked about)"
            r" about me",
        ),
        "es": (
            r"(?:decir|dime|saber|confirmar|decirme) si (?:mi|mis) (?:marido|esposo|esposa|mujer"
            r"|pareja|novio|novia|ex|hijo|hija|madre|padre)",
            r"mi (?:marido|esposo|esposa|mujer|pareja|novio|novia|ex|hijo|hija)(?: \w+){0,3}?"
            r" (?:client[ea]|paciente|tu consulta|a verte|contigo|cita)[^#]*\?",
            r"(?:numero|telefono|direccion) de (?:la|el|una|un|otra|otro) (?:client[ea]|paciente)",
        ),
        "fr": (
            r"(?:ma|mon) (?:femme|mari|epoux|epouse|copine|copain|compagne|compagnon|ex|fils"
            r"|fille)(?: \w+){0,2}? (?:vient|venait|est venue?|va|allait) (?:vous|te) voir",
            r"(?:ma|mon) (?:femme|mari|epoux|epouse|copine|copain|compagne|compagnon|ex|fils"
            r"|fille)(?: \w+){0,3}? (?:client|cliente|patient|patiente|rendez vous|rdv)"
            r"[^#]*\?",
            r"(?:dire|savoir) si (?:ma|mon) (?:femme|mari|copine|copain|compagne|compagnon|ex)",
            r"(?:numero|adresse|coordonnees) (?:de la|du|dune|dun|des) (?:\w+ )?(?:client|cliente"
            r"|patient|patiente|clients)",
            r"(?:ma|mon) (?:femme|mari|epoux|epouse|copine|copain|compagne|compagnon|ex|fils"
            r"|fille) (?:est|vient|a)(?: t)? (?:il|elle) (?:venue?|rendez vous|rdv|pris|client"
            r"|une? de vos|votre)",
        ),
        "de": (
            r"(?:ist|war|kommt|geht|kam|hat|hatte) (?:meine|mein) (?:frau|mann|freundin|freund"
            r"|partner|partnerin|ex|sohn|tochter)(?: \w+){0,4}? (?:bei (?:ihnen|dir|euch)|zu"
            r" (?:ihnen|dir)|in behandlung|kunde|kundin|patient|patientin|termin|gebucht)",
            r"(?:sagen|verraten|wissen) (?:# )?(?:ob|wann|wo) (?:meine|mein) (?:frau|mann|freundin"
            r"|freund|partner|partnerin|ex|sohn|tochter)",
            r"(?:nummer|adresse|kontakt) (?:der|des|von der|vom) (?:\w+ )?(?:kundin|kunden"
            r"|patientin)",
        ),
        "pt": (
            r"(?:meu|minha) (?:marido|esposa|mulher|namorad[oa]|ex|filh[oa])(?: \w+){0,3}?"
            r" (?:cliente|paciente|consulta|sessao|ai)\b[^#]*\?",
            r"(?:dizer|saber|confirmar) se (?:meu|minha) (?:marido|esposa|mulher|namorad[oa]|ex"
            r"|filh[oa])",
            r"(?:meu|minha) (?:marido|esposa|mulher|namorad[oa]|ex|filh[oa]) (?:tem|marcou|fez)"
            r" (?:\w+ ){0,2}(?:horario|consulta|sessao|hora) com (?:voce|vc|tu)",
        ),
        "it": (
            r"(?:mia|mio) (?:moglie|marito|compagn[oa]|fidanzat[oa]|ex|figli[oa])(?: \w+){0,3}?"
            r" (?:da lei|da te|cliente|paziente|in seduta|appuntamento)",
            r"(?:dirmi|dica|dimmi|sapere) se (?:mia|mio) (?:moglie|marito|compagn[oa]"
            r"|fidanzat[oa]|ex)",
        ),
        "nl": (
            r"(?:komt|kwam|is|was|gaat|ging) (?:mijn) (?:vrouw|man|vriendin|vriend|partner|ex"
            r"|zoon|dochter)(?: \w+){0,3}? (?:bij (?:jou|je|u|jullie)|klant|client|patient"
            r"|in behandeling)",
            r"(?:zeggen|vertellen|weten|weet (?:jij|je|u)) (?:of|wanneer|waar) (?:mijn) (?:vrouw"
            r"|man|vriendin"
            r"|vriend|partner|ex|zoon|dochter)",
        ),
    },
)

GROUPS: tuple[Group, ...] = (
    SELF_HARM,
    VIOLENCE,
    EMERGENCY,
    CRISIS_WORDS,
    PREGNANCY,
    SURGERY,
    INJURY,
    MEDICATION,
    CONDITION,
    COMPLAINT,
    LEGAL,
    THREAT,
    ABUSE,
    SEXUAL,
    PRIVACY,
)
