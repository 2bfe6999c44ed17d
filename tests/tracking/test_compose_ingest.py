"""docker-compose.yml, for locations: the batches go through RabbitMQ (INGEST_BROKER_URL), which
keeps them on disk and hands back what a dead worker held; Redis, the rest of the queue, keeps
its messages through a crash (append-only file, fsync every second) and never evicts them; an
ingest worker, on its own app, takes the `ingest` queue with a prefetch above the mail
worker's 1. Checked as tests/test_compose.py checks the rest."""

from tests.test_compose import SERVICES, compose_argv, healthcheck_argv, service_argv


def _option(argv: list[str], name: str) -> str | None:
    for i, part in enumerate(argv):
        if part == name:
            return argv[i + 1]
        if part.startswith(name + "="):
            return part.split("=", 1)[1]
    return None


def test_redis_persists_every_second_and_never_evicts():
    argv = compose_argv(SERVICES["redis"]["command"])
    assert argv[0] == "redis-server"
    assert _option(argv, "--appendonly") == "yes"
    assert _option(argv, "--appendfsync") == "everysec"
    assert _option(argv, "--maxmemory-policy") == "noeviction"
    assert any(v.endswith(":/data") for v in SERVICES["redis"]["volumes"])


def test_location_batches_go_through_rabbitmq_kept_on_disk():
    environment = SERVICES["web"]["environment"]
    assert environment["INGEST_BROKER_URL"].startswith("amqp://portal:portal@rabbitmq:5672/")
    rabbitmq = SERVICES["rabbitmq"]
    assert any(v.endswith(":/var/lib/rabbitmq") for v in rabbitmq["volumes"])
    assert "healthcheck" in rabbitmq
    for name in ("web", "ingest-worker"):
        assert SERVICES[name]["depends_on"]["rabbitmq"]["condition"] == "service_healthy"


def test_an_ingest_worker_takes_the_ingest_queue_with_a_higher_prefetch():
    ingest = service_argv("ingest-worker")
    assert ingest[2] == "portal.ingest_worker"  # reads from INGEST_BROKER_URL
    assert ingest[3] == "worker"
    assert _option(ingest, "-Q") == "ingest"
    assert int(_option(ingest, "--prefetch-multiplier")) > 1
    assert _option(ingest, "-n") == "ingest@%h"


def test_the_mail_worker_takes_only_the_default_queue():
    assert _option(service_argv("worker"), "-Q") == "celery"


def test_the_ingest_worker_healthcheck_pings_its_own_node():
    service = SERVICES["ingest-worker"]
    assert service["healthcheck"]["test"][0] == "CMD-SHELL"
    argv = healthcheck_argv(service)
    assert "ping" in argv and "ingest@$HOSTNAME" in argv
    assert argv[argv.index("-A") + 1] == "portal.ingest_worker"  # asked where it reads
    for dependency in ("migrate", "postgres", "redis", "rabbitmq"):
        assert dependency in service["depends_on"]
