"""`make bench`: build the data set in PostgreSQL, serve the portal with gunicorn under
production settings, and measure, with one load generator in one run:

- the CPU (gunicorn workers + their PostgreSQL backends) one booking and one slots partial
  cost, over what a signed-in one-query baseline view costs in the same rounds: the headline,
  since it holds whatever else the machine is doing;
- the statements one booking sends;
- the load generator's ceiling: the requests per second it reaches against a WSGI app that
  does nothing, served the same way;
- a race: 200 customers on 200 connections at one slot where a known number of resources
  is free.

Prints a table and writes the same figures to var/bench.json. Exits non-zero when a check
fails (a server error, a booking refused, the race booking more or fewer than were free, an
overlap); a missed aim is reported, not fatal. See bench/README.md.
"""

import argparse
import json
import os
import random
import resource
import secrets
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bench.load import Request

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.figures import print_figures  # noqa: E402  (the checkout on the path first)

HOST = "127.0.0.1"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "portal_bench"
CACHE_URL = "redis://127.0.0.1:6379/8"
BROKER_URL = "redis://127.0.0.1:6379/9"
WORKERS = 2
UTC = ZoneInfo("UTC")
LA = ZoneInfo("America/Los_Angeles")

AIMS = {  # key: (test, shown)
    "book_cpu_x": (lambda v: v <= 3, "<= 3"),
    "slots_cpu_x": (lambda v: v <= 2.5, "<= 2.5"),
    "slots_ratio": (lambda v: v >= 0.25, ">= 0.25"),
    "slots_median_ms": (lambda v: v <= 15, "<= 15"),
    "book_per_s": (lambda v: v >= 200, ">= 200"),
    "map_ratio": (lambda v: v >= 1.0, ">= 1.0"),
}
# An endpoint answering at more than this share of the generator's ceiling is measured, in
# part, against the generator.
CEILING_SHARE = 0.5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--workers", type=int, default=WORKERS, help="gunicorn sync workers (%(default)s)"
    )
    p.add_argument(
        "--connections",
        type=int,
        help="concurrent connections for slots, baseline and bookings (as many as workers)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=2.0,
        help="length of one slots or baseline round (%(default)s)",
    )
    p.add_argument(
        "--rounds", type=int, default=6, help="alternating baseline/slots rounds (%(default)s)"
    )
    p.add_argument("--bookings", type=int, default=600, help="bookings to make (%(default)s)")
    p.add_argument(
        "--race-free", type=int, default=5, help="resources free at the race slot (%(default)s)"
    )
    p.add_argument("--keep-db", action="store_true", help=f"leave the {DB_NAME} database behind")
    p.add_argument("--out", type=Path, default=BASE_DIR / "var" / "bench.json")
    p.add_argument(
        "--part",
        choices=("all", "booking", "ingest"),
        default="all",
        help="the booking run, the ingest run (bench/ingest.py, its own process and "
        "database), or both, one after the other (%(default)s)",
    )
    args = p.parse_args(argv)
    args.connections = args.connections or args.workers
    return args


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- Environment, database, server ---------------------------------------------------------


