"""Tests for app.deck: the real cards/ load, and every broken file says where it broke.

Broken cases copy the real cards/ into tmp_path and break one file, so each test is one
realistic authoring mistake and the message it must produce.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.deck import (
    Card,
    Deck,
    DeckError,
    Library,
    default_cards_dir,
    load_library,
)

REPO = Path(__file__).resolve().parent.parent

LLO_CODES = [
    *(f"A{n}" for n in range(1, 7)),
    *(f"B{n}" for n in range(1, 6)),
    *(f"C{n}" for n in range(1, 6)),
    *(f"D{n}" for n in range(1, 4)),
    *(f"E{n}" for n in range(1, 6)),
]


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(default_cards_dir())


@pytest.fixture
def cards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the real cards/, as the working directory's cards/."""
    directory = tmp_path / "cards"
    shutil.copytree(default_cards_dir(), directory)
    monkeypatch.chdir(tmp_path)  # so messages read "cards/llo.nl.yaml, …"
    return directory


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    """The 1-based line of the first line containing ``fragment``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in {path.name}")


def load_error(directory: Path) -> DeckError:
    with pytest.raises(DeckError) as caught:
        load_library(directory)
    return caught.value


# --- the real decks -----------------------------------------------------------------------


def test_llo_deck_has_the_research_factors(library: Library) -> None:
    deck = library.deck("llo", "nl")
    assert deck.kind == "factors"
    assert deck.title == "Stimulerende en belemmerende factoren LLO"
    assert deck.credit == "Buiskool, Mazereeuw, Semeijn & Kuijpers, 2025"
    assert [c.code for c in deck.categories] == ["A", "B", "C", "D", "E"]
    assert [f.code for f in deck.factors()] == [*LLO_CODES, "X"]
    assert all(f.category == f.code[0] for f in deck.factors()[:-1])

    a1 = deck.factor("A1")
    assert (a1.title, a1.subtitle) == ("Toekomstdromen", "Aspiraties en vooruitzichten")
    assert deck.factor("B2").subtitle == "Bv. ondersteuning van of zorg voor kinderen"

    blank = deck.factor("X")
    assert blank is deck.blank and blank.blank and blank.category == ""
    assert blank.title == "Anders, namelijk …"


def test_llo_deck_carries_the_printed_stimulating_shares(library: Library) -> None:
    deck = library.deck("llo", "nl")
    shares = {f.code: f.research_stimulating for f in deck.factors()}
    assert None not in shares.values()
    assert shares["C2"] == 96 and shares["A2"] == 92 and shares["E1"] == 0
    assert shares["X"] == 8  # "Anders" in the chart


def test_llo_deck_has_two_cards_per_factor(library: Library) -> None:
    deck = library.deck("llo", "nl")
    cards = deck.cards()
    assert deck.copies == 2
    assert len(cards) == 50
    assert len({card.id for card in cards}) == 50
    assert cards[:2] == [
        Card(id="A1-1", factor_code="A1", copy=1),
        Card(id="A1-2", factor_code="A1", copy=2),
    ]
    assert deck.card("X-2").factor_code == "X"
    with pytest.raises(KeyError):
        deck.card("A1-3")
    with pytest.raises(KeyError):
        deck.factor("Z9")


def test_nl_and_en_decks_share_their_codes(library: Library) -> None:
    for deck_id in library.deck_ids():
        nl, en = library.deck(deck_id, "nl"), library.deck(deck_id, "en")
        assert [f.code for f in nl.factors()] == [f.code for f in en.factors()]
        assert [c.code for c in nl.categories] == [c.code for c in en.categories]
        assert nl.copies == en.copies
    assert library.deck("llo", "en").factor("A1").title == "Future dreams"


def test_outcome_deck(library: Library) -> None:
    assert library.deck_ids() == ["llo", "opbrengsten"]
    deck = library.deck("opbrengsten", "nl")
    assert deck.kind == "outcomes" and deck.copies == 1
    assert [c.code for c in deck.categories] == ["O"]
    assert [f.code for f in deck.factors()] == ["O1", "O2", "O3", "O4", "O5", "O6", "X"]
    assert len(deck.cards()) == 7
    assert library.deck("opbrengsten", "en").categories[0].title == "Outcomes"


def test_script_follows_the_workshop(library: Library) -> None:
    for language in ("nl", "en"):
        script = library.script(language)
        assert [step.number for step in script.steps] == [1, 2, 3, 4, 5, 6, 7]
        three, four = script.steps[2], script.steps[3]
        assert (three.side, four.side) == ("stimulating", "hindering")
        assert len(three.substeps) == len(four.substeps) == 5
        assert script.steps[6].asks == "observer"
        assert all(step.asks == "respondent" for step in script.steps[:6])
        assert len(script.steps[4].substeps) == 1  # the research's extra prompts
    nl = library.script("nl")
    assert nl.steps[1].text == "Beschrijf kort deze ontwikkeling."
    assert "linkerzijde" in nl.steps[2].substeps[1]
    assert "rechterzijde" in nl.steps[3].substeps[1]
    assert nl.steps[3].substeps[3] == "In welke mate belemmerde deze factor?"
    assert "verbanden" in nl.steps[4].substeps[0]


def test_deck_round_trips_through_its_own_dump(library: Library) -> None:
    deck = library.deck("llo", "en")
    assert Deck.model_validate(deck.model_dump()) == deck


# --- broken files -------------------------------------------------------------------------


def test_yaml_syntax_error_names_file_and_line(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "title: Zelfvertrouwen", "title: [Zelfvertrouwen")
    error = load_error(cards)
    assert str(error).startswith(f"cards/llo.nl.yaml, line {line_of(path, 'code: A2') + 2}: ")
    assert "invalid YAML" in error.message
    assert f"starts on line {line_of(path, '[Zelfvertrouwen')}" in error.message


def test_missing_title_names_line_and_key_path(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "        title: Zelfreflectie\n", "")
    error = load_error(cards)
    line = line_of(path, "- code: A3")
    assert str(error) == (
        f"cards/llo.nl.yaml, line {line}, categories[0].factors[2].title: Field required"
    )
    assert (error.path, error.line) == (cards / "llo.nl.yaml", line)
    assert error.location == "categories[0].factors[2].title"
    assert error.message == "Field required"


def test_empty_subtitle_is_refused(cards: Path) -> None:
    path = cards / "llo.en.yaml"
    edit(path, "subtitle: Aspirations and prospects", "subtitle: '  '")
    error = load_error(cards)
    assert error.line == line_of(path, "subtitle: '  '")
    assert error.location == "categories[0].factors[0].subtitle"
    assert "at least 1 character" in error.message


def test_unknown_key_is_named_with_the_allowed_ones(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "        title: Gezondheid\n", "        title: Gezondheid\n        kleur: rood\n")
    error = load_error(cards)
    assert error.line == line_of(path, "kleur: rood")
    assert error.location == "categories[0].factors[4].kleur"
    assert error.message == (
        "unknown key 'kleur'; expected one of: code, title, subtitle, research_stimulating"
    )


def test_duplicate_factor_code(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "code: A3", "code: A2")
    error = load_error(cards)
    assert error.line == line_of(path, "title: Zelfreflectie") - 1
    assert error.location == "categories[0].factors[2].code"
    assert error.message == "duplicate factor code 'A2' (also categories[0].factors[1])"


def test_duplicate_category_code(cards: Path) -> None:
    path = cards / "opbrengsten.nl.yaml"
    edit(
        path,
        "\n# De lege kaart",
        "  - code: O\n    title: Nog eens\n    factors:\n"
        "      - {code: O7, title: Zeven, subtitle: Zeven}\n\n# De lege kaart",
    )
    error = load_error(cards)
    assert error.line == line_of(path, "title: Nog eens") - 1
    assert error.location == "categories[1].code"
    assert error.message == "duplicate category code 'O' (also categories[0])"


def test_factor_code_must_start_with_its_category(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "code: B2", "code: A9")
    error = load_error(cards)
    assert error.line == line_of(path, "code: A9")
    assert error.location == "categories[1].factors[1].code"
    assert "'A9' must start with its category code 'B'" in error.message


def test_nl_en_mismatch_names_the_english_file(cards: Path) -> None:
    path = cards / "llo.en.yaml"
    edit(path, "code: D3", "code: D4")
    edit(path, "D1, D2, D3]", "D1, D2, D4]")  # its conversion types follow the new code
    error = load_error(cards)
    assert error.path == path
    assert error.line == line_of(path, "code: D4")
    assert error.location == "categories[3].factors[2].code"
    assert error.message == "'D4' does not match 'D3' in llo.nl.yaml"


def test_nl_en_mismatch_in_research_share(cards: Path) -> None:
    edit(cards / "llo.en.yaml", "research_stimulating: 63", "research_stimulating: 36")
    error = load_error(cards)
    assert str(error).startswith("cards/llo.en.yaml, line ")
    assert error.message == "36 does not match 63 in llo.nl.yaml"


def test_a_deck_needs_both_languages(cards: Path) -> None:
    (cards / "opbrengsten.en.yaml").unlink()
    error = load_error(cards)
    assert error.path == cards / "opbrengsten.nl.yaml"
    assert "no en version: add opbrengsten.en.yaml" in str(error)


def test_file_name_must_match_the_id(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "id: llo", "id: llo-kaarten")
    error = load_error(cards)
    assert str(error) == (
        f"cards/llo.nl.yaml, line {line_of(path, 'id: llo-kaarten')}, id: "
        "'llo-kaarten' does not match the file name llo.nl.yaml (expected 'llo')"
    )


def test_file_name_must_match_the_language(cards: Path) -> None:
    path = cards / "script.en.yaml"
    edit(path, "language: en", "language: nl")
    error = load_error(cards)
    assert error.location == "language"
    assert "does not match the file name script.en.yaml (expected 'en')" in error.message


def test_file_name_must_have_id_and_language(cards: Path) -> None:
    (cards / "llo.nl.yaml").rename(cards / "llo.yaml")
    error = load_error(cards)
    assert str(error) == (
        "cards/llo.yaml: file name must be <id>.<language>.yaml with language nl or en"
    )


def test_copies_must_be_an_integer(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "copies: 2", "copies: twee")
    error = load_error(cards)
    assert str(error) == (
        f"cards/llo.nl.yaml, line {line_of(path, 'copies:')}, copies: "
        "Input should be a valid integer, got 'twee'"
    )


def test_copies_as_a_quoted_number_is_refused_too(cards: Path) -> None:
    edit(cards / "llo.nl.yaml", "copies: 2", "copies: '2'")
    assert load_error(cards).message == "Input should be a valid integer, got '2'"


def test_duplicate_yaml_key(cards: Path) -> None:
    path = cards / "llo.en.yaml"
    edit(path, "        title: Health\n", "        title: Health\n        title: Wellbeing\n")
    error = load_error(cards)
    assert error.line == line_of(path, "title: Wellbeing")
    assert error.message == f"duplicate key (first on line {line_of(path, 'title: Health')})"


def test_unknown_kind(cards: Path) -> None:
    edit(cards / "opbrengsten.nl.yaml", "kind: outcomes", "kind: effects")
    error = load_error(cards)
    assert error.location == "kind"
    assert error.message == "Input should be 'factors', 'outcomes' or 'script', not 'effects'"


def test_script_steps_are_numbered_in_order(cards: Path) -> None:
    path = cards / "script.nl.yaml"
    edit(path, "number: 6", "number: 7")
    error = load_error(cards)
    assert error.line == line_of(path, "number: 7")
    assert error.location == "steps[5].number"
    assert "expected 6, got 7" in error.message


def test_script_translation_keeps_the_structure(cards: Path) -> None:
    path = cards / "script.en.yaml"
    edit(path, "    asks: observer\n", "")
    error = load_error(cards)
    assert error.path == path
    assert error.location == "steps[6].asks"
    assert error.message == "'respondent' does not match 'observer' in script.nl.yaml"


def test_both_scripts_are_required(cards: Path) -> None:
    (cards / "script.en.yaml").unlink()
    assert "no en script" in load_error(cards).message


# --- command line -------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.deck", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_summarises_each_file() -> None:
    result = run_cli()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(list(default_cards_dir().glob("*.yaml")))
    assert any(
        line.startswith("cards/llo.nl.yaml: ") and "24 factors + blank, 50 cards" in line
        for line in lines
    )
    assert any(line.startswith("cards/script.en.yaml: ") and "7 steps" in line for line in lines)


def test_cli_reports_the_error_and_exits_1(cards: Path) -> None:
    edit(cards / "llo.nl.yaml", "code: B2", "code: A9")
    result = run_cli(str(cards))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "llo.nl.yaml, line " in result.stderr
    assert "categories[1].factors[1].code: factor code 'A9'" in result.stderr


# --- the research's types of conversion factor -----------------------------------------


def test_the_llo_deck_carries_the_research_types_of_conversion_factor() -> None:
    library = load_library(default_cards_dir())
    for language, titles in (
        ("nl", ["Persoonlijke", "Sociale", "Werk/organisatie", "Systeemconversiefactoren"]),
        ("en", ["Personal", "Social", "Work/organisation", "System"]),
    ):
        deck = library.deck("llo", language)
        kinds = deck.conversion_types
        assert [k.code for k in kinds] == ["PERSONAL", "SOCIAL", "WORK", "SYSTEM"]
        assert [k.title.split()[0] for k in kinds] == titles
        # The research chart: employer and job characteristics together are work/organisation.
        assert kinds[2].factors == ["C1", "C2", "C3", "C4", "C5", "D1", "D2", "D3"]
        assert sorted(c for k in kinds for c in k.factors) == sorted(
            f.code for f in deck.factors() if not f.blank
        )


def test_a_conversion_type_names_only_factors_of_the_deck(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "[E1, E2, E3, E4, E5]", "[E1, E2, E3, E4, E5, E9]")
    error = load_error(cards)
    assert error.path == path
    assert error.location == "conversion_types[3].factors[5]"
    assert error.message == "'E9' is not a factor of this deck"


def test_every_factor_has_exactly_one_conversion_type(cards: Path) -> None:
    path = cards / "llo.nl.yaml"
    edit(path, "[E1, E2, E3, E4, E5]", "[E1, E2, E3, E4]")
    assert load_error(cards).message == "factors without a type: E5"
    edit(path, "[E1, E2, E3, E4]", "[E1, E2, E3, E4, A1]")
    assert load_error(cards).message == "factor 'A1' already has a type (PERSONAL)"


def test_nl_en_conversion_types_must_match(cards: Path) -> None:
    path = cards / "llo.en.yaml"
    edit(path, "[C1, C2, C3, C4, C5, D1, D2, D3]", "[C1, C2, C3, C4, C5, D1, D2]")
    edit(path, "[E1, E2, E3, E4, E5]", "[E1, E2, E3, E4, E5, D3]")
    error = load_error(cards)
    assert error.path == path
    assert error.location == "conversion_types"
    assert "llo.nl.yaml" in error.message
