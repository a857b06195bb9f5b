"""Who sits at a table: the rules for taking one of the format's roles.

The roles themselves (their ids, names, seats) are the format's (app.game.format); a role is
its id, a string, as seats store it and the wire sends it.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.game.format import Format
from app.game.refusal import Refusal

# The most seats any format may give a table: what the socket limits are sized for.
MAX_SEATS = 7
MAX_NAME_LENGTH = 40


def parse_role(value: str, game: Format) -> str:
    if value not in game.role_ids:
        raise Refusal("unknown_role", "There is no such role.", status=422)
    return value


def check_can_take(role: str, taken: Iterable[str], game: Format) -> None:
    """Raise a Refusal when `role` cannot be taken at a table where `taken` are held."""
    held = list(taken)
    if len(held) >= game.max_seats:
        raise Refusal("table_full", "This table is full.", {"max": game.max_seats})
    seats = game.role(role).seats
    if seats is not None and held.count(role) >= seats:
        raise Refusal("role_taken", "Someone else already has this role.")


def clean_display_name(value: str | None) -> str:
    """Names are optional; keep them short and single-line. Escaping happens when shown."""
    name = " ".join((value or "").split())
    if len(name) > MAX_NAME_LENGTH:
        raise Refusal(
            "name_too_long",
            "A name can be at most %(max)s characters.",
            {"max": MAX_NAME_LENGTH},
            status=422,
        )
    return name
