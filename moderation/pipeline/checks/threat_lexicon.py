"""Lexicons and patterns for :mod:`moderation.pipeline.checks.threats`.

Hand-written for this project (English, romanised Hindi, Devanagari Hindi, Kannada
script, romanised Kannada); every pattern is case-insensitive and compiled in NFC.
Devanagari and Kannada patterns use no ``\\b``: Python does not count vowel signs as
word characters, so a boundary would fall inside words.
"""

from __future__ import annotations

import re
import unicodedata


def _alt(*parts: str) -> str:
    return "(?:" + "|".join(parts) + ")"


def _compile(pattern: str) -> re.Pattern[str]:
    # NFC, like the text the check reads (Indic letters have composed and decomposed forms)
    return re.compile(unicodedata.normalize("NFC", pattern), re.IGNORECASE)


# --- English verbs ------------------------------------------------------------------
BODY = r"(?:legs?|bones|neck|head|skull|teeth|face|jaw|arms?|knees?|hands?|ribs|spine|throat)"
#: Violent verbs, base form (after "will", "to", "should", or as an imperative).
V_BASE = _alt(
    r"kill", r"murder", r"shoot", r"stab", r"hang", r"lynch", r"behead", r"butcher",
    r"slaughter", r"strangle", r"choke", r"execute", r"burn(?:\s+down)?", r"torch",
    r"beat(?:\s+up)?", r"thrash", r"slit", r"rape", r"bomb", r"hurt", r"attack", r"bury",
    r"drown", r"gun\s+down", r"skin", r"end(?=\s+(?:you|u|him|her|them)\b)",
    r"finish\s+off", r"eliminate", r"exterminate",
    r"put\s+a\s+bullet\s+(?:in|into|through)", r"put\s+bullets\s+(?:in|into|through)",
    rf"break\s+(?:your|ur|his|her|their)\s+{BODY}", rf"smash\s+(?:your|ur|his|her|their)\s+{BODY}",
    r"slap", r"punch", r"whip", r"flog", r"acid\s+attack",
)
#: Violent verbs, past participle (after "be").
V_PP = _alt(
    r"killed", r"murdered", r"shot(?:\s+dead)?", r"stabbed", r"hanged", r"hung", r"lynched",
    r"beheaded", r"butchered", r"slaughtered", r"strangled", r"executed",
    r"burn(?:ed|t)(?:\s+alive)?", r"torched", r"beaten(?:\s+up|\s+to\s+death)?", r"thrashed",
    r"raped", r"bombed", r"attacked", r"buried(?:\s+alive)?", r"drowned", r"gunned\s+down",
    r"skinned(?:\s+alive)?", r"eliminated", r"exterminated", r"wiped\s+out", r"eradicated",
    r"gassed", r"flogged", r"whipped", r"slapped", r"stoned(?:\s+to\s+death)?", r"finished\s+off",
)
#: Violent verbs, third person singular or "get killed" (after "I hope someone ...").
V_3S = _alt(
    r"kills", r"murders", r"shoots", r"stabs", r"hangs", r"lynches", r"burns(?:\s+down)?",
    r"beats(?:\s+up)?", r"rapes", r"bombs", r"attacks", r"dies", r"die",
    rf"gets?\s+{V_PP}", rf"is\s+{V_PP}",
)

# --- Targets ------------------------------------------------------------------------
#: Protected groups (religion, caste, region and origin, gender, sexuality, migrants).
GROUP_EN = _alt(
    r"hindus?", r"muslims?", r"moslems?", r"musl[ie]ms", r"musalmans?", r"christians?",
    r"sikhs?", r"jews?", r"jains?", r"buddhists?", r"parsis?", r"dalits?", r"brahmins?",
    r"adivasis?", r"tribals", r"lower\s+castes?", r"upper\s+castes?", r"biharis?",
    r"tamilians?", r"tamils?", r"kashmiris?", r"bengalis?", r"marathis?", r"gujaratis?",
    r"punjabis?", r"kannadigas?", r"malayalis?", r"telugus?", r"north\s?indians?",
    r"south\s?indians?", r"north[\s-]?easterners?", r"rohingyas?", r"pakistanis?",
    r"bangladeshis?", r"africans?", r"immigrants?", r"migrants?", r"refugees?", r"women",
    r"girls", r"females", r"gays?", r"lesbians?", r"homosexuals?",
    r"trans(?:gender)?\s+(?:people|women|men)", r"transgenders?", r"queers?", r"hijras?",
    r"(?:these|those)\s+people",
)
PERSON_EN = _alt(
    r"journalists?", r"reporters?", r"editors?", r"anchors?", r"columnists?", r"writers?",
    r"authors?", r"presstitutes?", r"media\s?(?:men|persons?|wallahs?)", r"mlas?", r"mps?",
    r"mlcs?", r"ministers?", r"cm", r"pm", r"judges?", r"justices?", r"magistrates?",
    r"collectors?", r"police(?:men|man)?", r"cops?", r"officers?", r"constables?",
    r"protest[eo]rs?", r"activists?", r"traitors?", r"gaddars?", r"politicians?",
    r"leaders?", r"netas?", r"men", r"man", r"woman", r"guys?", r"people", r"persons?",
    r"folks?", r"family", r"families", r"kids?", r"children", r"child", r"wife", r"husband",
    r"son", r"daughter", r"mother", r"father", r"brother", r"sister", r"staff",
    r"councillors?", r"corporators?", r"mayors?", r"sarpanch", r"priests?", r"imams?",
    r"pastors?", r"students?", r"teachers?", r"voters?", r"supporters?", r"bhakts?",
    r"liberals?", r"leftists?", r"sanghis?", r"anti[\s-]?nationals?", r"bastards?",
    r"idiots?", r"morons?", r"scum", r"mob", r"villagers?", r"farmers?", r"officials?",
    r"lawyers?", r"doctors?", r"terrorists?", r"rapists?", r"murderers?", r"criminals?",
    r"killers?", r"accused", r"convicts?", r"culprits?",
)
#: What a threat names by its owner ("your house", "his legs").
_POSSESSED = _alt(r"houses?", r"homes?", r"cars?", r"office", r"shop", r"body", r"face", r"heads?",
                  r"skull", r"throat", r"neck", r"legs?", r"arms?", r"ass(?:es)?", r"bones")
_FILLER = r"(?!(?:of|in|to|for|with|and|or|on|at|by|from|as|is|are|was|were)\b)"
_DET = (r"(?:(?:this|that|these|those|the|every|each|all|all\s+the|all\s+these|all\s+those|any|"
        r"our|my|a|an|every\s+last|such)\s+)")
