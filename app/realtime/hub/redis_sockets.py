"""The open table sockets per seat and per address in Redis, so that every process counts the
same ones (see app/realtime/hub/sockets.py for what the counts are for).

A sorted set per seat and per address holds its open sockets, each scored by when it expires;
the process that holds a socket renews it every 30 s, so the sockets of a process that died
drop out after 90 s. Admitting and releasing are one Lua script each, so two processes never
both take the last place. While Redis is unreachable, each process counts its own sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.realtime.hub.sockets import (
    CLOSE_ADDRESS_FULL,
    CLOSE_SEAT_FULL,
    SOCKETS_PER_ADDRESS,
    SOCKETS_PER_SEAT,
    Sockets,
    Ticket,
)

logger = logging.getLogger(__name__)

EXPIRE_MS = 90_000  # a socket of a process that died stops counting after this
RENEW_SECONDS = 30.0
REDIS_TIMEOUT_SECONDS = 1.0

# KEYS: the seat's set, the address's set. ARGV: now, expires, member, per seat, per address.
_ADMIT = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 2 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[2])
return 0
"""
# KEYS: the seat's set, the address's set. ARGV: member, now. Returns the seat's open count.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]))
return redis.call('ZCARD', KEYS[1])
"""


class RedisSockets(Sockets):
    """The counts in Redis, shared by every process; this process's own kept as a fallback."""

    def __init__(
        self,
        url: str,
        prefix: str,
        per_seat: int = SOCKETS_PER_SEAT,
        per_address: int = SOCKETS_PER_ADDRESS,
    ) -> None:
        super().__init__(per_seat, per_address)
        self.prefix = prefix + "sockets:"
        self._process = uuid.uuid4().hex[:12]
        self._redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            client_name=f"kaartspel-sockets-{socket.gethostname()}-{os.getpid()}",
        )
        self._admit = self._redis.register_script(_ADMIT)
        self._release = self._redis.register_script(_RELEASE)
        self._mine: dict[str, Ticket] = {}
        self._renewer: asyncio.Task[None] | None = None

    def _keys(self, seat: int, address: str) -> list[str]:
        return [f"{self.prefix}seat:{seat}", f"{self.prefix}address:{address}"]

    async def open(self, seat: int, address: str) -> Ticket:
        member = f"{self._process}:{next(self._ids)}"
        now = int(time.time() * 1000)
        try:
            verdict = await self._admit(
                keys=self._keys(seat, address),
                args=[now, now + EXPIRE_MS, member, self.per_seat, self.per_address],
            )
        except RedisError:
            logger.warning("sockets counted in this process only: Redis is away")
            return self._open_here(seat, address)
        if verdict == 1:
            return Ticket(member, seat, address, refused=CLOSE_SEAT_FULL)
        if verdict == 2:
            return Ticket(member, seat, address, refused=CLOSE_ADDRESS_FULL)
        local = self._open_here(seat, address, shared=True)
        ticket = Ticket(member, seat, address, shared=True)
        self._mine[member] = local
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew())
        return ticket

    async def close(self, ticket: Ticket) -> int:
        if not ticket.shared:
            return self._close_here(ticket)
        local = self._mine.pop(ticket.id, None)
        here = self._close_here(local) if local is not None else 0
        try:
            remaining = await self._release(
                keys=self._keys(ticket.seat, ticket.address),
                args=[ticket.id, int(time.time() * 1000)],
            )
        except RedisError:
            logger.warning("socket closed while Redis is away: counting this process only")
            return here
        return int(remaining)

    async def _renew(self) -> None:
        """Push every open socket's expiry forward, so a living process never loses one."""
        while self._mine:
            await asyncio.sleep(RENEW_SECONDS)
            expires = int(time.time() * 1000) + EXPIRE_MS
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for member, local in list(self._mine.items()):
                        for key in self._keys(local.seat, local.address):
                            pipe.zadd(key, {member: expires}, xx=True)
                            pipe.pexpireat(key, expires)
                    await pipe.execute()
            except RedisError:
                logger.warning("open sockets not renewed: Redis is away")

    async def aclose(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        await self._redis.aclose()
