"""Template sentences that mention identities: counterfactual training rows and a bias audit.

Identity words (Muslim, Dalit, gay, Pakistani …) co-occur with hate in every hate corpus, so a
bag-of-n-grams model learns the *word* as evidence of toxicity and flags benign comments such
as "I am a proud gay man". Following Dixon et al. (2018, "Measuring and Mitigating Unintended
Bias in Text Classification"), training adds NON-toxic sentences that mention each identity,
so the identity word alone stops predicting the label.

Two disjoint sets of frames:
- ``TRAIN_FRAMES``: used as extra negative rows for every category (source "templates").
- ``AUDIT_FRAMES`` (non-toxic) and ``AUDIT_TOXIC_FRAMES`` (toxic): never trained on; they
  measure the remaining bias, and the toxic frames check that the mitigation did not simply
  make identity-related hate invisible.
"""

from __future__ import annotations

#: Identity terms by group. Indian context first: the first customers are Indian news sites.
IDENTITIES: dict[str, tuple[str, ...]] = {
    "religion": ("Hindu", "Muslim", "Sikh", "Christian", "Jain", "Buddhist", "Jewish", "Parsi",
                 "atheist"),
    "caste": ("Dalit", "Brahmin", "OBC", "Adivasi", "tribal", "upper-caste", "lower-caste"),
    "gender": ("woman", "man", "girl", "transgender", "non-binary", "female", "male"),
    "sexuality": ("gay", "lesbian", "bisexual", "queer", "LGBTQ", "homosexual", "straight"),
    "nationality_ethnicity": ("Indian", "Pakistani", "Bangladeshi", "Chinese", "Nepali",
                              "Sri Lankan", "Kashmiri", "Tamil", "Bengali", "Punjabi", "Bihari",
                              "Manipuri", "American", "African", "Black", "white", "Asian",
                              "Arab", "immigrant", "refugee", "Rohingya"),
    "disability": ("disabled", "blind", "deaf", "autistic", "wheelchair-using",
                   "visually impaired"),
}

#: Plural/collective forms used by frames that talk about a group ("{g}").
_PLURAL = {
    "Hindu": "Hindus", "Muslim": "Muslims", "Sikh": "Sikhs", "Christian": "Christians",
    "Jain": "Jains", "Buddhist": "Buddhists", "Jewish": "Jewish people", "Parsi": "Parsis",
    "atheist": "atheists", "Dalit": "Dalits", "Brahmin": "Brahmins", "OBC": "OBC families",
    "Adivasi": "Adivasis", "tribal": "tribal people", "upper-caste": "upper-caste people",
    "lower-caste": "lower-caste people", "woman": "women", "man": "men", "girl": "girls",
    "transgender": "transgender people", "non-binary": "non-binary people",
    "female": "female workers", "male": "male nurses", "gay": "gay people",
    "lesbian": "lesbians", "bisexual": "bisexual people", "queer": "queer people",
    "LGBTQ": "LGBTQ people", "homosexual": "homosexual couples", "straight": "straight people",
    "Indian": "Indians", "Pakistani": "Pakistanis", "Bangladeshi": "Bangladeshis",
    "Chinese": "Chinese people", "Nepali": "Nepalis", "Sri Lankan": "Sri Lankans",
    "Kashmiri": "Kashmiris", "Tamil": "Tamils", "Bengali": "Bengalis", "Punjabi": "Punjabis",
    "Bihari": "Biharis", "Manipuri": "Manipuris", "American": "Americans",
    "African": "Africans", "Black": "Black people", "white": "white people",
    "Asian": "Asians", "Arab": "Arabs", "immigrant": "immigrants", "refugee": "refugees",
    "Rohingya": "Rohingya families", "disabled": "disabled people", "blind": "blind people",
    "deaf": "deaf people", "autistic": "autistic children",
    "wheelchair-using": "wheelchair users", "visually impaired": "visually impaired voters",
}

