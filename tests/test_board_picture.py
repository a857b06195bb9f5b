"""The board picture: valid, self-contained SVG that shows every card, in order, and stays
inert and within bounds whatever the respondent typed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from app.summary.board_picture import (
    EXPLANATION_CHARS,
    PictureCard,
    PictureLabels,
    render_board_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
LABELS = PictureLabels(
    heading="Tafel 3 · Ronde 1 · Respondent 1",
    stimulating="Welke factoren stimuleren LLO?",
    hindering="Welke factoren beperken LLO?",
    limited="In beperkte mate",
    large="In grote mate",
    empty="Geen kaarten",
    footer="Leren in de buitendienst · 24-11-2025 · 14:32",
)
HOSTILE = "<script>alert(1)</script> & \" ' <![CDATA[ ]]> ë 🎉\nnieuwe regel\x00\x1b"


def card(
    code: str = "A1",
    title: str = "Toekomstdromen",
    *,
    side: str = "stimulating",
    extent: str = "large",
    position: int = 0,
    explanation: str = "",
    custom_name: str = "",
) -> PictureCard:
    return PictureCard(
        code=code,
        title=title,
        custom_name=custom_name,
        side=side,
        extent=extent,
        position=position,
        explanation=explanation,
        category="" if code == "X" else code[:1],
    )


def render(cards: list[PictureCard], labels: PictureLabels = LABELS) -> ET.Element:
    return ET.fromstring(render_board_svg(cards, labels))


def all_text(root: ET.Element) -> str:
    """Every drawn line of text, in document order, one per line."""
    return "\n".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def flat(text: str) -> str:
    """Wrapped lines joined back into one line."""
    return " ".join(text.split())


def card_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "data-code" in g.attrib]


def card_rects(root: ET.Element, side: str, extent: str) -> list[tuple[float, float]]:
    """(y, height) of each card's rect in one zone, in document order."""
    rects = []
    for group in card_groups(root):
        if group.get("data-side") == side and group.get("data-extent") == extent:
            (rect,) = [r for r in group.iter(f"{SVG}rect") if r.get("class") == "card"]
            rects.append((float(rect.get("y", "")), float(rect.get("height", ""))))
    return rects


def height(root: ET.Element) -> float:
    return float(root.get("viewBox", "").split()[3])


def test_every_card_shows_code_and_title_and_the_svg_is_accessible() -> None:
    cards = [
        card("A1", "Toekomstdromen", explanation="Ik wil teamleider worden."),
        card("C4", "Collega's", side="stimulating", extent="limited"),
        card("B3", "Geld", side="hindering", extent="limited"),
        card("E3", "Technologische ontwikkeling", side="hindering", extent="large"),
        card(
            "X",
            "Anders, namelijk …",
            side="hindering",
            extent="large",
            position=1,
            custom_name="De buurtvereniging",
        ),
    ]
    root = render(cards)
    text = all_text(root)
    for code in ("A1", "C4", "B3", "E3", "X"):
        assert code in text.split("\n")
    for title in ("Toekomstdromen", "Collega's", "Geld", "Technologische"):
        assert title in text
    assert "buurtvereniging" in text
    assert "Ik wil teamleider worden." in text
    assert root.get("role") == "img"
    assert root.get("aria-label") == LABELS.heading
    assert root.findtext(f"{SVG}title") == LABELS.heading
    assert "Geld" in (root.findtext(f"{SVG}desc") or "")
    assert root.get("font-family") == "system-ui, sans-serif"
    assert root.get("width") == "1200"
    svg = render_board_svg(cards, LABELS)
    assert svg.count("http") == 1  # the SVG namespace; nothing fetched from anywhere
    assert "href" not in svg and "url(" not in svg and "<image" not in svg
    for label in (LABELS.stimulating, LABELS.hindering, LABELS.limited, LABELS.large):
        assert label in text


def test_zones_list_cards_in_position_order_not_input_order() -> None:
    cards = [
        card("C1", "Leidinggevenden", position=2),
        card("A1", "Toekomstdromen", position=0),
        card("B1", "Sociale contacten", position=1),
        card("E1", "Economie", side="hindering", position=0),
    ]
    root = render(cards)
    stimulating_large = [
        g.get("data-code")
        for g in card_groups(root)
        if g.get("data-side") == "stimulating" and g.get("data-extent") == "large"
    ]
    assert stimulating_large == ["A1", "B1", "C1"]
    ys = [y for y, _ in card_rects(root, "stimulating", "large")]
    assert ys == sorted(ys)


def test_empty_board_shows_the_empty_label_in_all_four_zones() -> None:
    root = render([])
    assert all_text(root).split("\n").count(LABELS.empty) == 4
    assert card_groups(root) == []


