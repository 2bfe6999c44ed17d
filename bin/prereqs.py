"""What `make test` needs before its slow steps, checked (and started) first:

- PostgreSQL, Redis and RabbitMQ answering at the suite's URLs (DATABASE_URL, REDIS_URL,
  CELERY_BROKER_URL and INGEST_BROKER_URL, which the Makefile fills from TEST_*; RabbitMQ takes
  the location batches, as in docker-compose.yml). When one is down at its local
  default address and installed, it is started the way this kind of machine starts it; a
  server elsewhere is left alone.
- A Chromium for the browser tests: E2E_CHROMIUM if set, else the system's on PATH, else
  Playwright's own download. Its path is printed on stdout for the Makefile to pass on.

When something cannot be had, this stops at once with one line on stderr naming it and the
command that installs it. Standard library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SYSTEM_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_MISSING = (
    "Chromium not found: install it with `apt-get install -y chromium` "
    "(or `.venv/bin/python -m playwright install chromium`)"
)
STARTUP_SECONDS = 30.0


class Missing(Exception):
    """Something the suite needs cannot be had; the message names it and how to get it."""


@dataclass(frozen=True)
class Service:
    name: str
    variable: str  # what the user sets to point the suite elsewhere
    port: int  # its port at the local default address, the only place it is started
    package: str  # the Debian package that installs it
    start: Callable[[], list[str] | None]  # the command that starts it; None: not installed
    directories: tuple[str, ...] = ()  # made before starting it


def postgresql_start() -> list[str] | None:
    clusters = Path("/etc/postgresql")
    versions = sorted(p.name for p in clusters.glob("*") if (p / "main").is_dir())
    command = shutil.which("pg_ctlcluster")
    if not (versions and command):
        return None
    return [command, "--skip-systemctl-redirect", versions[-1], "main", "start"]


def redis_start() -> list[str] | None:
    command = shutil.which("redis-server")
    if not command:
        return None
    # Nothing kept on disk: the suite's data is throwaway, as on this kind of machine.
    return [command, "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
            "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
            "--logfile", "/var/log/redis/ci.log"]  # fmt: skip


def rabbitmq_start() -> list[str] | None:
    command = shutil.which("rabbitmq-server")
    return [command, "-detached"] if command else None


POSTGRESQL = Service("PostgreSQL", "TEST_DATABASE_URL", 5432, "postgresql", postgresql_start)
REDIS = Service(
    "Redis", "TEST_REDIS_URL", 6379, "redis-server", redis_start,
    directories=("/var/lib/redis", "/var/log/redis"),
)  # fmt: skip
BROKER = replace(REDIS, variable="TEST_BROKER_URL")  # the same Redis, another database
RABBITMQ = Service(
    "RabbitMQ", "TEST_INGEST_BROKER_URL", 5672, "rabbitmq-server", rabbitmq_start
)  # fmt: skip


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_running(service: Service, url: str, *, wait: float = STARTUP_SECONDS) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or service.port
    if not host or host.startswith("/"):
        return  # a Unix socket: the suite's first connection tells
    if answers(host, port):
        return
    where = f"{host}:{port}"
    if host not in LOCAL_HOSTS or port != service.port:
        raise Missing(
            f"{service.name} is not answering at {where} ({service.variable}): start it "
            f"there, or point {service.variable} at one that runs"
        )
    command = service.start()
    if command is None:
        raise Missing(
            f"{service.name} is not running on {where} and not installed: install it with "
            f"`apt-get install -y {service.package}`"
        )
    print(f"{service.name} is down on {where}; starting it", file=sys.stderr)
    try:
        for directory in service.directories:
            os.makedirs(directory, exist_ok=True)
        result = subprocess.run(command, capture_output=True, text=True, timeout=wait + 30)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Missing(f"{service.name} could not be started on {where}: {exc}") from None
    deadline = time.monotonic() + wait
    while not answers(host, port):
        if time.monotonic() > deadline:
            said = (result.stderr or result.stdout).strip().splitlines()
            raise Missing(
                f"{service.name} did not start on {where} with `{' '.join(command)}`"
                + (f": {said[-1]}" if said else "")
            )
        time.sleep(0.2)


def playwright_chromium(environ: dict[str, str]) -> str | None:
    """The newest Chromium that `playwright install chromium` downloaded, if any."""
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(environ.get("HOME", "~"), ".cache")
    root = Path(environ.get("PLAYWRIGHT_BROWSERS_PATH") or os.path.join(cache, "ms-playwright"))
    found = [p for p in root.glob("chromium-*/chrome-linux*/chrome") if os.access(p, os.X_OK)]

    def revision(path: Path) -> int:
        number = re.fullmatch(r"chromium-(\d+)", path.parent.parent.name)
        return int(number.group(1)) if number else -1

    return str(max(found, key=revision)) if found else None


def find_chromium(environ: dict[str, str]) -> str | None:
    given = environ.get("E2E_CHROMIUM", "").strip()
    if given:
        if os.path.isfile(given) and os.access(given, os.X_OK):
            return given
        raise Missing(f"E2E_CHROMIUM={given} is not an executable: point it at a Chromium")
    path = environ.get("PATH", "")
    for name in SYSTEM_CHROMIUMS:
        found = shutil.which(name, path=path)
        if found:
            return found
    return playwright_chromium(environ)


def install_chromium_in_ci(environ: dict[str, str]) -> bool:
    """CI machines start fresh, so there the project's own files install Chromium (as root,
    from Debian's packages). Elsewhere the user is told the command instead."""
    apt_get = shutil.which("apt-get", path=environ.get("PATH", ""))
    in_ci = environ.get("CI", "").lower() in {"1", "true", "yes"}
    if not (in_ci and apt_get and os.geteuid() == 0):
        return False
    print("Chromium not found; CI: installing Debian's chromium", file=sys.stderr)
    quiet = {**environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        for command in (
            [apt_get, "update", "-qq"],
            [apt_get, "install", "-y", "-qq", "chromium", "fonts-dejavu-core"],
        ):
            subprocess.run(command, env=quiet, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    except (OSError, subprocess.CalledProcessError):
        return False  # its own output said why; the line below says what to do
    return True


def chromium(environ: dict[str, str]) -> str:
    found = find_chromium(environ)
    if found is None and install_chromium_in_ci(environ):
        found = find_chromium(environ)
    if found is None:
        raise Missing(CHROMIUM_MISSING)
    return found


def main() -> int:
    environ = dict(os.environ)
    try:
        # Chromium first: it is the only check that touches nothing.
        browser = chromium(environ)
        ensure_running(POSTGRESQL, environ.get("DATABASE_URL", ""))
        ensure_running(REDIS, environ.get("REDIS_URL", ""))
        ensure_running(BROKER, environ.get("CELERY_BROKER_URL", ""))
        ensure_running(RABBITMQ, environ.get("INGEST_BROKER_URL", ""), wait=60)
    except Missing as missing:
        print(missing, file=sys.stderr)
        return 1
    print(browser)
    return 0


if __name__ == "__main__":
    sys.exit(main())
