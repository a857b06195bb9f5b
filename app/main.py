"""create_app(): wiring only — settings, deck library, database, hub, routers, static files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __doc__ as app_doc
from app.api_errors import allowed_methods
from app.assets import StaticAssets
from app.db import make_engine, migrate
from app.deck import load_library
from app.game.refusal import Refusal
from app.play.router import DEVICE_COOKIE
from app.play.router import router as play_router
from app.play.service import holds_seat
from app.programme.router import router as programme_router
from app.rate_limits import Limit, make_storage, redis_key_prefix
from app.realtime.endpoint import COMMAND_BURST, COMMANDS_PER_SECOND
from app.realtime.endpoint import router as realtime_router
from app.realtime.hub import make_hub
from app.realtime.hub.sockets import make_sockets
from app.realtime.table_feed import message_seq
from app.security import (
    JOIN_MISSES,
    WORKSHOP_CREATIONS,
    JoinGuard,
    JoinGuardGate,
    KeyedLimiter,
    SecurityHeaders,
    TooManyRequests,
    client_key,
)
from app.settings import ROOT, Settings, get_settings
from app.summary.api import router as summary_api_router
from app.summary.report_cache import make_report_cache
from app.summary.router import router as summary_router
from app.tables.clock_keeper import keep_clock
from app.tables.live_state import LiveTables
from app.tables.locks import TableLocks
from app.web import Pages, request_language, translate
from app.workshops.api import router as workshops_api_router
from app.workshops.retention import keep_retention
from app.workshops.router import router as workshops_router

VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Load and validate every deck now: a broken deck stops the start, it never half-loads.
    library = load_library(settings.cards_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(settings.database_url, settings.cards_dir)
        keeper = asyncio.create_task(
            keep_clock(app.state.engine, app.state.hub, app.state.table_locks)
        )
        sweeper = asyncio.create_task(
            keep_retention(
                app.state.engine,
                settings.retention_sweep_seconds,
                app.state.live_tables.forget_workshop,
            )
        )
        yield
        keeper.cancel()
        sweeper.cancel()
        await app.state.hub.close()
        await app.state.sockets.aclose()
        app.state.pdf_cache.close()
        app.state.live_tables.close()
        app.state.engine.dispose()

    app = FastAPI(
        title="Kaartspel",
        version=VERSION,
        description=(app_doc or "").strip(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.library = library
    app.state.engine = make_engine(settings.database_url)
    app.state.hub = make_hub(settings.redis_url, settings.redis_prefix, seq_of=message_seq)
    app.state.pages = Pages()
    app.state.table_locks = TableLocks()
    app.state.live_tables = LiveTables(app.state.engine)
    # Shared by every process through Redis when REDIS_URL is set (app/rate_limits.py).
    limits = make_storage(settings.redis_url, settings.redis_prefix)
    app.state.join_guard = JoinGuard(Limit(JOIN_MISSES, "join-misses", limits))
    app.state.creation_limit = Limit(WORKSHOP_CREATIONS, "workshops-created", limits)
    prefix = (
        redis_key_prefix(settings.redis_url, settings.redis_prefix) if settings.redis_url else ""
    )
    app.state.sockets = make_sockets(settings.redis_url, prefix)
    # The report PDF, made once per state: in Redis for every process when REDIS_URL is set.
    app.state.pdf_cache = make_report_cache(settings.redis_url, prefix)
    # Per seat, shared by its sockets in this process (docs/security.md says why not Redis).
    app.state.seat_commands = KeyedLimiter(COMMANDS_PER_SECOND, COMMAND_BURST)
    # The last added runs first: the headers wrap everything, the gate's 429 included.
    app.add_middleware(
        JoinGuardGate,
        guard=app.state.join_guard,
        seated=partial(holds_seat, app.state.engine),
        cookie=DEVICE_COOKIE,
    )
    # Slow venue Wi-Fi: scripts, styles, pages and downloads travel compressed.
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(SecurityHeaders, https=(settings.public_url or "").startswith("https://"))

    # The JSON twins first: /f/<token>.json would otherwise be the page of a token "….json".
    app.include_router(workshops_api_router)
    app.include_router(summary_api_router)
    app.include_router(workshops_router)
    app.include_router(play_router)
    app.include_router(realtime_router)
    app.include_router(summary_router)
    app.include_router(programme_router)
    app.mount("/static", StaticAssets(directory=ROOT / "app" / "static"), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability, for load balancers and `make run`."""
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "version": VERSION, "database": "ok"}

    install_error_pages(app)
    return app


def _wants_json(request: Request) -> bool:
    # A JSON twin (…/summary.json) answers JSON, also to a browser that asks for a page.
    path = request.url.path
    return (
        path.startswith("/api/")
        or path.endswith(".json")
        or "text/html" not in request.headers.get("accept", "")
    )


def install_error_pages(app: FastAPI) -> None:
    """Refusals become a JSON error for programs and a page in the user's language for people."""

    def respond(
        request: Request,
        status: int,
        code: str,
        message: str,
        params: dict[str, object],
        details: list[tuple[str, str]] | None = None,
    ) -> Response:
        language = request_language(request)
        human = translate(language, message, params)
        if _wants_json(request):
            error: dict[str, object] = {"code": code, "message": human}
            if details:
                error["details"] = [{"field": f, "problem": p} for f, p in details]
            return JSONResponse({"error": error}, status_code=status)
        pages: Pages = request.app.state.pages
        return pages.render(
            request,
            "error.html",
            {"code": code, "message": human, "status": status},
            language,
            status,
        )

    @app.exception_handler(Refusal)
    async def on_refusal(request: Request, refusal: Refusal) -> Response:
        if refusal.code == "unknown_table":
            await request.app.state.join_guard.failed(client_key(request))
        return respond(
            request, refusal.status, refusal.code, refusal.message, refusal.params, refusal.details
        )

    @app.exception_handler(TooManyRequests)
    async def on_too_many(request: Request, refused: TooManyRequests) -> Response:
        response = respond(request, 429, refused.code, refused.message, {})
        response.headers["Retry-After"] = str(refused.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return respond(request, 404, "not_found", "This page does not exist.", {})
        if error.status_code == 405:
            refused = respond(
                request, 405, "method_not_allowed", "This address does not accept that.", {}
            )
            refused.headers["Allow"] = allowed_methods(request)
            return refused
        return respond(request, error.status_code, "http_error", str(error.detail), {})

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> Response:
        if _wants_json(request):
            details = [
                {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                for e in error.errors()
            ]
            return JSONResponse(
                {
                    "error": {
                        "code": "invalid",
                        "message": "The request is not valid.",
                        "details": details,
                    }
                },
                status_code=422,
            )
        return respond(request, 422, "invalid", "The request is not valid.", {})
