"""RedisHub against the real Redis on 127.0.0.1:6379: two hubs stand for two server processes.

Each test uses a prefix of its own, so neither other tests nor other users of that Redis see
its channels. Every wait has a timeout.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from app.realtime.hub import RESYNC, Subscription, make_hub
from app.realtime.hub import redis as redis_hub
from app.realtime.hub.redis import RedisHub
from app.settings import Settings
from tests.conftest import port_open, require

REDIS_URL = "redis://127.0.0.1:6379/9"
TIMEOUT = 5.0


@pytest.fixture
def hubs() -> Callable[[str], RedisHub]:
    """Hubs on a prefix of this test's own; `hubs("b")` is the hub of process "b"."""
    require(port_open("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379")
    run = uuid.uuid4().hex[:10]

    def hub(name: str) -> RedisHub:
        return RedisHub(REDIS_URL, prefix=f"kaartspel-test-{run}:", client_name=f"ks-{run}-{name}")

    return hub


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 30))


async def receive(subscription: Subscription, count: int) -> list[str]:
    return [await asyncio.wait_for(subscription.get(), TIMEOUT) for _ in range(count)]


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not await check():
            await asyncio.sleep(0.02)


async def kill_connection(client_name: str, kind: str) -> None:
    """CLIENT KILL the connection of this name and type (`pubsub` or `normal`)."""
    async with Redis.from_url(REDIS_URL, decode_responses=True) as admin:
        clients = await admin.client_list(_type=kind)
        ids = [c["id"] for c in clients if c["name"] == client_name]
        assert ids, f"no {kind} connection named {client_name}"
        for client_id in ids:
            await admin.execute_command("CLIENT", "KILL", "ID", client_id)


async def redis_subscribers(hub: RedisHub, channel: str) -> int:
    async with Redis.from_url(REDIS_URL, decode_responses=True) as admin:
        counts = await admin.pubsub_numsub(hub.prefix + channel)
        return int(counts[0][1])


def test_make_hub_picks_memory_without_a_redis_url() -> None:
    assert Settings(redis_url="  ").redis_url is None
    assert type(make_hub(None)).__name__ == "MemoryHub"
    assert type(make_hub("")).__name__ == "MemoryHub"
    hub = make_hub("redis://127.0.0.1:6379/4")
    assert isinstance(hub, RedisHub)
    # The database number is part of the prefix: pub/sub itself ignores it.
    assert hub.prefix == "kaartspel:4:"


def test_publish_on_one_process_arrives_in_order_on_the_other(hubs) -> None:
    one, other = hubs("one"), hubs("other")

    async def test() -> None:
        try:
            async with (
                other.subscribe("table:1") as table,
                other.subscribe("workshop:w") as dashboard,
                one.subscribe("table:1") as own,
            ):
                # More than one queue holds (QUEUE_LIMIT), read while they arrive.
                sent = [f'{{"seq":{n}}}' for n in range(1, 1001)]
                heard = asyncio.gather(receive(table, len(sent)), receive(own, len(sent)))
                for message in sent:
                    await one.publish("table:1", message)
                await one.publish("workshop:w", "for the dashboard")
                # The publishing process's own sockets hear it through Redis too, in order.
                assert await heard == [sent, sent]
                assert await receive(dashboard, 1) == ["for the dashboard"]
                assert table.queue.empty() and dashboard.queue.empty()
        finally:
            await one.close()
            await other.close()

    run(test)


def test_one_redis_subscription_per_channel_and_unsubscribe_cleans_up(hubs) -> None:
    one, other = hubs("one"), hubs("other")

    async def test() -> None:
        try:
            async with other.subscribe("table:7") as first:
                async with other.subscribe("table:7") as second:
                    assert other.subscriber_count("table:7") == 2
                    assert await redis_subscribers(other, "table:7") == 1
                    await one.publish("table:7", "both")
                    assert await receive(first, 1) == await receive(second, 1) == ["both"]
                assert other.subscriber_count("table:7") == 1
                assert await redis_subscribers(other, "table:7") == 1
            assert other.subscriber_count("table:7") == 0

            # A socket that comes as the last one leaves (a phone reconnecting) finds the
            # channel still subscribed, and waits for nothing.
            async with other.subscribe("table:8"):
                pass
            async with asyncio.timeout(0.5), other.subscribe("table:8") as back:
                await one.publish("table:8", "still here")
                assert await receive(back, 1) == ["still here"]

            async def gone() -> bool:
                return await redis_subscribers(other, "table:7") == 0

            await eventually(gone)
            assert "table:7" not in other.redis_channels()
            # And a socket that comes later subscribes afresh.
            async with other.subscribe("table:7") as later:
                await one.publish("table:7", "again")
                assert await receive(later, 1) == ["again"]
        finally:
            await one.close()
            await other.close()

    run(test)


