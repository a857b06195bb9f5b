"""Scale-out as hosted: N app processes (default 3) behind Debian's nginx running
deploy/nginx.conf, on PostgreSQL and Redis, the load sent through nginx only.

    python bench/scale_out.py --tables 100 --rate 100 --duration 30 --warmup 5

A fresh PostgreSQL database is made for the run and dropped after it (--pg-admin-url), the
processes share Redis (--redis-url) under a key prefix of their own, and nginx is started the
way tests/test_hosted.py starts it (tests/nginx.py: the deployed file, only the upstream
ports and the listen port put in). Every phone and the dashboards connect to nginx, whose
round robin spreads them over the processes, so most events cross Redis. Reported as
bench/load.py reports, with the RSS and CPU of the app processes (nginx's own beside them)
and how many websockets each process held.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import load  # noqa: E402
from servers import Spawned, tree_rss  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.nginx import Nginx  # noqa: E402


def websockets_per_process(pids: list[int], ports: list[int]) -> list[int]:
    """Established connections on each process's port (the phones' and dashboards' sockets
    that nginx put there; nginx's idle keep-alive connections add a few)."""
    import psutil

    counts = []
    for pid, port in zip(pids, ports, strict=True):
        connections = psutil.Process(pid).net_connections(kind="tcp")
        counts.append(
            sum(1 for c in connections if c.status == "ESTABLISHED" and c.laddr.port == port)
        )
    return counts


def main() -> None:
    parse = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parse.add_argument("--processes", type=int, default=3)
    parse.add_argument("--tables", type=int, default=100)
    parse.add_argument("--rate", type=float, default=100.0)
    parse.add_argument("--duration", type=float, default=30.0)
    parse.add_argument("--warmup", type=float, default=5.0)
    parse.add_argument("--compression", choices=("deflate", "none"), default="none")
    parse.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parse.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parse.add_argument("--quiet-wait", type=float, default=60.0)
    parse.add_argument("--uvloop", action="store_true")
    o = parse.parse_args()
    load.raise_open_files_limit()

    name = f"kaartspel_bench_{uuid.uuid4().hex[:8]}"
    admin_url = o.pg_admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    apps = Spawned(
        target="app",
        processes=o.processes,
        database_url=o.pg_admin_url.rsplit("/", 1)[0] + f"/{name}",
        redis_url=o.redis_url,
        extra_env={"REDIS_PREFIX": name},  # this run's guards and counts only
    )
    proxy: Nginx | None = None
    try:
        apps.start()
        # Each proxied websocket holds two of nginx's connections: the phone's and the app's.
        proxy = Nginx(apps.workdir / "nginx", apps.ports, connections=4 * o.tables * 6 + 256)
        proxy.start()
        spread: list[int] = []

        def connected() -> None:
            spread.extend(websockets_per_process(apps.pids(), apps.ports))

        args = load.parser().parse_args(
            [
                "--url",
                proxy.base,
                *(f"--server-pid={pid}" for pid in apps.pids()),
                f"--tables={o.tables}",
                f"--rate={o.rate}",
                f"--duration={o.duration}",
                f"--warmup={o.warmup}",
                f"--compression={o.compression}",
                f"--quiet-wait={o.quiet_wait}",
                "--busy-retries=0",
            ]
        )
        result: dict[str, Any] = load.run(load.run_load(args, on_measure=connected), o.uvloop)
        result["nginx_rss_mb"] = round(tree_rss(proxy.pids()) / 2**20, 1)
        print(load.describe(result))
        print(
            f"  hosted       {o.processes} app processes behind nginx (deploy/nginx.conf),"
            f" PostgreSQL, Redis; websockets per process {spread}; nginx RSS"
            f" {result['nginx_rss_mb']} MB"
        )
        if "Traceback" in apps.logs():
            print(f"  warning      {apps.logs().count('Traceback')} traceback(s) in the app logs")
    finally:
        if proxy is not None:
            proxy.stop()
        apps.stop()
        with contextlib.suppress(Exception), admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
