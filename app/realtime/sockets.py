"""How many table sockets each seat and each client address holds open, in every process.

Two uses: caps (a seat or an address asking for more sockets is refused with a close code),
and presence (a seat is away only when its *last* socket closes, wherever it was open).

With REDIS_URL set the open sockets are kept in Redis (a sorted set per seat and per address,
each socket scored by when it expires; its process renews them every 30 s), so every process
counts the same sockets, and those of a process that died drop out after 90 s. Without Redis
there is one process, and it counts in memory. While Redis is unreachable, each process
counts its own sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.game.roles import MAX_SEATS
from app.workshops.schemas import MAX_TABLES

logger = logging.getLogger(__name__)

# A phone needs one socket; two for a while after a Wi-Fi drop, when its new socket is open
# before the server has noticed the old one die (up to ~40 s of websocket pings); a third
# covers a second tab. Commands are limited per seat, so more sockets would buy nothing.
SOCKETS_PER_SEAT = 3
# The largest workshop (every table full) behind one venue NAT, two sockets per phone.
SOCKETS_PER_ADDRESS = MAX_TABLES * MAX_SEATS * 2
CLOSE_SEAT_FULL = 4409  # this seat already has SOCKETS_PER_SEAT sockets open
CLOSE_ADDRESS_FULL = 4429  # this address already has SOCKETS_PER_ADDRESS sockets open
EXPIRE_MS = 90_000  # a socket of a process that died stops counting after this
RENEW_SECONDS = 30.0
REDIS_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class Ticket:
    """One open socket of a seat, or a refusal (``refused`` is then the close code)."""

    id: str
    seat: int
    address: str
    refused: int | None = None
    shared: bool = False  # counted in Redis (else only in this process)


class Sockets:
    """The counts in this process's memory: right when it is the only process."""

    def __init__(
        self, per_seat: int = SOCKETS_PER_SEAT, per_address: int = SOCKETS_PER_ADDRESS
    ) -> None:
        self.per_seat, self.per_address = per_seat, per_address
        self._seats: dict[int, set[str]] = {}
        self._addresses: Counter[str] = Counter()
        self._ids = itertools.count(1)

    async def open(self, seat: int, address: str) -> Ticket:
        return self._open_here(seat, address)

    async def close(self, ticket: Ticket) -> int:
        """Forget this socket; how many sockets its seat still has open."""
        return self._close_here(ticket)

    async def aclose(self) -> None:
        """Nothing to release in memory (the Redis subclass has a connection and a task)."""

    def _open_here(self, seat: int, address: str, shared: bool = False) -> Ticket:
        ticket_id = f"{next(self._ids)}"
        held = self._seats.get(seat, set())
        if not shared and len(held) >= self.per_seat:
            return Ticket(ticket_id, seat, address, refused=CLOSE_SEAT_FULL)
        if not shared and self._addresses[address] >= self.per_address:
            return Ticket(ticket_id, seat, address, refused=CLOSE_ADDRESS_FULL)
        self._seats.setdefault(seat, set()).add(ticket_id)
        self._addresses[address] += 1
        return Ticket(ticket_id, seat, address, shared=shared)

    def _close_here(self, ticket: Ticket) -> int:
        held = self._seats.get(ticket.seat, set())
        if ticket.refused is None and ticket.id in held:
            held.discard(ticket.id)
            self._addresses[ticket.address] -= 1
            if self._addresses[ticket.address] <= 0:
                del self._addresses[ticket.address]
        if not held:
            self._seats.pop(ticket.seat, None)
        return len(held)


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


def make_sockets(redis_url: str | None, prefix: str) -> Sockets:
    return RedisSockets(redis_url, prefix) if redis_url else Sockets()
