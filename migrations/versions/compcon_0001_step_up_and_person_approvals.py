"""compcon: console step-up time; export approvals by a person without a key

Revision ID: compcon_0001
Revises: adapt_0001
Create Date: 2026-12-02 06:30:00

- ``console_sessions.stepped_up_at``: when the person last entered a TOTP code in this
  session to reveal sender details or download an export (valid for 10 minutes);
- ``compliance_export_approvals.key_id`` becomes nullable (a person approves in the
  console, with no key), and one approval per export and person.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base

revision: str = 'compcon_0001'
down_revision: str | None = 'adapt_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('console_sessions') as batch:
        batch.add_column(sa.Column('stepped_up_at', moderation.store.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table('compliance_export_approvals') as batch:
        batch.alter_column('key_id', existing_type=sa.Integer(), nullable=True)
        batch.create_unique_constraint('uq_export_approvals_export_person', ['export_id', 'person_id'])


def downgrade() -> None:
    with op.batch_alter_table('compliance_export_approvals') as batch:
        batch.drop_constraint('uq_export_approvals_export_person', type_='unique')
        batch.alter_column('key_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('console_sessions') as batch:
        batch.drop_column('stepped_up_at')
