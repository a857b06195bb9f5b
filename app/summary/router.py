"""The summary: the page, the plenary (projector) mode, the report and the data downloads.

Every route exists twice: under the facilitator link /f/<token>/… and under a read-only
share link /s/<token>/… that the facilitator can create and revoke. Only the facilitator
sees live tables and manages share links.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, select

from app.deck import Deck
from app.deps import FormGuard, PagesDep, RowNumber, SessionDep
from app.game.format import Format
from app.game.refusal import Refusal
from app.i18n import N_
from app.models import Workshop, WorkshopTable
from app.summary import chart_html, exports
from app.summary.aggregate import (
    SORT_ORDERS,
    Chart,
    Filter,
    SortOrder,
    chart,
    recommendation_groups,
)
from app.summary.converters import pdf_from_html, png_from_svg
from app.summary.loader import load_workshop
from app.summary.records import WorkshopRecord
from app.summary.report_cache import MemoryReportCache, report_state
from app.summary.shares import create_share, revoke_share, shares_of, workshop_for_share
from app.summary.views import (
    ChartRequest,
    attachment,
    chart_labels,
    chart_svg,
    file_name,
    filter_text,
)
from app.tables.pictures import picture_of, svg_response
from app.tables.service import board_of, interview_of
from app.web import Pages, request_language, translate
from app.workshops.frozen import workshop_deck, workshop_format
from app.workshops.retention import CHOICES as RETENTION_CHOICES
from app.workshops.retention import check_kept, deletion_date
from app.workshops.service import workshop_for_token

router = APIRouter(include_in_schema=False)


def _both(path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a GET route under the facilitator link and under share links."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.get(f"/f/{{token}}{path}", **options)(endpoint)
        router.get(f"/s/{{token}}{path}", **options)(endpoint)
        return endpoint

    return register


@dataclass(frozen=True)
class Viewer:
    workshop: Workshop
    base: str  # "/f/<token>" or "/s/<token>": where this viewer's links start
    facilitator: bool
    token: str


def _viewer(session: Session, request: Request | None, token: str) -> Viewer:
    access = "s" if request is not None and request.url.path.startswith("/s/") else "f"
    if access == "f":
        workshop = workshop_for_token(session, token)
    else:
        workshop = workshop_for_share(session, token)
    if workshop is None:
        raise Refusal("unknown_link", "This link is not valid (any more).", status=404)
    return Viewer(check_kept(workshop), f"/{access}/{token}", access == "f", token)


TablesQ = Annotated[list[str], Query(alias="table")]
RoundQ = Annotated[str, Query(alias="round", max_length=2)]
SortQ = Annotated[str, Query(max_length=20)]
ReferenceQ = Annotated[str, Query(max_length=5)]


@dataclass(frozen=True)
class ChartQuery:
    tables: list[str]
    round_: str
    sort: str
    reference: str


def chart_query(
    tables: TablesQ = [],  # noqa: B006 (FastAPI copies query defaults)
    round_: RoundQ = "",
    sort: SortQ = "category",
    reference: ReferenceQ = "",
) -> ChartQuery:
    return ChartQuery(tables, round_, sort, reference)


ChartQueryDep = Annotated[ChartQuery, Depends(chart_query)]


def _asked(workshop: Workshop, query: ChartQuery, game: Format) -> ChartRequest:
    """The chart options from the query string, checked: a bad one gets a clear 422."""
    tables, round_, sort, reference = query.tables, query.round_, query.sort, query.reference
    numbers: set[int] = set()
    for value in tables:
        # ASCII digits only, and few: "²" is a digit to str.isdigit, but not to int().
        if not re.fullmatch(r"[0-9]{1,3}", value) or not 1 <= int(value) <= workshop.table_count:
            raise Refusal(
                "bad_filter",
                "There is no table %(table)s in this workshop.",
                {"table": value[:10]},
                status=422,
            )
        numbers.add(int(value))
    rounds = game.rounds
    if round_ and not (round_.isdigit() and 1 <= int(round_) <= rounds):
        raise Refusal(
            "bad_filter",
            "There is no round %(round)s in this workshop.",
            {"round": round_[:10]},
            status=422,
        )
    if sort not in SORT_ORDERS:
        raise Refusal("bad_filter", "Unknown sort order.", status=422)
    chosen_sort: SortOrder = sort
    return ChartRequest(
        Filter(frozenset(numbers), int(round_) if round_ else None),
        chosen_sort,
        reference in ("1", "on", "true"),
    )


def _query(asked: ChartRequest) -> str:
    """The chart options as a query string, so downloads show what the page shows."""
    parts = [f"table={n}" for n in sorted(asked.filter.tables)]
    if asked.filter.round:
        parts.append(f"round={asked.filter.round}")
    if asked.sort != "category":
        parts.append(f"sort={asked.sort}")
    if asked.reference:
        parts.append("reference=1")
    return "&".join(parts)


def _summary_context(
    viewer: Viewer, record: WorkshopRecord, deck: Deck, asked: ChartRequest
) -> dict[str, object]:
    result, svg = chart_svg(record, deck, asked)
    # The workshop as a whole (N, top factors, connections): the chart itself when unfiltered.
    everything = result if asked.filter.is_everything else chart(record, deck)
    lang = record.language
    return {
        "viewer": viewer,
        "workshop": viewer.workshop,
        "record": record,
        "deck": deck,
        "chart": result,
        "chart_svg": svg,
        "overall": everything,
        "asked": asked,
        "query": _query(asked),
        "filter_text": filter_text(lang, asked.filter),
        "recommendations": recommendation_groups(
            record, deck, translate(lang, "General (no factor named)")
        ),
        "game": record.game,
        "note_fields": record.game.note_ids,
        "note_labels": _note_labels(record),
        "factor_title": lambda code: deck.factor(code).title,
        "downloads": _downloads(viewer, record),
    }


def _note_labels(record: WorkshopRecord) -> dict[str, str]:
    """The note fields' headings and the zones' names, in the format's words."""
    zones = {
        f"{side.id}-{extent}": words(record.language)
        for side in record.game.board.sides
        for extent, words in side.zones
    }
    return record.note_headings() | zones


