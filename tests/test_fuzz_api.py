"""Fuzz the JSON API against its own OpenAPI schema (issue #6): no request may end in a 5xx.

Schemathesis generates requests for every operation in /openapi.json, valid and invalid ones
(its examples, coverage and fuzzing phases). Made-up workshop ids and join codes only reach the
"not found" branches, so every generated request whose operation takes a workshop id, a join
code, a link's token or a bearer token is sent a second time with real ones: a workshop created
before the run, its facilitator token, a share link, its tables' join codes, and the admin token. The same bodies then reach
the round controls, the seat-taking and the workshop lookup for real, and they change the
workshop as they go (rounds start and end, seats fill up), as a room full of phones would.
A delete gets a workshop of its own each time (a seat taken, a round running), so that the
shared one lives through the whole run.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import settings
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.python import asgi

from app.main import create_app
from app.settings import Settings
from tests.conftest import PUBLIC_URL

ADMIN_TOKEN = "fuzz-admin-token"
MAX_EXAMPLES = 50
# No 5xx, and every status, content type and body is one the schema declares; a request the
# schema forbids (a number as a date, false as minutes) is refused, never served; a method a
# path does not serve is refused with 405 and an Allow header naming every method it serves.
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
    unsupported_method,
    allow_header_conformance,
]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def make_app(database_url: str) -> FastAPI:
    return create_app(
        Settings(
            database_url=database_url,
            public_url=PUBLIC_URL,
            secret_key="test-secret",
            host="127.0.0.1",
            # Set, so that creating a workshop has its 401 branch and the bearer check is fuzzed.
            admin_token=ADMIN_TOKEN,
        )
    )


# Parametrizing needs the operations at collection time. This app only describes itself (its
# database is never opened); the fixture below checks that the app under test serves the same
# document at /openapi.json. (`schemathesis.pytest.from_fixture` would load it lazily, but
# schemathesis 4.32 sets `Function._nodeid`, which pytest 9.2 no longer has.)
OPENAPI = make_app("sqlite://").openapi()
schema = schemathesis.openapi.from_dict(copy.deepcopy(OPENAPI))
# The tokens here are test values: show them in the curl commands that reproduce a failure.
schema.config.output.sanitization.update(enabled=False)


def each_request_from_its_own_address(app: ASGIApp) -> ASGIApp:
    """The app, but every HTTP request arrives from another client address.

    The join guard (app/security.py) answers 429 to an address after 100 unknown join codes;
    from one address, the made-up codes would shut every table route for the rest of the run.
    """
    numbers = itertools.count(1)

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            n = next(numbers)
            scope = {**scope, "client": (f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", 50000)}
        await app(scope, receive, send)

    return wrapped


@dataclass(frozen=True)
class Workshop:
    id: str
    facilitator_token: str
    join_codes: tuple[str, ...]
    share_token: str
    share_id: int


def new_workshop(app: ASGIApp) -> Workshop:
    """A workshop with a player seated and a round running, through the API."""
    with asgi.get_client(app) as client:
        created = client.post(
            "/api/workshops",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            json={"title": "Fuzzing", "tables": 3, "round_minutes": 1, "language": "en"},
        )
        assert created.status_code == 201, created.text
        data = created.json()
        token = re.search(r"/f/([^/?#]+)$", data["facilitator_url"])
        assert token, data["facilitator_url"]
        shared = client.post(
            f"/api/workshops/{data['id']}/shares",
            headers={"Authorization": f"Bearer {token.group(1)}"},
        )
        assert shared.status_code == 201, shared.text
        workshop = Workshop(
            id=data["id"],
            facilitator_token=token.group(1),
            join_codes=tuple(table["join_code"] for table in data["tables"]),
            share_token=shared.json()["token"],
            share_id=shared.json()["id"],
        )
        seat = client.post(
            f"/api/tables/{workshop.join_codes[0]}/seat", json={"role": "interviewer"}
        )
        assert seat.status_code == 201, seat.text
        started = client.post(
            f"/api/workshops/{workshop.id}/rounds/start",
            headers={"Authorization": f"Bearer {workshop.facilitator_token}"},
            json={},
        )
        assert started.status_code == 200, started.text
    return workshop


@dataclass(frozen=True)
class Seeded:
    """The app under test and a real workshop in it, so fuzzed requests get past the lookups."""

    app: ASGIApp
    workshop: Workshop


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    database = tmp_path_factory.mktemp("fuzz") / "kaartspel.db"
    app = each_request_from_its_own_address(make_app(f"sqlite:///{database}"))
    # Entering Schemathesis's ASGI client starts the app's lifespan (Alembic migrations, the
    # clock keeper) on Schemathesis's event loop, which then serves every fuzzed request too.
    with asgi.get_client(app) as client:
        served = client.get("/openapi.json")
        assert served.status_code == 200, served.text
        assert served.json() == OPENAPI, "the app under test serves another schema"
    seeded = Seeded(app=app, workshop=new_workshop(app))
    # The real identifiers do get past the lookups, or the second requests would prove nothing.
    with asgi.get_client(app) as client:
        bearer = {"Authorization": f"Bearer {seeded.workshop.facilitator_token}"}
        assert client.get(f"/api/workshops/{seeded.workshop.id}", headers=bearer).ok
        for code in seeded.workshop.join_codes:
            assert client.get(f"/api/tables/{code}").ok
        assert client.get(f"/f/{seeded.workshop.facilitator_token}/summary.json").ok
        assert client.get(f"/s/{seeded.workshop.share_token}/summary.json").ok
    yield seeded
    # Stop the lifespan (clock keeper, hub, engine) before the database file goes away.
    asgi.shutdown_lifespans()


def with_real_identifiers(case: schemathesis.Case, seeded: Seeded) -> schemathesis.Case | None:
    """The same request aimed at a real workshop; None when the operation takes no identifier."""
    if case.method.upper() != case.operation.method.upper():
        return None  # an undeclared method (405), whatever the identifiers
    path_parameters = dict(case.path_parameters or {})
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    workshop = seeded.workshop
    if "workshop_id" in path_parameters:
        if case.method.upper() == "DELETE":
            workshop = new_workshop(seeded.app)
        path_parameters["workshop_id"] = workshop.id
    if "share_id" in path_parameters:
        path_parameters["share_id"] = workshop.share_id
    if "token" in path_parameters:
        # A page's JSON twin: the link it lives under, a share link's or the facilitator's.
        shared = case.operation.path.startswith("/s/")
        path_parameters["token"] = workshop.share_token if shared else workshop.facilitator_token
    if "code" in path_parameters:
        # Which table follows from the generated value, so that every table gets requests.
        index = len(str(path_parameters["code"])) % len(workshop.join_codes)
        path_parameters["code"] = workshop.join_codes[index]
    if "authorization" in case.operation.headers:
        token = workshop.facilitator_token if "workshop_id" in path_parameters else ADMIN_TOKEN
        headers["Authorization"] = f"Bearer {token}"
    if path_parameters == (case.path_parameters or {}) and headers == dict(case.headers or {}):
        return None
    # The same case, its metadata too: a body or query the schema forbids stays forbidden with
    # real identifiers, so accepting it (a number as a date, false as minutes) fails
    # negative_data_rejection here as well. Schemathesis sees the containers change and judges
    # again whether what is left is still invalid.
    return schemathesis.Case(
        case.operation,
        case.method,
        case.path,
        path_parameters=path_parameters,
        headers=headers,
        cookies=case.cookies,
        query=case.query,
        body=case.body,
        media_type=case.media_type,
        meta=case.meta,
    )


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
)
def test_api_answers_without_server_errors(case: schemathesis.Case, seeded: Seeded) -> None:
    case.call_and_validate(app=seeded.app, checks=CHECKS)
    real = with_real_identifiers(case, seeded)
    if real is not None:
        real.call_and_validate(app=seeded.app, checks=CHECKS)
