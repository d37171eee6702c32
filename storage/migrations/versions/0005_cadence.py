"""a cadence that fits people's lives: holiday calendars, away weeks, Slack statuses, edited check-ins

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04 18:45:00

Teams name a public-holiday calendar; people keep their Slack status; prompts say why okrbot skipped a week by
itself; absences hold /okr away; an edited check-in keeps its old version, marked replaced. Every new column is empty or has a default, so existing rows keep their meaning.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('absences',
                    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('start', sa.Date(), nullable=False),
                    sa.Column('until', sa.Date(), nullable=True),
                    sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holidays', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    with op.batch_alter_table('prompts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_text', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('status_emoji', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('status_expiration', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('status_fetched_at', storage.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaced_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_checkins_first_id', 'checkins', ['first_id'], ['id'])
    # The defaults served the rows that existed; new rows always say their status.
    with op.batch_alter_table('people', schema=None) as batch_op:
        for column in ('status_text', 'status_emoji', 'status_expiration'):
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_constraint('fk_checkins_first_id', type_='foreignkey')
        batch_op.drop_column('first_id')
        batch_op.drop_column('replaced_at')
    # Plain columns without constraints: SQLite (3.35 and later) drops them in place. A batch would copy the table
    # and DROP the old one, which SQLite refuses with foreign keys on while objectives point at teams.
    for table, column in (('people', 'status_fetched_at'), ('people', 'status_expiration'),
                          ('people', 'status_emoji'), ('people', 'status_text'), ('prompts', 'away'),
                          ('teams', 'holidays')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absences_user_id'))
    op.drop_table('absences')