def _downloads(viewer: Viewer, record: WorkshopRecord) -> list[tuple[str, str, str]]:
    """(label msgid, address, file name) for each download, in the order the page lists them."""
    items = [
        (N_("Report (PDF)"), "report.pdf", file_name(record, "report", "pdf")),
        (N_("Report (printable web page)"), "report.html", ""),
        (N_("Placements (CSV)"), "placements.csv", file_name(record, "placements", "csv")),
        (N_("Workbook (XLSX)"), "workshop.xlsx", file_name(record, "data", "xlsx")),
        (N_("Everything (JSON)"), "workshop.json", file_name(record, "data", "json")),
        (N_("Chart (SVG)"), "chart.svg?download=1", file_name(record, "chart", "svg")),
        (N_("Chart (PNG)"), "chart.png", file_name(record, "chart", "png")),
    ]
    return [(label, f"{viewer.base}/{path}", name) for label, path, name in items]


# --- pages --------------------------------------------------------------------------


def _page(
    token: str,
    request: Request,
    session: Session,
    query: ChartQuery,
    *,
    pictures: bool,
) -> tuple[Viewer, dict[str, object]]:
    """Who is looking, and what the summary and the plenary show them, as they asked."""
    viewer = _viewer(session, request, token)
    workshop = viewer.workshop
    asked = _asked(workshop, query, workshop_format(session, workshop))
    record = load_workshop(session, workshop, workshop_format(session, workshop), pictures=pictures)
    return viewer, _summary_context(viewer, record, workshop_deck(session, workshop), asked)


def _sharing_and_privacy(session: Session, viewer: Viewer) -> dict[str, object]:
    """The summary's last sections: share links (the facilitator's only) and the deletion date."""
    return {
        "shares": shares_of(session, viewer.workshop) if viewer.facilitator else [],
        "delete_on": deletion_date(viewer.workshop),
        "retention_choices": RETENTION_CHOICES,
    }


