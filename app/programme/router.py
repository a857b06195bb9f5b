"""The programme view: one chart over several workshops, from the links people were given.

How the links travel (README "Programme view", docs/security.md): never in a query string, which
ends up in server and proxy logs. The page /programme has a form whose links are POSTed;
every filter and download is a POST of the same hidden field. The address to keep or pass on
is /programme#links=s/<token>,… : a fragment, which the browser never sends to the server;
app/static/js/programme.js posts it on opening. Nothing is stored: no new table, and a
revoked share link drops its workshop the next time the programme is opened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.deck import Deck
from app.deps import FormGuard, PagesDep, SessionDep
from app.game.refusal import Refusal
from app.i18n import gettext_for
from app.programme.combine import (
    Combined,
    Source,
    combine,
    pooled,
    programme_chart,
    workshop_chart,
)
from app.programme.links import (
    MAX_LINKS,
    MAX_TEXT,
    Opened,
    Pasted,
    fragment,
    open_links,
    parse_links,
)
from app.summary import chart_html, exports
from app.summary.aggregate import SORT_ORDERS, Chart, SortOrder
from app.summary.chart_svg import render_chart_svg
from app.summary.converters import pdf_from_html
from app.summary.loader import load_workshop
from app.summary.records import WorkshopRecord
from app.summary.views import attachment, bar_title, chart_labels, file_name
from app.web import Pages, request_language, translate
from app.workshops.frozen import workshop_deck, workshop_format

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asked:
    """What the programme's form sent: the links, and the chart as it should be shown."""

    links: str
    workshops: list[str]  # 1-based places in the list of working links; none = all
    round_: str
    sort: str
    reference: str


def asked(
    links: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    workshops: Annotated[list[str], Form(alias="workshop")] = [],  # noqa: B006
    round_: Annotated[str, Form(alias="round", max_length=2)] = "",
    sort: Annotated[str, Form(max_length=20)] = "category",
    reference: Annotated[str, Form(max_length=5)] = "",
) -> Asked:
    return Asked(links, workshops, round_, sort, reference)


AskedDep = Annotated[Asked, Depends(asked)]


@dataclass(frozen=True)
class Programme:
    opened: Opened
    sources: tuple[Source, ...]  # every workshop the links open, in their order
    places: frozenset[int]  # the ticked workshops (1-based); empty = all
    combined: Combined  # the ticked ones, on the factors their decks share
    round_: int | None
    sort: SortOrder
    reference: bool
    language: str

    @property
    def chosen(self) -> tuple[Source, ...]:
        return self.combined.sources


def _programme(
    session: Session, form: Asked, request: Request
) -> tuple[Pasted, Opened, Programme | None]:
    """The workshops the links open, checked, and the choices of the form, checked."""
    pasted = parse_links(form.links)
    if len(pasted.links) > MAX_LINKS:
        raise Refusal(
            "too_many_links",
            "A programme holds at most %(max)s links.",
            {"max": MAX_LINKS},
            status=422,
        )
    opened = open_links(session, pasted.links)
    language = request_language(
        request, opened.workshops[0][1].language if opened.workshops else None
    )
    if not opened.workshops:
        return pasted, opened, None
    # Each workshop's own frozen deck, in the view's language where it has that language.
    sources = tuple(
        Source(
            load_workshop(session, workshop, workshop_format(session, workshop)),
            workshop_deck(session, workshop, language),
            f"{link.base}/summary",
        )
        for link, workshop in opened.workshops
    )
    places: set[int] = set()
    for value in form.workshops:
        if not value.isdigit() or not 1 <= int(value) <= len(sources):
            raise Refusal("bad_filter", "There is no such workshop in this programme.", status=422)
        places.add(int(value))
    # A round is a step of the workshops' formats: as many as the longest has.
    rounds = max(s.record.game.rounds for s in sources)
    if form.round_ and not (form.round_.isdigit() and 1 <= int(form.round_) <= rounds):
        raise Refusal(
            "bad_filter",
            "There is no round %(round)s in these workshops.",
            {"round": form.round_[:10]},
            status=422,
        )
    if form.sort not in SORT_ORDERS:
        raise Refusal("bad_filter", "Unknown sort order.", status=422)
    sort: SortOrder = form.sort
    chosen = [s for i, s in enumerate(sources, start=1) if not places or i in places]
    return (
        pasted,
        opened,
        Programme(
            opened,
            sources,
            frozenset(places),
            combine(chosen, language),
            int(form.round_) if form.round_ else None,
            sort,
            form.reference in ("1", "on", "true"),
            language,
        ),
    )


