"""The board "photo": an SVG picture of one board, kept at the end of each interview round.

A pure function from placed cards and already-translated labels to an SVG string; no I/O.

Layout: like the paper board, stimulating on the left half and hindering on the right,
each half with its two zones as columns. The columns run as one scale from left to right,
"large" on the outer edges: stimulating·large | stimulating·limited ‖ hindering·limited |
hindering·large, so the strongest factors either way sit furthest from the middle. Cards
stack down their column in ``position`` order and the picture grows taller to fit them.

Colour never carries meaning alone: every half and zone is named in its header, every card
carries a marker ("+", "++", "−", "−−") for its side and extent, and hindering cards have a
dashed border. The SVG is self-contained (no ids, no <style>, no links, no fonts, no
images), so it can be written to a file or inlined into a page without side effects, and
every piece of text is escaped, since all of it is user input or translation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.summary.svg import (
    INK,
    MUTED,
    clean,
    open_tag,
    shorten,
    svg_open,
    tag,
    tag_text,
    text_lines,
    text_node,
    wrap,
)

SIDES = ("stimulating", "hindering")
EXTENTS = ("limited", "large")
EXPLANATION_CHARS = 90  # the card shows the start of the explanation; the report has it all

WIDTH = 1200
MARGIN = 24
HALF_GAP = 24
HALF_WIDTH = (WIDTH - 2 * MARGIN - HALF_GAP) // 2
HALF_PAD = 12
ZONE_GAP = 12
ZONE_WIDTH = (HALF_WIDTH - 2 * HALF_PAD - ZONE_GAP) // 2
CARD_INSET = 8
CARD_WIDTH = ZONE_WIDTH - 2 * CARD_INSET
CARD_PAD = 12
CARD_GAP = 10
EMPTY_ZONE_HEIGHT = 56


@dataclass(frozen=True)
class PictureCard:
    code: str  # factor code, e.g. "A1" or "X" for the blank "Anders, namelijk …" card
    title: str  # factor title in the workshop language, e.g. "Toekomstdromen"
    custom_name: str  # for the blank card: the name the respondent gave it ("" otherwise)
    side: str  # "stimulating" | "hindering"
    extent: str  # "limited" | "large"
    position: int  # order within its zone, 0-based
    explanation: str  # the respondent's explanation ("" if none)
    category: str  # category code "A".."E" ("" for the blank card)


@dataclass(frozen=True)
class PictureLabels:
    """All UI text, already translated into the workshop's language."""

    heading: str  # e.g. "Tafel 3 · Ronde 1 · Respondent 1"
    stimulating: str  # "Welke factoren stimuleren LLO?"
    hindering: str  # "Welke factoren beperken LLO?"
    limited: str  # "In beperkte mate"
    large: str  # "In grote mate"
    empty: str  # "Geen kaarten" (shown in an empty zone)
    footer: str  # e.g. "Leren in de buitendienst · 24-11-2025 · 14:32"


@dataclass(frozen=True)
class _Palette:
    ink: str  # borders, markers
    text: str  # headers: darker than ink, for contrast on the tints
    paper: str  # the half's background
    zone: dict[str, str]  # zone background by extent: the large zone a shade stronger
    dash: str | None  # the card border's dash pattern: hindering cards are dashed
    sign: str  # the marker, doubled for "large"


_PALETTES = {
    "stimulating": _Palette(
        ink="#1f7a5c",
        text="#14523d",
        paper="#e3f2ec",
        zone={"limited": "#f3faf7", "large": "#cde8dc"},
        dash=None,
        sign="+",
    ),
    "hindering": _Palette(
        ink="#b4472f",
        text="#86301d",
        paper="#fbe9e4",
        zone={"limited": "#fef6f3", "large": "#f6d3c9"},
        dash="7 4",
        sign="\u2212",  # a real minus sign: a hyphen is too thin to read as one
    ),
}

# Left to right: the column order described in the module docstring.
_COLUMNS = (
    ("stimulating", "large"),
    ("stimulating", "limited"),
    ("hindering", "limited"),
    ("hindering", "large"),
)


