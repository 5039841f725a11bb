"""A realistic, reproducible mix of reader comments built from templates.

No corpora: every comment is assembled from the fragments below with a seeded RNG,
so two runs with the same seed send byte-identical bodies. The mix covers
lengths from a few words to ~2,000 characters, English, Hindi (Devanagari),
Hinglish, Kannada, Tamil and Bengali, and a share of abusive, obscene,
PII-bearing and spammy comments.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass

#: Stay under the service's default 2,000-character limit (NFC code points).
MAX_CHARS = 1990

CLEAN: dict[str, list[str]] = {
    "en": [
        "The figures on rural spending deserve far more attention than they get.",
        "I read the whole report and the article summarises it fairly.",
        "Why does the council never publish the minutes on time?",
        "Good piece, though the interview with the minister felt rushed.",
        "Our street has had no water for three days and nobody answers the helpline.",
        "This is the best explanation of the new tax slabs I have seen so far.",
        "Please follow up on the hospital story from last month.",
        "The match was a disappointment but the young bowler looked promising.",
        "Interesting that the opposition has said nothing about the metro delay.",
        "Thanks for covering the farmers' protest without the usual hysteria.",
    ],
    "hi": [
        "यह लेख बहुत अच्छा है, धन्यवाद।",
        "सरकार को ग्रामीण सड़कों पर ध्यान देना चाहिए।",
        "मेरे मोहल्ले में तीन दिन से पानी नहीं आया है।",
        "इस रिपोर्ट में आंकड़े साफ़ नहीं हैं, कृपया स्पष्ट करें।",
        "मैच देखकर बहुत निराशा हुई, पर युवा गेंदबाज़ अच्छा था।",
        "अस्पताल की खबर पर आगे की जानकारी दीजिए।",
    ],
    "hinglish": [
        "Bahut accha article hai, keep it up.",
        "Yeh budget middle class ke liye kuch nahi karta yaar.",
        "Metro ka kaam kab khatam hoga, teen saal se sun rahe hain.",
        "Sahi baat boli aapne, government ko sunna chahiye.",
        "Match dekh ke dil toot gaya but next time pakka jeetenge.",
        "Humare area mein bijli roz jaati hai, koi dhyan nahi deta.",
    ],
    "kn": [
        "ಈ ಲೇಖನ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ, ಧನ್ಯವಾದಗಳು.",
        "ನಮ್ಮ ಊರಿನ ರಸ್ತೆಗಳು ತುಂಬಾ ಹದಗೆಟ್ಟಿವೆ.",
        "ಸರ್ಕಾರ ರೈತರ ಸಮಸ್ಯೆಗಳನ್ನು ಕೇಳಬೇಕು.",
        "ಬೆಂಗಳೂರಿನ ಟ್ರಾಫಿಕ್ ಬಗ್ಗೆ ಇನ್ನಷ್ಟು ವರದಿ ಮಾಡಿ.",
    ],
    "ta": [
        "இந்த கட்டுரை மிகவும் நன்றாக உள்ளது, நன்றி.",
        "எங்கள் பகுதியில் மூன்று நாட்களாக தண்ணீர் வரவில்லை.",
        "அரசு விவசாயிகளின் குரலைக் கேட்க வேண்டும்.",
        "சென்னை மெட்ரோ பணிகள் எப்போது முடியும்?",
    ],
    "bn": [
        "লেখাটা খুব ভালো হয়েছে, ধন্যবাদ।",
        "আমাদের পাড়ায় তিন দিন ধরে জল নেই।",
        "সরকারের উচিত কৃষকদের কথা শোনা।",
    ],
}

ABUSIVE: dict[str, list[str]] = {
    "en": [
        "You are a complete idiot and so is everyone who agrees with you.",
        "Shut up, you pathetic moron, nobody cares about your opinion.",
        "The writer is a brainless clown who should be fired.",
        "People like you are trash and should get lost.",
        "I will find you and make you regret writing this.",
    ],
    "hi": [
        "तुम एकदम बेवकूफ़ हो, चुप रहो।",
        "यह लेखक पागल और नालायक है।",
        "तेरे जैसे कमीने लोग देश को बर्बाद कर रहे हैं।",
    ],
    "hinglish": [
        "Tu pagal hai kya, bewakoof insaan.",
        "Abe gadhe, kuch bhi likhta hai, nalayak.",
        "Teri aukaat nahi hai yeh bolne ki, ullu ke pathe.",
    ],
    "kn": ["ನೀನು ಒಬ್ಬ ಮೂರ್ಖ, ಬಾಯಿ ಮುಚ್ಚು."],
    "ta": ["நீ ஒரு முட்டாள், வாயை மூடு."],
}

OBSCENE: dict[str, list[str]] = {
    "en": [
        "What a load of bullshit, f*** this f***ing government.",
        "This article is crap and the author is a piece of shit.",
        "Go to hell you bastard, damn this rag.",
    ],
    "hinglish": [
        "Chutiya article hai, bakwaas band kar.",
        "Saala harami, bhosdi ke kuch bhi bolta hai.",
    ],
    "hi": ["साला हरामी, बकवास बंद कर।"],
}

PII: list[str] = [
    "Call me on 98{d8} for the full story.",
    "My number is +91 9{d9}, WhatsApp me anytime.",
    "Email me at reader{d3}@example.com and I will send you the documents.",
    "My Aadhaar is {d4} {d4} {d4} and they still refused the ration card.",
    "Contact the landlord at 080-{d8}, he lives at 14 MG Road, Bengaluru 5600{d2}.",
    "Mera number 9{d9} hai, call karo.",
    "PAN ABCDE{d4}F, account 0{d11}, still no refund.",
]

SPAM: list[str] = [
    "Earn 50,000 per week from home!!! Visit http://quick-cash{d3}.example.biz now",
    "BUY CHEAP FOLLOWERS >>> www.follow{d3}.example.com <<< best price guaranteed",
    "Click here http://bit.example/{d6} for free recharge, limited offer!!!",
    "Best loan app, instant approval, call 9{d9} now now now",
    "WIN WIN WIN a free iPhone, visit https://prize{d3}.example.net today!!!",
    "Crypto doubling scheme, send 1 BTC get 2 back, t.me/doubler{d4}",
]

TITLES: list[str] = [
    "On the budget", "Well said", "Disagree", "Question", "Water problem", "Re: metro",
    "बढ़िया लेख", "Sahi hai", "ಧನ್ಯವಾದ", "நன்றி", "Shameful", "Follow up please",
]

NAMES: list[str] = ["Asha Rao", "Rahul Verma", "Priya N", "Karthik S", "Meena Iyer",
                    "Imran Khan", "Sunita Devi", "Arjun M", "Lakshmi P", "Rohan D"]

#: (kind, share). Clean comments dominate, as on a real news site.
KINDS: tuple[tuple[str, float], ...] = (
    ("clean", 0.62), ("abusive", 0.12), ("obscene", 0.07), ("pii", 0.10), ("spam", 0.09),
)
LANG_WEIGHTS: dict[str, float] = {"en": 0.4, "hi": 0.2, "hinglish": 0.2, "kn": 0.08,
                                  "ta": 0.08, "bn": 0.04}


@dataclass(frozen=True)
class Mix:
    bodies: list[bytes]
    kinds: Counter[str]
    langs: Counter[str]
    chars_p50: int
    chars_max: int


def _digits(rng: random.Random, text: str) -> str:
    for n in (11, 9, 8, 6, 4, 3, 2):
        token = f"{{d{n}}}"
        while token in text:
            text = text.replace(token, "".join(rng.choice("0123456789") for _ in range(n)), 1)
    return text


def _target_length(rng: random.Random) -> int:
    """Mostly short comments, a long tail up to the limit."""
    roll = rng.random()
    if roll < 0.45:
        return rng.randint(15, 120)
    if roll < 0.80:
        return rng.randint(120, 500)
    if roll < 0.95:
        return rng.randint(500, 1200)
    return rng.randint(1200, MAX_CHARS)


def _pick_lang(rng: random.Random, pool: dict[str, list[str]]) -> str:
    langs = [lang for lang in LANG_WEIGHTS if lang in pool]
    return rng.choices(langs, weights=[LANG_WEIGHTS[lang] for lang in langs])[0]


def make_comment(rng: random.Random) -> tuple[str, str, str]:
    """One comment text with its kind and main language."""
    kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    lang = _pick_lang(rng, CLEAN)
    target = _target_length(rng)
    parts: list[str] = []
    if kind == "abusive":
        lang = _pick_lang(rng, ABUSIVE)
        parts.append(rng.choice(ABUSIVE[lang]))
    elif kind == "obscene":
        lang = _pick_lang(rng, OBSCENE)
        parts.append(rng.choice(OBSCENE[lang]))
    elif kind == "pii":
        parts.append(_digits(rng, rng.choice(PII)))
    elif kind == "spam":
        lang = "en"
        parts.append(_digits(rng, rng.choice(SPAM)))
    # Pad with ordinary sentences (mostly in the same language) up to the target length,
    # placing the flagged sentence at a random position.
    length = sum(len(p) + 1 for p in parts)
    while length < target:
        pad_lang = lang if lang in CLEAN and rng.random() < 0.85 else rng.choice(list(CLEAN))
        sentence = rng.choice(CLEAN[pad_lang])
        if length + len(sentence) + 1 > MAX_CHARS:
            break
        parts.insert(rng.randint(0, len(parts)), sentence)
        length += len(sentence) + 1
    text = " ".join(parts)[:MAX_CHARS]
    return text, kind, lang


def build_mix(count: int, seed: int = 6, article_prefix: str = "bench") -> Mix:
    """Pre-encode ``count`` JSON request bodies for ``POST /v1/comments``."""
    rng = random.Random(seed)
    bodies: list[bytes] = []
    kinds: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    lengths: list[int] = []
    for i in range(count):
        text, kind, lang = make_comment(rng)
        kinds[kind] += 1
        langs[lang] += 1
        lengths.append(len(text))
        name = rng.choice(NAMES)
        body = {
            "article_id": f"{article_prefix}-{i % 97}",
            "title": rng.choice(TITLES),
            "comment": text,
            "author": {"name": name,
                       "email": f"{name.split()[0].lower()}.{rng.randint(1, 5000)}@example.com"},
            "sender": {"ip": f"203.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                       "user_agent": "Mozilla/5.0 (load benchmark)"},
        }
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    lengths.sort()
    return Mix(bodies, kinds, langs, lengths[len(lengths) // 2] if lengths else 0,
               lengths[-1] if lengths else 0)