# --- what the charts say -------------------------------------------------------------


def _n_workshops(language: str, count: int) -> str:
    return gettext_for(language).ngettext("%(num)d workshop", "%(num)d workshops", count) % {
        "num": count
    }


def _filter_text(programme: Programme) -> str:
    lang = programme.language
    workshops = (
        translate(lang, "All workshops")
        if len(programme.chosen) == len(programme.sources)
        else translate(
            lang,
            "%(chosen)s of %(all)s workshops",
            {"chosen": len(programme.chosen), "all": len(programme.sources)},
        )
    )
    rounds = (
        translate(lang, "round %(n)s", {"n": programme.round_})
        if programme.round_
        else translate(lang, "every round")
    )
    return f"{workshops} · {rounds}"


def _svg(
    record: WorkshopRecord, deck: Deck, result: Chart, language: str, reference: bool, sub: str
) -> str:
    """The summary's SVG chart, its words in the view's language, with our own subtitle."""
    labels = chart_labels(replace(record, language=language), deck, result)
    if sub:
        labels = replace(labels, subtitle=sub)
    titles = {row.code: bar_title(language, row) for row in result.rows}
    return render_chart_svg(result, labels, reference=reference, bar_titles=titles)


def _title(programme: Programme) -> str:
    return (
        translate(programme.language, "Programme")
        + ": "
        + _n_workshops(programme.language, len(programme.chosen))
    )


def _charts(programme: Programme) -> tuple[Chart, list[tuple[Source, Chart]]]:
    title = _title(programme)
    every = programme_chart(
        programme.combined, programme.chosen, title, programme.round_, programme.sort
    )
    each = [
        (s, workshop_chart(programme.combined, s, programme.round_, programme.sort))
        for s in programme.chosen
    ]
    return every, each


def _view_context(programme: Programme, request: Request) -> dict[str, object]:
    lang = programme.language
    every, each = _charts(programme)
    title = _title(programme)
    n_text = translate(lang, "N = interviews with at least one card")
    record = pooled(programme.chosen, title)
    deck = programme.combined.deck
    filter_text = _filter_text(programme)
    return {
        "programme": programme,
        # The rounds to filter by: the steps of the longest format among the workshops.
        "game": max((s.record.game for s in programme.sources), key=lambda game: game.rounds),
        "deck": deck,
        "chart": every,
        "filter_text": filter_text,
        "chart_svg": _svg(
            record, deck, every, lang, programme.reference, f"{title} · {filter_text} · {n_text}"
        ),
        "workshop_charts": [
            (
                source,
                result,
                _svg(
                    source.record,
                    deck,
                    result,
                    lang,
                    programme.reference,
                    "",
                ),
            )
            for source, result in each
        ],
        "fragment": fragment([link for link, _ in programme.opened.workshops]),
        "base_url": str(request.base_url).rstrip("/"),
        # The working links: one per line in the form, on one line in the hidden fields.
        "links_text": "\n".join(f"{link.base}/summary" for link, _ in programme.opened.workshops),
        "links_line": " ".join(link.base for link, _ in programme.opened.workshops),
    }


# --- pages ----------------------------------------------------------------------------


def _form_page(
    pages: Pages,
    request: Request,
    language: str,
    links_text: str = "",
    pasted: Pasted | None = None,
    opened: Opened | None = None,
) -> HTMLResponse:
    context = {"programme": None, "links_text": links_text, "pasted": pasted, "opened": opened}
    return pages.render(request, "programme.html", context, language)


@router.get("/programme", response_class=HTMLResponse)
def programme_start(request: Request, pages: PagesDep) -> HTMLResponse:
    """The form to paste the links in (programme.js fills and sends it from the fragment)."""
    return _form_page(pages, request, request_language(request))


@router.post("/programme", response_class=HTMLResponse, dependencies=FormGuard)
def programme_view(
    request: Request, session: SessionDep, pages: PagesDep, form: AskedDep
) -> HTMLResponse:
    pasted, opened, programme = _programme(session, form, request)
    if programme is None:  # no link works (any more): the form again, saying so
        language = request_language(request)
        return _form_page(pages, request, language, form.links, pasted, opened)
    context = _view_context(programme, request) | {"pasted": pasted}
    return pages.render(request, "programme.html", context, programme.language)


# --- downloads (the same files as a workshop's, with a workshop column) ---------------


