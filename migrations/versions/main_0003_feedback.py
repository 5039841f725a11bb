"""feedback: labelled suggestions (Perspective suggestscore) for per-site learning

Revision ID: main_0003
Revises: settings_0001
Create Date: 2026-12-01 22:55:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base

revision: str = 'main_0003'
down_revision: str | None = 'settings_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=40), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=True),
        sa.Column('attribute', sa.String(length=64), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('community_id', sa.String(length=1000), nullable=True),
        sa.Column('client_token', sa.String(length=1000), nullable=True),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('created_at', moderation.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_feedback_comment_id_comments')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_feedback_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    )
    op.create_index('ix_feedback_site_created', 'feedback', ['site_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_feedback_site_created', table_name='feedback')
    op.drop_table('feedback')
