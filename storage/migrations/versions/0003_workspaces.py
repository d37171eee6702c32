"""every row belongs to a workspace

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00

Existing rows join the single-token workspace (''), so an installation that upgrades keeps working unchanged.
Unique keys that were global (cycle and team names, prompt weeks, outbox keys, people) become per workspace,
with the workspace last so that SQLite's planner keeps using them for the selective leading columns.
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('cycles', 'teams', 'team_leads', 'objectives', 'key_results', 'people', 'prompts', 'prompt_items',
          'checkins', 'deliveries')

# (table, columns of the old global unique key, name of the new per-workspace key)
UNIQUE = (
    ('cycles', ['name'], 'uq_cycles_name_workspace'),
    ('teams', ['name'], 'uq_teams_name_workspace'),
    ('prompts', ['user_id', 'week_key'], 'uq_prompts_user_week_workspace'),
    ('deliveries', ['key'], 'uq_deliveries_key_workspace'),
)

# SQLite's constraints have no names; this convention names them while batch mode copies each table.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}


def _old_unique_name(table: str, columns: list[str]) -> str:
    if op.get_context().dialect.name == 'postgresql':
        return f"{table}_{'_'.join(columns)}_key"
    return f"uq_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    op.create_table('workspaces',
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('stopped_at', storage.models.UTCDateTime(timezone=True), nullable=True),
                    sa.Column('stopped_reason', sa.String(length=32), nullable=True),
                    sa.Column('stopped_token', sa.String(length=16), nullable=True),
                    sa.PrimaryKeyConstraint('id'))
    for table in TABLES:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.add_column(sa.Column('workspace_id', sa.String(length=32), nullable=False, server_default=''))
    for table, columns, new_name in UNIQUE:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint(_old_unique_name(table, columns), type_='unique')
            batch_op.create_unique_constraint(new_name, [*columns, 'workspace_id'])
    pk = 'people_pkey' if op.get_context().dialect.name == 'postgresql' else 'pk_people'
    with op.batch_alter_table('people', naming_convention=NAMING, recreate='always') as batch_op:
        batch_op.drop_constraint(pk, type_='primary')
        batch_op.create_primary_key('pk_people', ['user_id', 'workspace_id'])
    # The default served the rows that existed; new rows always say their workspace.
    for table in TABLES:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.alter_column('workspace_id', server_default=None)


def downgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        with op.batch_alter_table('people') as batch_op:
            batch_op.drop_constraint('pk_people', type_='primary')
            batch_op.create_primary_key('people_pkey', ['user_id'])
    else:
        with op.batch_alter_table('people', naming_convention=NAMING, recreate='always') as batch_op:
            batch_op.drop_constraint('pk_people', type_='primary')
            batch_op.create_primary_key('pk_people', ['user_id'])
    for table, columns, new_name in UNIQUE:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint(new_name, type_='unique')
            batch_op.create_unique_constraint(_old_unique_name(table, columns), columns)
    for table in TABLES:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.drop_column('workspace_id')
    op.drop_table('workspaces')
