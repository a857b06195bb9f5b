"""uvicorn refuses an oversized websocket frame before reading it, however the app is started:
`python -m app` (`make run`, the Dockerfile's CMD) and the uvicorn command the tests use."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from app.realtime.protocol import MAX_FRAME_BYTES, MAX_MESSAGE_BYTES
from app.settings import ROOT
from tests.live_server import STEP, LiveServer, create_workshop, serving


class AppServer(LiveServer):
    """The app as `make run` and the Docker image start it."""

    def command(self) -> list[str]:
        return [sys.executable, "-m", "app"]


@pytest.fixture(params=["python -m app", "uvicorn"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    kind = AppServer if request.param == "python -m app" else LiveServer
    yield from serving(kind(tmp_path))


async def _send_and_read(server: LiveServer, code: str, cookie: str, text: str) -> dict:
    """Send one text frame on a seated socket; the reply, or how the socket was closed."""
    async with websockets.connect(
        f"{server.ws_base}/ws/tables/{code}",
        additional_headers={"Cookie": f"ks_device={cookie}"},
        open_timeout=STEP,
    ) as socket:
        snapshot = json.loads(await asyncio.wait_for(socket.recv(), STEP))
        assert snapshot["type"] == "snapshot"
        await socket.send(text)
        try:
            reply: dict = json.loads(await asyncio.wait_for(socket.recv(), STEP))
            return reply
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return {"closed": closed.rcvd.code}


def test_uvicorn_refuses_frames_over_the_limit_before_reading_them(server: LiveServer) -> None:
    code = create_workshop(server)["tables"][0]["join_code"]
    with server.http() as phone:
        seat = phone.post(f"/api/tables/{code}/seat", json={"role": "observer"})
        cookie = seat.cookies["ks_device"]
    big = json.dumps({"type": "ping", "pad": "x" * (4 * MAX_FRAME_BYTES)})
    assert asyncio.run(_send_and_read(server, code, cookie, big)) == {"closed": 1009}
    # Between the message limit and the frame limit: read, and answered in words.
    over = json.dumps({"type": "ping", "pad": "x" * (MAX_MESSAGE_BYTES + 100)})
    assert len(over) < MAX_FRAME_BYTES
    reply = asyncio.run(_send_and_read(server, code, cookie, over))
    assert reply["type"] == "error" and reply["code"] == "too_large"


def test_the_image_starts_the_app_the_way_that_sets_the_frame_limit() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = [line for line in dockerfile.splitlines() if line.startswith("CMD ")][-1]
    assert json.loads(cmd.removeprefix("CMD ")) == ["python", "-m", "app"]
    makefile = (ROOT / "Makefile").read_text()
    assert shlex.split(makefile.split("\nrun:", 1)[1].splitlines()[1])[1:] == ["-m", "app"]
