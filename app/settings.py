"""The one settings object, read from the environment (and an optional .env file)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Every interface by default: phones on the venue Wi-Fi must reach the laptop.
    host: str = "0.0.0.0"  # noqa: S104
    port: int = Field(8000, ge=1, le=65535)
    # SQLite next to the code by default: the laptop at the venue needs nothing installed.
    database_url: str = f"sqlite:///{ROOT / 'kaartspel.db'}"
    # The address phones use (e.g. http://192.168.1.20:8000 or https://kaartspel.example.org).
    # Empty: the laptop's LAN address is found from its network interfaces.
    public_url: str | None = None
    # Signs cookies. A fresh random key per start is safe for a single laptop, but
    # set SECRET_KEY for several processes so that they agree.
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    # A hosted deployment sets ADMIN_TOKEN; creating a workshop then needs it as a bearer token.
    admin_token: str | None = None
    # Several server processes share events through Redis (redis://host:6379/0); empty: one
    # process, events stay in memory.
    redis_url: str | None = None
    # What this deployment's channels and keys in Redis start with; empty: "kaartspel:<db>:".
    redis_prefix: str | None = None
    cards_dir: Path = ROOT / "cards"
    # How often workshops past their deletion date are deleted (they are refused at once).
    retention_sweep_seconds: float = Field(3600.0, gt=0, le=86_400)
    # Where the app runs for everyone in the room; "development" relaxes nothing, it only labels.
    environment: str = "production"

    @field_validator("public_url", "admin_token", "redis_url", "redis_prefix")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
