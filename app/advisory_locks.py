"""Jobs that one process at a time should run, when several share one PostgreSQL database.

Every process runs the round clock and the retention sweep, so that any of them may stop
without the others noticing. With PostgreSQL advisory locks (session-level: held by one
connection until it unlocks or closes, and freed by the server when that connection dies,
e.g. when its process is killed) only one of them does the work:

- `Leadership`: held for as long as the process lives, for a job that runs all the time (the
  round clock). The leader keeps a connection of its own; the others ask again now and then.
- `only_one`: held for one run of a job that runs now and then (the retention sweep); a
  process that finds it taken skips that run.

On SQLite there is one process, which always leads. Neither lock replaces the row locks that
keep the work itself correct should two processes ever do it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

# Keys of our own in the database's one advisory lock space: "ks" and a job number.
CLOCK_KEEPER = 0x6B73_0001
RETENTION_SWEEP = 0x6B73_0002
logger = logging.getLogger(__name__)


def _shared(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _try_lock(connection: Connection, key: int) -> bool:
    got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
    connection.commit()  # the lock is the session's; no transaction is left open with it
    return bool(got)


class Leadership:
    """Is this process the one that runs a job? Blocking calls: run them on a worker thread."""

    def __init__(self, engine: Engine, key: int) -> None:
        self._engine, self._key = engine, key
        self._held: Connection | None = None  # the connection holding the lock, while we lead

    def lead(self) -> bool:
        """Stay leader (the lock's connection still answers) or try to become it."""
        if not _shared(self._engine):
            return True
        if self._held is not None:
            try:
                self._held.execute(text("SELECT 1")).scalar()
                self._held.commit()
                return True
            except DBAPIError:  # the server went away, and the lock with it
                logger.warning("lost the lead of job %#x: its database connection died", self._key)
                self.resign()
        connection = self._engine.connect()
        try:
            got = _try_lock(connection, self._key)
        except BaseException:
            connection.close()
            raise
        if got:
            self._held = connection
        else:
            connection.close()
        return got

    def resign(self) -> None:
        """Let go: the connection is closed for good, never handed back to the pool locked."""
        held, self._held = self._held, None
        if held is not None:
            held.invalidate()
            held.close()


@contextmanager
def only_one(engine: Engine, key: int) -> Iterator[bool]:
    """True inside the block if this process holds the job's lock (always on SQLite)."""
    if not _shared(engine):
        yield True
        return
    with engine.connect() as connection:
        got = _try_lock(connection, key)
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
