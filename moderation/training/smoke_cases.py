"""A hand-written smoke set of news comments, run through the real artifact and ``moderate()``.

The cases were written before any tuning and are never used to choose settings: they are a
smoke test of the shipped model (reported in the model card with that caveat and asserted as
an overall pass rate by ``tests/classifier/test_behaviour.py``), not a benchmark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moderation.classifier.model import BatchClassifier

#: (comment, expect_flagged). Flagged = needs_review or rejected; clean = approved.
CASES: tuple[tuple[str, bool], ...] = (
    # benign news comments, incl. sharp political criticism
    ("Great news for Bangalore commuters, finally the metro line opens", False),
    ("The government has failed the farmers, shame on this minister", False),
    ("This budget does nothing for the middle class. Very disappointing.", False),
    ("Excellent reporting on the Chennai floods, thank you for covering this.", False),
    ("The opposition should stop walking out and actually debate the bill.", False),
    ("I completely disagree with this editorial, the data says otherwise.", False),
    ("Mumbai local trains are overcrowded again, when will the railways fix this?", False),
    ("The Prime Minister's speech was long on promises and short on details.", False),
    ("Trump's tariffs will hurt American farmers more than China.", False),
    ("Police brutality must be investigated and the officers held accountable.", False),
    ("What a match! Kohli's century was brilliant.", False),
    ("The killer in this case deserves a fair trial like anyone else.", False),
    # benign identity mentions
    ("I am a proud gay man", False),
    ("As a Muslim, I celebrate Diwali with my Hindu neighbours every year.", False),
    ("The Dalit community in our village finally got a new school.", False),
    ("My Sikh colleagues organised a langar for the flood victims.", False),
    ("Pakistani and Indian fans cheered together at the stadium.", False),
    ("Women engineers led the Chandrayaan mission team.", False),
    ("The transgender welfare board met in Kochi on Monday.", False),
    ("Christians and Jains joined the interfaith peace march.", False),
    # insults
    ("Modi bhakts are brainless sheep", True),
    ("You are a complete idiot and your article is garbage.", True),
    ("Shut up, you pathetic loser.", True),
    ("The author is a moron who should not be allowed to write.", True),
    ("What a stupid, ignorant comment from a clueless fool.", True),
    # slur-free group hate
    ("Muslims are terrorists and should be thrown out of India", True),
    ("These Dalits should know their place", True),
    ("All immigrants are criminals and rapists, send them back.", True),
    ("Women are too stupid to be allowed to vote.", True),
    ("Jews control the media and the banks.", True),
    ("Christians are converting poor people with bribes, ban them all.", True),
    # threats
    ("I will find where you live and kill you.", True),
    ("Someone should shoot this journalist.", True),
    ("We will burn your house down if you publish this again.", True),
    # obscenity
    ("What the fuck is this shit reporting?", True),
    ("This minister is a piece of shit.", True),
    ("Go fuck yourself, you bastard.", True),
    # obfuscated abuse
    ("you are a stupid f u c k i n g idiot", True),
    ("what an 1d10t, sh1t article", True),
    ("Go to hell you b!tch", True),
)


def run_cases(clf: BatchClassifier) -> tuple[float, list[str]]:
    """Pass rate and a printable line per failure."""
    from moderation.pipeline.run import moderate

    failures = []
    for text, expect_flagged in CASES:
        res = moderate(text, classifier=clf)
        flagged = res.decision != "approved"
        if flagged != expect_flagged:
            top = max(res.scores, key=lambda k: res.scores[k])
            failures.append(
                f"{'missed' if expect_flagged else 'false positive'}: {text!r} → {res.decision} "
                f"({top} {res.scores[top]:.2f})"
            )
    return 1 - len(failures) / len(CASES), failures
