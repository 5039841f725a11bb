"""languages: the language identified for each verdict, and the comment's current one

Revision ID: main_0004
Revises: main_0003
Create Date: 2026-12-01 23:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'main_0004'
down_revision: str | None = 'main_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.JSON(), nullable=True))
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))
    op.create_index('ix_comments_site_language_id', 'comments', ['site_id', 'language', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_comments_site_language_id', table_name='comments')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.drop_column('language')
