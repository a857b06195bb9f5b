"""Who may do what at a table: the role rules for each command, given the format and the round."""

from __future__ import annotations

from app.game.clock import Clock
from app.game.format import Format
from app.game.refusal import Refusal


def board_movers(clock: Clock) -> frozenset[str]:
    """The role whose step it is lays the cards, as on paper: the interviewer asks (script,
    clock, board) and the respondent lays; nobody else moves them (issue #19)."""
    return frozenset({clock.respondent})


def check_board_command(role: str, command: str, clock: Clock, game: Format) -> None:
    if clock.status == "waiting":
        # The cards are laid during an interview, never before it (GAME.md; docs/protocol.md).
        raise Refusal("round_not_started", "The round has not started yet: wait for the start.")
    if clock.status == "ended":
        raise Refusal("board_locked", "The round has ended: the board is locked.")
    allowed = board_movers(clock)
    if command == "explain":
        # The reporter writes explanations down as cards land.
        allowed = allowed | game.board.explainers
    if role not in allowed:
        if role in game.leaders:
            raise Refusal(
                "not_your_turn",
                "It is not your turn: this round interviews the other respondent.",
                status=403,
            )
        raise Refusal("not_allowed", "Your role cannot do this.", status=403)


def check_note(role: str, field: str, game: Format) -> None:
    if field not in game.note_ids or role not in game.note(field).writers:
        raise Refusal("not_allowed", "Your role cannot do this.", status=403)
