"""Where the server's time goes under load: py-spy samples a spawned server while load.py runs.

    .venv/bin/pip install py-spy        # a tool, not a project dependency
    python bench/profile_server.py --tables 100 --rate 100 --duration 30
    python bench/profile_server.py --rate 300 --top 40 --out /tmp/saturated.txt

Prints the functions with the most samples, inclusive (the function and what it calls) and
self (the function's own code), as a share of all samples taken while the server was busy;
the collapsed stacks are kept (--out) for a flame graph (e.g. speedscope or inferno).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402
from servers import Spawned  # noqa: E402

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/app/", "/bench/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker in ("/app/", "/bench/"):
                path = marker.strip("/") + "/" + path
            break
    return f"{match['function']} ({path})"


def summarise(raw: str, top: int) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [frame_name(f) for f in stack.split(";")]
        # The first frames are the thread's name and process; keep function frames only.
        frames = [f for f in frames if "(" in f]
        if not frames:
            continue
        own[frames[-1]] += samples
        for name in set(frames):
            inclusive[name] += samples
    lines = [f"{total} samples while busy"]
    for title, counter in (("inclusive", inclusive), ("self", own)):
        lines.append(f"\n-- {title} --")
        for name, samples in counter.most_common(top):
            lines.append(f"{100 * samples / max(total, 1):6.1f}%  {name}")
    return "\n".join(lines)


def main() -> None:
    parse = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parse.add_argument("--tables", type=int, default=100)
    parse.add_argument("--rate", type=float, default=100.0)
    parse.add_argument("--duration", type=float, default=30.0)
    parse.add_argument("--warmup", type=float, default=3.0)
    parse.add_argument("--target", choices=("app", "ceiling"), default="app")
    parse.add_argument("--sampling-rate", type=int, default=200, help="samples per second")
    parse.add_argument("--top", type=int, default=30)
    parse.add_argument("--out", help="keep the collapsed stacks here")
    o = parse.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    raw_path = Path(o.out or tempfile.mktemp(prefix="ks-profile-", suffix=".txt"))
    with Spawned(target=o.target) as server:
        pid = server.pids()[0]
        args = load.parser().parse_args(
            [
                "--url",
                server.urls[0],
                "--server-pid",
                str(pid),
                "--tables",
                str(o.tables),
                "--rate",
                str(o.rate),
                "--duration",
                str(o.duration),
                "--warmup",
                str(o.warmup),
                "--quiet-wait",
                "0",
            ]
        )
        # Sample the measured part only (warm-up included): from when sending starts.
        spies: list[subprocess.Popen[bytes]] = []

        def start_sampling() -> None:
            spies.append(
                subprocess.Popen(
                    [
                        py_spy,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(int(o.duration + o.warmup)),
                        "--rate",
                        str(o.sampling_rate),
                        "--format",
                        "raw",
                        "--output",
                        str(raw_path),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )

        result = asyncio.run(load.run_load(args, on_measure=start_sampling))
        errors = b""
        for spy in spies:
            _, errors = spy.communicate(timeout=o.duration + o.warmup + 60)
    print(load.describe(result))
    if not raw_path.exists():
        raise SystemExit(f"py-spy wrote nothing: {errors.decode(errors='replace')}")
    print(summarise(raw_path.read_text(), o.top))
    print(f"\ncollapsed stacks: {raw_path}")


if __name__ == "__main__":
    main()
