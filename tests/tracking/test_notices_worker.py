"""The notices on the real path: the technician's API starts travel, the ingest worker (its
own Celery process on the `ingest` queue) stores the pings and evaluates them, the mail worker
delivers through SMTP. A batch stored again sends nothing twice, even when everything but the
database has forgotten it was sent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import OutboxMessage
from tests.conftest import wait_for
from tests.tracking.conftest import API, batch, pair, post
from tests.tracking.notices import KM_PER_DEGREE, notices_sent, visit
from tracking import live, notices, positions
from tracking.models import Notice, Ping
from tracking.notices import Trip

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.usefixtures("anytime"),
]
Kind = Notice.Kind


def delivered(rows) -> bool:
    return rows.exists() and not rows.exclude(status="sent").exists()


def near(points: list[dict], account, *, km: float) -> list[dict]:
    for point in points:
        point.update(latitude=account.latitude + km / KM_PER_DEGREE, longitude=account.longitude)
    return points


def test_on_the_way_and_arriving_soon_are_delivered_once(
    client, celery_worker, ingest_worker, smtp_server, account, alice, technician, repair
):
    smtp_server.received.clear()
    site = (account.latitude, account.longitude)
    appointment = visit(
        account, technician, repair, customer=alice, start=timezone.now() + timedelta(minutes=30)
    )
    phone = pair(technician)
    response = client.post(
        f"{API}appointments/{appointment.pk}/status",
        {"status": "traveling"},
        content_type="application/json",
        headers=phone.headers,
    )
    assert response.status_code == 200

    # 3 km away: under 5 minutes at the travel speed. Sent three times, as a device resends.
    points = near(batch(5), account, km=3)
    for _ in range(3):
        assert post(client, phone, {"pings": points}).json()["accepted"] == 5
    assert wait_for(lambda: Ping.objects.filter(device=phone.device).count() == 5)
    assert wait_for(lambda: delivered(notices_sent()) and notices_sent().count() == 2)

    # The batch delivered again, to a worker that has forgotten everything but the database:
    # the latest position is gone (so the batch moves it again) and the cached trip says
    # nothing was sent yet. It finds arriving soon due once more, and the row refuses it.
    notices.remember(technician.pk, Trip(appointment.pk, appointment.start, site, frozenset()))
    redis = live.client()
    redis.delete(positions.KEY.format(technician.pk))
    post(client, phone, {"pings": points})
    # Evaluated: the entry is dropped once something was due.
    assert wait_for(lambda: not redis.exists(notices.KEY.format(technician.pk)))

    assert Notice.objects.filter(appointment=appointment).count() == 2
    assert notices_sent().count() == 2
    inbox = smtp_server.messages_to("alice@example.com")
    subjects = sorted(message["Subject"] for message in inbox)
    assert subjects == ["Your technician is arriving soon", "Your technician is on the way"]
    for message in inbox:
        # Folded onto its own line, being long: the parser keeps the fold's space.
        assert str(message["List-Unsubscribe"]).strip().startswith("<http")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"/appointments/{appointment.pk}/map/" in message.get_content()
    assert OutboxMessage.objects.filter(status="sent", to="alice@example.com").count() == 2
