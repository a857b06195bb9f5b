"""Writing SVG by hand, safely: every attribute quoted, every text escaped and cleaned.

Shared by the board picture and the chart, which are pure functions from data to SVG.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

FONT = "system-ui, sans-serif"
INK = "#1c2321"
MUTED = "#4f5955"
# No font metrics here, so text is wrapped by character count with an average glyph
# width in em. These are a little above DejaVu Sans (a wide fallback font) measured on
# Dutch text; the cards also clip their text, so a line of wide glyphs cannot spill out.
EM_REGULAR = 0.55
EM_BOLD = 0.62

# Characters XML 1.0 forbids even when escaped (control characters, lone surrogates).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ELLIPSIS = "…"


def clean(text: str) -> str:
    """Text safe to put in XML: forbidden characters dropped, all whitespace runs one space."""
    return " ".join(NOT_XML.sub("", text).split())


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary where there is one, plus "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and text[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + ELLIPSIS


def wrap(
    text: str, width: float, font_size: float, *, bold: bool, max_lines: int | None
) -> list[str]:
    """Lines that fit ``width`` units by character count; the last one ends in "…" if cut
    (``max_lines=None``: never cut)."""
    chars = max(4, int(width / (font_size * (EM_BOLD if bold else EM_REGULAR))))
    # A slash is a place to break too ("Leidinggevenden/management"), not mid-word.
    lines = textwrap.wrap(
        clean(text).replace("/", "/ "), chars, max_lines=max_lines, placeholder=" " + ELLIPSIS
    )
    return [line.replace("/ ", "/") for line in lines]


def text_lines(
    lines: Iterable[str], x: float, baseline: float, step: float, **attrs: object
) -> list[str]:
    return [
        tag_text("text", line, x=x, y=baseline + index * step, **attrs)
        for index, line in enumerate(lines)
    ]


def attrs(values: dict[str, object]) -> str:
    return "".join(f" {name}={quoteattr(value(v))}" for name, v in values.items())


def value(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return str(v)


def svg_open(width: int, height: int, label: str, **values: object) -> str:
    """The root element of a standalone picture: sized, scalable, and named for screen readers."""
    return open_tag(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        role="img",
        **{"aria-label": clean(label), "font-family": FONT},
        **values,
    )


def open_tag(name: str, **values: object) -> str:
    return f"<{name}{attrs(values)}>"


def tag(name: str, **values: object) -> str:
    return f"<{name}{attrs(values)}/>"


def tag_text(name: str, text: str, **values: object) -> str:
    return f"<{name}{attrs(values)}>{text_node(text)}</{name}>"


def text_node(text: str) -> str:
    return escape(clean(text))
