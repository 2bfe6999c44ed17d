import os
import sys

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    task_prerun,
    worker_init,
)
from django.core.management.base import SystemCheckError
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# kombu picks each broker connection's transport by its URL's scheme: for redis://, kombu's
# own with the Redis client kept (common/redis_clients.py). Set by scheme, not for the whole
# app (broker_transport), because the ingest worker reads from a broker of its own
# (portal/ingest_worker.py).
TRANSPORT_ALIASES["redis"] = "common.redis_clients:Transport"


def build_app(**options) -> Celery:
    """The portal's Celery app, configured from the Django settings."""
    built = Celery("portal", **options)
    built.config_from_object("django.conf:settings", namespace="CELERY")
    built.autodiscover_tasks()
    return built


app = build_app()


@worker_init.connect
@beat_init.connect
def _stop_on_bad_settings(**kwargs) -> None:
    import django

    from portal.startup import stop_on_bad_settings

    django.setup()  # Celery's own setup may come later; this one is idempotent
    try:
        stop_on_bad_settings()
    except SystemCheckError as exc:
        # Celery logs an exception from a signal handler and starts anyway, and beat takes
        # SystemExit quietly (its stderr a logger by then): say why, then leave.
        print(f"Bad settings:\n{exc}", file=sys.__stderr__, flush=True)
        raise SystemExit(1) from exc


@worker_init.connect
def _ingest_read_where_it_is_published(sender=None, **kwargs) -> None:
    """A worker taking the `ingest` queue while INGEST_BROKER_URL is set must read from that
    broker, or the batches would wait there unseen: `-A portal -Q ingest` is refused, and
    `-A portal.ingest_worker` named."""
    from django.conf import settings

    url = settings.INGEST_BROKER_URL
    if not url or sender is None:
        return
    queues = sender.app.amqp.queues
    if "ingest" in (queues.consume_from or queues) and sender.app.conf.broker_read_url != url:
        print(
            "The ingest queue is on INGEST_BROKER_URL: start its worker with "
            "`celery -A portal.ingest_worker worker -Q ingest`.",
            file=sys.__stderr__,
            flush=True,
        )
        raise SystemExit(1)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _scrub_tokens(logger, **kwargs) -> None:
    # Celery's worker and beat replace the root logger's handlers with their own.
    from tracking.logs import scrub_handlers

    scrub_handlers(logger)


@task_prerun.connect
def _keep_database_connection(sender=None, **kwargs) -> None:
    """Before each task a worker runs, what Django does before each request: close the
    connection if it is broken or older than DATABASE_CONN_MAX_AGE, else keep it (checked by
    one `SELECT 1` at first use). Celery's Django fixup would close it around every task
    instead, so every task opened a new PostgreSQL connection; CELERY_DB_REUSE_MAX (settings)
    stops that. A task run in-process (`make run`, eager) shares its caller's connection and
    transaction: left alone, as the fixup leaves it."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
