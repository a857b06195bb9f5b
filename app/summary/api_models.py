"""The summary's JSON shape: figures, recommendations and interviews as the pages show them.

The JSON twins of the summary, the plenary and the report (app/summary/api.py) answer with
these models, built from the very values the templates get (aggregate's Chart, the record):
nothing is counted or rounded again here, so a percentage is the one the page prints. Kept
apart from the routes so that a view across workshops can give the same shape: `Figures`
names the workshops whose interviews it counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from app.summary.aggregate import (
    EXTENTS,
    SIDES,
    Chart,
    FactorRow,
    RecommendationGroup,
    Share,
    SortOrder,
)
from app.summary.records import CardRecord, InterviewRecord


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- the figures ------------------------------------------------------------------------


class Segment(_Out):
    count: int = Field(description="interviews in which the factor lay here")
    percent: int = Field(
        description="as printed: a side's total rounded half up (12.5% → 13%); its two "
        "segments by largest remainder, so that they add up to the total"
    )


class SideFigures(_Out):
    limited: Segment
    large: Segment
    total: Segment
    named: list[str] = Field(description="for the blank card: the names given it on this side")


class FactorFigures(_Out):
    code: str
    title: str
    category: str = Field(description="the category's code; empty for the blank card")
    stimulating: SideFigures
    hindering: SideFigures
    research_stimulating: int | None = Field(
        description="the research's stimulating share (N=24) in percent, where the deck has it"
    )


class FigureGroup(_Out):
    code: str = Field(description="category or type code; empty for a list sorted by figures")
    title: str
    factors: list[FactorFigures]


class TopFactor(_Out):
    code: str
    title: str
    count: int
    n: int
    percent: int
    named: list[str] = Field(description="for the blank card: the names given it on this side")


class FactorName(_Out):
    code: str
    title: str


class Connection(_Out):
    first: FactorName
    second: FactorName
    boards: int = Field(description="interviews in which both lay on the board (either side)")
    percent: int = Field(description="of N, rounded half up")


class FilterOut(_Out):
    tables: list[int] = Field(description="the tables counted; empty: all tables")
    round: int | None = Field(description="the round counted; null: both rounds")


class Figures(_Out):
    """The research chart's figures as the page shows them (aggregate.py says how it counts)."""

    workshops: list[str] = Field(description="ids of the workshops whose interviews count here")
    n: int = Field(description="interviews with at least one card, within the filter")
    interviews: int = Field(description="all interviews within the filter, empty boards too")
    filter: FilterOut
    sort: SortOrder
    has_reference: bool = Field(description="the deck has the research's figures")
    groups: list[FigureGroup]
    top_stimulating: list[TopFactor] = Field(description="the factors most often stimulating")
    top_hindering: list[TopFactor]
    connections: list[Connection] = Field(
        description="the pairs of factors that lay on one board most often"
    )


def _segment(share: Share, percent: int) -> Segment:
    return Segment(count=share.count, percent=percent)


def _side(row: FactorRow, side: str) -> SideFigures:
    total = row.stimulating if side == "stimulating" else row.hindering
    limited, large = (_segment(row.share(side, e), row.segment(side, e)) for e in EXTENTS)
    return SideFigures(
        limited=limited,
        large=large,
        total=_segment(total, total.percent),
        named=list(row.named_on(side)),
    )


def factor_figures(row: FactorRow) -> FactorFigures:
    stimulating, hindering = (_side(row, side) for side in SIDES)
    return FactorFigures(
        code=row.code,
        title=row.title,
        category=row.category,
        stimulating=stimulating,
        hindering=hindering,
        research_stimulating=row.reference,
    )


def _top(result: Chart, side: str) -> list[TopFactor]:
    tops = []
    for row in result.top(side):
        share = row.stimulating if side == "stimulating" else row.hindering
        tops.append(
            TopFactor(
                code=row.code,
                title=row.title,
                count=share.count,
                n=share.n,
                percent=share.percent,
                named=list(row.named_on(side)),
            )
        )
    return tops


def figures(result: Chart, workshops: Sequence[str]) -> Figures:
    """A chart's figures; `workshops`: the ids of the workshops its interviews come from."""
    return Figures(
        workshops=list(workshops),
        n=result.n,
        interviews=result.interviews,
        filter=FilterOut(tables=sorted(result.filter.tables), round=result.filter.round),
        sort=result.sort,
        has_reference=result.has_reference,
        groups=[
            FigureGroup(
                code=group.code,
                title=group.title,
                factors=[factor_figures(row) for row in group.rows],
            )
            for group in result.groups
        ],
        top_stimulating=_top(result, "stimulating"),
        top_hindering=_top(result, "hindering"),
        connections=[
            Connection(
                first=FactorName(code=pair.first.code, title=pair.first.title),
                second=FactorName(code=pair.second.code, title=pair.second.title),
                boards=pair.together.count,
                percent=pair.together.percent,
            )
            for pair in result.pairs
        ],
    )


# --- recommendations --------------------------------------------------------------------


class RecommendationOut(_Out):
    text: str
    table: int
    round: int
    also: list[str] = Field(description="the other categories it names (it is listed once)")


class RecommendationGroupOut(_Out):
    code: str = Field(description="the category's code; empty for those naming none")
    title: str
    items: list[RecommendationOut]


