"""Threats of violence and dehumanising group hate, in English, Hinglish, Devanagari Hindi
and Kannada (script and romanised; threats only).

Categories ``threat``, ``discriminatory`` and (for Hindi slurs) ``abusive``. The
classifier learnt threats from Wikipedia talk pages: it misses the ones a newsroom
gets ("the MLA should be lynched", "isko goli maar do") and holds figurative uses of
violent words ("this budget will kill the middle class"). These rules read the
*frame* a violent word sits in, sentence by sentence (lexicons in
:mod:`moderation.pipeline.checks.threat_lexicon`):

- **direct** (``threat:direct``, hard: rejects): a first-person intention to harm
  someone: "I will kill you", "we are going to burn your house down",
  "main tujhe jaan se maar dunga", "मैं तुम्हें जान से मार दूंगा", "ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ",
  "ninna saaysthini", "ninna kollade bidalla" (Kannada's first-person future carries
  the subject, so the target is optional there).
- **incitement** (``threat:incitement``, soft): calling for or wishing violence:
  "X should be shot/hanged/lynched", "someone should shoot ...", "hang the editor",
  "I hope someone kills ...", "isko goli maar do", "faansi pe latka do".
- **conditional** (``threat:conditional``, soft): violence promised on a condition
  or as an idiom of menace: "if I see you at the rally you're dead", "you won't live
  to ...", "agar dobara dikha to maar dunga". A direct threat inside an *if* clause
  is reported as conditional (a person reads it; "if he attacks me I'll kill him"
  should not be rejected unread).
- **deserved** (``threat:deserved``, soft): "you deserve to be beaten",
  "maar khane layak".
- **dehumanisation** (``discriminatory:dehumanisation``, soft): a protected group
  called animals, vermin, filth, a disease, "not human", "born useless"; and
  ``discriminatory:expulsion``: "in logon ko desh se nikalo".
- **slur** (``abusive:hindi_slur``, soft): the strongest Hindi/Hinglish slurs
  ("madarchod", "chutiya", ...), which the English model has never seen.

Guards, per match: **negation** ("I would never hurt anyone", "no journalist
deserves ...", "nahi maarunga"), **quotation and counter-speech** (the match inside
quotes, or after "saying", "calling", "stop saying", "... kehna galat hai"),
**figurative objects and subjects** ("kill it", "kill jobs", "kill this bill",
"shoot the video", "the budget will kill ...", "garmi ne maar dala", "killing me",
"shoot me"), and **reports** ("was shot dead", "were killed", "sentenced to death").

When every violent word in a comment is explained by a guard, no rule found a
threat and no sentence read as figurative or as a report also names a person or group
(:func:`names_a_person`: "the budget will kill *you*"), the result lists ``threat`` in
:attr:`CheckResult.discounted` (a violent word alone in quotes is not explained: only a
recognised threat frame inside quotes is). The pipeline
then holds the classifier's threat score below review (the comment is approved on
the strength of the rules; a score at or above reject is held for review instead), and
an informational reason ``threat:non_literal`` with the spans records why. Likewise
``discriminatory`` when a dehumanising phrase only occurs quoted, negated or condemned.

Each reason says what it found in plain words and carries the character spans
(offsets into the original text) of the violent phrase and of its target. The
check's severity (0.95 direct, 0.8 incitement/dehumanisation, 0.7 conditional and
deserved, 0.6 slurs) is returned by :func:`assess`; the decision comes from the
reasons' hard/soft flag, never from comparing these severities with the model's
thresholds.

Measured with the functional suite (``moderation/training/functional_suite.yaml``,
``models/FUNCTIONAL_SUITE.md``) and on clean comments of the English corpora (the
figures are in the card). Known blind spots: threats without a violent word in the
lexicons ("you know what happens to people like you"), sarcasm, threats split over
sentences, Hindi and Kannada spellings outside the alternations, Kannada dehumanisation
and slurs (not covered), and every other language. Indic text is read in NFC
(:mod:`.indic_text`), spans still point into the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from moderation.pipeline.checks import threat_lexicon as lex
from moderation.pipeline.checks.indic_text import nfc_with_offsets
from moderation.pipeline.types import CheckResult, Reason, Span

NON_LITERAL = "threat:non_literal"

SEVERITY = {
    "threat:direct": 0.95,
    "threat:incitement": 0.8,
    "threat:conditional": 0.7,
    "threat:deserved": 0.7,
    "discriminatory:dehumanisation": 0.8,
    "discriminatory:expulsion": 0.7,
    "abusive:hindi_slur": 0.6,
}
MESSAGES = {
    "threat:direct": "Threatens violence against {target}",
    "threat:incitement": "Calls for or wishes violence against {target}",
    "threat:conditional": "Threatens violence on a condition against {target}",
    "threat:deserved": "Says {target} deserves violence",
    "discriminatory:dehumanisation": "Dehumanises a group ({target})",
    "discriminatory:expulsion": "Calls for expelling a group ({target})",
    "abusive:hindi_slur": "Uses a strong Hindi slur ({target})",
}
HARD = frozenset({"threat:direct"})


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    spans: tuple[tuple[int, int], ...]
    target: str

    @property
    def category(self) -> str:
        return self.code.split(":", 1)[0]


@dataclass(slots=True)
class Assessment:
    """What :func:`assess` found: findings, explained (non-literal) violent words, severity."""

    findings: list[Finding] = field(default_factory=list)
    non_literal: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, why
    unexplained: list[tuple[int, int]] = field(default_factory=list)
    group_guarded: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def severity(self) -> float:
        return max((SEVERITY[f.code] for f in self.findings), default=0.0)


_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$|[\"'”’])|\n+|।")

#: (reason code, pattern, where its target is, whether a negation before it cancels it)
_THREAT_FRAMES: tuple[tuple[str, re.Pattern[str], str, bool], ...] = (
    ("threat:direct", lex.DIRECT_EN, "after", True),
    ("threat:direct", lex.DIRECT_HI, "optional", True),
    ("threat:direct", lex.DIRECT_DEVA, "optional", True),
    ("threat:incitement", lex.SOMEONE_EN, "after", True),
    ("threat:incitement", lex.IMPERATIVE_EN, "after", True),
    ("threat:incitement", lex.PASSIVE_EN, "before", True),
    ("threat:incitement", lex.HOPE_EN, "either", True),
    ("threat:incitement", lex.IMPERATIVE_HI, "optional", True),
    ("threat:incitement", lex.IMPERATIVE_DEVA, "optional", True),
    ("threat:deserved", lex.DESERVE_EN, "before", True),
    ("threat:deserved", lex.DESERVE_HI, "optional", True),
    ("threat:conditional", lex.IDIOM_EN, "optional", False),
    ("threat:direct", lex.DIRECT_KN, "optional", True),
    ("threat:direct", lex.DIRECT_KN_LATN, "optional", True),
    ("threat:incitement", lex.IMPERATIVE_KN, "optional", True),
    ("threat:incitement", lex.IMPERATIVE_KN_LATN, "optional", True),
    ("threat:conditional", lex.IDIOM_KN, "optional", False),
)
#: The frames in Indian languages: negation may follow the verb ("maarunga nahi",
#: "kolthini anta helilla"), and their objects can be idioms ("is baat ko goli maaro").
_INDIC_FRAMES = frozenset({lex.DIRECT_HI, lex.DIRECT_DEVA, lex.IMPERATIVE_HI, lex.IMPERATIVE_DEVA,
                           lex.DESERVE_HI, lex.DIRECT_KN, lex.DIRECT_KN_LATN, lex.IMPERATIVE_KN,
                           lex.IMPERATIVE_KN_LATN})
_GROUP_FRAMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("discriminatory:dehumanisation", lex.DEHUMANISE_EN),
    ("discriminatory:dehumanisation", lex.CALLING_EN),
    ("discriminatory:dehumanisation", lex.DEHUMANISE_HI),
    ("discriminatory:dehumanisation", lex.DEHUMANISE_DEVA),
    ("discriminatory:expulsion", lex.EXPEL_EN),
    ("discriminatory:expulsion", lex.EXPEL_HI),
)
_POSSESSIVE = re.compile(r"\b(?:your|ur|his|her|their)\b", re.I)
_LEADING_PARTICLE = re.compile(r"\s*(?:(?:up|down|out|off|the\s+hell\s+out\s+of)\s+)?", re.I)


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > start:
            yield start, m.end()
        start = m.end()
    if start < len(text):
        yield start, len(text)


_QUOTED = re.compile(r"\"[^\"]+\"|“[^”]+”|‘[^’]+’|(?<!\w)'[^']+'(?!\w)")


def _quoted_ranges(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _QUOTED.finditer(text)]


def _inside(span: tuple[int, int], ranges: list[tuple[int, int]]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in ranges)


def _add(out: Assessment, code: str, spans: list[tuple[int, int]], target: str) -> None:
    out.findings.append(Finding(code, tuple(sorted(set(spans))), target))


def _target_label(text: str, span: tuple[int, int] | None) -> str:
    if span is None:
        return "someone"
    return f"“{text[span[0]:span[1]]}”"


def _is_target(sentence: str, m: re.Match[str]) -> bool:
    return not lex.NOT_A_TARGET.fullmatch(m.group()) and not (
        lex.FIGURATIVE_OBJECT.fullmatch(m.group()))


def _target_after(sentence: str, pos: int, wide: bool) -> tuple[int, int] | None:
    lead = _LEADING_PARTICLE.match(sentence, pos)
    start = lead.end() if lead else pos
    if lex.FIGURATIVE_OBJECT.match(sentence, start):
        return None
    if not wide:
        m = lex.TARGET.match(sentence, start)
        return m.span() if m and _is_target(sentence, m) else None
    for m in lex.TARGET.finditer(sentence, start, min(len(sentence), start + 70)):
        if _is_target(sentence, m):
            return m.span()
    return None


def _target_before(sentence: str, end: int) -> tuple[int, int] | None:
    found = [m for m in lex.TARGET.finditer(sentence, 0, end) if _is_target(sentence, m)]
    if found:
        return found[-1].span()
    pronouns = list(lex.SUBJECT_PRONOUN.finditer(sentence, 0, end))
    return pronouns[-1].span() if pronouns else None


def _find_target(sentence: str, m: re.Match[str], mode: str) -> tuple[int, int] | None:
    if "target" in m.re.groupindex and m.group("target"):
        return m.span("target")
    if _POSSESSIVE.search(m.group("verb")):  # "break your legs"
        return m.span("verb")
    if mode == "after":
        return _target_after(sentence, m.end("verb"), wide=False)
    if mode == "before":
        return _target_before(sentence, m.start())
    if mode == "either":
        return _target_after(sentence, m.end("verb"), wide=True) or _target_before(sentence, m.start())
    return None


def _assess_threats(text: str, sentence: tuple[int, int], quotes: list[tuple[int, int]],
                    out: Assessment) -> list[tuple[int, int]]:
    """Threat frames in one sentence; returns the spans (in ``text``) the frames cover."""
    s0, s1 = sentence
    part = text[s0:s1]
    covered: list[tuple[int, int]] = []
    conditional = lex.CONDITION.search(part) is not None
    condemned = lex.COUNTER_SPEECH.search(part) is not None
    idioms = [m.span() for m in lex.FIGURATIVE_KN.finditer(part)]
    for code, pattern, mode, negatable in _THREAT_FRAMES:
        for m in pattern.finditer(part):
            verb = m.span("verb")
            target = _find_target(part, m, mode)
            if target is None and mode in ("after", "before", "either"):
                continue
            span = (s0 + m.start(), s0 + m.end())
            covered.append(span)
            # The English first-person and imperative frames carry their own negation
            # ("I won't"; "don't think so, just kill them" is not negated); the others look
            # a few words back ("nobody should be", "kisi ko nahi maarunga").
            own = pattern is lex.DIRECT_EN or pattern is lex.IMPERATIVE_EN
            window = part[m.start() if own else max(0, m.start() - 25):verb[0]]
            why = None
            if _inside(span, quotes):
                why = "quoted"
            elif negatable and lex.NEGATION.search(window):
                why = "negated"
            elif pattern in _INDIC_FRAMES and negatable and lex.TRAILING_NEGATION.match(part, m.end()):
                why = "negated"
            elif pattern in _INDIC_FRAMES and (
                    any(a < verb[1] and verb[0] < b for a, b in idioms)
                    or (target is not None and lex.FIGURATIVE_TARGET.search(part, *target))):
                why = "figurative"
            elif condemned:
                why = "condemned"
            elif (code != "threat:direct" and lex.JUDICIAL.search(m.group("verb"))
                  and target is not None and lex.CRIMINAL.search(part[target[0]:target[1]])):
                why = "judicial"
            if why is not None:
                out.non_literal.append((*span, why))
                continue
            final = "threat:conditional" if code == "threat:direct" and conditional else code
            spans = [(s0 + verb[0], s0 + verb[1])]
            label_span = None
            if target is not None:
                label_span = (s0 + target[0], s0 + target[1])
                spans.append(label_span)
            _add(out, final, spans, _target_label(text, label_span))
    return covered


def _assess_groups(text: str, sentence: tuple[int, int], quotes: list[tuple[int, int]],
                   out: Assessment) -> None:
    s0, s1 = sentence
    part = text[s0:s1]
    condemned = lex.COUNTER_SPEECH.search(part) is not None
    for code, pattern in _GROUP_FRAMES:
        for m in pattern.finditer(part):
            groups = m.groupdict()
            g = "group" if groups.get("group") else "group2"
            n = "noun" if groups.get("noun") else "noun2"
            span = (s0 + m.start(), s0 + m.end())
            window = part[max(0, m.start() - 20):m.start()] + (groups.get("between") or "")
            why = None
            if _inside(span, quotes):
                why = "quoted"
            elif lex.NEGATION.search(window):
                why = "negated"
            elif condemned:
                why = "condemned"
            if why is not None:
                out.group_guarded.append((*span, why))
                continue
            group = (s0 + m.start(g), s0 + m.end(g))
            _add(out, code, [(s0 + m.start(n), s0 + m.end(n)), group], _target_label(text, group))


def _assess_slurs(text: str, quotes: list[tuple[int, int]], out: Assessment) -> None:
    for m in lex.HINDI_SLURS.finditer(text):
        if _inside(m.span(), quotes):
            continue
        _add(out, "abusive:hindi_slur", [m.span()], _target_label(text, m.span()))


def _threat_stem(word: str) -> bool:
    return lex.THREAT_STEM.fullmatch(word) is not None or (
        lex.THREAT_STEM_KN.fullmatch(word) is not None)


def assess(text: str) -> Assessment:
    """Every finding in ``text``, and which violent words a guard explained.

    The rules read the NFC form of ``text`` (:mod:`.indic_text`); every span in the
    result is an offset into ``text`` itself."""
    norm = nfc_with_offsets(text)
    out = _assess(norm.text)
    if norm.starts is None:
        return out

    def back(s: int, e: int) -> tuple[int, int]:
        return norm.original(s, e)

    return Assessment(
        findings=[Finding(f.code, tuple(sorted({back(*sp) for sp in f.spans})), f.target)
                  for f in out.findings],
        non_literal=[(*back(s, e), why) for s, e, why in out.non_literal],
        unexplained=[back(s, e) for s, e in out.unexplained],
        group_guarded=[(*back(s, e), why) for s, e, why in out.group_guarded],
    )


def _assess(text: str) -> Assessment:
    out = Assessment()
    # no word stems for Devanagari or Kannada (vowel signs break \w): run every frame
    every = lex.INDIC.search(text) is not None
    words = set(lex.WORDS.findall(text.casefold()))
    threat_words = every or any(_threat_stem(w) for w in words)
    group_words = every or any(lex.GROUP_STEM.fullmatch(w) for w in words)
    slur_words = every or any(lex.SLUR_STEM.fullmatch(w) for w in words)
    if not (threat_words or group_words or slur_words):
        return out
    quotes = _quoted_ranges(text)
    covered: list[tuple[int, int]] = []
    for sentence in _sentences(text):
        here = set(lex.WORDS.findall(text[slice(*sentence)].casefold())) if not every else set()
        if threat_words and (every or any(_threat_stem(w) for w in here)):
            covered.extend(_assess_threats(text, sentence, quotes, out))
            for pattern, why in ((lex.FIGURATIVE, "figurative"), (lex.FIGURATIVE_KN, "figurative"),
                                 (lex.REPORTED, "reported")):
                for m in pattern.finditer(text, *sentence):
                    out.non_literal.append((m.start(), m.end(), why))
        if group_words and (every or any(lex.GROUP_STEM.fullmatch(w) for w in here)):
            _assess_groups(text, sentence, quotes, out)
    if slur_words:
        _assess_slurs(text, quotes, out)
    if threat_words:
        _explain_violent_words(text, covered, out)
    return out


def _explain_violent_words(text: str, covered: list[tuple[int, int]], out: Assessment) -> None:
    """Sort every violent word into flagged, explained (non-literal) or unexplained."""
    flagged = [span for f in out.findings if f.category == "threat" for span in f.spans]
    explained = [*covered, *((s, e) for s, e, _ in out.non_literal)]
    for m in (*lex.VIOLENT_WORD.finditer(text), *lex.VIOLENT_WORD_KN.finditer(text)):
        word = m.span()
        if any(s <= word[0] and word[1] <= e for s, e in flagged):
            continue
        if any(s <= word[0] and word[1] <= e for s, e in explained):
            continue
        # A violent word alone in quotes is not explained: quotation only vouches for a
        # threat frame the rules recognised inside the quotes ("'hang the editor' is vile"),
        # not for scare quotes round a word the rules can't read.
        out.unexplained.append(word)


_WHY = {"quoted": "quoted", "negated": "negated", "condemned": "condemned",
        "figurative": "figurative", "reported": "a report", "judicial": "a call for a court's sentence"}


#: The guards whose reading a named person or group overrules (see :func:`names_a_person`).
#: Negated, quoted and condemned frames name their target by construction.
TARGET_GATED = frozenset({"figurative", "reported"})


def names_a_person(text: str, found: Assessment) -> bool:
    """Whether a sentence holding a violent word read as figurative or as a report also
    names a person or group ("you", "the journalist", "Muslims"), outside the figurative
    object itself ("kill the farmers' income"). The figurative and report guards look at a
    phrase, not at who else the sentence is about, so there the rules don't vouch for the
    comment and the classifier's threat score stands."""
    gated = [(s, e) for s, e, why in found.non_literal if why in TARGET_GATED]
    if not gated:
        return False
    for s0, s1 in _sentences(text):
        if not any(s0 <= s < s1 for s, _ in gated):
            continue
        part = text[s0:s1]
        objects = [m.span() for m in lex.FIGURATIVE_OBJECT.finditer(part)]
        for m in lex.NAMED_PERSON.finditer(part):
            if not any(a <= m.start() and m.end() <= b for a, b in objects):
                return True
    return False