#: A person or group as the object or subject of a violent verb.
TARGET = _compile(
    r"(?:"
    r"\b(?:you|u|ya|yourself|y'all|you\s+all|all\s+of\s+you|him|her|them|everyone|everybody"
    r"|anyone|anybody|someone|somebody"
    r"|every\s+last\s+one\s+of\s+them|all\s+of\s+them)\b"
    r"|\b(?:your|ur|his|her|their)\s+(?:own\s+|whole\s+|entire\s+)?"
    rf"(?:{_POSSESSED}|{PERSON_EN})\b"
    rf"|\b{_DET}?(?:{_FILLER}[\w-]+\s+){{0,2}}?(?:{PERSON_EN}|{GROUP_EN})\b"
    r"|(?-i:\b[A-Z][a-z]{2,}\b)"
    r")"
)
#: A person or group named near a violent word the guards call non-literal: when one is,
#: the rules don't vouch for the comment ("the budget will kill you" is not discounted).
NAMED_PERSON = _compile(
    r"\b(?:you|u|ya|yourself|y'all|him|her|them|everyone|everybody|anyone|anybody|someone|"
    rf"somebody)\b|\b(?:{PERSON_EN}|{GROUP_EN})\b"
)
#: Subject pronouns that can be the target of a passive ("he should be shot").
SUBJECT_PRONOUN = _compile(r"\b(?:you|u|he|she|they|him|her|them|y'all)\b")
#: Words TARGET's name alternative must not take as a person.
NOT_A_TARGET = _compile(
    r"(?:the|this|that|these|those|it|its|me|myself|us|ourselves|i|we|let|lets|just|so|"
    r"then|now|today|tomorrow|please|and|but|or|if|when|what|who|why|how|here|there|"
    r"some|nobody|no|not|never|one|all|every|each|india|"
    r"pakistan|china|bjp|congress|aap|god|allah|ram|also|even|only|very|really|sir|madam|"
    r"yes|yeah|ok|okay|well|oh|lol|hope|wish|shoot|kill|hang|burn|lynch|beat)"
)
#: Judicial punishment of the convicted is an opinion, not incitement ("rapists should be hanged").
CRIMINAL = _compile(
    r"\b(?:terrorists?|rapists?|murderers?|killers?|criminals?|accused|convicts?|culprits?|"
    r"guilty|kasab|afzal|perpetrators?|paedophiles?|pedophiles?)\b"
)
JUDICIAL = _compile(r"\b(?:hang(?:ed)?|hung|execut\w*|death\s+penalty|capital\s+punishment|sentenced)\b")

