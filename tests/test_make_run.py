"""`make run PORT=… HOST=…` serves there, and mail sent outside a request links there too."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def base_urls_of_make_run(**env: str) -> list[str]:
    """PORTAL_BASE_URL as each manage.py command of `make run` would see it."""
    clean = {k: v for k, v in os.environ.items() if k != "PORTAL_BASE_URL"} | env
    plan = subprocess.run(
        ["make", "-s", "-n", "run", "PORT=8101", "HOST=127.0.0.1"],
        cwd=ROOT, env=clean, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    commands = [line for line in plan.splitlines() if " manage.py " in line]
    seen = []
    for command in commands:
        probe = re.sub(r"\S*python\S* manage\.py .*$", "printenv PORTAL_BASE_URL", command)
        run = subprocess.run(["sh", "-c", probe], env=clean, capture_output=True, text=True)
        seen.append(run.stdout.strip())
    return seen


@pytest.mark.parametrize(
    "env, expected",
    [({}, "http://127.0.0.1:8101"), ({"PORTAL_BASE_URL": "https://x.test"}, "https://x.test")],
)
def test_make_run_passes_its_address_to_every_command(env, expected):
    assert base_urls_of_make_run(**env) == [expected] * 3
