"""Servers for the benchmarks: spawn Kaartspel (or the ceiling) on loopback, watch its memory.

Only 127.0.0.1 is ever used: benchmarks send traffic to this machine and nowhere else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60.0


class ServerRefused(RuntimeError):
    """A spawned server exited or never answered /healthz."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Spawned:
    """One or more server processes on loopback, each on its own port."""

    target: str = "app"  # "app" (python -m app), "ceiling" (bench/ceiling.py) or "app-gzip"
    processes: int = 1
    database_url: str | None = None  # default: a fresh SQLite file in a temporary folder
    redis_url: str | None = None  # passed through as REDIS_URL to every process
    log_level: str = "warning"
    extra_env: dict[str, str] = field(default_factory=dict)  # for every process
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ks-bench-")))
    ports: list[int] = field(default_factory=list)
    popen: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def command(self, port: int) -> list[str]:
        if self.target == "ceiling":
            return [sys.executable, str(ROOT / "bench" / "ceiling.py"), "--port", str(port)]
        if self.target == "app-gzip":  # a what-if for the page weight, see bench/gzip_app.py
            return [
                sys.executable,
                "-m",
                "uvicorn",
                "gzip_app:create_app",
                "--factory",
                "--app-dir",
                str(ROOT / "bench"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--ws-max-size",  # as app/__main__.py starts the app
                "65536",
            ]
        return [sys.executable, "-m", "app"]

    def env(self, port: int) -> dict[str, str]:
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": self.database_url or f"sqlite:///{self.workdir / 'bench.db'}",
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            # Several processes must agree on the signing key.
            "SECRET_KEY": "bench-secret-key",
            "ADMIN_TOKEN": "",
            "PYTHONPATH": str(ROOT),
        }
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        else:
            env.pop("REDIS_URL", None)
        return env | self.extra_env

    def start(self) -> None:
        # One after the other: the first migrates the database before the next one starts.
        for index in range(self.processes):
            port = free_port()
            log = (self.workdir / f"server-{index}.log").open("ab")
            process = subprocess.Popen(
                self.command(port),
                env=self.env(port),
                cwd=self.workdir,  # no stray .env is read from here
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            self.ports.append(port)
            self.popen.append(process)
            self._wait_healthy(index)

    def _wait_healthy(self, index: int) -> None:
        process, url = self.popen[index], self.urls[index]
        deadline = time.monotonic() + STARTUP_SECONDS
        with httpx.Client(base_url=url, timeout=1.0, trust_env=False) as http:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    self.stop()
                    raise ServerRefused(
                        f"{self.target} process {index} exited with {process.returncode}:\n"
                        + self.log(index)[-3000:]
                    )
                try:
                    if http.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise ServerRefused(f"{self.target} process {index} did not answer /healthz in time")

    def log(self, index: int = 0) -> str:
        path = self.workdir / f"server-{index}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "".join(self.log(i) for i in range(len(self.popen)))

    def pids(self) -> list[int]:
        return [p.pid for p in self.popen if p.poll() is None]

    def stop(self) -> None:
        for process in self.popen:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.popen:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def __enter__(self) -> Spawned:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _tree(pids: list[int]) -> list[Any]:
    """These processes and all their children (those still alive)."""
    import psutil

    found: list[Any] = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            root = psutil.Process(pid)
            found += [root, *root.children(recursive=True)]
    return found


def tree_rss(pids: list[int]) -> int:
    """Resident memory of these processes and all their children, in bytes."""
    import psutil

    total = 0
    for process in _tree(pids):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total


def tree_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes and their children."""
    import psutil

    total = 0.0
    for process in _tree(pids):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


class MemorySampler:
    """Samples the servers' RSS in a thread (the event loop may be busy), keeping the peak."""

    def __init__(self, pids: list[int], every: float = 0.2) -> None:
        self.pids, self.every = pids, every
        self.peak = 0
        self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self) -> int:
        self.last = tree_rss(self.pids) if self.pids else 0
        self.peak = max(self.peak, self.last)
        return self.last

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()
        return self.peak
