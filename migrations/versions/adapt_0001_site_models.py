"""adapt: site models learnt from each site's moderators (one row per adaptation run)

Revision ID: adapt_0001
Revises: disclose_0001
Create Date: 2026-12-02 06:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base

revision: str = 'adapt_0001'
down_revision: str | None = 'hooks_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'site_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=60), nullable=False),
        sa.Column('base_version', sa.String(length=100), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('validation', sa.JSON(), nullable=False),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('artifact', sa.LargeBinary(), nullable=True),
        sa.Column('last_decision_id', sa.Integer(), nullable=True),
        sa.Column('trained_by', sa.String(length=100), nullable=False),
        sa.Column('train_seconds', sa.Float(), nullable=True),
        sa.Column('created_at', moderation.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('activated_at', moderation.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('retired_at', moderation.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_models_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_models')),
        sa.UniqueConstraint('site_id', 'version', name=op.f('uq_site_models_site_id')),
    )
    op.create_index('ix_site_models_site_status', 'site_models', ['site_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_site_models_site_status', table_name='site_models')
    op.drop_table('site_models')
