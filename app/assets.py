"""The front-end files as browsers get them: the play page's bundles, versioned addresses, caching.

A participant opens the table page on a phone on venue Wi-Fi, where every request costs a
round trip. So that page gets one script and one stylesheet, bundled by esbuild into
`app/static/build/` (`make bundle`, which needs Node; see README) and committed, so that
running Kaartspel needs only Python. `build/manifest.json` records which sources, at which
content, each bundle was built from: `python -m app.assets --check` (and a test) fail when a
source has changed since. Bundled files carry a content hash in their name and are cached for
good; every other static file is addressed with `?v=<content hash>` and cached for good too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.settings import ROOT

STATIC_DIR = ROOT / "app" / "static"
BUILD_DIR = STATIC_DIR / "build"
MANIFEST = BUILD_DIR / "manifest.json"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"

# Output name -> source, as esbuild's "name=path" entry points. The play page's stylesheet
# entry only @imports app.css and play.css, so the other pages keep linking app.css alone.
ENTRY_POINTS = {
    "play": "app/static/js/play/main.js",
    "play-connect": "app/static/js/play/connect.js",
    "play-styles": "app/static/css/play-page.css",
}
ESBUILD_OPTIONS = [
    "--bundle",
    "--format=esm",
    "--splitting",  # drag-and-drop (SortableJS) stays a chunk of its own, loaded after the page works
    "--minify",
    "--charset=utf8",
    "--legal-comments=eof",  # SortableJS's licence comment stays in its chunk
    "--loader:.svg=dataurl",  # the brand mark in the stylesheet: no request of its own
    "--entry-names=[name]-[hash]",
    "--chunk-names=[name]-[hash]",
]
IMMUTABLE = "public, max-age=31536000, immutable"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- building (needs node_modules/, i.e. `npm ci`) ----------------------------------------------


def build() -> dict[str, Any]:
    """Run esbuild into a fresh build/ and write the manifest; return the manifest."""
    if not ESBUILD.exists():
        raise SystemExit(f"{ESBUILD.relative_to(ROOT)} is missing: run `make bundle` (npm ci)")
    # Our own pinned binary with fixed arguments, no shell: nothing untrusted runs (S603).
    version = subprocess.run(  # noqa: S603
        [ESBUILD, "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as scratch:
        out, meta = Path(scratch) / "build", Path(scratch) / "meta.json"
        subprocess.run(  # noqa: S603
            [
                ESBUILD,
                *(f"{name}={source}" for name, source in ENTRY_POINTS.items()),
                *ESBUILD_OPTIONS,
                f"--outdir={out}",
                f"--metafile={meta}",
                "--log-level=warning",
            ],
            check=True,
            cwd=ROOT,
        )
        metafile = json.loads(meta.read_text())
        shutil.rmtree(BUILD_DIR, ignore_errors=True)
        shutil.copytree(out, BUILD_DIR)
    entries: dict[str, Any] = {}
    files: dict[str, str] = {}
    for output_path, output in metafile["outputs"].items():
        name = Path(output_path).name
        files[name] = sha256(BUILD_DIR / name)
        # Dynamic imports (drag.js) are entry points of esbuild's own; only ours get a name.
        logical = next((n for n, s in ENTRY_POINTS.items() if s == output.get("entryPoint")), None)
        if logical:
            suffix = ".css" if name.endswith(".css") else ".js"
            entries[logical + suffix] = {
                "file": name,
                # What the browser will need straight away: fetched in parallel, not in turn.
                "imports": [
                    Path(i["path"]).name
                    for i in output.get("imports", [])
                    if i.get("kind") == "import-statement"
                ],
            }
    manifest = {
        "about": "Written by `make bundle` (python -m app.assets); do not edit.",
        "esbuild": version,
        "options": ESBUILD_OPTIONS,
        "entry_points": ENTRY_POINTS,
        "sources": {path: sha256(ROOT / path) for path in sorted(metafile["inputs"])},
        "entries": entries,
        "files": dict(sorted(files.items())),
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


# --- checking (plain Python: no Node needed) ------------------------------------------------------


def problems() -> list[str]:
    """Why the committed bundles do not match their sources; empty when they do."""
    if not MANIFEST.exists():
        return [f"{MANIFEST.relative_to(ROOT)} is missing: run `make bundle`"]
    manifest = json.loads(MANIFEST.read_text())
    found = []
    if manifest["options"] != ESBUILD_OPTIONS or manifest["entry_points"] != ENTRY_POINTS:
        found.append("app/assets.py builds differently than the committed bundle was built")
    for path, digest in manifest["sources"].items():
        source = ROOT / path
        if not source.exists():
            found.append(f"{path} was bundled but no longer exists")
        elif sha256(source) != digest:
            found.append(f"{path} changed since the bundle was built")
    for name, digest in manifest["files"].items():
        output = BUILD_DIR / name
        if not output.exists() or sha256(output) != digest:
            found.append(f"app/static/build/{name} is not the file the build wrote")
    strays = {p.name for p in BUILD_DIR.iterdir()} - set(manifest["files"]) - {MANIFEST.name}
    found += [f"app/static/build/{name} is not part of the build" for name in sorted(strays)]
    return [f"{problem}: run `make bundle`" for problem in found]


# --- addresses for the templates -----------------------------------------------------------------


@lru_cache
def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(MANIFEST.read_text())
    return manifest


def bundle_url(name: str) -> str:
    """The address of a bundle ("play.js", "play-styles.css"): its name carries its hash."""
    return f"/static/build/{_manifest()['entries'][name]['file']}"


def bundle_imports(*names: str) -> list[str]:
    """The chunks these bundles import at once, to preload alongside them (each once)."""
    files = (file for name in names for file in _manifest()["entries"][name]["imports"])
    return [f"/static/build/{file}" for file in dict.fromkeys(files)]


_versions: dict[tuple[str, int, int], str] = {}


def static_url(path: str) -> str:
    """/static/<path>?v=<content hash>: cached for good, and a changed file gets a new address."""
    stat = os.stat(STATIC_DIR / path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _versions:
        _versions[key] = sha256(STATIC_DIR / path)[:12]
    return f"/static/{path}?v={_versions[key]}"


@lru_cache
def favicon_data_url() -> str:
    """The favicon inside the page (CSP allows data: images): no request of its own."""
    from urllib.parse import quote

    return "data:image/svg+xml," + quote((STATIC_DIR / "favicon.svg").read_text().strip())


class StaticAssets(StaticFiles):
    """Static files with a caching rule: versioned addresses for good, the rest revalidated."""

    def file_response(self, full_path: Any, stat_result: os.stat_result, scope: Scope, status_code: int = 200) -> Any:  # fmt: skip
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = self.get_path(scope).startswith("build") or b"v=" in scope.get(
            "query_string", b""
        )
        response.headers["Cache-Control"] = IMMUTABLE if versioned else "no-cache"
        return response


def main() -> None:
    parse = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parse.add_argument("--check", action="store_true", help="only check the committed bundles")
    if parse.parse_args().check:
        found = problems()
        print("\n".join(found) or "bundles are up to date")
        sys.exit(1 if found else 0)
    manifest = build()
    for name, entry in manifest["entries"].items():
        print(f"{name}: app/static/build/{entry['file']}")


if __name__ == "__main__":
    main()
