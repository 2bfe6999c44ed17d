"""The ingest worker's Celery app: `celery -A portal.ingest_worker worker -Q ingest`.

The portal's app (portal.celery) made again on INGEST_BROKER_URL when that is set: the worker
takes location batches there, answers pings and inspections there, and puts a batch it retries
back there. The one thing it publishes for another worker, the nudge of a mail an on-the-way
notice wrote, goes to CELERY_BROKER_URL, where the mail worker reads (portal.tasks). Without
the setting it is the portal's app as it is. A second app rather than a change to the first:
importing this module anywhere else leaves every other process's publishing alone (the worker
makes its app the current one when it starts). It is also the app that reaches the ingest
worker for a ping (`celery -A portal.ingest_worker inspect ping`, the tests, the bench)."""

from django.conf import settings

from portal import celery as portal_celery

app = portal_celery.app
if settings.INGEST_BROKER_URL:
    app = portal_celery.build_app(set_as_current=False)
    app.conf.broker_read_url = settings.INGEST_BROKER_URL
    app.conf.broker_write_url = settings.INGEST_BROKER_URL

__all__ = ["app"]
