"""The error body every JSON refusal has, declared for the OpenAPI schema (one shape for all)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.routing import Match


class ErrorDetail(BaseModel):
    field: str
    problem: str


class ErrorInfo(BaseModel):
    code: str = Field(description="stable, for programs: e.g. unknown_table, role_taken, invalid")
    message: str = Field(description="for people, in their language")
    details: list[ErrorDetail] | None = Field(None, description="for invalid requests: which field")


class ErrorBody(BaseModel):
    error: ErrorInfo


_WHY = {
    400: "The body could not be read (not JSON, or not UTF-8).",
    401: "The admin token is required (hosted deployments).",
    403: "Only the facilitator's token opens this.",
    404: "No such workshop or table.",
    409: "The role is taken or the table is full.",
    410: "The workshop has finished, or is past its deletion date.",
    422: "The request is not valid.",
    429: "Too many tries from this address (unknown join codes, or workshops created): "
    "try again after Retry-After seconds.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds until this address may try again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def errors(*statuses: int, why: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: these statuses answer with an ErrorBody (`why`: this route's
    own reasons, where it has more than the general one)."""
    reasons = _WHY | (why or {})
    return {
        status: {"model": ErrorBody, "description": reasons[status]}
        | ({"headers": RETRY_AFTER} if status == 429 else {})
        for status in statuses
    }


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """The `Allow` of a 405: every method a route serves at this path. (Starlette names only
    the first route's, so GET /api/workshops/{id} hid the DELETE beside it.)"""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    )