def test_a_zone_with_cards_has_no_empty_label() -> None:
    root = render(
        [
            card(side=side, extent=extent)
            for side in ("stimulating", "hindering")
            for extent in ("limited", "large")
        ]
    )
    assert LABELS.empty not in all_text(root)


def test_hindering_cards_have_a_shape_cue_besides_colour() -> None:
    root = render([card("A1"), card("B1", side="hindering", extent="limited")])
    by_code = {g.get("data-code"): g for g in card_groups(root)}
    stimulating = by_code["A1"].find(f".//{SVG}rect[@class='card']")
    hindering = by_code["B1"].find(f".//{SVG}rect[@class='card']")
    assert stimulating is not None and hindering is not None
    assert stimulating.get("stroke-dasharray") is None
    assert hindering.get("stroke-dasharray")
    assert "++" in all_text(by_code["A1"])  # stimulating, large
    assert "\u2212" in all_text(by_code["B1"])  # hindering: a minus sign
    assert "\u2212\u2212" not in all_text(by_code["B1"])  # ... limited


def test_hostile_text_is_inert_and_the_svg_still_parses() -> None:
    long_explanation = "<b>bold</b> & " + "x" * 5000
    hostile_labels = PictureLabels(*(HOSTILE for _ in range(7)))
    cards = [
        card("X", "Anders, namelijk …", custom_name=HOSTILE, explanation=HOSTILE),
        card(HOSTILE, HOSTILE, side="hindering", explanation=long_explanation),
    ]
    svg = render_board_svg(cards, hostile_labels)
    root = ET.fromstring(svg)  # parses: nothing broke out of its text node or attribute

    elements = {element.tag for element in root.iter()}
    assert elements <= {f"{SVG}{name}" for name in ("svg", "title", "desc", "rect", "text", "g")}
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.startswith("on") and "href" not in name
            assert "<" not in value or name in {"aria-label", "data-code", "data-category"}
    text = all_text(root)
    assert "<script>alert(1)</script>" in text  # shown to people as plain text
    assert "ë" in text and "🎉" in text
    assert "\x00" not in svg and "\x1b" not in svg
    assert "x" * (EXPLANATION_CHARS + 1) not in text.replace("\n", "")
    longest = max(len(line) for line in text.split("\n"))
    assert longest < 100  # every line was wrapped or cut
    assert len(svg) < 40_000  # the 5000 characters were not carried along


def test_long_explanation_is_cut_to_about_ninety_characters_with_an_ellipsis() -> None:
    words = " ".join(["woord"] * 200)
    root = render([card(explanation=words)])
    (group,) = card_groups(root)
    lines = [
        "".join(t.itertext()) for t in group.iter(f"{SVG}text") if t.get("font-size") == "13.5"
    ]
    shown = " ".join(lines)
    assert shown.endswith("…")
    assert 60 <= len(shown) <= EXPLANATION_CHARS + 2


@pytest.mark.parametrize("side", ["stimulating", "hindering"])
@pytest.mark.parametrize("extent", ["limited", "large"])
def test_twenty_five_cards_in_one_zone_do_not_overlap(side: str, extent: str) -> None:
    cards = [
        card(
            f"E{i}",
            "Overheid en opleidingsfondsen",
            side=side,
            extent=extent,
            position=i,
            explanation="Subsidie voor scholing is lastig aan te vragen. " * (i % 4),
        )
        for i in range(25)
    ]
    root = render(cards)
    rects = card_rects(root, side, extent)
    assert len(rects) == 25
    for (y, h), (next_y, _) in zip(rects, rects[1:], strict=False):
        assert next_y >= y + h
    last_y, last_h = rects[-1]
    assert last_y + last_h <= height(root)


def test_height_grows_with_more_cards() -> None:
    heights = [height(render([card(f"A{i}", position=i) for i in range(n)])) for n in (0, 1, 5, 25)]
    assert heights[0] <= heights[1] < heights[2] < heights[3]
    assert render([]).get("viewBox", "").split()[2] == "1200"


def test_blank_card_shows_its_custom_name() -> None:
    named = card("X", "Anders, namelijk …", custom_name="De buurtvereniging")
    assert "Anders, namelijk De buurtvereniging" in flat(all_text(render([named])))
    plain = replace(named, title="Other")
    assert "Other: De buurtvereniging" in flat(all_text(render([plain])))


def test_an_untitled_card_still_gets_a_card_shape() -> None:
    root = render([card("X", "", custom_name="", explanation="Iets anders.")])
    ((y, h),) = card_rects(root, "stimulating", "large")
    assert h >= 60
    assert "Iets anders." in all_text(root)


def test_a_card_off_the_board_is_refused() -> None:
    with pytest.raises(ValueError, match="not on the board"):
        render_board_svg([card(side="sideways")], LABELS)
