"""A script run as under `make run` (SQLite, no Redis, tasks in-process), in a fresh process
with a fresh database: for the paths that only that setup takes."""

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_embedded(script: str, database, **environment: str) -> subprocess.CompletedProcess:
    """Migrate a new SQLite database at `database` (a path), then run `script` in `manage.py
    shell` on it; `environment` adds to or overrides the embedded settings."""
    embedded = {
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "DJANGO_DEBUG": "true",
        **environment,
    }
    env = {**os.environ, **embedded}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    return subprocess.run(
        [*manage, "shell", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
