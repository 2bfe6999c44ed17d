"""Under `make run` (SQLite, no Redis, tasks in-process, console mail) the notices take the
same path: the transition sends on the way, pings posted to the API send arriving soon, once,
and the console shows both mails. Run in a fresh process with those settings."""

import json

from tests.support.embedded import run_embedded

SCRIPT = """
import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from portal.models import OutboxMessage
from scheduling import services
from tests.factories import AppointmentFactory, CustomerFactory, ResourceFactory
from tracking import devices
from tracking.models import Device, Notice

customer = CustomerFactory(email="alice@example.com")
account = customer.service_account
resource = ResourceFactory(territories=[account.territory])
visit = AppointmentFactory(service_account=account, customer=customer, resource=resource,
                           start=timezone.now() + timedelta(minutes=30))
services.transition(appointment=visit, to="traveling", by=None)

token = devices.new_token()
Device.objects.create(resource=resource, name="Phone", token_hash=devices.token_hash(token))
now = timezone.now()
points = [{"id": f"00000000-0000-4000-8000-{n:012d}", "latitude": account.latitude + 0.02,
           "longitude": account.longitude, "accuracy": 8,
           "recorded_at": (now - timedelta(seconds=10 - n)).isoformat()} for n in range(3)]
client = Client(SERVER_NAME="localhost")
for _ in range(2):
    client.post("/api/tech/v1/locations", {"pings": points}, content_type="application/json",
                headers={"Authorization": f"Bearer {token}"})
print(json.dumps({
    "notices": sorted(Notice.objects.values_list("kind", flat=True)),
    "mails": sorted(OutboxMessage.objects.values_list("subject", "status")),
}))
"""


def test_make_run_sends_the_notices_in_process(tmp_path):
    result = run_embedded(SCRIPT, tmp_path / "portal.sqlite3", MAIL_DELIVERY_BACKEND="console")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    assert outcome["notices"] == ["arriving_soon", "on_the_way"]
    assert outcome["mails"] == [
        ["Your technician is arriving soon", "sent"],
        ["Your technician is on the way", "sent"],
    ]
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in result.stdout
