"""Page weight of a participant's table page, per role, on an emulated slow 3G phone.

For each role: a seat is taken (the device cookie goes into a fresh browser profile, so the
cache is cold), then Debian's Chromium opens /t/<code> at 390×844 under CDP network emulation
(by default 400 ms latency, 400 kbit/s down and up, as the brief's "Slow 3G") and records:

- bytes transferred over HTTP (compressed, as on the wire: CDP Network.loadingFinished
  encodedDataLength), per resource, and what they would be gzipped (-6) for comparison;
- every host contacted (HTTP and websocket): it must be only the server;
- time to usable: from navigation start until the websocket snapshot has been applied and
  drawn (`#conn` says live, `#round-label` shows "Round n · …", which only render() writes
  after a snapshot) and, for the roles that lay cards, the hand is shown;
- DOMContentLoaded and load, and the websocket bytes of the snapshot.

    python bench/page_weight.py                 # every role, spawned server, slow 3G
    python bench/page_weight.py --json --roles respondent1 --latency 2000 --down-kbps 400
    python bench/page_weight.py --what-if-gzip    # the same app behind GZipMiddleware

Never `playwright install`: it drives /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import Spawned  # noqa: E402

ROLES = ("interviewer", "respondent1", "respondent2", "reporter", "observer")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USABLE = """(mover) => {
  const conn = document.getElementById("conn");
  const label = document.getElementById("round-label");
  const hand = document.getElementById("hand");
  const drawn = conn?.dataset.state === "live" && (label?.textContent ?? "").includes("·");
  const ready = drawn && (!mover || (hand !== null && !hand.hidden));
  return ready ? performance.now() : false;
}"""


def seats(base: str, roles: list[str]) -> tuple[str, dict[str, str]]:
    with httpx.Client(base_url=base, timeout=30, trust_env=False) as http:
        response = http.post("/api/workshops", json={"title": "Paginagewicht", "tables": 1})
        response.raise_for_status()
        code = response.json()["tables"][0]["join_code"]
        cookies = {}
        for role in roles:
            http.cookies.clear()  # a phone of its own for every role
            taken = http.post(f"/api/tables/{code}/seat", json={"role": role, "name": role[:8]})
            taken.raise_for_status()
            cookies[role] = taken.cookies["ks_device"]
    return code, cookies


async def measure(
    browser: Any, base: str, code: str, role: str, cookie: str, o: argparse.Namespace
) -> dict[str, Any]:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        user_agent=(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
            " (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
        ),
    )
    host = urlsplit(base).hostname
    await context.add_cookies([{"name": "ks_device", "value": cookie, "url": base}])
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    requests: dict[str, dict[str, Any]] = {}
    hosts: set[str] = set()
    websocket_bytes: dict[str, int] = defaultdict(int)
    failed: list[str] = []

    def will_send(event: dict[str, Any]) -> None:
        url = event["request"]["url"]
        requests[event["requestId"]] = {"url": url, "bytes": 0, "type": event.get("type")}
        if url.startswith(("http:", "https:", "ws:", "wss:")):
            hosts.add(urlsplit(url).netloc)

    def received(event: dict[str, Any]) -> None:
        if event["requestId"] in requests:
            response = event["response"]
            requests[event["requestId"]].update(
                status=response["status"],
                mime=response.get("mimeType"),
                encoding=(response.get("headers") or {}).get("content-encoding")
                or (response.get("headers") or {}).get("Content-Encoding"),
            )

    def finished(event: dict[str, Any]) -> None:
        if event["requestId"] in requests:
            requests[event["requestId"]]["bytes"] = int(event["encodedDataLength"])

    def socket_created(event: dict[str, Any]) -> None:
        hosts.add(urlsplit(event["url"]).netloc)

    def frame(event: dict[str, Any]) -> None:
        websocket_bytes["received"] += len(event["response"]["payloadData"].encode())

    cdp.on("Network.requestWillBeSent", will_send)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", lambda e: failed.append(e.get("errorText", "")))
    cdp.on("Network.webSocketCreated", socket_created)
    cdp.on("Network.webSocketFrameReceived", frame)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if o.throttle:
        await cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": o.latency,
                "downloadThroughput": o.down_kbps * 1000 / 8,
                "uploadThroughput": o.up_kbps * 1000 / 8,
            },
        )
    mover = role == "respondent1"  # round 1: respondent1 lays the cards (the interviewer asks)
    began = time.perf_counter()
    await page.goto(f"{base}/t/{code}", wait_until="commit", timeout=120_000)
    usable_ms = await (
        await page.wait_for_function(USABLE, arg=mover, polling="raf", timeout=120_000)
    ).json_value()
    usable_wall = time.perf_counter() - began
    timing = await page.evaluate(
        """() => { const n = performance.getEntriesByType("navigation")[0];
                   return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }"""
    )
    if not timing["load"]:
        await page.wait_for_load_state("load", timeout=120_000)
        timing = await page.evaluate(
            """() => { const n = performance.getEntriesByType("navigation")[0];
                       return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }"""
        )
    # Whatever loads after it is usable (drag-and-drop for the card layers) counts too.
    await page.wait_for_load_state("networkidle", timeout=120_000)
    await asyncio.sleep(0.5)
    if o.screenshots:
        Path(o.screenshots).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(o.screenshots) / f"{role}.png"))

    resources = []
    gzipped_total = 0
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=30) as http:
        for request in requests.values():
            if not request["url"].startswith(base):
                continue
            body = (
                await http.get(request["url"], cookies={"ks_device": cookie}, follow_redirects=True)
            ).content
            gz = len(gzip.compress(body, compresslevel=6))
            gzipped_total += min(gz, len(body))
            resources.append(
                {
                    "path": request["url"].removeprefix(base),
                    "bytes": request["bytes"],
                    "body_bytes": len(body),
                    "gzip_bytes": gz,
                    "content_encoding": request.get("encoding"),
                    "status": request.get("status"),
                }
            )
    await context.close()
    total = sum(r["bytes"] for r in requests.values())
    return {
        "role": role,
        "requests": len(requests),
        "transferred_bytes": total,
        "transferred_kb": round(total / 1024, 1),
        "compressed_on_the_wire": any(r["content_encoding"] for r in resources),
        "if_gzipped_kb": round(gzipped_total / 1024, 1),
        "hosts": sorted(hosts),
        "only_the_server": hosts <= {f"{host}:{urlsplit(base).port}"},
        "usable_ms": round(usable_ms),
        "usable_wall_ms": round(usable_wall * 1000),
        "dom_content_loaded_ms": round(timing["dcl"]),
        "load_ms": round(timing["load"]),
        "websocket_received_bytes": websocket_bytes["received"],
        "failed": failed,
        "resources": sorted(resources, key=lambda r: -r["bytes"]),
    }


async def run(o: argparse.Namespace) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    spawned: Spawned | None = None
    if o.url:
        base = o.url.rstrip("/")
        if urlsplit(base).hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("--url must be on loopback")
    else:
        spawned = Spawned(target="app-gzip" if o.what_if_gzip else "app")
        await asyncio.to_thread(spawned.start)
        base = spawned.urls[0]
    try:
        code, cookies = await asyncio.to_thread(seats, base, o.roles)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                results = [
                    await measure(browser, base, code, role, cookies[role], o) for role in o.roles
                ]
            finally:
                await browser.close()
    finally:
        if spawned is not None:
            await asyncio.to_thread(spawned.stop)
    network = (
        {"latency_ms": o.latency, "down_kbps": o.down_kbps, "up_kbps": o.up_kbps}
        if o.throttle
        else "unthrottled"
    )
    server = "app behind GZipMiddleware (what if)" if o.what_if_gzip else "app as it is"
    return {"server": server, "network": network, "viewport": "390x844", "roles": results}


def describe(summary: dict[str, Any], details: bool) -> str:
    network = summary["network"]
    lines = [
        f"server: {summary['server']}",
        "network: "
        + (
            f"{network['latency_ms']} ms latency, {network['down_kbps']}/{network['up_kbps']}"
            " kbit/s down/up"
            if isinstance(network, dict)
            else network
        ),
        f"{'role':<12} {'requests':>8} {'KB on wire':>10} {'KB gzipped':>10} {'usable ms':>9}"
        f" {'DCL ms':>7} {'load ms':>7}  hosts",
    ]
    for r in summary["roles"]:
        lines.append(
            f"{r['role']:<12} {r['requests']:>8} {r['transferred_kb']:>10} {r['if_gzipped_kb']:>10}"
            f" {r['usable_ms']:>9} {r['dom_content_loaded_ms']:>7} {r['load_ms']:>7}"
            f"  {','.join(r['hosts'])}{'' if r['only_the_server'] else '  (OTHER HOSTS!)'}"
        )
        if details:
            for res in r["resources"]:
                lines.append(
                    f"{'':<14}{res['bytes']:>8} B wire {res['gzip_bytes']:>7} B gz  {res['path']}"
                )
    return "\n".join(lines)


def main() -> None:
    parse = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parse.add_argument("--url", help="an already running server on loopback (default: spawn)")
    parse.add_argument("--roles", nargs="+", default=list(ROLES), choices=ROLES)
    parse.add_argument("--latency", type=float, default=400, help="ms added per request")
    parse.add_argument("--down-kbps", type=float, default=400)
    parse.add_argument("--up-kbps", type=float, default=400)
    parse.add_argument("--no-throttle", dest="throttle", action="store_false")
    parse.add_argument("--screenshots", help="a folder for a screenshot of each role's page")
    parse.add_argument("--details", action="store_true", help="list every resource")
    parse.add_argument(
        "--what-if-gzip",
        action="store_true",
        help="serve the app behind GZipMiddleware (bench/gzip_app.py), to see what it would change",
    )
    parse.add_argument("--json", action="store_true")
    o = parse.parse_args()
    summary = asyncio.run(run(o))
    print(json.dumps(summary, indent=2) if o.json else describe(summary, o.details))


if __name__ == "__main__":
    main()
