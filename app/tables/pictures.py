"""The board kept as a picture when a round ends: the digital "photo" of the paper game."""

from __future__ import annotations

from fastapi import Response

from app.deck import Deck
from app.game.board import BLANK_FACTOR, Board
from app.game.roles import ROLE_LABELS, Role
from app.models import Workshop, WorkshopTable
from app.summary.board_picture import PictureCard, PictureLabels, render_board_svg
from app.web import translate


def picture_of(
    board: Board, deck: Deck, workshop: Workshop, table: WorkshopTable, round_number: int
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
    respondent = _(ROLE_LABELS[Role.RESPONDENT_1 if round_number == 1 else Role.RESPONDENT_2])
    labels = PictureLabels(
        heading=" · ".join(
            (_("Table %(n)s", n=table.number), _("Round %(n)s", n=round_number), respondent)
        ),
        stimulating=_("Which factors stimulate lifelong learning?"),
        hindering=_("Which factors limit lifelong learning?"),
        limited=_("To a limited extent"),
        large=_("To a large extent"),
        empty=_("No cards"),
        footer=f"{workshop.title} · {workshop.date.strftime('%d-%m-%Y')}",
    )
    return render_board_svg(cards, labels)


def svg_response(svg: str) -> Response:
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
