"""The workshop's data as downloads: a tidy CSV, an Excel workbook and a complete JSON file.

Pure: a WorkshopRecord and its deck in, text or bytes out; the web layer names and serves
them. Every figure comes from app.summary.aggregate, so the downloads agree with the chart.
A programme (app.programme: several workshops as one) gets the same files from the same
code, with ``workshop_column`` set: every sheet and interview then says whose it is.

Respondents type the explanations and notes, and spreadsheets run what looks like a formula.
In the CSV every text cell is quoted, and an apostrophe goes before = + - @ tab or CR
wherever a spreadsheet could begin a cell: at the text's start and after a , ; tab or line
break inside it (OWASP, "CSV injection"; see _CELL_START); in the workbook every text is a
string cell, never a formula. Nothing here identifies a person: seats, display names and
device hashes never reach a WorkshopRecord.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.deck import Deck
from app.i18n import N_
from app.summary.aggregate import EXTENTS, SIDES, Chart, FactorRow, chart
from app.summary.records import CardRecord, InterviewRecord, WorkshopRecord
from app.summary.svg import NOT_XML

__all__ = [
    "COLUMN_HEADERS",
    "COLUMN_KEYS",
    "DEFINITIONS",
    "FORMAT",
    "PLACEMENT_COLUMNS",
    "SHEET_KEYS",
    "SHEET_NAMES",
    "VALUE_LABELS",
    "VERSION",
    "PROGRAMME_FORMAT",
    "PROGRAMME_HEADERS",
    "Part",
    "placements_csv",
    "programme_csv",
    "programme_json",
    "programme_xlsx",
    "workbook_xlsx",
    "workshop_json",
]

FORMAT = "kaartspel-workshop"
PROGRAMME_FORMAT = "kaartspel-programme"  # several workshops; VERSION counts for both
VERSION = 1  # raise when a key changes meaning or goes away; adding keys keeps it

PLACEMENT_COLUMNS = (
    "workshop_id",
    "workshop",
    "date",
    "table",
    "round",
    "factor_code",
    "factor_title",
    "category_code",
    "category_title",
    "side",
    "side_label",
    "extent",
    "extent_label",
    "order",
    "card",
    "custom_name",
    "explanation",
)
# Then one column per note field of the workshop's format (_workbook).
INTERVIEW_COLUMNS = (
    "table",
    "round",
    "cards",
    "stimulating_cards",
    "hindering_cards",
    "ended_at",
)
NOTE_COLUMNS = ("table", "round", "field", "text")
# The chart's four segments, then each side's total (the segments add up to it, as in the chart).
_SEGMENTS = (*((s, e) for s in SIDES for e in EXTENTS), *((s, "total") for s in SIDES))
FACTOR_COLUMNS = (
    "code",
    "title",
    "category",
    *(f"{s}_{e}{suffix}" for s, e in _SEGMENTS for suffix in ("", "_percent")),
    "research_stimulating",
)
# The About sheet's explanations, used when ``headers`` has no translation of them:
# a key alone would explain nothing.
DEFINITIONS = {
    "n_definition": N_(
        "N is the number of interviews with at least one card on the board. A factor's share "
        "is the share of those interviews in which it lay on that side; each interview counts "
        "once per factor and side, at the larger extent."
    ),
    "rounding": N_(
        "Percentages are rounded half up to whole numbers (12.5% becomes 13%). The two "
        "segments of a side (limited, large) are rounded so that they add up to its total "
        "(largest remainder)."
    ),
}
# Every key the caller translates for ``headers``, with its English text (the msgid).
COLUMN_HEADERS: dict[str, str] = {
    "workshop_id": N_("Workshop ID"),
    "workshop": N_("Workshop"),
    "date": N_("Date"),
    "table": N_("Table"),
    "round": N_("Round"),
    "factor_code": N_("Factor code"),
    "factor_title": N_("Factor"),
    "category_code": N_("Category code"),
    "category_title": N_("Category"),
    "side": N_("Side code"),
    "side_label": N_("Side"),
    "extent": N_("Extent code"),
    "extent_label": N_("Extent"),
    "order": N_("Order"),
    "card": N_("Card"),
    "custom_name": N_("Custom name"),
    "explanation": N_("Explanation"),
    "cards": N_("Cards"),
    "stimulating_cards": N_("Stimulating cards"),
    "hindering_cards": N_("Hindering cards"),
    "ended_at": N_("Ended (UTC)"),
    # The note fields' headings are the format's own words (WorkshopRecord.note_headings).
    "field": N_("Field"),
    "text": N_("Text"),
    "code": N_("Code"),
    "title": N_("Title"),
    "category": N_("Category"),
    "stimulating_limited": N_("Stimulating, limited"),
    "stimulating_limited_percent": N_("Stimulating, limited (%)"),
    "stimulating_large": N_("Stimulating, large"),
    "stimulating_large_percent": N_("Stimulating, large (%)"),
    "hindering_limited": N_("Hindering, limited"),
    "hindering_limited_percent": N_("Hindering, limited (%)"),
    "hindering_large": N_("Hindering, large"),
    "hindering_large_percent": N_("Hindering, large (%)"),
    "stimulating_total": N_("Stimulating, total"),
    "stimulating_total_percent": N_("Stimulating, total (%)"),
    "hindering_total": N_("Hindering, total"),
    "hindering_total_percent": N_("Hindering, total (%)"),
    "research_stimulating": N_("Research (N=24): stimulating (%)"),
    "organisation": N_("Organisation"),
    "tables": N_("Tables"),
    "interviews": N_("Interviews"),
    "n": N_("N (interviews with cards)"),
    **DEFINITIONS,
}
SHEET_NAMES: dict[str, str] = {
    "placements": N_("Placements"),
    "interviews": N_("Interviews"),
    "notes": N_("Notes"),
    "factors": N_("Factors"),
    "about": N_("About"),
}
# A coded value's words, for the *_label column beside its code (side and extent codes
# differ, so one mapping holds both); the caller translates them, as it does ``headers``.
VALUE_LABELS: dict[str, str] = {
    "stimulating": N_("Stimulating"),
    "hindering": N_("Hindering"),
    "limited": N_("To a limited extent"),
    "large": N_("To a large extent"),
}
# The programme's own keys (its About sheet, the factor sheet's "all workshops" rows),
# translated by the caller as COLUMN_HEADERS are.
PROGRAMME_HEADERS: dict[str, str] = {
    "workshops": N_("Workshops"),
    "all_workshops": N_("All workshops"),
    "shared_factors": N_("Factors combined"),
    "left_out": N_("Left out (not in every deck)"),
}
_WORKSHOP_COLUMNS = ("workshop_id", "workshop")
COLUMN_KEYS = tuple(COLUMN_HEADERS)
SHEET_KEYS = tuple(SHEET_NAMES)
_PERCENT_COLUMNS = frozenset(k for k in FACTOR_COLUMNS if k.endswith("_percent")) | {
    "research_stimulating"
}

# OWASP's list: a spreadsheet reads a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold at all; openpyxl refuses most of them, so they go.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SIDE_ORDER = {side: i for i, side in enumerate(SIDES)}
_EXTENT_ORDER = {extent: i for i, extent in enumerate(EXTENTS)}
_MIN_WIDTH, _MAX_WIDTH = 6, 60


# --- shared rows --------------------------------------------------------------------------

Part = tuple[WorkshopRecord, Deck]  # one workshop and the deck it was played with


def _whose(workshop: WorkshopRecord, workshop_column: bool) -> list[Any]:
    """The workshop column's cells (id, title) when a file holds several workshops."""
    return [workshop.id, workshop.title] if workshop_column else []


