"""Kaartspel against its ceiling: the same load on both, and the ratio.

    python bench/compare.py --tables 100 --rate 100 --duration 60
        one run on each target, then throughput and p99 side by side, with their ratio

    python bench/compare.py --ramp --tables 100 --start-rate 100 --step-duration 20
        for each target, raise the rate (×--factor) until a step fails: p99 above --p99-limit,
        any error, timeout or disconnect, or less than 95 % of the offered rate sustained;
        then --refine steps between the last rate that held and the first that did not.
        The max sustained throughput is the highest rate that held.

Each run starts a fresh server (a fresh SQLite file for the app), so steps do not inherit
the previous step's database.

Issue #18's targets (one process each, both offered permessage-deflate as browsers offer it,
`--compression deflate`) are printed as PASS/FAIL lines: the app's peak RSS at most
--rss-target × the ceiling's, its RSS after the phones left and the workshops were deleted
within --fallback-mb of its idle RSS (`--after-leave S`), and with --ramp its max sustained
throughput at least --throughput-target × the ceiling's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402

TARGETS = ("app", "ceiling")


def options(base: argparse.Namespace, target: str, rate: float, duration: float) -> Any:
    o = load.parser().parse_args([])
    for name in (
        "tables",
        "warmup",
        "timeout",
        "board_cards",
        "seed",
        "uvloop",
        "setup_concurrency",
        "quiet_wait",
        "busy_retries",
        "compression",
        "connect_concurrency",
    ):
        setattr(o, name, getattr(base, name))
    o.target, o.rate, o.duration = target, rate, duration
    o.after_leave = 0.0 if base.ramp else base.after_leave
    return o


def once(base: argparse.Namespace, target: str, rate: float, duration: float) -> dict[str, Any]:
    result: dict[str, Any] = load.run(
        load.run_load_quietly(options(base, target, rate, duration)), base.uvloop
    )
    if not base.json:
        print(load.describe(result), flush=True)
    return result


def holds(result: dict[str, Any], limit_ms: float) -> bool:
    return (
        "skipped" not in result
        and result["error_count"] == 0
        and result["timeouts"] == 0
        and result["disconnects"] == 0
        and result["moves_per_s"] >= 0.95 * result["offered_rate"]
        and result["latency_ms"]["p99"] <= limit_ms
    )


def ramp(base: argparse.Namespace, target: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    rate, good, bad = base.start_rate, None, None
    while rate <= base.max_rate:
        result = once(base, target, rate, base.step_duration)
        steps.append(result)
        if not holds(result, base.p99_limit):
            bad = rate
            break
        good = rate
        rate = round(rate * base.factor)
    for _ in range(base.refine if good and bad else 0):
        assert good is not None and bad is not None
        rate = round(math.sqrt(good * bad))
        if rate in (good, bad):
            break
        result = once(base, target, rate, base.step_duration)
        steps.append(result)
        if holds(result, base.p99_limit):
            good = rate
        else:
            bad = rate
    held = [s for s in steps if holds(s, base.p99_limit)]
    best = max(held, key=lambda s: s["offered_rate"]) if held else None
    tight = [s for s in steps if holds(s, base.tight_limit)]
    return {
        "target": target,
        "p99_limit_ms": base.p99_limit,
        "max_sustained_moves_per_s": best["moves_per_s"] if best else 0,
        "first_failing_rate": bad,
        f"max_sustained_at_p99_{base.tight_limit:g}ms": max(
            (s["moves_per_s"] for s in tight), default=0
        ),
        "steps": [
            {
                "rate": s["offered_rate"],
                "moves_per_s": s.get("moves_per_s"),
                "p50": s.get("latency_ms", {}).get("p50"),
                "p99": s.get("latency_ms", {}).get("p99"),
                "max": s.get("latency_ms", {}).get("max"),
                "errors": s.get("error_count"),
                "timeouts": s.get("timeouts"),
                "peak_rss_mb": s.get("peak_rss_mb"),
                "server_cpu": s.get("server_cpu"),
                "generator_cpu": s.get("generator_cpu"),
                "other_cpu": s.get("other_cpu"),
                "held": holds(s, base.p99_limit),
            }
            for s in steps
        ],
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def main() -> None:
    parse = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parse.add_argument("--tables", type=int, default=10)
    parse.add_argument("--rate", type=float, default=50.0)
    parse.add_argument("--duration", type=float, default=10.0)
    parse.add_argument("--warmup", type=float, default=3.0)
    parse.add_argument("--timeout", type=float, default=5.0)
    parse.add_argument("--board-cards", type=int, default=12)
    parse.add_argument("--setup-concurrency", type=int, default=8)
    parse.add_argument("--seed", type=int, default=5)
    parse.add_argument("--quiet-wait", type=float, default=60.0, metavar="S")
    parse.add_argument("--busy-retries", type=int, default=2)
    parse.add_argument("--uvloop", action="store_true", help="run the generator on uvloop")
    parse.add_argument("--compression", choices=("deflate", "none"), default="none")
    parse.add_argument("--connect-concurrency", type=int, default=50)
    parse.add_argument(
        "--after-leave",
        type=float,
        default=30.0,
        metavar="S",
        help="then close the sockets, delete the workshops, wait up to S s for the RSS (0: no)",
    )
    parse.add_argument("--rss-target", type=float, default=1.2, help="app RSS ≤ this × ceiling's")
    parse.add_argument("--fallback-mb", type=float, default=50.0, help="after ≤ idle + this")
    parse.add_argument(
        "--throughput-target", type=float, default=0.8, help="app ≥ this × ceiling's (--ramp)"
    )
    parse.add_argument("--ramp", action="store_true", help="find each target's max throughput")
    parse.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parse.add_argument("--start-rate", type=float, default=100.0)
    parse.add_argument("--factor", type=float, default=1.5)
    parse.add_argument("--max-rate", type=float, default=20000.0)
    parse.add_argument("--refine", type=int, default=2)
    parse.add_argument("--step-duration", type=float, default=20.0)
    parse.add_argument("--p99-limit", type=float, default=100.0, help="ms; a step over it fails")
    parse.add_argument(
        "--tight-limit", type=float, default=25.0, help="ms; also report the max rate under it"
    )
    parse.add_argument("--json", action="store_true")
    base = parse.parse_args()
    load.raise_open_files_limit()

    if base.ramp:
        found = {target: ramp(base, target) for target in base.targets}
        app, ceiling = (found.get(t, {}).get("max_sustained_moves_per_s") for t in TARGETS)
        summary: dict[str, Any] = {
            "ramp": found,
            "throughput_ratio": ratio(app, ceiling),
            "half_the_ceiling": bool(app and ceiling and app >= ceiling / 2),
        }
        checks = [
            verdict(
                f"max sustained throughput ≥ {base.throughput_target:g} × the ceiling's",
                summary["throughput_ratio"],
                lambda r: r >= base.throughput_target,
                f"app {app} vs ceiling {ceiling} moves/s",
            )
        ]
        if base.json:
            print(json.dumps(summary, indent=2))
        else:
            for target in base.targets:
                r = found[target]
                print(
                    f"{target}: max sustained {r['max_sustained_moves_per_s']} moves/s"
                    f" (p99 ≤ {base.p99_limit:g} ms, no errors); first failing rate"
                    f" {r['first_failing_rate']}"
                )
                for step in r["steps"]:
                    print(f"    {step}")
            print(
                f"app / ceiling throughput: {summary['throughput_ratio']}"
                f" — at least half: {summary['half_the_ceiling']}"
            )
            print(f"load average {load_average()}")
            print("\n".join(checks))
        return

    results = {t: once(base, t, base.rate, base.duration) for t in TARGETS}
    app, ceiling = results["app"], results["ceiling"]
    summary = {
        "results": results,
        "throughput_ratio": ratio(app.get("moves_per_s"), ceiling.get("moves_per_s")),
        "p99_ratio": ratio(
            app.get("latency_ms", {}).get("p99"), ceiling.get("latency_ms", {}).get("p99")
        ),
    }
    summary["rss_ratio"] = ratio(app.get("peak_rss_mb"), ceiling.get("peak_rss_mb"))
    summary["cpu_per_move_ratio"] = ratio(
        app.get("server_cpu_ms_per_move"), ceiling.get("server_cpu_ms_per_move")
    )
    checks = [
        verdict(
            f"peak RSS ≤ {base.rss_target:g} × the ceiling's",
            summary["rss_ratio"],
            lambda r: r <= base.rss_target,
            f"app {app.get('peak_rss_mb')} vs ceiling {ceiling.get('peak_rss_mb')} MB",
        )
    ]
    if base.after_leave > 0:
        above = (
            round(app["rss_after_mb"] - app["rss_idle_mb"], 1) if "rss_after_mb" in app else None
        )
        checks.append(
            verdict(
                f"RSS after the phones left and the workshops were deleted ≤ idle +"
                f" {base.fallback_mb:g} MB",
                above,
                lambda mb: mb <= base.fallback_mb,
                f"app idle {app.get('rss_idle_mb')} → after {app.get('rss_after_mb')} MB"
                f" (ceiling {ceiling.get('rss_idle_mb')} → {ceiling.get('rss_after_mb')} MB)",
            )
        )
    summary["checks"] = checks
    if base.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"app / ceiling: throughput {summary['throughput_ratio']},"
            f" p99 latency {summary['p99_ratio']}×, server CPU per move"
            f" {summary['cpu_per_move_ratio']}× ({app.get('server_cpu_ms_per_move')} vs"
            f" {ceiling.get('server_cpu_ms_per_move')} ms)"
            " (same offered rate: throughput is equal while both keep up; see --ramp)"
        )
        print(f"load average {load_average()}")
        print("\n".join(checks))


def verdict(target: str, value: float | None, met: Callable[[float], bool], detail: str) -> str:
    """One target as a line: PASS or FAIL, the figure, and what it was made of."""
    if value is None:
        return f"FAIL  {target}: not measured ({detail})"
    return f"{'PASS' if met(value) else 'FAIL'}  {target}: {value} ({detail})"


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
