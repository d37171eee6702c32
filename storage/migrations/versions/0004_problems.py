"""messages held for a person, the problems behind them, deactivated people

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:00:00

deliveries.next_try_at holds a message Slack refused for a reason only a person can fix (tried once an hour);
problems records each such reason once per channel, person or token; people.deactivated_at marks owners whose
Slack account is gone.
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.add_column(sa.Column('next_try_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('people') as batch_op:
        batch_op.add_column(sa.Column('deactivated_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    op.create_table('problems',
                    sa.Column('workspace_id', sa.String(length=32), nullable=False),
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('subject', sa.String(length=32), nullable=False),
                    sa.Column('kind', sa.String(length=16), nullable=False),
                    sa.Column('error', sa.String(length=64), nullable=False),
                    sa.Column('first_seen_at', storage.models.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('told_at', storage.models.UTCDateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('subject', 'workspace_id', name='uq_problems_subject_workspace'))
    op.create_index('ix_problems_told_at', 'problems', ['told_at'])


def downgrade() -> None:
    op.drop_index('ix_problems_told_at', table_name='problems')
    op.drop_table('problems')
    with op.batch_alter_table('people') as batch_op:
        batch_op.drop_column('deactivated_at')
    with op.batch_alter_table('deliveries') as batch_op:
        batch_op.drop_column('next_try_at')