# --- Guards -------------------------------------------------------------------------
NEGATION = _compile(
    r"\b(?:not|never|no\s+(?!,)\w+|nobody|noone|none|nothing|nowhere|neither|nor|"
    r"nahi|nahin|nhi|nai|mat|na)\b|n't\b|n’t\b|नहीं|मत\s|ना\s"
)
COUNTER_SPEECH = _compile(
    r"\b(?:saying|says\s+that|stop\s+(?:saying|calling|writing)|is\s+(?:hate\s+speech|"
    r"disgusting|shameful|wrong|false|incitement|unacceptable|vile|sickening|a\s+crime|"
    r"criminal|simply\s+false)|are\s+(?:disgusting|shameful|unacceptable)|shameful|ashamed|"
    r"condemn\w*|(?:was|were|has\s+been|have\s+been|got)\s+(?:arrested|suspended|booked|"
    r"charged|jailed|fined)|no\s+place|hate\s+speech|kehna\s+galat|galat\s+hai|band\s+karo|"
    r"sharm\s+(?:karo|aani|aati)|jaisi\s+baat\w*)\b"
)
CONDITION = _compile(
    r"\b(?:if|unless|or\s+else|else|one\s+more|again\s+and|otherwise|agar|warna|varna|"
    r"nahi\s+to|vrna|illandre|illa\s+andre|[a-z]{2,}(?:idre|idare|dare|dre))\b|अगर|वरना"
    r"|ಇಲ್ಲಾಂದ್ರೆ|ಇಲ್ಲದಿದ್ದರೆ|[\u0C80-\u0CFF]+(?:ದರೆ|ದ್ರೆ)(?![\u0C80-\u0CFF])"
)
#: Things a violent verb is used on figuratively ("kill the bill", "shoot the video").
FIG_OBJECT_NOUNS = _alt(
    r"it", r"bills?", r"laws?", r"plans?", r"projects?", r"proposals?", r"ideas?", r"jobs",
    r"growth", r"economy", r"industry", r"business(?:es)?", r"startups?", r"innovation",
    r"competition", r"demand", r"sales", r"mood", r"vibe", r"time", r"video", r"videos",
    r"film", r"movie", r"scene", r"scenes", r"ceremony", r"wedding", r"photos?", r"pictures?",
    r"shots?", r"episode", r"ad", r"commercial", r"song", r"performance", r"show", r"exams?",
    r"tests?", r"interview", r"match", r"game", r"innings", r"speech", r"debate", r"plate",
    r"biryani", r"pizza", r"burger", r"beer", r"drink", r"coffee", r"chai", r"tea",
    r"lights?", r"engine", r"process", r"story", r"stories", r"rumou?rs?", r"deal",
    r"middle\s+class", r"poor", r"farmers?\s+income", r"savings", r"budget", r"party",
    r"momentum", r"messenger", r"questions?", r"pain", r"hunger", r"germs", r"bacteria",
    r"mosquito(?:e?s)?", r"weeds?", r"bugs?", r"virus", r"grass", r"fire", r"calories",
    r"record", r"stage", r"rally\s+video",
)
FIGURATIVE_OBJECT = _compile(
    rf"(?:(?:the|this|that|these|those|a|an|my|our|your|his|her|their|its|some|any|all|new)\s+)?"
    rf"(?:[\w-]+\s+)?{FIG_OBJECT_NOUNS}\b"
)
FIG_SUBJECT_NOUNS = _alt(
    r"budget", r"tax(?:es)?", r"gst", r"polic(?:y|ies)", r"inflation", r"prices?", r"rates?",
    r"heat", r"humidity", r"cold", r"rain", r"traffic", r"exams?", r"tests?", r"pollution",
    r"unemployment", r"rules?", r"laws?", r"bill", r"decision", r"move", r"reforms?",
    r"schemes?", r"potholes?", r"workload", r"deadlines?", r"work", r"job", r"commute",
    r"suspense", r"waiting", r"smoking", r"drinking", r"sugar", r"stress", r"boredom",
    r"debate", r"loneliness", r"mehangai", r"garmi", r"sardi", r"daam", r"kimat", r"keemat",
    r"petrol", r"diesel", r"fees?", r"emis?", r"loans?", r"interest", r"recession",
    r"lockdown", r"government\s+policy", r"cuts?", r"hike", r"demonetisation",
    r"demonetization", r"privatisation", r"privatization", r"online\s+shopping", r"amazon",
)
_VIOLENT_ANY = _alt(
    r"kill\w*", r"murder\w*", r"strangl\w*", r"shoot\w*", r"shot", r"butcher\w*",
    r"slaughter\w*", r"destroy\w*", r"crush\w*", r"choke\w*", r"bury\w*", r"burie[sd]",
    r"(?:be\s+)?the\s+death\s+of", r"maar\w*", r"mar\s+d\w+",
)
#: Figurative uses of violent words (subject or object that no one can be threatened by).
FIGURATIVE = _compile(_alt(
    rf"\b(?:the\s+|this\s+|that\s+|these\s+|new\s+|our\s+|my\s+|his\s+|high\s+|rising\s+){{0,3}}"
    rf"{FIG_SUBJECT_NOUNS}\b[^.!?;,]{{0,40}}?\b{_VIOLENT_ANY}",
    rf"\b{_VIOLENT_ANY}\s+(?:up\s+|off\s+|down\s+)?{FIGURATIVE_OBJECT.pattern}",
    r"\b(?:kill\w*|shoot|shot|murder\w*)\s+(?:me|myself|us)\b",
    r"\b(?:killing|kills|killed)\s+(?:me|us|it)\b",
    r"\bdeath\s+of\s+(?:me|us)\b", r"\bdressed\s+to\s+kill\b", r"\bkill(?:ing)?\s+time\b",
    r"\bto\s+die\s+for\b", r"\bdying\s+(?:to|of\s+(?:laughter|boredom|curiosity))\b",
    r"\b(?:bored|scared|worried|tickled)\s+to\s+death\b", r"\bkiller\s+\w+",
    r"\bshoot\s+the\s+breeze\b", r"\bcould\s+(?:kill|murder)\s+(?:a|an|some|for)\b",
    r"\b(?:killed|nailed|smashed)\s+it\b", r"\blady\s?killer\b",
    r"\bne\s+(?:to\s+)?maar\s+(?:dala|daala|diya|dia)\b", r"\bhas(?:i|a|a\s+ke|i\s+se)\s+(?:se\s+)?maar",
    r"\bmaar\s+rah[ea]\s+h[aei]i?n?\b", r"\b(?:chhakk[ae]|sixer|chauk[ae]|baazi|bazi|seeti|"
    r"sutta|daav|dhakka|jhapatta|palti|dubki|mauj)\s+maar",
    r"ने\s+(?:तो\s+)?मार\s+(?:डाला|दिया)", r"मार\s+रह[ेी]\s+ह[ैं]",
))
#: News-style reports of past violence.
REPORTED = _compile(_alt(
    rf"\b(?:was|were|been|got|is\s+being|are\s+being|had\s+been|has\s+been|have\s+been)\s+"
    rf"(?:\w+\s+)?{V_PP}",
    r"\b(?:mob|mobs|police|gunmen|attackers|militants|terrorists|assailants|soldiers|army|"
    r"forces|goons|robbers|men|man|he|she|they|someone|somebody|unknown\s+persons?)\s+"
    r"(?:\w+\s+)?(?:shot|killed|lynched|murdered|stabbed|attacked|beat|hanged|burnt|burned|"
    r"raped|beheaded|bombed)\b",
    r"\bsentenced\s+\w+(?:\s+\w+)?\s+to\s+death\b", r"\bdeath\s+(?:penalty|sentence|toll|row)\b",
    r"\bshot\s+dead\b", r"\b(?:ki\s+)?hatya\b", r"\bmaar\s+diya\s+gaya\b", r"\bmaare\s+gaye\b",
    r"हत्या", r"मारे\s+गए",
))
#: Every violent word the rules know (what a guard must explain before the model's
#: threat score is discounted).
VIOLENT_WORD = _compile(_alt(
    r"\bkill(?:s|ed|ing|er|ers)?\b", r"\bmurder(?:s|ed|ing|er|ers)?\b", r"\bshoot(?:s|ing)?\b",
    r"\bshot\b", r"\bstab(?:s|bed|bing)?\b", r"\bhang(?:ed|ing)?\b", r"\blynch\w*",
    r"\bbehead\w*", r"\bslit\b", r"\bstrangl\w*", r"\bbutcher\w*", r"\bslaughter\w*",
    r"\bexecut\w*", r"\bburn(?:s|ed|t|ing)?\b", r"\brap(?:e|ed|es|ing)\b", r"\bbomb\w*",
    r"\bbullets?\b", r"\bmaar\w*", r"\bmar\s+d\w+", r"\bgoli\b", r"\bf?phaansi\b|\bfaansi\b",
    r"\bqatl\b", r"\bkatl\b", r"\bkhoon\b", r"मार", r"गोली", r"फांसी", r"फाँसी",
))

# --- Threat frames --------------------------------------------------------------------
_FIRST_PERSON_MODAL = _alt(
    r"(?:i|we)\s*(?:'ll|’ll|will|shall|would|'d|’d)(?:\s+(?:not|never))?",
    r"(?:i|we)\s+(?:won'?t|wouldn'?t|shan'?t|won’t)",
    r"(?:i\s*(?:'m|’m|am)|we\s*(?:'re|’re|are))\s+(?:not\s+)?(?:going\s+to|gonna|coming\s+to|"
    r"about\s+to|gonna\s+come\s+and|planning\s+to|ready\s+to)",
    r"(?:i|we)\s+(?:gonna|wanna|want\s+to|intend\s+to|plan\s+to|am\s+going\s+to)",
)
#: English direct threat: "I will kill you", "we are going to burn your house down".
DIRECT_EN = _compile(
    rf"\b{_FIRST_PERSON_MODAL}\s+(?:(?!(?:not|never|if|when|but|because)\b)[\w']+\s+){{0,5}}?"
    rf"(?P<verb>{V_BASE})\b"
)
_HI_FUTURE = _alt(r"dunga", r"dungi", r"doonga", r"denge", r"dalunga", r"daalunga", r"dalungi",
                  r"dalenge", r"daalenge", r"deta\s+hu", r"dunga\s+main")
