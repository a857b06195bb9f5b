"""RedisHub: the hub for several server processes, fanning events out through Redis pub/sub.

Each process keeps one subscriber connection, shared by all its sockets (the local fan-out,
app/realtime/hub/fanout.py), and one publisher that sends in call order. Every message goes through Redis, even
to this process's own sockets: Redis hands a channel's messages to every subscriber in the
order it received them, so all processes see one table's events in one order.

Redis holds nothing we need to keep. While it is away messages may be lost; when the
subscriber connection is back, every socket gets RESYNC and sends a fresh snapshot from the
database, which is the truth.

A process can also die between committing an event and sending it. Nobody would hear of that
event until the table's next one, so each socket that opens announces its snapshot's seq to
every process (`announce`); a process whose sockets at that table heard only older events
waits a moment for the rest, in case they are still on the way, and then resyncs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from app.rate_limits import redis_key_prefix
from app.realtime.hub.base import RESYNC, Subscription
from app.realtime.hub.fanout import Fanout, Listeners

logger = logging.getLogger(__name__)

# A new socket waits this long for Redis to confirm its channel before it takes its snapshot;
# if Redis is away it goes ahead (from the database) and resyncs once Redis is back.
SUBSCRIBE_WAIT = 2.0
# A half-open TCP connection never fails by itself: ping, and give up after this much silence.
PING_EVERY = 5.0
SILENCE_LIMIT = 15.0
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 5.0
# Messages kept while Redis is away. Beyond that they are dropped and their channels get RESYNC.
PUBLISH_BACKLOG = 10_000
PUBLISH_BATCH = 100  # messages per round trip
# How long a publisher waits for its message to leave, while Redis answers (see publish()).
PUBLISH_WAIT = 0.5
ERRORS = (RedisError, OSError)
# An announced seq (see announce()), and how long the events up to it may take to arrive.
SEQ_HINT = "__seq__:"
MISSING_WAIT = 1.0


def _settle(item: _Outgoing) -> None:
    if not item.sent.done():
        item.sent.set_result(None)


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel until done: on 3.11 a cancellation can be swallowed by an asyncio.wait_for
    inside redis-py that finishes at the same moment."""
    while pending := [task for task in tasks if not task.done()]:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.1)


@dataclass
class _Outgoing:
    channel: str
    message: str
    sent: asyncio.Future[None]


@dataclass
class _Channel(Listeners):
    # Set once Redis has confirmed the subscription on the current connection.
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    # The newest seq every socket here has: heard as an event, or in the one socket's snapshot.
    seq: int = 0


