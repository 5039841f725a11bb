"""moderators: denormalised verdict/decision columns on comments, list indexes

Revision ID: moderators_0001
Revises: compliance_0001
Create Date: 2026-11-29 11:00:00

The moderators' list filters and sorts on the latest verdict's scores and reason
codes and on the latest moderator decision. Copying them onto the comment row
(written by the worker's claim and by the decision endpoint) keeps every list
query a single-table keyset scan, which is what stays fast at a million rows.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base

revision: str = 'moderators_0001'
down_revision: str | None = 'compliance_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scores', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reason_codes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('last_decision', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column(
            'decided_at', moderation.store.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_comments_site_id_id', ['site_id', 'id'], unique=False)
        batch_op.create_index('ix_comments_toxicity_id', ['toxicity', 'id'], unique=False)
        batch_op.create_index('ix_comments_site_toxicity_id', ['site_id', 'toxicity', 'id'],
                              unique=False)
        batch_op.create_index('ix_comments_site_article_id', ['site_id', 'article_id', 'id'],
                              unique=False)
        batch_op.create_index('ix_comments_pseudonym_id', ['sender_pseudonym', 'id'], unique=False)
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.create_index('ix_verdicts_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.drop_index('ix_verdicts_created_at')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_created_at')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_pseudonym_id')
        batch_op.drop_index('ix_comments_site_article_id')
        batch_op.drop_index('ix_comments_site_toxicity_id')
        batch_op.drop_index('ix_comments_toxicity_id')
        batch_op.drop_index('ix_comments_site_id_id')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('last_decision')
        batch_op.drop_column('reason_codes')
        batch_op.drop_column('scores')
