"""site-speed: who activated a site model (the adapt run, a rollback or an admin's activate)

Revision ID: site_speed_0001
Revises: people_0002
Create Date: 2026-12-02 14:15:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'site_speed_0001'
down_revision: str | None = 'people_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('site_models') as batch:
        batch.add_column(sa.Column('activated_by', sa.String(length=100), nullable=True))
    # until now only a training run activated a model, as its own actor
    op.execute("UPDATE site_models SET activated_by = trained_by WHERE activated_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('site_models') as batch:
        batch.drop_column('activated_by')
