"""The hub: fans each table's events out to every socket watching it, laid out as encode's
broadcaster is: the interface (`base`), a backend per module (`memory`, `redis`) and the local
fan-out to this process's sockets (`fanout`) that both use. `sockets` and `redis_sockets` count
the open table sockets per seat and per address, in memory or in Redis, the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from app.realtime.hub.base import QUEUE_LIMIT, RESYNC, Hub, Subscription
from app.realtime.hub.memory import MemoryHub

__all__ = ["QUEUE_LIMIT", "RESYNC", "Hub", "MemoryHub", "Subscription", "make_hub"]


def make_hub(
    redis_url: str | None,
    prefix: str | None = None,
    seq_of: Callable[[str], int | None] = lambda message: None,
) -> Hub:
    """Redis when several processes must share events, otherwise memory (the laptop at a venue).
    `seq_of` reads a message's seq (RedisHub uses it to notice events that never came)."""
    if not redis_url:
        return MemoryHub()
    # Imported here: the single-process setup never loads the Redis client.
    from app.realtime.hub.redis import RedisHub

    return RedisHub(redis_url, prefix, seq_of=seq_of)
