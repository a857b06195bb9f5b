"""One change at a time per table in this process, with its database work off the event loop.

Correctness between processes is the database's job (row locks, unique sequence numbers).
These locks only keep one process's events for a table leaving in commit order, while the
transaction itself runs on a worker thread: a table waiting on a busy database then holds
up nobody else — not the other tables' phones, not the clock, not the facilitator's page.
"""

from __future__ import annotations

import asyncio


class TableLocks:
    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    def __call__(self, table_id: int) -> asyncio.Lock:
        lock = self._locks.get(table_id)
        if lock is None:
            lock = self._locks[table_id] = asyncio.Lock()
        return lock
