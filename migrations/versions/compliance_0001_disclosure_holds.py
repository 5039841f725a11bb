"""compliance: disclosure requests, exports, approvals, legal holds

Revision ID: compliance_0001
Revises: 0001
Create Date: 2026-11-29 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import moderation.store.base

revision: str = 'compliance_0001'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = moderation.store.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'disclosure_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('authority', sa.String(length=300), nullable=False),
        sa.Column('legal_reference', sa.String(length=300), nullable=False),
        sa.Column('legal_basis', sa.String(length=1000), nullable=False),
        sa.Column('received_at', UTC(timezone=True), nullable=False),
        sa.Column('due_at', UTC(timezone=True), nullable=False),
        sa.Column('scope', sa.JSON(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_by_key_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('closed_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_disclosure_requests_site_id_sites')),
        sa.ForeignKeyConstraint(['created_by_key_id'], ['api_keys.id'],
                                name=op.f('fk_disclosure_requests_created_by_key_id_api_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure_requests')),
    )
    with op.batch_alter_table('disclosure_requests', schema=None) as batch_op:
        batch_op.create_index('ix_disclosure_requests_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_requests_site_id'), ['site_id'], unique=False)

    op.create_table(
        'compliance_exports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('format', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('record_count', sa.Integer(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('approval_required', sa.Boolean(), nullable=False),
        sa.Column('created_by_key_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['disclosure_requests.id'],
                                name=op.f('fk_compliance_exports_request_id_disclosure_requests')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'],
                                name=op.f('fk_compliance_exports_site_id_sites')),
        sa.ForeignKeyConstraint(['created_by_key_id'], ['api_keys.id'],
                                name=op.f('fk_compliance_exports_created_by_key_id_api_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_exports')),
    )
    with op.batch_alter_table('compliance_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_exports_request_id'), ['request_id'], unique=False)

    op.create_table(
        'compliance_export_approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('export_id', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.Integer(), nullable=False),
        sa.Column('approved_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['export_id'], ['compliance_exports.id'],
                                name=op.f('fk_compliance_export_approvals_export_id_compliance_exports')),
        sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'],
                                name=op.f('fk_compliance_export_approvals_key_id_api_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_export_approvals')),
        sa.UniqueConstraint('export_id', 'key_id', name='uq_export_approvals_export_key'),
    )
    with op.batch_alter_table('compliance_export_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_export_approvals_export_id'), ['export_id'],
                              unique=False)

    op.create_table(
        'legal_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('scope', sa.JSON(), nullable=False),
        sa.Column('reference', sa.String(length=300), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('created_by_key_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('expires_at', UTC(timezone=True), nullable=True),
        sa.Column('released_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_legal_holds_site_id_sites')),
        sa.ForeignKeyConstraint(['created_by_key_id'], ['api_keys.id'],
                                name=op.f('fk_legal_holds_created_by_key_id_api_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds')),
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_holds_site_id'), ['site_id'], unique=False)


def downgrade() -> None:
    op.drop_table('legal_holds')
    op.drop_table('compliance_export_approvals')
    op.drop_table('compliance_exports')
    op.drop_table('disclosure_requests')
