"""check-ins indexed by KR and time, and by week and KR: a report reads only the weeks it shows

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 23:00:00

storage.checkins.recent_checkins reads each KR's check-ins after an instant and its two latest before it. Through
the index on kr_id alone both read (and sorted) every check-in the KR ever had, so a status cost more the longer a
KR had been checked in on; (kr_id, created_at, id) serves both in index order, and every lookup by kr_id as the old
index did, which it replaces. storage.prompts.week_rows asks of every prompt of a KR whether the KR has a check-in
for it: SQLite answered through the KR's index, reading all its check-ins for each of its weeks, where
(prompt_id, kr_id, created_at) answers from the index alone (and replaces the index on prompt_id). No row changes.
"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_checkins_kr_id_created_at', 'checkins', ['kr_id', 'created_at', 'id'])
    op.drop_index('ix_checkins_kr_id', table_name='checkins')
    op.create_index('ix_checkins_prompt_id_kr_id', 'checkins', ['prompt_id', 'kr_id', 'created_at'])
    op.drop_index('ix_checkins_prompt_id', table_name='checkins')


def downgrade() -> None:
    op.create_index('ix_checkins_prompt_id', 'checkins', ['prompt_id'])
    op.drop_index('ix_checkins_prompt_id_kr_id', table_name='checkins')
    op.create_index('ix_checkins_kr_id', 'checkins', ['kr_id'])
    op.drop_index('ix_checkins_kr_id_created_at', table_name='checkins')
