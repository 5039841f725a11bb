"""worker: a batch claim (lease) on pending comments

Revision ID: worker_0001
Revises: moderators_0001
Create Date: 2026-11-30 03:40:00

A moderation task now claims a batch of pending comments (its own first) and
moderates them together. The claim is a short lease (``claimed_until``) with its
holder (``claimed_by``, the Celery task id) so concurrent workers don't repeat each
other's work; the verdict itself is still guarded by ``status = 'pending'``.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base

revision: str = 'worker_0001'
down_revision: str | None = 'moderators_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'claimed_until', moderation.store.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_until')
