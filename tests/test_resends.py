"""Resent commands against a real uvicorn process, on SQLite and on PostgreSQL, while other
tables are busy in the same moments: every table's stored events stay exactly seq 1..N, a resend
is acknowledged with its original seq, and an id sent again for another command is refused.

Resends are of ids older than those the server keeps in memory, and after a restart (nothing
kept). Every wait has a deadline and the server is always stopped, so a failure never hangs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db import make_engine
from app.realtime.protocol import CLIENT_MESSAGE, fingerprint
from app.tables.live_state import RECENT_COMMANDS
from tests.live_server import LiveServer, Message, Phone, serving

OLD = RECENT_COMMANDS + 6  # commands at the resending table: its first ids are long forgotten
BURST = 25  # commands a phone sends at once (the server's burst allowance is 30)
REFILL = 8  # commands a second a phone may send after a burst (the server allows 10)


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path)
    if request.param == "postgresql":
        server.env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    yield from serving(server)


def note(command_id: str, words: str, field: str = "development") -> Message:
    return {"type": "note", "id": command_id, "field": field, "text": words}


def reporters(live: LiveServer, tables: int) -> list[Phone]:
    """A workshop of `tables` tables with a reporter's phone at each (notes are always allowed)."""
    with live.http() as http:
        response = http.post("/api/workshops", json={"title": "Herhalingen", "tables": tables})
        assert response.status_code == 201, response.text
        phones = []
        for table in response.json()["tables"]:
            code = table["join_code"]
            seat = http.post(f"/api/tables/{code}/seat", json={"role": "reporter"})
            assert seat.status_code == 201, seat.text
            phones.append(Phone("reporter", seat.cookies["ks_device"], live, code))
            http.cookies.clear()  # the next table's seat is another phone's
    return phones


async def settle(phone: Phone, commands: list[Message], within: float = 30.0) -> list[Message]:
    """Send the commands at once, and again while the server says to retry (too fast, busy),
    as outbox.js does; the final answer to each."""
    for command in commands:
        phone.replies.pop(command["id"], None)
        await phone.push(command)
    ids = [command["id"] for command in commands]
    deadline = time.monotonic() + within
    while True:
        await phone.wait_until(
            lambda: all(i in phone.replies for i in ids), "an answer to each", within
        )
        retry = [i for i in ids if phone.replies[i][-1].get("retry")]
        if not retry:
            return [phone.replies[i][-1] for i in ids]
        assert time.monotonic() < deadline, {i: phone.replies[i] for i in retry}
        await asyncio.sleep(len(retry) / REFILL)  # what the rate limit allows, not a flood
        for command_id in retry:
            del phone.replies[command_id]
            await phone.send_raw(phone.outbox[command_id])


