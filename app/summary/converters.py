"""HTML to PDF (WeasyPrint) and SVG to PNG (CairoSVG): the only steps that need system libraries.

Both need shared libraries that come with most Linux desktops and Debian's packages
(Pango for WeasyPrint, Cairo for CairoSVG). They are imported on first use, so a machine
without them still runs every other part of Kaartspel and gets a clear refusal here.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from app.game.refusal import Refusal
from app.settings import ROOT

REPORT_CSS = ROOT / "app" / "static" / "css" / "report.css"
PNG_SCALE = 2  # sharp on a projector and in a slide deck


def _missing(what: str) -> Refusal:
    return Refusal(
        "export_unavailable",
        "This download needs %(library)s, which is not installed on the server.",
        {"library": what},
        status=503,
    )


# The report marks where its contents block needs page numbers: <span data-page-of="ID">00</span>
# (ID an element's id), and where its front matter, the pages holding that block, ends.
PAGE_OF = re.compile(r'(<span data-page-of="([\w-]+)">)[^<]*(</span>)')
FRONT_ENDS = "<!-- front matter ends -->"


def _weasyprint() -> tuple[Any, Any, Any]:
    """WeasyPrint's HTML class, the report's stylesheet and the fonts it was parsed with."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: Pango's shared library is absent
        raise _missing("Pango (WeasyPrint)") from error
    return HTML, *_stylesheet()


@lru_cache(maxsize=1)
def _stylesheet() -> tuple[Any, Any]:
    # Parsed once per process, with one font configuration that every report shares.
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return CSS(filename=str(REPORT_CSS), font_config=fonts), fonts


def _render(html: str, *extra_css: str) -> Any:
    make_html, stylesheet, fonts = _weasyprint()
    from weasyprint import CSS

    sheets = [stylesheet, *(CSS(string=css, font_config=fonts) for css in extra_css)]
    # No base URL: the report is self-contained (one stylesheet, given here), so WeasyPrint
    # never fetches anything, from this server or elsewhere.
    document = make_html(string=html, base_url=None, url_fetcher=_no_fetching)
    return document.render(stylesheets=sheets, font_config=fonts)


class _CollectorPause:
    """Python's cycle collector off while a report is typeset, back on after (even on error).

    WeasyPrint makes millions of short-lived objects, and every full collection walks the
    whole, growing heap of boxes: about 8 % of a 100-table report's CPU (docs/performance.md).
    What the report leaves behind goes to the first collection after. The switch is
    process-wide, so it is counted: with two reports made at once, the collector comes back
    when the last is done, and only if it was on before the first.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._restore = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._restore = gc.isenabled()
                gc.disable()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._restore:
                    gc.enable()


_collector_paused = _CollectorPause()


def pdf_from_html(html: str) -> bytes:
    """The report as a PDF, its contents block showing the page of every entry (see _typeset)."""
    with _collector_paused():
        return _typeset(html)


def _typeset(html: str) -> bytes:
    """Lay the report out once with placeholders, then its front matter with the page numbers.

    CSS could number the contents itself (target-counter), but WeasyPrint then lays the
    contents pages out three times over, which costs more than the rest of a short report.
    So the report is laid out once with placeholders; the page of each target is read from
    that layout; and only the front matter (which a forced page break ends) is laid out
    again with the numbers, to take the place of its first pages. Should the numbers change
    how many pages the front matter fills, the whole report is laid out again with them.
    """
    document = _render(html)
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for name in page.anchors:  # an element that runs over a page break is on both
            pages.setdefault(name, number)
    if PAGE_OF.search(html) is None:
        return _write(document)

    def numbered(text: str) -> str:
        return PAGE_OF.sub(lambda m: f"{m[1]}{pages.get(m[2], '?')}{m[3]}", text)

    cut = html.find(FRONT_ENDS)
    if cut >= 0:
        total = len(document.pages)
        footer = f'@page {{ @bottom-right {{ content: counter(page) " / {total}"; }} }}'
        front = _render(numbered(html[:cut]) + "</body></html>", footer)
        first = _first_page_after_front(html, cut, pages)
        if first is not None and len(front.pages) == first - 1:
            return _write(document.copy([*front.pages, *document.pages[first - 1 :]]))
    return _write(_render(numbered(html)))


def _first_page_after_front(html: str, cut: int, pages: dict[str, int]) -> int | None:
    """The page on which the first element after the front matter (one with an id) starts."""
    found = re.search(r'\sid="([\w-]+)"', html[cut:])
    return pages.get(found[1]) if found else None


def _write(document: Any) -> bytes:
    pdf = document.write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _no_fetching(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    raise ValueError(f"the report fetches nothing ({url[:80]})")


def png_from_svg(svg: str) -> bytes:
    try:
        import cairosvg
    except (ImportError, OSError) as error:  # OSError: Cairo's shared library is absent
        raise _missing("Cairo (CairoSVG)") from error
    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=PNG_SCALE)
    assert png is not None
    return bytes(png)