#: Hinglish direct threat: first-person future of a violent verb.
DIRECT_HI = _compile(
    r"\b(?P<verb>(?:jaan\s+se\s+)?"
    r"(?:goli\s+maar|maar\s+daal|maar\s+dal|maar|mar|khoon\s+kar|qatl\s+kar|katl\s+kar|"
    r"qatal\s+kar|zinda\s+jala|zinda\s+gaad|jala|kaat|kat|khatam\s+kar|tod|phod|thok|"
    r"tukde\s+tukde\s+kar|tukde\s+kar)\s*" + _HI_FUTURE
    + r"|maar(?:u|oo)ng[ai]|maarenge|marunga|marenge|maroonga"
    r"|(?:jaan|zindagi)\s+le\s+(?:lunga|lungi|lenge|loonga))\b"
)
#: Devanagari direct threat.
DIRECT_DEVA = _compile(
    r"(?P<verb>(?:जान\s+से\s+)?(?:गोली\s+मार|मार\s+डाल|मार|ख़त्म\s+कर|खत्म\s+कर|ज़िंदा\s+जला|"
    r"जिंदा\s+जला|जला|काट)\s*(?:दूंगा|दूँगा|दूंगी|दूँगी|देंगे|दुंगा|डालूंगा|डालूँगा|डालेंगे|डालूंगी)"
    r"|मारूंगा|मारूँगा|मारेंगे|जान\s+ले\s+(?:लूंगा|लूँगा|लेंगे|लूंगी))"
)
#: English incitement by someone else: "someone should shoot ...".
SOMEONE_EN = _compile(
    r"\b(?:some\s?one|some\s?body|any\s?one|any\s?body|people|we|you\s+guys|they|y'all|"
    r"the\s+public|citizens|patriots)\s+(?:should|must|needs?\s+to|ought\s+to|has\s+to|"
    r"have\s+to|gotta|better|will\s+have\s+to)\s+(?:just\s+|really\s+|finally\s+|go\s+(?:and\s+)?|"
    rf"come\s+and\s+)?(?P<verb>{V_BASE})\b"
)
#: Imperative at the start of a clause: "Hang the editor", "Kill all the traitors".
IMPERATIVE_EN = _compile(
    rf"(?:^|(?<=[,:;\-–—])|(?<=\s[\"'“]))\s*(?:(?:just|go|now|let'?s|lets|please|pls|plz|"
    rf"then|so)\s+)?(?P<verb>{V_BASE})\b"
)
#: Passive incitement: "X should be shot", "X needs to be hanged".
PASSIVE_EN = _compile(
    r"\b(?:should|must|ought\s+to|needs?\s+to|has\s+to|have\s+to|are\s+to|is\s+to|better|"
    r"deserves?\s+to|will\s+have\s+to)\s+(?:all\s+|just\s+|simply\s+|publicly\s+|"
    r"immediately\s+|never\s+|not\s+|also\s+){0,3}be\s+(?:publicly\s+|all\s+|immediately\s+|"
    r"just\s+|simply\s+)?(?:(?:dragged|taken|lined\s+up|rounded\s+up|stripped)\s+(?:out\s+)?"
    rf"(?:and\s+)?)?(?P<verb>{V_PP})\b"
)
#: "I hope someone kills ...", "I hope he gets shot", "I wish you die".
HOPE_EN = _compile(
    rf"\b(?:hope|wish|pray)\b(?:\s+(?:that|to\s+god))?\s+(?:[\w']+\s+){{0,3}}?(?P<verb>{V_3S})\b"
)
#: "... deserves to die / a bullet / to be beaten".
DESERVE_EN = _compile(
    r"\bdeserves?\s+(?P<verb>to\s+die|death|a\s+(?:bullet|beating|slap|kick|thrashing|"
    r"good\s+beating|noose|rope)|bullets|to\s+be\s+(?:publicly\s+)?" + V_PP + r")"
)
#: Menace idioms: "you're dead", "you won't live to ...", "found in a ditch".
IDIOM_EN = _compile(
    r"(?P<verb>\b(?:you(?:'re|’re|\s+are|\s+r)|ur|u\s+r|youre)\s+(?:so\s+|already\s+|gonna\s+be\s+)?"
    r"(?:dead(?!\s+(?:to\s+me|wrong|right|tired|serious|on|set|end|last|against|broke|sure))"
    r"(?:\s+meat)?|next(?!\s+(?:in|to|week|month|year|time|on))|finished)"
    r"|\b(?:you|he|she|they)\s+(?:won'?t|will\s+not|wont)\s+live\s+to"
    r"|\b(?:you|he|she|they)(?:'ll|\s+will)\s+(?:be\s+)?(?:found|end\s+up)\s+in\s+a\s+"
    r"(?:ditch|drain|gutter|body\s?bag|coffin)"
    r"|\b(?:you|he|she|they)(?:'ll|\s+will)\s+be\s+in\s+(?:the\s+)?(?:hospital|icu|morgue|"
    r"graveyard|grave)"
    r"|\bsee\s+what\s+happens\s+to\s+you|\bwatch\s+your\s+back\b"
    r"|\bput\s+\w+(?:\s+\w+)?\s+six\s+feet\s+under|\bsix\s+feet\s+under\b"
    r"|\bzinda\s+nahi\s+(?:bachega|bachegi|bachoge|chhodenge|chodenge|chhodunga|chodunga)"
    r"|\bjaan\s+se\s+(?:jayega|jaega|jaoge|jayegi|haath\s+dho)"
    r"|ज़िंदा\s+नहीं\s+(?:बचेगा|छोड़ेंगे)|जिंदा\s+नहीं\s+(?:बचेगा|छोड़ेंगे)"
    r"|\btaught\s+a\s+lesson\s+with\s+(?:a\s+)?(?:lathi|stick|rod|knife|gun|sword|danda|chappal)"
    r"|\b(?:lathi|danda|talwar|trishul)\s+(?:se|say)\s+(?:maar|peet|pit))"
)
_HI_TARGET = (
    r"(?P<target>\b(?:isko|usko|inko|unko|ise|use|inhe|unhe|inhein|unhein|sabko|unhe|"
    r"(?:is|us|in|un|aise|aisi|aese|aisa|sab|saare|sare|ye|yeh|woh|wo|iss|uss|inn)\s+"
    r"(?:[a-z]+\s+){0,2}?(?:ko|logon\s+ko|logo\s+ko)"
    # a plural noun in the oblique case: "gaddaron ko", "saalon ko", "patrakaron ko"
    r"|[a-z]{2,}(?:on|yon)\s+ko)\b)"
)
#: Hinglish incitement: "isko goli maar do", "is neta ko faansi pe latka do".
IMPERATIVE_HI = _compile(
    _HI_TARGET + r"\s+(?:[a-z]+\s+){0,3}?(?P<verb>"
    r"(?:goli\s+maar|maar\s+daal|maar\s+dal|maar|mar|fa+nsi\s+(?:pe|par)\s+(?:latka|chadha)|"
    r"pha+nsi\s+(?:pe|par)\s+(?:latka|chadha)|fa+nsi|pha+nsi|zinda\s+jala|jala|kaat|"
    r"khatam\s+kar|thok|peet|pit|tukde\s+kar)\s*"
    r"(?:do|dena\s+chahiye|dena\s+chaiye|dena|diya\s+jaye|dia\s+jaye|dalo|daalo|chahiye)"
    r"|maaro|peeto|thoko)\b"
)
#: Devanagari incitement: "इसे गोली मार दो", "इन गद्दारों को फांसी पर लटका दो".
IMPERATIVE_DEVA = _compile(
    r"(?P<target>(?:इसे|उसे|इन्हें|उन्हें|इसको|उसको|इनको|उनको|(?:इस|उस|इन|उन|ऐसे|सब)\s+\S+\s+को"
    r"|\S+ों\s+को))"
    r"\s+(?:\S+\s+){0,2}?(?P<verb>(?:गोली\s+मार|मार\s+डाल|मार|फांसी\s+(?:पर|पे)\s+लटका|"
    r"फाँसी\s+(?:पर|पे)\s+लटका|फांसी|फाँसी|जला|काट)\s*(?:दो|डालो|देना\s+चाहिए)|गोली\s+मारो|मारो)"
)
#: Hinglish "deserves violence": "maar khane layak".
DESERVE_HI = _compile(
    r"\b(?P<verb>(?:maar|maarne|marne|peetne|pitne|fa+nsi|pha+nsi|goli)\s+(?:khane\s+|dene\s+|"
    r"ke\s+){0,3}(?:ke\s+)?la+yak)\b"
)

