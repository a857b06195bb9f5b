"""one index less per move: table_event.table_id is covered by unique (table_id, seq)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 22:40:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('table_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_table_event_table_id'))


def downgrade() -> None:
    with op.batch_alter_table('table_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_table_event_table_id'), ['table_id'], unique=False)
