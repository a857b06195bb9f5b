"""A socket that fell behind gets a snapshot instead, read without holding up anyone else."""

from __future__ import annotations

import asyncio
import time

from starlette.websockets import WebSocketDisconnect

from app.realtime.endpoint import pump
from app.realtime.hub import QUEUE_LIMIT, Subscription


class SlowPhone:
    """Enough of a WebSocket for pump(): it sends after a pause and never says anything."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_text(self, message: str) -> None:
        await asyncio.sleep(0.001)
        self.sent.append(message)

    async def receive(self) -> dict:
        await asyncio.sleep(3600)
        raise WebSocketDisconnect(1000)

    async def close(self, code: int = 1000) -> None:
        pass


def test_a_phone_that_fell_behind_gets_a_snapshot_read_off_the_loop() -> None:
    phone = SlowPhone()
    subscription = Subscription()
    ticks: list[float] = []

    def slow_snapshot() -> str:
        time.sleep(0.3)  # a dashboard reading a hundred tables
        return '{"type":"snapshot"}'

    async def ticker() -> None:
        for _ in range(40):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    async def nothing(raw: str, outbox: Subscription) -> None:
        pass

    async def run() -> None:
        for n in range(QUEUE_LIMIT + 1):  # one more than the queue holds: it is replaced
            subscription.offer(f'{{"seq":{n}}}')
        pumping = asyncio.create_task(pump(phone, subscription, nothing, slow_snapshot))  # type: ignore[arg-type]
        await ticker()
        subscription.offer('{"seq":"after"}')
        deadline = time.monotonic() + 5
        while phone.sent[-1:] != ['{"seq":"after"}'] and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        pumping.cancel()

    asyncio.run(run())
    assert phone.sent == ['{"type":"snapshot"}', '{"seq":"after"}']
    # While the snapshot was read (0.3 s), the loop went on: no gap near that long.
    assert max(b - a for a, b in zip(ticks, ticks[1:], strict=False)) < 0.2
