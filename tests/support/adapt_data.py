"""A synthetic site language for the adaptation tests: words the base model never saw.

Rejected comments carry one or two of the site's own insults (invented words, in Latin
and in Kannada script); approved ones only its neutral words. The base model can't tell
them apart; a site model learns them from a few hundred decisions.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from flask import Flask

from moderation.senders import pseudonym
from moderation.store import Comment, Decision
from moderation.training.adapt import Example
from tests.support.moderation_data import PSEUDONYM_KEY

NEUTRAL = ("baro", "nodi", "chennagide", "mane", "ooru", "sudhi", "pata", "hosa", "male",
           "rasta", "bele", "sabhe", "shale", "kelsa", "ಊರು", "ಸುದ್ದಿ", "ಮನೆ", "ಹೊಸ")
INSULTS = ("zorblak", "vexnitra", "gundapa", "mukhbhang", "ಕ್ರೂರಿಗ", "ಹೊಲಸುಗ")
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def site_text(rng: random.Random, rejected: bool) -> str:
    words = rng.choices(NEUTRAL, k=rng.randint(4, 9))
    if rejected:
        for _ in range(rng.randint(1, 2)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(INSULTS))
    return " ".join(words)


def stream(n: int, *, seed: int = 0, reject_share: float = 0.3) -> list[tuple[str, bool]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        rejected = rng.random() < reject_share
        out.append((site_text(rng, rejected), rejected))
    return out


def examples(n: int, *, seed: int = 0) -> list[Example]:
    return [Example(text, rejected, T0 + timedelta(minutes=i))
            for i, (text, rejected) in enumerate(stream(n, seed=seed))]


def seed_decisions(app: Flask, site_id: int, labels: list[tuple[str, bool]], *,
                   start: datetime = T0) -> list[int]:
    """Decided comments (a verdict-less comment and one moderator decision each), a minute apart."""
    ids = []
    with app.extensions["db"].session() as session:
        for i, (text, rejected) in enumerate(labels):
            at = start + timedelta(minutes=i)
            status = "rejected" if rejected else "approved"
            comment = Comment(site_id=site_id, article_id="a-1", title="t", text=text,
                              sender_pseudonym=pseudonym(PSEUDONYM_KEY, site_id, f"s{i}@example.com"),
                              status=status, last_decision=status, decided_at=at, created_at=at,
                              language="kn-Latn")
            session.add(comment)
            session.flush()
            session.add(Decision(comment_id=comment.id, decision=status, reason="", actor="Mod",
                                 actor_id="user:1", created_at=at, revision=1))
            ids.append(comment.id)
        session.commit()
    return ids
