"""frozen copies: each workshop keeps the deck and script it was created with

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:30:00

Workshops created before this revision are back-filled from the cards the app runs with
(CARDS_DIR, else the repository's cards/): what they were rendered with until now.
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

logger = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    copies = op.create_table(
        "frozen_copy",
        sa.Column("workshop_id", sa.String(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["workshop_id"], ["workshop.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workshop_id"),
    )
    _back_fill(copies)


def _back_fill(copies: sa.Table) -> None:
    # Imported here: only a database with workshops needs the decks read.
    connection = op.get_bind()
    workshops = connection.execute(sa.text("SELECT id, deck_id FROM workshop")).all()
    if not workshops:
        return
    from app.deck import load_library
    from app.settings import get_settings
    from app.workshops.frozen import copy_content, library_decks

    cards_dir = context.config.attributes.get("cards_dir") or get_settings().cards_dir
    library = load_library(cards_dir)
    rows = []
    for workshop_id, deck_id in workshops:
        decks = library_decks(library, deck_id)
        if not decks:  # its deck was removed from cards/: it could not be shown before either
            logger.warning("workshop %s: deck %r is not in %s", workshop_id, deck_id, cards_dir)
            continue
        rows.append({"workshop_id": workshop_id, "content": copy_content(decks, library)})
    if rows:
        op.bulk_insert(copies, rows)


def downgrade() -> None:
    op.drop_table("frozen_copy")
