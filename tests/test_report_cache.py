"""The report PDF's cache on its own (app/summary/report_cache.py): one maker per workshop at a
time, bounded, and never a failed download because Redis is away. (Across two processes:
tests/test_shared_guards.py::test_the_report_pdf_is_made_once_for_two_processes.)"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from redis import Redis

from app.models import Workshop
from app.summary.report_cache import (
    TTL_SECONDS,
    MemoryReportCache,
    RedisReportCache,
    report_state,
)
from tests.conftest import port_open, require

REDIS_URL = "redis://127.0.0.1:6379/9"


class Maker:
    """A slow typesetter that counts its work."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self) -> tuple[bytes, str]:
        with self.lock:
            self.calls += 1
        time.sleep(0.3)
        return b"%PDF-1.7 report", "verslag.pdf"


def test_one_process_makes_a_state_once_however_many_ask_at_once() -> None:
    cache, make = MemoryReportCache(), Maker()
    with ThreadPoolExecutor(4) as pool:
        served = list(pool.map(lambda _: cache.serve("w1", "s1", make), range(4)))
    assert make.calls == 1
    assert sorted(s.hit for s in served) == [False, True, True, True]
    assert cache.serve("w1", "s2", make).hit is False  # a new state is made anew
    assert make.calls == 2


def test_the_memory_cache_keeps_the_last_few() -> None:
    cache, make = MemoryReportCache(size=2), Maker()
    for state in ("s1", "s2", "s3"):
        cache.serve("w1", state, make)
    assert len(cache.made) == 2
    assert cache.serve("w1", "s1", make).hit is False  # the oldest went first


def test_the_state_moves_with_the_workshop_and_its_tables() -> None:
    workshop = Workshop(
        id="w1",
        title="Leren",
        date=dt.date(2026, 12, 2),
        table_count=2,
        deck_id="llo",
        facilitator_hash="x",
    )
    state = report_state(workshop, [(1, 5), (2, 3)])
    assert report_state(workshop, [(2, 3), (1, 5)]) == state  # order does not matter
    assert report_state(workshop, [(1, 6), (2, 3)]) != state  # a move at a table
    workshop.title = "Leren en ontwikkelen"
    assert report_state(workshop, [(1, 5), (2, 3)]) != state  # the facilitator's edit


def test_two_processes_on_one_redis_make_a_state_once() -> None:
    require(port_open("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379")
    prefix = f"kaartspel-test-{uuid.uuid4().hex[:10]}:"
    caches = [RedisReportCache(Redis.from_url(REDIS_URL), prefix) for _ in "ab"]
    make = Maker()
    try:
        with ThreadPoolExecutor(4) as pool:
            served = list(pool.map(lambda n: caches[n % 2].serve("w1", "s1", make), range(4)))
        assert make.calls == 1
        assert [s.content for s in served] == [b"%PDF-1.7 report"] * 4
        ttl = caches[0].redis.ttl(f"{prefix}report-pdf:w1")
        assert 0 < ttl <= TTL_SECONDS  # it goes by itself
        caches[1].serve("w1", "s2", make)  # one entry per workshop: the new state replaces it
        assert len(list(caches[0].redis.scan_iter(match=f"{prefix}report-pdf:*"))) == 1
    finally:
        with Redis.from_url(REDIS_URL) as redis:
            for key in redis.scan_iter(match=f"{prefix}*"):
                redis.delete(key)
        for cache in caches:
            cache.close()


def test_a_download_never_fails_because_redis_is_away() -> None:
    away = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)  # discard port
    cache, make = RedisReportCache(away, "kaartspel-test:"), Maker()
    first = cache.serve("w1", "s1", make)
    assert first.content == b"%PDF-1.7 report" and first.hit is False
    assert cache.serve("w1", "s1", make).hit is True  # kept in this process meanwhile
    assert make.calls == 1
