"""Template sentences for the ``threat`` category: synthetic training rows and a held-out audit.

Only Jigsaw and Civil Comments label threats, with about 200 positives between them, mostly
Wikipedia-talk phrasing ("I will kill you"). A news site's threats are aimed at journalists,
judges, politicians and protesters ("somebody should put a bullet in the editor"), and its
readers also write about violence without threatening anyone ("police say the gunmen shot
the reporter"). These frames teach the threat head both sides, the way the identity
templates teach identity words are not evidence (``templates.py``):

- ``THREAT_TRAIN_FRAMES`` × ``TARGETS`` are threat positives (unlabelled for the other
  categories);
- ``VIOLENCE_TRAIN_FRAMES`` × ``TARGETS`` are negatives: reports of, or objections to,
  violence, and figurative uses of violent words;
- the ``AUDIT_*`` frames are never trained on and measure what the templates taught
  (recall on unseen threat phrasings, false alarms on unseen news-style violence).

They carry a small total weight next to the real corpora (``SOURCE_MULTIPLIER`` in
``training.py``) and never enter validation, thresholds or calibration.
"""

from __future__ import annotations

#: Who a comment on a news site threatens: the reader addressed, journalists, office holders.
TARGETS = (
    "you", "this journalist", "the MLA", "that judge", "the editor", "these protesters",
    "the minister", "that reporter", "your whole family", "the police officer",
    "this TV anchor", "the activist",
)

#: Threats: violence, intimidation or wishing harm, aimed at {x}.
THREAT_TRAIN_FRAMES = (
    "I am going to kill {x}.",
    "Somebody should put a bullet in {x}.",
    "We will burn down the house of {x}.",
    "Hang {x} from the nearest tree.",
    "Someone needs to stab {x} and end this.",
    "I hope somebody murders {x} soon.",
    "We know where to find {x}, better watch your back.",
    "Shoot {x} on sight.",
    "Lynch {x} and be done with it.",
    "I will slit the throat of {x}.",
    "Beat {x} to death, nobody will miss them.",
    "Drag {x} onto the street and finish them off.",
    "One day we will catch {x} alone, then you will see what happens.",
    "{x} deserves a bullet in the head.",
    "Throw acid on {x} and teach them a lesson.",
    "Blow up the car of {x}.",
)

#: Not threats: news about violence, condemnation of it, figurative violent words.
VIOLENCE_TRAIN_FRAMES = (
    "Police said someone shot {x} during the robbery.",
    "The court sentenced the man who attacked {x}.",
    "Nobody should ever threaten {x} for doing their job.",
    "I hope the police protect {x} after these death threats.",
    "Violence against {x} is never acceptable.",
    "The film shows how the gangsters killed {x} in the end.",
    "They must arrest whoever assaulted {x}.",
    "My heart goes out to {x} after the bomb blast.",
    "This new tax will kill small shops, and it will hurt {x} too.",
    "The opposition will shoot down every proposal from {x}.",
    "{x} killed it with that speech last night.",
    "The report says rioters burned the house next to {x}.",
    "Death threats against {x} should be investigated at once.",
    "The attack on {x} was cowardly and the culprits must be punished.",
)

#: Held-out threats (never trained on).
AUDIT_THREAT_FRAMES = (
    "Someone should shoot {x}.",
    "I will find {x} and kill them.",
    "{x} should be hanged in public.",
    "Wait till we get our hands on {x}, you will not survive.",
)

#: Held-out non-threats (never trained on).
AUDIT_VIOLENCE_FRAMES = (
    "Whoever shot at {x} should face the full force of the law.",
    "The police must investigate the attack on {x}.",
    "Goons threatened {x} yesterday, which is shameful.",
    "The documentary about the murder of {x} was moving.",
)


def _fill(frame: str, target: str) -> str:
    s = frame.format(x=target)
    return s[0].upper() + s[1:]


def training_rows() -> list[tuple[str, int]]:
    """(sentence, is_threat) for every train frame × target."""
    pos = [(_fill(f, x), 1) for f in THREAT_TRAIN_FRAMES for x in TARGETS]
    neg = [(_fill(f, x), 0) for f in VIOLENCE_TRAIN_FRAMES for x in TARGETS]
    return pos + neg


def audit_rows() -> list[tuple[str, int]]:
    """(sentence, is_threat) from the held-out frames."""
    pos = [(_fill(f, x), 1) for f in AUDIT_THREAT_FRAMES for x in TARGETS]
    neg = [(_fill(f, x), 0) for f in AUDIT_VIOLENCE_FRAMES for x in TARGETS]
    return pos + neg
