"""The hub: fans each table's events out to every socket watching it.

`Hub` is the interface; `MemoryHub` serves one process, `RedisHub` (app.realtime.redis_hub)
fans out between processes. `make_hub` picks one from the settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

# A subscriber further behind than this is not awaited (that would stall everyone else):
# its queue is cleared and it is told to resync from a fresh snapshot instead.
QUEUE_LIMIT = 256
RESYNC = "__resync__"


class Subscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_LIMIT)

    def offer(self, message: str) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)

    async def get(self) -> str:
        return await self.queue.get()


class Hub(Protocol):
    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]: ...

    async def announce(self, channel: str, seq: int) -> None:
        """A socket on `channel` was just sent a snapshot at `seq` (see RedisHub.announce)."""

    async def close(self) -> None: ...


class MemoryHub:
    def __init__(self) -> None:
        self._channels: dict[str, set[Subscription]] = {}

    async def publish(self, channel: str, message: str) -> None:
        for subscription in tuple(self._channels.get(channel, ())):
            subscription.offer(message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription()
        self._channels.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._channels.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._channels[channel]

    def subscriber_count(self, channel: str) -> int:
        return len(self._channels.get(channel, ()))

    async def announce(self, channel: str, seq: int) -> None:
        return None  # one process: its sockets hear every event it commits

    async def close(self) -> None:
        self._channels.clear()


def make_hub(redis_url: str | None, prefix: str | None = None) -> Hub:
    """Redis when several processes must share events, otherwise memory (the laptop at a venue)."""
    if not redis_url:
        return MemoryHub()
    # Imported here: the single-process setup never loads the Redis client.
    from app.realtime.redis_hub import RedisHub
    from app.realtime.table_feed import message_seq

    return RedisHub(redis_url, prefix, seq_of=message_seq)
