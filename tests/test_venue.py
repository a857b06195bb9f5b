"""The venue, for real: a laptop and phones on one Wi-Fi, built from network namespaces.

    laptop ns                switch ns                 phone ns (one per phone)
    wlan0 10.213.X.1/24 ── veth ── br0 ── veth ── eth0 10.213.X.1N/24

The laptop runs `make run` exactly as a facilitator would (no HOST, no PUBLIC_URL), and the
only way from a phone to the laptop is across the bridge: there is no loopback between them.
The QR code the laptop serves must carry its Wi-Fi address; each phone is a process in its own
namespace (tests/venue_client.py) that opens that address, joins through the join page and
plays as the play page does (tests/phone.py); a fourth seat is a browser on the laptop itself.
Then the laptop's Wi-Fi goes down for 20 s: two phones lose their sockets at once (as a phone
does whose own Wi-Fi drops), the third's stays open until its page gives up on the silence (as
socket.js does), and the laptop's own seat and the facilitator go on. Once the Wi-Fi is back every phone must come back by itself, without a
reload, to exactly what the server holds, moves made elsewhere during the outage included.

Needs root and iproute2 (skipped without, failed when CI=true). The namespaces get names of
their own per run and are deleted, with every process in them, whatever happens; the addresses
exist only inside them, so no packet leaves this machine.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import queue
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app.settings import ROOT, Settings
from tests.conftest import require
from tests.live_server import check_consistent, table_id_of
from tests.phone import lay
from tests.test_qr import decode

Message = dict[str, Any]
OUTAGE_SECONDS = 20
ANSWER_SECONDS = 60.0  # for any one answer from a device (a loaded machine starts Python slowly)
PORT = 8000  # make run's default: the laptop namespace has its own, so it is always free
ROLES = {"respondent1": "Roos", "respondent2": "Raf", "reporter": "Rik"}  # a phone each
AT_THE_LAPTOP = ("observer", "Olga")  # a browser on the laptop: the outage does not cut it off
CUT = ("respondent1", "respondent2")  # phones whose sockets die in the outage


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=30)


class Venue:
    """The namespaces and links; `close()` deletes them (and so every link in them)."""

    def __init__(self, phones: int) -> None:
        tag = uuid.uuid4().hex[:6]
        subnet = random.randint(0, 255)
        self.switch, self.laptop = f"ks{tag}sw", f"ks{tag}lap"
        self.phones = [f"ks{tag}p{n}" for n in range(1, phones + 1)]
        self.laptop_ip = f"10.213.{subnet}.1"
        self.phone_ips = [f"10.213.{subnet}.{10 + n}" for n in range(1, phones + 1)]
        self.made: list[str] = []
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self) -> None:
        for name in (self.switch, self.laptop, *self.phones):
            run("ip", "netns", "add", name)
            self.made.append(name)
            run("ip", "-n", name, "link", "set", "lo", "up")
        run("ip", "-n", self.switch, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", self.switch, "link", "set", "br0", "up")
        ends = [(self.laptop, "wlan0", self.laptop_ip, "lap")]
        ends += [
            (ns, "eth0", ip, f"ph{n}")
            for n, (ns, ip) in enumerate(zip(self.phones, self.phone_ips, strict=True))
        ]
        for ns, device, ip, port in ends:
            # The pair is made in the switch with its far end straight in the device's
            # namespace, so nothing is ever created in this machine's own namespace.
            run(
                "ip", "-n", self.switch, "link", "add", port,
                "type", "veth", "peer", "name", device, "netns", ns,
            )  # fmt: skip
            run("ip", "-n", self.switch, "link", "set", port, "master", "br0", "up")
            run("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", device)
            run("ip", "-n", ns, "link", "set", device, "up")

    def wifi(self, up: bool) -> None:
        run("ip", "-n", self.laptop, "link", "set", "wlan0", "up" if up else "down")

    def cut_sockets(self, n: int) -> None:
        """Abort phone n's TCP connections to the laptop, as a phone's system does to the
        sockets of a network it left (Android destroys them; the browser sees them close)."""
        run("ip", "netns", "exec", self.phones[n], "ss", "-K", "-t", "dst", self.laptop_ip)

    def route_to_phone(self, n: int) -> str:
        found = subprocess.run(
            ["ip", "-n", self.laptop, "route", "get", self.phone_ips[n]],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return found.stdout

    def close(self) -> None:
        for name in reversed(self.made):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
        self.made = []


def netns_usable() -> bool:
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("make") is None:
        return False
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, timeout=30)
    return listed.returncode == 0


class Device:
    """A tests/venue_client.py process in a namespace: one JSON line out, one line back."""

    def __init__(self, namespace: str, log: Path, *arguments: str) -> None:
        self.log = log
        with log.open("ab") as stderr:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", namespace, sys.executable, "-m", "tests.venue_client"]
                + list(arguments),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                text=True,
            )
        self.answers: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.answers.put(line)
        self.answers.put("")

    def next(self) -> Message:
        try:
            line = self.answers.get(timeout=ANSWER_SECONDS)
        except queue.Empty:
            raise AssertionError(f"no answer in {ANSWER_SECONDS} s:\n{self.stderr()}") from None
        assert line, f"the device ended:\n{self.stderr()}"
        answer: Message = json.loads(line)
        return answer

    def ask(self, **order: Any) -> Message:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(order) + "\n")
        self.process.stdin.flush()
        return self.next()

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.write('{"do": "quit"}\n')
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def make_run(namespace: str, database: Path, log: Path) -> subprocess.Popen[bytes]:
    """`make run` in the laptop's namespace, with this test's interpreter and a fresh database.

    Every setting the shell may hold is removed first (pydantic-settings reads names in any
    case), so HOST, PORT and PUBLIC_URL are what the Makefile and the defaults make them.
    `-o` keeps make from reinstalling the venv: the namespace has no internet to install from.
    """
    settings = {name.upper() for name in Settings.model_fields}
    make_state = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}  # as from a fresh shell, not from make test
    env = {k: v for k, v in os.environ.items() if k.upper() not in settings | make_state}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    env["PYTHONUNBUFFERED"] = "1"  # the addresses it prints reach the log at once
    venv = Path(sys.prefix)
    command = ["ip", "netns", "exec", namespace, "make", "-C", str(ROOT), "--no-print-directory"]
    command += [
        "-o",
        f"{venv}/.installed",
        "run",
        f"VENV={venv}",
        f"BIN={Path(sys.executable).parent}",
    ]
    with log.open("ab") as output:
        return subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def until(condition: Callable[[], bool], within: float, what: str) -> float:
    """Poll until `condition()`; returns how long it took."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < within, f"not within {within} s: {what}"
        time.sleep(0.25)
    return time.monotonic() - began


