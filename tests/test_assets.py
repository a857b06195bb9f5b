"""The play page's bundles (app/assets.py): committed up to date, linked, cached for good.

None of this needs Node: the staleness check compares the sources with the hashes the build
wrote into app/static/build/manifest.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import assets
from tests.conftest import join_code, new_phone


def test_the_committed_bundles_are_built_from_the_sources_as_they_are() -> None:
    assert assets.problems() == []


def test_a_changed_source_makes_the_bundle_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = json.loads(assets.MANIFEST.read_text())
    changed = "app/static/js/play/main.js"
    manifest["sources"][changed] = "0" * 64  # as if main.js had been edited after the build
    fake = tmp_path / "manifest.json"
    fake.write_text(json.dumps(manifest))
    monkeypatch.setattr(assets, "MANIFEST", fake)
    assert assets.problems() == [f"{changed} changed since the bundle was built: run `make bundle`"]


def test_every_play_module_and_stylesheet_is_in_the_bundle() -> None:
    # A module that main.js no longer imports would be dead code served to nobody.
    sources = set(json.loads(assets.MANIFEST.read_text())["sources"])
    for module in (assets.STATIC_DIR / "js" / "play").glob("*.js"):
        assert module.relative_to(assets.ROOT).as_posix() in sources
    for shared in ("app/static/css/app.css", "app/static/css/play.css", "app/static/js/socket.js"):
        assert shared in sources


def _table_page(client: TestClient, workshop: dict) -> str:
    code = join_code(workshop["tables"][0]["join_url"])
    phone = new_phone(client)
    phone.post(f"/api/tables/{code}/seat", json={"role": "respondent1"}).raise_for_status()
    page = phone.get(f"/t/{code}", headers={"accept": "text/html"})
    assert page.status_code == 200
    return page.text


def test_the_table_page_loads_one_stylesheet_and_its_bundled_scripts(
    client: TestClient, workshop: dict
) -> None:
    page = _table_page(client, workshop)
    head = page[: page.index("</head>")]
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    scripts = re.findall(r'<script type="module"[^>]* src="([^"]+)"', page)
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)"', page)
    assert stylesheets == [assets.bundle_url("play-styles.css")]
    assert scripts == [assets.bundle_url("play-connect.js"), assets.bundle_url("play.js")]
    assert preloads == assets.bundle_imports("play-connect.js", "play.js")
    # The websocket's module runs as soon as it arrives, waiting for neither styles nor page.
    assert re.search(r'<script type="module" async src="/static/build/play-connect-', head)
    # In the head, so the browser asks for them with the page's first bytes.
    for url in stylesheets + scripts + preloads:
        assert url in head and url.startswith("/static/build/")
    # The favicon travels inside the page; nothing else is asked for before the page works.
    assert re.search(r'<link rel="icon" href="data:image/svg\+xml,', head)
    assert 'href="/static/' not in page.replace("/static/build/", "")


def test_other_pages_link_app_css_by_a_versioned_address(client: TestClient) -> None:
    page = client.get("/", headers={"accept": "text/html"}).text
    assert f'href="{assets.static_url("css/app.css")}"' in page
    assert re.search(r"/static/css/app\.css\?v=[0-9a-f]{12}", page)


def test_bundles_and_versioned_files_are_cached_for_good_the_rest_revalidated(
    client: TestClient,
) -> None:
    for url in (
        assets.bundle_url("play.js"),
        assets.bundle_url("play-styles.css"),
        assets.static_url("css/app.css"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == assets.IMMUTABLE, url
    plain = client.get("/static/css/app.css")
    assert plain.headers["cache-control"] == "no-cache"
    again = client.get("/static/css/app.css", headers={"if-none-match": plain.headers["etag"]})
    assert again.status_code == 304
