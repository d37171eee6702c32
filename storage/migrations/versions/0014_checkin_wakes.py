"""A check-in wakes only the alerts job: wakes count check-ins and the ones the alerts job has seen

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 23:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wakes') as batch_op:
        batch_op.add_column(sa.Column('checkins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('checkins_seen', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('wakes') as batch_op:
        batch_op.drop_column('checkins_seen')
        batch_op.drop_column('checkins')
