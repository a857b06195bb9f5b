"""The aggregate chart as SVG: one diverging stacked bar per factor, like the research's chart.

Pure: an app.summary.aggregate.Chart and translated labels in, an SVG string out. The page,
the projector, the report, the PDF and the downloads all use this one drawing.

Stimulating grows to the left of the middle line and hindering to the right, as on the
board. "Limited" sits next to the line and "large" outside it, so the strongest answers
either way are furthest out. Colour never carries meaning alone: segments are labelled
"+ / ++ / − / −−" with their percentage, each side's total is printed at its end (a side
never chosen says "0%", so a zero is not mistaken for a missing row), the legend spells out
every sign, and each bar has a text title with all its figures. Segments print the
percentages of FactorRow.segment, which add up to the total beside them. A factor's name is
never cut: it wraps in the label column and its row grows, so no two long names read alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.summary.aggregate import Chart, FactorRow
from app.summary.svg import (
    INK,
    MUTED,
    open_tag,
    shorten,
    svg_open,
    tag,
    tag_text,
    text_lines,
    text_node,
    wrap,
)

WIDTH = 1000
MARGIN = 20
LABEL_WIDTH = 310
BAR_AREA = (WIDTH - 2 * MARGIN - LABEL_WIDTH) // 2  # pixels for 100% on each side
MIDDLE = MARGIN + LABEL_WIDTH + BAR_AREA
ROW = 30  # a one-line factor name; each further line of its name adds LABEL_LINE
BAR = 18
LABEL_SIZE = 14
LABEL_LINE = 17
# Room at the column's right edge for a near-100% bar's total ("100%", 12 px bold, printed
# inside the bar's end), so no name line runs into it.
TOTAL_ROOM = 40
NAMED = 18  # the blank card's row grows by a line that lists its names, side by side
NAMED_CHARS = 130
GROUP_HEAD = 30
HEAD = 100  # with a one-line title and subtitle; each further line adds its own height
TITLE_SIZE, TITLE_LINE = 20, 24
SUBTITLE_SIZE, SUBTITLE_LINE = 13, 17
FOOT = 70
MIN_SEGMENT_LABEL = 34  # px: narrower segments show their figure in the bar's title only

_FILL = {
    ("stimulating", "large"): "#1f7a5c",
    ("stimulating", "limited"): "#8fcfb3",
    ("hindering", "limited"): "#f0ab97",
    ("hindering", "large"): "#b4472f",
}
_LABEL_INK = {"large": "#ffffff", "limited": INK}
_SIGN = {
    ("stimulating", "limited"): "+",
    ("stimulating", "large"): "++",
    ("hindering", "limited"): "\u2212",
    ("hindering", "large"): "\u2212\u2212",
}
_REFERENCE = "#1c2321"


@dataclass(frozen=True)
class ChartLabels:
    """All text, already translated into the workshop's language."""

    title: str  # "Stimulerende en belemmerende factoren (N=12)"
    subtitle: str  # what the figures are about, e.g. the filter: "Tafel 1, 3 · ronde 1"
    stimulating: str  # "Stimulerend"
    hindering: str  # "Belemmerend"
    limited: str  # "In beperkte mate"
    large: str  # "In grote mate"
    reference: str  # "Onderzoek (N=24), stimulerend"
    empty: str  # "Nog geen kaarten gelegd"


def render_chart_svg(
    chart: Chart, labels: ChartLabels, *, reference: bool = False, bar_titles: dict[str, str]
) -> str:
    """Draw the chart as a standalone SVG (no XML declaration, no ids: safe to inline)."""
    show_reference = reference and chart.has_reference
    title_lines, subtitle_lines = _head_lines(labels)
    head = HEAD + TITLE_LINE * (len(title_lines) - 1) + SUBTITLE_LINE * (len(subtitle_lines) - 1)
    body: list[str] = []
    y = head
    for group in chart.groups:
        if group.title:
            body.append(
                tag_text(
                    "text",
                    group.title,
                    x=MARGIN,
                    y=y + GROUP_HEAD - 9,
                    fill=INK,
                    **{"font-size": 15, "font-weight": 700},
                )
            )
            y += GROUP_HEAD
        for row in group.rows:
            title = bar_titles.get(row.code, row.title)
            lines = label_lines(row.title)
            body.append(_bar(row, y, lines, show_reference, title, zeros=chart.n > 0))
            y += row_height(lines)
            if row.named:
                body.append(_names(row, y, labels))
                y += NAMED
    bars_bottom = y
    if chart.n == 0:
        body.append(
            tag_text(
                "text",
                labels.empty,
                x=MIDDLE,
                y=head - 30,
                fill=MUTED,
                **{"font-size": 14, "text-anchor": "middle"},
            )
        )
    height = bars_bottom + FOOT
    parts = [
        svg_open(WIDTH, height, f"{labels.title}. {labels.subtitle}"),
        tag("rect", x=0, y=0, width=WIDTH, height=height, fill="#ffffff"),
        tag_text("title", f"{labels.title}. {labels.subtitle}"),
        *_grid(head - 8, bars_bottom),
        *_head(labels, title_lines, subtitle_lines),
        *body,
        *_legend(labels, bars_bottom + 26, show_reference),
        "</svg>",
    ]
    return "".join(parts)


