"""coral: Coral Talk signing secrets (encrypted) and the origin of comments a comment system sent

Revision ID: coral_0001
Revises: adapt_0001
Create Date: 2026-12-02 06:40:00

- ``coral_secrets``: a site's ``empsec_…`` secrets (several active during a rotation),
  AES-GCM encrypted, with a prefix to tell them apart and an optional expiry.
- ``integration_comments``: for each comment Coral's external moderation phase sent,
  Coral's author id and role, story, tenant, and that no IP address came with it.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base

revision: str = 'coral_0001'
down_revision: str | None = 'compcon_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'coral_secrets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('ciphertext', sa.LargeBinary(), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=True),
        sa.Column('created_at', moderation.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('expires_at', moderation.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', moderation.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_by', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_coral_secrets_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coral_secrets')),
        sa.UniqueConstraint('site_id', 'fingerprint', name='uq_coral_secrets_site_fingerprint'),
    )
    op.create_index('ix_coral_secrets_site_revoked', 'coral_secrets', ['site_id', 'revoked_at'])
    op.create_table(
        'integration_comments',
        sa.Column('comment_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('author_id', sa.String(length=200), nullable=False),
        sa.Column('author_role', sa.String(length=40), nullable=True),
        sa.Column('story_id', sa.String(length=200), nullable=False),
        sa.Column('external_comment_id', sa.String(length=200), nullable=True),
        sa.Column('last_action', sa.String(length=10), nullable=False),
        sa.Column('context', sa.JSON(), nullable=False),
        sa.Column('ip_provided', sa.Boolean(), nullable=False),
        sa.Column('created_at', moderation.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', moderation.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'],
                                name=op.f('fk_integration_comments_comment_id_comments')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_integration_comments_site_id_sites')),
        sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_integration_comments')),
    )
    op.create_index('ix_integration_comments_author', 'integration_comments',
                    ['site_id', 'source', 'author_id', 'story_id'])
    op.create_index('ix_integration_comments_external', 'integration_comments',
                    ['site_id', 'source', 'external_comment_id'])


def downgrade() -> None:
    op.drop_index('ix_integration_comments_external', table_name='integration_comments')
    op.drop_index('ix_integration_comments_author', table_name='integration_comments')
    op.drop_table('integration_comments')
    op.drop_index('ix_coral_secrets_site_revoked', table_name='coral_secrets')
    op.drop_table('coral_secrets')