@_both("/summary", response_class=HTMLResponse)
def summary_page(
    token: str,
    request: Request,
    session: SessionDep,
    pages: PagesDep,
    query: ChartQueryDep,
    new_share: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    viewer, context = _page(token, request, session, query, pictures=False)
    workshop = viewer.workshop
    context |= _sharing_and_privacy(session, viewer) | {
        "new_share": new_share if viewer.facilitator and new_share else "",
        "base_url": str(request.base_url).rstrip("/"),
    }
    return pages.render(
        request, "summary.html", context, request_language(request, workshop.language)
    )


@_both("/plenary", response_class=HTMLResponse)
def plenary_page(
    token: str,
    request: Request,
    session: SessionDep,
    pages: PagesDep,
    query: ChartQueryDep,
) -> HTMLResponse:
    viewer, context = _page(token, request, session, query, pictures=True)
    language = request_language(request, viewer.workshop.language)
    return pages.render(request, "plenary.html", context, language)


def _report_context(
    viewer: Viewer, session: Session
) -> tuple[WorkshopRecord, Deck, dict[str, object]]:
    """What the report shows (the page, the PDF and report.json): the whole workshop."""
    # The report draws each board from its cards (as text), so it needs no kept pictures.
    record = load_workshop(session, viewer.workshop, workshop_format(session, viewer.workshop))
    deck = workshop_deck(session, viewer.workshop)
    asked = ChartRequest(Filter(), "category", reference=True)
    context = _summary_context(viewer, record, deck, asked)
    # Interviews with something to show: cards on the board or a note written.
    context["interviews"] = [
        i for i in record.interviews if i.cards or any(t.strip() for t in i.notes.values())
    ]
    return record, deck, context


def _report(
    pages: Pages, request: Request, viewer: Viewer, session: Session, pdf: bool
) -> tuple[HTMLResponse, WorkshopRecord]:
    workshop = viewer.workshop
    record, deck, context = _report_context(viewer, session)
    overall = context["overall"]
    assert isinstance(overall, Chart)
    context |= {
        "pdf": pdf,
        "chart_groups": chart_html.bar_groups(overall, reference=True),
        "chart_labels": chart_labels(record, deck, overall),
        "chart_grid": chart_html.grid(),
        "pdf_name": file_name(record, "report", "pdf"),
    }
    # The report speaks the workshop's language: it is handed on as it is.
    return pages.render(request, "report.html", context, workshop.language), record


@_both("/report.html", response_class=HTMLResponse)
def report_page(
    token: str,
    request: Request,
    session: SessionDep,
    pages: PagesDep,
) -> HTMLResponse:
    viewer = _viewer(session, request, token)
    page, _ = _report(pages, request, viewer, session, pdf=False)
    return page


@_both("/report.pdf")
def report_pdf(
    token: str,
    request: Request,
    session: SessionDep,
    pages: PagesDep,
) -> Response:
    viewer = _viewer(session, request, token)
    workshop = viewer.workshop
    # A long workshop's PDF takes a while to typeset: made once per state of the tables (in
    # every process, with Redis), then handed to everyone who asks until a table moves.
    seqs = session.exec(
        select(WorkshopTable.id, WorkshopTable.seq).where(WorkshopTable.workshop_id == workshop.id)
    )

    def make() -> tuple[bytes, str]:
        page, record = _report(pages, request, viewer, session, pdf=True)
        html = bytes(page.body).decode("utf-8")
        return pdf_from_html(html), file_name(record, "report", "pdf")

    cache: MemoryReportCache = request.app.state.pdf_cache
    served = cache.serve(workshop.id, report_state(workshop, seqs), make)
    headers = attachment(served.name) | {"X-Cache": "hit" if served.hit else "miss"}
    return Response(served.content, media_type="application/pdf", headers=headers)


# --- downloads ----------------------------------------------------------------------


@_both("/chart.svg")
def chart_download_svg(
    token: str,
    request: Request,
    session: SessionDep,
    query: ChartQueryDep,
    download: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    viewer = _viewer(session, request, token)
    workshop = viewer.workshop
    asked = _asked(workshop, query, workshop_format(session, workshop))
    record = load_workshop(session, workshop, workshop_format(session, workshop))
    _, svg = chart_svg(record, workshop_deck(session, workshop), asked)
    headers = attachment(file_name(record, "chart", "svg")) if download else {}
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + svg,
        media_type="image/svg+xml",
        headers=headers | {"Cache-Control": "no-store"},
    )


def _download(
    viewer: Viewer,
    request: Request,
    session: Session,
    name: tuple[str, str],
    media_type: str,
    body: Callable[[WorkshopRecord, Deck], str | bytes],
) -> Response:
    """One file of the whole workshop, named after its title and date."""
    record = load_workshop(session, viewer.workshop, workshop_format(session, viewer.workshop))
    content = body(record, workshop_deck(session, viewer.workshop))
    return Response(content, media_type=media_type, headers=attachment(file_name(record, *name)))


@_both("/chart.png")
def chart_download_png(
    token: str, request: Request, session: SessionDep, query: ChartQueryDep
) -> Response:
    viewer = _viewer(session, request, token)
    asked = _asked(viewer.workshop, query, workshop_format(session, viewer.workshop))
    return _download(
        viewer,
        request,
        session,
        ("chart", "png"),
        "image/png",
        lambda record, deck: png_from_svg(chart_svg(record, deck, asked)[1]),
    )


def _value_labels(language: str) -> dict[str, str]:
    """The words beside each code in the downloads, in the workshop's language."""
    return {code: translate(language, text) for code, text in exports.VALUE_LABELS.items()}


@_both("/placements.csv")
def placements_csv(token: str, request: Request, session: SessionDep) -> Response:
    viewer = _viewer(session, request, token)
    labels = _value_labels(viewer.workshop.language)
    return _download(
        viewer,
        request,
        session,
        ("placements", "csv"),
        "text/csv; charset=utf-8",
        lambda record, deck: exports.placements_csv(record, deck, labels),
    )


@_both("/workshop.xlsx")
def workbook(token: str, request: Request, session: SessionDep) -> Response:
    viewer = _viewer(session, request, token)
    lang = viewer.workshop.language
    headers = {
        key: translate(lang, text)
        for key, text in (exports.COLUMN_HEADERS | exports.SHEET_NAMES).items()
    }
    return _download(
        viewer,
        request,
        session,
        ("data", "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda record, deck: exports.workbook_xlsx(record, deck, headers, _value_labels(lang)),
    )


@_both("/workshop.json")
def workshop_json(token: str, request: Request, session: SessionDep) -> Response:
    viewer = _viewer(session, request, token)
    labels = _value_labels(viewer.workshop.language)
    return _download(
        viewer,
        request,
        session,
        ("data", "json"),
        "application/json",
        lambda record, deck: exports.workshop_json(record, deck, labels),
    )


# --- share links (facilitator only) -------------------------------------------------


@router.post("/f/{token}/shares", dependencies=FormGuard)
def share_create(token: str, session: SessionDep) -> RedirectResponse:
    viewer = _viewer(session, None, token)
    made = create_share(session, viewer.workshop)
    if made is None:
        raise Refusal("too_many_shares", "Revoke a share link before making another.", status=409)
    return RedirectResponse(
        f"{viewer.base}/summary?new_share={made.token}#sharing", status_code=303
    )


@router.post("/f/{token}/shares/{share_id}/revoke", dependencies=FormGuard)
def share_revoke(token: str, share_id: RowNumber, session: SessionDep) -> RedirectResponse:
    viewer = _viewer(session, None, token)
    if not revoke_share(session, viewer.workshop, share_id):
        raise Refusal("unknown_share", "This share link does not exist.", status=404)
    return RedirectResponse(f"{viewer.base}/summary#sharing", status_code=303)


# --- one table, live (facilitator only) ---------------------------------------------


def _table(session: Session, workshop: Workshop, number: int) -> WorkshopTable:
    table = session.exec(
        select(WorkshopTable).where(
            WorkshopTable.workshop_id == workshop.id, WorkshopTable.number == number
        )
    ).first()
    if table is None:
        raise Refusal("no_such_table", "There is no such table.", status=404)
    return table


@router.get("/f/{token}/tables/{number}", response_class=HTMLResponse)
def table_view(
    token: str, number: RowNumber, request: Request, session: SessionDep, pages: PagesDep
) -> HTMLResponse:
    viewer = _viewer(session, None, token)
    table = _table(session, viewer.workshop, number)
    return pages.render(
        request,
        "table_view.html",
        {"viewer": viewer, "workshop": viewer.workshop, "table": table},
        request_language(request, viewer.workshop.language),
    )


@router.get("/f/{token}/tables/{number}/board.svg")
def table_board(token: str, number: RowNumber, session: SessionDep) -> Response:
    """The board as it lies now, drawn like the kept pictures (the table view reloads it)."""
    viewer = _viewer(session, None, token)
    workshop = viewer.workshop
    table = _table(session, workshop, number)
    interview = interview_of(session, table)
    board = board_of(session, interview)
    session.rollback()  # looking creates nothing
    game = workshop_format(session, workshop)
    deck = workshop_deck(session, workshop)
    svg = picture_of(board, deck, game, workshop, table, interview.round_number)
    return svg_response(svg)
