"""The report's own HTML and stylesheet typeset by WeasyPrint and by Chromium, side by side.

    .venv/bin/python bench/pdf_engines.py [--tables 12 --tables 100] [--chromium /usr/bin/chromium]

Made for one question (issue #17 item 9): can WeasyPrint reach the PDF targets, and what
would another typesetter of the same HTML and CSS give? The report is seeded as in
bench/summary_render.py and its PDF HTML taken from the app as it is handed to
app.summary.converters.pdf_from_html. Then, for each size:

- weasyprint: pdf_from_html itself (two layouts, as the download does), and one layout of it;
- chromium: Playwright drives the browser (a test dependency here, not one of the app's)
  to print the same HTML with report.css inlined; launch, a first and a second print are
  timed apart, and the CPU of the browser's processes is added to this process's own.

Chromium prints no page numbers into the contents block (no layout pass reads them back):
it is a measure of typesetting speed, not a finished engine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from summary_render import boards  # noqa: E402

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.summary import converters, router  # noqa: E402
from tests.seeding import seed_workshop  # noqa: E402


def report_html(tables: int) -> str:
    """The HTML the app hands to the typesetter for a seeded workshop of ``tables`` tables."""
    kept: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/b.db", public_url="http://127.0.0.1")
        with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
            laid, notes = boards(tables)
            _, token = seed_workshop(client, laid, notes, tables=tables)
            typeset = router.pdf_from_html
            router.pdf_from_html = lambda html: kept.append(html) or b"%PDF"
            try:
                client.get(f"/f/{token}/report.pdf")
            finally:
                router.pdf_from_html = typeset
    return kept[0]


def timed(what: str, work, cpu_of=lambda: 0.0) -> object:  # type: ignore[no-untyped-def]
    started, used, others = time.perf_counter(), time.process_time(), cpu_of()
    result = work()
    wall = time.perf_counter() - started
    cpu = time.process_time() - used + cpu_of() - others
    print(f"  {what:34} wall {wall:6.2f} s   cpu {cpu:6.2f} s", flush=True)
    return result


def weasyprint(html: str) -> None:
    converters._stylesheet()  # parsed once per process, as in the app
    pdf = timed("weasyprint, the download (2 layouts)", lambda: converters.pdf_from_html(html))
    timed("weasyprint, one layout", lambda: converters._render(html))
    print(f"  {'':34} {len(pdf) // 1024} KB")  # type: ignore[arg-type]


def chromium(html: str, executable: str) -> None:
    from playwright.sync_api import sync_playwright

    styled = html.replace("</head>", f"<style>{converters.REPORT_CSS.read_text()}</style></head>")
    me = psutil.Process()

    def browser_cpu() -> float:
        total = 0.0
        for child in me.children(recursive=True):
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    with sync_playwright() as playwright:
        browser = timed(
            "chromium, launch",
            lambda: playwright.chromium.launch(executable_path=executable),
            browser_cpu,
        )
        page = browser.new_page()  # type: ignore[attr-defined]

        def pdf() -> bytes:
            page.set_content(styled)
            return page.pdf(format="A4", prefer_css_page_size=True)

        timed("chromium, first print", pdf, browser_cpu)
        made = timed("chromium, second print", pdf, browser_cpu)
        print(f"  {'':34} {len(made) // 1024} KB")  # type: ignore[arg-type]
        browser.close()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, action="append")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    for tables in args.tables or [12, 100]:
        html = report_html(tables)
        print(f"{tables} tables; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        weasyprint(html)
        chromium(html, args.chromium)


if __name__ == "__main__":
    main()
