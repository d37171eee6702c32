"""the end of the quarter: gradings with their retrospective, and each KR's grade

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-04 18:40:00

A grading is one team's cycle graded once; a re-grade adds a new grading and marks the old one superseded, so
the history stays.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gradings',
                    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('team_id', sa.Integer(), nullable=False),
                    sa.Column('cycle_id', sa.Integer(), nullable=False),
                    sa.Column('graded_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('graded_at', storage.models.UTCDateTime(timezone=True), nullable=False),
                    sa.Column('superseded_at', storage.models.UTCDateTime(timezone=True), nullable=True),
                    sa.Column('worked', sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
                    sa.Column('did_not_work', sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
                    sa.Column('learned', sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
                    sa.Column('change_next', sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
                    sa.Column('source_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
                    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id']),
                    sa.ForeignKeyConstraint(['team_id'], ['teams.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('source_key'))
    op.create_index(op.f('ix_gradings_cycle_id'), 'gradings', ['cycle_id'], unique=False)
    op.create_index(op.f('ix_gradings_team_id'), 'gradings', ['team_id'], unique=False)
    op.create_table('kr_grades',
                    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
                    sa.Column('grading_id', sa.Integer(), nullable=False),
                    sa.Column('kr_id', sa.Integer(), nullable=False),
                    sa.Column('final_value', sa.Float(), nullable=True),
                    sa.Column('computed', sa.Float(), nullable=False),
                    sa.Column('grade', sa.Float(), nullable=False),
                    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
                    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
                    sa.Column('carried_kr_id', sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(['carried_kr_id'], ['key_results.id']),
                    sa.ForeignKeyConstraint(['grading_id'], ['gradings.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['kr_id'], ['key_results.id']),
                    sa.PrimaryKeyConstraint('grading_id', 'kr_id'))
    op.create_index(op.f('ix_kr_grades_kr_id'), 'kr_grades', ['kr_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_kr_grades_kr_id'), table_name='kr_grades')
    op.drop_table('kr_grades')
    op.drop_index(op.f('ix_gradings_team_id'), table_name='gradings')
    op.drop_index(op.f('ix_gradings_cycle_id'), table_name='gradings')
    op.drop_table('gradings')
