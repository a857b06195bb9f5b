"""What counting the per-seat command limit in Redis would cost per command (docs/security.md).

    .venv/bin/python bench/seat_limit_cost.py [--redis redis://127.0.0.1:6379/9] [--commands 3000]

Times `limits`' moving and fixed windows in Redis (one round trip per command, as a shared
per-seat limit would need) against the per-process bucket the app uses (`KeyedLimiter`), for
500 seats: CPU of this process per command, and the wall time a command would wait. Its keys
have a prefix of their own and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from limits import parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from redis import Redis

from app.realtime.endpoint import COMMAND_BURST, COMMANDS_PER_SECOND
from app.security import KeyedLimiter

SEATS = 500


async def measure(url: str, commands: int) -> None:
    prefix = f"kaartspel-bench-{uuid.uuid4().hex[:8]}"
    storage = RedisStorage("async+" + url, implementation="redispy", key_prefix=prefix)
    seconds = COMMAND_BURST // COMMANDS_PER_SECOND
    item = parse(f"{COMMAND_BURST} per {seconds} seconds")
    try:
        for name, strategy in (
            ("moving window", MovingWindowRateLimiter),
            ("fixed window", FixedWindowRateLimiter),
        ):
            limiter = strategy(storage)
            for n in range(200):  # connections and scripts loaded
                await limiter.hit(item, name, str(n % SEATS))
            cpu, wall = time.process_time(), time.perf_counter()
            for n in range(commands):
                await limiter.hit(item, name, str(n % SEATS))
            cpu_us = 1e6 * (time.process_time() - cpu) / commands
            wall_us = 1e6 * (time.perf_counter() - wall) / commands
            print(f"limits, Redis, {name:14} {cpu_us:7.0f} µs CPU {wall_us:7.0f} µs wall")
    finally:
        with Redis.from_url(url) as redis:
            for key in redis.scan_iter(match=f"{prefix}*"):
                redis.delete(key)
    local = KeyedLimiter(COMMANDS_PER_SECOND, COMMAND_BURST)
    cpu = time.process_time()
    for n in range(commands * 30):
        local.take(str(n % SEATS))
    print(
        f"KeyedLimiter, in process     {1e6 * (time.process_time() - cpu) / (commands * 30):7.1f} µs CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--commands", type=int, default=3000)
    arguments = parser.parse_args()
    asyncio.run(measure(arguments.redis, arguments.commands))


if __name__ == "__main__":
    main()