def render_board_svg(cards: Sequence[PictureCard], labels: PictureLabels) -> str:
    """Draw the board as a standalone SVG document (no XML declaration, so it can be inlined)."""
    for card in cards:
        if card.side not in SIDES or card.extent not in EXTENTS:
            raise ValueError(
                f"card {card.code!r}: side {card.side!r} / extent {card.extent!r} is not on the board"
            )
    zones: dict[tuple[str, str], list[_CardBox]] = {column: [] for column in _COLUMNS}
    # sorted() is stable: cards sharing a position keep the order they came in.
    for card in sorted(cards, key=lambda c: c.position):
        zones[(card.side, card.extent)].append(_CardBox.of(card))

    heading = wrap(labels.heading, WIDTH - 2 * MARGIN, 26, bold=True, max_lines=2)
    side_headers = {
        side: wrap(
            getattr(labels, side), HALF_WIDTH - 2 * HALF_PAD - 36, 20, bold=True, max_lines=2
        )
        for side in SIDES
    }
    zone_headers = {
        extent: wrap(
            getattr(labels, extent), ZONE_WIDTH - 2 * CARD_INSET - 44, 16, bold=True, max_lines=2
        )
        for extent in EXTENTS
    }
    empty = wrap(labels.empty, CARD_WIDTH, 14, bold=False, max_lines=2)
    footer = wrap(labels.footer, WIDTH - 2 * MARGIN, 13, bold=False, max_lines=2)

    # Vertical rhythm: every zone in the picture shares one header height and one column
    # height, so the four columns line up like the printed board.
    heading_top = MARGIN
    halves_top = heading_top + len(heading) * 32 + 14
    side_header_height = 18 + max(len(lines) for lines in side_headers.values()) * 26
    zones_top = halves_top + side_header_height
    zone_header_height = 14 + max(len(lines) for lines in zone_headers.values()) * 20 + 4
    cards_top = zones_top + zone_header_height
    column_height = max(
        (sum(box.height + CARD_GAP for box in boxes) for boxes in zones.values()), default=0
    )
    column_height = max(column_height, EMPTY_ZONE_HEIGHT + CARD_GAP)
    zones_bottom = cards_top + column_height
    halves_bottom = zones_bottom + HALF_PAD
    footer_top = halves_bottom + 14
    height = footer_top + len(footer) * 18 + MARGIN

    out: list[str] = []
    out.append(svg_open(WIDTH, height, labels.heading, fill=INK))
    out.append(f"<title>{text_node(labels.heading)}</title>")
    out.append(f"<desc>{text_node(_describe(zones, labels))}</desc>")
    out.append(tag("rect", x=0, y=0, width=WIDTH, height=height, fill="#ffffff"))
    out.extend(
        text_lines(heading, MARGIN, heading_top + 26, 32, **{"font-size": 26, "font-weight": 700})
    )

    for index, side in enumerate(SIDES):
        palette = _PALETTES[side]
        half_x = MARGIN + index * (HALF_WIDTH + HALF_GAP)
        out.append(
            tag(
                "rect",
                x=half_x,
                y=halves_top,
                width=HALF_WIDTH,
                height=halves_bottom - halves_top,
                rx=16,
                fill=palette.paper,
                stroke=palette.ink,
                **{"stroke-width": 1.5},
            )
        )
        out.append(_marker(half_x + HALF_PAD, halves_top + 14, palette.sign, palette, size=28))
        out.extend(
            text_lines(
                side_headers[side],
                half_x + HALF_PAD + 36,
                halves_top + 35,
                26,
                fill=palette.text,
                **{"font-size": 20, "font-weight": 700},
            )
        )

    for column, (side, extent) in enumerate(_COLUMNS):
        palette = _PALETTES[side]
        half_x = MARGIN + SIDES.index(side) * (HALF_WIDTH + HALF_GAP)
        zone_x = half_x + HALF_PAD + (column % 2) * (ZONE_WIDTH + ZONE_GAP)
        sign = palette.sign * (2 if extent == "large" else 1)
        out.append(
            tag(
                "rect",
                x=zone_x,
                y=zones_top,
                width=ZONE_WIDTH,
                height=zones_bottom - zones_top,
                rx=12,
                fill=palette.zone[extent],
            )
        )
        out.append(_marker(zone_x + CARD_INSET, zones_top + 12, sign, palette, size=24, width=34))
        out.extend(
            text_lines(
                zone_headers[extent],
                zone_x + CARD_INSET + 44,
                zones_top + 30,
                20,
                fill=palette.text,
                **{"font-size": 16, "font-weight": 700},
            )
        )
        boxes = zones[(side, extent)]
        if not boxes:
            out.extend(
                text_lines(
                    empty,
                    zone_x + ZONE_WIDTH / 2,
                    cards_top + 32,
                    18,
                    fill=MUTED,
                    **{"font-size": 14, "font-style": "italic", "text-anchor": "middle"},
                )
            )
        y = cards_top
        for box in boxes:
            out.extend(box.draw(zone_x + CARD_INSET, y, palette, sign))
            y += box.height + CARD_GAP

    out.extend(text_lines(footer, MARGIN, footer_top + 13, 18, fill=MUTED, **{"font-size": 13}))
    out.append("</svg>")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class _CardBox:
    """One card's wrapped text and the height it needs at the fixed card width."""

    card: PictureCard
    code: str
    title: list[str]
    explanation: list[str]

    @classmethod
    def of(cls, card: PictureCard) -> _CardBox:
        text_width = CARD_WIDTH - 2 * CARD_PAD
        explanation = shorten(clean(card.explanation), EXPLANATION_CHARS)
        return cls(
            card=card,
            code=shorten(clean(card.code), 12),
            title=wrap(_card_title(card), text_width, 16, bold=True, max_lines=3),
            explanation=wrap(explanation, text_width, 13.5, bold=False, max_lines=4),
        )

    _title_baseline = 48  # below the row with the code and the marker

    @property
    def _explanation_baseline(self) -> int:
        # An untitled card (a blank card never named) still keeps its title line.
        return self._title_baseline + (max(len(self.title), 1) - 1) * 20 + 23

    @property
    def height(self) -> int:
        if self.explanation:
            last = self._explanation_baseline + (len(self.explanation) - 1) * 17
        else:
            last = self._title_baseline + (max(len(self.title), 1) - 1) * 20
        return last + 14

    def draw(self, x: float, y: float, palette: _Palette, sign: str) -> list[str]:
        card = self.card
        border: dict[str, object] = {"stroke-width": 2}
        if palette.dash:
            border["stroke-dasharray"] = palette.dash
        parts = [
            open_tag(
                "g",
                **{
                    "data-code": self.code,
                    "data-category": clean(card.category),
                    "data-side": card.side,
                    "data-extent": card.extent,
                    "data-position": card.position,
                },
            ),
            # A soft offset shadow, drawn as a plain rect: a filter would need an id.
            tag(
                "rect",
                x=x,
                y=y + 2,
                width=CARD_WIDTH,
                height=self.height,
                rx=10,
                fill="#000000",
                **{"fill-opacity": 0.07},
            ),
            tag(
                "rect",
                x=x,
                y=y,
                width=CARD_WIDTH,
                height=self.height,
                rx=10,
                fill="#ffffff",
                stroke=palette.ink,
                **{"class": "card", **border},
            ),
            # A nested <svg> clips its content to the card without needing a clipPath id.
            open_tag("svg", x=x, y=y, width=CARD_WIDTH, height=self.height, overflow="hidden"),
            tag_text(
                "text",
                self.code,
                x=CARD_PAD,
                y=27,
                fill=palette.text,
                **{"font-size": 13, "font-weight": 700, "letter-spacing": 0.5},
            ),
            _marker(CARD_WIDTH - CARD_PAD - 30, 10, sign, palette, size=22, width=30),
        ]
        parts.extend(
            text_lines(
                self.title,
                CARD_PAD,
                self._title_baseline,
                20,
                fill=INK,
                **{"font-size": 16, "font-weight": 600},
            )
        )
        parts.extend(
            text_lines(
                self.explanation,
                CARD_PAD,
                self._explanation_baseline,
                17,
                fill=MUTED,
                **{"font-size": 13.5},
            )
        )
        parts.append("</svg>")
        parts.append("</g>")
        return parts


