"""settings: per-site sender pseudonyms under their own key; drop three prefix indexes

Revision ID: settings_0001
Revises: main_0002
Create Date: 2026-12-01 22:30:00

Sender pseudonyms were HMAC(MODERATION_SECRET_KEY, email): the same on every site
and keyed by the secret that also signs sessions. They are now
HMAC(MODERATION_PSEUDONYM_KEY, "<site id>:<email>"). So that existing pseudonym bans
keep matching, the upgrade maps each site's old pseudonym to the new one through the
emails still stored in ``sender_details`` and rewrites ``comments.sender_pseudonym``
(also of that sender's comments whose details were already erased) and the
``pseudonym`` bans. The key comes from the environment (``MODERATION_PSEUDONYM_KEY``,
read through the service's settings) or from ``config.attributes["pseudonym_key"]``;
run the upgrade with the key the service will run with. A pseudonym ban whose
sender has no stored email left on its site can't be mapped: it is kept as it was
and listed in a warning (ban that sender again by email or by a new pseudonym).
The downgrade maps back with ``MODERATION_SECRET_KEY`` the same way. Audit events
are append-only and hash-chained: those that named a sender keep the old pseudonym.

``ix_comments_site_article``, ``ix_comments_site_toxicity`` and
``ix_comments_pseudonym`` are prefixes of the ``..._id`` indexes added by
moderators_0001, which serve every query they served.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = 'settings_0001'
down_revision: str | None = 'main_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

#: The pseudonym formulas as they are at this revision (the code's may change later).
Formula = Callable[[int, str], str]
_CHUNK = 5000
_PREFIX_INDEXES = (
    ('ix_comments_site_article', ['site_id', 'article_id']),
    ('ix_comments_site_toxicity', ['site_id', 'toxicity']),
    ('ix_comments_pseudonym', ['sender_pseudonym']),
)


def _hmac(key: str, message: str) -> str:
    return "snd_" + hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()[:20]


def per_site(key: str) -> Formula:
    return lambda site_id, email: _hmac(key, f"{site_id}:{email.strip().casefold()}")


def legacy(key: str) -> Formula:
    return lambda _site_id, email: _hmac(key, email.strip().casefold())


def _key(name: str) -> str:
    given = context.config.attributes.get(name)
    if given:
        return str(given)
    from moderation.settings import load_settings

    return str(getattr(load_settings(), name))


def repseudonymise(connection: sa.Connection, formula: Formula) -> None:
    """Rewrite every site's pseudonyms (comments and pseudonym bans) with ``formula``,
    mapping each stored pseudonym through the emails stored with it on that site."""
    mapping: dict[tuple[int, str], str] = {}
    last = 0
    while True:
        rows = connection.execute(sa.text(
            "SELECT c.id, c.site_id, c.sender_pseudonym, d.email FROM comments c "
            "JOIN sender_details d ON d.comment_id = c.id "
            "WHERE d.email IS NOT NULL AND c.id > :last ORDER BY c.id LIMIT :n"),
            {"last": last, "n": _CHUNK}).all()
        if not rows:
            break
        for _id, site_id, old, email in rows:
            mapping[(site_id, old)] = formula(site_id, email)
        last = rows[-1][0]
    changes = [{"site_id": site_id, "old": old, "new": new}
               for (site_id, old), new in mapping.items() if new != old]
    if changes:
        connection.execute(sa.text(
            "UPDATE comments SET sender_pseudonym = :new "
            "WHERE site_id = :site_id AND sender_pseudonym = :old"), changes)
    unmapped = []
    for ban_id, site_id, value in connection.execute(sa.text(
            "SELECT id, site_id, value FROM bans WHERE kind = 'pseudonym' ORDER BY id")).all():
        new = mapping.get((site_id, value))
        if new is None:
            unmapped.append(ban_id)
        elif new != value:
            connection.execute(sa.text("UPDATE bans SET value = :new WHERE id = :id"),
                               {"new": new, "id": ban_id})
    if unmapped:
        log.warning("pseudonym bans %s name senders with no stored email on their site: kept "
                    "unchanged, they no longer match new comments", unmapped)


def upgrade() -> None:
    repseudonymise(op.get_bind(), per_site(_key("pseudonym_key")))
    with op.batch_alter_table('comments', schema=None) as batch_op:
        for name, _columns in _PREFIX_INDEXES:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        for name, columns in _PREFIX_INDEXES:
            batch_op.create_index(name, columns, unique=False)
    repseudonymise(op.get_bind(), legacy(_key("secret_key")))
