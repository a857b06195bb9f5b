"""The board: where cards lie, and the rules for placing, moving, returning and explaining them.

A board is an immutable tuple of placements; every rule is a function that takes a board and
returns the next one, or raises a Refusal. No I/O: the web layer translates, the database stores.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from app.game.refusal import Refusal

BLANK_FACTOR = "X"  # "Anders, namelijk …": the card the respondent names
MAX_EXPLANATION = 2000
MAX_CUSTOM_NAME = 80


class Side(StrEnum):
    STIMULATING = "stimulating"  # left half: "Welke factoren stimuleren LLO?"
    HINDERING = "hindering"  # right half: "Welke factoren beperken LLO?"


class Extent(StrEnum):
    LIMITED = "limited"  # "In beperkte mate"
    LARGE = "large"  # "In grote mate"


@dataclass(frozen=True)
class Placement:
    card: str  # e.g. "A1-2": factor A1, second copy
    factor: str
    side: Side
    extent: Extent
    position: int  # 0-based order within its zone
    explanation: str = ""
    custom_name: str = ""


Board = tuple[Placement, ...]
ZONES: tuple[tuple[Side, Extent], ...] = tuple((s, e) for s in Side for e in Extent)


def zone(board: Board, side: Side, extent: Extent) -> list[Placement]:
    return sorted(
        (p for p in board if p.side == side and p.extent == extent), key=lambda p: p.position
    )


def find(board: Board, card: str) -> Placement | None:
    return next((p for p in board if p.card == card), None)


def _renumbered(placements: list[Placement]) -> Board:
    """Positions are always 0..n-1 per zone, in board order: one canonical form to compare."""
    result: list[Placement] = []
    for side, extent in ZONES:
        in_zone = [p for p in placements if p.side == side and p.extent == extent]
        result.extend(
            p if p.position == i else replace(p, position=i) for i, p in enumerate(in_zone)
        )
    return tuple(result)


def _ordered(board: Board) -> list[Placement]:
    out: list[Placement] = []
    for side, extent in ZONES:
        out.extend(zone(board, side, extent))
    return out


def place(board: Board, card: str, factor: str, side: Side, extent: Extent, position: int) -> Board:
    """Lay `card` (from the hand or from elsewhere on the board) in a zone at `position`."""
    if position < 0:
        raise Refusal("bad_position", "That place on the board does not exist.", status=422)
    current = find(board, card)
    # Two cards per factor so it can lie on both sides — but never twice on one side.
    twin = next(
        (p for p in board if p.factor == factor and p.side == side and p.card != card),
        None,
    )
    if twin is not None and factor != BLANK_FACTOR:
        raise Refusal("factor_on_side", "This factor already lies on this side of the board.")
    rest = [p for p in _ordered(board) if p.card != card]
    moved = Placement(
        card=card,
        factor=factor,
        side=side,
        extent=extent,
        position=0,
        explanation=current.explanation if current else "",
        custom_name=current.custom_name if current else "",
    )
    target = [p for p in rest if p.side == side and p.extent == extent]
    index = min(position, len(target))
    # Insert before the card now at `index` in the target zone (or at the zone's end).
    if index < len(target):
        at = _index_of(rest, target[index])
    elif target:
        at = _index_of(rest, target[-1]) + 1
    else:
        at = len(rest)
    rest.insert(at, moved)
    return _renumbered(rest)


def _index_of(placements: list[Placement], wanted: Placement) -> int:
    # By identity: list.index would compare every placement field by field on the way.
    return next(i for i, p in enumerate(placements) if p is wanted)


def take_back(board: Board, card: str) -> Board:
    if find(board, card) is None:
        raise Refusal("not_on_board", "This card is not on the board.")
    return _renumbered([p for p in _ordered(board) if p.card != card])


def explain(board: Board, card: str, text: str) -> Board:
    placement = find(board, card)
    if placement is None:
        raise Refusal("not_on_board", "This card is not on the board.")
    if len(text) > MAX_EXPLANATION:
        raise Refusal("text_too_long", "This text is too long.", status=422)
    return tuple(replace(p, explanation=text) if p.card == card else p for p in board)


def name_blank(board: Board, card: str, text: str) -> Board:
    placement = find(board, card)
    if placement is None:
        raise Refusal("not_on_board", "This card is not on the board.")
    if placement.factor != BLANK_FACTOR:
        raise Refusal(
            "not_blank", "Only an 'other, namely …' card can be given a name.", status=422
        )
    name = " ".join(text.split())
    if len(name) > MAX_CUSTOM_NAME:
        raise Refusal("text_too_long", "This text is too long.", status=422)
    return tuple(replace(p, custom_name=name) if p.card == card else p for p in board)
