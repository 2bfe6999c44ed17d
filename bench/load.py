"""A small HTTP load generator: threads, each with its own http.client connection.

The connection is kept open while the server allows it; gunicorn's sync workers (the
portal's production setup) close it after each response, and http.client then opens a
new one for the next request, so connect time is part of every measured request, for every
phase alike.
"""

import http.client
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


@dataclass
class Phase:
    responses: list[Response] = field(default_factory=list)
    wall: float = 0.0

    @property
    def count(self) -> int:
        return len(self.responses)

    @property
    def per_second(self) -> float:
        return self.count / self.wall if self.wall else 0.0

    @property
    def median_ms(self) -> float:
        return statistics.median(r.seconds for r in self.responses) * 1000

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(r.seconds for r in self.responses)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for r in self.responses:
            counts[r.status] = counts.get(r.status, 0) + 1
        return dict(sorted(counts.items()))

    def extend(self, other: "Phase") -> None:
        self.responses += other.responses
        self.wall += other.wall


class Connection:
    def __init__(self, host: str, port: int, timeout: float = 60.0):
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def open(self) -> None:
        self.conn.connect()

    def send(self, request: Request) -> Response:
        began = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.conn.request(request.method, request.path, request.body, request.headers)
                raw = self.conn.getresponse()
                body = raw.read()
                break
            except (ConnectionError, http.client.RemoteDisconnected, BrokenPipeError):
                # A kept-alive connection the server had already closed: once more, afresh.
                self.conn.close()
                if attempt == 2:
                    raise
                began = time.perf_counter()
        seconds = time.perf_counter() - began
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, body, seconds)

    def close(self) -> None:
        self.conn.close()


def run(
    host: str,
    port: int,
    *,
    connections: int,
    make: Callable[[int], Request] | None = None,
    seconds: float | None = None,
    jobs: Iterable[Request] | None = None,
    keep_bodies: bool = False,
) -> Phase:
    """Send requests on `connections` concurrent connections: `make(i)` until `seconds`
    have passed, or each of `jobs` once. All start together; `wall` runs from the start to
    the last response."""
    if (make is None) == (jobs is None):
        raise ValueError("give either make (with seconds) or jobs")
    lock = threading.Lock()
    queue = iter(jobs) if jobs is not None else None
    counter = iter(range(10**9))
    results: list[list[Response]] = [[] for _ in range(connections)]
    errors: list[BaseException] = []
    start = threading.Barrier(connections + 1)
    deadline = [0.0]

    def next_request() -> Request | None:
        with lock:
            if queue is not None:
                return next(queue, None)
            if time.perf_counter() >= deadline[0]:
                return None
            return make(next(counter))

    def worker(slot: int) -> None:
        conn = Connection(host, port)
        try:
            start.wait()
            while (request := next_request()) is not None:
                response = conn.send(request)
                if not keep_bodies:
                    response = Response(response.status, response.headers, b"", response.seconds)
                results[slot].append(response)
        except BaseException as exc:  # reported by the caller, never silently lost
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    deadline[0] = began + (seconds or 0)
    start.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} connection(s) failed: {errors[0]!r}") from errors[0]
    return Phase([r for rs in results for r in rs], wall)


def stampede(host: str, port: int, requests: list[Request], timeout: float = 120.0) -> Phase:
    """Every request on its own connection, opened beforehand, all sent at the same moment."""
    n = len(requests)
    results: list[Response | BaseException | None] = [None] * n
    ready = threading.Barrier(n + 1)
    go = threading.Event()

    def worker(i: int) -> None:
        conn = Connection(host, port, timeout=timeout)
        try:
            conn.open()
        except BaseException as exc:
            results[i] = exc
        try:
            ready.wait()
            go.wait()
            if results[i] is None:
                results[i] = conn.send(requests[i])
        except BaseException as exc:
            results[i] = exc
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    ready.wait()
    began = time.perf_counter()
    go.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    failed = [r for r in results if not isinstance(r, Response)]
    if failed:
        raise RuntimeError(f"{len(failed)} race connection(s) failed: {failed[0]!r}")
    return Phase([r for r in results if isinstance(r, Response)], wall)