# --- Group frames -----------------------------------------------------------------------
DEHUMAN_NOUNS = _alt(
    r"animals?", r"beasts?", r"vermin", r"rats?", r"cockroaches", r"roaches", r"parasites?",
    r"pigs?", r"swine", r"dogs?", r"monkeys?", r"apes?", r"insects?", r"termites?", r"lice",
    r"leeches?", r"maggots?", r"germs?", r"bacteria", r"virus(?:es)?", r"filth", r"scum",
    r"trash", r"garbage", r"sub-?humans?", r"savages?", r"disease", r"cancer", r"plague",
    r"infestation", r"snakes?", r"cattle", r"jackals?", r"hyenas?", r"mosquito(?:e?s)?",
    r"not\s+(?:even\s+)?human(?:s|\s+beings)?", r"less\s+than\s+human",
    r"born\s+(?:useless|stupid|criminals?|inferior|dirty|thieves|liars|traitors|terrorists|"
    r"slaves)",
)
_ADJ = (r"(?:filthy|dirty|disgusting|stinking|bloody|worthless|vile|brainless|dumb|"
        r"useless|dangerous|rabid|wild|dirty)")
#: "X are (filthy) animals", "X are born useless", "X are not human".
DEHUMANISE_EN = _compile(
    rf"(?P<group>\b{GROUP_EN})\s+(?:[\w']+\s+){{0,2}}?(?P<copula>are|r|were|remain|will\s+always\s+be|"
    rf"have\s+always\s+been)\s+(?P<between>(?:(?:all|just|only|nothing\s+but|no\s+better\s+than|"
    rf"like|such|a\s+bunch\s+of|a|an|the|not|n't|never|simply|basically|truly|really)\s+|{_ADJ}\s+|"
    rf"{_ADJ},\s+){{0,5}})(?P<noun>{DEHUMAN_NOUNS})\b"
)
#: "calling X animals" and "X breed like rats".
CALLING_EN = _compile(
    rf"\bcall(?:s|ed|ing)?\s+(?P<group>{GROUP_EN})\s+(?P<noun>{DEHUMAN_NOUNS})\b"
    rf"|(?P<group2>\b{GROUP_EN})\s+(?P<noun2>breed\s+like\s+(?:rats|rabbits|pigs|cockroaches|"
    rf"animals|flies|vermin))\b"
)
#: "throw X out of the country", "send X back to Pakistan".
EXPEL_EN = _compile(
    rf"\b(?P<noun>(?:throw|kick|drive|chase|send|deport|boot)\s+(?:all\s+)?(?:the\s+|these\s+|"
    rf"those\s+)?)(?P<group>{GROUP_EN})\s+(?:out\s+of\s+(?:the\s+country|india|here|this\s+"
    rf"country|bharat)|back\s+to\s+(?:pakistan|bangladesh|their\s+country|where\s+they\s+came\s+"
    rf"from))"
)
GROUP_HI = _alt(
    r"hindu(?:s|on)?", r"muslim(?:s|on)?", r"musal?maa?n(?:s|on|o)?", r"musalmano", r"mull[ea]",
    r"sikh(?:on)?", r"isai", r"isaai", r"christian(?:s)?", r"dalit(?:on)?", r"bihari(?:yon|on)?",
    r"madrasi", r"kashmiri(?:yon)?", r"bangladeshi(?:yon)?", r"rohingya", r"aurat(?:ein|en)?",
    r"aurtein", r"ladkiyan", r"pakistani(?:yon)?",
)
_HI_DEMONSTRATIVE = r"(?:ye|yeh|woh|wo|ye\s+sab|aise|saale|sab)"
#: Hinglish "ye log kutte hain", "musalman sab kide hain", "dalit paida hi bekaar hote hain".
DEHUMANISE_HI = _compile(
    rf"(?P<group>\b(?:{_HI_DEMONSTRATIVE}\s+)?(?:{GROUP_HI})\b|\b{_HI_DEMONSTRATIVE}\s+log\b)"
    r"\s+(?:sab\s+|saare\s+|ke\s+saare\s+|to\s+|bhi\s+|hi\s+|sare\s+|ekdum\s+|bilkul\s+){0,3}"
    r"(?P<between>)"
    r"(?P<noun>(?:kutt[eaio]|kutton|kide|keede|kide\s+makode|keede\s+makode|jaa?nwar|jaa?nvar|"
    r"suar|suwar|suvar|suar\s+ki\s+aulad|gandagi|kachra|kachda|makkhi|makhi|saa?n?p|de?e?mak|"
    r"parasite|animals?)\s+(?:h[ae]i?n?|ho|hote\s+h[ae]i?n?|he|h)\b"
    r"|paida\s+(?:hi\s+)?(?:bekaa?r|nikamm[ea]|chor|gaddar|gande)\s+(?:hote|hui|hue|hain|hai))"
)
#: "in logon ko desh se nikalo".
EXPEL_HI = _compile(
    rf"(?P<group>\b(?:in|inn|un|aise|ye|sab|saare|is|sabhi)\s+(?:[a-z]+\s+)?(?:logon|logo|{GROUP_HI})"
    r"\s+ko)\s+(?:[a-z]+\s+){0,2}?(?P<noun>(?:desh|mulk|india|bharat|hindustan|yahan|yaha)\s+se\s+"
    r"(?:nikalo|nikaal\s*do|nikal\s*do|bhagao|bhaga\s+do|nikaalo|bahar\s+karo|bahar\s+nikalo|"
    r"bahar\s+fenko|bahar\s+phenko))\b"
)
#: Devanagari "ये लोग कुत्ते हैं".
DEHUMANISE_DEVA = _compile(
    r"(?P<group>(?:(?:ये|यह|वो|ये\s+सब)\s+)?(?:लोग|मुसलमान|हिंदू|हिन्दू|दलित|सिख|ईसाई))\s+(?:सब\s+)?"
    r"(?P<between>)(?P<noun>(?:कुत्ते|कुत्ता|जानवर|कीड़े|कीडे|सूअर|सुअर|गंदगी|सांप|दीमक)\s*(?:हैं|है|हो))"
)

