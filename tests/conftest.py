"""Fixtures: a real app on a real SQLite file per test, and skip-or-fail for outside services."""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.main import create_app
from app.settings import Settings

PUBLIC_URL = "http://127.0.0.1:8765"
# The test client joins websocket paths onto ws://testserver, where our cookies do not go.
WS_BASE = "ws://127.0.0.1:8765"
IN_CI = os.environ.get("CI") == "true"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def require(condition: bool, reason: str) -> None:
    """Skip where a service or tool is absent; in CI it must be there, so fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    require(port_open("127.0.0.1", 5432), "PostgreSQL is not running on 127.0.0.1:5432")
    name = f"kaartspel_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'kaartspel.db'}",
        public_url=PUBLIC_URL,
        secret_key="test-secret",
        host="127.0.0.1",
        redis_url=None,  # one process, whatever REDIS_URL the shell has
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as test_client:
        yield test_client


def new_phone(client: TestClient) -> TestClient:
    """Another phone: the same app, its own cookie jar."""
    phone = TestClient(client.app, base_url=str(client.base_url))
    # One event loop for the app, as in a real server: the hub's queues belong to it.
    phone.portal = client.portal
    return phone


@pytest.fixture
def workshop(client: TestClient) -> dict[str, object]:
    response = client.post(
        "/api/workshops", json={"title": "Leren in de buitendienst", "tables": 3}
    )
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def join_code(join_url: str) -> str:
    match = re.search(r"/j/([A-Z0-9]+)$", join_url)
    assert match, join_url
    return match.group(1)


CSRF = "test-csrf-token-0123456789abcdef"


def form(client: TestClient, data: dict[str, object] | None = None) -> dict[str, object]:
    """A form post as the browser sends it: the page's CSRF token in the field and cookie."""
    client.cookies.set("ks_csrf", CSRF)
    return {**(data or {}), "csrf": CSRF}
