"""actors: stable actor ids and display names on audit events, decisions and bans

Revision ID: main_0001
Revises: worker_0001
Create Date: 2026-12-01 22:10:00

Every action now names one actor (``user:3``, ``key:7`` or ``system:cli``) by its
stable id, with the display name it had at the time. ``audit_events.actor`` keeps
the id and gains ``actor_name``; decisions keep ``actor`` as the display name and
gain ``actor_id`` (filled from ``actor_key_id`` for older rows); bans gain the ids
of who created and lifted them.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'main_0001'
down_revision: str | None = 'worker_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_name', sa.String(length=200), nullable=True))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_id', sa.String(length=100), nullable=True))
    with op.batch_alter_table('bans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('lifted_by_id', sa.String(length=100), nullable=True))
    op.execute("UPDATE decisions SET actor_id = 'key:' || CAST(actor_key_id AS VARCHAR) "
               "WHERE actor_key_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('bans', schema=None) as batch_op:
        batch_op.drop_column('lifted_by_id')
        batch_op.drop_column('created_by_id')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('actor_id')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('actor_name')
