"""command fingerprints: an id sent again with other content is told apart from a resend

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: rows already stored keep NULL (their content is not known).
    with op.batch_alter_table('table_event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'command_fingerprint', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('table_event', schema=None) as batch_op:
        batch_op.drop_column('command_fingerprint')
