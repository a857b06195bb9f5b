"""Giving freed memory back to the system after a large release (a room of phones leaving).

CPython hands blocks above 512 bytes (a socket's buffers, its compression context, JSON
strings) to the C library's malloc, and glibc keeps what is freed for reuse instead of
returning it: only the very top of the main heap shrinks by itself, and worker threads get
heaps of their own. A process that served 5 000 phones then stays that size after they have
left (issue #18). `malloc_trim(0)` returns every whole free page of every heap; it costs a
few milliseconds and holds no Python lock (ctypes lets go of the GIL).

Where the C library is not glibc (musl, macOS) there is no such call and nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from functools import cache

logger = logging.getLogger(__name__)

# Trim once this many sockets have closed since the last trim, when none closed for a moment:
# a room leaving, not one phone's Wi-Fi drop.
CLOSES_BEFORE_TRIM = 200
QUIET_SECONDS = 5.0


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]  # type: ignore[attr-defined]
    trim.restype = ctypes.c_int  # type: ignore[attr-defined]
    return trim


def release_freed_memory() -> bool:
    """Return the C heap's free pages to the system; False where there is no malloc_trim."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


class Trimmer:
    """Counts closed sockets; after CLOSES_BEFORE_TRIM of them and QUIET_SECONDS without
    another, trims on a worker thread. Call `closed` on the event loop."""

    def __init__(
        self,
        closes: int = CLOSES_BEFORE_TRIM,
        quiet: float = QUIET_SECONDS,
        release: Callable[[], object] = release_freed_memory,
    ) -> None:
        self.closes, self.quiet, self.release = closes, quiet, release
        self.pending = 0
        self.trims = 0
        self._timer: asyncio.TimerHandle | None = None

    def closed(self) -> None:
        self.pending += 1
        if self.pending < self.closes:
            return
        if self._timer is not None:
            self._timer.cancel()  # still leaving: wait until they have
        self._timer = asyncio.get_running_loop().call_later(self.quiet, self._trim)

    def _trim(self) -> None:
        self._timer, self.pending = None, 0
        self.trims += 1
        future = asyncio.get_running_loop().run_in_executor(None, self.release)
        future.add_done_callback(_log_failure)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _log_failure(future: asyncio.Future[object]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("malloc_trim failed", exc_info=future.exception())