class RedisHub:
    def __init__(
        self,
        url: str,
        prefix: str | None = None,
        client_name: str | None = None,
        seq_of: Callable[[str], int | None] = lambda message: None,
    ) -> None:
        self._seq_of = seq_of  # reads a message's seq, None for messages without one
        # Shows in CLIENT LIST which process a connection belongs to.
        self.client_name = client_name or f"kaartspel-{socket.gethostname()}-{os.getpid()}"
        # No retries inside redis-py: we reconnect ourselves, because a reconnect means lost
        # messages, and only we know to resync after one.
        self._redis = Redis.from_url(
            url,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
            socket_keepalive=True,
            client_name=self.client_name,
        )
        # Pub/sub ignores the database number, so it goes into the prefix: deployments sharing
        # one Redis on different numbers stay apart, and other users' channels are left alone.
        # The same prefix as the rate limits' and the socket counts' keys.
        self.prefix = redis_key_prefix(url, prefix)
        self._fanout = Fanout(_Channel, emptied=self._forget)
        self._channels = self._fanout.channels  # the channels this process's sockets watch
        self._resync: set[str] = set()  # channels to resync as soon as Redis confirms them
        self._changed = asyncio.Event()  # the wanted channels changed: tell Redis
        # Per subscriber connection: channels subscribed, and SUBSCRIBEs not yet confirmed.
        self._sent: set[str] = set()
        self._pending: dict[str, int] = {}
        self._heard = 0.0
        self._backlog: deque[_Outgoing] = deque()
        self._lost: set[str] = set()  # channels whose messages a full backlog dropped
        self._wake = asyncio.Event()
        self._publishing = True  # False while Redis refuses our messages
        self._tasks: list[asyncio.Task[None]] = []

    # --- the Hub interface ---------------------------------------------------------------

    async def publish(self, channel: str, message: str) -> None:
        """Queue the message (call order is send order) and wait, briefly, until it has left.

        The wait keeps a table's events in order between processes: the process that
        committed one sends it before it takes its next command, which may have to wait for
        the table lock while another process commits the next seq. An absent Redis is not
        waited for: the event is in the database already, and sockets resync later."""
        self._start()
        if len(self._backlog) >= PUBLISH_BACKLOG:
            for dropped in self._backlog:
                self._lost.add(dropped.channel)
                _settle(dropped)
            self._backlog.clear()
        item = _Outgoing(channel, message, asyncio.get_running_loop().create_future())
        self._backlog.append(item)
        self._wake.set()
        if self._publishing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PUBLISH_WAIT):
                    await asyncio.shield(item.sent)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        self._start()
        with self._fanout.join(channel) as (subscription, state):
            if channel in self._sent and channel not in self._pending:
                # Its last socket just left and Redis was not told yet: still subscribed.
                state.ready.set()
            self._changed.set()
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
                async with asyncio.timeout(SUBSCRIBE_WAIT):
                    await state.ready.wait()
            except TimeoutError:
                self._resync.add(channel)
            yield subscription

    def _forget(self, channel: str) -> None:
        """The last socket here on `channel` left: unsubscribe (see _steer)."""
        self._resync.discard(channel)
        self._changed.set()

    async def announce(self, channel: str, seq: int) -> None:
        """A socket on `channel` was sent a snapshot at `seq`: tell every process (itself too)."""
        state = self._channels.get(channel)
        if state is not None and len(state.subscribers) == 1:
            state.seq = max(state.seq, seq)  # the only socket here: nobody older to catch up
        await self.publish(channel, f"{SEQ_HINT}{seq}")

    def subscriber_count(self, channel: str) -> int:
        return self._fanout.count(channel)

    def redis_channels(self) -> set[str]:
        """The channels this process has asked Redis for on its connection (unprefixed)."""
        return set(self._sent)

    async def close(self) -> None:
        # Give queued messages a moment to leave; the database has their events anyway.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await self._drained()
        await _stop(self._tasks)
        self._tasks = []
        await self._redis.aclose()

    # --- publishing ------------------------------------------------------------------------

    def _start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._publish_forever(), name="redis-hub-publish"),
                asyncio.create_task(self._listen_forever(), name="redis-hub-listen"),
            ]

    async def _drained(self) -> None:
        while self._backlog or self._lost:
            await asyncio.sleep(0.01)

    async def _publish_forever(self) -> None:
        delay = BACKOFF_FIRST
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._backlog or self._lost:
                try:
                    await self._publish_next()
                    delay, self._publishing = BACKOFF_FIRST, True
                except Exception as error:  # whatever it is, the publisher must carry on
                    if delay == BACKOFF_FIRST:
                        logger.warning("Redis publish failed, retrying: %r", error)
                    self._publishing = False
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, BACKOFF_MAX)

    async def _publish_next(self) -> None:
        """Send the oldest messages; on failure they stay first in line, so order is kept.
        (A retry after a lost reply may send one twice: phones ignore a seq they have.)"""
        if self._lost:
            channel = next(iter(self._lost))
            await self._redis.publish(self.prefix + channel, RESYNC)
            self._lost.discard(channel)
            return
        batch = list(itertools.islice(self._backlog, PUBLISH_BATCH))
        async with self._redis.pipeline(transaction=False) as pipe:
            for item in batch:
                pipe.publish(self.prefix + item.channel, item.message)
            await pipe.execute()
        for item in batch:
            if self._backlog and self._backlog[0] is item:  # unless an overflow dropped it
                self._backlog.popleft()
            _settle(item)

    # --- the subscriber connection -----------------------------------------------------------

    async def _listen_forever(self) -> None:
        delay = BACKOFF_FIRST
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.ping()  # connects
                delay = BACKOFF_FIRST
                if self._resync:
                    logger.warning("Redis is back: resyncing %d channel(s)", len(self._resync))
                await self._session(pubsub)
            except Exception as error:  # whatever it is, the subscriber must carry on
                if delay == BACKOFF_FIRST:
                    logger.warning("Redis subscriber connection lost, reconnecting: %r", error)
            finally:
                self._connection_lost()
                with contextlib.suppress(*ERRORS):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    def _connection_lost(self) -> None:
        # Anything published from now until Redis confirms again is missed: resync then.
        self._resync.update(self._channels)
        for state in self._channels.values():
            state.ready.clear()
        self._sent.clear()
        self._pending.clear()

    async def _session(self, pubsub: PubSub) -> None:
        """Read and steer one connection until it fails (both tasks raise, neither returns)."""
        self._heard = time.monotonic()
        tasks = [asyncio.create_task(self._read(pubsub)), asyncio.create_task(self._steer(pubsub))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            await _stop(tasks)

    async def _steer(self, pubsub: PubSub) -> None:
        """The connection's only writer: (un)subscribe to match the local sockets, and ping."""
        pinged = 0.0
        while True:
            self._changed.clear()
            wanted = set(self._channels)
            added, dropped = wanted - self._sent, self._sent - wanted
            if added:
                self._sent |= added
                for name in added:
                    self._pending[name] = self._pending.get(name, 0) + 1
                await pubsub.subscribe(*(self.prefix + name for name in added))
            if dropped:
                self._sent -= dropped
                await pubsub.unsubscribe(*(self.prefix + name for name in dropped))
            now = time.monotonic()
            if now - self._heard > SILENCE_LIMIT:
                raise RedisConnectionError(f"no answer from Redis in {SILENCE_LIMIT:.0f} s")
            if now - pinged >= PING_EVERY:
                pinged = now
                await pubsub.ping()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PING_EVERY):
                    await self._changed.wait()

    async def _read(self, pubsub: PubSub) -> None:
        prefix = self.prefix
        while True:
            message = await pubsub.get_message(timeout=None)
            self._heard = time.monotonic()
            if message is None or not str(message.get("channel", "")).startswith(prefix):
                continue  # a pong
            name = message["channel"][len(prefix) :]
            if message["type"] == "message":
                state = self._channels.get(name)
                data = message["data"]
                if data.startswith(SEQ_HINT):
                    if state is not None and state.seq < int(data[len(SEQ_HINT) :]):
                        seq = int(data[len(SEQ_HINT) :])
                        asyncio.get_running_loop().call_later(
                            MISSING_WAIT, self._catch_up, name, state, seq
                        )
                    continue
                if state is not None:
                    state.seq = max(state.seq, self._seq_of(data) or 0)
                self._fanout.deliver(name, data)
            elif message["type"] == "subscribe":
                self._confirmed(name)

    def _catch_up(self, name: str, state: _Channel, seq: int) -> None:
        """Still nothing up to an announced seq: its sender died before sending; resync."""
        if self._channels.get(name) is not state or state.seq >= seq:
            return
        logger.warning("events up to seq %d of %s never came: resyncing its sockets", seq, name)
        state.seq = seq
        self._fanout.deliver(name, RESYNC)

    def _confirmed(self, name: str) -> None:
        # Confirmations come in command order: at zero pending, the newest SUBSCRIBE is live.
        left = self._pending.pop(name, 0) - 1
        if left > 0:
            self._pending[name] = left
            return
        state = self._channels.get(name)
        if name not in self._sent or state is None:
            return
        state.ready.set()
        if name in self._resync:
            self._resync.discard(name)
            self._fanout.deliver(name, RESYNC)
