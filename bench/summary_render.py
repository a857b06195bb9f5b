"""How long the summary of a big workshop takes: 100 tables, two interviews each, full boards.

    .venv/bin/python bench/summary_render.py [--tables 100] [--repeat 3] [--only report.pdf]
    .venv/bin/python bench/summary_render.py --tables 12 --only report.pdf --profile 30

Seeds a SQLite file with realistic boards (8 cards and four notes per interview), then asks
the app, in process, for each summary page and download and prints the median time of each,
as wall-clock time and as the CPU time the process spent (on a busy machine the wall clock
measures the neighbours too). The PDF is timed cold, its cache emptied before every request,
and then once more as the cache hands it out. The load average is printed before and after:
other work on the machine slows the wall clock and, less, the CPU time too. --profile N runs
one more cold PDF under cProfile and lists the N functions with the most cumulative time.
Targets: the summary of a 100-table workshop renders in at most 2 s (issue #5); the PDF of a
100-table workshop in at most 5 s cold, of a 12-table one in at most 1 s (issue #17).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.seeding import seed_workshop  # noqa: E402

PAGES = (
    "summary",
    "summary?sort=stimulating&reference=1",
    "plenary",
    "report.html",
    "report.pdf",
    "placements.csv",
    "workshop.xlsx",
    "workshop.json",
    "chart.svg",
    "chart.png",
)


def boards(tables: int, seed: int = 7) -> tuple[dict, dict]:
    rng = random.Random(seed)
    factors = [
        f"{c}{n}"
        for c, count in zip("ABCDE", (6, 5, 5, 3, 5), strict=True)
        for n in range(1, count + 1)
    ]
    laid, notes = {}, {}
    for table in range(1, tables + 1):
        for round_ in (1, 2):
            cards = []
            for i, factor in enumerate(rng.sample(factors, 8)):
                side = "stimulating" if i % 3 else "hindering"
                extent = rng.choice(("limited", "large"))
                cards.append((f"{factor}-1", side, extent, "Uitleg bij deze kaart " * 3, ""))
            laid[(table, round_)] = cards
            notes[(table, round_)] = {
                "development": "Van medewerker naar voorman met een opleiding naast het werk. " * 3,
                "stands_out": "Leidinggevende en zelfvertrouwen versterken elkaar.",
                "recommendations": "- Plan opleidingstijd in\n- Laat collega's elkaar coachen",
                "reflection": "Opvallend hoe vaak de leidinggevende terugkomt.",
            }
    return laid, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", action="append", choices=PAGES, help="time only these")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/bench.db", public_url="http://127.0.0.1:8000"
        )
        with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
            laid, notes = boards(args.tables)
            _, token = seed_workshop(client, laid, notes, tables=args.tables)
            print(f"{args.tables} tables, {len(laid)} interviews, {8 * len(laid)} cards")
            print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            print(f"{'page':42} {'median s':>9} {'cpu s':>7} {'size KB':>8}")
            cache = client.app.state.pdf_cache
            pages = args.only or PAGES
            if "report.pdf" in pages:
                pages = (*pages, "report.pdf (cached)")
            for page in pages:
                times, cpu, size = [], [], 0
                for _ in range(args.repeat):
                    if page == "report.pdf":
                        cache.made.clear()  # cold: made anew, as after any move on a table
                    started, used = time.perf_counter(), time.process_time()
                    response = client.get(f"/f/{token}/{page.split()[0]}")
                    times.append(time.perf_counter() - started)
                    cpu.append(time.process_time() - used)
                    assert response.status_code == 200, (page, response.status_code)
                    size = len(response.content)
                median, median_cpu = statistics.median(times), statistics.median(cpu)
                print(f"{page:42} {median:9.3f} {median_cpu:7.3f} {size / 1024:8.0f}")
            print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            if args.profile:
                cache.made.clear()
                profile = cProfile.Profile()
                profile.runcall(client.get, f"/f/{token}/report.pdf")
                pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
