"""KR sources: where a key result's number is read from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:00:00

key_results.source holds the source definition as written in the OKR file (JSON text, ${VAR} references kept),
or NULL for a KR whose value is only checked in or pushed. Existing KRs have none.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('key_results', sa.Column('source', sa.Text(), nullable=True))


def downgrade() -> None:
    # A plain column without constraints: SQLite (3.35 and later) drops it in place, where a batch would copy the
    # table and DROP the old one, which SQLite refuses with foreign keys on while observed values point at KRs.
    op.execute('ALTER TABLE key_results DROP COLUMN source')
