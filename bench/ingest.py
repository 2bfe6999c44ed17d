"""The ingest part of `make bench`: gunicorn (production settings) + the ingest Celery worker
(its own process on the `ingest` queue) + PostgreSQL + Redis + RabbitMQ (the ingest queue, as
docker-compose.yml runs it; `--ingest-broker ""` puts it on Redis), with paired devices posting
location batches, and what it costs, how fast it drains, and that nothing is lost, even
when the worker is killed (-9) mid-ingest. Its own database (portal_bench_ingest) and Redis
databases (4 and 5), so it can run beside the booking bench.

Phases, all on one server, worker and data set (see bench/README.md):
  ratio    the worker paused (SIGSTOP): rounds of the do-nothing app (the load generator's
           ceiling), the signed-in one-query baseline and batches of 10, order rotating
  small    the worker resumed: it drains the batches of 10 the ratio rounds queued
  bulk     batches of 100 for a few seconds, then until every accepted point is stored
  latency  batches of 100 at half the bulk phase's rate; a probe reads each technician's
           latest position (tracking.positions) until it shows the point just accepted
  kill     batches of 100; the worker killed (-9) while it holds batches, started again,
           and everything accepted must be stored once

wrk (with bench/ingest.lua) makes the load of the ratio, bulk and kill phases when it is
installed, else the Python threads of bench/load.py; the latency phase is paced Python.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.figures import print_figures  # noqa: E402
from bench.ingest_load import Loader, Shot, shot_of  # noqa: E402
from bench.ingest_processes import (  # noqa: E402
    Cpu,
    IngestBroker,
    IngestWorker,
    Watch,
    drain,
    duplicates,
    stored,
)
from bench.run import (  # noqa: E402
    HOST,
    WORKERS,
    Browser,
    Server,
    flush_redis,
    recreate_database,
    server_env,
)

DB_NAME = "portal_bench_ingest"
CACHE_URL = "redis://127.0.0.1:6379/4"
BROKER_URL = "redis://127.0.0.1:6379/5"
# The ingest queue's broker unless --ingest-broker says otherwise: the machine's RabbitMQ.
INGEST_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
# On Redis: short, so that the batches a killed worker held come back within the run;
# production's is CELERY_VISIBILITY_TIMEOUT (README). The broker looks for them every 10 s.
# (RabbitMQ hands them back as the worker's connection drops.)
VISIBILITY_TIMEOUT = 5
# After the kill: the visibility timeout, the broker's 10 s between looks, and the work.
KILL_WAIT = 30.0
# Connections opened during the measured phases beyond which their CPU, unseen, matters: the
# worker renews its own every 1,000 tasks (CELERY_DB_REUSE_MAX), a few times a run.
MAX_OPENED = 20

AIMS = {  # key: (test, shown)
    "ingest_ratio": (lambda v: v >= 1.5, ">= 1.5"),
    "ingest_pings_per_s": (lambda v: v >= 20_000, ">= 20000"),
    "ingest_cpu_us_per_ping": (lambda v: v <= 100, "<= 100"),
    "ingest_drain_s": (lambda v: v <= 5, "<= 5"),
    "ingest_lost": (lambda v: v == 0, "0"),
    "ingest_latency_p95_s": (lambda v: v <= 1, "<= 1"),
    "ingest_kill_lost": (lambda v: v == 0, "0"),
}
WARM_POSTS_PER_DEVICE = 4
# Below this ratio the ingest request costs more than the cheapest signed-in page: a failure.
RATIO_FLOOR = 1.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n")[0])
    p.add_argument("--workers", type=int, default=WORKERS, help="gunicorn sync workers")
    p.add_argument(
        "--connections", type=int, default=4, help="concurrent connections (%(default)s)"
    )
    p.add_argument("--devices", type=int, default=500, help="paired devices (%(default)s)")
    p.add_argument("--rounds", type=int, default=2, help="ratio rounds (%(default)s)")
    p.add_argument("--seconds", type=float, default=2.0, help="one ratio phase (%(default)s)")
    p.add_argument("--bulk-seconds", type=float, default=8.0, help="bulk phase (%(default)s)")
    p.add_argument("--latency-seconds", type=float, default=6.0, help="latency phase (%(default)s)")
    p.add_argument("--kill-seconds", type=float, default=6.0, help="kill phase (%(default)s)")
    p.add_argument("--python-load", action="store_true", help="Python threads even with wrk")
    p.add_argument(
        "--ingest-broker",
        default=os.environ.get("BENCH_INGEST_BROKER_URL", INGEST_BROKER_URL),
        help="the ingest queue's broker (INGEST_BROKER_URL; \"\" for Redis, the app's own)",
    )
    p.add_argument("--keep-db", action="store_true", help=f"leave the {DB_NAME} database behind")
    p.add_argument("--out", type=Path, default=BASE_DIR / "var" / "bench.json")
    return p.parse_args(argv)


def log(message: str) -> None:
    print(f"[ingest] {message}", flush=True)


# --- The figures, from what the phases counted ------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value at least p % of `values` are at or
    below."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def figures(
    *,
    baseline: Shot,
    small: Shot,
    bulk: Shot,
    bulk_stored: int,
    bulk_drain_s: float,
    bulk_cpu: dict[str, float],
    accepted: int,
    stored: int,
    latencies: Sequence[float],
    kill_accepted: int,
    kill_stored: int,
    duplicates: int,
) -> dict:
    """The keys bench.json gets, from what the phases counted.

    `bulk_cpu` holds the CPU seconds of web, worker, db, redis and rabbitmq (when it holds the
    ingest queue) from the start of the bulk
    load until its last point was stored; `accepted`/`stored` are the totals of the phases
    before the kill, `kill_*` those of the kill phase; `duplicates` counts points stored more
    than once over the whole run."""
    bulk_span = bulk.seconds + bulk_drain_s
    return {
        "ingest_ratio": round(small.per_second / baseline.per_second, 2)
        if baseline.per_second
        else 0.0,
        "ingest_pings_per_s": round(bulk_stored / bulk_span) if bulk_span else 0,
        "ingest_cpu_us_per_ping": round(
            sum(bulk_cpu.get(k, 0.0) for k in ("web", "worker", "db", "redis", "rabbitmq"))
            / bulk_stored
            * 1e6,
            1,
        )
        if bulk_stored
        else 0.0,
        "ingest_drain_s": round(bulk_drain_s, 2),
        "ingest_lost": accepted - stored,
        "ingest_latency_p95_s": round(percentile(latencies, 95), 3),
        "ingest_kill_lost": (kill_accepted - kill_stored) + duplicates,
    }


# --- Data set ---------------------------------------------------------------------------------


@dataclass
class Fleet:
    tokens: list[str]
    resource_ids: list[int]  # the same order
    customer: object


def seed(devices: int, now: datetime) -> Fleet:
    """`devices` technicians, each with one paired device, working every day all day (the
    default privacy rule, on duty, is the one measured); a customer for the baseline."""
    from datetime import time as clock

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from scheduling.models import Resource, SchedulingSettings, WorkingHours
    from tracking import devices as tokens
    from tracking.models import Device

    # Hours 00:00-23:59 in a zone where it is now far from midnight, so the run never falls
    # in the minute off duty.
    zone = "UTC" if 2 <= now.hour < 22 else "Asia/Tokyo"
    User = get_user_model()
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=f"tech{i:05d}@ingest.example", first_name="Tech", password=unusable)
            for i in range(devices)
        ]
    )
    resources = Resource.objects.bulk_create(
        [Resource(user=u, home_latitude=47.6, home_longitude=-122.3, time_zone=zone) for u in users]
    )
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(resource=r, weekday=d, start=clock(0), end=clock(23, 59))
            for r in resources
            for d in range(7)
        ]
    )
    plain = [tokens.new_token() for _ in resources]
    Device.objects.bulk_create(
        [
            Device(resource=r, name="Phone", token_hash=tokens.token_hash(t), paired_at=now)
            for r, t in zip(resources, plain, strict=True)
        ]
    )
    SchedulingSettings.objects.get_or_create(pk=1)
    customer = User.objects.create(
        email="customer@ingest.example", first_name="Customer", password=unusable
    )
    return Fleet(plain, [r.pk for r in resources], customer)


# --- Latency: accepted -> latest position readable ------------------------------------------


def latency_phase(
    port: int, loader: Loader, fleet: Fleet, *, rate: float, seconds: float, batch: int = 100
) -> tuple[list[float], int, Shot]:
    """Post batches at `rate` requests a second from the probe devices, each new point newer
    than the last, while this thread reads their latest positions: for each new one seen,
    how long after the view accepted it (its received_at) it became readable."""
    from bench import load
    from tracking import positions

    probes = min(20, len(fleet.tokens))
    interval = probes / rate
    latencies: list[float] = []
    shots: list[load.Response] = []
    stop = threading.Event()
    began = time.monotonic()

    def sender(k: int) -> None:
        conn = load.Connection(HOST, port)
        try:
            n = 0
            while True:
                at = began + k * interval / probes + n * interval
                if at - began >= seconds:
                    return
                time.sleep(max(0.0, at - time.monotonic()))
                request = loader.batch_request(batch, fleet.tokens[k])
                shots.append(conn.send(request))
                n += 1
        finally:
            conn.close()

    seen = {
        rid: getattr(positions.latest(rid), "recorded_at", None)
        for rid in fleet.resource_ids[:probes]
    }
    threads = [threading.Thread(target=sender, args=(k,), daemon=True) for k in range(probes)]
    for t in threads:
        t.start()
    watcher_done = threading.Thread(target=lambda: [t.join() for t in threads], daemon=True)
    watcher_done.start()
    grace = None
    while not stop.is_set():
        for rid in seen:
            position = positions.latest(rid)
            if position is not None and position.recorded_at != seen[rid]:
                seen[rid] = position.recorded_at
                latencies.append(time.time() - position.received_at.timestamp())
        if not watcher_done.is_alive():
            grace = grace or time.monotonic() + 2.0
            if time.monotonic() > grace:
                stop.set()
        time.sleep(0.001)
    phase = load.Phase(shots, time.monotonic() - began)
    return latencies, len(shots), shot_of(phase, began)


# --- The run ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    env = server_env(DB_NAME, CACHE_URL, BROKER_URL) | {
        "DJANGO_DEBUG": "false",
        # The devices post as fast as the load generator can; the limit's Redis round trip
        # is still made on every request.
        "INGEST_RATE_LIMIT": "100000000/m",
        "INGEST_BROKER_URL": args.ingest_broker,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        # The mail retries must fit in the visibility timeout (portal.settings checks).
        "MAIL_MAX_RETRIES": "2",
        "MAIL_RETRY_DELAY": "1",
    }
    os.environ.update(env)
    log(f"database {DB_NAME}: recreate, migrate, seed")
    recreate_database(name=DB_NAME)
    flush_redis((CACHE_URL, BROKER_URL))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=0)
    broker = IngestBroker(args.ingest_broker)
    broker.purge()
    fleet = seed(args.devices, datetime.now(UTC))
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    var = BASE_DIR / "var"
    worker = IngestWorker(env, var / "bench-ingest-worker.log")
    worker.log_path.write_text("")
    try:
        with (
            Server(env, var / "bench-ingest-gunicorn.log", args.workers) as server,
            Server(
                env, var / "bench-ingest-noop.log", args.workers, app="bench.noop:application"
            ) as noop,
        ):
            worker.start()
            worker.wait_ready()
            results, problems, report = measure(args, fleet, server, noop, worker, broker)
    finally:
        worker.stop()
        broker.purge()
        broker.close()
        connections.close_all()
        flush_redis((CACHE_URL, BROKER_URL))
        if not args.keep_db:
            recreate_database(drop_only=True, name=DB_NAME)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps(previous | results, indent=2) + "\n")
    print_report(results, report, args=args, elapsed=time.monotonic() - began)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def measure(
    args, fleet: Fleet, server, noop, worker: IngestWorker, broker: IngestBroker
) -> tuple[dict, list, dict]:
    import redis

    redis_pid = redis.Redis.from_url(CACHE_URL).info("server").get("process_id")
    tokens_file = BASE_DIR / "var" / "bench-ingest-tokens.txt"
    tokens_file.write_text("\n".join(fleet.tokens) + "\n")
    loader = Loader(tokens_file, fleet.tokens, args.connections, args.python_load)
    customer = Browser(fleet.customer)
    port, c = server.port, args.connections
    problems: list[str] = []
    log(
        f"gunicorn on {HOST}:{port} ({args.workers} sync workers), the do-nothing app on "
        f"{HOST}:{noop.port}, the ingest worker; {len(fleet.tokens)} devices; load: "
        f"{loader.name}, {c} connections"
    )

    # Warm-up: imports, connections, the per-process caches of every technician's hours. A
    # device in use posts every few seconds, so each gunicorn worker holds its technician's
    # hours and its "last seen" is recent: every device posts about 4 times first (each
    # worker takes about half of them), else the measured rounds would be their first posts.
    warm = loader.locations(port, 10, 2)
    wanted = WARM_POSTS_PER_DEVICE * len(fleet.tokens)
    if warm.answered < wanted:
        loader.locations(
            port, 10, min(30.0, 2 * (wanted - warm.answered) / max(warm.per_second, 1.0))
        )
    loader.get(port, "/bench/baseline/", customer.cookie, 1)
    loader.get(noop.port, "/bench/baseline/", "", 1)
    drain(broker, stored())
    cpu = Cpu(server.proc.pid, worker, redis_pid, broker.pid())

    # Ratio rounds: the web tier alone, the worker paused (the batches wait in Redis).
    shots = {name: Shot() for name in ("ceiling", "baseline", "small")}
    spent: dict[str, dict[str, float]] = {name: {} for name in shots}
    steps = [
        ("ceiling", lambda: loader.get(noop.port, "/bench/baseline/", "", args.seconds)),
        ("baseline", lambda: loader.get(port, "/bench/baseline/", customer.cookie, args.seconds)),
        ("small", lambda: loader.locations(port, 10, args.seconds)),
    ]
    at_start = stored()
    first = cpu.read()
    worker.pause()
    try:
        for r in range(args.rounds):
            for name, step in steps[r % len(steps) :] + steps[: r % len(steps)]:
                before = cpu.read()
                shot = step()
                _add(spent[name], Cpu.spent(before, cpu.read()))
                shots[name].add(shot)
    finally:
        worker.resume()
    accepted = shots["small"].accepted
    # The worker drains what the ratio rounds queued: its cost per batch of 10.
    before = cpu.read()
    small_drain = drain(broker, at_start + accepted)
    spent["small drain"] = Cpu.spent(before, cpu.read())

    # Bulk: batches of 100, the worker running, until every accepted point is stored.
    goal = stored()
    before = cpu.read()
    with Watch(broker) as watch:
        bulk = loader.locations(port, 100, args.bulk_seconds)
        bulk_drain = watch.drained(goal + bulk.accepted, bulk.ended)
    last = cpu.read()
    spent["bulk"] = Cpu.spent(before, last)
    opened = Cpu.opened(first, last)
    bulk_stored = stored() - goal
    accepted += bulk.accepted
    bulk_span = bulk.seconds + bulk_drain

    # Latency at half the bulk phase's rate.
    rate = max(1.0, bulk_stored / bulk_span / 2 / 100) if bulk_span else 1.0
    goal = stored()
    latencies, posts, lat_shot = latency_phase(
        port, loader, fleet, rate=rate, seconds=args.latency_seconds
    )
    drain(broker, goal + lat_shot.accepted)
    accepted += lat_shot.accepted
    total_stored = stored() - at_start

    # Kill: the worker killed (-9) while it holds batches, started again at once.
    goal = stored()
    kill_info: dict = {}

    def killer() -> None:
        time.sleep(min(2.0, args.kill_seconds / 3))
        deadline = time.monotonic() + args.kill_seconds / 2
        # Killed while it holds a batch it has not acknowledged (on RabbitMQ, seen holding
        # one a moment before: rabbitmqctl takes about a second; None where not known).
        held = broker.held()
        while held == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
            held = broker.held()
        kill_info["held"] = held
        worker.kill()
        kill_info["at"] = time.monotonic()
        kill_info["stored_at_kill"] = stored() - goal
        worker.start()

    k = threading.Thread(target=killer, daemon=True)
    with Watch(broker) as watch:
        k.start()
        kill = loader.locations(port, 100, args.kill_seconds)
        k.join()
        worker.wait_ready()
        kill_drain = watch.drained(goal + kill.accepted, kill.ended, timeout=KILL_WAIT)
    kill_stored = stored() - goal
    dups = duplicates()

    results = figures(
        baseline=shots["baseline"],
        small=shots["small"],
        bulk=bulk,
        bulk_stored=bulk_stored,
        bulk_drain_s=bulk_drain,
        bulk_cpu=spent["bulk"],
        accepted=accepted,
        stored=total_stored,
        latencies=latencies,
        kill_accepted=kill.accepted,
        kill_stored=kill_stored,
        duplicates=dups,
    )
    ceiling = shots["ceiling"]
    results["ingest_ceiling_req_s"] = round(ceiling.per_second)
    results["ingest_small_req_s"] = round(shots["small"].per_second)
    results["ingest_baseline_req_s"] = round(shots["baseline"].per_second)
    small_pings = shots["small"].accepted
    results["ingest_worker_us_per_ping_b10"] = (
        round(spent["small drain"]["worker"] / small_pings * 1e6, 1) if small_pings else 0.0
    )
    results["ingest_worker_us_per_ping_b100"] = (
        round(spent["bulk"]["worker"] / bulk_stored * 1e6, 1) if bulk_stored else 0.0
    )

    for name, shot in (*shots.items(), ("bulk", bulk), ("latency", lat_shot), ("kill", kill)):
        ok = {200} if name in ("ceiling", "baseline") else {202}
        if set(shot.statuses) - ok or shot.socket_errors:
            problems.append(f"{name} answered {shot.statuses}, {shot.socket_errors} socket errors")
    if results["ingest_lost"]:
        problems.append(f"{results['ingest_lost']} accepted points were not stored")
    if results["ingest_kill_lost"]:
        problems.append(f"kill: {kill.accepted} accepted, {kill_stored} stored, {dups} duplicates")
    if kill_info.get("held") == 0:
        problems.append("kill: the worker held no batch when it was killed")
    if results["ingest_ratio"] < RATIO_FLOOR:
        problems.append(f"ingest_ratio {results['ingest_ratio']} is below {RATIO_FLOOR}")

    per_request = {
        name: {k: v / shots[name].answered * 1000 for k, v in spent[name].items()}
        for name in shots
        if shots[name].answered
    }
    for name, shot in shots.items():
        if shot.answered:
            per_request[name]["load"] = shot.load_cpu / shot.answered * 1000
    per_ping = {
        name: {k: v / n * 1e6 for k, v in spent[name].items()}
        for name, n in (("small drain", small_pings), ("bulk", bulk_stored))
        if n
    }
    report = {
        "loader": loader.name,
        "worker": " ".join(worker.options),
        "broker": "RabbitMQ" if broker.rabbitmq else "Redis",
        "per_request": per_request,
        "per_ping": per_ping,
        "ceiling_ms": ceiling.load_cpu / ceiling.answered * 1000 if ceiling.answered else 0,
        "small_drain_s": small_drain,
        "bulk": bulk,
        "latency": (latencies, posts, rate),
        "kill": {**kill_info, "drain_s": kill_drain, "accepted": kill.accepted},
        "warnings": [
            f"{opened} connections were made to {DB_NAME} during the measured phases: "
            "the CPU of backends that ended between two readings is missing from db"
        ]
        * (opened > MAX_OPENED)
        + [
            f"{name} reached {shots[name].per_second:.0f}/s, more than half the load "
            f"generator's ceiling ({ceiling.per_second:.0f}/s)"
            for name in ("baseline", "small")
            if shots[name].per_second > ceiling.per_second / 2
        ],
    }
    return results, problems, report


def _add(total: dict[str, float], more: dict[str, float]) -> None:
    for k, v in more.items():
        total[k] = total.get(k, 0.0) + v


def print_report(results: dict, report: dict, *, args, elapsed: float) -> None:
    print()
    print(
        f"Ingest: gunicorn, {args.workers} sync workers, production settings; the ingest "
        f"worker ({report['worker']}) on {report['broker']}; {args.devices} devices. "
        f"Load: {report['loader']}, "
        f"{args.connections} connections."
    )
    print()
    print_figures(results, AIMS, width=31)
    print()
    print("CPU per request, ms      web     db  redis rabbitmq  load  other")
    for name, ms in report["per_request"].items():
        print(
            f"  {name:<20} {ms['web']:>6.3f} {ms['db']:>6.3f} {ms['redis']:>6.3f} "
            f"{ms['rabbitmq']:>8.3f} {ms.get('load', 0):>5.3f} {ms['other']:>6.3f}"
        )
    print("CPU per ping stored, µs  web  worker     db  redis rabbitmq  other")
    for name, us in report["per_ping"].items():
        print(
            f"  {name:<18} {us['web']:>6.1f} {us['worker']:>6.1f} {us['db']:>6.1f} "
            f"{us['redis']:>6.1f} {us['rabbitmq']:>8.1f} {us['other']:>6.1f}"
        )
    latencies, posts, rate = report["latency"]
    if latencies:
        print(
            f"Latency: {len(latencies)} positions seen of {posts} batches posted at "
            f"{rate:.0f}/s; median {statistics.median(latencies) * 1000:.0f} ms, max "
            f"{max(latencies) * 1000:.0f} ms"
        )
    kill = report["kill"]
    print(
        f"Kill: {'an unknown number of' if kill.get('held') is None else kill['held']} "
        "batches held by the worker when killed, "
        f"{kill.get('stored_at_kill', 0)} of {kill['accepted']} points stored by then; "
        + (
            f"all stored {kill['drain_s']:.1f} s after the load ended"
            if not results["ingest_kill_lost"]
            else f"{KILL_WAIT:.0f} s after the load ended some were still missing (the batch "
            "the worker was fetching when killed? bench/README.md, 'What a kill can still "
            "lose')"
        )
        + (
            " (RabbitMQ: handed back as the worker's connection dropped)"
            if report["broker"] == "RabbitMQ"
            else f" (visibility timeout {VISIBILITY_TIMEOUT} s in the bench)"
        )
    )
    for warning in report["warnings"]:
        print(f"WARNING: {warning}")
    print()
    print(f"Wrote {args.out}; the ingest run took {elapsed:.0f} s.")


if __name__ == "__main__":
    sys.exit(main())
