"""Faults against a real uvicorn process: a SIGKILL mid-round, a phone that is offline for a
while, and a database that another connection keeps locked.

What must hold through all of them: an acknowledged command is never lost, a resent command id
is applied once, every command gets exactly one answer, and every phone ends on the same board.
Every wait has a deadline and the server is always stopped, so a failure never hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.db import BUSY_TIMEOUT_MS
from tests.live_server import (
    ROLES,
    STEP,
    LiveServer,
    Message,
    Phone,
    board_key,
    check_consistent,
    create_workshop,
    open_db,
    place,
    round_action,
    serving,
    table_id_of,
    take_seats,
)

BUSY_TIMEOUT_S = BUSY_TIMEOUT_MS / 1000
OFFLINE_S = 2.0  # long enough for the table to move on, short enough for a test


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serving(LiveServer(tmp_path))


def seated(live: LiveServer) -> tuple[dict, str, dict[str, str], int]:
    workshop = create_workshop(live)
    code = workshop["tables"][0]["join_code"]
    return workshop, code, take_seats(live, code), table_id_of(live.db_path, code)


async def start_round(live: LiveServer, workshop: dict, watcher: Phone) -> Message:
    started = await asyncio.to_thread(round_action, live, workshop, "start", table=1)
    assert started[0]["ok"] is True, started
    await watcher.wait_until(lambda: watcher.round.get("status") == "running", "the round start")
    return watcher.round


async def resync(phone: Phone) -> tuple[Message, float]:
    """A fresh snapshot, and the wall time it arrived (to compare the clock against)."""
    seen = len(phone.snapshots)
    await phone.send_raw({"type": "resync"})
    await phone.wait_until(lambda: len(phone.snapshots) > seen, "the resync snapshot")
    return phone.snapshots[-1], phone.snapshot_walls[-1]


async def acknowledged(phone: Phone, command: Message) -> Message:
    """Send one command, require an ack, and wait for its event (what outbox.settle waits for)."""
    reply = await phone.request(command)
    assert reply["type"] == "ack", (phone.role, command, reply)
    await phone.wait_until(lambda: phone.seq >= reply["seq"], f"the event of {command['id']}")
    return reply


async def caught_up(phones: list[Phone], seq: int) -> None:
    for phone in phones:
        await phone.wait_until(lambda phone=phone: phone.seq >= seq, f"seq {seq}")
        await phone.flush()
        assert phone.seq == seq, (phone.role, phone.seq, seq)
        assert phone.gaps == [], (phone.role, phone.gaps)


def count(events: list[tuple[int, str | None, str]], command_id: str) -> int:
    return sum(1 for _, stored, _ in events if stored == command_id)


CARDS = [
    ("A1-1", "stimulating", "large"),
    ("C2-1", "stimulating", "large"),
    ("A2-1", "hindering", "large"),
    ("B2-1", "stimulating", "limited"),
    ("X-1", "hindering", "limited"),
]


def test_sigkill_mid_round_keeps_every_acknowledged_command_and_the_deadline(
    live: LiveServer,
) -> None:
    workshop, code, cookies, table_id = seated(live)

    async def play() -> None:
        phones = {role: Phone(role, cookies[role], live, code) for role in ROLES}
        respondent, reporter = phones["respondent1"], phones["reporter"]
        interviewer = phones["interviewer"]
        try:
            for phone in phones.values():
                await phone.connect()
            deadline = (await start_round(live, workshop, respondent))["deadline"]
            assert isinstance(deadline, int)

            # Cards, a name, an explanation and a note, each acknowledged.
            kept = [place(f"keep-{n}", *card) for n, card in enumerate(CARDS)]
            kept.append({"type": "name", "id": "keep-name", "card": "X-1", "text": "Reistijd"})
            for command in kept:
                await acknowledged(respondent, command)
            for command in (
                {"type": "explain", "id": "keep-explain", "card": "A1-1", "text": "Teamleider."},
                {"type": "note", "id": "keep-note", "field": "development", "text": "Planner."},
            ):
                kept.append(command)
                await acknowledged(reporter, command)

            # Applied, but its ack is never heard: the respondent stops listening first.
            await respondent.stop_listening()
            await respondent.push(place("unheard", "C3-1", "hindering", "large", 0))
            unheard_seq = reporter.seq + 1
            await interviewer.wait_until(lambda: interviewer.seq == unheard_seq, "unheard's event")
            await caught_up([p for p in phones.values() if p is not respondent], unheard_seq)
            board_before, notes_before = interviewer.board, dict(interviewer.notes)
            before, before_wall = await resync(interviewer)
            assert before["round"]["deadline"] == deadline

            # Sent but never read: the server is frozen, then killed with the bytes unread.
            os.kill(live.pid, signal.SIGSTOP)
            try:
                await respondent.push(place("unsent", "D1-1", "stimulating", "limited", 0))
                await reporter.push(
                    {"type": "note", "id": "lost-note", "field": "stands_out", "text": "Tijd."}
                )
            finally:
                live.kill()
            for phone in phones.values():
                await phone.close()

            # Phones retry against a closed port with backoff while the server comes back.
            reconnecting = [
                asyncio.create_task(phone.reconnect(within=30)) for phone in phones.values()
            ]
            await asyncio.sleep(0.5)
            await asyncio.to_thread(live.start)
            snapshots = await asyncio.wait_for(asyncio.gather(*reconnecting), 35)
            assert all(phone.connect_attempts > 2 for phone in phones.values()), [
                (p.role, p.connect_attempts) for p in phones.values()
            ]
            for snapshot in snapshots:
                assert snapshot["seq"] == unheard_seq, snapshot["seq"]
                assert board_key(snapshot["board"]) == board_key(board_before)
                assert snapshot["notes"] == notes_before
                assert snapshot["round"]["status"] == "running"
                assert snapshot["round"]["deadline"] == deadline
            by_card = {p["card"]: p for p in snapshots[0]["board"]}
            assert by_card["X-1"]["custom_name"] == "Reistijd"
            assert by_card["A1-1"]["explanation"] == "Teamleider."
            assert "C3-1" in by_card and "D1-1" not in by_card
            assert notes_before["development"] == "Planner."
            # The clock ran on through the crash: remaining time shrank by the wall time.
            after = snapshots[list(phones).index("interviewer")]
            shrank = before["round"]["remaining_ms"] - after["round"]["remaining_ms"]
            wall_ms = (interviewer.snapshot_walls[-1] - before_wall) * 1000
            assert shrank == after["round"]["server_time"] - before["round"]["server_time"]
            assert abs(shrank - wall_ms) < 1500, (shrank, wall_ms)

            # The outboxes go out again with the same ids, in order.
            await respondent.resend()
            await reporter.resend()
            unheard = await respondent.reply_to("unheard")
            assert unheard == {"type": "ack", "id": "unheard", "seq": unheard_seq}
            unsent = await respondent.reply_to("unsent")
            lost_note = await reporter.reply_to("lost-note")
            assert unsent["type"] == lost_note["type"] == "ack", (unsent, lost_note)
            assert {unsent["seq"], lost_note["seq"]} == {unheard_seq + 1, unheard_seq + 2}
            # Once more (a second reconnect): the same seq, nothing new.
            await respondent.send_raw(place("unsent", "D1-1", "stimulating", "limited", 0))
            await respondent.wait_until(lambda: len(respondent.replies["unsent"]) == 2, "2nd ack")
            assert respondent.replies["unsent"][1] == unsent

            final = unheard_seq + 2
            await caught_up(list(phones.values()), final)
            for phone in phones.values():
                assert [e["seq"] for e in phone.events] == [final - 1, final], phone.role
                assert board_key(phone.board) == board_key(interviewer.board)
                assert phone.notes["stands_out"] == "Tijd."
                assert [r["type"] for rs in phone.replies.values() for r in rs].count("error") == 0
            assert sum(p["card"] == "D1-1" for p in interviewer.board) == 1

            events = check_consistent(live.db_path, table_id)
            assert events[-1][0] == final
            for command_id in [c["id"] for c in kept] + ["unheard", "unsent", "lost-note"]:
                assert count(events, command_id) == 1, command_id
        finally:
            for phone in phones.values():
                await phone.close()

    asyncio.run(asyncio.wait_for(play(), 90))


def test_offline_phone_resends_its_outbox_and_converges_with_the_table(live: LiveServer) -> None:
    workshop, code, cookies, table_id = seated(live)

    async def play() -> None:
        a = Phone("respondent1", cookies["respondent1"], live, code)
        # B: the respondent's second screen (a laptop beside the phone), the same seat.
        b = Phone("respondent1", cookies["respondent1"], live, code)
        try:
            await a.connect()
            await b.connect()
            await start_round(live, workshop, b)
            await acknowledged(a, place("a-1", "A1-1", "stimulating", "large"))
            await acknowledged(a, place("a-2", "B2-1", "hindering", "limited"))
            await caught_up([a, b], a.seq)

            # A sends, and its connection dies before the answer arrives.
            await a.stop_listening()
            await a.push(place("a-sent", "C1-1", "stimulating", "limited"))
            await a.close()
            offline_at = time.monotonic()

            # Offline, A's phone keeps what the respondent does in its outbox.
            offline = [
                place("a-new", "D1-1", "hindering", "large"),
                place("a-conflict", "A2-2", "stimulating", "large"),  # B lays A2-1 there
                {"type": "explain", "id": "a-gone", "card": "B2-1", "text": "Weinig tijd."},
                place("a-move", "A1-1", "stimulating", "limited", 0),
                {"type": "name", "id": "a-name", "card": "X-1", "text": "Mantelzorg"},  # B lays it
            ]
            for command in offline:
                await a.push(command)
            assert list(a.outbox) == ["a-sent"] + [c["id"] for c in offline]

            # Meanwhile the respondent goes on laying cards on the other screen.
            await acknowledged(b, place("b-1", "A2-1", "stimulating", "large"))
            await acknowledged(b, {"type": "return", "id": "b-2", "card": "B2-1"})
            await acknowledged(b, place("b-3", "X-1", "hindering", "limited"))
            await asyncio.sleep(max(0.0, OFFLINE_S - (time.monotonic() - offline_at)))

            snapshot = await a.reconnect(within=10)
            assert snapshot["seq"] == b.seq
            assert board_key(snapshot["board"]) == board_key(b.board)
            # A replays its outbox while B keeps playing.
            sent = list(a.outbox)
            await asyncio.gather(
                a.resend(), acknowledged(b, place("b-4", "E1-1", "hindering", "large"))
            )
            for command_id in sent:
                await a.reply_to(command_id)
            await a.flush()

            # Exactly one answer per id: applied once, or refused with its id and a reason.
            assert a.anonymous_errors == []
            assert {i: len(a.replies[i]) for i in sent} == dict.fromkeys(sent, 1), a.replies
            outcome = {i: a.replies[i][0] for i in sent}
            for command_id in ("a-sent", "a-new", "a-move", "a-name"):
                assert outcome[command_id]["type"] == "ack", outcome[command_id]
            for command_id, code_ in (("a-conflict", "factor_on_side"), ("a-gone", "not_on_board")):
                error = outcome[command_id]
                assert error["type"] == "error", error
                assert (error["code"], error["retry"]) == (code_, False), error
                assert error["message"].strip(), error
            assert a.outbox == {}

            # Both phones end on the same board, the one the database holds.
            events = check_consistent(live.db_path, table_id)
            final = events[-1][0]
            await caught_up([a, b], final)
            assert board_key(a.board) == board_key(b.board)
            fresh, _ = await resync(a)
            assert fresh["seq"] == final
            assert board_key(fresh["board"]) == board_key(a.board)
            by_card = {p["card"]: p for p in fresh["board"]}
            assert set(by_card) == {"A1-1", "C1-1", "D1-1", "A2-1", "X-1", "E1-1"}
            assert (by_card["A1-1"]["side"], by_card["A1-1"]["extent"]) == (
                "stimulating",
                "limited",
            )
            assert by_card["X-1"]["custom_name"] == "Mantelzorg"
            for command_id in ("a-sent", "a-new", "a-move", "a-name", "b-1", "b-2", "b-3", "b-4"):
                assert count(events, command_id) == 1, command_id
            assert count(events, "a-conflict") == count(events, "a-gone") == 0
        finally:
            await a.close()
            await b.close()

    asyncio.run(asyncio.wait_for(play(), 60))


def test_locked_database_answers_retryably_and_a_resend_applies_once(live: LiveServer) -> None:
    workshop, code, cookies, table_id = seated(live)
    hold_s = BUSY_TIMEOUT_S + 2.0  # outlast the app's busy_timeout
    timings: dict[str, float] = {}

    async def play() -> None:
        respondent = Phone("respondent1", cookies["respondent1"], live, code)
        interviewer = Phone("interviewer", cookies["interviewer"], live, code)
        blocker = open_db(live.db_path)
        try:
            await respondent.connect()
            await interviewer.connect()
            await start_round(live, workshop, interviewer)
            await acknowledged(respondent, place("before", "A1-1", "stimulating", "large"))
            await caught_up([respondent, interviewer], respondent.seq)
            seq_before = respondent.seq

            blocker.execute("BEGIN IMMEDIATE")  # the write lock; readers (WAL) go on
            locked_at = time.monotonic()
            try:
                await respondent.push(place("busy-1", "C2-1", "stimulating", "large"))
                # How long another phone waits for a pong meanwhile (reported, not asserted).
                await asyncio.sleep(0.2)
                pinged, pongs = time.monotonic(), interviewer.pongs
                await interviewer.send_raw({"type": "ping"})
                with contextlib.suppress(AssertionError):
                    await interviewer.wait_until(
                        lambda: interviewer.pongs > pongs, "a pong", hold_s
                    )
                timings["pong_while_locked_s"] = time.monotonic() - pinged
                # The waiting command is on a worker thread: other sockets are not held up
                # for the whole busy timeout (a generous bound, not a speed target).
                assert timings["pong_while_locked_s"] < BUSY_TIMEOUT_S / 2, timings
                with contextlib.suppress(AssertionError):
                    await respondent.wait_until(
                        lambda: "busy-1" in respondent.replies or bool(respondent.anonymous_errors),
                        "an answer while locked",
                        max(0.1, hold_s - (time.monotonic() - locked_at)),
                    )
                answered = [*respondent.replies.get("busy-1", []), *respondent.anonymous_errors]
                timings["answer_while_locked_s"] = time.monotonic() - locked_at
                await asyncio.sleep(max(0.0, hold_s - (time.monotonic() - locked_at)))
            finally:
                blocker.execute("ROLLBACK")
            released_at = time.monotonic()

            if not answered:  # no refusal while locked: it must be a delayed ack now
                await respondent.reply_to("busy-1", timeout=STEP)
                answered = respondent.replies["busy-1"]
                timings["delayed_ack_after_release_s"] = time.monotonic() - released_at
            first = answered[0]
            assert first["type"] in ("ack", "error"), first
            if first["type"] == "error":
                assert (first["code"], first["retry"]) == ("busy", True), first
                assert first.get("id") == "busy-1", first  # the phone can tell which command
                assert interviewer.seq == seq_before  # nothing was applied
                # Told to try again: the outbox still holds it; resend with the same id.
                assert "busy-1" in respondent.outbox
                await respondent.resend()
                await respondent.wait_until(
                    lambda: any(r["type"] == "ack" for r in respondent.replies.get("busy-1", [])),
                    "the ack of the resend",
                )
            ack = next(r for r in respondent.replies["busy-1"] if r["type"] == "ack")
            assert ack["seq"] == seq_before + 1, ack
            # And once more: the same seq, no second event.
            replies = len(respondent.replies["busy-1"])
            await respondent.send_raw(place("busy-1", "C2-1", "stimulating", "large"))
            await respondent.wait_until(
                lambda: len(respondent.replies["busy-1"]) > replies, "the repeat's ack"
            )
            assert respondent.replies["busy-1"][-1] == ack

            # The socket survived, both phones agree, and the file is sound.
            await caught_up([respondent, interviewer], seq_before + 1)
            assert [e["seq"] for e in interviewer.events if e["seq"] > seq_before] == [
                seq_before + 1
            ]
            assert sum(p["card"] == "C2-1" for p in interviewer.board) == 1
            assert board_key(respondent.board) == board_key(interviewer.board)
            events = check_consistent(live.db_path, table_id)
            assert events[-1][0] == seq_before + 1
            assert count(events, "busy-1") == 1
        finally:
            blocker.close()
            await respondent.close()
            await interviewer.close()

    try:
        asyncio.run(asyncio.wait_for(play(), 40))
    finally:
        print(f"busy timings: {timings}")