def _card_title(card: PictureCard) -> str:
    """The title as the card shows it; the blank card shows the name the respondent gave it.

    "Anders, namelijk …" + "de buurtvereniging" reads "Anders, namelijk de buurtvereniging"
    (and "Other, namely …" likewise), so no Dutch is written into code; a title without a
    trailing ellipsis gets a colon instead.
    """
    title = clean(card.title)
    name = clean(card.custom_name)
    if not name:
        return title
    stem = title.rstrip(" .…")
    if not stem:
        return name
    return f"{stem} {name}" if stem != title else f"{stem}: {name}"


def _describe(zones: dict[tuple[str, str], list[_CardBox]], labels: PictureLabels) -> str:
    """The board as text for screen readers, zone by zone in the same order as drawn."""
    parts = []
    for side, extent in _COLUMNS:
        boxes = zones[(side, extent)]
        listed = "; ".join(
            f"{box.code} {' '.join(box.title)}"
            + (f" ({' '.join(box.explanation)})" if box.explanation else "")
            for box in boxes
        )
        parts.append(
            f"{clean(getattr(labels, side))} / {clean(getattr(labels, extent))}: "
            f"{listed or clean(labels.empty)}."
        )
    return " ".join(parts)


def _marker(
    x: float, y: float, sign: str, palette: _Palette, *, size: int, width: int | None = None
) -> str:
    """A filled pill with the white "+"/"−" sign: the side and extent, without colour."""
    pill_width = width or size
    return "".join(
        [
            tag(
                "rect",
                x=x,
                y=y,
                width=pill_width,
                height=size,
                rx=size / 2,
                fill=palette.ink,
            ),
            tag_text(
                "text",
                sign,
                x=x + pill_width / 2,
                y=y + size * 0.72,
                fill="#ffffff",
                **{
                    "font-size": round(size * 0.62, 1),
                    "font-weight": 700,
                    "text-anchor": "middle",
                },
            ),
        ]
    )
