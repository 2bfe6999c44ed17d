"""The ingest bench's figures come out of what its phases counted as README says, and its load
generator counts every answer to a request it sent: `ingest_lost` compares that count with
the table, so an answer missed would show as a point lost (or a point stored that was never
accepted)."""

import json
import shutil
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.ingest import figures, percentile
from bench.ingest_load import Loader, Shot, parse_wrk
from tracking.ingest import Point


def test_the_figures_follow_from_the_counts():
    results = figures(
        baseline=Shot(answered=1000, seconds=2.0),  # 500/s
        small=Shot(answered=1500, accepted=15_000, seconds=2.0),  # 750/s
        bulk=Shot(answered=900, accepted=90_000, seconds=8.0),
        bulk_stored=90_000,
        bulk_drain_s=1.0,
        bulk_cpu={"web": 3.0, "worker": 2.0, "db": 0.5, "redis": 0.5, "other": 9.0},
        accepted=110_000,
        stored=109_900,
        latencies=[0.01] * 94 + [0.2] + [0.5] * 5,
        kill_accepted=50_000,
        kill_stored=49_800,
        duplicates=3,
    )

    assert results == {
        "ingest_ratio": 1.5,
        "ingest_pings_per_s": 10_000,  # 90,000 stored over 8 s of load and 1 s of drain
        "ingest_cpu_us_per_ping": 66.7,  # 6 s of web, worker, db and redis; "other" is not
        "ingest_drain_s": 1.0,
        "ingest_lost": 100,
        "ingest_latency_p95_s": 0.2,
        "ingest_kill_lost": 203,  # 200 missing and 3 stored twice
    }


def test_percentile_is_the_nearest_rank():
    assert percentile([3, 1, 2, 4], 50) == 2
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([7], 95) == 7
    assert percentile([], 95) == 0.0


def test_the_wrk_summary_line_is_read_among_wrks_report():
    out = (
        "Running 2s test @ http://127.0.0.1:1/\n  2 threads and 4 connections\n"
        '{"answered": 12, "accepted": 110, "statuses": {"202": 11, "503": 1}, '
        '"seconds": 1.5, "socket_errors": 0, "ended": 99.5, "median_ms": 1.0, "p99_ms": 2.0}\n'
    )

    shot = parse_wrk(out)

    assert (shot.answered, shot.accepted, shot.statuses) == (12, 110, {202: 11, 503: 1})
    assert shot.per_second == 8.0
    assert shot.server_errors() == 1
    assert shot.ended == 99.5


class Recorder(BaseHTTPRequestHandler):
    """Takes location batches as the API does (each point checked by its schema) and answers
    202 with the count, remembering every point id and token."""

    protocol_version = "HTTP/1.1"
    ids: list[str] = []
    tokens: set[str] = set()
    requests = 0
    lock = threading.Lock()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        points = [Point.model_validate(p) for p in body["pings"]]
        with self.lock:
            Recorder.requests += 1
            Recorder.ids += [str(p.id) for p in points]
            Recorder.tokens.add(self.headers["Authorization"])
        answer = json.dumps({"accepted": len(points), "rejected": 0}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed")
def test_wrk_sends_new_points_from_every_device_and_counts_every_answer(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tokens = [f"fpt_{uuid.uuid4().hex}" for _ in range(5)]
    tokens_file = tmp_path / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    try:
        shot = Loader(tokens_file, tokens, connections=4, python=False).locations(
            server.server_address[1], batch=10, seconds=0.5
        )
    finally:
        server.shutdown()

    assert shot.answered == Recorder.requests > 0
    assert shot.statuses == {202: Recorder.requests}
    assert shot.accepted == len(Recorder.ids) == 10 * Recorder.requests
    assert len(set(Recorder.ids)) == len(Recorder.ids)
    assert Recorder.tokens == {f"Bearer {t}" for t in tokens}
    assert 0 < shot.seconds < 1.0
