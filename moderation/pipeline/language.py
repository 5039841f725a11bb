"""Which language and script a comment is written in, so nothing unread gets approved.

Two steps, both cheap:

1. **Script**, from the Unicode block of every letter: Kannada, Devanagari, Tamil,
   Telugu, Malayalam, Bengali, Gujarati, Gurmukhi, Odia, Arabic (Urdu), Latin, ...
   A script other than Latin names its language directly (Kannada script is
   Kannada or Konkani as Mangaluru writes it; Devanagari is Hindi, Marathi or
   Konkani: reported as ``hi`` with the script, since the policy treats them alike).
2. **Within Latin script**, English vs romanised Kannada vs romanised Hindi
   ("Hinglish"):
   - romanised Kannada by a character n-gram model trained on the Kannada corpus
     (``moderation/training/language_id.py``; passed in as ``latin_model``);
   - romanised Hindi by a hand-written lexicon of Hindi function words and common
     words that are not English words (no Hinglish corpus has a clear licence).

Codes: ``en``, ``kn``, ``hi``, ``ta``, ``te``, ``ml``, ``bn``, ``gu``, ``pa``, ``or``,
``ur``, ... with a script tag for romanised text: ``kn-Latn``, ``hi-Latn``; ``und``
when a comment has no letters to judge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: (first code point, last code point, script) for the scripts readers here use.
_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, "Latn"), (0x1E00, 0x1EFF, "Latn"),
    (0x0370, 0x03FF, "Grek"), (0x0400, 0x04FF, "Cyrl"),
    (0x0590, 0x05FF, "Hebr"),
    (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0xFB50, 0xFDFF, "Arab"), (0xFE70, 0xFEFF, "Arab"),
    (0x0900, 0x097F, "Deva"), (0xA8E0, 0xA8FF, "Deva"),
    (0x0980, 0x09FF, "Beng"), (0x0A00, 0x0A7F, "Guru"), (0x0A80, 0x0AFF, "Gujr"),
    (0x0B00, 0x0B7F, "Orya"), (0x0B80, 0x0BFF, "Taml"), (0x0C00, 0x0C7F, "Telu"),
    (0x0C80, 0x0CFF, "Knda"), (0x0D00, 0x0D7F, "Mlym"), (0x0D80, 0x0DFF, "Sinh"),
    (0x0E00, 0x0E7F, "Thai"), (0x3040, 0x30FF, "Jpan"), (0x4E00, 0x9FFF, "Hani"),
    (0xAC00, 0xD7AF, "Hang"),
)
#: The language a non-Latin script names.
SCRIPT_LANGUAGE = {
    "Knda": "kn", "Deva": "hi", "Taml": "ta", "Telu": "te", "Mlym": "ml", "Beng": "bn",
    "Gujr": "gu", "Guru": "pa", "Orya": "or", "Arab": "ur", "Sinh": "si", "Cyrl": "ru",
    "Grek": "el", "Hebr": "he", "Thai": "th", "Jpan": "ja", "Hani": "zh", "Hang": "ko",
}
#: Plain names for reasons and the README.
LANGUAGE_NAMES = {
    "en": "English", "kn": "Kannada or Konkani (Kannada script)", "kn-Latn": "romanised Kannada",
    "hi": "Hindi, Marathi or Konkani (Devanagari)", "hi-Latn": "romanised Hindi (Hinglish)",
    "ta": "Tamil", "te": "Telugu", "ml": "Malayalam", "bn": "Bengali", "gu": "Gujarati",
    "pa": "Punjabi (Gurmukhi)", "or": "Odia", "ur": "Urdu or Arabic", "si": "Sinhala",
    "ru": "a Cyrillic-script language", "el": "Greek", "he": "Hebrew", "th": "Thai",
    "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "und": "no recognisable language",
    "other": "an unrecognised script",
}

#: Romanised Hindi words that are not also common English words. Hand-written (no
#: Hinglish corpus has a clear licence); each is frequent in Hinglish and rare in English.
HINGLISH_WORDS = frozenset("""
hai hain nahi nahin nhi kya kyu kyun kyon kaise kaisa kaisi kab kahan kaha kidhar aur bhi
mein mai hum tum aap tera teri tere mera meri mere hamara hamari tumhara tumhari apna
apni apne uska uski uske iska iski iske unka unki unke yeh ye woh wo vo yahan wahan
kuch kuchh sab bahut bohot bahot accha acha achha theek thik bilkul sirf abhi kabhi phir fir
lekin magar pe ko ki ka ke se tak liye wala wali wale raha rahi rahe tha thi
hota hoti hote hoga hogi honge karo karna karke kar kiya kiye kiyi diya diye liya lena dena
jao jaana jaa aaja aana aaya aayi gaya gayi gaye chal chalo dekho dekh suno bolo bol bata
batao samajh samjha pata maloom chahiye sakta sakti sakte wahi yahi aisa aisi aise waisa
kitna kitni kitne bhai bhaiya behen yaar dost logon ladka ladki baat baatein saala sala
saale kutta kutte kamina kamine harami haramkhor chutiya chutiye madarchod behenchod bhenchod
bhosdike gandu randi jhaant tatti ullu gadha pagal bewakoof bakwas aukat aukaat izzat sharam
desh sarkar neta janta paisa paise kaam ghar dil jaan maar marna maarunga marunga mar dunga
dunga denge dega degi lenge jayega jayegi jab agar toh tho haan ji jee
""".split())
_TOKEN = re.compile(r"[^\W\d_]+")

#: The Latin-script model's output: for each text, the probability it is romanised Kannada.
LatinModel = Callable[[Sequence[str]], Sequence[float]]


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The comment's main language, its script, and the share of its letters in that script.

    ``others`` lists further languages with a real share of the text (a Kannada-script
    comment with English words; Hinglish inside English).
    """

    language: str
    script: str
    share: float
    others: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)

    def all_languages(self) -> tuple[str, ...]:
        return (self.language, *self.others)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.language, "script": self.script, "share": round(self.share, 3),
                "others": list(self.others)}