def _x(fraction: float, side: str) -> float:
    return MIDDLE - fraction * BAR_AREA if side == "stimulating" else MIDDLE + fraction * BAR_AREA


def _names(row: FactorRow, y: int, labels: ChartLabels) -> str:
    """The names given to the blank card, under its bar, each with the side it lay on."""
    words = {"stimulating": labels.stimulating, "hindering": labels.hindering}
    text = " · ".join(
        f"{words[side]}: {', '.join(names)}"
        for side in ("stimulating", "hindering")
        if (names := row.named_on(side))
    )
    return tag_text(
        "text",
        shorten(text, NAMED_CHARS),
        x=MARGIN + 12,
        y=y + NAMED - 14,
        fill=MUTED,
        **{"font-size": 12},
    )


def label_lines(title: str) -> list[str]:
    """The factor's whole name, wrapped to the label column: never cut, however long, so
    two long names stay apart and a programme maker reads each in full."""
    return wrap(title, LABEL_WIDTH - TOTAL_ROOM, LABEL_SIZE, bold=False, max_lines=None)


def row_height(lines: list[str]) -> int:
    return ROW + LABEL_LINE * (max(len(lines), 1) - 1)


def _label(lines: list[str], y: int) -> str:
    """One <text> with a <tspan> per line, so the name reads (and copies) as one string."""
    spans = [
        open_tag("tspan", x=MARGIN, y=y + BAR - 4 + index * LABEL_LINE)
        + text_node(line)
        + "</tspan>"
        for index, line in enumerate(lines)
    ]
    # The space between spans keeps the words apart in the text; a broken slash joins up.
    text = "".join(
        span + ("" if index == len(lines) - 1 or lines[index].endswith("/") else " ")
        for index, span in enumerate(spans)
    )
    return open_tag("text", fill=INK, **{"font-size": LABEL_SIZE}) + text + "</text>"


def _bar(
    row: FactorRow, top: int, lines: list[str], show_reference: bool, title: str, *, zeros: bool
) -> str:
    # A name of several lines: the bar sits in the middle of them.
    y = top + (row_height(lines) - ROW) // 2
    parts = [open_tag("g"), tag_text("title", title), _label(lines, top)]
    for side in ("stimulating", "hindering"):
        start = 0.0
        for extent in ("limited", "large"):
            share = row.share(side, extent)
            if not share.count:
                continue
            x0, x1 = _x(start, side), _x(start + share.fraction, side)
            left, width = min(x0, x1), abs(x1 - x0)
            parts.append(
                tag(
                    "rect",
                    x=round(left, 1),
                    y=y,
                    width=round(width, 1),
                    height=BAR,
                    fill=_FILL[(side, extent)],
                )
            )
            if width >= MIN_SEGMENT_LABEL:
                parts.append(
                    tag_text(
                        "text",
                        f"{_SIGN[(side, extent)]}{row.segment(side, extent)}",
                        x=round(left + width / 2, 1),
                        y=y + BAR - 5,
                        fill=_LABEL_INK[extent],
                        **{"font-size": 11, "font-weight": 700, "text-anchor": "middle"},
                    )
                )
            start += share.fraction
        total = row.stimulating if side == "stimulating" else row.hindering
        if total.count or zeros:
            end = _x(total.fraction, side)
            stimulating = side == "stimulating"
            parts.append(
                tag_text(
                    "text",
                    f"{total.percent}%",
                    x=round(end - 5 if stimulating else end + 5, 1),
                    y=y + BAR - 4,
                    fill=INK if total.count else MUTED,
                    **{
                        "font-size": 12,
                        "font-weight": 700 if total.count else 400,
                        "text-anchor": "end" if stimulating else "start",
                    },
                )
            )
    if show_reference and row.reference is not None:
        # Under the bar, pointing up at the research's share: it never hides a figure.
        x = round(_x(row.reference / 100, "stimulating"), 1)
        parts.append(_marker(x, y + BAR + 1))
    parts.append("</g>")
    return "".join(parts)