# --- Slurs ---------------------------------------------------------------------------------
#: The strongest Hindi slurs. Words that are ordinary in Kannada or elsewhere
#: ("gandu" is "male" in Kannada, "randi" is "come") are deliberately absent.
HINDI_SLURS = _compile(
    r"\b(?:maa?d[ae]r\s?chod|maa?d[ae]rchod|madarjaat|beh?[ae]n\s?chod|bhen\s?chod|bahen\s?chod|"
    r"benchod|bhosa?di?\s?ke|bhosdiwale|bhosdike|bhosadike|chutiy[ae]|chutiyon|chutia|chootiya|"
    r"gaandu|haraa?mi|haramkhor|haraamkhor|lavde|lawde\s+ke)\b"
    r"|मादरचोद|मादर\s?चोद|बहनचोद|बहन\s?चोद|भेनचोद|भोसडीके|भोसड़ीके|चूतिया|चुतिया|हरामी|रंडी|गांडू"
)

#: Cheap first passes, matched against each word (lower case) from its start: a sentence
#: with no word starting with one of these stems can match no threat pattern above, nor a
#: text without GROUP_STEM a group pattern (most comments), so the check skips them.
THREAT_STEM = re.compile(
    r"(?:(?:kill|murder|shoot|stab|hang|lynch|behead|butcher|slaughter|strangl|chok|execut|"
    r"burn|torch|beat|thrash|rape|bomb|attack|drown|eliminat|extermin|eradicat|bullet|smash|"
    r"slap|punch|whip|flog|maar|goli|pha+nsi|fa+nsi|khoon|qatl|katl|qatal|khatam|maaro|"
    r"tukde|zinda|la+yak)\w*"
    r"|shot|hung|slit|hurt|bury|buried|gun|gunned|skin|skinned|end|finish|finished|wiped|"
    r"gassed|stoned|break|acid|dead|die|dies|death|next|live|ditch|drain|gutter|body|bodybag|"
    r"coffin|hospital|icu|morgue|grave|graveyard|back|six|lesson|noose|rope|mar|jala|kaat|"
    r"kat|tod|phod|thok|peet|pit|pito|jaan)"
)
GROUP_STEM = re.compile(
    r"(?:(?:animal|beast|vermin|cockroach|parasit|swine|monkey|insect|termite|leech|maggot|"
    r"germ|bacteri|virus|filth|savage|infest|snake|jackal|hyena|mosquito|subhuman|kutt|"
    r"ja+nwar|ja+nvar|gandagi|nikal|nikaal|bhaga)\w*"
    r"|rat|rats|roach|roaches|pig|pigs|dog|dogs|ape|apes|lice|scum|trash|garbage|sub|human|"
    r"humans|disease|cancer|plague|cattle|born|breed|throw|kick|drive|chase|send|deport|boot|"
    r"kide|keede|suar|suwar|suvar|kachra|kachda|makhi|makkhi|saap|saanp|sanp|dimak|deemak|"
    r"paida|bahar)"
)
SLUR_STEM = re.compile(
    r"(?:(?:maa?d[ae]r|beh?[ae]n|bhen|bahen|benchod|bhosd|bhosa|chutiy|chutia|chootiya|gaandu|"
    r"haraa?m|lavde|lawde)\w*)"
)
WORDS = re.compile(r"[^\W\d_]+")
DEVANAGARI = re.compile(r"[\u0900-\u097f]")

