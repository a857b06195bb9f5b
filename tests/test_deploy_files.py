"""The deployment files say what docs/operations.md says (Docker cannot run here, so this reads
them; it does not build or start anything)."""

from __future__ import annotations

import re

import yaml

from app.settings import ROOT, Settings

DOC = (ROOT / "docs" / "operations.md").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in DOC, name


def test_the_app_services_share_one_database_one_redis_and_one_key() -> None:
    services = COMPOSE["services"]
    apps = [services["app1"], services["app2"]]
    assert apps[0]["environment"] == apps[1]["environment"]
    environment = apps[0]["environment"]
    assert environment["DATABASE_URL"].startswith("postgresql://")
    assert environment["REDIS_URL"].startswith("redis://redis:")
    for name in ("SECRET_KEY", "PUBLIC_URL", "ADMIN_TOKEN"):
        assert environment[name].startswith(f"${{{name}:?"), name  # required, never a default
    # Only one process migrates an empty database: the second waits for the first.
    assert services["app2"]["depends_on"]["app1"]["condition"] == "service_healthy"
    for name in ("app1", "app2", "postgres", "redis"):
        assert "healthcheck" in services[name], name


def test_nginx_passes_websockets_to_every_app_service() -> None:
    upstreams = re.findall(r"server (\w+):8000;", NGINX)
    assert upstreams == ["app1", "app2"]
    assert "proxy_http_version 1.1;" in NGINX
    assert "proxy_set_header Upgrade $http_upgrade;" in NGINX
    assert "proxy_set_header Connection $connection_upgrade;" in NGINX
    assert not re.search(r"^\s*(ip_hash|hash|sticky)\b", NGINX, re.MULTILINE)  # not needed


def test_the_image_runs_as_a_user_with_a_health_check_and_pango_and_cairo() -> None:
    final = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER (?!root)\w+", final, re.MULTILINE)
    assert "HEALTHCHECK" in final and "/healthz" in final
    install = re.search(r"apt-get install (.+?)\\?\n", final)
    assert install is not None
    assert "--no-install-recommends" in install.group(1)
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libcairo2"):
        assert package in install.group(1), package
    assert "rm -rf /var/lib/apt/lists/*" in final
