"""The hub's package stands below everything that uses it: no import circle between the hub,
its Redis backend and the realtime modules above them, and one process never loads Redis."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HUB = Path(__file__).parent.parent / "app" / "realtime" / "hub"
# What uses the hub; the hub importing any of them would make a circle.
ABOVE = (
    "app.realtime.endpoint",
    "app.realtime.table_feed",
    "app.realtime.protocol",
    "app.tables",
    "app.play",
    "app.workshops.router",
    "app.deps",
    "app.main",
)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_hub_imports_nothing_that_uses_it() -> None:
    modules = sorted(HUB.glob("*.py"))
    assert {m.name for m in modules} >= {"base.py", "memory.py", "redis.py", "fanout.py"}
    for module in modules:
        wrong = {name for name in imported(module) if name.startswith(ABOVE)}
        assert not wrong, f"{module.name} imports {wrong}"


def test_backends_reach_the_package_only_through_base_and_fanout() -> None:
    # The package's __init__ picks a backend (make_hub): a backend importing it is a circle.
    for backend in ("memory.py", "redis.py", "sockets.py", "redis_sockets.py"):
        assert "app.realtime.hub" not in imported(HUB / backend), backend


def test_one_process_never_loads_the_redis_client() -> None:
    code = (
        "import sys, app.realtime.hub as hub; hub.make_hub(None); "
        "print(sorted(m for m in sys.modules if m == 'redis' or m.startswith('app.realtime.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=HUB.parents[2]
    )
    assert "'redis'" not in out.stdout and "hub.redis'" not in out.stdout, out.stdout
