"""The PDF report read as a programme maker reads it (issue #17): the research's 24 interviews
replayed (tests/research_replay.py), the PDF made by the app, then its text layer and the
position of every line of text checked with pdfplumber.

- nothing prints over anything else, also with a deck whose titles are 80 characters long;
- no near-empty pages, at most ~26 pages, and a contents block that says on which page each
  table's interviews are;
- the text layer reads as the page does (no hidden screen-reader text);
- every figure of the chart matches the research to the percent, 0% included, and the two
  segments of a side add up to its total.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import ROOT, Settings
from tests.conftest import PUBLIC_URL, require
from tests.research_replay import PUBLISHED, TABLES, boards
from tests.seeding import seed_workshop

pdfplumber = pytest.importorskip("pdfplumber")


@dataclass(frozen=True)
class Report:
    pdf: bytes
    html_for_pdf: str  # what WeasyPrint was given
    workshop_json: dict[str, Any]
    summary: str
    chart_svg: str
    pages: list[list[Line]]


@dataclass(frozen=True)
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    chars: tuple[tuple[float, float], ...]  # (x0, x1) of each character, left to right


def _needs_weasyprint() -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        require(False, "WeasyPrint needs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0)")


def _lines(pdf: bytes) -> list[list[Line]]:
    pages = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            lines = []
            for found in page.extract_text_lines(strip=True, return_chars=True):
                # A ligature ("fi") comes back as one box per letter it stands for: one glyph.
                chars = tuple(
                    sorted({(c["x0"], c["x1"]) for c in found["chars"] if c["text"].strip()})
                )
                lines.append(
                    Line(
                        found["text"],
                        found["x0"],
                        found["x1"],
                        found["top"],
                        found["bottom"],
                        chars,
                    )
                )
            pages.append(lines)
    return pages


def _settings(tmp: Path, cards_dir: Path | None = None) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp / 'report.db'}",
        public_url=PUBLIC_URL,
        secret_key="test-secret",
        host="127.0.0.1",
        redis_url=None,
        **({"cards_dir": cards_dir} if cards_dir else {}),
    )


def _report(tmp: Path, cards_dir: Path | None = None) -> Report:
    _needs_weasyprint()
    settings = _settings(tmp, cards_dir)
    from app.summary import converters, router

    given: list[str] = []

    def keep(html: str) -> bytes:
        given.append(html)
        return converters.pdf_from_html(html)

    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        laid, notes = boards()
        _, token = seed_workshop(client, laid, notes, tables=TABLES)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(router, "pdf_from_html", keep)
            response = client.get(f"/f/{token}/report.pdf")
        assert response.status_code == 200, response.text
        return Report(
            pdf=response.content,
            html_for_pdf=given[0],
            workshop_json=client.get(f"/f/{token}/workshop.json").json(),
            summary=client.get(f"/f/{token}/summary").text,
            chart_svg=client.get(f"/f/{token}/chart.svg").text,
            pages=_lines(response.content),
        )


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _report(tmp_path_factory.mktemp("replay"))


def _long_titles(directory: Path) -> Path:
    """A copy of cards/ in which every factor and category title is 80 characters long."""
    cards = directory / "cards"
    shutil.copytree(ROOT / "cards", cards)
    filler = " en nog veel meer woorden, zo lang als een titel maar kan worden op een kaart"
    for path in (cards / "llo.nl.yaml", cards / "llo.en.yaml"):  # the decks, not the format
        deck = yaml.safe_load(path.read_text(encoding="utf-8"))
        for category in deck["categories"]:
            category["title"] = (category["title"] + filler)[:80]
            for factor in category["factors"]:
                factor["title"] = (factor["title"] + filler)[:80]
                assert len(factor["title"]) == 80
        path.write_text(yaml.safe_dump(deck, allow_unicode=True), encoding="utf-8")
    return cards


@pytest.fixture(scope="module")
def long_titles(tmp_path_factory: pytest.TempPathFactory) -> Report:
    tmp = tmp_path_factory.mktemp("long")
    return _report(tmp, _long_titles(tmp))


def overlaps(pages: list[list[Line]], slack: float = 0.5) -> list[str]:
    """Every pair of lines whose boxes intersect, and every line whose characters overprint."""
    found = []
    for number, lines in enumerate(pages, start=1):
        for i, a in enumerate(lines):
            # Characters of one line (as pdfplumber groups them) never sit on one another;
            # kerning ("Ta") lets neighbours overlap by a sliver, overprinting by far more.
            for (x0, x1), (y0, y1) in zip(a.chars, a.chars[1:], strict=False):
                if x1 - y0 > 0.45 * min(x1 - x0, y1 - y0):
                    found.append(f"page {number}: characters overprint in {a.text!r}")
                    break
            for b in lines[i + 1 :]:
                wide = min(a.x1, b.x1) - max(a.x0, b.x0)
                high = min(a.bottom, b.bottom) - max(a.top, b.top)
                if wide > slack and high > slack:
                    found.append(f"page {number}: {a.text!r} overlaps {b.text!r}")
    return found


def text_of(report: Report) -> str:
    return "\n".join(line.text for page in report.pages for line in page)


# --- 1. nothing overprints ------------------------------------------------------------


def test_no_line_of_the_report_overlaps_another(replay: Report) -> None:
    assert overlaps(replay.pages) == []


def test_with_80_character_titles_nothing_overlaps_either(long_titles: Report) -> None:
    assert overlaps(long_titles.pages) == []
    # The long names are there in full, wrapped rather than cut or run under a figure.
    assert "en nog veel meer" in text_of(long_titles)


def test_the_overlap_check_finds_overprinted_text() -> None:
    _needs_weasyprint()
    from app.summary.converters import pdf_from_html

    html = (
        "<p style='position: relative'>Ontwikkelmogelijkheden op werk"
        "<span style='position: absolute; left: 2em; top: .3em'>96% (23/24)</span></p>"
    )
    assert overlaps(_lines(pdf_from_html(html)))


# --- 2. pages well filled, a contents block -------------------------------------------


def test_the_24_interview_report_fills_its_pages(replay: Report) -> None:
    assert len(replay.pages) <= 26
    height = 842  # A4 in points
    for number, lines in enumerate(replay.pages[:-1], start=1):
        lowest = max(line.bottom for line in lines)
        assert lowest > 0.6 * height, f"page {number} is mostly empty ({len(lines)} lines)"
        assert len(lines) >= 12, f"page {number} holds only {len(lines)} lines"


def test_headings_are_never_the_last_line_of_a_page(replay: Report) -> None:
    heading = re.compile(r"^Tafel \d+ · Ronde \d · Respondent \d$|^De interviews$")
    for number, lines in enumerate(replay.pages, start=1):
        last = max(lines, key=lambda line: line.bottom)
        assert not heading.match(last.text), f"page {number} ends in a heading: {last.text!r}"


def test_the_contents_say_on_which_page_each_interview_is(replay: Report) -> None:
    first = "\n".join(line.text for line in replay.pages[0])
    assert "Inhoud" in first
    for table in range(1, TABLES + 1):
        entry = re.search(
            rf"Tafel {table}:\s?ronde 1 p\.\s(\d+), ronde 2 p\.\s(\d+)", first.replace("\n", " ")
        )
        assert entry, f"table {table} is missing from the contents"
        for round_, page in ((1, int(entry[1])), (2, int(entry[2]))):
            on_page = [line.text for line in replay.pages[page - 1]]
            assert f"Tafel {table} · Ronde {round_} · Respondent {round_}" in on_page, (
                table,
                round_,
                page,
            )


# --- 3. the text layer reads as the page ----------------------------------------------


def test_the_text_layer_holds_no_hidden_text(replay: Report) -> None:
    text = text_of(replay)
    assert "+en" not in text and "+and" not in text
    assert "Zelfvertrouwen + Leidinggevenden/management" in text  # a connection, as printed
    assert "(belemmerend, in grote mate)" not in text  # the screen readers' zone names
    assert 'class="sr-only"' not in replay.html_for_pdf
    assert "<svg" not in replay.html_for_pdf  # no drawing with text hidden inside it
    # Each interview's heading is printed, not hidden for screen readers only.
    assert sum(re.fullmatch(r"Tafel \d+ · Ronde \d · Respondent \d", line) is not None
               for line in text.splitlines()) == 2 * TABLES  # fmt: skip


# --- 4, 5. the figures, to the percent ------------------------------------------------


def _chart_rows(report: Report) -> dict[str, str]:
    """Chart rows on the PDF's chart page: the start of each line that has a total after it."""
    page = next(p for p in report.pages if any("(N=24)" in line.text for line in p))
    return {
        found[1]: found[2]
        for line in page
        if (found := re.match(r"^(.+?) (\d+%)(?: |$)", line.text))
    }


