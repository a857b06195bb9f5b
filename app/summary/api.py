"""The summary's JSON twins (summary.json, plenary.json, report.json) and the share-link API.

As Datasette does, each page has a twin at its own address plus ``.json``, under the same
link and with the same access: /f/<token>/summary.json for the facilitator,
/s/<token>/summary.json for a share link. A twin takes the page's query (filters, order) and
is made from the page's own context (router.py's `_summary_context`, `_report_context`), so
it carries exactly what the page shows. Share links are made and revoked over the API as on
the summary page, with the facilitator token as bearer like every other change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, cast

from fastapi import APIRouter, Header, Request, Response

from app.api_errors import errors
from app.deck import Deck
from app.deps import RowNumber, SessionDep, SettingsDep
from app.game.refusal import Refusal
from app.models import ShareLink
from app.summary import api_models as m
from app.summary.aggregate import Chart, RecommendationGroup
from app.summary.records import InterviewRecord, WorkshopRecord
from app.summary.router import (
    ChartQueryDep,
    _page,
    _report_context,
    _sharing_and_privacy,
    _viewer,
)
from app.summary.shares import create_share, revoke_share, shares_of
from app.summary.views import file_name
from app.web import base_url, translate
from app.workshops.router import _api_workshop

router = APIRouter(tags=["summary"])

_LINK_ERRORS = errors(
    404,
    410,
    422,
    why={
        404: "The link is not valid (any more): unknown_link, also for a revoked share link.",
        422: "A filter or order that does not exist (bad_filter), or a malformed query.",
    },
)


def _twin(path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a page's twin under the facilitator link and under share links."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        for access, who in (("f", "the facilitator link"), ("s", "a share link")):
            router.get(
                f"/{access}/{{token}}{path}",
                responses=_LINK_ERRORS,
                summary=f"{endpoint.__doc__ or ''} ({who})".strip(),
                **options,
            )(endpoint)
        return endpoint

    return register


def _meta(context: Mapping[str, object]) -> m.WorkshopMeta:
    record = cast(WorkshopRecord, context["record"])
    deck = cast(Deck, context["deck"])
    return m.WorkshopMeta(
        id=record.id,
        title=record.title,
        date=record.date,
        organisation=record.organisation,
        tables=record.table_count,
        language=record.language,
        deck=record.deck_id,
        deck_title=deck.title,
    )


def _figures(context: Mapping[str, object], key: str) -> m.Figures:
    record = cast(WorkshopRecord, context["record"])
    return m.figures(cast(Chart, context[key]), [record.id])


def _recommendations(context: Mapping[str, object]) -> list[m.RecommendationGroupOut]:
    return m.recommendations(cast(Sequence[RecommendationGroup], context["recommendations"]))


def _interviews(
    context: Mapping[str, object], interviews: Sequence[InterviewRecord], *, picture: bool
) -> list[m.InterviewOut]:
    factor_title = cast(Callable[[str], str], context["factor_title"])
    labels = cast(Mapping[str, str], context["note_labels"])
    fields = cast(Sequence[str], context["note_fields"])
    return [m.interview(i, factor_title, labels, fields, picture=picture) for i in interviews]


@_twin("/summary.json", response_model=m.SummaryPage)
def summary_json(
    token: str, request: Request, session: SessionDep, query: ChartQueryDep
) -> m.SummaryPage:
    """The summary page as JSON"""
    viewer, context = _page(token, request, session, query, pictures=False)
    context |= _sharing_and_privacy(session, viewer)
    record = cast(WorkshopRecord, context["record"])
    language = record.language
    shares = cast(list[ShareLink], context["shares"])
    downloads = cast(list[tuple[str, str, str]], context["downloads"])
    query_string = str(context["query"])
    return m.SummaryPage(
        workshop=_meta(context),
        read_only=not viewer.facilitator,
        interviews_with_cards=cast(Chart, context["overall"]).n,
        filter_text=str(context["filter_text"]),
        query=query_string,
        chart_svg_url=f"{viewer.base}/chart.svg" + (f"?{query_string}" if query_string else ""),
        figures=_figures(context, "chart"),
        recommendations=_recommendations(context),
        downloads=[
            m.Download(label=translate(language, label), url=url, file_name=name)
            for label, url, name in downloads
        ],
        shares=[_share(s) for s in shares] if viewer.facilitator else None,
        privacy=m.Privacy(
            retention_days=record.retention_days,
            delete_on=cast(dt.date, context["delete_on"]),
            choices=list(cast(Sequence[int], context["retention_choices"]))
            if viewer.facilitator
            else None,
        ),
    )


@_twin("/plenary.json", response_model=m.PlenaryPage)
def plenary_json(
    token: str, request: Request, session: SessionDep, query: ChartQueryDep
) -> m.PlenaryPage:
    """The plenary round as JSON"""
    _, context = _page(token, request, session, query, pictures=True)
    record = cast(WorkshopRecord, context["record"])
    # The plenary's slides: the interviews with at least one card (plenary.html's `shown`).
    shown = [i for i in record.interviews if i.counted]
    return m.PlenaryPage(
        workshop=_meta(context),
        filter_text=str(context["filter_text"]),
        figures=_figures(context, "chart"),
        slides=_interviews(context, shown, picture=True),
        recommendations=_recommendations(context),
    )


@_twin("/report.json", response_model=m.ReportPage)
def report_json(token: str, request: Request, session: SessionDep) -> m.ReportPage:
    """The report as JSON"""
    viewer = _viewer(session, request, token)
    record, deck, context = _report_context(viewer, session)
    return m.ReportPage(
        workshop=_meta(context),
        deck=m.DeckOut(id=deck.id, title=deck.title, credit=deck.credit),
        figures=_figures(context, "overall"),
        recommendations=_recommendations(context),
        interviews=_interviews(
            context, cast(Sequence[InterviewRecord], context["interviews"]), picture=False
        ),
        pdf_file_name=file_name(record, "report", "pdf"),
    )


# --- share links (the facilitator token as bearer) ---------------------------------------


def _share(link: ShareLink) -> m.ShareLinkOut:
    assert link.id is not None
    return m.ShareLinkOut(id=link.id, created_at=link.created_at)


Authorization = Annotated[str | None, Header()]


@router.get(
    "/api/workshops/{workshop_id}/shares",
    response_model=list[m.ShareLinkOut],
    responses=errors(403, 410, 422),
)
def api_list_shares(
    workshop_id: str, session: SessionDep, authorization: Authorization = None
) -> list[m.ShareLinkOut]:
    """The workshop's share links, oldest first (their tokens were shown once, when made)."""
    workshop = _api_workshop(session, workshop_id, authorization)
    return [_share(link) for link in shares_of(session, workshop)]