def script_of(char: str) -> str | None:
    """The script of one letter (None for digits, punctuation, emoji, marks of no script)."""
    point = ord(char)
    if point < 0x41:
        return None
    for first, last, script in _BLOCKS:
        if first <= point <= last:
            return script if char.isalpha() or script not in ("Latn",) else None
    return "other" if char.isalpha() else None


def script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for char in text:
        script = script_of(char)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    return counts


def hinglish_share(text: str) -> tuple[int, int]:
    """(Hinglish lexicon words, all words) among the text's Latin words."""
    words = [w.casefold() for w in _TOKEN.findall(text) if w.isascii()]
    return sum(1 for w in words if w in HINGLISH_WORDS), len(words)


#: A script (or romanised language) counts as present when it has this share of the letters.
MIXED_SHARE = 0.2
#: Romanised Kannada when the Latin model gives at least this probability (held out, with the
#: English-vocabulary gate: Kannada dev recall 0.87, the misses being comments written almost only
#: in English words; English SBIC posts 0.05% and Davidson tweets 0.7% mistaken for Kannada).
KANNADA_LATIN_THRESHOLD = 0.8


def _latin_language(text: str, kannada_probability: float | None) -> str:
    hinglish, words = hinglish_share(text)
    # two lexicon words, or one in a very short comment, and at least a fifth of the words
    if words and hinglish >= min(2, words) and hinglish / words >= MIXED_SHARE:
        return "hi-Latn"
    if kannada_probability is not None and kannada_probability >= KANNADA_LATIN_THRESHOLD:
        return "kn-Latn"
    return "en"


def latin_part(text: str) -> str:
    """The text's Latin-script words, for judging which language they are in."""
    return " ".join(word for word in _TOKEN.findall(text) if script_of(word[0]) == "Latn")


def identify(texts: Sequence[str], latin_model: LatinModel | None = None) -> list[LanguageGuess]:
    """Guess each text's language; the Latin model runs once, on the Latin words only."""
    counts = [script_counts(text) for text in texts]
    latin_index = [i for i, c in enumerate(counts) if c.get("Latn", 0) > 0]
    probabilities: dict[int, float] = {}
    if latin_model is not None and latin_index:
        scored = latin_model([latin_part(texts[i]) if len(counts[i]) > 1 else texts[i]
                              for i in latin_index])
        probabilities = {i: float(p) for i, p in zip(latin_index, scored, strict=True)}
    return [_guess(text, count, probabilities.get(i)) for i, (text, count) in
            enumerate(zip(texts, counts, strict=True))]


def _guess(text: str, counts: dict[str, int], kannada_probability: float | None) -> LanguageGuess:
    total = sum(counts.values())
    if total == 0:
        return LanguageGuess("und", "Zyyy", 0.0)
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    languages: list[tuple[str, str, float]] = []
    for script, count in ranked:
        share = count / total
        if script == "Latn":
            language = _latin_language(latin_part(text) if len(counts) > 1 else text,
                                       kannada_probability)
        else:
            language = SCRIPT_LANGUAGE.get(script, "other")
        languages.append((language, script, share))
    main_language, main_script, main_share = languages[0]
    others = tuple(dict.fromkeys(lang for lang, _s, share in languages[1:]
                                 if share >= MIXED_SHARE and lang != main_language))
    return LanguageGuess(main_language, main_script, main_share, others)
