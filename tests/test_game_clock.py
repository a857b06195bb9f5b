"""The round clock (app.game.clock) and who may do what in each round (app.game.permissions).

Every time is an epoch millisecond the test chooses, so nothing here waits or reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from app.deck import default_cards_dir, load_library
from app.game import clock as clocks
from app.game import permissions
from app.game.clock import LOOK_MS, MAX_EXTEND_MINUTES, Clock, end, extend, pause, start
from app.game.refusal import Refusal

# The rules as today's game plays them: the format in cards/llo.format.yaml.
LLO = load_library(default_cards_dir()).format("llo")
NOTE_WRITERS = {note.id: note.writers for note in LLO.notes}


class Role:
    """The llo format's role ids, by name."""

    INTERVIEWER = "interviewer"
    RESPONDENT_1 = "respondent1"
    RESPONDENT_2 = "respondent2"
    REPORTER = "reporter"
    OBSERVER = "observer"


ALL_ROLES = list(LLO.role_ids)


def new_clock(round_minutes: int) -> Clock:
    return clocks.new_clock(round_minutes, LLO.steps)


def check_board_command(role: str, command: str, clock: Clock) -> None:
    permissions.check_board_command(role, command, clock, LLO)


def check_note(role: str, field: str) -> None:
    permissions.check_note(role, field, LLO)


T0 = 1_764_000_000_000  # 24 November 2025, around the workshop
MINUTE = 60_000
BOARD_COMMANDS = ("place", "return", "explain", "name")


def refused(call: Callable[..., object], *args: object) -> Refusal:
    with pytest.raises(Refusal) as raised:
        call(*args)
    return raised.value


def running_round_two(base_minutes: int = 15) -> Clock:
    clock = end(start(new_clock(base_minutes), T0), T0 + 15 * MINUTE)
    return start(clock, T0 + 20 * MINUTE)


# --- one round: start, pause, resume, extend, end ------------------------------------------


def test_a_new_clock_waits_with_the_full_round() -> None:
    clock = new_clock(15)
    assert (clock.number, clock.status) == (1, "waiting")
    assert clock.duration_ms == 15 * MINUTE
    assert clock.remaining(T0) == clock.remaining(T0 + 99 * MINUTE) == 15 * MINUTE
    assert clock.deadline_ms is None and clock.look_until() is None
    assert clock.respondent == Role.RESPONDENT_1
    assert not clock.is_due(T0 + 99 * MINUTE)


def test_start_sets_the_deadline_and_the_minute_to_look() -> None:
    clock = start(new_clock(15), T0)
    assert clock.status == "running"
    assert clock.deadline_ms == T0 + 15 * MINUTE
    assert clock.started_ms == T0
    assert clock.look_until() == T0 + LOOK_MS == T0 + 60_000
    assert clock.remaining(T0) == 15 * MINUTE
    assert clock.remaining(T0 + 61_500) == 15 * MINUTE - 61_500
    assert clock.remaining(T0 + 16 * MINUTE) == 0  # never negative


def test_is_due_from_the_deadline_on_while_running() -> None:
    clock = start(new_clock(15), T0)
    deadline = T0 + 15 * MINUTE
    assert not clock.is_due(deadline - 1)
    assert clock.is_due(deadline)
    assert clock.is_due(deadline + 5 * MINUTE)
    assert not pause(clock, T0 + MINUTE).is_due(deadline + MINUTE)
    assert not end(clock, deadline).is_due(deadline + MINUTE)


def test_start_while_running_is_refused() -> None:
    clock = start(new_clock(15), T0)
    assert refused(start, clock, T0 + 1).code == "already_running"


def test_pause_keeps_what_remains_and_resume_starts_from_there() -> None:
    clock = start(new_clock(15), T0)
    paused = pause(clock, T0 + 4 * MINUTE)
    assert paused.status == "paused" and paused.deadline_ms is None
    assert paused.remaining(T0 + 4 * MINUTE) == 11 * MINUTE
    assert paused.remaining(T0 + 60 * MINUTE) == 11 * MINUTE  # paused time does not count
    resumed = start(paused, T0 + 30 * MINUTE)
    assert resumed.status == "running"
    assert resumed.deadline_ms == T0 + 41 * MINUTE
    assert resumed.started_ms == T0  # the round's first start, not the resume
    assert resumed.look_until() == T0 + LOOK_MS
    assert resumed.number == 1


