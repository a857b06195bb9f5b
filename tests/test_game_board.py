"""The board rules (app.game.board): placing, moving, ordering, returning, explaining, naming.

Pure functions, so these tests build boards by hand and need no app, database or clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.game.board import (
    BLANK_FACTOR,
    MAX_CUSTOM_NAME,
    MAX_EXPLANATION,
    ZONES,
    Board,
    Extent,
    Side,
    find,
    place,
    take_back,
    zone,
)
from app.game.board import explain as explain_card
from app.game.board import name_blank as name_card
from app.game.refusal import Refusal

STIM, HIND = Side.STIMULATING, Side.HINDERING
LIMITED, LARGE = Extent.LIMITED, Extent.LARGE


def factor_of(card: str) -> str:
    """ "A1-2" is factor A1, copy 2 — as the deck names its cards."""
    return card.rsplit("-", 1)[0]


def lay(board: Board, card: str, side: Side, extent: Extent, position: int = 99) -> Board:
    return place(board, card, factor_of(card), side, extent, position)


def cards_in(board: Board, side: Side, extent: Extent) -> list[str]:
    return [p.card for p in zone(board, side, extent)]


def assert_canonical(board: Board) -> None:
    """Positions run 0..n-1 in every zone; a card lies at most once; a factor once per side."""
    for side, extent in ZONES:
        positions = sorted(p.position for p in board if p.side == side and p.extent == extent)
        assert positions == list(range(len(positions))), (side, extent, positions)
    cards = Counter(p.card for p in board)
    assert all(n == 1 for n in cards.values()), cards
    per_side = Counter((p.factor, p.side) for p in board if p.factor != BLANK_FACTOR)
    assert all(n == 1 for n in per_side.values()), per_side


def refusal_code(call: Callable[..., object], *args: object) -> str:
    with pytest.raises(Refusal) as refused:
        call(*args)
    return refused.value.code


# --- placing from the hand ---------------------------------------------------------------


def test_place_from_the_hand_lays_the_card_in_its_zone() -> None:
    board = lay((), "A1-1", STIM, LARGE, 0)
    assert len(board) == 1
    placed = find(board, "A1-1")
    assert placed is not None
    assert (placed.factor, placed.side, placed.extent, placed.position) == ("A1", STIM, LARGE, 0)
    assert placed.explanation == "" and placed.custom_name == ""


def test_boards_are_values_a_rule_never_changes_the_board_it_was_given() -> None:
    before = lay((), "A1-1", STIM, LARGE)
    after = lay(before, "A2-1", STIM, LARGE)
    assert [p.card for p in before] == ["A1-1"]
    assert [p.card for p in after] == ["A1-1", "A2-1"]


def test_position_is_the_index_the_card_gets_in_its_zone() -> None:
    board = lay((), "A1-1", STIM, LARGE, 0)
    board = lay(board, "A2-1", STIM, LARGE, 0)  # before A1
    board = lay(board, "A3-1", STIM, LARGE, 1)  # between them
    assert cards_in(board, STIM, LARGE) == ["A2-1", "A3-1", "A1-1"]
    assert [p.position for p in zone(board, STIM, LARGE)] == [0, 1, 2]


def test_a_position_beyond_the_end_puts_the_card_last() -> None:
    board = lay((), "A1-1", HIND, LIMITED, 0)
    board = lay(board, "A2-1", HIND, LIMITED, 57)
    placed = find(board, "A2-1")
    assert placed is not None and placed.position == 1
    board = lay(board, "A3-1", HIND, LARGE, 5)  # an empty zone: position 0
    placed = find(board, "A3-1")
    assert placed is not None and placed.position == 0


def test_a_negative_position_is_refused_and_changes_nothing() -> None:
    board = lay((), "A1-1", STIM, LARGE)
    with pytest.raises(Refusal) as refused:
        lay(board, "A2-1", STIM, LARGE, -1)
    assert refused.value.code == "bad_position" and refused.value.status == 422
    assert refusal_code(lay, board, "A1-1", HIND, LARGE, -3) == "bad_position"  # nor a move
    assert [p.card for p in board] == ["A1-1"]


# --- moving between zones and within one ----------------------------------------------------


def test_moving_to_another_zone_closes_the_gap_it_leaves() -> None:
    board: Board = ()
    for card in ("A1-1", "A2-1", "A3-1"):
        board = lay(board, card, STIM, LARGE)
    board = lay(board, "A2-1", HIND, LIMITED, 0)
    assert cards_in(board, STIM, LARGE) == ["A1-1", "A3-1"]
    assert [p.position for p in zone(board, STIM, LARGE)] == [0, 1]
    assert cards_in(board, HIND, LIMITED) == ["A2-1"]
    assert len(board) == 3
    assert_canonical(board)


def test_moving_into_a_filled_zone_inserts_before_the_card_at_that_index() -> None:
    board: Board = ()
    for card in ("A1-1", "A2-1"):
        board = lay(board, card, STIM, LIMITED)
    board = lay(board, "B1-1", STIM, LARGE)
    board = lay(board, "B1-1", STIM, LIMITED, 1)
    assert cards_in(board, STIM, LIMITED) == ["A1-1", "B1-1", "A2-1"]
    assert cards_in(board, STIM, LARGE) == []
    assert_canonical(board)


@pytest.mark.parametrize(
    ("card", "position", "expected"),
    [
        ("A1-1", 0, ["A1", "A2", "A3", "A4"]),  # where it already is
        ("A1-1", 2, ["A2", "A3", "A1", "A4"]),  # down: it ends up at index 2
        ("A1-1", 3, ["A2", "A3", "A4", "A1"]),
        ("A1-1", 40, ["A2", "A3", "A4", "A1"]),  # beyond the end: last
        ("A4-1", 0, ["A4", "A1", "A2", "A3"]),  # up to the front
        ("A3-1", 1, ["A1", "A3", "A2", "A4"]),
        ("A2-1", 2, ["A1", "A3", "A2", "A4"]),
    ],
)
def test_reordering_within_a_zone(card: str, position: int, expected: list[str]) -> None:
    board: Board = ()
    for factor in ("A1", "A2", "A3", "A4"):
        board = lay(board, f"{factor}-1", HIND, LARGE)
    board = lay(board, card, HIND, LARGE, position)
    assert cards_in(board, HIND, LARGE) == [f"{factor}-1" for factor in expected]
    assert [p.position for p in zone(board, HIND, LARGE)] == [0, 1, 2, 3]
    assert_canonical(board)


def test_reordering_one_zone_leaves_the_other_zones_alone() -> None:
    board: Board = ()
    for card, side, extent in [
        ("A1-1", STIM, LIMITED),
        ("A2-1", STIM, LIMITED),
        ("B1-1", STIM, LARGE),
        ("B2-1", HIND, LARGE),
        ("B3-1", HIND, LARGE),
    ]:
        board = lay(board, card, side, extent)
    board = lay(board, "A2-1", STIM, LIMITED, 0)
    assert cards_in(board, STIM, LIMITED) == ["A2-1", "A1-1"]
    assert cards_in(board, STIM, LARGE) == ["B1-1"]
    assert cards_in(board, HIND, LARGE) == ["B2-1", "B3-1"]
    assert cards_in(board, HIND, LIMITED) == []


# --- two cards per factor -----------------------------------------------------------------


def test_the_same_factor_may_lie_on_both_sides() -> None:
    board = lay((), "A1-1", STIM, LARGE)
    board = lay(board, "A1-2", HIND, LIMITED)
    assert {(p.card, p.side) for p in board} == {("A1-1", STIM), ("A1-2", HIND)}
    assert_canonical(board)


@pytest.mark.parametrize("extent", [LIMITED, LARGE])
def test_the_same_factor_twice_on_one_side_is_refused(extent: Extent) -> None:
    board = lay((), "A1-1", STIM, LARGE)
    with pytest.raises(Refusal) as refused:
        lay(board, "A1-2", STIM, extent)
    assert refused.value.code == "factor_on_side"
    assert [p.card for p in board] == ["A1-1"]


def test_moving_a_card_onto_the_side_where_its_twin_lies_is_refused() -> None:
    board = lay((), "A1-1", STIM, LARGE)
    board = lay(board, "A1-2", HIND, LARGE)
    assert refusal_code(lay, board, "A1-2", STIM, LIMITED, 0) == "factor_on_side"
    # Within its own side a card moves freely: its twin is on the other side.
    board = lay(board, "A1-2", HIND, LIMITED, 0)
    board = lay(board, "A1-1", STIM, LIMITED, 0)
    assert {(p.card, p.side, p.extent) for p in board} == {
        ("A1-1", STIM, LIMITED),
        ("A1-2", HIND, LIMITED),
    }


def test_blank_cards_may_lie_together_on_one_side() -> None:
    """Every "Anders, namelijk …" card names a different factor, so X may repeat."""
    board = lay((), "X-1", STIM, LARGE)
    board = lay(board, "X-2", STIM, LARGE)
    assert cards_in(board, STIM, LARGE) == ["X-1", "X-2"]
    board = lay(board, "X-2", STIM, LIMITED)
    assert cards_in(board, STIM, LIMITED) == ["X-2"]


# --- taking back ------------------------------------------------------------------------------


def test_take_back_returns_the_card_to_the_hand_and_renumbers() -> None:
    board: Board = ()
    for card in ("A1-1", "A2-1", "A3-1"):
        board = lay(board, card, HIND, LIMITED)
    board = take_back(board, "A1-1")
    assert find(board, "A1-1") is None
    assert cards_in(board, HIND, LIMITED) == ["A2-1", "A3-1"]
    assert [p.position for p in zone(board, HIND, LIMITED)] == [0, 1]


def test_take_back_frees_the_side_for_the_twin() -> None:
    board = lay((), "A1-1", STIM, LARGE)
    board = take_back(board, "A1-1")
    board = lay(board, "A1-2", STIM, LARGE)
    assert [p.card for p in board] == ["A1-2"]


def test_take_back_of_a_card_in_the_hand_is_refused() -> None:
    board = lay((), "A1-1", STIM, LARGE)
    assert refusal_code(take_back, board, "A1-2") == "not_on_board"
    assert refusal_code(take_back, (), "A1-1") == "not_on_board"


def test_a_card_taken_back_and_laid_again_starts_without_explanation() -> None:
    board = explain_card(lay((), "A1-1", STIM, LARGE), "A1-1", "Mijn leidinggevende")
    board = lay(take_back(board, "A1-1"), "A1-1", STIM, LARGE)
    placed = find(board, "A1-1")
    assert placed is not None and placed.explanation == ""


# --- explaining and naming ----------------------------------------------------------------


def test_explain_sets_the_explanation_of_one_card() -> None:
    board = lay(lay((), "A1-1", STIM, LARGE), "A2-1", STIM, LARGE)
    board = explain_card(board, "A1-1", "Hij wil teamleider worden.")
    first, second = find(board, "A1-1"), find(board, "A2-1")
    assert first is not None and first.explanation == "Hij wil teamleider worden."
    assert second is not None and second.explanation == ""
    board = explain_card(board, "A1-1", "")  # cleared again
    first = find(board, "A1-1")
    assert first is not None and first.explanation == ""


def test_explanation_has_a_limit() -> None:
    board = lay((), "A1-1", STIM, LARGE)
    longest = "x" * MAX_EXPLANATION
    placed = find(explain_card(board, "A1-1", longest), "A1-1")
    assert placed is not None and placed.explanation == longest
    with pytest.raises(Refusal) as refused:
        explain_card(board, "A1-1", longest + "x")
    assert refused.value.code == "text_too_long" and refused.value.status == 422


def test_explain_needs_the_card_on_the_board() -> None:
    assert refusal_code(explain_card, (), "A1-1", "waarom") == "not_on_board"


def test_name_blank_names_only_a_blank_card() -> None:
    board = lay(lay((), "X-1", HIND, LARGE), "A1-1", HIND, LARGE)
    board = name_card(board, "X-1", "  Reistijd   naar de\ncursus ")
    blank = find(board, "X-1")
    assert blank is not None and blank.custom_name == "Reistijd naar de cursus"
    with pytest.raises(Refusal) as refused:
        name_card(board, "A1-1", "Iets anders")
    assert refused.value.code == "not_blank"
    assert refusal_code(name_card, board, "X-2", "Niet gelegd") == "not_on_board"


def test_custom_name_has_a_limit() -> None:
    board = lay((), "X-1", HIND, LARGE)
    named = find(name_card(board, "X-1", "n" * MAX_CUSTOM_NAME), "X-1")
    assert named is not None and len(named.custom_name) == MAX_CUSTOM_NAME
    assert refusal_code(name_card, board, "X-1", "n" * (MAX_CUSTOM_NAME + 1)) == "text_too_long"


def test_explanation_and_name_survive_moves() -> None:
    board = lay(lay((), "X-1", STIM, LIMITED), "A1-1", STIM, LIMITED)
    board = name_card(board, "X-1", "Reistijd")
    board = explain_card(board, "X-1", "Twee uur heen en terug.")
    board = explain_card(board, "A1-1", "Wil verder.")
    board = lay(board, "X-1", HIND, LARGE, 0)  # to another zone
    board = lay(board, "A1-1", STIM, LIMITED, 5)  # within its zone
    board = lay(board, "A1-1", STIM, LARGE, 0)  # to the other extent
    blank, card = find(board, "X-1"), find(board, "A1-1")
    assert blank is not None and (blank.custom_name, blank.explanation) == (
        "Reistijd",
        "Twee uur heen en terug.",
    )
    assert (blank.side, blank.extent) == (HIND, LARGE)
    assert card is not None and card.explanation == "Wil verder."


# --- a property: whatever phones do, the board stays well-formed ----------------------------

CARDS = ["A1-1", "A1-2", "A2-1", "A2-2", "B1-1", "X-1", "X-2"]
place_op = st.tuples(
    st.just("place"),
    st.sampled_from(CARDS),
    st.sampled_from(list(Side)),
    st.sampled_from(list(Extent)),
    st.integers(min_value=-2, max_value=8),
)
take_back_op = st.tuples(st.just("take_back"), st.sampled_from(CARDS))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(place_op, take_back_op), max_size=40))
def test_any_sequence_of_moves_keeps_the_board_canonical(operations: list[tuple]) -> None:
    """Checked against a plain model: a list of cards per zone, inserted at min(position, n)."""
    board: Board = ()
    model: dict[tuple[Side, Extent], list[str]] = {z: [] for z in ZONES}

    def where(card: str) -> tuple[Side, Extent] | None:
        return next((z for z, cards in model.items() if card in cards), None)

    for operation in operations:
        if operation[0] == "place":
            _, card, side, extent, position = operation
            factor = factor_of(card)
            twin_on_side = any(
                other != card and factor_of(other) == factor
                for (zone_side, _), cards in model.items()
                if zone_side == side
                for other in cards
            )
            if position < 0:
                assert refusal_code(lay, board, card, side, extent, position) == "bad_position"
            elif twin_on_side and factor != BLANK_FACTOR:
                assert refusal_code(lay, board, card, side, extent, position) == "factor_on_side"
            else:
                board = lay(board, card, side, extent, position)
                old = where(card)
                if old is not None:
                    model[old].remove(card)
                target = model[(side, extent)]
                target.insert(min(position, len(target)), card)
        else:
            _, card = operation
            if where(card) is None:
                assert refusal_code(take_back, board, card) == "not_on_board"
            else:
                board = take_back(board, card)
                model[where(card)].remove(card)  # type: ignore[index]
        assert_canonical(board)
        for side, extent in ZONES:
            assert cards_in(board, side, extent) == model[(side, extent)]
