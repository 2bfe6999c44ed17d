"""Racing requests or service calls for real: each attempt in its own thread, on its own
database connection, all released at once."""

import threading
from collections.abc import Callable
from contextlib import nullcontext

from django.db import connection, transaction

from tests.conftest import wait_for


def race(
    attempts: list[Callable[[], object]],
    *,
    gate: Callable[[], object] | None = None,
    timeout: float = 60,
) -> list[object]:
    """Run the attempts at once and return what each returned or raised, in order.

    With a `gate`, a function that takes a lock on this thread's connection, the attempts
    start behind it and it opens only once every one of them waits on a lock: they are
    provably in flight together, not merely started together."""
    outcomes: list[object] = [None] * len(attempts)
    start = threading.Barrier(len(attempts))

    def run(index: int, attempt: Callable[[], object]) -> None:
        try:
            start.wait(timeout)
            outcomes[index] = attempt()
        except Exception as exc:  # the caller inspects every outcome
            outcomes[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=item) for item in enumerate(attempts)]
    try:
        with transaction.atomic() if gate else nullcontext():
            if gate:
                gate()
            for thread in threads:
                thread.start()
            if gate:
                queued = wait_for(lambda: _waiting_on_locks() == len(attempts), timeout=timeout)
                assert queued, f"{_waiting_on_locks()} of {len(attempts)} attempts reached the gate"
    finally:
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout)
    return outcomes


def _waiting_on_locks() -> int:
    """Sessions of this test database waiting for a lock (not other suites' databases)."""
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction unless told to look again.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]