def test_pause_needs_a_running_round() -> None:
    assert refused(pause, new_clock(15), T0).code == "not_running"
    paused = pause(start(new_clock(15), T0), T0 + 1)
    assert refused(pause, paused, T0 + 2).code == "not_running"
    ended = end(start(new_clock(15), T0), T0 + 1)
    assert refused(pause, ended, T0 + 2).code == "not_running"


def test_extend_while_running_moves_the_deadline() -> None:
    clock = start(new_clock(15), T0)
    longer = extend(clock, 2, T0 + 5 * MINUTE)
    assert longer.status == "running"
    assert longer.duration_ms == 17 * MINUTE
    assert longer.deadline_ms == T0 + 17 * MINUTE
    assert longer.remaining(T0 + 5 * MINUTE) == 12 * MINUTE


def test_extend_while_paused_adds_to_what_remains() -> None:
    paused = pause(start(new_clock(15), T0), T0 + 5 * MINUTE)
    longer = extend(paused, 3, T0 + 6 * MINUTE)
    assert longer.status == "paused" and longer.deadline_ms is None
    assert longer.duration_ms == 18 * MINUTE
    assert longer.remaining(T0 + 9 * MINUTE) == 13 * MINUTE
    assert start(longer, T0 + 10 * MINUTE).deadline_ms == T0 + 23 * MINUTE


def test_extend_before_the_start_lengthens_the_round() -> None:
    longer = extend(new_clock(15), 5, T0)
    assert longer.status == "waiting"
    assert longer.duration_ms == longer.remaining(T0) == 20 * MINUTE
    assert start(longer, T0).deadline_ms == T0 + 20 * MINUTE


@pytest.mark.parametrize("minutes", [0, -1, MAX_EXTEND_MINUTES + 1, 600])
def test_extend_outside_its_bounds_is_refused(minutes: int) -> None:
    clock = start(new_clock(15), T0)
    refusal = refused(extend, clock, minutes, T0)
    assert refusal.code == "bad_minutes" and refusal.status == 422


@pytest.mark.parametrize("minutes", [1, MAX_EXTEND_MINUTES])
def test_extend_at_its_bounds_is_allowed(minutes: int) -> None:
    clock = start(new_clock(15), T0)
    assert extend(clock, minutes, T0).deadline_ms == T0 + (15 + minutes) * MINUTE


def test_end_stops_the_round() -> None:
    clock = end(start(new_clock(15), T0), T0 + 7 * MINUTE)
    assert clock.status == "ended" and clock.number == 1
    assert clock.deadline_ms is None
    assert clock.remaining(T0 + 7 * MINUTE) == 0
    assert refused(end, clock, T0 + 8 * MINUTE).code == "round_ended"
    assert refused(extend, clock, 2, T0 + 8 * MINUTE).code == "round_ended"


def test_end_while_paused() -> None:
    clock = end(pause(start(new_clock(15), T0), T0 + MINUTE), T0 + 2 * MINUTE)
    assert clock.status == "ended" and clock.remaining(T0) == 0


# --- two rounds --------------------------------------------------------------------------------


def test_start_after_round_one_begins_round_two_with_a_fresh_round() -> None:
    now = T0 + 20 * MINUTE
    clock = running_round_two()
    assert (clock.number, clock.status) == (2, "running")
    assert clock.respondent == Role.RESPONDENT_2
    assert clock.duration_ms == 15 * MINUTE
    assert clock.deadline_ms == now + 15 * MINUTE
    assert clock.remaining(now) == 15 * MINUTE
    assert clock.started_ms == now and clock.look_until() == now + LOOK_MS


def test_round_two_after_an_early_whistle_still_gets_the_full_round() -> None:
    clock = end(start(new_clock(15), T0), T0 + 3 * MINUTE)
    clock = start(clock, T0 + 4 * MINUTE)
    assert clock.deadline_ms == T0 + 19 * MINUTE


def test_round_two_does_not_inherit_round_one_extensions() -> None:
    clock = extend(start(new_clock(15), T0), 10, T0 + MINUTE)
    clock = end(clock, T0 + 25 * MINUTE)
    clock = start(clock, T0 + 30 * MINUTE)
    assert clock.number == 2
    assert clock.duration_ms == 15 * MINUTE
    assert clock.deadline_ms == T0 + 45 * MINUTE


def test_after_both_rounds_start_is_refused() -> None:
    clock = end(running_round_two(), T0 + 40 * MINUTE)
    assert (clock.number, clock.status) == (2, "ended")
    assert refused(start, clock, T0 + 41 * MINUTE).code == "all_rounds_played"


