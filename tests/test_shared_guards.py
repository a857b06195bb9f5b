"""Two app instances on one database and one Redis stand for two server processes: the join
guard, the workshop-creation limit, the sockets per seat (with presence) and the report PDF's
cache hold across both; the per-seat command limit is per process, bounded as documented.

Each test has a Redis prefix of its own (REDIS_PREFIX), whose keys are deleted afterwards.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from threading import Barrier
from typing import Any

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlmodel import Session
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.realtime.endpoint import COMMAND_BURST, COMMANDS_PER_SECOND
from app.realtime.hub.sockets import CLOSE_SEAT_FULL, SOCKETS_PER_SEAT
from app.settings import Settings
from app.tables.presence import connected_seats
from app.tables.service import now_ms
from tests.conftest import PUBLIC_URL, WS_BASE, port_open, require
from tests.test_security import create_workshop_number, made_up_code

REDIS_URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """Process "a" and process "b": their own app, memory and event loop; shared the rest."""
    require(port_open("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379")
    prefix = f"kaartspel-test-{uuid.uuid4().hex[:10]}:"
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'kaartspel.db'}",
        public_url=PUBLIC_URL,
        secret_key="test-secret",
        host="127.0.0.1",
        redis_url=REDIS_URL,
        redis_prefix=prefix,
    )
    try:
        with ExitStack() as stack:
            clients = [
                stack.enter_context(TestClient(create_app(settings), base_url=PUBLIC_URL))
                for _ in "ab"
            ]
            yield clients[0], clients[1]
    finally:
        with Redis.from_url(REDIS_URL) as redis:
            keys = list(redis.scan_iter(match=f"{prefix}*"))
            if keys:
                redis.delete(*keys)


def _workshop(client: TestClient) -> dict:
    made = client.post("/api/workshops", json={"title": "Gedeeld", "tables": 1})
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_the_join_guard_is_shared_by_two_processes(pair: tuple[TestClient, TestClient]) -> None:
    a, b = pair
    code = _workshop(a)["tables"][0]["join_code"]
    allowed = int(a.app.state.join_guard.limit.amount)
    for n in range(allowed):  # half the misses on each process
        assert (a if n % 2 else b).get(f"/api/tables/{made_up_code(n)}").status_code == 404
    for client in (a, b):  # each has seen only half, yet both refuse
        refused = client.get(f"/api/tables/{code}")
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1


def test_the_creation_limit_is_shared_by_two_processes(
    pair: tuple[TestClient, TestClient],
) -> None:
    a, b = pair
    allowed = int(a.app.state.creation_limit.amount)
    for n in range(allowed):  # on a and b in turn, by form and by API
        create_workshop_number(a if n % 3 else b, n)
    for client in (a, b):
        refused = client.post("/api/workshops", json={"title": "Nog een", "tables": 1})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_workshops"


def test_sockets_per_seat_and_presence_are_shared_by_two_processes(
    pair: tuple[TestClient, TestClient],
) -> None:
    a, b = pair
    workshop = _workshop(a)
    code = workshop["tables"][0]["join_code"]
    seat = a.post(f"/api/tables/{code}/seat", json={"role": "observer"})
    assert seat.status_code == 201
    seat_id, table_id = int(seat.json()["id"]), _table_id(a, workshop)
    b.cookies.set("ks_device", seat.cookies["ks_device"])  # the same phone, on process b
    url = f"{WS_BASE}/ws/tables/{code}"

    def open_in_redis() -> int:
        with Redis.from_url(REDIS_URL) as redis:
            return int(redis.zcard(f"{a.app.state.settings.redis_prefix}sockets:seat:{seat_id}"))

    def online() -> list[int]:
        with Session(a.app.state.engine) as session:
            return connected_seats(session, table_id, now_ms())

    with ExitStack() as on_a:
        for _ in range(SOCKETS_PER_SEAT - 1):
            on_a.enter_context(a.websocket_connect(url)).receive_json()
        with b.websocket_connect(url) as on_b:
            on_b.receive_json()
            # The seat's third socket is on b: a fourth is refused on either process.
            assert open_in_redis() == SOCKETS_PER_SEAT
            for client in (a, b):
                with (
                    pytest.raises(WebSocketDisconnect) as closed,
                    client.websocket_connect(url) as extra,
                ):
                    extra.receive_json()
                assert closed.value.code == CLOSE_SEAT_FULL
        eventually(lambda: open_in_redis() == SOCKETS_PER_SEAT - 1)  # b has let its socket go
        # ... and a still holds the seat's others: still present.
        assert online() == [seat_id]
    eventually(lambda: online() == [])  # the last one closed, on the other process: away
    assert open_in_redis() == 0


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the timeout"
        time.sleep(0.02)


def _table_id(client: TestClient, workshop: dict) -> int:
    token = workshop["facilitator_url"].rsplit("/", 1)[1]
    with client.websocket_connect(f"{WS_BASE}/ws/workshops/{workshop['id']}?key={token}") as dash:
        return int(dash.receive_json()["tables"][0]["table_id"])


def test_the_report_pdf_is_made_once_for_two_processes(
    pair: tuple[TestClient, TestClient],
) -> None:
    """Asked on both processes at once, one typesets (X-Cache: miss) and the other waits for
    its PDF (hit); after a move, the next to ask makes the new state's, for both."""
    a, b = pair
    workshop = _workshop(a)
    token = workshop["facilitator_url"].rsplit("/", 1)[1]
    start = Barrier(2)

    def download(client: TestClient) -> tuple[str, bytes]:
        start.wait(timeout=10)
        got = client.get(f"/f/{token}/report.pdf")
        assert got.status_code == 200, got.text[:300]
        return got.headers["x-cache"], got.content

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(download, (a, b)))
    assert sorted(cache for cache, _ in answers) == ["hit", "miss"]
    assert answers[0][1] == answers[1][1] and answers[0][1].startswith(b"%PDF")
    moved = a.post(
        f"/api/workshops/{workshop['id']}/rounds/start",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert moved.status_code == 200, moved.text  # a table's seq moves: a new state
    assert b.get(f"/f/{token}/report.pdf").headers["x-cache"] == "miss"
    assert a.get(f"/f/{token}/report.pdf").headers["x-cache"] == "hit"


def test_a_seats_command_allowance_is_per_process_and_so_at_most_three_fold(
    pair: tuple[TestClient, TestClient],
) -> None:
    """docs/security.md: the per-seat limit is counted in each process (no Redis round trip per
    command). A seat's sockets on one process share one allowance; a socket on another process
    has that process's; and as a seat has at most SOCKETS_PER_SEAT sockets in all, a seat gets
    at most that many allowances."""
    a, b = pair
    code = _workshop(a)["tables"][0]["join_code"]
    seat = a.post(f"/api/tables/{code}/seat", json={"role": "observer"})
    assert seat.status_code == 201
    b.cookies.set("ks_device", seat.cookies["ks_device"])
    url = f"{WS_BASE}/ws/tables/{code}"
    sent = COMMAND_BURST + 10

    def answered(socket: Any) -> int:
        """Pings as fast as a script sends them: how many were let through (pong)."""
        for _ in range(sent):
            socket.send_text('{"type": "ping"}')
        passed = 0
        for _ in range(sent):
            while (reply := socket.receive_json())["type"] not in ("pong", "error"):
                pass  # an event of the table
            passed += reply["type"] == "pong"
            assert reply["type"] == "pong" or reply["code"] == "too_fast", reply
        return passed

    began = time.monotonic()
    with a.websocket_connect(url) as a1, a.websocket_connect(url) as a2:
        a1.receive_json(), a2.receive_json()  # the snapshots
        on_a = answered(a1) + answered(a2)
        with b.websocket_connect(url) as b1:
            b1.receive_json()
            on_b = answered(b1)
    refilled = COMMANDS_PER_SECOND * (time.monotonic() - began) + 1
    assert COMMAND_BURST <= on_a <= COMMAND_BURST + refilled  # two sockets, one allowance
    assert on_b >= COMMAND_BURST  # another process: an allowance of its own
    assert on_a + on_b - refilled <= SOCKETS_PER_SEAT * COMMAND_BURST
