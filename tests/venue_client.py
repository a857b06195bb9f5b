"""A device at the venue, run inside a network namespace by tests/test_venue.py:

    ip netns exec <phone ns>  python -m tests.venue_client phone <join URL> <role> <name>
    ip netns exec <laptop ns> python -m tests.venue_client facilitator <base URL>

It is driven by JSON lines on stdin and answers each with one JSON line on stdout:

- phone: joins through the join URL (the QR code's) and keeps its socket as the play page does
  (tests/phone.py); `{"do": "push", "command": {...}}` is a tap, `{"do": "state"}` tells what
  the screen shows, `{"do": "truth"}` opens a second socket and returns its fresh snapshot.
- facilitator: `{"do": "request", "method": ..., "path": ..., "json": ..., "bearer": ...}` is
  one HTTP request to the app (the answer's body as JSON, or base64 for a PNG), and
  `{"do": "healthy", "within": seconds}` waits until /healthz answers.

`{"do": "quit"}` ends either. Every wait has a deadline, so a stuck device ends by itself.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import sys
import time
from typing import Any

import httpx
import websockets

from tests.phone import STEP, BrowserPhone

Message = dict[str, Any]


async def lines() -> Any:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield json.loads(line)


def answer(message: Message) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def phone(join_url: str, role: str, name: str) -> None:
    device = BrowserPhone(join_url, role, name)
    await device.join()
    device.start()
    try:
        answer({"joined": device.code})
        async for order in lines():
            if order["do"] == "push":
                answer(device.push(order["command"]))
            elif order["do"] == "state":
                answer(device.state())
            elif order["do"] == "truth":
                answer(await truth(device))
            elif order["do"] == "quit":
                break
    finally:
        await device.stop()
    answer({"quit": True})


async def truth(device: BrowserPhone) -> Message:
    """What the server holds now: the snapshot a freshly opened socket is sent."""
    async with websockets.connect(
        f"{device.origin.replace('http', 'ws', 1)}/ws/tables/{device.code}",
        additional_headers={"Cookie": f"ks_device={device.cookie}", "Origin": device.origin},
        open_timeout=STEP,
        proxy=None,
    ) as socket:
        snapshot: Message = json.loads(await asyncio.wait_for(socket.recv(), STEP))
    return snapshot


async def facilitator(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=STEP, trust_env=False) as http:
        async for order in lines():
            if order["do"] == "healthy":
                answer({"healthy": await healthy(http, order["within"])})
            elif order["do"] == "request":
                headers = (
                    {"Authorization": f"Bearer {order['bearer']}"} if "bearer" in order else {}
                )
                response = await http.request(
                    order["method"], order["path"], json=order.get("json"), headers=headers
                )
                body: Any
                if response.headers.get("content-type", "").startswith("application/json"):
                    body = response.json()
                else:
                    body = base64.b64encode(response.content).decode()
                answer({"status": response.status_code, "body": body})
            elif order["do"] == "quit":
                break
    answer({"quit": True})


async def healthy(http: httpx.AsyncClient, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/healthz")).status_code == 200:
                return True
        await asyncio.sleep(0.2)
    return False


def main(argv: list[str]) -> None:
    if argv[:1] == ["phone"] and len(argv) == 4:
        asyncio.run(phone(*argv[1:]))
    elif argv[:1] == ["facilitator"] and len(argv) == 2:
        asyncio.run(facilitator(argv[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
