"""Who may do what at a table: the role rules for each command, given the round."""

from __future__ import annotations

from app.game.clock import Clock
from app.game.refusal import Refusal
from app.game.roles import Role

# Reporter keeps the record; the observer reflects (GAME.md: "legt verslag", "reflecteert").
NOTE_WRITERS: dict[str, frozenset[Role]] = {
    "development": frozenset({Role.REPORTER}),
    "stands_out": frozenset({Role.REPORTER}),
    "recommendations": frozenset({Role.REPORTER}),
    "connections": frozenset({Role.REPORTER}),
    "reflection": frozenset({Role.OBSERVER}),
}
# The record of one interview, in the order the report prints it.
NOTE_FIELDS: tuple[str, ...] = tuple(NOTE_WRITERS)


def board_movers(clock: Clock) -> frozenset[Role]:
    """The respondent whose interview it is lays the cards, as on paper: the interviewer asks
    (script, clock, board) and the respondent lays; nobody else moves them (issue #19)."""
    return frozenset({clock.respondent})


def check_board_command(role: Role, command: str, clock: Clock) -> None:
    if clock.status == "waiting":
        # The cards are laid during an interview, never before it (GAME.md; docs/protocol.md).
        raise Refusal("round_not_started", "The round has not started yet: wait for the start.")
    if clock.status == "ended":
        raise Refusal("board_locked", "The round has ended: the board is locked.")
    allowed = board_movers(clock)
    if command == "explain":
        allowed = allowed | {Role.REPORTER}  # the reporter writes explanations down as cards land
    if role not in allowed:
        if role in (Role.RESPONDENT_1, Role.RESPONDENT_2):
            raise Refusal(
                "not_your_turn",
                "It is not your turn: this round interviews the other respondent.",
                status=403,
            )
        raise Refusal("not_allowed", "Your role cannot do this.", status=403)


def check_note(role: Role, field: str) -> None:
    if role not in NOTE_WRITERS.get(field, frozenset()):
        raise Refusal("not_allowed", "Your role cannot do this.", status=403)