def test_round_two_pauses_and_resumes_like_round_one() -> None:
    now = T0 + 20 * MINUTE
    clock = pause(running_round_two(), now + 5 * MINUTE)
    clock = start(clock, now + 8 * MINUTE)
    assert (clock.number, clock.status) == (2, "running")
    assert clock.deadline_ms == now + 18 * MINUTE
    assert clock.started_ms == now


# --- permissions: the respondent of the round lays the cards, the interviewer asks ---------


def clock_in(round_number: int, status: str = "running") -> Clock:
    return replace(new_clock(15), number=round_number, status=status)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["running", "paused"])
@pytest.mark.parametrize("command", BOARD_COMMANDS)
def test_round_one_respondent_may_move_cards(command: str, status: str) -> None:
    check_board_command(Role.RESPONDENT_1, command, clock_in(1, status))


@pytest.mark.parametrize("round_number", [1, 2])
@pytest.mark.parametrize("command", BOARD_COMMANDS)
def test_the_interviewer_asks_and_does_not_touch_the_cards(command: str, round_number: int) -> None:
    """The paper game: the interviewer asks, the respondent lays (issue #19)."""
    refusal = refused(check_board_command, Role.INTERVIEWER, command, clock_in(round_number))
    assert refusal.code == "not_allowed" and refusal.status == 403


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("command", BOARD_COMMANDS)
def test_before_the_round_starts_nothing_is_laid(role: str, command: str) -> None:
    refusal = refused(check_board_command, role, command, clock_in(1, "waiting"))
    assert refusal.code == "round_not_started"


@pytest.mark.parametrize("command", BOARD_COMMANDS)
def test_the_first_minute_of_looking_advises_and_refuses_nothing(command: str) -> None:
    clock = start(new_clock(15), T0)
    assert clock.look_until() == T0 + LOOK_MS  # the phones show "look at the cards" until then
    check_board_command(Role.RESPONDENT_1, command, clock)


@pytest.mark.parametrize("command", BOARD_COMMANDS)
def test_the_other_respondent_is_told_it_is_not_their_turn(command: str) -> None:
    refusal = refused(check_board_command, Role.RESPONDENT_2, command, clock_in(1))
    assert refusal.code == "not_your_turn" and refusal.status == 403
    refusal = refused(check_board_command, Role.RESPONDENT_1, command, clock_in(2))
    assert refusal.code == "not_your_turn"


@pytest.mark.parametrize("command", BOARD_COMMANDS)
def test_round_two_belongs_to_respondent_two(command: str) -> None:
    check_board_command(Role.RESPONDENT_2, command, clock_in(2))


@pytest.mark.parametrize("round_number", [1, 2])
def test_the_reporter_explains_but_does_not_move_cards(round_number: int) -> None:
    check_board_command(Role.REPORTER, "explain", clock_in(round_number))
    for command in ("place", "return", "name"):
        refusal = refused(check_board_command, Role.REPORTER, command, clock_in(round_number))
        assert refusal.code == "not_allowed" and refusal.status == 403


@pytest.mark.parametrize("command", BOARD_COMMANDS)
def test_the_observer_does_not_touch_the_board(command: str) -> None:
    assert refused(check_board_command, Role.OBSERVER, command, clock_in(1)).code == "not_allowed"


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("command", BOARD_COMMANDS)
def test_after_the_whistle_the_board_is_locked_for_everyone(role: str, command: str) -> None:
    for round_number in (1, 2):
        refusal = refused(check_board_command, role, command, clock_in(round_number, "ended"))
        assert refusal.code == "board_locked"


REPORTER_FIELDS = ("development", "stands_out", "recommendations", "connections")


def test_the_reporter_writes_the_record_and_the_observer_the_reflection() -> None:
    assert set(NOTE_WRITERS) == {*REPORTER_FIELDS, "reflection"}
    for field in REPORTER_FIELDS:
        check_note(Role.REPORTER, field)
        assert refused(check_note, Role.OBSERVER, field).code == "not_allowed"
    check_note(Role.OBSERVER, "reflection")
    assert refused(check_note, Role.REPORTER, "reflection").code == "not_allowed"


@pytest.mark.parametrize("role", [Role.INTERVIEWER, Role.RESPONDENT_1, Role.RESPONDENT_2])
def test_interviewer_and_respondents_write_no_notes(role: str) -> None:
    for field in (*REPORTER_FIELDS, "reflection"):
        refusal = refused(check_note, role, field)
        assert refusal.code == "not_allowed" and refusal.status == 403


def test_an_unknown_note_field_is_nobody_s() -> None:
    for role in ALL_ROLES:
        assert refused(check_note, role, "diary").code == "not_allowed"
