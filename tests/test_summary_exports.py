"""The downloads: every row and figure as worked out by hand, read back as a user's tools
would read them, with hostile text kept inert and nothing that identifies a person."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import openpyxl
import pytest

from app.deck import Deck, default_cards_dir, load_library
from app.i18n import gettext_for
from app.settings import ROOT
from app.summary import exports
from app.summary.exports import placements_csv, workbook_xlsx, workshop_json
from app.summary.records import CardRecord, InterviewRecord, WorkshopRecord

HYPERLINK = '=HYPERLINK("http://x")'
# The words beside the codes, from the Dutch catalogue, as the router gives them.
LABELS = {code: gettext_for("nl").gettext(text) for code, text in exports.VALUE_LABELS.items()}
CAFE = "Café “De Hoek”"


@pytest.fixture(scope="module")
def deck() -> Deck:
    return load_library(ROOT / "cards").deck("llo", "nl")


def card(
    card_id: str,
    side: str,
    extent: str,
    position: int,
    explanation: str = "",
    custom_name: str = "",
) -> CardRecord:
    return CardRecord(
        card=card_id,
        factor=card_id.split("-")[0],
        side=side,
        extent=extent,
        position=position,
        explanation=explanation,
        custom_name=custom_name,
    )


def interview(
    table: int,
    round_: int,
    cards: tuple[CardRecord, ...] = (),
    notes: dict[str, str] | None = None,
    ended_at: datetime | None = None,
) -> InterviewRecord:
    return InterviewRecord(
        table=table,
        round=round_,
        cards=cards,
        notes=notes or {},
        ended_at=ended_at,
        picture_svg="<svg/>",
    )


def workshop_of(interviews: tuple[InterviewRecord, ...], tables: int = 3) -> WorkshopRecord:
    return WorkshopRecord(
        id="ws7Kq",
        title="Leren & ontwikkelen in de buitendienst",
        date=date(2025, 11, 24),
        organisation="Gemeente Één",
        language="nl",
        deck_id="llo",
        table_count=tables,
        round_minutes=20,
        retention_days=90,
        interviews=interviews,
        game=load_library(default_cards_dir()).format("llo"),
    )


# 3 tables x 2 rounds. Counted (at least one card): 1/1, 1/2, 3/1, 3/2, so N = 4.
# Cards are listed out of order on purpose: the exports sort them.
WORKSHOP = workshop_of(
    (
        interview(
            3,
            2,
            (card("A2-1", "stimulating", "large", 0), card("C2-1", "stimulating", "limited", 0)),
        ),
        interview(
            1,
            1,
            (
                card("A1-2", "hindering", "limited", 0, 'Geld, tijd en "zin"'),
                card("X-1", "stimulating", "large", 2, "+1", "Mantelzorg"),
                card("C2-1", "stimulating", "large", 1, "Eerste regel\nTweede regel"),
                card("A1-1", "stimulating", "large", 0, HYPERLINK),
                card("X-2", "stimulating", "limited", 0, "-2", CAFE),
            ),
            {
                "development": "Meer scholing, graag",
                "recommendations": "@SUM(A1)",
                "reflection": "Goed gesprek\nmet é",
                "stands_out": "",
            },
            datetime(2025, 11, 24, 10, 15, tzinfo=UTC),
        ),
        interview(
            1,
            2,
            (
                card("B3-1", "hindering", "large", 1, "\rCR vooraan"),
                card("C2-2", "hindering", "large", 0, "\tTab vooraan"),
                card("A1-1", "stimulating", "limited", 0),
            ),
            {"stands_out": "#N/A"},
            datetime(2025, 11, 24, 10, 45),  # as SQLite gives it back: UTC without a zone
        ),
        interview(2, 1, ended_at=datetime(2025, 11, 24, 10, 15, tzinfo=UTC)),  # empty board
        interview(
            2,
            2,
            notes={"development": "Alleen notities, geen kaarten", "connections": "=1+1"},
        ),
        interview(
            3,
            1,
            (
                card("A1-1", "hindering", "large", 0, "Te druk\x1b"),
                card("X-1", "hindering", "limited", 0, "", "Reistijd"),
                card("B3-2", "stimulating", "limited", 0),
            ),
            ended_at=datetime(2025, 11, 24, 11, 16, tzinfo=UTC),
        ),
    )
)

# (table, round, side, extent, order, card), in the order the exports must list them.
PLACEMENT_ORDER = [
    (1, 1, "stimulating", "limited", 1, "X-2"),
    (1, 1, "stimulating", "large", 1, "A1-1"),
    (1, 1, "stimulating", "large", 2, "C2-1"),
    (1, 1, "stimulating", "large", 3, "X-1"),
    (1, 1, "hindering", "limited", 1, "A1-2"),
    (1, 2, "stimulating", "limited", 1, "A1-1"),
    (1, 2, "hindering", "large", 1, "C2-2"),
    (1, 2, "hindering", "large", 2, "B3-1"),
    (3, 1, "stimulating", "limited", 1, "B3-2"),
    (3, 1, "hindering", "limited", 1, "X-1"),
    (3, 1, "hindering", "large", 1, "A1-1"),
    (3, 2, "stimulating", "limited", 1, "C2-1"),
    (3, 2, "stimulating", "large", 1, "A2-1"),
]

# Per factor, by hand with N = 4 (1/4 = 25%, 2/4 = 50%): count and percent for
# stimulating limited, large; hindering limited, large; stimulating total; hindering total.
# A1: both copies on board 1/1, opposite sides: that board counts on both sides.
# X: two "Anders" cards on one side of 1/1 (large and limited) count once, as large.
FIGURES = {
    "A1": (1, 25, 1, 25, 1, 25, 1, 25, 2, 50, 2, 50),
    "A2": (0, 0, 1, 25, 0, 0, 0, 0, 1, 25, 0, 0),
    "B3": (1, 25, 0, 0, 0, 0, 1, 25, 1, 25, 1, 25),
    "C2": (1, 25, 1, 25, 0, 0, 1, 25, 2, 50, 1, 25),
    "X": (0, 0, 1, 25, 1, 25, 0, 0, 1, 25, 1, 25),
}
ZERO = (0,) * 12
DECK_ORDER = [
    *("A1", "A2", "A3", "A4", "A5", "A6"),
    *("B1", "B2", "B3", "B4", "B5"),
    *("C1", "C2", "C3", "C4", "C5"),
    *("D1", "D2", "D3"),
    *("E1", "E2", "E3", "E4", "E5"),
    "X",
]
REFERENCE = {"A1": 54, "A2": 92, "A3": 46, "B3": 21, "C2": 96, "E1": 0, "X": 8}

DUTCH = {
    "placements": "Plaatsingen",
    "interviews": "Interviews",
    "notes": "Notities",
    "factors": "Factoren",
    "about": "Over",
    "workshop_id": "Workshop-id",
    "workshop": "Workshop",
    "date": "Datum",
    "table": "Tafel",
    "round": "Ronde",
    "factor_code": "Factorcode",
    "factor_title": "Factor",
    "category_code": "Categoriecode",
    "category_title": "Categorie",
    "side": "Kantcode",
    "side_label": "Kant",
    "extent": "Matecode",
    "extent_label": "Mate",
    "order": "Volgorde",
    "card": "Kaart",
    # "custom_name" left out: it shows as its key
    "explanation": "Toelichting",
    "cards": "Kaarten",
    "stimulating_cards": "Stimulerende kaarten",
    "hindering_cards": "Belemmerende kaarten",
    "ended_at": "Einde (UTC)",
    "development": "Korte beschrijving van de ontwikkeling",
    "stands_out": "Wat valt op?",
    "recommendations": "Aanbevelingen aan werkgevers",
    "connections": "Verbanden tussen de kaarten",
    "reflection": "Reflectie van de observant",
    "field": "Veld",
    "text": "Tekst",
    "code": "Code",
    "title": "Titel",
    "category": "Categorie",
    "stimulating_limited": "Stimulerend, beperkt",
    "stimulating_limited_percent": "Stimulerend, beperkt (%)",
    "stimulating_large": "Stimulerend, groot",
    "stimulating_large_percent": "Stimulerend, groot",  # no "%": the export adds it
    "hindering_limited": "Belemmerend, beperkt",
    "hindering_limited_percent": "Belemmerend, beperkt (%)",
    "hindering_large": "Belemmerend, groot",
    "hindering_large_percent": "Belemmerend, groot (%)",
    "stimulating_total": "Stimulerend, totaal",
    "stimulating_total_percent": "Stimulerend, totaal (%)",
    "hindering_total": "Belemmerend, totaal",
    "hindering_total_percent": "Belemmerend, totaal (%)",
    "research_stimulating": "Onderzoek (N=24): stimulerend (%)",
    "organisation": "Organisatie",
    "tables": "Tafels",
    "n": "N (interviews met kaarten)",
    "n_definition": "N is het aantal interviews met ten minste één kaart.",
    # "rounding" left out: the English definition is used
}


# --- keys and headers ---------------------------------------------------------------------


def test_every_key_has_an_english_header_for_the_caller_to_translate() -> None:
    assert exports.SHEET_KEYS == ("placements", "interviews", "notes", "factors", "about")
    assert (
        *("workshop_id", "workshop", "date", "table", "round", "factor_code", "factor_title"),
        *("category_code", "category_title", "side", "side_label", "extent", "extent_label"),
        *(
            "order",
            "card",
            "custom_name",
            "explanation",
            "cards",
            "stimulating_cards",
            "hindering_cards",
            "ended_at",
        ),
        *("field", "text", "code", "title", "category"),
        *("stimulating_limited", "stimulating_limited_percent"),
        *("stimulating_large", "stimulating_large_percent"),
        *("hindering_limited", "hindering_limited_percent"),
        *("hindering_large", "hindering_large_percent"),
        *("stimulating_total", "stimulating_total_percent"),
        *("hindering_total", "hindering_total_percent"),
        *("research_stimulating", "organisation", "tables", "interviews", "n"),
        *("n_definition", "rounding"),
    ) == exports.COLUMN_KEYS
    # A real text for each, not the key. (The note fields' are the format's: see below.)
    for key, text in exports.COLUMN_HEADERS.items():
        assert text and text != key, key
    for key in exports.COLUMN_KEYS:
        if key.endswith("_percent") or key == "research_stimulating":
            assert "%" in exports.COLUMN_HEADERS[key]
    notes = set(WORKSHOP.game.note_ids)
    assert notes == {"development", "stands_out", "recommendations", "connections", "reflection"}
    assert set(DUTCH) - notes == set(exports.COLUMN_KEYS + exports.SHEET_KEYS) - {
        "custom_name",
        "rounding",
    }
    # The format's headings of its note fields, in the workshop's language.
    assert WORKSHOP.note_headings() == {key: DUTCH[key] for key in WORKSHOP.game.note_ids}


# --- CSV ----------------------------------------------------------------------------------


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_csv_starts_with_a_byte_order_mark_and_stable_headers(deck: Deck) -> None:
    text = placements_csv(WORKSHOP, deck, LABELS)
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbfworkshop_id,workshop,date,table,round,")
    reader = csv.reader(io.StringIO(text[1:], newline=""))
    assert next(reader) == [
        *("workshop_id", "workshop", "date", "table", "round", "factor_code", "factor_title"),
        *("category_code", "category_title", "side", "side_label", "extent", "extent_label"),
        *("order", "card", "custom_name", "explanation"),
    ]
    assert "\r\n" in text  # CRLF line ends, as RFC 4180 and Excel expect


def test_csv_has_one_row_per_placement_in_board_order(deck: Deck) -> None:
    rows = read_csv(placements_csv(WORKSHOP, deck, LABELS))
    assert len(rows) == 13
    assert [
        (int(r["table"]), int(r["round"]), r["side"], r["extent"], int(r["order"]), r["card"])
        for r in rows
    ] == PLACEMENT_ORDER
    for row in rows:
        assert row["workshop_id"] == "ws7Kq"
        assert row["workshop"] == "Leren & ontwikkelen in de buitendienst"
        assert row["date"] == "2025-11-24"


def test_csv_values_titles_and_formula_guard(deck: Deck) -> None:
    rows = read_csv(placements_csv(WORKSHOP, deck, LABELS))
    picked = [
        {
            k: r[k]
            for k in r
            if k not in ("workshop_id", "workshop", "date", "side_label", "extent_label")
        }
        for r in rows[:8]
    ]
    assert picked == [
        {
            "table": "1",
            "round": "1",
            "factor_code": "X",
            "factor_title": "Anders, namelijk …",
            "category_code": "",
            "category_title": "",
            "side": "stimulating",
            "extent": "limited",
            "order": "1",
            "card": "X-2",
            "custom_name": CAFE,
            "explanation": "'-2",
        },
        {
            "table": "1",
            "round": "1",
            "factor_code": "A1",
            "factor_title": "Toekomstdromen",
            "category_code": "A",
            "category_title": "Persoonlijke factoren",
            "side": "stimulating",
            "extent": "large",
            "order": "1",
            "card": "A1-1",
            "custom_name": "",
            "explanation": "'" + HYPERLINK,
        },
        {
            "table": "1",
            "round": "1",
            "factor_code": "C2",
            "factor_title": "Ontwikkelmogelijkheden op werk",
            "category_code": "C",
            "category_title": "Werkgever",
            "side": "stimulating",
            "extent": "large",
            "order": "2",
            "card": "C2-1",
            "custom_name": "",
            "explanation": "Eerste regel\nTweede regel",
        },
        {
            "table": "1",
            "round": "1",
            "factor_code": "X",
            "factor_title": "Anders, namelijk …",
            "category_code": "",
            "category_title": "",
            "side": "stimulating",
            "extent": "large",
            "order": "3",
            "card": "X-1",
            "custom_name": "Mantelzorg",
            "explanation": "'+1",
        },
        {
            "table": "1",
            "round": "1",
            "factor_code": "A1",
            "factor_title": "Toekomstdromen",
            "category_code": "A",
            "category_title": "Persoonlijke factoren",
            "side": "hindering",
            "extent": "limited",
            "order": "1",
            "card": "A1-2",
            "custom_name": "",
            "explanation": 'Geld, tijd en "zin"',
        },
        {
            "table": "1",
            "round": "2",
            "factor_code": "A1",
            "factor_title": "Toekomstdromen",
            "category_code": "A",
            "category_title": "Persoonlijke factoren",
            "side": "stimulating",
            "extent": "limited",
            "order": "1",
            "card": "A1-1",
            "custom_name": "",
            "explanation": "",
        },
        {
            "table": "1",
            "round": "2",
            "factor_code": "C2",
            "factor_title": "Ontwikkelmogelijkheden op werk",
            "category_code": "C",
            "category_title": "Werkgever",
            "side": "hindering",
            "extent": "large",
            "order": "1",
            "card": "C2-2",
            "custom_name": "",
            "explanation": "'\tTab vooraan",
        },
        {
            "table": "1",
            "round": "2",
            "factor_code": "B3",
            "factor_title": "Geld",
            "category_code": "B",
            "category_title": "Sociale omgeving",
            "side": "hindering",
            "extent": "large",
            "order": "2",
            "card": "B3-1",
            "custom_name": "",
            "explanation": "'\rCR vooraan",
        },
    ]
    assert [r["explanation"] for r in rows[8:]] == ["", "", "Te druk\x1b", "", ""]
    assert [r["custom_name"] for r in rows[8:]] == ["", "Reistijd", "", "", ""]


def test_csv_guards_every_text_cell_but_not_its_own_numbers(deck: Deck) -> None:
    hostile = workshop_of(
        (interview(1, 1, (card("A1-1", "stimulating", "large", 0, "@cmd", "=naam"),)),)
    )
    hostile = replace(hostile, id="-id", title="+Werkgroep")
    (row,) = read_csv(placements_csv(hostile, deck, LABELS))
    assert row["workshop_id"] == "'-id"
    assert row["workshop"] == "'+Werkgroep"
    assert row["custom_name"] == "'=naam"
    assert row["explanation"] == "'@cmd"
    assert (row["table"], row["round"], row["order"]) == ("1", "1", "1")


# Where a spreadsheet could begin a cell inside a text: after , or ; (whichever separator
# its locale reads: ; in Dutch Excel), after a tab or a line break.
HIDDEN_FORMULAS = (
    "x;=1+1",
    "a,=b",
    "x; =1",
    'x;"=1"',
    "x;\t=1",
    "eerst\n=1+1",
    "eerst\r\n@SUM(A1)",
    "a;-1",
    " =1",
    '"=1"',
    "x,;+1",
    "x;\r=1",
)


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_holds_no_formula_whichever_separator_the_spreadsheet_reads(
    deck: Deck, separator: str
) -> None:
    cards = tuple(
        card("A1-1", "stimulating", "large", n, text, HIDDEN_FORMULAS[-1 - n])
        for n, text in enumerate(HIDDEN_FORMULAS)
    )
    hostile = replace(workshop_of((interview(1, 1, cards),)), id="a;=id", title="T;@x")
    text = placements_csv(hostile, deck, LABELS)
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=separator))
    cells = [cell for row in rows for cell in row]
    assert len(cells) > len(HIDDEN_FORMULAS)
    for cell in cells:
        assert not cell.startswith(("\t", "\r")), repr(cell)
        assert not cell.lstrip(' "\n\t\r').startswith(("=", "+", "-", "@")), repr(cell)


def test_csv_quotes_every_text_cell_and_keeps_what_was_written(deck: Deck) -> None:
    cards = tuple(
        card("A1-1", "stimulating", "large", n, text) for n, text in enumerate(HIDDEN_FORMULAS)
    )
    text = placements_csv(workshop_of((interview(1, 1, cards),)), deck, LABELS)
    lines = text[1:].split("\r\n")
    assert lines[1].startswith('"ws7Kq","Leren & ontwikkelen in de buitendienst","2025-11-24",1,1,')
    read = [row["explanation"] for row in read_csv(text)]
    # Only an apostrophe added, where a formula could begin: the text reads as it was written.
    assert [cell.replace("'", "") for cell in read] == list(HIDDEN_FORMULAS)
    assert read[0] == "x;'=1+1" and read[5] == "eerst\n'=1+1"


def test_csv_of_a_workshop_without_cards_has_only_headers(deck: Deck) -> None:
    empty = workshop_of((interview(1, 1), interview(1, 2, notes={"development": "x"})))
    assert read_csv(placements_csv(empty, deck, LABELS)) == []


# --- XLSX ---------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def values(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


@pytest.fixture(scope="module")
def xlsx(deck: Deck) -> bytes:
    return workbook_xlsx(WORKSHOP, deck, DUTCH, LABELS)


def test_xlsx_sheets_properties_and_header_rows(xlsx: bytes) -> None:
    book = read_xlsx(xlsx)
    assert book.sheetnames == ["Plaatsingen", "Interviews", "Notities", "Factoren", "Over"]
    assert book.properties.creator == "Kaartspel"
    assert book.properties.title == "Leren & ontwikkelen in de buitendienst"
    for name in ["Plaatsingen", "Interviews", "Notities", "Factoren"]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert not any(cell.font.bold for cell in sheet[2])
        for column in range(1, sheet.max_column + 1):
            letter = openpyxl.utils.get_column_letter(column)
            assert 6 <= sheet.column_dimensions[letter].width <= 60


def test_xlsx_never_holds_a_formula(xlsx: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name
                assert b"<f " not in archive.read(name), name


def test_xlsx_placements(xlsx: bytes) -> None:
    sheet = read_xlsx(xlsx)["Plaatsingen"]
    rows = values(sheet)
    assert rows[0] == (
        *("Workshop-id", "Workshop", "Datum", "Tafel", "Ronde", "Factorcode", "Factor"),
        *("Categoriecode", "Categorie", "Kantcode", "Kant", "Matecode", "Mate", "Volgorde"),
        *("Kaart", "custom_name", "Toelichting"),
    )
    assert len(rows) == 14
    assert [(r[3], r[4], r[9], r[11], r[13], r[14]) for r in rows[1:]] == PLACEMENT_ORDER
    head = ("ws7Kq", "Leren & ontwikkelen in de buitendienst", datetime(2025, 11, 24))
    assert rows[1] == (
        *head,
        *(1, 1, "X", "Anders, namelijk …", None, None, "stimulating", "Stimulerend"),
        *("limited", "In beperkte mate", 1, "X-2"),
        *(CAFE, "-2"),
    )
    assert rows[2] == (
        *head,
        *(1, 1, "A1", "Toekomstdromen", "A", "Persoonlijke factoren", "stimulating", "Stimulerend"),
        *("large", "In grote mate", 1, "A1-1", None, HYPERLINK),
    )
    assert rows[3][-1] == "Eerste regel\nTweede regel"
    assert rows[5][-1] == 'Geld, tijd en "zin"'
    assert [r[-1] for r in rows[6:]] == [
        *(None, "\tTab vooraan", "\nCR vooraan", None, None),  # Excel's line end is LF
        *("Te druk", None, None),  # the control character XML cannot hold is dropped
    ]
    assert sheet["C2"].number_format == "yyyy-mm-dd"
    assert (sheet["D2"].data_type, sheet["N2"].data_type) == ("n", "n")
    # Hostile text is a plain string cell with its text unchanged.
    for ref, text in [("Q2", "-2"), ("Q3", HYPERLINK), ("Q5", "+1"), ("Q8", "\tTab vooraan")]:
        assert (sheet[ref].data_type, sheet[ref].value) == ("s", text)
        assert sheet[ref].quotePrefix


def test_xlsx_interviews(xlsx: bytes) -> None:
    sheet = read_xlsx(xlsx)["Interviews"]
    assert values(sheet) == [
        (
            *("Tafel", "Ronde", "Kaarten", "Stimulerende kaarten", "Belemmerende kaarten"),
            *("Einde (UTC)", "Korte beschrijving van de ontwikkeling", "Wat valt op?"),
            *("Aanbevelingen aan werkgevers", "Verbanden tussen de kaarten"),
            "Reflectie van de observant",
        ),
        (1, 1, 5, 4, 1, datetime(2025, 11, 24, 10, 15), "Meer scholing, graag", None)
        + ("@SUM(A1)", None, "Goed gesprek\nmet é"),
        (1, 2, 3, 1, 2, datetime(2025, 11, 24, 10, 45), None, "#N/A", None, None, None),
        (2, 1, 0, 0, 0, datetime(2025, 11, 24, 10, 15), None, None, None, None, None),
        (2, 2, 0, 0, 0, None, "Alleen notities, geen kaarten", None, None, "=1+1", None),
        (3, 1, 3, 1, 2, datetime(2025, 11, 24, 11, 16), None, None, None, None, None),
        (3, 2, 2, 2, 0, None, None, None, None, None, None),
    ]
    assert (sheet["H3"].data_type, sheet["H3"].value) == ("s", "#N/A")  # not an error cell
    assert (sheet["J5"].data_type, sheet["J5"].value) == ("s", "=1+1")
    assert (sheet["I2"].data_type, sheet["I2"].value) == ("s", "@SUM(A1)")


def test_xlsx_notes_are_long_and_only_the_written_ones(xlsx: bytes) -> None:
    assert values(read_xlsx(xlsx)["Notities"]) == [
        ("Tafel", "Ronde", "Veld", "Tekst"),
        (1, 1, "Korte beschrijving van de ontwikkeling", "Meer scholing, graag"),
        (1, 1, "Aanbevelingen aan werkgevers", "@SUM(A1)"),
        (1, 1, "Reflectie van de observant", "Goed gesprek\nmet é"),
        (1, 2, "Wat valt op?", "#N/A"),
        (2, 2, "Korte beschrijving van de ontwikkeling", "Alleen notities, geen kaarten"),
        (2, 2, "Verbanden tussen de kaarten", "=1+1"),
    ]


def test_xlsx_factor_figures(xlsx: bytes) -> None:
    rows = values(read_xlsx(xlsx)["Factoren"])
    assert rows[0] == (
        *("Code", "Titel", "Categorie"),
        *("Stimulerend, beperkt", "Stimulerend, beperkt (%)"),
        *("Stimulerend, groot", "Stimulerend, groot (%)"),
        *("Belemmerend, beperkt", "Belemmerend, beperkt (%)"),
        *("Belemmerend, groot", "Belemmerend, groot (%)"),
        *("Stimulerend, totaal", "Stimulerend, totaal (%)"),
        *("Belemmerend, totaal", "Belemmerend, totaal (%)"),
        "Onderzoek (N=24): stimulerend (%)",
    )
    assert [r[0] for r in rows[1:]] == DECK_ORDER
    by_code = {r[0]: r for r in rows[1:]}
    for code in DECK_ORDER:
        assert by_code[code][3:15] == FIGURES.get(code, ZERO), code
    assert by_code["A1"][:3] == ("A1", "Toekomstdromen", "Persoonlijke factoren")
    assert by_code["C2"][:3] == ("C2", "Ontwikkelmogelijkheden op werk", "Werkgever")
    assert by_code["X"][:3] == ("X", "Anders, namelijk …", None)
    for code, reference in REFERENCE.items():
        assert by_code[code][15] == reference


def test_xlsx_about(xlsx: bytes) -> None:
    rows = values(read_xlsx(xlsx)["Over"])
    assert rows == [
        ("Workshop", "Leren & ontwikkelen in de buitendienst"),
        ("Datum", datetime(2025, 11, 24)),
        ("Organisatie", "Gemeente Één"),
        ("Tafels", 3),
        ("Interviews", 6),
        ("N (interviews met kaarten)", 4),
        (None, "N is het aantal interviews met ten minste één kaart."),
        (None, exports.DEFINITIONS["rounding"]),
    ]
    assert "12.5% becomes 13%" in rows[-1][1]


def test_xlsx_headers_fall_back_to_keys_and_sheet_names_are_made_valid(deck: Deck) -> None:
    book = read_xlsx(workbook_xlsx(WORKSHOP, deck, {"about": "Over: [uitleg]?", "notes": "'"}, {}))
    assert book.sheetnames == ["placements", "interviews", "notes", "factors", "Over uitleg"]
    assert book["factors"]["E1"].value == "stimulating_limited_percent (%)"
    assert book["factors"]["P1"].value == "research_stimulating (%)"
    # A note field is named in the format's own words, whatever the caller passes.
    assert book["notes"]["C2"].value == "Korte beschrijving van de ontwikkeling"
    assert book["Over uitleg"]["B7"].value == exports.DEFINITIONS["n_definition"]


# --- JSON ---------------------------------------------------------------------------------


def keys_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def test_json_workshop_n_and_interviews(deck: Deck) -> None:
    text = workshop_json(WORKSHOP, deck, LABELS)
    assert "Gemeente Één" in text and "\\u" not in text.replace("\\u001b", "")  # not ASCII-escaped
    assert text.startswith('{\n  "format"')
    data = json.loads(text)
    assert data["format"] == "kaartspel-workshop"
    assert data["version"] == 1
    assert data["workshop"] == {
        "id": "ws7Kq",
        "title": "Leren & ontwikkelen in de buitendienst",
        "date": "2025-11-24",
        "organisation": "Gemeente Één",
        "language": "nl",
        "deck": "llo",
        "tables": 3,
        "round_minutes": 20,
        "retention_days": 90,
    }
    assert data["n"] == 4
    interviews = data["interviews"]
    assert [(i["table"], i["round"], i["counted"]) for i in interviews] == [
        (1, 1, True),
        (1, 2, True),
        (2, 1, False),
        (2, 2, False),
        (3, 1, True),
        (3, 2, True),
    ]
    assert [i["ended_at"] for i in interviews] == [
        "2025-11-24T10:15:00+00:00",
        "2025-11-24T10:45:00+00:00",
        "2025-11-24T10:15:00+00:00",
        None,
        "2025-11-24T11:16:00+00:00",
        None,
    ]
    assert [
        (i["table"], i["round"], c["side"], c["extent"], c["order"], c["card"])
        for i in interviews
        for c in i["cards"]
    ] == PLACEMENT_ORDER
    assert interviews[0]["cards"][:2] == [
        {
            "card": "X-2",
            "factor": "X",
            "factor_title": "Anders, namelijk …",
            "category": "",
            "side": "stimulating",
            "side_label": "Stimulerend",
            "extent": "limited",
            "extent_label": "In beperkte mate",
            "order": 1,
            "explanation": "-2",
            "custom_name": CAFE,
        },
        {
            "card": "A1-1",
            "factor": "A1",
            "factor_title": "Toekomstdromen",
            "category": "A",
            "side": "stimulating",
            "side_label": "Stimulerend",
            "extent": "large",
            "extent_label": "In grote mate",
            "order": 1,
            "explanation": HYPERLINK,
            "custom_name": "",
        },
    ]
    assert interviews[4]["cards"][2]["explanation"] == "Te druk\x1b"
    assert interviews[0]["notes"] == {
        "development": "Meer scholing, graag",
        "stands_out": "",
        "recommendations": "@SUM(A1)",
        "connections": "",
        "reflection": "Goed gesprek\nmet é",
    }
    assert interviews[2]["cards"] == []
    assert interviews[3]["notes"] == {
        "development": "Alleen notities, geen kaarten",
        "stands_out": "",
        "recommendations": "",
        "connections": "=1+1",
        "reflection": "",
    }


def test_json_factor_figures(deck: Deck) -> None:
    factors = json.loads(workshop_json(WORKSHOP, deck, LABELS))["factors"]
    assert [f["code"] for f in factors] == DECK_ORDER
    by_code = {f["code"]: f for f in factors}
    assert by_code["A1"] == {
        "code": "A1",
        "title": "Toekomstdromen",
        "category": "A",
        "stimulating": {
            "limited": {"count": 1, "percent": 25},
            "large": {"count": 1, "percent": 25},
            "total": {"count": 2, "percent": 50},
        },
        "hindering": {
            "limited": {"count": 1, "percent": 25},
            "large": {"count": 1, "percent": 25},
            "total": {"count": 2, "percent": 50},
        },
        "research_stimulating": 54,
    }
    assert by_code["X"]["category"] == ""
    assert by_code["X"]["title"] == "Anders, namelijk …"
    for code in DECK_ORDER:
        f = by_code[code]
        flat = tuple(
            f[side][extent][figure]
            for side, extent in [
                ("stimulating", "limited"),
                ("stimulating", "large"),
                ("hindering", "limited"),
                ("hindering", "large"),
                ("stimulating", "total"),
                ("hindering", "total"),
            ]
            for figure in ("count", "percent")
        )
        assert flat == FIGURES.get(code, ZERO), code
    for code, reference in REFERENCE.items():
        assert by_code[code]["research_stimulating"] == reference


def test_json_leaves_out_whatever_points_at_a_person(deck: Deck) -> None:
    data = json.loads(workshop_json(WORKSHOP, deck, LABELS))
    keys = keys_in(data)
    for word in ("device", "seat", "name", "hash", "picture"):
        assert not [k for k in keys if word in k and k != "custom_name"], word


# --- rounding -----------------------------------------------------------------------------


def test_half_up_rounding_with_eight_boards(deck: Deck) -> None:
    # 4 tables x 2 rounds, every board with a card: N = 8, so 1/8 = 12.5% -> 13,
    # 3/8 = 37.5% -> 38, 5/8 = 62.5% -> 63, 7/8 = 87.5% -> 88.
    boards: list[list[CardRecord]] = [[] for _ in range(8)]
    boards[0].append(card("A1-1", "stimulating", "limited", 0))
    for k in range(3):
        boards[k].append(card("A2-1", "stimulating", "large", 0))
    for k in range(5):
        boards[k].append(card("B1-1", "hindering", "limited", 0))
    for k in range(7):
        boards[k].append(card("B2-1", "hindering", "large", 0))
    boards[3].append(card("A3-1", "stimulating", "limited", 0))
    boards[4].append(card("A3-1", "stimulating", "large", 0))
    # Both copies on one side of one board: counted once, at the larger extent.
    boards[5] += [
        card("A3-1", "stimulating", "limited", 0),
        card("A3-2", "stimulating", "large", 0),
    ]
    boards[7].append(card("C1-1", "stimulating", "large", 0))
    eight = workshop_of(
        tuple(interview(k // 2 + 1, k % 2 + 1, tuple(b)) for k, b in enumerate(boards)), tables=4
    )
    expected = {
        "A1": (1, 13, 0, 0, 0, 0, 0, 0, 1, 13, 0, 0),
        "A2": (0, 0, 3, 38, 0, 0, 0, 0, 3, 38, 0, 0),
        "A3": (1, 13, 2, 25, 0, 0, 0, 0, 3, 38, 0, 0),
        "B1": (0, 0, 0, 0, 5, 63, 0, 0, 0, 0, 5, 63),
        "B2": (0, 0, 0, 0, 0, 0, 7, 88, 0, 0, 7, 88),
        "C1": (0, 0, 1, 13, 0, 0, 0, 0, 1, 13, 0, 0),
    }
    rows = values(read_xlsx(workbook_xlsx(eight, deck, {}, LABELS))["factors"])
    by_code = {r[0]: r[3:15] for r in rows[1:]}
    for code in DECK_ORDER:
        assert by_code[code] == expected.get(code, ZERO), code
    about = dict(values(read_xlsx(workbook_xlsx(eight, deck, {}, LABELS))["about"])[:6])
    assert (about["interviews"], about["n"]) == (8, 8)

    data = json.loads(workshop_json(eight, deck, LABELS))
    assert data["n"] == 8
    a3 = next(f for f in data["factors"] if f["code"] == "A3")
    assert a3["stimulating"] == {
        "limited": {"count": 1, "percent": 13},
        "large": {"count": 2, "percent": 25},
        "total": {"count": 3, "percent": 38},
    }
    assert len(read_csv(placements_csv(eight, deck, LABELS))) == 1 + 3 + 5 + 7 + 1 + 1 + 2 + 1
