"""A burst of requests from one client, all at once: each in its own thread, on its own
database connection, released together."""

import re
import threading
from collections.abc import Callable

from django.db import connection
from django.http import HttpResponse


def burst(
    size: int, send: Callable[[int], HttpResponse], *, counting: re.Pattern
) -> tuple[int, list[int]]:
    """Call send(0) … send(size - 1) at once; how many statements matched `counting`, and
    the statuses answered."""
    barrier = threading.Barrier(size)
    matched: list[str] = []
    statuses: list[int] = []

    def count(execute, sql, params, many, context):
        if counting.search(sql):
            matched.append(sql)
        return execute(sql, params, many, context)

    def run(n: int) -> None:
        try:
            with connection.execute_wrapper(count):
                barrier.wait()
                statuses.append(send(n).status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(n,)) for n in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return len(matched), statuses
