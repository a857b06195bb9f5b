"""What every hub offers: publish to a channel, subscribe to one, and the bounded queue a
subscriber reads from.

The backends: `memory.MemoryHub` (one process) and `redis.RedisHub` (several, through Redis);
both hand what reaches this process to its sockets through `fanout.Fanout`.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
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

    def offer_first(self, snapshot: str) -> None:
        """A snapshot goes ahead of what was queued while it was read: a phone ignores events
        until its snapshot comes, so an event newer than the snapshot that got in first would be
        lost to it (those it already holds, seq <= the snapshot's, it ignores as duplicates)."""
        queued = []
        while not self.queue.empty():
            queued.append(self.queue.get_nowait())
        self.offer(snapshot)
        for message in queued:
            self.offer(message)

    async def get(self) -> str:
        return await self.queue.get()


class Hub(Protocol):
    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]: ...

    async def announce(self, channel: str, seq: int) -> None:
        """A socket on `channel` was just sent a snapshot at `seq` (see RedisHub.announce)."""

    async def close(self) -> None: ...
