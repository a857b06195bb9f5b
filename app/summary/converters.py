"""HTML to PDF (WeasyPrint) and SVG to PNG (CairoSVG): the only steps that need system libraries.

Both need shared libraries that come with most Linux desktops and Debian's packages
(Pango for WeasyPrint, Cairo for CairoSVG). They are imported on first use, so a machine
without them still runs every other part of Kaartspel and gets a clear refusal here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

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


def pdf_from_html(html: str) -> bytes:
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError) as error:  # OSError: Pango's shared library is absent
        raise _missing("Pango (WeasyPrint)") from error
    # No base URL: the report is self-contained (inline SVG, one stylesheet given here),
    # so WeasyPrint never fetches anything, from this server or elsewhere.
    document = HTML(string=html, base_url=None, url_fetcher=_no_fetching)
    pdf = document.write_pdf(stylesheets=[CSS(filename=str(REPORT_CSS))])
    assert pdf is not None
    return bytes(pdf)


class PdfCache:
    """The last few reports, by the state they show (bounded: PDFs are megabytes)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.made: OrderedDict[Hashable, tuple[bytes, str]] = OrderedDict()

    def get(self, state: Hashable) -> tuple[bytes, str] | None:
        found = self.made.get(state)
        if found is not None:
            self.made.move_to_end(state)
        return found

    def put(self, state: Hashable, content: bytes, name: str) -> tuple[bytes, str]:
        self.made[state] = (content, name)
        while len(self.made) > self.size:
            self.made.popitem(last=False)
        return content, name


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
