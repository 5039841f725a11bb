"""people: a site setting that requires TOTP of the moderators acting on it

Revision ID: people_0002
Revises: people_0001
Create Date: 2026-12-02 07:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'people_0002'
down_revision: str | None = 'people_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('moderator_totp_required', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('moderator_totp_required')
