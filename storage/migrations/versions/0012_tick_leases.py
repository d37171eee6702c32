"""tick leases: one instance computes each workspace's tick per minute

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-07 15:00:00

A new table only: no existing row changes meaning, and downgrading drops it (a lease is worth nothing after a
restart anyway).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tick_leases',
                    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
                    sa.Column('minute', storage.models.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('expires_at', storage.models.UTCDateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('workspace_id'))


def downgrade() -> None:
    op.drop_table('tick_leases')