def _interviews(workshop: WorkshopRecord) -> list[InterviewRecord]:
    return sorted(workshop.interviews, key=lambda i: (i.table, i.round))


def _in_order(interview: InterviewRecord) -> list[tuple[int, CardRecord]]:
    """The interview's cards as the board reads, each with its 1-based place in its zone."""
    cards = sorted(
        interview.cards,
        key=lambda c: (
            _SIDE_ORDER.get(c.side, len(SIDES)),
            _EXTENT_ORDER.get(c.extent, len(EXTENTS)),
            c.position,
            c.card,
        ),
    )
    placed: list[tuple[int, CardRecord]] = []
    for i, card in enumerate(cards):
        same_zone = i > 0 and (cards[i - 1].side, cards[i - 1].extent) == (card.side, card.extent)
        placed.append((placed[-1][0] + 1 if same_zone else 1, card))
    return placed


def _names(deck: Deck) -> dict[str, tuple[str, str, str]]:
    """Factor code -> (title, category code, category title) in the deck's language."""
    categories = {c.code: c.title for c in deck.categories}
    return {f.code: (f.title, f.category, categories.get(f.category, "")) for f in deck.factors()}


def _placements(
    workshop: WorkshopRecord, deck: Deck, labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    """One row per card on a board, keyed by PLACEMENT_COLUMNS, in reading order."""
    names = _names(deck)
    rows = []
    for interview in _interviews(workshop):
        for order, card in _in_order(interview):
            # A card the deck no longer knows keeps its code rather than sinking the download.
            title, category, category_title = names.get(card.factor, (card.factor, "", ""))
            rows.append(
                {
                    "workshop_id": workshop.id,
                    "workshop": workshop.title,
                    "date": workshop.date,
                    "table": interview.table,
                    "round": interview.round,
                    "factor_code": card.factor,
                    "factor_title": title,
                    "category_code": category,
                    "category_title": category_title,
                    "side": card.side,
                    "side_label": labels.get(card.side, card.side),
                    "extent": card.extent,
                    "extent_label": labels.get(card.extent, card.extent),
                    "order": order,
                    "card": card.card,
                    "custom_name": card.custom_name,
                    "explanation": card.explanation,
                }
            )
    return rows


def _shares(row: FactorRow) -> list[tuple[int, int]]:
    """A factor's (count, percent) in _SEGMENTS order, percentages as the chart prints them."""
    totals = {"stimulating": row.stimulating, "hindering": row.hindering}
    return [
        (totals[s].count, totals[s].percent)
        if e == "total"
        else (row.share(s, e).count, row.segment(s, e))
        for s, e in _SEGMENTS
    ]


def _utc(moment: datetime | None) -> datetime | None:
    # The app stores UTC; the database may hand it back without its zone.
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- CSV ----------------------------------------------------------------------------------


# Where a spreadsheet may begin a cell inside a text: at its start, and after any , or ;
# (Excel splits on the one its locale uses: ; in Dutch, so a cell "x;=1+1" would become two)
# or tab or line break (a reader that splits on another separator is not inside our quotes).
# If what follows could be read as a formula, with spaces or quotes before it, a ' goes first.
_CELL_START = re.compile(r"(^|[,;\t\r\n])(?=[\s\"]*[=+\-@]|[\t\r])")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _CELL_START.sub(r"\1'", value)
    return value


def placements_csv(workshop: WorkshopRecord, deck: Deck, labels: Mapping[str, str]) -> str:
    """Every placement, one row each, under stable English headers (PLACEMENT_COLUMNS).

    The header row is the column keys in every language, so a script that reads one
    workshop's CSV reads them all; codes (``side``, ``extent``, ``factor_code``) sit beside
    their words in the workshop's language (``side_label``, ``extent_label``,
    ``factor_title``), which ``labels`` gives for each key of VALUE_LABELS.

    Starts with a byte order mark so Excel reads it as UTF-8; lines end in CRLF and newlines
    inside a cell are quoted, so write the text as it is (encoding UTF-8, no newline mapping).
    Every text cell is quoted and numbers are not, so a spreadsheet keeps them numbers.
    """
    return programme_csv([(workshop, deck)], labels)


def programme_csv(parts: Sequence[Part], labels: Mapping[str, str]) -> str:
    """placements_csv of several workshops in one file, each with its own deck's words.

    The columns are the same: every row already names its workshop (``workshop_id``).
    """
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerow(PLACEMENT_COLUMNS)  # our own names: nothing to quote
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    for workshop, deck in parts:
        for row in _placements(workshop, deck, labels):
            writer.writerow([_csv_cell(row[key]) for key in PLACEMENT_COLUMNS])
    return out.getvalue()


# --- XLSX ---------------------------------------------------------------------------------


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> None:
    """Write one cell; text always as a string, which Excel shows but never evaluates."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        # XML reads a lone CR as a line end anyway; Excel breaks lines in a cell with LF.
        text = NOT_XML.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
        cell = sheet.cell(row=row, column=column, value=text)
        # openpyxl takes "=…" for a formula and "#N/A" for an error; this is neither.
        cell.data_type = "s"
        if text.startswith(_FORMULA_START):
            cell.quotePrefix = True  # stays text when someone edits the cell in Excel
        return
    if isinstance(value, datetime):
        # Excel has no time zones: UTC, as the column header should say.
        value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        number_format = "yyyy-mm-dd"
    else:
        number_format = ""
    cell = sheet.cell(row=row, column=column, value=value)
    if number_format:
        cell.number_format = number_format


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = "" if value is None else str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _fit(sheet: Worksheet, columns: Sequence[Sequence[Any]]) -> None:
    """Widths from the longest line in each column, within bounds; long text wraps."""
    for i, values in enumerate(columns, start=1):
        longest = max((_width(v) for v in values), default=0)
        sheet.column_dimensions[get_column_letter(i)].width = min(
            _MAX_WIDTH, max(_MIN_WIDTH, longest + 2)
        )
        if longest + 2 > _MAX_WIDTH or any(isinstance(v, str) and "\n" in v for v in values):
            for cell in sheet[get_column_letter(i)][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _table(
    sheet: Worksheet, keys: Sequence[str], rows: Iterable[Sequence[Any]], headers: Mapping[str, str]
) -> None:
    """A header row (bold, frozen, filterable) and the rows under it."""
    titles = [_header(key, headers) for key in keys]
    body = [list(row) for row in rows]
    for c, title in enumerate(titles, start=1):
        _put(sheet, 1, c, title)
        sheet.cell(row=1, column=c).font = Font(bold=True)
    for r, values in enumerate(body, start=2):
        for c, value in enumerate(values, start=1):
            _put(sheet, r, c, value)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(keys))}{len(body) + 1}"
    _fit(sheet, [[title, *(row[c] for row in body)] for c, title in enumerate(titles)])


def _header(key: str, headers: Mapping[str, str]) -> str:
    text = headers.get(key, key)
    if key in _PERCENT_COLUMNS and "%" not in text:
        text += " (%)"  # the figures are whole percentages; the header must say so
    return text


def _sheet_name(key: str, headers: Mapping[str, str]) -> str:
    # Excel's rules: at most 31 characters, none of []:*?/\, no apostrophe at either end.
    name = _SHEET_NAME_FORBIDDEN.sub("", headers.get(key, key)).strip().strip("'")[:31]
    return name or key


def workbook_xlsx(
    workshop: WorkshopRecord,
    deck: Deck,
    headers: Mapping[str, str],
    labels: Mapping[str, str],
) -> bytes:
    """The workshop as an Excel workbook: placements, interviews, notes, factor figures, about.

    ``headers`` gives the text, in the workshop's language, of every key in COLUMN_KEYS and
    SHEET_KEYS (the note fields' come from the format), ``labels`` that of every key in
    VALUE_LABELS; a missing key shows as itself.
    Figures are those of aggregate.chart over all interviews.
    """
    figures = chart(workshop, deck)
    about = [
        ("workshop", workshop.title),
        ("date", workshop.date),
        ("organisation", workshop.organisation or ""),
        ("tables", workshop.table_count),
        ("interviews", figures.interviews),
        ("n", figures.n),
    ]
    return _workbook(
        [(workshop, deck)], [(None, figures, deck)], about, headers, labels, workshop_column=False
    )


def programme_xlsx(
    parts: Sequence[Part],
    figures: Sequence[tuple[WorkshopRecord | None, Chart, Deck]],
    about: Sequence[tuple[str, Any]],
    headers: Mapping[str, str],
    labels: Mapping[str, str],
) -> bytes:
    """Several workshops' workbook: every sheet with a workshop column.

    ``figures``: the factor sheet's blocks, (workshop, chart, deck); None for the rows of all
    workshops together. ``about``: the About sheet's (key, value) rows before the definitions.
    ``headers`` also translates PROGRAMME_HEADERS.
    """
    return _workbook(parts, figures, about, headers, labels, workshop_column=True)


def _workbook(
    parts: Sequence[Part],
    figures: Sequence[tuple[WorkshopRecord | None, Chart, Deck]],
    about: Sequence[tuple[str, Any]],
    headers: Mapping[str, str],
    labels: Mapping[str, str],
    *,
    workshop_column: bool,
) -> bytes:
    first = parts[0][0]
    whose = _WORKSHOP_COLUMNS if workshop_column else ()
    # One column per note field of the workshops' formats, named in the format's own words
    # (the first workshop's, where two name the same field).
    notes = tuple(dict.fromkeys(field for w, _ in parts for field in w.game.note_ids))
    headers = {
        **headers,
        **{k: v for w, _ in reversed(parts) for k, v in w.note_headings().items()},
    }
    book = Workbook()
    book.properties.creator = "Kaartspel"
    book.properties.title = first.title
    book.properties.created = datetime.combine(min(w.date for w, _ in parts), time())
    book.remove(book.active)  # the empty default sheet
    sheets = {key: book.create_sheet(_sheet_name(key, headers)) for key in SHEET_KEYS}

    placements = [row for workshop, deck in parts for row in _placements(workshop, deck, labels)]
    _table(
        sheets["placements"],
        PLACEMENT_COLUMNS,
        ([row[key] for key in PLACEMENT_COLUMNS] for row in placements),
        headers,
    )
    _table(
        sheets["interviews"],
        (*whose, *INTERVIEW_COLUMNS, *notes),
        (
            [
                *_whose(workshop, workshop_column),
                i.table,
                i.round,
                len(i.cards),
                sum(c.side == "stimulating" for c in i.cards),
                sum(c.side == "hindering" for c in i.cards),
                _utc(i.ended_at),
                *(i.note(field) for field in notes),
            ]
            for workshop, _ in parts
            for i in _interviews(workshop)
        ),
        headers,
    )
    _table(
        sheets["notes"],
        (*whose, *NOTE_COLUMNS),
        (
            [*_whose(w, workshop_column), i.table, i.round, headers.get(field, field)]
            + [i.note(field)]
            for w, _ in parts
            for i in _interviews(w)
            for field in w.game.note_ids
            if i.note(field).strip()
        ),
        headers,
    )
    _factor_sheet(sheets["factors"], figures, headers, workshop_column)
    _about_sheet(sheets["about"], about, headers)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _factor_sheet(
    sheet: Worksheet,
    figures: Sequence[tuple[WorkshopRecord | None, Chart, Deck]],
    headers: Mapping[str, str],
    workshop_column: bool,
) -> None:
    rows = []
    for workshop, result, deck in figures:
        categories = {c.code: c.title for c in deck.categories}
        whose: list[Any] = []
        if workshop_column:
            everyone = headers.get("all_workshops", "all_workshops")
            whose = [workshop.id, workshop.title] if workshop else ["", everyone]
        for row in result.rows:
            values: list[Any] = [*whose, row.code, row.title, categories.get(row.category, "")]
            for count, percent in _shares(row):
                values += [count, percent]
            rows.append([*values, row.reference])
    keys = (*(_WORKSHOP_COLUMNS if workshop_column else ()), *FACTOR_COLUMNS)
    _table(sheet, keys, rows, headers)


def _about_sheet(
    sheet: Worksheet, about: Sequence[tuple[str, Any]], headers: Mapping[str, str]
) -> None:
    """A label and its value per row; then the definitions, sentences with no label."""
    rows = [
        *((_header(key, headers), value) for key, value in about),
        *((None, headers.get(key, text)) for key, text in DEFINITIONS.items()),
    ]
    for r, (label, value) in enumerate(rows, start=1):
        if label is not None:
            _put(sheet, r, 1, label)
            sheet.cell(row=r, column=1).font = Font(bold=True)
        _put(sheet, r, 2, value)
        sheet.cell(row=r, column=2).alignment = Alignment(wrap_text=True, horizontal="left")
    labels = [label for label, _ in rows if label is not None]
    sheet.column_dimensions["A"].width = min(_MAX_WIDTH, max(map(len, labels)) + 2)
    sheet.column_dimensions["B"].width = _MAX_WIDTH


# --- JSON ---------------------------------------------------------------------------------


def _share_json(share: tuple[int, int]) -> dict[str, int]:
    return {"count": share[0], "percent": share[1]}


def _card_json(
    order: int,
    card: CardRecord,
    names: Mapping[str, tuple[str, str, str]],
    labels: Mapping[str, str],
) -> Any:
    title, category, _ = names.get(card.factor, (card.factor, "", ""))
    return {
        "card": card.card,
        "factor": card.factor,
        "factor_title": title,
        "category": category,
        "side": card.side,
        "side_label": labels.get(card.side, card.side),
        "extent": card.extent,
        "extent_label": labels.get(card.extent, card.extent),
        "order": order,
        "explanation": card.explanation,
        "custom_name": card.custom_name,
    }


def _workshop_meta(workshop: WorkshopRecord) -> dict[str, Any]:
    return {
        "id": workshop.id,
        "title": workshop.title,
        "date": workshop.date.isoformat(),
        "organisation": workshop.organisation,
        "language": workshop.language,
        "deck": workshop.deck_id,
        "tables": workshop.table_count,
        "round_minutes": workshop.round_minutes,
        "retention_days": workshop.retention_days,
    }


def _interviews_json(
    workshop: WorkshopRecord, deck: Deck, labels: Mapping[str, str], workshop_column: bool
) -> list[dict[str, Any]]:
    names = _names(deck)
    interviews = []
    for interview in _interviews(workshop):
        ended = _utc(interview.ended_at)
        interviews.append(
            {
                **({"workshop_id": workshop.id} if workshop_column else {}),
                "table": interview.table,
                "round": interview.round,
                "counted": interview.counted,
                "ended_at": ended.isoformat() if ended else None,
                "cards": [
                    _card_json(order, card, names, labels) for order, card in _in_order(interview)
                ],
                "notes": {field: interview.note(field) for field in workshop.game.note_ids},
            }
        )
    return interviews


def _factors_json(figures: Chart) -> list[dict[str, Any]]:
    factors = []
    for row in figures.rows:
        shares = dict(zip(_SEGMENTS, _shares(row), strict=True))
        factors.append(
            {
                "code": row.code,
                "title": row.title,
                "category": row.category,
                **{
                    side: {
                        extent: _share_json(shares[(side, extent)])
                        for extent in (*EXTENTS, "total")
                    }
                    for side in SIDES
                },
                "research_stimulating": row.reference,
            }
        )
    return factors


def _dump(document: Mapping[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def workshop_json(workshop: WorkshopRecord, deck: Deck, labels: Mapping[str, str]) -> str:
    """Everything the workshop produced, for archives and other tools (FORMAT, VERSION).

    Keys and values are codes; ``*_title`` and ``*_label`` keys add the workshop's words
    (``labels``: the text of each key of VALUE_LABELS in the workshop's language).

    Dates and times are ISO 8601, times in UTC. Figures are those of aggregate.chart over all
    interviews. No seats, names or device hashes: nothing that points at a person.
    """
    figures = chart(workshop, deck)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "workshop": _workshop_meta(workshop),
        "n": figures.n,
        "interviews": _interviews_json(workshop, deck, labels, workshop_column=False),
        "factors": _factors_json(figures),
    }
    return _dump(document)


def programme_json(
    parts: Sequence[Part],
    figures: Chart,
    per_workshop: Sequence[Chart],
    left_out: Mapping[str, Sequence[str]],
    labels: Mapping[str, str],
) -> str:
    """Several workshops in one file (PROGRAMME_FORMAT, VERSION), keyed as workshop_json.

    ``workshops`` lists each workshop (with its own N); every interview names its workshop
    (``workshop_id``) and its cards carry their own deck's words. ``factors`` are the figures
    of all chosen interviews together on the factors every deck shares (``figures``), and
    ``workshop_factors`` each workshop's on the same factors (``per_workshop``, in ``parts``
    order). ``left_out``: workshop id -> the factor codes of its deck that were not combined.
    """
    document = {
        "format": PROGRAMME_FORMAT,
        "version": VERSION,
        "workshops": [
            {**_workshop_meta(workshop), "n": result.n}
            for (workshop, _), result in zip(parts, per_workshop, strict=True)
        ],
        "n": figures.n,
        "shared_factors": [row.code for row in figures.rows],
        "left_out": {key: list(codes) for key, codes in left_out.items()},
        "interviews": [
            interview
            for workshop, deck in parts
            for interview in _interviews_json(workshop, deck, labels, workshop_column=True)
        ],
        "factors": _factors_json(figures),
        "workshop_factors": [
            {"workshop_id": workshop.id, "n": result.n, "factors": _factors_json(result)}
            for (workshop, _), result in zip(parts, per_workshop, strict=True)
        ],
    }
    return _dump(document)
