"""The ingest bench's load: wrk with bench/ingest.lua when installed, else the Python threads
of bench/load.py, and what one run of it counted (a Shot)."""

import json
import math
import resource
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.run import HOST

LUA = Path(__file__).resolve().parent / "ingest.lua"
PATH = "/api/tech/v1/locations"


@dataclass
class Shot:
    """One run of the load generator: answers by status, points accepted, wall seconds, and
    the generator's own CPU seconds."""

    answered: int = 0
    accepted: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    load_cpu: float = 0.0
    socket_errors: int = 0
    ended: float = 0.0  # time.monotonic() of the last answer

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def add(self, other: "Shot") -> None:
        self.answered += other.answered
        self.accepted += other.accepted
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        self.seconds += other.seconds
        self.load_cpu += other.load_cpu
        self.socket_errors += other.socket_errors
        self.ended = max(self.ended, other.ended)

    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def parse_wrk(stdout: str) -> Shot:
    """The JSON line bench/ingest.lua's done() writes, among wrk's own report."""
    line = next(
        (x for x in reversed(stdout.splitlines()) if x.startswith("{")),
        None,
    )
    if line is None:
        raise RuntimeError(f"wrk wrote no summary:\n{stdout}")
    data = json.loads(line)
    return Shot(
        answered=data["answered"],
        accepted=data["accepted"],
        statuses={int(k): v for k, v in data["statuses"].items()},
        seconds=data["seconds"],
        socket_errors=data["socket_errors"],
        ended=data["ended"],
    )


class Loader:
    """The load generator: wrk with bench/ingest.lua when installed (and not refused), else
    Python threads (bench/load.py)."""

    def __init__(self, tokens_file: Path, tokens: list[str], connections: int, python: bool):
        self.wrk = None if python else shutil.which("wrk")
        self.tokens_file = tokens_file
        self.tokens = tokens
        self.connections = connections
        self.sent = 0

    @property
    def name(self) -> str:
        return "wrk" if self.wrk else "Python threads (bench/load.py)"

    def get(self, port: int, path: str, cookie: str, seconds: float) -> Shot:
        if self.wrk:
            return self._wrk(port, seconds, ["get", path, cookie])
        from bench import load

        request = load.Request("GET", path, {"Cookie": cookie} if cookie else {})
        return self._python(port, seconds, lambda i: request)

    def locations(self, port: int, batch: int, seconds: float) -> Shot:
        if self.wrk:
            nonce = uuid.uuid4().hex[:8]
            return self._wrk(port, seconds, ["locations", str(self.tokens_file), str(batch), nonce])
        return self._python(port, seconds, lambda i: self.batch_request(batch), bodies=True)

    def batch_request(self, batch: int, token: str | None = None, end: datetime | None = None):
        """A request of `batch` new points (recorded a millisecond apart up to `end`), from
        the next device in turn unless `token` says which."""
        from bench import load

        self.sent += 1
        token = token or self.tokens[self.sent % len(self.tokens)]
        return load.Request(
            "POST",
            PATH,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            batch_body(batch, end or datetime.now(UTC)),
        )

    def _wrk(self, port: int, seconds: float, args: list[str]) -> Shot:
        threads = min(2, self.connections)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        # No request is sent after `stop`; wrk runs on until every answer is in.
        stop = time.monotonic() + seconds
        done = subprocess.run(  # noqa: S603 - our own command line, no shell
            [self.wrk, "-t", str(threads), "-c", str(self.connections),
             "-d", f"{math.ceil(seconds) + 1}s", "-s", str(LUA), f"http://{HOST}:{port}/",
             "--", f"{stop:.6f}", str(threads), *args],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        shot = parse_wrk(done.stdout)
        shot.load_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return shot

    def _python(self, port: int, seconds: float, make: Callable, bodies: bool = False) -> Shot:
        from bench import load

        before = resource.getrusage(resource.RUSAGE_SELF)
        began = time.monotonic()
        phase = load.run(
            HOST, port, connections=self.connections, make=make, seconds=seconds, keep_bodies=bodies
        )
        after = resource.getrusage(resource.RUSAGE_SELF)
        load_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return shot_of(phase, began, load_cpu)


def shot_of(phase, began: float, load_cpu: float = 0.0) -> Shot:
    accepted = sum(json.loads(r.body)["accepted"] for r in phase.responses if r.status == 202)
    statuses = phase.statuses()
    return Shot(phase.count, accepted, statuses, phase.wall, load_cpu, ended=began + phase.wall)


def batch_body(n: int, end: datetime) -> bytes:
    step = timedelta(milliseconds=1)
    return json.dumps(
        {
            "pings": [
                {
                    "id": str(uuid.uuid4()),
                    "latitude": 47.6 + i / 10_000,
                    "longitude": -122.3 - i / 10_000,
                    "accuracy": 8,
                    "recorded_at": (end - (n - 1 - i) * step).isoformat(),
                    "speed": 12.5,
                    "heading": 90,
                    "altitude": 40.0,
                    "battery": 81,
                }
                for i in range(n)
            ]
        }
    ).encode()
