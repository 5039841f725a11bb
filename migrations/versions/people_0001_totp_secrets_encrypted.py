"""people: TOTP secrets encrypted at rest (users.totp_secret, console_sessions.totp_pending_secret)

Revision ID: people_0001
Revises: coral_0001
Create Date: 2026-12-02 06:40:00

Widens the two columns for the ciphertext and encrypts every stored secret with the key
of MODERATION_TOTP_KEY (moderation/store/encrypted.py), so sign-in keeps working with
the same authenticator apps. The downgrade decrypts them again (it needs the same key).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from moderation.store.encrypted import PREFIX, decrypt, encrypt

revision: str = 'people_0001'
down_revision: str | None = 'coral_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("users", "totp_secret"), ("console_sessions", "totp_pending_secret"))


def _key() -> bytes | None:
    """The key set by whoever runs the migration (tests), else MODERATION_TOTP_KEY's."""
    key = op.get_context().config.attributes.get("totp_key") if op.get_context().config else None
    return key if isinstance(key, bytes) else None


def _rewrite(table: str, column: str, change: bool) -> None:
    conn = op.get_bind()
    key = _key()
    rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
    purpose = f"{table}.{column}"
    for row_id, value in rows:
        if change and not value.startswith(PREFIX):
            new = encrypt(value, purpose, key)
        elif not change and value.startswith(PREFIX):
            new = decrypt(value, purpose, key)
        else:
            continue
        conn.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                     {"value": new, "id": row_id})


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(length=255), existing_type=sa.String(length=64),
                               existing_nullable=True)
        _rewrite(table, column, change=True)


def downgrade() -> None:
    for table, column in COLUMNS:
        _rewrite(table, column, change=False)
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(length=64), existing_type=sa.String(length=255),
                               existing_nullable=True)
