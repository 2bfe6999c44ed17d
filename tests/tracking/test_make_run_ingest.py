"""Under `make run` (SQLite, no Redis, tasks in-process) locations take the same path: the
view queues the task, which runs at once and stores the batch, the latest position is a row,
and the purge deletes old pings in batches. Run in a fresh process with those settings."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = """
import json
from datetime import timedelta

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.factories import ResourceFactory
from tracking import devices, positions, retention
from tracking.models import Device, LatestPosition, Ping

resource = ResourceFactory()
token = devices.new_token()
Device.objects.create(resource=resource, name="Phone", token_hash=devices.token_hash(token))
now = timezone.now()

def point(n, age):
    return {"id": f"00000000-0000-4000-8000-{n:012d}", "latitude": 47.6, "longitude": -122.3,
            "accuracy": 8, "recorded_at": (now - age).isoformat()}

client = Client(SERVER_NAME="localhost")
def send(points):
    return client.post("/api/tech/v1/locations", {"pings": points},
                       content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})

fresh = [point(n, timedelta(seconds=30 - n)) for n in range(5)]
old = [point(100 + n, timedelta(days=20, minutes=n)) for n in range(7)]
first = send(fresh + old)
again = send(fresh)
stored = Ping.objects.count()
latest = positions.latest(resource.pk)
retention.BATCH = 2
call_command("purge_locations", "--older-than", "10")
print(json.dumps({
    "first": [first.status_code, first.json()],
    "again": again.json()["accepted"],
    "stored": stored,
    "latest": latest.recorded_at == now - timedelta(seconds=26),
    "latest_rows": LatestPosition.objects.count(),
    "after_purge": Ping.objects.count(),
}))
"""


def test_make_run_stores_locations_in_process_and_purges_them_in_batches(tmp_path):
    embedded = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "INGEST_ACCEPT_WHEN": "always",
        "DJANGO_DEBUG": "true",
    }
    env = {**os.environ, **embedded}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    result = subprocess.run(
        [*manage, "shell", "-c", SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    assert outcome["first"] == [202, {"accepted": 12, "rejected": 0, "rejections": []}]
    assert outcome["again"] == 5
    assert outcome["stored"] == 12
    assert outcome["latest"] is True  # the newest point, not the last sent
    assert outcome["latest_rows"] == 1
    assert outcome["after_purge"] == 5
    assert "Deleted 7 ping(s)" in result.stdout
