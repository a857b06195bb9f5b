"""What if: the app as it is, behind Starlette's GZipMiddleware. Only for bench/page_weight.py
(--what-if-gzip), to show what compression would change; the app itself is not modified.

    python -m uvicorn gzip_app:create_app --factory --app-dir bench
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from app.main import create_app as create_kaartspel


def create_app() -> FastAPI:
    app = create_kaartspel()
    app.add_middleware(GZipMiddleware, minimum_size=500)
    return app
