"""Rate limits that every server process shares: the `limits` library, in Redis or in memory.

With REDIS_URL set, the counts live in Redis, so N processes allow what one process allows;
without it (the laptop at a venue) they live in this process. Should Redis be unreachable,
each process counts on its own until it is back: a guard that locked out the room because
Redis restarted would do more harm than the guessing it stops.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

logger = logging.getLogger(__name__)

# How long a Redis call may take before this process counts on its own.
REDIS_TIMEOUT_SECONDS = 1.0


def redis_key_prefix(redis_url: str, prefix: str | None) -> str:
    """REDIS_PREFIX, or "kaartspel:<db>:" as the event hub uses for its channels."""
    if prefix:
        return prefix
    from redis.asyncio.connection import parse_url  # one process, no Redis: never loaded

    db = parse_url(redis_url).get("db", 0)
    return f"kaartspel:{db}:"


def make_storage(redis_url: str | None, prefix: str | None) -> Storage:
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        "async+" + redis_url,
        implementation="redispy",
        key_prefix=redis_key_prefix(redis_url, prefix) + "limits",
        wrap_exceptions=True,  # every failure is a StorageError: see Limit below
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # whole seconds until the next try would be allowed (0 when allowed)


class Limit:
    """One rate (e.g. "100 per 10 minutes") per key, counted in a moving window."""

    def __init__(self, rate: str, name: str, storage: Storage) -> None:
        self.item: RateLimitItem = parse(rate)
        self.name = name
        self.shared = MovingWindowRateLimiter(storage)
        # Used only while the shared storage fails; in memory, it is the same storage.
        self.local = (
            self.shared
            if isinstance(storage, MemoryStorage)
            else MovingWindowRateLimiter(MemoryStorage())
        )

    @property
    def amount(self) -> int:
        return int(self.item.amount)

    async def hit(self, key: str) -> Verdict:
        """Count one more for `key`; refused (and not counted) when the window is full."""
        try:
            allowed = await self.shared.hit(self.item, self.name, key)
            limiter = self.shared
        except StorageError:
            logger.warning("rate limit %s counted in this process: Redis is away", self.name)
            allowed = await self.local.hit(self.item, self.name, key)
            limiter = self.local
        return Verdict(True, 0) if allowed else await self._refused(limiter, key)

    async def check(self, key: str) -> Verdict:
        """Would one more be allowed? Counts nothing."""
        try:
            if await self.shared.test(self.item, self.name, key):
                return Verdict(True, 0)
            return await self._refused(self.shared, key)
        except StorageError:
            logger.warning("rate limit %s checked in this process: Redis is away", self.name)
            if await self.local.test(self.item, self.name, key):
                return Verdict(True, 0)
            return await self._refused(self.local, key)

    async def forget(self, key: str) -> None:
        await self.shared.clear(self.item, self.name, key)
        if self.local is not self.shared:
            await self.local.clear(self.item, self.name, key)

    async def _refused(self, limiter: MovingWindowRateLimiter, key: str) -> Verdict:
        stats = await limiter.get_window_stats(self.item, self.name, key)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))