def event_logs(url: str) -> dict[int, tuple[int, list[int], list[str]]]:
    """Each table's `seq`, the seqs of its stored events and their command ids, from the
    database itself."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(text("SELECT id, seq FROM workshop_table")).all()
            rows = connection.execute(
                text("SELECT table_id, seq, command_id FROM table_event ORDER BY table_id, seq")
            ).all()
    finally:
        engine.dispose()
    logs: dict[int, tuple[int, list[int], list[str]]] = {
        table_id: (seq, [], []) for table_id, seq in tables
    }
    for table_id, seq, command_id in rows:
        logs[table_id][1].append(seq)
        if command_id is not None:
            logs[table_id][2].append(command_id)
    return logs


def assert_whole(live: LiveServer) -> None:
    for table_id, (seq, seqs, command_ids) in event_logs(live.env["DATABASE_URL"]).items():
        assert seqs == list(range(1, seq + 1)), (table_id, seq, seqs)
        assert len(command_ids) == len(set(command_ids)), (table_id, command_ids)


async def busy_resends(resender: Phone, busy: list[Phone], old: list[Message], tag: str) -> None:
    """The resender resends old commands while every other table takes new ones, at once."""
    firsts = {c["id"]: resender.replies[c["id"]][-1]["seq"] for c in old}
    await asyncio.sleep(BURST / REFILL)  # every phone has its whole burst again
    news = [[note(f"{tag}-{n}-{i}", f"nieuw {i}") for i in range(BURST)] for n in range(len(busy))]
    answers = await asyncio.gather(
        settle(resender, old), *(settle(phone, new) for phone, new in zip(busy, news, strict=True))
    )
    for command, answer in zip(old, answers[0], strict=True):
        assert (answer["type"], answer.get("seq")) == ("ack", firsts[command["id"]]), answer
    for answer in (a for phone_answers in answers[1:] for a in phone_answers):
        assert answer["type"] == "ack", answer


PINNED = [  # fingerprints stored in databases: a change here misjudges resends of those ids
    (
        '{"type": "place", "id": "a", "card": "A1-1", "side": "stimulating", "extent": "large",'
        ' "position": 3}',
        "13cb63fa5e90679483d7dfc49978b9bc",
    ),
    (
        '{"type": "note", "id": "b", "field": "development", "text": "é"}',
        "660c0ca40aa516c94ef5ef942c9b2f7a",
    ),
]

OTHER_VALUES = {
    "card": "A1-2",
    "side": "hindering",
    "extent": "limited",
    "position": 4,
    "field": "stands_out",
    "text": "e",
}


@pytest.mark.parametrize(("raw", "pinned"), PINNED)
def test_a_command_is_the_same_whatever_its_id_key_order_and_spacing(raw: str, pinned: str) -> None:
    command = CLIENT_MESSAGE.validate_json(raw)
    assert fingerprint(command) == pinned
    fields = json.loads(raw)
    respelled = json.dumps({**dict(reversed(list(fields.items()))), "id": "other"}, indent=2)
    assert fingerprint(CLIENT_MESSAGE.validate_json(respelled)) == pinned
    for name in fields:
        if name not in ("id", "type"):
            changed = {**fields, name: OTHER_VALUES[name]}
            assert fingerprint(CLIENT_MESSAGE.validate_python(changed)) != pinned, name


def test_resends_while_other_tables_are_busy_leave_every_event_log_whole(
    live: LiveServer,
) -> None:
    async def play() -> None:
        phones = reporters(live, 3)
        resender, busy = phones[0], phones[1:]
        try:
            for phone in phones:
                await phone.connect()
            old = [note(f"old-{i}", f"verhaal {i}") for i in range(OLD)]
            for start in range(0, OLD, BURST):
                await settle(resender, old[start : start + BURST])
            assert_whole(live)

            # Older than the ids the server keeps in memory, the same process.
            await busy_resends(resender, busy, old[:BURST], "kept")
            assert_whole(live)

            # After a restart: nothing kept at all.
            await asyncio.to_thread(live.stop)
            await asyncio.to_thread(live.start)
            for phone in phones:
                await phone.close()
                await phone.reconnect(within=10)
            await busy_resends(resender, busy, old[:BURST], "restarted")
            assert_whole(live)

            # The next command at the resending table gets the next number: no phone sees a gap.
            (last,) = await settle(resender, [note("last", "klaar")])
            (seq,) = [
                s for s, _, ids in event_logs(live.env["DATABASE_URL"]).values() if "last" in ids
            ]
            assert last["seq"] == seq
            await resender.wait_until(lambda: resender.seq == seq, "the last event")
            assert [phone.gaps for phone in phones] == [[], [], []]
        finally:
            for phone in phones:
                await phone.close()

    asyncio.run(asyncio.wait_for(play(), 120))


async def answer(phone: Phone, raw: str, command_id: str) -> Message:
    """Send one message as it is spelled, and the server's answer to it."""
    phone.replies.pop(command_id, None)
    assert phone.socket is not None
    await asyncio.wait_for(phone.socket.send(raw), 5)
    return await phone.reply_to(command_id)


def test_an_id_sent_again_for_another_command_is_refused_before_and_after_a_restart(
    live: LiveServer,
) -> None:
    async def play() -> None:
        (phone,) = reporters(live, 1)
        try:
            await phone.connect()
            (first,) = await settle(phone, [note("story", "het eerste verhaal")])
            for stage in ("same process", "restarted"):
                if stage == "restarted":
                    await asyncio.to_thread(live.stop)
                    await asyncio.to_thread(live.start)
                    await phone.close()
                    await phone.reconnect(within=10)
                await phone.flush()  # the first command's event has arrived
                seq = phone.seq
                for other in (
                    note("story", "iets anders"),
                    note("story", "het eerste verhaal", "stands_out"),
                    {
                        "type": "explain",
                        "id": "story",
                        "card": "A1-1",
                        "text": "het eerste verhaal",
                    },
                ):
                    refused = await answer(phone, json.dumps(other), "story")
                    assert refused == {
                        "type": "error",
                        "id": "story",
                        "code": "id_reused",
                        "message": "Deze opdracht-id is al gebruikt voor een andere opdracht.",
                        "retry": False,
                    }, (stage, refused)
                # The first command, spelled otherwise, is still that command: acknowledged.
                spelled = (
                    '{ "text" : "het eerste verhaal",\n "field": "development",'
                    ' "type": "note", "id": "story" }'
                )
                assert await answer(phone, spelled, "story") == first, stage
                await phone.flush()
                assert phone.seq == seq, stage  # no event for any of them
                heard = len(phone.snapshots)
                await phone.send_raw({"type": "resync"})
                await phone.wait_until(lambda: len(phone.snapshots) > heard, "a snapshot")
                assert phone.snapshots[-1]["notes"]["development"] == "het eerste verhaal"
                assert phone.snapshots[-1]["seq"] == seq
            assert_whole(live)
        finally:
            await phone.close()

    asyncio.run(asyncio.wait_for(play(), 60))
