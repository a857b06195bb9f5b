"""Alembic owns the schema: an empty database (SQLite or PostgreSQL) upgrades to head and works."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from app.db import alembic_config, make_engine, migrate
from app.main import create_app
from app.settings import Settings
from tests.conftest import PUBLIC_URL

TABLES = {"workshop", "workshop_table", "seat", "alembic_version"}


def test_sqlite_empty_file_upgrades_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'empty.db'}"
    migrate(url)
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    migrate(url)  # and back up again


def test_app_start_migrates_an_empty_sqlite_file(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fresh.db'}", public_url=PUBLIC_URL)
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/workshops", json={"title": "x", "tables": 2}).status_code == 201


def test_foreign_keys_cascade_on_sqlite(client: TestClient, workshop: dict) -> None:
    with client.app.state.engine.begin() as connection:
        connection.execute(text("DELETE FROM workshop WHERE id = :id"), {"id": workshop["id"]})
        assert connection.execute(text("SELECT count(*) FROM workshop_table")).scalar() == 0


def test_postgres_empty_database_upgrades_and_serves(postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url, public_url=PUBLIC_URL)
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine
        assert set(inspect(engine).get_table_names()) >= TABLES
        data = client.post("/api/workshops", json={"title": "pg", "tables": 3}).json()
        code = data["tables"][0]["join_code"]
        phone = TestClient(client.app, base_url=PUBLIC_URL)
        assert phone.post(f"/api/tables/{code}/seat", json={"role": "reporter"}).status_code == 201
        rival = TestClient(client.app, base_url=PUBLIC_URL)
        assert rival.post(f"/api/tables/{code}/seat", json={"role": "reporter"}).status_code == 409
    command.downgrade(alembic_config(postgres_url), "base")
