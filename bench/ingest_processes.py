"""The ingest bench's processes: the ingest worker it starts, pauses and kills, the broker of
its queue, the CPU they spend, and waiting until the worker has stored what was accepted."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.run import BASE_DIR, _children, _cpu_seconds, _machine_busy, stop_process

DRAIN_TIMEOUT = 60.0


class IngestWorker:
    """The ingest worker as production runs it: its own process on the `ingest` queue, a
    prefetch above the mail worker's 1. Paused, resumed, killed (-9: the main process, whose
    pool processes then stop) and started again."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.name = f"ingest-bench-{os.getpid()}@%h"
        # As docker-compose.yml runs it (prefork, a process per core, prefetch 16), unless
        # BENCH_INGEST_WORKER gives other options (e.g. "--pool=solo --prefetch-multiplier=50").
        self.options = os.environ.get("BENCH_INGEST_WORKER", "--prefetch-multiplier=16").split()

    def start(self) -> None:
        log_file = self.log_path.open("a")
        self.proc = subprocess.Popen(  # noqa: S603 - our own command line, no shell
            [sys.executable, "-m", "celery", "-A", "portal.ingest_worker", "worker", "-Q", "ingest",
             *self.options, "--loglevel=WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", self.name],
            cwd=BASE_DIR, env=self.env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log_file.close()

    def wait_ready(self, timeout: float = 60) -> None:
        # Asked on the broker it reads, through its own app (docker-compose.yml's healthcheck
        # asks the same way).
        from portal.ingest_worker import app

        node = self.name.replace("%h", os.uname().nodename)
        deadline = time.monotonic() + timeout
        while not app.control.ping(destination=[node], timeout=0.5):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the ingest worker did not start; see {self.log_path}")

    def pids(self) -> list[int]:
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [self.proc.pid, *_children(self.proc.pid)]

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.resume()
            stop_process(self.proc)


class IngestBroker:
    """The broker of the `ingest` queue, as the bench reads it: RabbitMQ (INGEST_BROKER_URL,
    as docker-compose.yml runs it) or Redis (the app's own broker).

    Redis shows a client both the queue and the messages delivered and not acknowledged
    (kombu's `unacked` hash). RabbitMQ shows a client only the messages waiting
    (`queue_declare(passive=True)`); what a worker holds unacknowledged is read with
    `rabbitmqctl` where the bench may run it (a second a call), else not known."""

    def __init__(self, url: str | None):
        from django.conf import settings
        from kombu import Connection

        self.url = url or settings.CELERY_BROKER_URL
        self.rabbitmq = self.url.startswith("amqp")
        self.connection = Connection(self.url)
        self.connection.ensure_connection(max_retries=3)
        self._lock = threading.Lock()  # the watch's thread and the killer's share it

    def ready(self) -> int:
        """Messages waiting in the queue, delivered to no worker."""
        with self._lock:
            channel = self.connection.default_channel
            if self.rabbitmq:
                return channel.queue_declare("ingest", passive=True).message_count
            return channel.client.llen("ingest")

    def held(self) -> int | None:
        """Messages delivered to a worker and not acknowledged; None where not known."""
        if not self.rabbitmq:
            with self._lock:
                return self.connection.default_channel.client.hlen("unacked")
        ctl = shutil.which("rabbitmqctl")
        if ctl is None:
            return None
        listed = subprocess.run(  # noqa: S603 - our own command line, no shell
            [ctl, "list_queues", "-q", "--no-table-headers", "name", "messages_unacknowledged"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        for line in listed.stdout.splitlines():
            name, _, count = line.partition("\t")
            if name == "ingest" and count.strip().isdigit():
                return int(count)
        return None

    def queued(self) -> int:
        """What the watch waits to be 0: on Redis every message not yet acknowledged; on
        RabbitMQ the waiting ones (the worker's own then show in what is stored)."""
        return self.ready() + (0 if self.rabbitmq else self.held())

    def pid(self) -> int | None:
        """The RabbitMQ server's process on this machine, for its CPU (Redis's is counted
        with the cache's)."""
        if not self.rabbitmq:
            return None
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "comm").read_text().strip() == "beam.smp" and "rabbit" in (
                        entry / "cmdline"
                    ).read_text():
                        return int(entry.name)
                except OSError:
                    continue
        return None

    def purge(self) -> None:
        from portal.celery import app

        with self._lock:
            channel = self.connection.default_channel
            app.amqp.queues["ingest"](channel).declare()
            channel.queue_purge("ingest")

    def close(self) -> None:
        self.connection.release()


class Cpu:
    """CPU seconds of the gunicorn workers (web), the ingest worker, the PostgreSQL backends
    of the bench database but this process's own (db), the Redis server, the RabbitMQ server
    when it holds the ingest queue (rabbitmq), and the machine (busy) since boot; `spent` is
    the difference of two readings, per group. A backend that comes and goes between two
    readings is not seen: `opened` counts the connections made to the bench database
    meanwhile (pg_stat_database.sessions), and the run warns of them."""

    def __init__(
        self, web_server: int, worker: IngestWorker, redis_pid: int | None, rabbitmq_pid=None
    ):
        self.web = _children(web_server)
        self.worker = worker
        self.redis_pid = redis_pid
        self.rabbitmq_pid = rabbitmq_pid

    def read(self) -> dict:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            db = {pid: _cpu_seconds(pid) for (pid,) in cursor.fetchall()}
            cursor.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
            sessions = cursor.fetchone()[0]
        return {
            "sessions": sessions,
            "web": sum(_cpu_seconds(p) for p in self.web),
            "worker": sum(_cpu_seconds(p) for p in self.worker.pids()),
            "db": db,
            "redis": _cpu_seconds(self.redis_pid) if self.redis_pid else 0.0,
            "rabbitmq": _cpu_seconds(self.rabbitmq_pid) if self.rabbitmq_pid else 0.0,
            "busy": _machine_busy(),
        }

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        out = {k: after[k] - before[k] for k in ("web", "worker", "redis", "rabbitmq", "busy")}
        # A backend that started meanwhile counts from zero.
        out["db"] = sum(cpu - before["db"].get(pid, 0.0) for pid, cpu in after["db"].items())
        out["other"] = out.pop("busy") - sum(out.values())
        return out

    @staticmethod
    def opened(before: dict, after: dict) -> int:
        return after["sessions"] - before["sessions"]


def stored() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tracking_ping")
        return cursor.fetchone()[0]


def duplicates() -> int:
    """Points stored more than once: the same device and point id in two rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) - count(DISTINCT (device_id, point_id)) FROM tracking_ping")
        return cursor.fetchone()[0]


class Watch:
    """Reads the broker every 10 ms from a thread of its own, so the moment the worker has
    acknowledged everything (it does so after each commit) is known to 10 ms, even while the
    load generator is still finishing."""

    def __init__(self, broker: IngestBroker):
        self.broker = broker
        self.empty_at: list[float] = []  # moments the broker held nothing
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Watch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.broker.queued() == 0:
                self.empty_at.append(time.monotonic())
            time.sleep(0.01)

    def drained(self, goal: int, after: float, timeout: float = DRAIN_TIMEOUT) -> float:
        """Seconds from `after` (monotonic, the load's last answer) until the broker was
        first seen empty with `goal` points stored; waits as long as needed."""
        deadline = time.monotonic() + timeout
        checked = after
        while time.monotonic() < deadline:
            empty = [t for t in self.empty_at if t >= checked]
            if empty:
                if stored() >= goal:
                    # On RabbitMQ an empty queue may still leave batches in the worker: done
                    # when they are stored, known to this loop's 50 ms.
                    return (time.monotonic() if self.broker.rabbitmq else empty[0]) - after
                # Empty but not all stored: batches a killed worker held, not yet back.
                checked = time.monotonic()
            time.sleep(0.05)
        return time.monotonic() - after


def drain(broker: IngestBroker, goal: int, timeout: float = DRAIN_TIMEOUT) -> float:
    """Wait until the broker is empty and `goal` points are stored; the seconds it took."""
    began = time.monotonic()
    with Watch(broker) as watch:
        return watch.drained(goal, began, timeout)
