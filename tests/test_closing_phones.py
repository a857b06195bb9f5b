"""Phones closing while their commands await the commit, against a real uvicorn process: a
close is normal, so the server logs no traceback, and no other phone's command is lost with it.

Commands of one turn of the loop share one commit; a closing socket's wait for it is cancelled.
Every wait has a deadline and the server is always stopped, so a failure never hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from tests.live_server import STEP, LiveServer, Phone, serving, table_events
from tests.test_resends import event_logs, note, reporters, settle

TABLES = 6
CLOSES = 12  # sockets each table's closing phone opens, sends on and closes at once
SENT_BEFORE_CLOSE = 3  # the first's commit ends before the close; the last's wait is cancelled


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serving(LiveServer(tmp_path))


async def send_and_close(phone: Phone, tag: str) -> None:
    """Open a socket, send a few commands and close without waiting for an answer."""
    for n in range(CLOSES):
        async with websockets.connect(
            f"{phone.server.ws_base}/ws/tables/{phone.code}",
            additional_headers={"Cookie": f"ks_device={phone.cookie}"},
            proxy=None,
            open_timeout=STEP,
            close_timeout=1,
        ) as socket:
            with contextlib.suppress(websockets.ConnectionClosed):
                await asyncio.wait_for(socket.recv(), STEP)  # the snapshot
                for i in range(SENT_BEFORE_CLOSE):
                    await socket.send(json.dumps(note(f"{tag}-{n}-{i}", f"weg {i}")))
        await asyncio.sleep(0.01 * (n % 3))  # closes land in different turns of the loop


def test_phones_closing_mid_commit_leave_no_traceback_and_lose_no_command(
    live: LiveServer,
) -> None:
    closing = reporters(live, TABLES)
    staying = [Phone("reporter", p.cookie, live, p.code) for p in closing]  # same seats

    async def run() -> list[list[dict]]:
        await asyncio.gather(*(phone.connect() for phone in staying))
        try:
            commands = [
                [note(f"s{t}-{i}", f"blijft {i}") for i in range(10)] for t in range(TABLES)
            ]
            _, answers = await asyncio.gather(
                asyncio.gather(*(send_and_close(p, f"c{t}") for t, p in enumerate(closing))),
                asyncio.gather(*(settle(p, c) for p, c in zip(staying, commands, strict=True))),
            )
            return [
                [{"id": c["id"], **a} for c, a in zip(cs, ans, strict=True)]
                for cs, ans in zip(commands, answers, strict=True)
            ]
        finally:
            await asyncio.gather(*(phone.close() for phone in staying))

    answers = asyncio.run(run())
    log = live.log()
    assert "Traceback" not in log and "CancelledError" not in log, log
    logs = event_logs(live.env["DATABASE_URL"])
    stored: dict[str, int] = {}
    for table_id, (seq, seqs, command_ids) in logs.items():
        assert seqs == list(range(1, seq + 1)), (table_id, seq, seqs)  # no hole
        assert len(command_ids) == len(set(command_ids)), (table_id, command_ids)
        stored |= {c: n for n, c, _ in table_events(live.db_path, table_id) if c is not None}
    for answer in (a for table in answers for a in table):
        assert answer["type"] == "ack", answer  # the staying phones heard about every command
        assert stored.get(answer["id"]) == answer["seq"], answer  # ...each in the log