def test_every_figure_matches_the_research_to_the_percent(replay: Report) -> None:
    factors = {f["code"]: f for f in replay.workshop_json["factors"]}
    assert {code: f["stimulating"]["total"]["percent"] for code, f in factors.items()} == PUBLISHED
    rows = _chart_rows(replay)
    for code, percent in PUBLISHED.items():
        title = factors[code]["title"]
        printed = [share for start, share in rows.items() if title.startswith(start)]
        assert printed == [f"{percent}%"], (title, printed)


def test_a_factor_no_one_chose_is_labelled_0_percent(replay: Report) -> None:
    assert _chart_rows(replay)["Economie"] == "0%"  # E1, as the research printed it
    economie = replay.chart_svg.split(">Economie<", 1)[1].split("</g>", 1)[0]
    assert ">0%</text>" in economie


def test_the_segments_of_a_side_add_up_to_its_total(replay: Report) -> None:
    # Toekomstdromen: 3 + 10 of 24 interviews; 12.5% and 41.7% round to 13 and 42 on their
    # own, against a total of 54. Largest remainder: ++12 and +42.
    page = next(p for p in replay.pages if any("(N=24)" in line.text for line in p))
    row = re.compile(r"^\D+ (\d+)% (.*) (\d+)%$")
    checked = 0
    for line in page:
        if not (found := row.match(line.text)):
            continue
        figures = found[2].split()
        # Where both segments of a side are wide enough to print their figure, they add up.
        for signs, total in ((("++", "+"), found[1]), (("\u2212\u2212", "\u2212"), found[3])):
            printed = [
                f
                for f in figures
                if f.lstrip("+\u2212") and f[: -len(f.lstrip("+\u2212"))] in signs
            ]
            if len(printed) == 2:
                assert sum(int(f.lstrip("+\u2212")) for f in printed) == int(total), line.text
                checked += 1
    assert checked >= 5
    toekomst = replay.chart_svg.split(">Toekomstdromen<", 1)[1].split("</g>", 1)[0]
    assert ">++12</text>" in toekomst and ">+42</text>" in toekomst
    for factor in replay.workshop_json["factors"]:
        for side in ("stimulating", "hindering"):
            shares = factor[side]
            parts = shares["limited"]["percent"] + shares["large"]["percent"]
            assert parts == shares["total"]["percent"], (factor["code"], side)