def _marker(x: float, top: float, size: float = 7) -> str:
    points = f"{x},{top} {x + size / 1.4},{top + size} {x - size / 1.4},{top + size}"
    return tag("polygon", points=points, fill=_REFERENCE)


def _grid(top: int, bottom: int) -> list[str]:
    lines = []
    for step in (0.25, 0.5, 0.75, 1.0):
        for side in ("stimulating", "hindering"):
            x = round(_x(step, side), 1)
            lines.append(tag("line", x1=x, y1=top, x2=x, y2=bottom, stroke="#e3e7e5"))
            lines.append(
                tag_text(
                    "text",
                    f"{int(step * 100)}%",
                    x=x,
                    y=top - 4,
                    fill=MUTED,
                    **{"font-size": 11, "text-anchor": "middle"},
                )
            )
    lines.append(tag("line", x1=MIDDLE, y1=top, x2=MIDDLE, y2=bottom, stroke=INK))
    return lines


def _head_lines(labels: ChartLabels) -> tuple[list[str], list[str]]:
    """Title and subtitle wrapped to the chart's width: a workshop's long name (in the
    subtitle) ran off the picture's right edge."""
    width = WIDTH - 2 * MARGIN
    return (
        wrap(labels.title, width, TITLE_SIZE, bold=True, max_lines=None),
        wrap(labels.subtitle, width, SUBTITLE_SIZE, bold=False, max_lines=None),
    )


def _head(labels: ChartLabels, title: list[str], subtitle: list[str]) -> list[str]:
    below_title = TITLE_LINE * (len(title) - 1)
    sides = 72 + below_title + SUBTITLE_LINE * (len(subtitle) - 1)
    return [
        *text_lines(
            title,
            MARGIN,
            28,
            TITLE_LINE,
            fill=INK,
            **{"font-size": TITLE_SIZE, "font-weight": 700},
        ),
        *text_lines(
            subtitle,
            MARGIN,
            50 + below_title,
            SUBTITLE_LINE,
            fill=MUTED,
            **{"font-size": SUBTITLE_SIZE},
        ),
        tag_text(
            "text",
            f"\u2190 {labels.stimulating}",
            x=MIDDLE - 10,
            y=sides,
            fill=_FILL[("stimulating", "large")],
            **{"font-size": 14, "font-weight": 700, "text-anchor": "end"},
        ),
        tag_text(
            "text",
            f"{labels.hindering} \u2192",
            x=MIDDLE + 10,
            y=sides,
            fill=_FILL[("hindering", "large")],
            **{"font-size": 14, "font-weight": 700},
        ),
    ]


def _legend(labels: ChartLabels, y: int, show_reference: bool) -> list[str]:
    """Two lines, one per side, in bar order from the middle out; the reference beside them."""
    lines = (
        (("stimulating", "limited"), ("stimulating", "large")),
        (("hindering", "limited"), ("hindering", "large")),
    )
    names = {"stimulating": labels.stimulating, "hindering": labels.hindering}
    extents = {"limited": labels.limited, "large": labels.large}
    parts = []
    for line, keys in enumerate(lines):
        for column, key in enumerate(keys):
            x, top = MARGIN + column * 300, y + line * 24
            parts.append(tag("rect", x=x, y=top - 12, width=28, height=16, fill=_FILL[key]))
            parts.append(
                tag_text(
                    "text",
                    _SIGN[key],
                    x=x + 14,
                    y=top,
                    fill=_LABEL_INK[key[1]],
                    **{"font-size": 11, "font-weight": 700, "text-anchor": "middle"},
                )
            )
            parts.append(
                tag_text(
                    "text",
                    f"{names[key[0]]}: {extents[key[1]]}",
                    x=x + 36,
                    y=top,
                    fill=INK,
                    **{"font-size": 12},
                )
            )
    if show_reference:
        x = MARGIN + 600
        parts.append(_marker(x + 8, y - 10))
        parts.append(
            tag_text("text", labels.reference, x=x + 22, y=y, fill=INK, **{"font-size": 12})
        )
    return parts