@pytest.fixture
def venue() -> Iterator[Venue]:
    require(netns_usable(), "needs root, iproute2's `ip netns` and make")
    built = Venue(phones=len(ROLES))
    try:
        yield built
    finally:
        built.close()


def test_phones_on_the_venue_wifi_join_by_qr_play_and_ride_out_a_20_s_outage(
    venue: Venue, tmp_path: Path
) -> None:
    database, app_log = tmp_path / "kaartspel.db", tmp_path / "make-run.log"
    app = make_run(venue.laptop, database, app_log)
    devices: list[Device] = []
    try:
        laptop = Device(
            venue.laptop, tmp_path / "facilitator.log", "facilitator", f"http://127.0.0.1:{PORT}"
        )
        devices.append(laptop)
        assert laptop.ask(do="healthy", within=50)["healthy"], app_log.read_text()
        printed = re.search(r"Phones join via: +(\S+)/j/", app_log.read_text())
        assert printed and printed.group(1) == f"http://{venue.laptop_ip}:{PORT}", (
            app_log.read_text()
        )
        # Between the laptop and a phone there is only the Wi-Fi.
        assert f"dev wlan0 src {venue.laptop_ip}" in venue.route_to_phone(0)

        def facilitate(method: str, path: str, **body: Any) -> Any:
            answer = laptop.ask(do="request", method=method, path=path, json=body or None, **token)
            assert answer["status"] in (200, 201), answer
            return answer["body"]

        token: dict[str, str] = {}
        workshop = facilitate(
            "POST", "/api/workshops", title="Op locatie", tables=1, round_minutes=1
        )
        token["bearer"] = workshop["facilitator_url"].rsplit("/", 1)[-1]
        code = workshop["tables"][0]["join_code"]
        png = base64.b64decode(facilitate("GET", f"/qr/{code}.png"))
        scanned = decode(Image.open(io.BytesIO(png)))
        assert scanned == [f"http://{venue.laptop_ip}:{PORT}/j/{code}"]

        phones = {}  # all scan at once, as at a table
        seats = [*zip(ROLES.items(), venue.phones, strict=True), (AT_THE_LAPTOP, venue.laptop)]
        for (role, name), namespace in seats:
            phone = Device(namespace, tmp_path / f"{role}.log", "phone", scanned[0], role, name)
            devices.append(phone)
            phones[role] = phone
        for phone in phones.values():
            assert phone.next() == {"joined": code}
        table_id = table_id_of(database, code)

        def server_seq() -> int:
            with contextlib.closing(sqlite3.connect(database, timeout=5)) as db:
                (seq,) = db.execute(
                    "SELECT seq FROM workshop_table WHERE id = ?", (table_id,)
                ).fetchone()
            return int(seq)

        def screens() -> dict[str, Message]:
            return {role: phone.ask(do="state") for role, phone in phones.items()}

        def settled() -> bool:
            seq = server_seq()
            return all(
                s["online"] and not s["awaiting"] and s["seq"] == seq and s["outbox"] == 0
                for s in screens().values()
            )

        def converge(within: float, what: str) -> float:
            """until(settled): on failure, what each screen showed against the server's seq."""
            try:
                return until(settled, within, what)
            except AssertionError as failed:
                shown = {
                    r: {k: v for k, v in s.items() if k != "board"} for r, s in screens().items()
                }
                raise AssertionError(f"{failed}; server seq {server_seq()}: {shown}") from None

        converge(30, "every phone has its snapshot")  # 30 s: phones start slowly on a busy machine

        # Round 1: the facilitator starts it on the laptop, the phones play over the Wi-Fi.
        rounds = f"/api/workshops/{workshop['id']}/rounds"
        facilitate("POST", f"{rounds}/start", table=1)
        respondent, respondent2, reporter, observer = phones.values()
        respondent.ask(do="push", command=lay("A1-1", "stimulating", "large"))
        respondent.ask(do="push", command=lay("C1-1", "hindering", "large"))
        respondent.ask(do="push", command=lay("D1-1", "hindering", "limited"))
        respondent.ask(do="push", command={"type": "return", "card": "D1-1"})
        reporter.ask(do="push", command={"type": "note", "field": "development", "text": "Eerst"})
        converge(15, "round 1's moves reach every phone")

        # The minute is cut short in the database (the clock keeper reads the deadline from
        # there, as after a real minute): the clock ends the round, every phone blows the whistle.
        with contextlib.closing(sqlite3.connect(database, timeout=5, isolation_level=None)) as db:
            soon = int(time.time() * 1000) + 500
            db.execute("UPDATE workshop_table SET deadline_ms = ? WHERE id = ?", (soon, table_id))
        until(lambda: all(s["whistles"] == 1 for s in screens().values()), 10, "the whistle")
        converge(10, "the whistle settles")
        for role, screen in screens().items():
            assert screen["locked"] and screen["round"]["status"] == "ended", role
            assert sorted(p["card"] for p in screen["board"]) == ["A1-1", "C1-1"], role

        facilitate("POST", f"{rounds}/start", table=1)  # round 2, on a fresh board
        converge(10, "round 2 reaches every phone")

        before = screens()
        # The laptop's Wi-Fi goes away for 20 s. The two respondents' phones lose their sockets
        # (their next ones cannot reach the laptop until it is back); the reporter's phone
        # keeps its socket until the silence tells it the path is dead (socket.js's rule). Meanwhile the facilitator gives round 2 two more minutes and the
        # observer, on the laptop, writes her reflection: moves no phone can hear. Two phones
        # tap on: the respondent's card waits in her outbox, the reporter's note in his socket.
        venue.wifi(up=False)
        down_at = time.monotonic()
        for n, role in enumerate(ROLES):
            if role in CUT:
                venue.cut_sockets(n)
        until(
            lambda: not any(s["online"] for r, s in screens().items() if r in CUT),
            10,
            "the cut phones see their sockets close",
        )
        facilitate("POST", f"{rounds}/extend", table=1, minutes=2)
        observer.ask(do="push", command={"type": "note", "field": "reflection", "text": "Stil"})
        respondent2.ask(do="push", command=lay("B1-1", "stimulating", "limited"))
        reporter.ask(do="push", command={"type": "note", "field": "development", "text": "Storing"})
        until(lambda: observer.ask(do="state")["outbox"] == 0, 10, "the laptop's seat is heard")
        during = screens()
        for role in CUT:
            assert not during[role]["online"], role  # still cut off: no way to the laptop yet
            assert during[role]["seq"] == before[role]["seq"], role  # nothing heard meanwhile
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        venue.wifi(up=True)

        # Back: without a reload every phone converges on what the server holds.
        took = converge(45, "every phone converges after the outage")
        truth = respondent.ask(do="truth")
        assert truth["seq"] == server_seq()
        assert [p["card"] for p in truth["board"]] == ["B1-1"]
        assert truth["notes"]["development"] == "Storing"
        assert truth["notes"]["reflection"] == "Stil"  # written at the laptop in the outage
        assert truth["round"]["number"] == 2 and truth["round"]["status"] == "running"
        assert truth["round"]["duration_ms"] == 3 * 60_000  # one minute, extended by two
        for role, screen in screens().items():
            assert screen["reload_code"] is None, role
            assert screen["refusals"] == [], (role, screen["refusals"])
            assert screen["board"] == truth["board"], role
            assert screen["notes"] == truth["notes"], role
            assert screen["round"]["deadline"] == truth["round"]["deadline"], role
            assert screen["whistles"] == 1, role
        for role in ROLES:  # each came back by itself: a new socket, and a snapshot on it
            assert screens()[role]["opened"] > before[role]["opened"], role
            assert screens()[role]["snapshots"] > before[role]["snapshots"], role
        # The laptop's own seat never lost its socket: the outage was the Wi-Fi's alone.
        assert screens()["observer"]["opened"] == before["observer"]["opened"]
        check_consistent(database, table_id)  # 1..seq, each command stored once
        print(
            f"converged {took:.1f} s after the Wi-Fi came back; sockets opened: "
            + ", ".join(f"{r} {s['opened']}" for r, s in screens().items())
        )
    finally:
        for device in devices:
            device.close()
        stop(app)
    assert "Traceback" not in app_log.read_text(), app_log.read_text()
