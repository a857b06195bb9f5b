"""Rendering pages: one Jinja environment per language, and the request's language and address."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.assets import bundle_imports, bundle_url, favicon_data_url, static_url
from app.i18n import LANGUAGES, gettext_for, pick_language
from app.network import public_base_url
from app.security import csrf_token, set_csrf_cookie
from app.settings import ROOT, Settings

TEMPLATE_DIR = ROOT / "app" / "templates"
LANGUAGE_COOKIE = "ks_lang"


class Pages:
    """Renders templates in the request's language; autoescaping is always on."""

    def __init__(self) -> None:
        self._environments: dict[str, Environment] = {}
        for language in LANGUAGES:
            env = Environment(
                loader=FileSystemLoader(TEMPLATE_DIR),
                autoescape=select_autoescape(default=True, default_for_string=True),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(gettext_for(language), newstyle=True)  # type: ignore[attr-defined]
            env.globals.update(
                static_url=static_url,
                bundle_url=bundle_url,
                bundle_imports=bundle_imports,
                favicon_data_url=favicon_data_url,
            )
            self._environments[language] = env

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        language: str,
        status_code: int = 200,
    ) -> HTMLResponse:
        env = self._environments[language]
        page = env.get_template(template).render(
            request=request,
            lang=language,
            other_lang="en" if language == "nl" else "nl",
            csrf_token=csrf_token(request),
            **context,
        )
        response = HTMLResponse(page, status_code=status_code)
        public_url = request.app.state.settings.public_url or ""
        set_csrf_cookie(request, response, secure=public_url.startswith("https://"))
        return response


def request_language(request: Request, fallback: str | None = None) -> str:
    """An explicit ?lang= wins, then the phone's own choice, then the workshop's, then nl."""
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        fallback,
        None if fallback else request.headers.get("accept-language"),
    )


def base_url(settings: Settings) -> str:
    return public_base_url(settings.public_url, settings.port)


def translate(language: str, message: str, params: dict[str, object] | None = None) -> str:
    text = gettext_for(language).gettext(message)
    return text % params if params else text