def check(text: str) -> CheckResult:
    """Threat, dehumanisation and slur reasons for ``text``; see the module docstring."""
    found = assess(text)
    reasons: list[Reason] = []
    for finding in found.findings:
        reasons.append(Reason(
            code=finding.code,
            message=MESSAGES[finding.code].format(target=finding.target),
            spans=tuple(Span(s, e, finding.category) for s, e in finding.spans),
            hard=finding.code in HARD,
        ))
    categories = {f.category for f in found.findings}
    discounted: list[str] = []
    if ("threat" not in categories and found.non_literal and not found.unexplained
            and not names_a_person(text, found)):
        discounted.append("threat")
    if "discriminatory" not in categories and found.group_guarded:
        discounted.append("discriminatory")
    if discounted:
        spans = sorted({(s, e) for s, e, _ in [*found.non_literal, *found.group_guarded]})
        whys = sorted({_WHY[w] for _, _, w in [*found.non_literal, *found.group_guarded]})
        reasons.append(Reason(
            code=NON_LITERAL,
            message="Violent or dehumanising words here are " + " or ".join(whys)
                    + ", not a threat; the classifier's score for "
                    + " and ".join(discounted) + " was held below review (below reject where the"
                    + " model was confident).",
            spans=tuple(Span(s, e, "threat") for s, e in spans),
        ))
    return CheckResult(reasons=tuple(reasons), discounted=tuple(discounted))
