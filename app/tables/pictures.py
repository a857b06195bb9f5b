"""The board kept as a picture when a round ends: the digital "photo" of the paper game."""

from __future__ import annotations

from fastapi import Response

from app.deck import Deck
from app.game.board import BLANK_FACTOR, Board, Extent, Side
from app.game.format import Format
from app.models import Workshop, WorkshopTable
from app.summary.board_picture import PictureCard, PictureLabels, render_board_svg
from app.web import translate


def picture_of(
    board: Board,
    deck: Deck,
    game: Format,
    workshop: Workshop,
    table: WorkshopTable,
    round_number: int,
) -> str:
    lang = workshop.language

    def _(message: str, **params: object) -> str:
        return translate(lang, message, params or None)

    cards = []
    for placement in board:
        factor = deck.factor(placement.factor)
        cards.append(
            PictureCard(
                code=factor.code,
                title=factor.title,
                custom_name=placement.custom_name if placement.factor == BLANK_FACTOR else "",
                side=placement.side.value,
                extent=placement.extent.value,
                position=placement.position,
                explanation=placement.explanation,
                category=factor.category,
            )
        )
    respondent = game.role(game.step(round_number).leader).name(lang)
    words = game.board
    labels = PictureLabels(
        heading=" · ".join(
            (_("Table %(n)s", n=table.number), _("Round %(n)s", n=round_number), respondent)
        ),
        stimulating=words.side(Side.STIMULATING).question(lang),
        hindering=words.side(Side.HINDERING).question(lang),
        limited=words.extent(Extent.LIMITED).name(lang),
        large=words.extent(Extent.LARGE).name(lang),
        empty=_("No cards"),
        footer=f"{workshop.title} · {workshop.date.strftime('%d-%m-%Y')}",
    )
    return render_board_svg(cards, labels)


def svg_response(svg: str) -> Response:
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