def server_env(
    db_name: str = DB_NAME, cache_url: str = CACHE_URL, broker_url: str = BROKER_URL
) -> dict[str, str]:
    """Production settings, with plain http on loopback and the bench's own databases."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DATABASE_URL": f"{PG_SERVER}/{db_name}",
        "REDIS_URL": cache_url,
        "CELERY_BROKER_URL": broker_url,
        "PORTAL_BASE_URL": f"http://{HOST}",
        "LOG_LEVEL": "WARNING",
        # Keep each worker's database connection for the whole run (production renews it
        # every minute, a cost too small to see), so the meter follows the same backends.
        "DATABASE_CONN_MAX_AGE": "3600",
    }


def recreate_database(drop_only: bool = False, name: str = DB_NAME) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis(urls: tuple[str, ...] = (CACHE_URL, BROKER_URL)) -> None:
    import redis

    for url in urls:
        redis.Redis.from_url(url).flushdb()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """gunicorn as the portal's Dockerfile runs it: sync workers, 2 of them by default."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        workers: int = WORKERS,
        app: str = "portal.wsgi:application",
    ):
        self.port = free_port()
        self.workers = workers
        self.app = app
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.log_file = self.log_path.open("w")
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
            "--workers",
            str(self.workers),
            "--bind",
            f"{HOST}:{self.port}",
            "--chdir",
            str(BASE_DIR),
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(  # noqa: S603 - our own command line, no shell
            cmd, env={**os.environ, **self.env}, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        from bench.load import Connection, Request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                conn = Connection(HOST, self.port, timeout=5)
                status = conn.send(Request("GET", "/bench/baseline/", {})).status
                conn.close()
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.proc:
            stop_process(self.proc)
        self.log_file.close()


def stop_process(proc: subprocess.Popen) -> None:
    """Ask it to stop (SIGTERM), and kill it if it has not within 20 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- Sign-in without the sign-in page ---------------------------------------------------------


class Browser:
    """A signed-in customer: a session made directly in the session store and a CSRF cookie
    whose secret doubles as the form token (Django accepts the unmasked secret)."""

    def __init__(self, user):
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.utils.crypto import get_random_string

        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = user._meta.pk.value_to_string(user)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        self.user = user
        self.csrf = get_random_string(32)
        self.cookie = (
            f"{settings.SESSION_COOKIE_NAME}={store.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf}"
        )

    def get(self, path: str, **headers: str):
        from bench.load import Request

        return Request("GET", path, {"Cookie": self.cookie, **headers})

    def post(self, path: str, form: dict):
        from bench.load import Request

        body = urlencode(form | {"csrfmiddlewaretoken": self.csrf}).encode()
        headers = {"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"}
        return Request("POST", path, headers, body)


# --- Which slots are free, by the app's own rules ---------------------------------------------


def free_counts(account_id: int, service_type_id: int, starts: list[datetime]) -> list[int]:
    """For each start, how many resources could take the visit: the app's own eligibility,
    plans and placement (scheduling.planning / scheduling.availability)."""
    from scheduling import planning
    from scheduling.availability import Interval, place
    from scheduling.models import SchedulingSettings, ServiceAccount, ServiceType

    account = ServiceAccount.objects.get(pk=account_id)
    service_type = ServiceType.objects.get(pk=service_type_id)
    settings = SchedulingSettings.current()
    resources = planning.eligible_resources(account, service_type, settings)
    span = Interval(min(starts), max(starts) + service_type.duration)
    plans = planning.load_plans(resources, span)
    speed = settings.travel_speed_kmh
    return [
        sum(
            1
            for p in plans
            if place(p, s, s + service_type.duration, account.point, speed) is not None
        )
        for s in starts
    ]


def booking_targets(data, *, skip_days: set, limit: int, rng: random.Random) -> list:
    """Distinct (customer, start) pairs, each at a start where at least two resources are
    free and two hours from the customer's other targets that day, so no booking in the
    batch can take away the only resource another one needs."""
    targets = []
    for customer in data.customers:
        candidates = []
        for day in data.days[1:-2]:
            if day in skip_days:
                continue
            for half_hours in range(16, 33):  # 08:00 .. 16:00
                local = datetime.combine(day, datetime.min.time(), tzinfo=LA)
                candidates.append((local + timedelta(minutes=30 * half_hours)).astimezone(UTC))
        counts = free_counts(customer.account_id, data.service_type_id, candidates)
        last = None
        for start, free in zip(candidates, counts, strict=True):
            if free < 2 or (
                last and last.date() == start.date() and start - last < timedelta(hours=2)
            ):
                continue
            targets.append((customer, start))
            last = start
    rng.shuffle(targets)
    return targets[:limit]


# --- Checks in the database ------------------------------------------------------------------

OVERLAPS_SQL = """
SELECT count(*) FROM scheduling_appointment a
JOIN scheduling_appointment b
  ON a.resource_id = b.resource_id AND a.id < b.id
 AND a.start < b."end" AND b.start < a."end"
WHERE a.status IN ('scheduled', 'traveling', 'in_progress')
  AND b.status IN ('scheduled', 'traveling', 'in_progress')
"""


def sql_value(sql: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would have after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- Where the CPU goes ----------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _machine_busy() -> float:
    """CPU seconds all processes have used since boot (the non-idle time in /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


class Meter:
    """CPU time of the gunicorn workers, of their PostgreSQL backends and of this process
    (the load generator), per request of a phase, round by round: which of them a phase is
    bound by, and what a request costs whatever else the machine is doing."""

    def __init__(self, server_pids: list[int]):
        self.app = [pid for server in server_pids for pid in _children(server)]
        self.rounds: dict[str, list[tuple[list[float], int]]] = {}
        self.lost_backends: set[int] = set()

    @staticmethod
    def _backends() -> dict[int, float]:
        """CPU seconds of each backend of the bench database, but this process's own."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return {pid: _cpu_seconds(pid) for (pid,) in cursor.fetchall()}

    def _now(self) -> tuple[float, dict[int, float], float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        app = sum(_cpu_seconds(p) for p in self.app)
        return app, self._backends(), usage.ru_utime + usage.ru_stime, _machine_busy()

    def measure(self, name: str, action):
        app, db, client, busy = self._now()
        result = action()
        app_, db_, client_, busy_ = self._now()
        # A backend that started during the round counts from zero. One that ended took its
        # last CPU along; the bench keeps connections for longer than a run, so none should.
        self.lost_backends |= db.keys() - db_.keys()
        spent = [
            app_ - app,
            sum(cpu - db.get(pid, 0.0) for pid, cpu in db_.items()),
            client_ - client,
            busy_ - busy,
        ]
        spent[3] -= spent[0] + spent[1] + spent[2]
        self.rounds.setdefault(name, []).append((spent, len(result.responses)))
        return result

    def per_request_ms(self, name: str) -> list[float] | None:
        """app, db, load generator, everything else on the machine: ms per request."""
        rounds = self.rounds.get(name, [])
        n = sum(count for _, count in rounds)
        if not n:
            return None
        return [sum(spent[i] for spent, _ in rounds) / n * 1000 for i in range(4)]

    def server_ms(self, name: str) -> float | None:
        """What one request costs the server: app + db CPU, ms."""
        ms = self.per_request_ms(name)
        return ms[0] + ms[1] if ms else None

    def server_x(self, name: str, base: str) -> tuple[float, float, float] | None:
        """Server CPU per request of `name` over that of `base`: over all rounds, and the
        lowest and highest of the rounds one by one (each against the same round's base)."""
        mine, theirs = self.server_ms(name), self.server_ms(base)
        if not mine or not theirs:
            return None
        by_round = [
            ((a[0] + a[1]) / n) / ((b[0] + b[1]) / m)
            for (a, n), (b, m) in zip(self.rounds[name], self.rounds[base], strict=False)
            if n and m and b[0] + b[1]
        ]
        return mine / theirs, min(by_round, default=0.0), max(by_round, default=0.0)


# --- Statements per request ------------------------------------------------------------------


def statements(user, warm: "Request", counted: "Request") -> tuple[int, str, list[str]]:
    """Send `warm`, then `counted`, in this process through Django's test client as `user`
    and return the status, the redirect and the SQL statements of `counted`: the settings,
    middleware and views the gunicorn workers run, in the steady state they reach after the
    warm-up (the first request fills the per-process caches). Bookings go to the bench
    database, so two posts need two free slots.

    Counted are the statements Django logs: the queries and the transaction's BEGIN, COMMIT,
    SAVEPOINT and RELEASE; not the connection health check's `SELECT 1` at a request's start."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)

    def send(request: "Request"):
        return client.generic(
            request.method,
            request.path,
            request.body or b"",
            content_type=request.headers.get("Content-Type", ""),
            headers={
                k: v for k, v in request.headers.items() if k not in ("Cookie", "Content-Type")
            },
        )

    send(warm)
    with CaptureQueriesContext(connection) as queries:
        response = send(counted)
    sql = [q["sql"] for q in queries.captured_queries]
    return response.status_code, response.headers.get("Location", ""), sql


def ceiling_warnings(ceiling: float, rates: dict[str, float]) -> list[str]:
    """A warning for each endpoint that answered at more than CEILING_SHARE of the load
    generator's ceiling: its figure says as much about the generator as about the server."""
    return [
        f"{name} reached {per_s:.0f}/s, more than {CEILING_SHARE:.0%} of the load generator's "
        f"ceiling ({ceiling:.0f}/s): it is measured partly against the generator; "
        "use more connections or a faster generator"
        for name, per_s in rates.items()
        if per_s > CEILING_SHARE * ceiling
    ]


def _is_transaction_control(sql: str) -> bool:
    return sql.split(" ", 1)[0] in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


# --- The live map's refresh ------------------------------------------------------------------


def map_phase(data, customer: Browser):
    """The first customer's live map refresh: a visit of their territory on the first day
    (no booking target falls there) made theirs and Traveling, its technician 5 km away.
    Returns the request and the round's step, which reports a fresh position first so that
    every round shows a marker and an ETA (a position hidden by age would cost less)."""
    from django.utils import timezone

    from bench import load
    from scheduling.models import Appointment, ServiceAccount
    from tracking import positions

    visit = (
        Appointment.objects.filter(
            resource__territories=data.territory_ids[0], start__date=data.days[0]
        )
        .order_by("id")
        .first()
    )
    Appointment.objects.filter(pk=visit.pk).update(
        service_account_id=data.customers[0].account_id, status=Appointment.Status.TRAVELING
    )
    site = ServiceAccount.objects.get(pk=data.customers[0].account_id).point
    where = (site[0] + 0.045, site[1])  # 5 km north: a coarse position and an ETA to work out
    path = f"/appointments/{visit.pk}/map/state/"

    def request(i: int):
        return customer.get(path)

    def step(port: int, connections: int, seconds: float):
        now = timezone.now()
        positions.advance(
            visit.resource_id,
            positions.Position(
                latitude=where[0], longitude=where[1], accuracy=10.0, recorded_at=now,
                received_at=now, speed=12.0,
            ),
        )  # fmt: skip
        return load.run(HOST, port, connections=connections, make=request, seconds=seconds)

    return request, step


# --- The run ------------------------------------------------------------------------------------


def is_booked(response) -> bool:
    return response.status == 302 and "/appointments/" in response.headers.get("location", "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    failed = 0
    if args.part in ("all", "booking"):
        failed |= booking_main(args)
    if args.part in ("all", "ingest"):
        # Its own process: its own settings, database and Redis databases.
        failed |= subprocess.call(  # noqa: S603 - our own command line, no shell
            [sys.executable, "-m", "bench.ingest", "--workers", str(args.workers),
             "--out", str(args.out), *(["--keep-db"] if args.keep_db else [])],
            cwd=BASE_DIR,
        )  # fmt: skip
    return 1 if failed else 0


def booking_main(args: argparse.Namespace) -> int:
    began = time.monotonic()
    env = server_env()
    os.environ.update(env)

    log(f"database {DB_NAME}: recreate, migrate, seed")
    recreate_database()
    flush_redis()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from bench import seed

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    t = time.monotonic()
    data = seed.build(today=datetime.now(LA).date(), race_free=args.race_free)
    analyze()
    log(
        f"seeded {data.resources} resources in {len(data.territory_ids)} territories, "
        f"{data.appointments} appointments over {len(data.days)} days "
        f"in {time.monotonic() - t:.1f} s"
    )
    try:
        with (
            Server(env, BASE_DIR / "var" / "bench-gunicorn.log", args.workers) as server,
            Server(
                env, BASE_DIR / "var" / "bench-noop.log", args.workers, app="bench.noop:application"
            ) as noop,
        ):
            results, problems, report = measure(args, data, server, noop)
    finally:
        connections.close_all()
        flush_redis()
        if not args.keep_db:
            recreate_database(drop_only=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    # The ingest run's keys, if any, stay until it writes its own.
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps(previous | results, indent=2) + "\n")
    args.out.with_suffix(".sql").write_text(
        "".join(
            f"-- {name}: {len(sql)} statements\n" + "".join(f"{q};\n" for q in sql) + "\n"
            for name, sql in report["statements"].items()
        )
    )
    print_report(results, report, args=args, elapsed=time.monotonic() - began)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def measure(args, data, server, noop) -> tuple[dict, list[str], dict]:
    from django.contrib.auth import get_user_model

    from bench import load
    from scheduling.models import Appointment

    problems: list[str] = []
    people = data.customers + data.racers
    users = get_user_model().objects.in_bulk([c.user_id for c in people])
    browsers = {c.user_id: Browser(users[c.user_id]) for c in people}
    slots_day = data.days[7]
    targets = booking_targets(
        data,
        skip_days={data.race_day, slots_day},
        limit=args.bookings + 2,  # two of one customer for counting statements in this process
        rng=random.Random(2),  # noqa: S311 - shuffling test data
    )
    counted_targets = [t for t in targets if t[0] == targets[0][0]][:2]
    targets = [t for t in targets if t not in counted_targets][: args.bookings]
    race_free = free_counts(data.race_account_id, data.service_type_id, [data.race_start])[0]
    if race_free != data.race_free:
        problems.append(f"the data set has {race_free} free at the race slot, not {data.race_free}")
    log(f"{len(targets)} booking targets; {race_free} resources free at the race slot")

    customer = browsers[data.customers[0].user_id]
    slots_path = f"/book/slots/?service_type={data.service_type_id}&day={slots_day.isoformat()}"

    def slots_request(i: int):
        return customer.get(slots_path, **{"HX-Request": "true"})

    def baseline_request(i: int):
        return customer.get("/bench/baseline/")

    def noop_request(i: int):
        return customer.get("/bench/baseline/")  # the same request, to an app that does nothing

    map_request, map_step = map_phase(data, customer)

    def booking(browser: Browser, start: datetime):
        return browser.post(
            "/book/",
            {
                "product": data.product_id,
                "service_type": data.service_type_id,
                "day": start.astimezone(LA).date().isoformat(),
                "start": start.isoformat(),
                "comments": "Bench booking",
                "token": str(uuid.uuid4()),
                # A customer's targets are alike by design: past the similar-visit warning.
                "confirm_similar": "on",
            },
        )

    port, c = server.port, args.connections
    log(
        f"gunicorn on {HOST}:{port}, {args.workers} sync workers, and a WSGI app that does "
        f"nothing on {HOST}:{noop.port}; load on {c} connections"
    )
    check = load.Connection(HOST, port)
    first = check.send(slots_request(0))
    check.close()
    if first.status != 200 or b'name="start"' not in first.body:
        problems.append(f"the slots partial answered {first.status} without times")
    check = load.Connection(HOST, port)
    map_step(port, c, 0.1)
    first = check.send(map_request(0))
    check.close()
    if first.status != 200 or b'"freshness": "fresh"' not in first.body:
        problems.append(f"the live map's refresh answered {first.status} without a position")
    # Warm the workers: imports, templates, database connections.
    load.run(HOST, port, connections=c, make=slots_request, seconds=1)
    load.run(HOST, port, connections=c, make=baseline_request, seconds=1)
    load.run(HOST, noop.port, connections=c, make=noop_request, seconds=0.5)
    meter = Meter([server.proc.pid, noop.proc.pid])

    # Every phase runs in every round, the order rotating, so each meets the machine's other
    # load alike and the CPU ratios compare requests measured side by side.
    jobs = [booking(browsers[cust.user_id], start) for cust, start in targets]
    per_round = -(-len(jobs) // args.rounds)

    def timed(target_port: int, make):
        return lambda r: load.run(HOST, target_port, connections=c, make=make, seconds=args.seconds)

    steps = [
        ("ceiling", timed(noop.port, noop_request)),
        ("baseline", timed(port, baseline_request)),
        ("slots", timed(port, slots_request)),
        ("map", lambda r: map_step(port, c, args.seconds)),
        (
            "book",
            lambda r: load.run(
                HOST, port, connections=c, jobs=jobs[r * per_round : (r + 1) * per_round]
            ),
        ),
    ]
    phases = {name: load.Phase() for name, _ in steps}
    for r in range(args.rounds):
        for name, step in steps[r % len(steps) :] + steps[: r % len(steps)]:
            phases[name].extend(meter.measure(name, lambda step=step, r=r: step(r)))
    ceiling, baseline, slots = phases["ceiling"], phases["baseline"], phases["slots"]
    booked_phase = phases["book"]
    for name in ("ceiling", "slots", "baseline", "map"):
        if set(phases[name].statuses()) != {200}:
            problems.append(f"{name} answered {phases[name].statuses()}")

    booked = sum(1 for r in booked_phase.responses if is_booked(r))
    book_5xx = sum(1 for r in booked_phase.responses if r.status >= 500)
    if booked != len(jobs):
        problems.append(
            f"{len(jobs) - booked} of {len(jobs)} bookings failed: {booked_phase.statuses()}"
        )

    counted = {
        "baseline": statements(customer.user, baseline_request(0), baseline_request(1)),
        "slots": statements(customer.user, slots_request(0), slots_request(1)),
        "map": statements(customer.user, map_request(0), map_request(1)),
    }
    booker = browsers[counted_targets[0][0].user_id]
    counted["book"] = statements(
        booker.user, *(booking(booker, start) for _, start in counted_targets)
    )
    status, location, _ = counted["book"]
    if not (status == 302 and "/appointments/" in location):
        problems.append(f"the booking counted in this process answered {status} {location}")
    counted = {name: sql for name, (_, _, sql) in counted.items()}

    race_jobs = [booking(browsers[r.user_id], data.race_start) for r in data.racers]
    race = meter.measure("race", lambda: load.stampede(HOST, port, race_jobs))
    race_booked = sum(1 for r in race.responses if is_booked(r))
    race_taken = sum(
        1 for r in race.responses if r.status == 200 and b"That time was just taken" in r.body
    )
    race_5xx = sum(1 for r in race.responses if r.status >= 500)
    in_db = Appointment.objects.filter(
        service_account_id=data.race_account_id,
        start=data.race_start,
        status__in=Appointment.ACTIVE,
    ).count()
    overlaps = sql_value(OVERLAPS_SQL)
    if race_booked != race_free or in_db != race_booked:
        problems.append(
            f"race: {race_booked} answered booked, {in_db} in the database, {race_free} free"
        )
    if race_booked + race_taken != len(race_jobs):
        problems.append(f"race: answers neither booked nor taken: {race.statuses()}")
    if overlaps or book_5xx or race_5xx:
        problems.append(f"{overlaps} overlaps, {book_5xx} + {race_5xx} server errors")

    cpu = {name: meter.per_request_ms(name) for name in (*phases, "race")}
    book_x = meter.server_x("book", "baseline") or (0.0, 0.0, 0.0)
    slots_x = meter.server_x("slots", "baseline") or (0.0, 0.0, 0.0)
    book_per_s = booked / booked_phase.wall if booked_phase.wall else 0.0
    load_ms = cpu["ceiling"][2] if cpu["ceiling"] else 0.0
    results = {
        "book_cpu_x": round(book_x[0], 2),
        "slots_cpu_x": round(slots_x[0], 2),
        "queries_per_booking": len(counted["book"]),
        "book_cpu_ms": round(meter.server_ms("book") or 0.0, 2),
        "slots_cpu_ms": round(meter.server_ms("slots") or 0.0, 2),
        "baseline_cpu_ms": round(meter.server_ms("baseline") or 0.0, 2),
        "slots_median_ms": round(slots.median_ms, 2),
        "book_median_ms": round(booked_phase.median_ms, 2) if booked_phase.responses else 0.0,
        "slots_req_s": round(slots.per_second, 1),
        "baseline_req_s": round(baseline.per_second, 1),
        "slots_ratio": round(slots.per_second / baseline.per_second, 3),
        "book_per_s": round(book_per_s, 1),
        "load_ceiling_req_s": round(ceiling.per_second, 1),
        "load_cpu_ms": round(load_ms, 3),
        "race_attempts": len(race_jobs),
        "race_free": race_free,
        "race_booked": race_booked,
        "race_overlaps": overlaps,
        "race_5xx": race_5xx,
        "map_ratio": round(phases["map"].per_second / baseline.per_second, 3),
    }

    warnings = ceiling_warnings(
        ceiling.per_second,
        {
            "baseline": baseline.per_second,
            "slots": slots.per_second,
            "book": book_per_s,
            "map": phases["map"].per_second,
        },
    )
    if meter.lost_backends:
        warnings.append(
            f"{len(meter.lost_backends)} PostgreSQL backend(s) ended during a phase; "
            "the db CPU of that phase is undercounted"
        )

    def parts(name: str) -> str:
        ms = cpu[name]
        return f"{ms[0]:.2f} app + {ms[1]:.2f} db ms" if ms else "no requests"

    def spread(x: tuple[float, float, float]) -> str:
        return f"rounds {x[1]:.2f} to {x[2]:.2f}"

    report = {
        "data": (
            f"{data.resources} resources in {len(data.territory_ids)} territories, "
            f"{data.appointments} appointments over {len(data.days)} days"
        ),
        "book_cpu_x": f"{spread(book_x)}; book_cpu_ms over baseline_cpu_ms",
        "slots_cpu_x": f"{spread(slots_x)}; slots_cpu_ms over baseline_cpu_ms",
        "queries_per_booking": (
            f"{sum(1 for q in counted['book'] if not _is_transaction_control(q))} queries "
            "and BEGIN, COMMIT, savepoints; slots "
            f"{len(counted['slots'])}, baseline {len(counted['baseline'])}; see var/bench.sql"
        ),
        "book_cpu_ms": parts("book"),
        "slots_cpu_ms": parts("slots"),
        "baseline_cpu_ms": parts("baseline"),
        "slots_median_ms": f"p90 {slots.percentile_ms(90):.1f} ms; {slots.count} requests",
        "book_median_ms": f"{booked} booked, {len(jobs)} posted",
        "slots_req_s": f"{slots.wall:.1f} s in all",
        "baseline_req_s": f"median {baseline.median_ms:.1f} ms; {baseline.count} requests",
        "slots_ratio": "slots_req_s / baseline_req_s: low when the machine is busy",
        "book_per_s": f"{booked_phase.wall:.1f} s in all",
        "load_ceiling_req_s": (
            f"a WSGI app that does nothing, same server and connections; "
            f"median {ceiling.median_ms:.2f} ms"
        ),
        "load_cpu_ms": "the load generator's CPU per request against that app",
        "race_attempts": f"each on its own connection, last answer after {race.wall:.1f} s",
        "race_booked": f"{race_taken} told 'That time was just taken'; {in_db} in the database",
        "map_ratio": (
            f"live map refresh {phases['map'].per_second:.0f}/s over the baseline's, "
            f"{len(counted['map'])} statements; {parts('map')}"
        ),
        "cpu": cpu,
        "warnings": warnings,
        "statements": counted,
    }
    return results, problems, report


def print_report(results: dict, report: dict, *, args, elapsed: float) -> None:
    print()
    print(f"Data: {report['data']}.")
    print(
        f"Server: gunicorn, {args.workers} sync workers, production settings. Load: "
        f"{args.connections} connections, {args.rounds} rounds of the ceiling, baseline and "
        f"slots ({args.seconds:g} s each) and 1/{args.rounds} of the bookings, order rotating."
    )
    print()
    print_figures(results, AIMS, details=report)
    print()
    print("CPU per request, ms     app    db  load  other")
    busy = []
    for name, ms in report["cpu"].items():
        if ms:
            print(f"  {name:<18} {ms[0]:>7.2f} {ms[1]:>5.2f} {ms[2]:>5.2f} {ms[3]:>6.2f}")
            busy.append(ms[3] / sum(ms))
    print(
        "  (app: the gunicorn workers, for the ceiling the do-nothing app's; db: their "
        "PostgreSQL backends; load: this generator; other: the rest of the machine)"
    )
    if busy and max(busy) > 0.1:
        print(
            f"  Note: other processes took up to {max(busy):.0%} of the CPU used during a "
            "phase; the per-second figures are lower than on a quiet machine, the CPU ratios "
            "are not."
        )
    for warning in report["warnings"]:
        print(f"WARNING: {warning}")
    print()
    out = args.out.resolve()
    shown = out.relative_to(BASE_DIR) if out.is_relative_to(BASE_DIR) else out
    print(f"Wrote {shown}; the whole run took {elapsed:.0f} s.")


if __name__ == "__main__":
    sys.exit(main())
