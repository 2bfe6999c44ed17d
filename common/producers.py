"""A Celery producer on a broker other than the app's own, for `apply_async(producer=...)`.

The ingest queue may have a broker of its own (tracking.ingest_queue), and the ingest worker,
whose app writes there, must reach the mail worker on the app's broker (portal.tasks): both
publish through a pool of producers kept per process and broker URL, so a publish makes no
new connection object."""

from contextlib import AbstractContextManager

from celery import Celery
from kombu import pools

_pools: dict[str, pools.ProducerPool] = {}


def pooled(app: Celery, url: str) -> AbstractContextManager:
    """A producer on the broker at `url`, acquired from this process's pool for it."""
    pool = _pools.get(url)
    if pool is None:
        pool = _pools.setdefault(url, pools.producers[app.connection_for_write(url)])
    return pool.acquire(block=True)
