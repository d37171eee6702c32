"""Each workspace's next wake-up instant, so an idle minute reads one row

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-07 15:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wakes',
                    sa.Column('workspace_id', sa.String(length=32), nullable=False),
                    sa.Column('wake_at', storage.models.UTCDateTime(timezone=True), nullable=True),
                    sa.Column('computed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
                    sa.Column('generation', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('workspace_id'))
    op.create_index('ix_wakes_wake_at', 'wakes', ['wake_at'])


def downgrade() -> None:
    op.drop_index('ix_wakes_wake_at', table_name='wakes')
    op.drop_table('wakes')
