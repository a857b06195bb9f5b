"""How many table sockets each seat and each client address holds open, in every process.

Two uses: caps (a seat or an address asking for more sockets is refused with a close code),
and presence (a seat is away only when its *last* socket closes, wherever it was open).

Without Redis there is one process, and it counts in memory (here); with REDIS_URL set every
process counts the same sockets in Redis (app/realtime/hub/redis_sockets.py).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from app.game.roles import MAX_SEATS
from app.workshops.schemas import MAX_TABLES

# A phone needs one socket; two for a while after a Wi-Fi drop, when its new socket is open
# before the server has noticed the old one die (up to ~40 s of websocket pings); a third
# covers a second tab. Commands are limited per seat, so more sockets would buy nothing.
SOCKETS_PER_SEAT = 3
# The largest workshop (every table full) behind one venue NAT, two sockets per phone.
SOCKETS_PER_ADDRESS = MAX_TABLES * MAX_SEATS * 2
CLOSE_SEAT_FULL = 4409  # this seat already has SOCKETS_PER_SEAT sockets open
CLOSE_ADDRESS_FULL = 4429  # this address already has SOCKETS_PER_ADDRESS sockets open


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


def make_sockets(redis_url: str | None, prefix: str) -> Sockets:
    """Redis when several processes must agree, otherwise memory (the laptop at a venue)."""
    if not redis_url:
        return Sockets()
    # Imported here: the single-process setup never loads the Redis client.
    from app.realtime.hub.redis_sockets import RedisSockets

    return RedisSockets(redis_url, prefix)