@router.post(
    "/api/workshops/{workshop_id}/shares",
    status_code=201,
    response_model=m.NewShareLink,
    responses=errors(403, 409, 410, 422, why={409: "Twenty share links exist: revoke one first."}),
)
def api_create_share(
    workshop_id: str,
    session: SessionDep,
    settings: SettingsDep,
    authorization: Authorization = None,
) -> m.NewShareLink:
    """Make a read-only share link to the summary and its downloads; its token is shown once."""
    workshop = _api_workshop(session, workshop_id, authorization)
    made = create_share(session, workshop)
    if made is None:
        raise Refusal("too_many_shares", "Revoke a share link before making another.", status=409)
    link = f"{base_url(settings)}/s/{made.token}"
    return m.NewShareLink(
        **_share(made.link).model_dump(),
        token=made.token,
        url=f"{link}/summary",
        summary_json_url=f"{link}/summary.json",
    )


@router.delete(
    "/api/workshops/{workshop_id}/shares/{share_id}",
    status_code=204,
    responses=errors(403, 404, 410, 422, why={404: "No such share link in this workshop."}),
)
def api_revoke_share(
    workshop_id: str,
    share_id: RowNumber,
    session: SessionDep,
    authorization: Authorization = None,
) -> Response:
    """Revoke a share link: from now on it answers 404, its pages and twins alike."""
    workshop = _api_workshop(session, workshop_id, authorization)
    if not revoke_share(session, workshop, share_id):
        raise Refusal("unknown_share", "This share link does not exist.", status=404)
    return Response(status_code=204)
