"""KR references, API tokens and observed values

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-04 19:00:00

Existing key results are numbered KR-1, KR-2, ... per workspace in the order they were created (their id).
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None

NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}


def upgrade() -> None:
    with op.batch_alter_table('key_results', naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('ref', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('observed_value', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('observed_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('observed_origin', sa.String(length=32), nullable=True))
    # A correlated count instead of row_number(): one statement that both backends run in an UPDATE.
    op.execute("UPDATE key_results SET ref = (SELECT count(*) FROM key_results AS k "
               "WHERE k.workspace_id = key_results.workspace_id AND k.id <= key_results.id)")
    with op.batch_alter_table('key_results', naming_convention=NAMING) as batch_op:
        batch_op.create_unique_constraint('uq_key_results_ref_workspace', ['ref', 'workspace_id'])
    op.create_table('api_tokens',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('workspace_id', sa.String(length=32), nullable=False),
                    sa.Column('name', sa.String(length=80), nullable=False),
                    sa.Column('token_hash', sa.String(length=64), nullable=False),
                    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('last_used_at', storage.models.UTCDateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('name', 'workspace_id', name='uq_api_tokens_name_workspace'),
                    sa.UniqueConstraint('token_hash'))
    op.create_table('observed_values',
                    sa.Column('workspace_id', sa.String(length=32), nullable=False),
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('kr_id', sa.Integer(), nullable=False),
                    sa.Column('value', sa.Float(), nullable=False),
                    sa.Column('observed_at', storage.models.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('recorded_at', storage.models.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('origin', sa.String(length=32), nullable=False),
                    sa.Column('note', sa.String(length=3000), nullable=False),
                    sa.Column('token_id', sa.Integer(), nullable=True),
                    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
                    sa.ForeignKeyConstraint(['kr_id'], ['key_results.id']),
                    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], ondelete='SET NULL'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('token_id', 'idempotency_key', name='uq_observed_values_token_idempotency'))
    op.create_index('ix_observed_values_kr_id', 'observed_values', ['kr_id'])


def downgrade() -> None:
    op.drop_index('ix_observed_values_kr_id', table_name='observed_values')
    op.drop_table('observed_values')
    op.drop_table('api_tokens')
    with op.batch_alter_table('key_results', naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint('uq_key_results_ref_workspace', type_='unique')
        batch_op.drop_column('observed_origin')
        batch_op.drop_column('observed_at')
        batch_op.drop_column('observed_value')
        batch_op.drop_column('ref')
