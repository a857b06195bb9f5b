"""Memory goes back to the system after a large release (issue #18): app/memory.py."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.memory import Trimmer, release_freed_memory
from tests.conftest import WS_BASE, new_phone


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_blocks_leave_the_process_once_trimmed() -> None:
    # 200 MB in blocks that CPython hands to malloc, the last one kept: it pins the top of
    # the heap, so nothing below it goes back to the system by itself.
    blocks = [bytes(2000) + bytes([i % 256]) for i in range(100_000)]
    kept = blocks[-1]
    del blocks
    before = _rss_mb()
    assert release_freed_memory()
    assert before - _rss_mb() > 100, (before, _rss_mb())
    assert kept


def test_a_room_leaving_is_trimmed_once_after_it_has_left() -> None:
    trims: list[int] = []

    async def leave() -> None:
        trimmer = Trimmer(closes=3, quiet=0.05, release=lambda: trims.append(1))
        trimmer.closed()
        trimmer.closed()
        await asyncio.sleep(0.1)
        assert trims == []  # two phones are a Wi-Fi drop, not a room
        for _ in range(5):
            trimmer.closed()
            await asyncio.sleep(0.01)  # still leaving: not yet
        assert trims == []
        await asyncio.sleep(0.2)
        assert trims == [1] and trimmer.pending == 0

    asyncio.run(leave())


def test_the_table_sockets_closing_are_counted_towards_a_trim(client: TestClient) -> None:
    trims: list[int] = []
    client.app.state.trimmer = Trimmer(closes=3, quiet=0.05, release=lambda: trims.append(1))
    made = client.post("/api/workshops", json={"title": "Afscheid", "tables": 1}).json()
    code = made["tables"][0]["join_code"]
    for role in ("interviewer", "respondent1", "reporter"):
        phone = new_phone(client)
        assert phone.post(f"/api/tables/{code}/seat", json={"role": role}).status_code == 201
        with phone.websocket_connect(f"{WS_BASE}/ws/tables/{code}") as socket:
            assert socket.receive_json()["type"] == "snapshot"
    deadline = time.monotonic() + 5
    while not trims and time.monotonic() < deadline:
        time.sleep(0.02)
    assert trims == [1]
