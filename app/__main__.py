"""`python -m app`: migrate, print the addresses people need, and serve."""

from __future__ import annotations

import uvicorn

from app.db import migrate
from app.deck import load_library
from app.network import phone_reachability, public_base_url
from app.realtime.protocol import MAX_FRAME_BYTES
from app.settings import get_settings


def main() -> None:
    settings = get_settings()
    load_library(settings.cards_dir)  # a broken deck stops us here, with its file and line
    migrate(settings.database_url, settings.cards_dir)
    phones = public_base_url(settings.public_url, settings.port)
    local = f"http://127.0.0.1:{settings.port}"
    print(f"\n  Kaartspel — facilitator, open: {local}/")
    print(f"  Phones join via:               {phones}/j/…  (the QR codes carry it)")
    if not phone_reachability(phones).ok:
        print(
            "  Warning: phones cannot reach this address; set PUBLIC_URL to the laptop's Wi-Fi address."
        )
    if settings.host in ("127.0.0.1", "localhost", "::1"):
        print(
            "  Warning: HOST only listens on this laptop; use HOST=0.0.0.0 so phones can connect."
        )
    print()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ws_max_size=MAX_FRAME_BYTES,  # not 16 MB read before the 16 KB check
    )


if __name__ == "__main__":
    main()
