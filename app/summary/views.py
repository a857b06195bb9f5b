"""From a workshop's record to what people see: translated labels, the chart, file names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.deck import Deck
from app.summary.aggregate import Chart, FactorRow, Filter, SortOrder, chart
from app.summary.chart_svg import ChartLabels, render_chart_svg
from app.summary.records import WorkshopRecord
from app.web import translate


@dataclass(frozen=True)
class ChartRequest:
    """The chart as someone asked for it on the page (or in a download's address)."""

    filter: Filter
    sort: SortOrder
    reference: bool


def filter_text(language: str, selection: Filter) -> str:
    def _(message: str, **params: object) -> str:
        return translate(language, message, params or None)

    tables = (
        _("Tables %(list)s", list=", ".join(str(n) for n in sorted(selection.tables)))
        if selection.tables
        else _("All tables")
    )
    rounds = _("round %(n)s", n=selection.round) if selection.round else _("every round")
    return f"{tables} · {rounds}"


def chart_labels(workshop: WorkshopRecord, deck: Deck, result: Chart) -> ChartLabels:
    lang = workshop.language

    def _(message: str, **params: object) -> str:
        return translate(lang, message, params or None)

    subtitle = " · ".join(
        part
        for part in (
            workshop.title,
            workshop.date.strftime("%d-%m-%Y"),
            filter_text(lang, result.filter),
            _("N = interviews with at least one card"),
        )
        if part
    )
    return ChartLabels(
        title=f"{deck.title} (N={result.n})",
        subtitle=subtitle,
        stimulating=_("Stimulating"),
        hindering=_("Hindering"),
        limited=_("to a limited extent"),
        large=_("to a large extent"),
        reference=_("Research (N=24): stimulating"),
        empty=_("No cards have been placed yet."),
    )


def bar_title(language: str, row: FactorRow) -> str:
    """Every figure of one bar in words: the chart's text alternative, row by row."""
    text = translate(
        language,
        "%(factor)s: stimulating %(stim)s%% (limited %(sl)s%%, large %(sg)s%%), "
        "hindering %(hind)s%% (limited %(hl)s%%, large %(hg)s%%)",
        {
            "factor": row.title,
            "stim": row.stimulating.percent,
            "sl": row.segment("stimulating", "limited"),
            "sg": row.segment("stimulating", "large"),
            "hind": row.hindering.percent,
            "hl": row.segment("hindering", "limited"),
            "hg": row.segment("hindering", "large"),
        },
    )
    for side, word in (("stimulating", "Stimulating"), ("hindering", "Hindering")):
        if names := row.named_on(side):
            text += f"; {translate(language, word)}: {', '.join(names)}"
    if row.reference is not None:
        text += "; " + translate(language, "research %(n)s%%", {"n": row.reference})
    return text


def chart_svg(workshop: WorkshopRecord, deck: Deck, asked: ChartRequest) -> tuple[Chart, str]:
    result = chart(workshop, deck, asked.filter, asked.sort)
    titles = {row.code: bar_title(workshop.language, row) for row in result.rows}
    svg = render_chart_svg(
        result, chart_labels(workshop, deck, result), reference=asked.reference, bar_titles=titles
    )
    return result, svg


def file_name(workshop: WorkshopRecord, stem: str, extension: str) -> str:
    """kaartspel-<title>-<date>-<stem>.<ext>, in plain ASCII so every system keeps it."""
    ascii_title = unicodedata.normalize("NFKD", workshop.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    parts = ["kaartspel", slug, workshop.date.isoformat(), stem]
    return "-".join(part for part in parts if part) + f".{extension}"


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
