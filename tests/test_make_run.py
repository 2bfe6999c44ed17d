"""`make run PORT=… HOST=…` serves there, mail sent outside a request links there too, and the
demo's Traveling technician moves on its map from the start, with nothing else to run."""

import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import time_machine

from tests.support.mfa import totp_code
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
MANAGE = re.compile(r"\S*python\S* manage\.py (\S+)")


def commands_of_make_run(**env: str) -> list[str]:
    """Each manage.py command `make run` would run, with what comes before it on its line
    (the environment it is given)."""
    clean = {k: v for k, v in os.environ.items() if k != "PORTAL_BASE_URL"} | env
    plan = subprocess.run(
        ["make", "-s", "-n", "run", "PORT=8101", "HOST=127.0.0.1"],
        cwd=ROOT, env=clean, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # One shell line may start a command in the background (&) before the next (;).
    joined = plan.replace("\\\n", " ")
    steps = (step for line in joined.splitlines() for step in re.split(r"\s&\s|;", line))
    return [step.strip() for step in steps if " manage.py " in step]


def base_urls_of_make_run(**env: str) -> dict[str, str]:
    """PORTAL_BASE_URL as each manage.py command of `make run` would see it."""
    clean = {k: v for k, v in os.environ.items() if k != "PORTAL_BASE_URL"} | env
    seen = {}
    for command in commands_of_make_run(**env):
        probe = MANAGE.sub("printenv PORTAL_BASE_URL", command)
        run = subprocess.run(["sh", "-c", probe], env=clean, capture_output=True, text=True)
        seen[MANAGE.search(command).group(1)] = run.stdout.strip()
    return seen


@pytest.mark.parametrize(
    "env, expected",
    [({}, "http://127.0.0.1:8101"), ({"PORTAL_BASE_URL": "https://x.test"}, "https://x.test")],
)
def test_make_run_passes_its_address_to_every_command(env, expected):
    assert base_urls_of_make_run(**env) == dict.fromkeys(
        ["migrate", "seed_demo", "simulate_technicians", "runserver"], expected
    )


@pytest.mark.parametrize(
    "host, posts_to",
    [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1")],  # noqa: S104
)
def test_the_simulator_posts_where_the_server_listens(host, posts_to):
    plan = subprocess.run(
        ["make", "-s", "-n", "run", "PORT=8101", f"HOST={host}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"simulate_technicians --base-url http://{posts_to}:8101 &" in plan
    assert f"runserver {host}:8101" in plan


# --- make run itself ------------------------------------------------------------------------

LATEST = """
SELECT p.latitude, p.longitude, p.recorded_at, a.latitude, a.longitude
FROM tracking_latestposition p
JOIN scheduling_appointment v ON v.resource_id = p.resource_id AND v.status = 'traveling'
JOIN scheduling_serviceaccount a ON a.id = v.service_account_id
"""


def _latest(database: Path) -> tuple | None:
    """The demo's Traveling technician's latest position and their site, read from the
    SQLite file as it is (the server and the simulator write it meanwhile)."""
    if not database.exists():
        return None
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(LATEST).fetchone()
    except sqlite3.OperationalError:  # not migrated yet, or busy
        return None


def _group_alive(group: int) -> list[int]:
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":  # the process group, not a zombie
            alive.append(int(stat.parent.name))
    return alive


def test_make_run_moves_the_demos_traveling_technician_and_stops_it_with_the_server(tmp_path):
    from geopy.distance import geodesic

    database = tmp_path / "portal.sqlite3"
    # The embedded defaults (SQLite, no Redis, tasks in-process), whatever the suite uses.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PORTAL_BASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG"}
    } | {"DATABASE_URL": f"sqlite:///{database}"}
    port = free_port()
    log = open(tmp_path / "make-run.log", "w")  # noqa: SIM115 (open while make runs)
    make = subprocess.Popen(
        ["make", "run", f"PORT={port}"], cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
        # As from a terminal, even when this suite runs where SIGINT is ignored (a background
        # job of a shell), which its children would inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        seen = []
        deadline = time.monotonic() + 240
        while len({row[:2] for row in seen}) < 3 and time.monotonic() < deadline:
            assert make.poll() is None, (tmp_path / "make-run.log").read_text()[-3000:]
            row = _latest(database)
            if row and (not seen or row != seen[-1]):
                seen.append(row)
            time.sleep(0.5)
        assert len({row[:2] for row in seen}) >= 3, (tmp_path / "make-run.log").read_text()[-3000:]
        site = seen[0][3:]
        left = [geodesic(row[:2], site).m for row in seen]
        assert left == sorted(left, reverse=True)  # toward the site
        assert [row[2] for row in seen] == sorted(row[2] for row in seen)  # forward in time
    finally:
        # Ctrl-C in a terminal: SIGINT to the whole group. The simulator, a background job of
        # the shell, ignores it; the shell's trap stops it when the server has stopped.
        group = os.getpgid(make.pid)
        os.killpg(group, signal.SIGINT)
        try:
            make.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            raise
        finally:
            log.close()
    deadline = time.monotonic() + 10
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(group), "a process of make run outlived it"
    output = (tmp_path / "make-run.log").read_text()
    assert "drives to 400 Broad St" in output
    assert "POST /api/tech/v1/locations" not in output  # accepted batches stay out of the log
    _the_printed_second_factor_works(output, env)


def _the_printed_second_factor_works(output: str, env: dict) -> None:
    """The summary tells how to give Dispatcher Dana's code: the secret for an app, and a
    command that prints the code of the moment, which is what an app with that secret shows
    (on the real clock, as the command's: this process's is pinned)."""
    secret = re.search(r"set up with the secret\s+([A-Z2-7]+)", output)[1]
    command = re.search(r"or the code now: (.+manage\.py totp_code \S+)", output)[1]
    before = time_machine.escape_hatch.time.time()
    run = subprocess.run(
        command.split(), cwd=ROOT, env=env | {"DJANGO_DEBUG": "true"}, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    after = time_machine.escape_hatch.time.time()
    # A period may end meanwhile.
    assert run.stdout.strip() in {totp_code(secret, at=before), totp_code(secret, at=after)}
