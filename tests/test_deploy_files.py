"""The deployment files say what docs/operations.md says. The compose file is validated by
Compose itself (`docker compose config`, or Debian's `docker-compose`, which .ci/run installs);
nothing is built or started: there is no Docker daemon here."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from app.settings import ROOT, Settings
from tests.conftest import require

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


def compose_command() -> list[str] | None:
    """Docker's compose plugin if it is there (Docker 28 may come without it), else v1."""
    if shutil.which("docker"):
        plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if plugin.returncode == 0:
            return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_compose_itself_accepts_the_compose_file(tmp_path: Path) -> None:
    command = compose_command()
    require(command is not None, "neither `docker compose` nor `docker-compose` is installed")
    assert command is not None
    # As docs/operations.md runs it: the secrets in an env file of their own.
    secrets = tmp_path / "kaartspel.env"
    secrets.write_text(
        "POSTGRES_PASSWORD=pw\nSECRET_KEY=key\nPUBLIC_URL=https://k.example\nADMIN_TOKEN=admin\n"
    )
    checked = subprocess.run(
        [*command, "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml")]
        + ["--env-file", str(secrets), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert checked.returncode == 0, checked.stderr
    resolved = yaml.safe_load(checked.stdout)
    for name in ("app1", "app2"):
        environment = resolved["services"][name]["environment"]
        assert environment["SECRET_KEY"] == "key", name
        assert environment["DATABASE_URL"] == "postgresql://kaartspel:pw@postgres:5432/kaartspel"
    # Without the secrets Compose refuses to start rather than run with empty ones.
    missing = subprocess.run(
        [*command, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr, missing.stderr


def test_the_apps_trust_forwarded_addresses_from_the_proxy_alone() -> None:
    """Behind nginx, uvicorn sees the proxy's address; FORWARDED_ALLOW_IPS names the proxy
    so that the guards per client address count phones, and nobody else may claim one."""
    services = COMPOSE["services"]
    proxy = services["proxy"]["networks"]["default"]["ipv4_address"]
    (subnet,) = (c["subnet"] for c in COMPOSE["networks"]["default"]["ipam"]["config"])
    assert ipaddress.ip_address(proxy) in ipaddress.ip_network(subnet)
    for name in ("app1", "app2"):
        assert services[name]["environment"]["FORWARDED_ALLOW_IPS"] == proxy, name
        assert "ports" not in services[name], name  # reachable only through the proxy
    assert NGINX.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == 2