def _opened(session: Session, form: Asked, request: Request) -> Programme:
    _, _, programme = _programme(session, form, request)
    if programme is None:
        raise Refusal(
            "unknown_link", "None of these links opens a workshop (any more).", status=404
        )
    # As a summary's downloads cover the whole workshop: the ticked workshops, both rounds.
    return replace(programme, round_=None)


def _file(programme: Programme, stem: str, extension: str) -> str:
    chosen = programme.chosen
    return file_name(pooled(chosen, "programme"), stem, extension)


def _parts(programme: Programme) -> list[exports.Part]:
    return [(s.record, s.deck) for s in programme.chosen]


def _labels(language: str) -> dict[str, str]:
    return {code: translate(language, text) for code, text in exports.VALUE_LABELS.items()}


@router.post("/programme/placements.csv", dependencies=FormGuard)
def programme_csv(request: Request, session: SessionDep, form: AskedDep) -> Response:
    programme = _opened(session, form, request)
    content = exports.programme_csv(_parts(programme), _labels(programme.language))
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers=attachment(_file(programme, "placements", "csv")),
    )


@router.post("/programme/programme.xlsx", dependencies=FormGuard)
def programme_xlsx(request: Request, session: SessionDep, form: AskedDep) -> Response:
    programme = _opened(session, form, request)
    lang = programme.language
    every, each = _charts(programme)
    deck = programme.combined.deck
    headers = {
        key: translate(lang, text)
        for key, text in (
            exports.COLUMN_HEADERS | exports.SHEET_NAMES | exports.PROGRAMME_HEADERS
        ).items()
    }
    about = [
        ("workshops", "\n".join(_workshop_line(s) for s in programme.chosen)),
        ("tables", sum(s.record.table_count for s in programme.chosen)),
        ("interviews", every.interviews),
        ("n", every.n),
        ("shared_factors", ", ".join(f"{f.code} {f.title}" for f in deck.factors())),
        *(
            [("left_out", "\n".join(_left_out_lines(programme)))]
            if programme.combined.decks_differ
            else []
        ),
    ]
    figures = [(None, every, deck), *((s.record, result, deck) for s, result in each)]
    content = exports.programme_xlsx(_parts(programme), figures, about, headers, _labels(lang))
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment(_file(programme, "data", "xlsx")),
    )


def _workshop_line(source: Source) -> str:
    record = source.record
    parts = [record.title, record.date.strftime("%d-%m-%Y"), record.organisation or ""]
    return " · ".join(part for part in parts if part)


def _left_out_lines(programme: Programme) -> list[str]:
    return [
        f"{lost.source.record.title}: " + ", ".join(f"{f.code} {f.title}" for f in lost.factors)
        for lost in programme.combined.left_out
    ]


@router.post("/programme/programme.json", dependencies=FormGuard)
def programme_json(request: Request, session: SessionDep, form: AskedDep) -> Response:
    programme = _opened(session, form, request)
    every, each = _charts(programme)
    left_out = {
        lost.source.record.id: [f.code for f in lost.factors]
        for lost in programme.combined.left_out
    }
    content = exports.programme_json(
        _parts(programme),
        every,
        [result for _, result in each],
        left_out,
        _labels(programme.language),
    )
    return Response(
        content,
        media_type="application/json",
        headers=attachment(_file(programme, "data", "json")),
    )


@router.post("/programme/report.pdf", dependencies=FormGuard)
def programme_pdf(
    request: Request, session: SessionDep, pages: PagesDep, form: AskedDep
) -> Response:
    """The programme's report: its charts as the workshop report draws them (text as text)."""
    programme = _opened(session, form, request)
    lang = programme.language
    every, each = _charts(programme)
    deck = programme.combined.deck
    record = replace(pooled(programme.chosen, _title(programme)), language=lang)
    filter_text = _filter_text(programme)
    # The research layer always shows in the report, as in the workshop's own report.
    context = {
        "programme": programme,
        "deck": deck,
        "chart": every,
        "filter_text": filter_text,
        "chart_groups": chart_html.bar_groups(every, reference=True),
        "chart_labels": replace(
            chart_labels(record, deck, every), subtitle=f"{_title(programme)} · {filter_text}"
        ),
        "chart_grid": chart_html.grid(),
        "workshop_groups": [
            (
                source,
                result,
                chart_html.bar_groups(result, reference=True),
                chart_labels(replace(source.record, language=lang), deck, result),
            )
            for source, result in each
        ],
    }
    page = pages.render(request, "programme_report.html", context, programme.language)
    content = pdf_from_html(bytes(page.body).decode("utf-8"))
    return Response(
        content,
        media_type="application/pdf",
        headers=attachment(_file(programme, "report", "pdf")),
    )
