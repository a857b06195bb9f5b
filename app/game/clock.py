"""The round clock: two rounds, one per respondent, each with a deadline the server owns.

All times are epoch milliseconds passed in by the caller, so the rules are testable without
waiting. Status: waiting → running ⇄ paused → ended; starting after round 1 ended begins round 2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from app.game.refusal import Refusal
from app.game.roles import Role

Status = Literal["waiting", "running", "paused", "ended"]
ROUNDS = 2
LOOK_MS = 60_000  # "Neem 1 minuut en kijk naar de kaarten"
MAX_EXTEND_MINUTES = 30


@dataclass(frozen=True)
class Clock:
    number: int = 1
    status: Status = "waiting"
    duration_ms: int = 15 * 60_000
    deadline_ms: int | None = None  # set while running
    remaining_ms: int = 15 * 60_000  # authoritative while waiting or paused
    started_ms: int | None = None  # when this round first started
    round_ms: int = 15 * 60_000  # the workshop's round length: each new round starts from it

    @property
    def respondent(self) -> Role:
        return Role.RESPONDENT_1 if self.number == 1 else Role.RESPONDENT_2

    def remaining(self, now_ms: int) -> int:
        if self.status == "running" and self.deadline_ms is not None:
            return max(0, self.deadline_ms - now_ms)
        return 0 if self.status == "ended" else self.remaining_ms

    def look_until(self) -> int | None:
        return self.started_ms + LOOK_MS if self.started_ms is not None else None

    def is_due(self, now_ms: int) -> bool:
        return (
            self.status == "running" and self.deadline_ms is not None and now_ms >= self.deadline_ms
        )


def new_clock(round_minutes: int) -> Clock:
    ms = round_minutes * 60_000
    return Clock(duration_ms=ms, remaining_ms=ms, round_ms=ms)


def start(clock: Clock, now_ms: int) -> Clock:
    """Start (or resume) the round; after round 1 has ended this begins round 2 on a fresh board."""
    if clock.status == "running":
        raise Refusal("already_running", "The round is already running.")
    if clock.status == "ended":
        if clock.number >= ROUNDS:
            raise Refusal("all_rounds_played", "Both rounds have been played.")
        # A new round starts from the workshop's round length, not round 1's extensions.
        fresh = replace(
            clock,
            number=clock.number + 1,
            status="waiting",
            started_ms=None,
            duration_ms=clock.round_ms,
            remaining_ms=clock.round_ms,
        )
        return start(fresh, now_ms)
    return replace(
        clock,
        status="running",
        deadline_ms=now_ms + clock.remaining_ms,
        started_ms=clock.started_ms if clock.started_ms is not None else now_ms,
    )


def pause(clock: Clock, now_ms: int) -> Clock:
    if clock.status != "running":
        raise Refusal("not_running", "The round is not running.")
    return replace(clock, status="paused", remaining_ms=clock.remaining(now_ms), deadline_ms=None)


def extend(clock: Clock, minutes: int, now_ms: int) -> Clock:
    if not 1 <= minutes <= MAX_EXTEND_MINUTES:
        raise Refusal("bad_minutes", "Extend by 1 to 30 minutes.", status=422)
    if clock.status == "ended":
        raise Refusal("round_ended", "This round has ended.")
    extra = minutes * 60_000
    deadline = clock.deadline_ms + extra if clock.deadline_ms is not None else None
    return replace(
        clock,
        duration_ms=clock.duration_ms + extra,
        deadline_ms=deadline,
        remaining_ms=clock.remaining_ms + extra if deadline is None else clock.remaining_ms,
    )


def in_progress(clock: Clock) -> bool:
    """Started and not yet over (running or paused): what "+2 min for all" extends. A table
    that has not started keeps its round length; one whose whistle went stays ended."""
    return clock.status in ("running", "paused")


def end(clock: Clock, now_ms: int) -> Clock:
    if clock.status == "ended":
        raise Refusal("round_ended", "This round has ended.")
    return replace(clock, status="ended", deadline_ms=None, remaining_ms=0)
