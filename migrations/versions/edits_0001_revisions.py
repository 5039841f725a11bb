"""edits: comment revisions, withdrawals, request fingerprints and the change feed

Revision ID: edits_0001
Revises: main_0003
Create Date: 2026-12-01 22:10:00

- ``comments.revision`` (the current one; earlier texts go to ``comment_revisions``),
  and ``verdicts.revision`` / ``decisions.revision``: which revision each judged.
  Existing rows are revision 1.
- ``comments.body_fingerprint``: SHA-256 of the creating request's canonical body, so
  a retry (same body) is told apart from a different comment under the same
  Idempotency-Key or external_id. NULL on existing rows (treated as a retry).
- ``comments.withdrawn_at``: the site withdrew the comment (status ``withdrawn``).
- ``comments.change_seq`` and the one-row ``change_counter``: the change feed's
  commit-ordered position, written by triggers (``moderation/store/change_seq.py``).
  Existing rows get their id as position.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base
from moderation.store import change_seq

revision: str = 'edits_0001'
down_revision: str | None = 'main_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('body_fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column(
            'withdrawn_at', moderation.store.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('change_seq', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))

    op.create_table(
        'comment_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('submitted_at', moderation.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('superseded_at', moderation.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('request_id', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'],
                                name=op.f('fk_comment_revisions_comment_id_comments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_revisions')),
        sa.UniqueConstraint('comment_id', 'revision', name='uq_comment_revisions_comment_revision'),
    )
    counter = op.create_table(
        'change_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_counter')),
    )
    op.execute("UPDATE comments SET change_seq = id")
    last = op.get_bind().execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM comments")).scalar_one()
    op.bulk_insert(counter, [{'id': 1, 'value': int(last)}])
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_site_change_seq', ['site_id', 'change_seq'], unique=False)
    change_seq.install(op)


def downgrade() -> None:
    change_seq.uninstall(op)
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_site_change_seq')
    op.drop_table('change_counter')
    op.drop_table('comment_revisions')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('revision')
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.drop_column('revision')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('change_seq')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('body_fingerprint')
        batch_op.drop_column('revision')
