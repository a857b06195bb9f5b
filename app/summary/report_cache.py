"""The report PDF, made once per state of its workshop: per process, or in Redis for every process.

Typesetting a long workshop's report takes seconds of CPU, and everyone asks for it at the same
moment (the facilitator, each share link, right after the last round). So the PDF is kept with
the state it shows (`report_state`: the workshop's row, every table's `seq`, and the code and
files that make the report), and made again only once that state moves on.

- Without REDIS_URL (one process): the last few PDFs in this process's memory, and one maker
  per workshop at a time, the others waiting for its PDF.
- With REDIS_URL (several processes): one hash per workshop in Redis, `<prefix>report-pdf:<id>`,
  holding its latest state, file name and PDF, and expiring an hour after it was made; at most
  `MAX_PDF_BYTES` each. A Redis lock (redis-py's `Lock`) makes one process typeset while the
  others wait for it (up to `WAIT_SECONDS`, then they make their own). Should Redis be away, each
  process falls back to its own memory: a download never fails because Redis did.

Responses say which it was in `X-Cache` (`hit`, or `miss` for the request that made it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from app.models import Workshop
from app.settings import ROOT

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

Made = tuple[bytes, str]  # the PDF and its file name
Maker = Callable[[], Made]

MEMORY_ENTRIES = 8  # PDFs are megabytes: a laptop keeps the last few
TTL_SECONDS = 3600  # a report asked for again after an hour is made again
MAX_PDF_BYTES = 16 * 1024 * 1024  # larger reports are made each time rather than kept
LOCK_SECONDS = 120  # a maker that died frees the lock after this
WAIT_SECONDS = 90  # how long a process waits for another's PDF before making its own
REDIS_TIMEOUT_SECONDS = 5.0  # a PDF of megabytes crosses the network in one reply

# What the report is made from besides the database: a new version must not serve old PDFs.
SOURCES = ("app", "cards")
SOURCE_SUFFIXES = {".py", ".html", ".css", ".po", ".yaml", ".yml", ".svg"}


@dataclass(frozen=True)
class Served:
    content: bytes
    name: str
    hit: bool  # kept from before (here or by another process), not made for this request


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the files that shape the report, read once per process."""
    digest = hashlib.sha256()
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def report_state(workshop: Workshop, seqs: Iterable[tuple[int | None, int]]) -> str:
    """What the report shows, as one string: equal states make equal reports.

    Every change at a table bumps its `seq`; the workshop's own fields (title, date, language,
    retention) are in its row; the code and decks in `code_version()`.
    """
    row = json.dumps(workshop.model_dump(mode="json"), sort_keys=True, default=str)
    tables = sorted((table_id or 0, seq) for table_id, seq in seqs)
    return hashlib.sha256(f"{code_version()}|{row}|{tables}".encode()).hexdigest()


class MemoryReportCache:
    """In this process: the last MEMORY_ENTRIES reports, one maker per workshop at a time."""

    def __init__(self, size: int = MEMORY_ENTRIES) -> None:
        self.size = size
        self.made: OrderedDict[tuple[str, str], Made] = OrderedDict()
        self.guard = threading.Lock()  # over `made` and `makers`
        self.makers: dict[str, threading.Lock] = {}

    def serve(self, workshop_id: str, state: str, make: Maker) -> Served:
        found = self._get(workshop_id, state)
        if found is not None:
            return Served(*found, hit=True)
        with self.guard:
            maker = self.makers.setdefault(workshop_id, threading.Lock())
        with maker:  # another request for this workshop may be typesetting it right now
            found = self._get(workshop_id, state)
            if found is not None:
                return Served(*found, hit=True)
            content, name = make()
            self._put(workshop_id, state, (content, name))
        return Served(content, name, hit=False)

    def _get(self, workshop_id: str, state: str) -> Made | None:
        with self.guard:
            found = self.made.get((workshop_id, state))
            if found is not None:
                self.made.move_to_end((workshop_id, state))
            return found

    def _put(self, workshop_id: str, state: str, made: Made) -> None:
        with self.guard:
            self.made[(workshop_id, state)] = made
            while len(self.made) > self.size:
                self.made.popitem(last=False)

    def close(self) -> None:
        """Nothing to release (the Redis cache has a connection pool)."""


class RedisReportCache(MemoryReportCache):
    """In Redis, for every process: the latest state of each workshop's report."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        super().__init__()  # this process's own cache, for while Redis is away
        self.redis, self.prefix = redis, prefix

    def serve(self, workshop_id: str, state: str, make: Maker) -> Served:
        from redis.exceptions import RedisError

        key = f"{self.prefix}report-pdf:{workshop_id}"
        try:
            found = self._fetch(key, state)
            if found is not None:
                return Served(*found, hit=True)
            lock = self.redis.lock(
                f"{key}:making", timeout=LOCK_SECONDS, blocking_timeout=WAIT_SECONDS
            )
            if not lock.acquire():
                logger.warning("report of workshop %s: made here, another maker is slow", key)
                return Served(*make(), hit=False)
            try:
                found = self._fetch(key, state)  # made by whoever held the lock before
                if found is not None:
                    return Served(*found, hit=True)
                content, name = make()
                self._keep(key, state, content, name)
                return Served(content, name, hit=False)
            finally:
                with contextlib.suppress(RedisError):  # LockError: held past LOCK_SECONDS
                    lock.release()
        except RedisError:
            logger.warning("report PDF cached in this process only: Redis is away")
            return super().serve(workshop_id, state, make)

    def _keep(self, key: str, state: str, content: bytes, name: str) -> None:
        """Store what was made; a failure here costs the next asker a PDF, never this one."""
        from redis.exceptions import RedisError

        if len(content) > MAX_PDF_BYTES:
            return
        try:
            with self.redis.pipeline(transaction=True) as keep:
                keep.hset(key, mapping={"state": state, "name": name, "pdf": content})
                keep.expire(key, TTL_SECONDS)
                keep.execute()
        except RedisError:
            logger.warning("report PDF not kept in Redis: Redis is away")

    def _fetch(self, key: str, state: str) -> Made | None:
        kept: list[Any] = self.redis.hmget(key, ["state", "name", "pdf"])
        if kept[0] is None or kept[0].decode() != state or kept[2] is None:
            return None
        return bytes(kept[2]), kept[1].decode()

    def close(self) -> None:
        self.redis.close()


def make_report_cache(redis_url: str | None, prefix: str) -> MemoryReportCache:
    if not redis_url:
        return MemoryReportCache()
    from redis import Redis  # one process, no Redis: never loaded

    client = Redis.from_url(
        redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    return RedisReportCache(client, prefix)
