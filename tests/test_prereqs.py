"""bin/prereqs.py, which `make test` runs before its slow steps: it finds a Chromium, makes
sure PostgreSQL and Redis answer (starting them when they are installed but down at their local
defaults), and otherwise stops at once with one line saying what to install. The servers the
suite uses are never stopped here: other runs share them."""

import importlib.util
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bin" / "prereqs.py"
NO_CHROMIUM = (
    "Chromium not found: install it with `apt-get install -y chromium` "
    "(or `.venv/bin/python -m playwright install chromium`)"
)

spec = importlib.util.spec_from_file_location("prereqs", SCRIPT)
prereqs = sys.modules["prereqs"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(prereqs)


def run(**environment: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def empty(tmp_path) -> Path:
    """A folder with nothing in it, for PATH and HOME."""
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_without_a_chromium_it_stops_at_once_with_one_line_saying_how_to_install_it(empty):
    began = time.monotonic()
    result = run(PATH=str(empty), HOME=str(empty))
    assert time.monotonic() - began < 5
    assert result.returncode != 0
    assert result.stderr.splitlines() == [NO_CHROMIUM]
    assert result.stdout == ""


def test_a_chromium_named_by_e2e_chromium_must_exist(empty):
    result = run(PATH=os.environ["PATH"], HOME=str(empty), E2E_CHROMIUM="/nowhere/chrome")
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "E2E_CHROMIUM=/nowhere/chrome is not an executable: point it at a Chromium"
    ]


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no Debian Chromium here")
def test_it_finds_the_system_chromium_and_the_suites_servers(empty):
    environment = {k: v for k, v in os.environ.items() if k != "E2E_CHROMIUM"}
    result = run(**{**environment, "HOME": str(empty)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "/usr/bin/chromium\n"
    assert result.stderr == ""


def test_without_a_system_chromium_it_takes_playwrights_newest_download(tmp_path, empty):
    browsers = tmp_path / "home" / ".cache" / "ms-playwright"
    executable(browsers / "chromium-1100" / "chrome-linux" / "chrome")
    newest = executable(browsers / "chromium-1200" / "chrome-linux64" / "chrome")
    result = run(PATH=str(empty), HOME=str(tmp_path / "home"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{newest}\n"


def test_a_server_elsewhere_that_does_not_answer_is_named_not_started(tmp_path):
    port = free_port()
    result = run(
        PATH=os.environ["PATH"],
        E2E_CHROMIUM=str(executable(tmp_path / "chrome")),
        DATABASE_URL=f"postgres://portal:s3cret@127.0.0.1:{port}/portal",
    )
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        f"PostgreSQL is not answering at 127.0.0.1:{port} (TEST_DATABASE_URL): start it "
        "there, or point TEST_DATABASE_URL at one that runs"
    ]


def local_service(port: int, start: list[str] | None) -> "prereqs.Service":
    """A service whose local default is `port`, started by `start` (None: not installed)."""
    return prereqs.Service("PostgreSQL", "TEST_DATABASE_URL", port, "postgresql", lambda: start)


def test_a_local_server_that_is_down_and_not_installed_says_how_to_install_it():
    port = free_port()
    with pytest.raises(prereqs.Missing) as missing:
        prereqs.ensure_running(local_service(port, None), f"postgres://127.0.0.1:{port}/portal")
    assert str(missing.value) == (
        f"PostgreSQL is not running on 127.0.0.1:{port} and not installed: install it with "
        "`apt-get install -y postgresql`"
    )


# Like `redis-server --daemonize yes`: listens in a child that outlives the command, with
# its standard streams closed so that the command's caller is not kept waiting.
DAEMON = """
import os, socket, sys, time
server = socket.socket()
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
if os.fork():
    os._exit(0)
os.setsid()
null = os.open(os.devnull, os.O_RDWR)
for stream in (0, 1, 2):
    os.dup2(null, stream)
time.sleep(10)
"""


def test_a_local_server_that_is_down_and_installed_is_started():
    port = free_port()
    start = [sys.executable, "-c", DAEMON, str(port)]
    prereqs.ensure_running(local_service(port, start), f"postgres://127.0.0.1:{port}/portal")
    assert prereqs.answers("127.0.0.1", port)


def test_a_local_server_that_does_not_come_up_is_named_with_what_its_start_said():
    port = free_port()
    start = [sys.executable, "-c", "print('no cluster here')"]
    with pytest.raises(prereqs.Missing) as missing:
        prereqs.ensure_running(
            local_service(port, start), f"postgres://127.0.0.1:{port}/portal", wait=0.5
        )
    assert f"PostgreSQL did not start on 127.0.0.1:{port}" in str(missing.value)
    assert str(missing.value).endswith(": no cluster here")
