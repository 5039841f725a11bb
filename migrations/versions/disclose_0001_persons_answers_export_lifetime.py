"""disclose: key creators/persons, approvals by person, answered cases, export lifetime

Revision ID: disclose_0001
Revises: console_0001
Create Date: 2026-12-01 23:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base

revision: str = 'disclose_0001'
down_revision: str | None = 'console_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('created_by', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('person_id', sa.String(length=100), nullable=True))
    with op.batch_alter_table('disclosure_requests') as batch:
        batch.add_column(sa.Column('close_reason', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('answered_at', moderation.store.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table('compliance_exports') as batch:
        batch.add_column(sa.Column('created_by_person', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('created_by_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('encrypted', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('downloaded_at', moderation.store.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('deleted_at', moderation.store.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('deleted_reason', sa.String(length=200), nullable=True))
    with op.batch_alter_table('compliance_export_approvals') as batch:
        batch.add_column(sa.Column('person_id', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('approved_by_name', sa.String(length=200), nullable=True))
    # Cases already downloaded can't be told apart; exported ones count as answered as before.
    op.execute("UPDATE disclosure_requests SET answered_at = created_at WHERE status = 'exported'")


def downgrade() -> None:
    with op.batch_alter_table('compliance_export_approvals') as batch:
        batch.drop_column('approved_by_name')
        batch.drop_column('person_id')
    with op.batch_alter_table('compliance_exports') as batch:
        for name in ('deleted_reason', 'deleted_at', 'downloaded_at', 'encrypted', 'created_by_name',
                     'created_by_person'):
            batch.drop_column(name)
    with op.batch_alter_table('disclosure_requests') as batch:
        batch.drop_column('answered_at')
        batch.drop_column('close_reason')
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('person_id')
        batch.drop_column('created_by')
