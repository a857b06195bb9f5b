"""Database engine and sessions: SQLite (WAL, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.settings import ROOT

logger = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """Let people write postgresql://… and still get the psycopg 3 driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# How long a write waits for SQLite's lock before the phone is told to resend.
BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (snapshots, dashboards) run while a command writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Wait for a lock instead of failing at once when two commands land together.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # What is deleted is overwritten with zeros, not left in free space for anyone to read.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def forget_deleted(engine: Engine) -> bool:
    """Copy SQLite's write-ahead log into the database file and empty it (after a deletion).

    With secure_delete the database file holds zeros where deleted rows were; the log still
    holds every page as it was before, until it is emptied. TRUNCATE waits (busy_timeout) for
    readers of older pages to finish; another checkpoint running (app.tables.live_state runs
    them) makes it give up at once, so it is tried again until the busy timeout has passed.
    False when it could not: the log is then emptied by the next retention sweep
    (app.workshops.retention), or the next deletion. PostgreSQL keeps its own files, out of
    the app's hands: nothing to do there.
    """
    if engine.dialect.name != "sqlite":
        return True
    give_up = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        with engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return True
        if time.monotonic() > give_up:
            logger.warning("the log still holds deleted pages: a reader was busy")
            return False
        time.sleep(0.02)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(url: str, cards_dir: Path | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    # ConfigParser interpolation treats % specially; URLs may contain it.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    # Revision 0006 copies each existing workshop's deck from the cards the app runs with.
    config.attributes["cards_dir"] = cards_dir
    return config


def migrate(url: str, cards_dir: Path | None = None) -> None:
    """Bring the database to the newest schema; Alembic owns it, never create_all."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url, cards_dir), "head")


def sessions(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
