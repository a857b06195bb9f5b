"""The aggregate chart: every figure worked out by hand from known boards.

The boards (deck "llo", nl):
  T1 R1: A2-1 stim large, B1-1 stim limited, C1-2 hind large, X-1 stim limited "Mantelzorg",
         X-2 stim large "Buurt"
  T1 R2: A2-2 hind limited, A2-1 stim large, B1-1 stim large   (both copies of A2, two sides)
  T2 R1: C1-1 hind limited, B1-2 stim large
  T2 R2: (empty board: does not count towards N)
  T3 R1: A1-1 stim large
So N = 4 interviews with cards (5 interviews in all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from xml.etree import ElementTree

import pytest

from app.deck import Deck, deck_data, default_cards_dir, load_library
from app.settings import ROOT
from app.summary.aggregate import Filter, chart, percent, recommendation_groups, split_percent
from app.summary.chart_svg import render_chart_svg
from app.summary.records import CardRecord, InterviewRecord, WorkshopRecord
from app.summary.svg import EM_BOLD, EM_REGULAR
from app.summary.views import ChartRequest, chart_labels, chart_svg, file_name


@pytest.fixture(scope="module")
def deck() -> Deck:
    return load_library(ROOT / "cards").deck("llo", "nl")


def card(card_id: str, side: str, extent: str, explanation: str = "", name: str = "") -> CardRecord:
    return CardRecord(card_id, card_id.rsplit("-", 1)[0], side, extent, 0, explanation, name)


def interview(table: int, round_: int, *cards: CardRecord, **notes: str) -> InterviewRecord:
    return InterviewRecord(table, round_, cards, notes, None, "")


def workshop(
    *interviews: InterviewRecord, title: str = "Leren in de buitendienst"
) -> WorkshopRecord:
    return WorkshopRecord(
        id="w1",
        title=title,
        date=date(2026, 11, 24),
        organisation=None,
        language="nl",
        deck_id="llo",
        table_count=3,
        round_minutes=15,
        retention_days=90,
        interviews=interviews,
        game=load_library(default_cards_dir()).format("llo"),
    )


KNOWN = workshop(
    interview(
        1,
        1,
        card("A2-1", "stimulating", "large"),
        card("B1-1", "stimulating", "limited"),
        card("C1-2", "hindering", "large"),
        card("X-1", "stimulating", "limited", name="Mantelzorg"),
        card("X-2", "stimulating", "large", name="Buurt"),
        recommendations="- Geef tijd voor opleiding\n- Collega's als coach\nMeer budget",
    ),
    interview(
        1,
        2,
        card("A2-2", "hindering", "limited"),
        card("A2-1", "stimulating", "large"),
        card("B1-1", "stimulating", "large"),
    ),
    interview(2, 1, card("C1-1", "hindering", "limited"), card("B1-2", "stimulating", "large")),
    interview(2, 2),
    interview(3, 1, card("A1-1", "stimulating", "large")),
)


def figures(result, code: str) -> tuple[int, ...]:
    row = next(r for r in result.rows if r.code == code)
    return (
        row.share("stimulating", "limited").percent,
        row.share("stimulating", "large").percent,
        row.stimulating.percent,
        row.share("hindering", "limited").percent,
        row.share("hindering", "large").percent,
        row.hindering.percent,
    )


@pytest.mark.parametrize(
    ("count", "n", "expected"),
    [(1, 8, 13), (3, 8, 38), (1, 3, 33), (2, 3, 67), (1, 2, 50), (0, 5, 0), (5, 5, 100), (1, 0, 0)],
)
def test_percent_rounds_half_up_like_the_research(count: int, n: int, expected: int) -> None:
    assert percent(count, n) == expected


def test_n_counts_interviews_with_cards_not_cards(deck: Deck) -> None:
    result = chart(KNOWN, deck)
    assert result.n == 4
    assert result.interviews == 5


def test_every_figure_of_the_known_boards(deck: Deck) -> None:
    result = chart(KNOWN, deck)
    # (stim limited, stim large, stim total, hind limited, hind large, hind total), N=4
    assert figures(result, "A2") == (0, 50, 50, 25, 0, 25)  # both copies, both sides in T1R2
    assert figures(result, "B1") == (25, 50, 75, 0, 0, 0)
    assert figures(result, "C1") == (0, 0, 0, 25, 25, 50)
    assert figures(result, "A1") == (0, 25, 25, 0, 0, 0)
    # Two "Anders" cards on one side count once, at the larger extent.
    assert figures(result, "X") == (0, 25, 25, 0, 0, 0)
    assert next(r for r in result.rows if r.code == "X").named_on("stimulating") == (
        "Mantelzorg",
        "Buurt",
    )
    untouched = [r for r in result.rows if r.code not in {"A1", "A2", "B1", "C1", "X"}]
    assert untouched and all(r.stimulating.count == r.hindering.count == 0 for r in untouched)
    b1 = next(r for r in result.rows if r.code == "B1")
    assert (b1.stimulating.count, b1.stimulating.n) == (3, 4)


def test_rows_are_grouped_by_category_in_deck_order(deck: Deck) -> None:
    result = chart(KNOWN, deck)
    assert [g.code for g in result.groups] == [c.code for c in deck.categories] + [""]
    assert [r.code for r in result.groups[0].rows] == [f.code for f in deck.categories[0].factors]
    assert result.groups[-1].rows[0].code == "X"


def test_sorting_by_most_stimulating_and_most_hindering(deck: Deck) -> None:
    by_stim = chart(KNOWN, deck, sort="stimulating")
    assert [r.code for r in by_stim.rows[:5]] == ["B1", "A2", "A1", "X", "A3"]
    by_hind = chart(KNOWN, deck, sort="hindering")
    assert [r.code for r in by_hind.rows[:2]] == ["C1", "A2"]
    assert len(by_stim.groups) == 1 and len(by_stim.rows) == len(deck.factors())


def test_filters_by_table_and_round(deck: Deck) -> None:
    table1 = chart(KNOWN, deck, Filter(frozenset({1})))
    assert table1.n == 2
    assert figures(table1, "A2") == (0, 100, 100, 50, 0, 50)
    round1 = chart(KNOWN, deck, Filter(round=1))
    assert round1.n == 3
    assert figures(round1, "B1") == (33, 33, 67, 0, 0, 0)
    only_empty = chart(KNOWN, deck, Filter(frozenset({2}), round=2))
    assert (only_empty.n, only_empty.interviews) == (0, 1)
    assert all(r.stimulating.percent == 0 for r in only_empty.rows)


def test_half_up_rounding_on_the_chart(deck: Deck) -> None:
    boards = [
        interview(1 + i % 3, 1 + i // 3, card("D1-1", "hindering", "limited")) for i in range(6)
    ]
    boards += [interview(3, 3, card("A3-1", "stimulating", "limited"))]
    boards += [
        interview(3, 4, card("A3-2", "stimulating", "large"), card("D1-1", "stimulating", "large"))
    ]
    result = chart(workshop(*boards), deck)
    assert result.n == 8
    assert figures(result, "A3") == (13, 13, 25, 0, 0, 0)  # 1/8 = 12.5% -> 13%
    assert figures(result, "D1") == (0, 13, 13, 75, 0, 75)


def test_top_factors_and_connections(deck: Deck) -> None:
    result = chart(KNOWN, deck)
    assert [r.code for r in result.top("stimulating")] == ["B1", "A2", "A1", "X"]
    assert [r.code for r in result.top("hindering")] == ["C1", "A2"]
    pairs = [
        (p.first.code, p.second.code, p.together.count, p.together.percent) for p in result.pairs
    ]
    assert pairs[0] == ("A2", "B1", 2, 50)
    assert ("B1", "C1", 2, 50) in pairs
    assert ("A1", "A2", 1, 25) not in pairs  # never on one board
    assert all(a != b for a, b, _, _ in pairs)


def test_recommendations_grouped_by_the_categories_they_name(deck: Deck) -> None:
    groups = recommendation_groups(KNOWN, deck, "Algemeen")
    by_title = {g.title: [i.text for i in g.items] for g in groups}
    opleiding = next(c for c in deck.categories if any(f.title == "Opleiding" for f in c.factors))
    collegas = next(c for c in deck.categories if any(f.title == "Collega's" for f in c.factors))
    assert "Geef tijd voor opleiding" in by_title[opleiding.title]
    assert "Collega's als coach" in by_title[collegas.title]
    assert by_title["Algemeen"] == ["Meer budget"]


def test_the_svg_shows_every_figure_and_n(deck: Deck) -> None:
    result, svg = chart_svg(KNOWN, deck, ChartRequest(Filter(), "category", reference=True))
    assert "(N=4)" in svg
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert "75%" in texts and "++50" in texts and "+25" in texts  # B1: total, large, limited
    assert "\u2212\u221225" in texts and "50%" in texts  # C1: large hindering, total
    assert svg.count("<polygon") == sum(r.reference is not None for r in result.rows) + 1
    assert "research 96%" in svg or "onderzoek 96%" in svg  # Ontwikkelmogelijkheden, in words


def test_the_svg_escapes_user_text(deck: Deck) -> None:
    hostile = workshop(
        interview(1, 1, card("X-1", "stimulating", "large", name="<i>x</i>&")),
        title="<b>Workshop</b> & co",
    )
    _, svg = chart_svg(hostile, deck, ChartRequest(Filter(), "category", False))
    assert "<i>" not in svg and "<b>" not in svg
    assert "&lt;i&gt;x&lt;/i&gt;&amp;" in svg and "&lt;b&gt;Workshop&lt;/b&gt; &amp; co" in svg


def test_an_empty_workshop_draws_an_empty_chart(deck: Deck) -> None:
    result = chart(workshop(), deck)
    labels_svg = render_chart_svg(result, chart_labels(workshop(), deck, result), bar_titles={})
    assert result.n == 0 and "(N=0)" in labels_svg and "<rect" in labels_svg


def test_file_names_carry_title_and_date() -> None:
    assert (
        file_name(workshop(title="Leren & ontwikkelen: één dag!"), "report", "pdf")
        == "kaartspel-leren-ontwikkelen-een-dag-2026-11-24-report.pdf"
    )
    assert file_name(workshop(title="???"), "data", "csv") == "kaartspel-2026-11-24-data.csv"


def test_recommendations_find_dutch_compounds_and_plurals(deck: Deck) -> None:
    record = workshop(
        interview(
            1,
            1,
            recommendations=(
                "Plan opleidingstijd in het rooster\n"
                "1. Een leidinggevende die coacht\n"
                "* Geldig beleid maken"
            ),
        )
    )
    groups = {g.code: [i.text for i in g.items] for g in recommendation_groups(record, deck, "-")}
    category = {f.title: c.code for c in deck.categories for f in c.factors}
    assert "Plan opleidingstijd in het rooster" in groups[category["Opleiding"]]
    assert "Een leidinggevende die coacht" in groups[category["Leidinggevenden/management"]]
    assert groups[""] == ["Geldig beleid maken"]  # "geld" is a whole word, not a prefix


# --- issue #17: what the chart and the lists say ---------------------------------------


@pytest.mark.parametrize(
    ("counts", "n", "expected"),
    [
        ((10, 3), 24, (42, 12)),  # Toekomstdromen: 41.7 + 12.5 -> 42 + 13 = 55, but the total is 54
        ((1, 1), 8, (13, 12)),  # 12.5 + 12.5, total 25: a tie goes to the first (limited)
        ((0, 3), 8, (0, 38)),  # a zero stays zero
        ((1, 2), 3, (33, 67)),
        ((0, 0), 0, (0, 0)),
    ],
)
def test_segments_add_up_to_the_half_up_total(
    counts: tuple[int, int], n: int, expected: tuple[int, int]
) -> None:
    assert split_percent(counts, n) == expected
    assert sum(expected) == percent(sum(counts), n)


def test_a_rows_segments_are_printed_to_add_up(deck: Deck) -> None:
    boards = [interview(1, 1 + i, card("A1-1", "stimulating", "large")) for i in range(3)]
    boards += [interview(2, 1 + i, card("A1-1", "stimulating", "limited")) for i in range(10)]
    boards += [interview(3, 1 + i, card("B1-1", "stimulating", "limited")) for i in range(11)]
    result = chart(workshop(*boards), deck)
    a1 = next(r for r in result.rows if r.code == "A1")
    assert (a1.segment("stimulating", "limited"), a1.segment("stimulating", "large")) == (42, 12)
    assert a1.stimulating.percent == 54
    svg = render_chart_svg(result, chart_labels(workshop(*boards), deck, result), bar_titles={})
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert "++12" in texts and "+42" in texts and "++13" not in texts


def test_a_side_no_one_chose_prints_0_percent(deck: Deck) -> None:
    _, svg = chart_svg(KNOWN, deck, ChartRequest(Filter(), "category", reference=False))
    economie = svg.split(">Economie<", 1)[1].split("</g>", 1)[0]
    assert economie.count(">0%</text>") == 2  # stimulating and hindering
    _, empty = chart_svg(workshop(interview(1, 1)), deck, ChartRequest(Filter(), "category", False))
    assert ">0%</text>" not in empty  # no interview yet: no figures at all


def test_the_blank_card_keeps_the_side_of_each_name(deck: Deck) -> None:
    both = workshop(
        interview(1, 1, card("X-1", "stimulating", "large", name="Mantelzorg")),
        interview(1, 2, card("X-2", "hindering", "limited", name="Werkdruk")),
        interview(2, 1, card("X-1", "hindering", "large", name="Mantelzorg")),
    )
    result = chart(both, deck)
    x = next(r for r in result.rows if r.code == "X")
    assert x.named_on("stimulating") == ("Mantelzorg",)
    assert x.named_on("hindering") == ("Werkdruk", "Mantelzorg")
    _, svg = chart_svg(both, deck, ChartRequest(Filter(), "category", reference=False))
    assert "Stimulerend: Mantelzorg · Belemmerend: Werkdruk, Mantelzorg" in svg


def test_a_recommendation_naming_two_categories_is_listed_once(deck: Deck) -> None:
    notes = "- Leidinggevenden moeten zelfvertrouwen geven\n- Meer budget"
    groups = recommendation_groups(
        workshop(interview(1, 1, recommendations=notes)), deck, "Algemeen"
    )
    items = [(g.title, i.text, i.also) for g in groups for i in g.items]
    # Named first: Leidinggevenden (Werkgever), then zelfvertrouwen (Persoonlijke factoren).
    assert items == [
        ("Werkgever", "Leidinggevenden moeten zelfvertrouwen geven", ("Persoonlijke factoren",)),
        ("Algemeen", "Meer budget", ()),
    ]


def test_grouping_by_the_researchs_types_of_conversion_factor(deck: Deck) -> None:
    result = chart(KNOWN, deck, sort="type")
    assert [g.code for g in result.groups] == ["PERSONAL", "SOCIAL", "WORK", "SYSTEM", ""]
    assert [r.code for r in result.groups[2].rows] == [
        *("C1", "C2", "C3", "C4", "C5"),
        *("D1", "D2", "D3"),
    ]
    assert result.groups[-1].rows[0].code == "X"
    # The figures are the same whichever way the rows are grouped.
    by_category = {r.code: figures(chart(KNOWN, deck), r.code) for r in result.rows}
    assert {r.code: figures(result, r.code) for r in result.rows} == by_category
    _, svg = chart_svg(KNOWN, deck, ChartRequest(Filter(), "type", reference=False))
    assert "Werk/organisatie conversiefactoren" in svg


# --- issue #17 item 1 on screen: whole factor names, however long ----------------------

# Long titles that agree for their first 60 characters: cut anywhere before that, two rows
# would read the same.
LONG_STEM = "Ondersteuning door de leidinggevende bij het leren naast het werk, "


@pytest.fixture(scope="module")
def long_deck(deck: Deck) -> Deck:
    data = deck_data(deck)
    for category in data["categories"]:
        for factor in category["factors"]:
            factor["title"] = f"{LONG_STEM}factor {factor['code']}".ljust(80, "x")[:80]
    return Deck.model_validate(data)


def _boxes(svg: str) -> tuple[list[tuple[str, Box]], list[Box]]:
    """Each factor name's lines with their boxes, and the boxes of everything else drawn in
    the bar area (bars and figures). Text is measured as the chart measures it: by
    character count, with the average glyph width of app.summary.svg."""
    root = ElementTree.fromstring(svg)
    names: list[tuple[str, Box]] = []
    others: list[Box] = []

    def text_box(x: float, y: float, text: str, el: ElementTree.Element) -> Box:
        size = float(el.get("font-size", "14"))
        width = len(text) * size * (EM_BOLD if el.get("font-weight") == "700" else EM_REGULAR)
        anchor = el.get("text-anchor", "start")
        left = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
        # Above and below the baseline as far as DejaVu Sans's glyphs reach (0.93 and 0.24 em).
        return Box(left, y - 0.93 * size, left + width, y + 0.24 * size)

    for bar in root.iter(f"{SVG}g"):
        texts = bar.findall(f"{SVG}text")
        name, figures = texts[0], texts[1:]
        spans = name.findall(f"{SVG}tspan")
        assert spans, "a factor name without lines"
        for span in spans:
            line = span.text or ""
            names.append((line, text_box(float(span.get("x")), float(span.get("y")), line, name)))
        for el in figures:
            x, y = float(el.get("x")), float(el.get("y"))
            others.append(text_box(x, y, el.text or "", el))
        for rect in bar.findall(f"{SVG}rect"):
            x, y = float(rect.get("x")), float(rect.get("y"))
            others.append(Box(x, y, x + float(rect.get("width")), y + float(rect.get("height"))))
    return names, others


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


SVG = "{http://www.w3.org/2000/svg}"


def test_80_character_factor_names_are_shown_whole_and_never_overlap(long_deck: Deck) -> None:
    # Every factor on both sides in most interviews: bars up to 100%, totals at their ends.
    boards = [
        interview(
            1 + i % 3,
            1 + i // 3,
            *(
                card(f"{f.code}-1", side, "large" if i % 2 else "limited")
                for f in long_deck.factors()
                if not f.blank
                for side in ("stimulating", "hindering")
                if (i + len(f.code)) % 4 or side == "stimulating"
            ),
        )
        for i in range(6)
    ]
    record = workshop(*boards)
    result, svg = chart_svg(record, long_deck, ChartRequest(Filter(), "category", reference=False))
    titles = [row.title for row in result.rows]
    assert len(titles[0]) == 80 and len(set(titles)) == len(titles)
    root = ElementTree.fromstring(svg)
    shown = [
        " ".join("".join(name.itertext()).split())
        for bar in root.iter(f"{SVG}g")
        for name in bar.findall(f"{SVG}text")[:1]
    ]
    assert shown == titles  # each name whole, in its row's order, nothing cut off
    # The accessible text too: each bar's title, and the chart's own label.
    bar_titles = [bar.findtext(f"{SVG}title") or "" for bar in root.iter(f"{SVG}g")]
    assert all(t.startswith(f"{title}: ") for t, title in zip(bar_titles, titles, strict=True))
    assert root.get("aria-label", "").startswith(root.findtext(f"{SVG}title") or "-")
    names, others = _boxes(svg)
    assert len(names) > len(titles)  # the names did wrap
    width = int(root.get("width", "0"))
    for index, (line, box) in enumerate(names):
        assert box.right <= width, f"{line!r} runs off the chart"
        for other_line, other in names[index + 1 :]:
            assert not box.overlaps(other), f"{line!r} overlaps {other_line!r}"
        for other in others:
            assert not box.overlaps(other), f"{line!r} overlaps a bar or a figure at {other}"
    # The rows grow with their names: the picture is as tall as what it holds.
    bottom = max(b.bottom for _, b in names)
    assert bottom < float(root.get("height", "0")) - 40


def test_a_long_workshop_name_wraps_in_the_charts_head_and_stays_on_the_picture(
    deck: Deck,
) -> None:
    """The subtitle names the workshop: a long name ran off the right edge (programme view)."""
    long_title = "Gemeente Midden met een heel lange naam voor een workshop in de regio " * 2
    record = workshop(*KNOWN.interviews, title=long_title.strip())
    _, svg = chart_svg(record, deck, ChartRequest(Filter(), "category", reference=False))
    root = ElementTree.fromstring(svg)
    width = int(root.get("width", "0"))
    head = [el for el in root if el.tag == f"{SVG}text"]  # not the bars' (inside their <g>)
    boxes = []
    for el in head:
        size = float(el.get("font-size", "14"))
        em = EM_BOLD if el.get("font-weight") == "700" else EM_REGULAR
        text, x, y = el.text or "", float(el.get("x", "0")), float(el.get("y", "0"))
        shift = {"end": 1.0, "middle": 0.5}.get(el.get("text-anchor", ""), 0.0)
        left = x - shift * len(text) * size * em
        boxes.append(
            (text, Box(left, y - 0.93 * size, left + len(text) * size * em, y + 0.24 * size))
        )
        assert boxes[-1][1].right <= width, f"{text!r} runs off the chart"
    for index, (text, box) in enumerate(boxes):
        for other_text, other in boxes[index + 1 :]:
            assert not box.overlaps(other), f"{text!r} overlaps {other_text!r}"
    assert " ".join(text for text, _ in boxes).count(long_title.strip()) == 1
