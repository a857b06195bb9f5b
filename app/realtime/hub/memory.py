"""MemoryHub: the hub for one server process (the laptop at a venue): a publish is delivered
to this process's subscriptions at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.realtime.hub.base import Subscription
from app.realtime.hub.fanout import Fanout, Listeners


class MemoryHub:
    def __init__(self) -> None:
        self._fanout = Fanout(Listeners)

    async def publish(self, channel: str, message: str) -> None:
        self._fanout.deliver(channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        with self._fanout.join(channel) as (subscription, _):
            yield subscription

    def subscriber_count(self, channel: str) -> int:
        return self._fanout.count(channel)

    async def announce(self, channel: str, seq: int) -> None:
        return None  # one process: its sockets hear every event it commits

    async def close(self) -> None:
        self._fanout.channels.clear()
