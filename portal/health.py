"""GET /health/ for load balancers and compose: 200 when the database, the cache, the Celery
broker and a worker all answer; 503 naming the part that does not, otherwise.

Built on django-health-check. The worker's heartbeat is its Ping check: a control message
through the broker that a worker process answers from its own consumer loop, so it proves a
worker is taking work now (a timestamp written by beat or a task would only prove that one ran
a while ago). It stops at the first answer, so a healthy probe costs a few milliseconds. The
body says only which part failed, in a word or two: no addresses, no tracebacks.
"""

import dataclasses

from django.conf import settings
from health_check import checks
from health_check.base import HealthCheck
from health_check.contrib.celery import Ping
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu import Connection
from kombu.exceptions import OperationalError

from portal.celery import app


def broker_connection() -> Connection:
    """A connection to the broker, opened now. No retries: a probe that waits out kombu's
    reconnect loop answers after the load balancer has given up on it."""
    connection = app.connection_for_write(url=settings.CELERY_BROKER_URL)
    try:
        connection.ensure_connection(max_retries=0)
    except (OSError, OperationalError) as exc:
        connection.release()
        raise ServiceUnavailable("no connection") from exc
    return connection


@dataclasses.dataclass
class Database(checks.Database):
    def __repr__(self) -> str:
        return "database"


@dataclasses.dataclass
class Cache(checks.Cache):
    def __repr__(self) -> str:
        return "cache"


@dataclasses.dataclass
class Broker(HealthCheck):
    def run(self) -> None:
        broker_connection().release()

    def __repr__(self) -> str:
        return "broker"


@dataclasses.dataclass
class Worker(Ping):
    limit: int | None = 1

    def run(self) -> None:
        with broker_connection() as connection:
            try:
                replies = self.app.control.ping(
                    timeout=self.timeout.total_seconds(), limit=self.limit, connection=connection
                )
            except (OSError, OperationalError) as exc:
                raise ServiceUnavailable("no connection to the broker") from exc
        if not replies:
            raise ServiceUnavailable("no worker answered")
        self.check_active_queues(*self.active_workers(replies))

    def __repr__(self) -> str:
        return "worker"


class HealthView(HealthCheckView):
    def get_checks(self):
        yield Database()
        yield Cache()
        if not settings.CELERY_TASK_ALWAYS_EAGER:  # else tasks run in-process: no broker
            yield Broker()
            yield Worker(app=app)

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            # Every check ran and one said no: the service is unavailable, nothing crashed.
            response.status_code = 503
        return response

    def render_to_response(self, context, **response_kwargs):
        """Plain text where the library would render its HTML page: a probe reads the status,
        a person a line per part."""
        return self.render_to_response_text(response_kwargs.get("status", 200))