def test_killed_subscriber_connection_reconnects_and_resyncs(hubs) -> None:
    one, other = hubs("one"), hubs("other")

    async def test() -> None:
        try:
            async with other.subscribe("table:1") as table, other.subscribe("workshop:w") as dash:
                await one.publish("table:1", "before")
                assert await receive(table, 1) == ["before"]

                await kill_connection(other.client_name, "pubsub")
                # Whatever was published meanwhile may be lost: every socket is told to resync.
                assert await receive(table, 1) == [RESYNC]
                assert await receive(dash, 1) == [RESYNC]
                await one.publish("table:1", "after")
                assert await receive(table, 1) == ["after"]
                assert await redis_subscribers(other, "table:1") == 1
        finally:
            await one.close()
            await other.close()

    run(test)


def test_killed_publisher_connection_loses_nothing_and_keeps_order(hubs) -> None:
    one, other = hubs("one"), hubs("other")

    async def test() -> None:
        try:
            async with other.subscribe("table:1") as table:
                await one.publish("table:1", "1")
                assert await receive(table, 1) == ["1"]
                await kill_connection(one.client_name, "normal")
                for n in range(2, 21):
                    await one.publish("table:1", str(n))
                assert await receive(table, 19) == [str(n) for n in range(2, 21)]
        finally:
            await one.close()
            await other.close()

    run(test)


def test_without_redis_sockets_still_start_and_publishing_hardly_waits(monkeypatch) -> None:
    monkeypatch.setattr(redis_hub, "SUBSCRIBE_WAIT", 0.3)
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hub = RedisHub(f"redis://127.0.0.1:{port}/0")

    async def test() -> None:
        try:
            async with asyncio.timeout(1 + redis_hub.PUBLISH_WAIT):
                async with hub.subscribe("table:1") as table:
                    for n in range(20):  # only the first waits: then Redis is known to be away
                        await hub.publish("table:1", f"queued-{n}")
                    assert table.queue.empty()
        finally:
            async with asyncio.timeout(3):
                await hub.close()

    run(test)


class Proxy:
    """A TCP proxy to the real Redis that can go away and come back, as a restarting Redis
    does: its connections drop, and meanwhile nothing answers on its port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/9"

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    async def _pipe(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        redis_side, to_redis = await asyncio.open_connection("127.0.0.1", 6379)
        self.writers += [to_client, to_redis]

        async def copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    target.write(data)
                    await target.drain()
            except OSError:
                pass
            finally:
                target.transport.abort()

        await asyncio.gather(copy(client, to_redis), copy(redis_side, to_client))


def test_messages_queued_while_redis_is_away_are_sent_in_order_or_resynced(
    hubs, monkeypatch
) -> None:
    monkeypatch.setattr(redis_hub, "PUBLISH_BACKLOG", 3)
    proxy = Proxy()
    listener = hubs("listener")

    async def test() -> None:
        await proxy.up()
        # Only the publishing process loses Redis; the listening one stays connected.
        publisher = RedisHub(proxy.url(), prefix=listener.prefix, client_name="ks-away")
        try:
            async with listener.subscribe("table:1") as table:
                await publisher.publish("table:1", "before")
                assert await receive(table, 1) == ["before"]
                await proxy.down()
                for n in range(5):
                    await publisher.publish("table:1", f"away-{n}")
                await asyncio.sleep(0.3)
                await proxy.up()
                # Three did not fit the backlog: their channel is told to resync instead.
                assert await receive(table, 3) == [RESYNC, "away-3", "away-4"]
        finally:
            await publisher.close()
            await listener.close()
            await proxy.down()

    run(test)


def test_a_listener_that_lost_redis_resyncs_when_it_is_back(hubs) -> None:
    proxy = Proxy()
    publisher = hubs("publisher")

    async def test() -> None:
        await proxy.up()
        # Only the listening process loses Redis, as when Redis restarts under it.
        listener = RedisHub(proxy.url(), prefix=publisher.prefix, client_name="ks-away")
        try:
            async with listener.subscribe("table:1") as table:
                await publisher.publish("table:1", "before")
                assert await receive(table, 1) == ["before"]
                await proxy.down()
                await publisher.publish("table:1", "missed")  # nobody there to hear it
                await asyncio.sleep(0.5)
                assert table.queue.empty()
                await proxy.up()
                assert await receive(table, 1) == [RESYNC]  # a snapshot makes good the loss
                await publisher.publish("table:1", "after")
                assert await receive(table, 1) == ["after"]
        finally:
            await listener.close()
            await publisher.close()
            await proxy.down()

    run(test)