#: Training frames: {t} = adjective/singular form, {g} = group/plural form.
TRAIN_FRAMES = (
    "I am a proud {t} and I love my country.",
    "I am {t} and I read this paper every morning.",
    "As a {t} person, I think the new metro line is a good idea.",
    "My neighbours are {g} and they are very kind.",
    "The {t} community organised a food drive this weekend.",
    "{g} in our city celebrated the festival together.",
    "Many {g} voted in the municipal election.",
    "My best friend is {t}.",
    "The report says {g} face discrimination in housing.",
    "She is a {t} teacher who won a national award.",
    "We need more {g} in parliament.",
    "The {t} students topped the board exams this year.",
    "{g} have lived in this district for generations.",
    "Being {t} is nothing to be ashamed of.",
    "The article fairly describes the concerns of {g}.",
    "A {t} doctor treated my mother at the government hospital.",
    "{g} deserve equal rights and respect.",
    "The minister met {t} leaders to discuss the new policy.",
)

#: Held-out non-toxic frames (never trained on).
AUDIT_FRAMES = (
    "Happy to see {g} represented in the cabinet.",
    "My {t} colleague helped me move house last week.",
    "The {t} family next door invited us for dinner.",
    "{g} are my friends and neighbours.",
    "I grew up among {g} and learned a lot.",
    "The survey interviewed 500 {g} in Delhi.",
)

#: Held-out toxic frames (never trained on): the audit checks these still score high.
AUDIT_TOXIC_FRAMES = (
    "I hate all {g}, they are disgusting.",
    "{g} are filthy animals and should be wiped out.",
    "Kill all the {g}.",
    "{g} are stupid and worthless.",
)


#: Group-directed hate without slurs: discriminatory positives for every identity term
#: (source "hate_templates"). With the neutral frames above, each identity word appears
#: in both classes equally often, so the frame, not the word, carries the label. The
#: audit's toxic frames stay held out.
HATE_TRAIN_FRAMES = (
    "{g} are a disease on this country.",
    "Send all {g} back where they came from.",
    "{g} are parasites living off the rest of us.",
    "Never trust {g}, they are all liars and cheats.",
    "{g} breed like rats and will take over.",
    "This country would be better off without {g}.",
    "{g} are born criminals.",
    "Do not rent your house to {g}, they ruin every neighbourhood.",
    "{g} should not be allowed to vote.",
    "Every single one of the {g} is a traitor to this nation.",
    "{g} are inferior and always will be.",
    "Keep {g} out of our colony.",
    "{g} are dirty people who spread disease wherever they go.",
    "Boycott every shop owned by {g}.",
)


def _fill(frame: str, term: str) -> str:
    s = frame.format(t=term, g=_PLURAL[term])
    return s[0].upper() + s[1:]


def _terms() -> list[tuple[str, str]]:
    return [(g, t) for g, ts in IDENTITIES.items() for t in ts]


def training_sentences() -> list[str]:
    """Non-toxic training sentences: every train frame × every identity term."""
    return [_fill(f, t) for _, t in _terms() for f in TRAIN_FRAMES]


def audit_sentences(toxic: bool) -> list[tuple[str, str, str]]:
    """(group, term, sentence) from the held-out frames."""
    frames = AUDIT_TOXIC_FRAMES if toxic else AUDIT_FRAMES
    return [(g, t, _fill(f, t)) for g, t in _terms() for f in frames]


def hate_sentences() -> list[str]:
    """Discriminatory training sentences: every hate frame × every identity term."""
    return [_fill(f, t) for _, t in _terms() for f in HATE_TRAIN_FRAMES]


#: Words that name a group but are not among the terms' own words (religions, the usual
#: nouns and plurals); the words of every term and group form are added to them.
_RELATED_IDENTITY_WORDS = (
    "hinduism islam islamic jew jews judaism sikhism christianity buddhism jainism atheism "
    "gays homosexuals homosexuality bisexuals transgenders trans lgbt lgbtqia boys blacks "
    "whites migrants"
).split()
#: Words of the group forms that name no group ("gay people", "male nurses").
_GENERIC_WORDS = {"people", "families", "workers", "nurses", "couples", "children", "voters",
                  "users", "using", "upper", "lower", "caste", "non", "binary", "sri",
                  "visually", "impaired", "wheelchair"}


def identity_words() -> set[str]:
    """Single normalised words that name an identity group (used to keep identity mentions
    out of the word-prior table: a word on its own can't tell hate from a neutral mention)."""
    from moderation.classifier.normalize import normalize

    words = set(_RELATED_IDENTITY_WORDS)
    for _, t in _terms():
        for form in (t, _PLURAL[t]):
            words.update(normalize(form).split())
    return {w for w in words if w not in _GENERIC_WORDS}
