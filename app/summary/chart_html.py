"""The aggregate chart as HTML boxes, for the report: the same bars as chart_svg, text as text.

Pure: an app.summary.aggregate.Chart in, the place of every box (in percent of the chart's
width) out; templates/_report_chart.html draws them. The report (its printable page and
its PDF) uses this rather than the SVG because the PDF's text layer must read as the page
does and WeasyPrint lays out HTML text far faster than it draws SVG text; a factor name
that wraps makes its row taller instead of running under a figure.

Each row has fixed columns, so no figure can land on a name at any name length:
  name | stimulating total | ← stimulating bars | hindering bars → | hindering total
Segments print FactorRow.segment (they add up to the total beside them) where they are wide
enough to hold it; a side never chosen prints "0%" in its total column.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.summary.aggregate import EXTENTS, SIDES, Chart, FactorRow

# Columns, in percent of the chart's width (report.css places the boxes the same way).
LABEL_END = 23.0  # the factor's name: 0-23%
MIDDLE = 62.0  # the stimulating total at 23-29%, its bars at 29.5-62%
BAR_AREA = 32.5  # 100% on either side; the hindering total at 95-100%
# The chart's width on an A4 page (210 mm less report.css's margins and padding), and the
# widths of the label glyphs in DejaVu Sans Bold (em): a segment holds its figure ("++42")
# only when the figure fits inside it.
CHART_MM = 176.0
LABEL_PT = 6.5
_EM = {"+": 0.838, "\u2212": 0.838}
_DIGIT_EM = 0.696

SIGN = {
    ("stimulating", "limited"): "+",
    ("stimulating", "large"): "++",
    ("hindering", "limited"): "\u2212",
    ("hindering", "large"): "\u2212\u2212",
}


@dataclass(frozen=True)
class Segment:
    side: str
    extent: str
    left: float  # percent of the chart's width
    width: float
    label: str  # "" when the segment is too narrow to hold its figure


@dataclass(frozen=True)
class BarRow:
    row: FactorRow
    segments: tuple[Segment, ...]
    stimulating: str  # the totals as printed, "54%"
    hindering: str
    reference: float | None  # where the research's marker points, percent of the width
    named: tuple[tuple[str, tuple[str, ...]], ...]  # (side, names) for the blank card


@dataclass(frozen=True)
class BarGroup:
    title: str
    rows: tuple[BarRow, ...]


def _x(fraction: float, side: str) -> float:
    return MIDDLE - fraction * BAR_AREA if side == "stimulating" else MIDDLE + fraction * BAR_AREA


def fits(label: str, width: float) -> bool:
    """Whether ``label`` fits in a segment ``width`` percent of the chart wide, with a margin."""
    ems = sum(_EM.get(char, _DIGIT_EM) for char in label)
    needed = ems * LABEL_PT * 25.4 / 72 + 0.8  # mm
    return width / 100 * CHART_MM >= needed


def bar_row(row: FactorRow, reference: bool, *, zeros: bool = True) -> BarRow:
    segments = []
    for side in SIDES:
        start = 0.0
        for extent in EXTENTS:
            share = row.share(side, extent)
            if not share.count:
                continue
            x0, x1 = _x(start, side), _x(start + share.fraction, side)
            left, width = min(x0, x1), abs(x1 - x0)
            label = f"{SIGN[(side, extent)]}{row.segment(side, extent)}"
            if not fits(label, width):
                label = ""
            segments.append(Segment(side, extent, round(left, 2), round(width, 2), label))
            start += share.fraction
    marker = None
    if reference and row.reference is not None:
        marker = round(_x(row.reference / 100, "stimulating"), 2)
    named = tuple((side, names) for side in SIDES if (names := row.named_on(side)))
    return BarRow(
        row=row,
        segments=tuple(segments),
        # With no interview yet there are no figures to print, not even 0%.
        stimulating=f"{row.stimulating.percent}%" if row.stimulating.count or zeros else "",
        hindering=f"{row.hindering.percent}%" if row.hindering.count or zeros else "",
        reference=marker,
        named=named,
    )


def bar_groups(chart: Chart, *, reference: bool) -> tuple[BarGroup, ...]:
    show = reference and chart.has_reference
    return tuple(
        BarGroup(group.title, tuple(bar_row(row, show, zeros=chart.n > 0) for row in group.rows))
        for group in chart.groups
    )


def grid() -> tuple[tuple[float, str], ...]:
    """The scale's lines, (position, label): 0% in the middle, 25% steps either way."""
    steps = (1.0, 0.75, 0.5, 0.25)
    left = [(round(_x(s, "stimulating"), 2), f"{int(s * 100)}%") for s in steps]
    right = [(round(_x(s, "hindering"), 2), f"{int(s * 100)}%") for s in reversed(steps)]
    return (*left, (MIDDLE, "0%"), *right)