# --- 7. the blank card says on which side each name lay ---------------------------------


def test_the_anders_row_names_the_side_of_each_name(replay: Report) -> None:
    text = text_of(replay)
    assert "Stimulerend: Mantelzorg, Reistijd naar de opleiding · Belemmerend: Werkdruk" in text
    assert "Stimulerend: Mantelzorg, Reistijd naar de opleiding · Belemmerend: Werkdruk" in (
        replay.chart_svg
    )


# --- 9. the PDF's cache and its address -------------------------------------------------


@pytest.fixture
def replay_client(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    with TestClient(create_app(_settings(tmp_path)), base_url="http://127.0.0.1:8765") as client:
        laid, notes = boards()
        _, token = seed_workshop(client, laid, notes, tables=TABLES)
        yield client, token


def test_the_download_button_says_while_the_pdf_is_made(
    replay_client: tuple[TestClient, str],
) -> None:
    client, token = replay_client
    page = client.get(f"/f/{token}/summary").text
    link = re.search(r'<a class="button" href="/f/[^"]+/report\.pdf"[^>]*>', page)
    assert link, "the summary has a PDF link"
    assert 'data-making="PDF wordt gemaakt…"' in link[0] and 'aria-live="polite"' in link[0]
    assert "pdf_download.js" in client.get("/static/js/summary.js").text
    report = client.get(f"/f/{token}/report.html").text
    assert 'data-making="PDF wordt gemaakt…"' in report and "pdf_download.js" in report


def test_the_json_figures_are_the_charts(replay_client: tuple[TestClient, str]) -> None:
    client, token = replay_client
    figures = json.loads(client.get(f"/f/{token}/workshop.json").text)["factors"]
    a1 = next(f for f in figures if f["code"] == "A1")["stimulating"]
    assert (a1["limited"]["percent"], a1["large"]["percent"], a1["total"]["percent"]) == (
        42,
        12,
        54,
    )


# --- 9. speed: the cycle collector rests while the report is typeset ------------------


def test_the_cycle_collector_is_paused_while_typesetting_and_back_after_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from app.summary import converters

    seen: list[bool] = []

    def typeset(html: str) -> bytes:
        seen.append(gc.isenabled())
        if html == "inner":  # a second report made meanwhile, as by another request
            return b"%PDF"
        converters.pdf_from_html("inner")
        seen.append(gc.isenabled())  # the inner one ended: still off, this one is not done
        raise RuntimeError("the layout failed")

    monkeypatch.setattr(converters, "_typeset", typeset)
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        converters.pdf_from_html("outer")
    assert seen == [False, False, False]
    assert gc.isenabled()

    gc.disable()  # a process that runs without the collector keeps running without it
    try:
        monkeypatch.setattr(converters, "_typeset", lambda html: b"%PDF")
        converters.pdf_from_html("<p>x</p>")
        assert not gc.isenabled()
    finally:
        gc.enable()
