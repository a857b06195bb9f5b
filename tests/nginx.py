"""Debian's nginx running deploy/nginx.conf on loopback, in front of app processes we started.

Shared by tests/test_hosted.py and bench/scale_out.py, so that both run the very file that is
deployed: only the upstream addresses and the listen port are substituted, so a wrong
websocket setting in that file fails the test. nginx's pid, logs and temp files live in the
given directory; an `X-Upstream` header says which process answered.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from app.settings import ROOT
from tests.conftest import port_open
from tests.live_server import STARTUP_SECONDS, free_port, terminate

SITE = ROOT / "deploy" / "nginx.conf"


def site_config(upstreams: list[int], listen: int) -> str:
    """deploy/nginx.conf with these upstream ports and this listen address put in."""
    site = SITE.read_text()
    servers = re.findall(r"^[ \t]*server [\w.-]+:8000;\n", site, re.MULTILINE)
    assert servers, "deploy/nginx.conf no longer lists its upstream servers as host:8000"
    mine = "".join(f"    server 127.0.0.1:{port};\n" for port in upstreams)
    site = site.replace(servers[0], mine, 1)
    for other in servers[1:]:
        site = site.replace(other, "", 1)
    site, listens = re.subn(
        r"^([ \t]*)listen 80;", rf"\1listen 127.0.0.1:{listen};", site, flags=re.MULTILINE
    )
    assert listens == 1, "deploy/nginx.conf no longer has one `listen 80;`"
    return site


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx:
    """Debian's nginx in the foreground, all of its files under `directory`.

    `connections` bounds the sockets of its one worker: each proxied websocket holds two
    (the phone's and the upstream's)."""

    def __init__(self, directory: Path, upstreams: list[int], connections: int = 512) -> None:
        self.directory = directory
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        directory.mkdir()
        (directory / "kaartspel.conf").write_text(site_config(upstreams, self.port))
        temp = "\n".join(
            f"    {kind}_temp_path {directory / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # As root the workers would become "nobody", who cannot enter the test's directory.
        user = "user root;" if os.geteuid() == 0 else ""
        (directory / "nginx.conf").write_text(
            f"""{user}
daemon off;
worker_processes 1;
worker_rlimit_nofile {2 * connections + 64};
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} notice;
events {{ worker_connections {connections}; }}
http {{
    access_log {directory / "access.log"};
{temp}
    add_header X-Upstream $upstream_addr always;
    include {directory / "kaartspel.conf"};
}}
"""
        )
        self.command = [nginx_binary(), "-p", str(directory), "-c", str(directory / "nginx.conf")]
        self.command += ["-e", str(directory / "error.log")]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        checked = subprocess.run([*self.command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not port_open("127.0.0.1", self.port):
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.05)

    def pids(self) -> list[int]:
        """The master's pid (its worker is a child: servers.tree_rss counts both)."""
        return [self.process.pid] if self.process is not None else []

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            terminate(process)  # SIGTERM is nginx's fast shutdown: open websockets too

    def log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""
