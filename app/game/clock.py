"""The round clock: one round per step of the format, each with a deadline the server owns.

All times are epoch milliseconds passed in by the caller, so the rules are testable without
waiting. Status: waiting → running ⇄ paused → ended; starting after a round ended begins the
format's next step. The clock carries the format's steps, so it knows who leads each round.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from app.game.format import Step
from app.game.refusal import Refusal

Status = Literal["waiting", "running", "paused", "ended"]
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
    round_ms: int = 15 * 60_000  # the workshop's round length: a step without minutes takes it
    steps: tuple[Step, ...] = ()  # the format's steps; `number` is the current one's

    @property
    def step(self) -> Step:
        return self.steps[self.number - 1]

    @property
    def respondent(self) -> str:
        """The role whose interview this round is: it lays the cards."""
        return self.step.leader

    @property
    def rounds(self) -> int:
        return len(self.steps)

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


def step_ms(step: Step, round_ms: int) -> int:
    """A step's length: its own minutes, or the workshop's round length."""
    return step.minutes * 60_000 if step.minutes is not None else round_ms


def new_clock(round_minutes: int, steps: tuple[Step, ...]) -> Clock:
    """The clock of a new table: waiting for the first step, at that step's length."""
    if not steps:
        raise ValueError("a format has at least one step")
    round_ms = round_minutes * 60_000
    ms = step_ms(steps[0], round_ms)
    return Clock(duration_ms=ms, remaining_ms=ms, round_ms=round_ms, steps=steps)


def start(clock: Clock, now_ms: int) -> Clock:
    """Start (or resume) the round; after a round has ended this begins the next step's round
    on a fresh board."""
    if clock.status == "running":
        raise Refusal("already_running", "The round is already running.")
    if clock.status == "ended":
        if clock.number >= clock.rounds:
            raise Refusal("all_rounds_played", "Every round has been played.")
        # A new round starts from its own length, not from the last round's extensions.
        ms = step_ms(clock.steps[clock.number], clock.round_ms)
        fresh = replace(
            clock,
            number=clock.number + 1,
            status="waiting",
            started_ms=None,
            duration_ms=ms,
            remaining_ms=ms,
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