# --- Kannada (script and romanised) -------------------------------------------------------
# Kannada vowel signs and the virama are combining marks, not word characters: ``\b`` and
# ``\w`` break inside words ("ಕೊಲ್ಲುತ್ತೇನೆ" is ten "words" to ``\w+``). The script
# patterns bound themselves with lookarounds on the Kannada block instead, and match NFC
# text (the check normalises comments; ``_compile`` normalises these patterns).
_KN = r"\u0C80-\u0CFF"
_KS = rf"(?<![{_KN}])"  # start of a Kannada word
_KE = rf"(?![{_KN}])"  # end of a Kannada word
#: First-person future, formal and colloquial ("-ುತ್ತೇನೆ", "-ತೀನಿ"), singular and plural.
_KN_FUT = r"(?:ುತ್ತೇನೆ|ುತ್ತೇವೆ|ುತ್ತೀನಿ|ುತ್ತೀವಿ|್ತೀನಿ|್ತೀವಿ|್ತೇನೆ|್ತೇವೆ|ತೀನಿ|ತೀವಿ)"
_KN_AUX_FUT = r"(?:ಬಿಡ" + _KN_FUT + r"|ಹಾಕ" + _KN_FUT + ")"
#: Violent verb stems, each ready for a suffix ("ಕೊಲ್ಲ" + "ುತ್ತೇನೆ", "ಕೊಲ" + "್ತೀನಿ").
_KN_STEMS = r"(?:ಕೊಲ್ಲ|ಕೊಲ|ಸಾಯಿಸ|ಸಾಯ್ಸ|ಹೊಡೆಯ|ಹೊಡೀ|ಹೊಡಿ|ಹೊಡ|ಮುಗಿಸ|ಚಚ್ಚ|ಗುಂಡು\s*ಹಾರಿಸ|ಗುಂಡಿಕ್ಕ|ತಲೆ\s*ಕಡಿಯ|ತಲೆ\s*ಕಡೀ)"
#: Participles that take "ಬಿಡು"/"ಹಾಕು" ("ಕೊಂದು ಬಿಡುತ್ತೇನೆ", "ಸುಟ್ಟು ಹಾಕ್ತೀನಿ").
_KN_PARTICIPLES = r"(?:ಕೊಂದು|ಕೊಂದ್|ಸಾಯಿಸಿ|ಮುಗಿಸಿ|ಸುಟ್ಟು|ಹೊಡೆದು|ಚಚ್ಚಿ|ಕಡಿದು)"
_KN_TARGET = (
    rf"(?P<target>{_KS}(?:ನಿನ್ನನ್ನು|ನಿನ್ನನ್ನ|ನಿನ್ನ|ನಿಮ್ಮನ್ನು|ನಿಮ್ಮನ್ನ|ನಿಮ್ಮ|ಅವನನ್ನು|ಅವನನ್ನ|ಅವನ|"
    rf"ಅವಳನ್ನು|ಅವಳನ್ನ|ಅವಳ|ಅವರನ್ನು|ಅವರನ್ನ|ಇವನನ್ನು|ಇವನನ್ನ|ಇವನ|ಇವಳನ್ನು|ಇವರನ್ನು|ಇವರನ್ನ|"
    rf"ಎಲ್ಲರನ್ನೂ|ಅಂಥವರನ್ನು|ಅಂತಹವರನ್ನು|[{_KN}]+(?:ಗಳನ್ನು|ಗಳನ್ನ|ರನ್ನು|ರನ್ನ)){_KE})"
)
#: Kannada direct threat: "ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ", "ಕೊಂದು ಬಿಡ್ತೀನಿ", and the double
#: negative "ಕೊಲ್ಲದೆ ಬಿಡಲ್ಲ" (I won't stop short of killing).
DIRECT_KN = _compile(
    rf"(?:{_KN_TARGET}\s+(?:[{_KN}]+\s+){{0,2}}?)?(?P<verb>{_KS}(?:{_KN_STEMS}{_KN_FUT}"
    rf"|{_KN_PARTICIPLES}\s*{_KN_AUX_FUT}"
    rf"|(?:ಕೊಲ್ಲ|ಸಾಯಿಸ|ಹೊಡೆಯ|ಮುಗಿಸ)ದ(?:ೆ|ೇ)\s*(?:ಬಿಡಲ್ಲ|ಬಿಡುವುದಿಲ್ಲ|ಬಿಡೋದಿಲ್ಲ|ಬಿಡಲ್ಲಾ)){_KE})"
)
#: Kannada incitement: a person or group, then an imperative or "must": "ಅವನನ್ನು ಕೊಲ್ಲಿ",
#: "ದೇಶದ್ರೋಹಿಗಳನ್ನು ಗುಂಡಿಕ್ಕಿ ಕೊಲ್ಲಬೇಕು".
IMPERATIVE_KN = _compile(
    rf"{_KN_TARGET}\s+(?:[{_KN}]+\s+){{0,2}}?(?P<verb>{_KS}(?:ಕೊಲ್ಲಿ|ಕೊಲ್ಲಿರಿ|ಕೊಲ್ಲಬೇಕು|"
    rf"ಕೊಂದು\s*ಹಾಕಿ|ಕೊಂದು\s*ಹಾಕಬೇಕು|ಕೊಂದುಹಾಕಿ|ಸಾಯಿಸಿ|ಸಾಯಿಸಬೇಕು|ಹೊಡೆಯಿರಿ|ಹೊಡೀರಿ|ಹೊಡೆಯಬೇಕು|"
    rf"ಸುಟ್ಟು\s*ಹಾಕಿ|ಸುಟ್ಟು\s*ಹಾಕಬೇಕು|ಸುಡಬೇಕು|ಗಲ್ಲಿಗೇರಿಸಿ|ಗಲ್ಲಿಗೇರಿಸಬೇಕು|ನೇಣು\s*ಹಾಕಿ|"
    rf"ಗುಂಡಿಕ್ಕಿ|ಗುಂಡಿಕ್ಕಬೇಕು|ಗುಂಡು\s*ಹಾರಿಸಿ|ಮುಗಿಸಿ|ಮುಗಿಸಬೇಕು){_KE})"
)
#: Romanised Kannada suffixes: "-thini", "-tini", "-teeni", "-uttene", "-thivi".
_KL_FUT = r"(?:u)?t{1,2}h?(?:ee|i|e)(?:n[ie]|v[ie])"
#: Romanised Kannada direct threat: "ninna kolthini", "ninna saaysthini", "kondu bidthini",
#: "hodithini", and the double negative "kollade bidalla".
DIRECT_KN_LATN = _compile(
    r"(?:(?P<target>\b(?:ninna|ninnanna|ninnannu|ninnanu|nimma|nimmanna|nimmannu|avana|avanna|"
    r"avanannu|avanige|avala|avalanna|avalannu|avarannu|avranna|ivana|ivanna|ivanannu|ivalanna|"
    r"ivranna|ivarannu|ellaranna|ellarannu|[a-z]+(?:galanna|galannu|galna))\b)\s+"
    r"(?:[a-z]+\s+){0,2}?)?"
    r"(?P<verb>\b(?:koll?" + _KL_FUT + r"|saa?y(?:i)?s" + _KL_FUT
    + r"|hod(?:i|ee|e|ey|eey|iy)?" + _KL_FUT + r"|mugis" + _KL_FUT + r"|chach+" + _KL_FUT
    + r"|tale\s*kad(?:i|ee|iy)" + _KL_FUT
    + r"|(?:kond(?:u)?|saa?y(?:i)?si|mugisi|suttu|hodedu|chachi)\s*(?:bid|haak|hak)" + _KL_FUT
    + r"|(?:kolla|saa?y(?:i)?sa|hodiya|hodeya|mugisa)d(?:e|ee)\s*(?:bidalla|bidolla|bidodilla|"
    r"biduvudilla))\b)"
)
#: Romanised Kannada incitement: "avanna kolli", "ivranna gundikki kollbeku".
IMPERATIVE_KN_LATN = _compile(
    r"(?P<target>\b(?:avana|avanna|avanannu|avala|avalanna|avarannu|avranna|ivana|ivanna|ivanannu|"
    r"ivranna|ivarannu|ellaranna|ellarannu|anthavranna|[a-z]+(?:galanna|galannu|galna))\b)\s+"
    r"(?:[a-z]+\s+){0,2}?(?P<verb>\b(?:kolli|kolliri|koll?a?beku|kond(?:u)?\s*haaki|"
    r"kond(?:u)?\s*haak(?:a)?beku|saa?y(?:i)?si|saa?y(?:i)?s(?:a)?beku|hodeyiri|hodiri|hodeeri|"
    r"hod(?:e|i)?(?:ya)?beku|suttu\s*haaki|suttu\s*haak(?:a)?beku|sud(?:a)?beku|"
    r"galligerisi|galligeris(?:a)?beku|gundikki|gundikk(?:a)?beku|gundu\s*haarisi|mugisi|"
    r"mugis(?:a)?beku)\b)"
)
#: "ninna bidalla" / "ನಿನ್ನನ್ನು ಸುಮ್ಮನೆ ಬಿಡಲ್ಲ" (I won't spare you): menace, held for review.
IDIOM_KN = _compile(
    r"(?P<verb>\b(?:ninna|ninnanna|ninnannu|nimmanna|nimmannu)\s+(?:summane\s+|sumne\s+)?"
    r"(?:bidalla|bidolla|bidodilla|biduvudilla)\b"
    rf"|{_KS}(?:ನಿನ್ನನ್ನು|ನಿನ್ನನ್ನ|ನಿನ್ನ|ನಿಮ್ಮನ್ನು)\s+(?:ಸುಮ್ಮನೆ\s+)?(?:ಬಿಡಲ್ಲ|ಬಿಡುವುದಿಲ್ಲ|ಬಿಡೋದಿಲ್ಲ){_KE}"
    # Hindi "main tujhe nahi chhodunga", "तुझे छोड़ूंगा नहीं"
    r"|\b(?:tujhe|tumhe|tumko|tujhko|tereko|usko|isko|unko|inko)\s+(?:main\s+|hum\s+)?"
    r"(?:(?:nahi|nahin|nhi)\s+(?:chhod|chod)(?:unga|ungi|enge|oonga)|(?:chhod|chod)(?:unga|ungi|"
    r"enge|oonga)\s+(?:nahi|nahin|nhi))\b"
    r"|(?:तुझे|तुम्हें|तुमको|तुझको|उसे|इसे)\s+(?:\S+\s+)?(?:नहीं\s+छोड़(?:ूंगा|ूँगा|ेंगे|ूंगी)|"
    r"छोड़(?:ूंगा|ूँगा|ेंगे|ूंगी)\s+नहीं))"
)
#: Figurative objects of a violent verb in Kannada and Hindi: pests, time, and the
#: idiom "goli maaro" (forget it): "is baat ko goli maaro", "sollegalanna kolthini".
FIGURATIVE_TARGET = _compile(
    r"\b(?:baat|baaton|baton|cheez|cheezon|topic|tension|tenshan|chinta|fikar|fikr|kaam|exam|"
    r"padhai|solle|jirale|ili|hula|tigane|time|taim)\w*"
    r"|बात|बातों|चीज़|चीज|टेंशन|चिंता|फ़िक्र|फिक्र|काम"
    rf"|{_KS}(?:ಸೊಳ್ಳೆ|ಜಿರಳೆ|ಇಲಿ|ಹುಳ|ತಿಗಣೆ|ಟೈಮ್|ಸಮಯ)"
)
#: Kannada idioms with "ಹೊಡೆ" (hit) and pests as objects: "sixer hodithini" (I'll hit a
#: six), "chakkar hodithini" (I'll bunk), "ನಗಿಸಿ ಸಾಯಿಸ್ತೀನಿ" (I'll make you die laughing).
FIGURATIVE_KN = _compile(
    r"\b(?:sixer|six|sixu|four|foru|boundary|goal|century|chakkar|chakar|seeti|siti|whistle|"
    r"harate|bore|jackpot|sketch|line|call|kaal|selfie|photo)\s+(?:ond\s+|ondu\s+)?hod"
    r"|\bnag(?:i|s)s?i\s+(?:nag(?:i|s)s?i\s+)?saa?y"
    r"|\b(?:solle|sollegal|jirale|jiralegal|ili|iligal|hula|hulagal|tigane)\w*\s+(?:[a-z]+\s+)?"
    r"(?:koll?|kond|saa?y)"
    rf"|{_KS}(?:ಸಿಕ್ಸರ್|ಸಿಕ್ಸ್|ಫೋರ್|ಗೋಲ್|ಶತಕ|ಚಕ್ಕರ್|ಸೀಟಿ|ಹರಟೆ|ಬೋರ್)[{_KN}]*\s+(?:ಒಂದು\s+)?ಹೊಡ"
    rf"|{_KS}ನಗಿಸಿ\s+(?:ನಗಿಸಿ\s+)?ಸಾಯ"
    rf"|{_KS}(?:ಸೊಳ್ಳೆ|ಜಿರಳೆ|ಇಲಿ|ಹುಳ|ತಿಗಣೆ)[{_KN}]*\s+(?:[{_KN}]+\s+)?(?:ಕೊಲ|ಕೊಂದ|ಸಾಯ)"
)
#: A first-person threat reported as not said or not meant: "kolthini anta helilla",
#: "ಕೊಲ್ಲುತ್ತೇನೆ ಎಂದು ಹೇಳಿಲ್ಲ", and Hindi "maarunga nahi" (negation after the verb).
TRAILING_NEGATION = _compile(
    r"\s*(?:(?:ant?h?a|anta|antha|andu|endu|ಅಂತ|ಎಂದು)\s+(?:[^\s.!?]+\s+)?(?:helilla|heLilla|"
    r"alla|illa|ಹೇಳಿಲ್ಲ|ಅಲ್ಲ|ಇಲ್ಲ)|(?:nahi|nahin|nhi|नहीं)(?![\w\u0900-\u097f]))"
)
#: Violent words in Kannada (script and romanised): what a guard must explain.
VIOLENT_WORD_KN = _compile(
    rf"{_KS}(?:ಕೊಲ|ಕೊಲ್ಲ|ಕೊಂದ|ಸಾಯಿಸ|ಸಾಯ್ಸ|ಹೊಡ|ಗುಂಡು|ಗುಂಡಿಕ್ಕ|ಗಲ್ಲಿಗೇರ|ಚಚ್ಚ)[{_KN}]*"
    r"|\b(?:koll?(?:u|a|i|th|t)\w*|kond\w*|saa?y(?:i)?s\w*|galliger\w*|gundikk\w*|chach\w*)"
)
KANNADA = re.compile(rf"[{_KN}]")
INDIC = re.compile(rf"[\u0900-\u097f{_KN}]")
#: Word stems (lower case) a romanised Kannada or extra Hindi threat starts with.
THREAT_STEM_KN = re.compile(
    r"(?:(?:kol|kond|saay|says|sayis|saays|hod|mugis|chach|suttu|tale|gallig|gund|bid|chhod|"
    r"chod)\w*)"
)
