"""when sources are read: each KR's next read and last failure, and the read slot of an observed value

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-07 15:00:00

Every new column is empty, so existing KRs have nothing to read until a source is set, and existing observed values
(pushed through the API) belong to no read slot.
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('key_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_next_read_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('source_note', sa.String(length=200), nullable=True))
    op.create_index('ix_key_results_source_next_read_at', 'key_results', ['source_next_read_at'])
    with op.batch_alter_table('observed_values', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_slot', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint('uq_observed_values_kr_read_slot', ['kr_id', 'read_slot'])


def downgrade() -> None:
    # observed_values is no table's parent, so SQLite may copy it to drop the constraint.
    with op.batch_alter_table('observed_values', schema=None) as batch_op:
        batch_op.drop_constraint('uq_observed_values_kr_read_slot', type_='unique')
        batch_op.drop_column('read_slot')
    op.drop_index('ix_key_results_source_next_read_at', table_name='key_results')
    # Plain columns: SQLite (3.35 and later) drops them in place. A batch would copy key_results and DROP the old
    # one, which SQLite refuses with foreign keys on while check-ins point at it.
    for column in ('source_note', 'source_next_read_at'):
        op.execute(f'ALTER TABLE key_results DROP COLUMN {column}')