def recommendations(groups: Sequence[RecommendationGroup]) -> list[RecommendationGroupOut]:
    return [
        RecommendationGroupOut(
            code=group.code,
            title=group.title,
            items=[
                RecommendationOut(text=i.text, table=i.table, round=i.round, also=list(i.also))
                for i in group.items
            ],
        )
        for group in groups
    ]


# --- interviews: the boards and what was written about them ------------------------------


class CardOut(_Out):
    card: str = Field(description="the card: factor code and copy, e.g. A1-2")
    factor: str
    name: str = Field(
        description="as the page names it: the factor's title, or the blank "
        "card's title and the name given it"
    )
    side: str = Field(description="stimulating | hindering")
    extent: str = Field(description="limited | large")
    position: int = Field(description="order within its zone, 0-based")
    explanation: str
    custom_name: str


class NoteOut(_Out):
    field: str = Field(
        description="development | stands_out | recommendations | connections | reflection"
    )
    label: str = Field(description="what the page calls it, in the workshop's language")
    text: str


class InterviewOut(_Out):
    table: int
    round: int
    ended_at: dt.datetime | None = Field(description="when the whistle blew; null: still playing")
    cards: list[CardOut] = Field(description="in the board's zones, ++ + − −−, then position")
    notes: list[NoteOut] = Field(description="the record's fields that have text, in order")
    picture_svg: str | None = Field(
        None, description="the board's picture (the plenary shows it): kept, or as it lies now"
    )


# The zones as the pages list a board: strongly stimulating first, strongly hindering last.
ZONES = (
    ("stimulating", "large"),
    ("stimulating", "limited"),
    ("hindering", "limited"),
    ("hindering", "large"),
)


def _card(card: CardRecord, factor_title: Callable[[str], str]) -> CardOut:
    title = factor_title(card.factor)
    named = card.factor == "X" and card.custom_name
    return CardOut(
        card=card.card,
        factor=card.factor,
        name=f"{title} {card.custom_name}" if named else title,
        side=card.side,
        extent=card.extent,
        position=card.position,
        explanation=card.explanation,
        custom_name=card.custom_name,
    )


def interview(
    record: InterviewRecord,
    factor_title: Callable[[str], str],
    note_labels: Mapping[str, str],
    note_fields: Sequence[str],  # the workshop's format's, in its order
    *,
    picture: bool = False,
) -> InterviewOut:
    order = {zone: i for i, zone in enumerate(ZONES)}
    cards = sorted(record.cards, key=lambda c: (order.get((c.side, c.extent), 4), c.position))
    return InterviewOut(
        table=record.table,
        round=record.round,
        ended_at=record.ended_at,
        cards=[_card(card, factor_title) for card in cards],
        notes=[
            NoteOut(field=f, label=note_labels[f], text=record.note(f))
            for f in note_fields
            if record.note(f).strip()
        ],
        picture_svg=record.picture_svg if picture else None,
    )


# --- the pages' twins -------------------------------------------------------------------


class WorkshopMeta(_Out):
    id: str
    title: str
    date: dt.date
    organisation: str | None
    tables: int
    language: str
    deck: str = Field(description="the deck's id")
    deck_title: str


class Download(_Out):
    label: str = Field(description="as the page says it, in the workshop's language")
    url: str = Field(description="a path on this server, under the same link")
    file_name: str = Field(description="the name it downloads as; empty for a web page")


class ShareLinkOut(_Out):
    id: int
    created_at: dt.datetime


class NewShareLink(ShareLinkOut):
    token: str = Field(description="shown once: only its hash is stored")
    url: str = Field(description="the read-only summary this link opens")
    summary_json_url: str


class Privacy(_Out):
    retention_days: int = Field(description="days after the workshop's date it is kept")
    delete_on: dt.date = Field(description="from this day on nothing is served; then deleted")
    choices: list[int] | None = Field(
        description="the periods the page offers (the facilitator's only; the API takes 1–365)"
    )


class SummaryPage(_Out):
    """/summary as JSON: the chart as asked, the lists, recommendations, downloads, privacy."""

    workshop: WorkshopMeta
    read_only: bool = Field(description="opened with a share link")
    interviews_with_cards: int = Field(description="N of the whole workshop, unfiltered")
    filter_text: str
    query: str = Field(description="the chart options as a query string")
    chart_svg_url: str
    figures: Figures = Field(description="the chart as asked, its top factors and connections")
    recommendations: list[RecommendationGroupOut]
    downloads: list[Download]
    shares: list[ShareLinkOut] | None = Field(
        description="the share links (the facilitator's only; null with a share link)"
    )
    privacy: Privacy


class PlenaryPage(_Out):
    """/plenary as JSON: the chart as asked, a slide per interview with cards, then all
    recommendations and the connections (in `figures`)."""

    workshop: WorkshopMeta
    filter_text: str
    figures: Figures
    slides: list[InterviewOut] = Field(description="the interviews with at least one card")
    recommendations: list[RecommendationGroupOut]


class DeckOut(_Out):
    id: str
    title: str
    credit: str = Field(description="whose cards these are; empty when the deck names nobody")


class ReportPage(_Out):
    """/report.html (and the PDF) as JSON: the whole workshop, every interview with something
    to show (cards or a note), and the research's figures beside the chart."""

    workshop: WorkshopMeta
    deck: DeckOut
    figures: Figures
    recommendations: list[RecommendationGroupOut]
    interviews: list[InterviewOut]
    pdf_file_name: str
