"""OwnTracks (HTTP mode) and Overland post to their own paths, authenticated the way each app
sends it; their points take the same checks, queue and worker as the API's own. Payloads are
shaped as the apps send them (OwnTracks' JSON format documentation, Overland's README)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.tracking.conftest import pair
from tracking import formats, positions
from tracking.models import Ping

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("anytime", "eager")]

OWNTRACKS = "/api/tech/v1/owntracks"
OVERLAND = "/api/tech/v1/overland"


# --- OwnTracks ----------------------------------------------------------------------------------
def owntracks_location(tst: int) -> dict:
    """A location message as OwnTracks for Android sends it in HTTP mode."""
    return {
        "_type": "location",
        "BSSID": "b0:f2:8:45:94:33",
        "SSID": "Field Van",
        "acc": 14,
        "alt": 53,
        "batt": 86,
        "bs": 1,
        "conn": "m",
        "created_at": tst + 2,
        "lat": 47.6097,
        "lon": -122.3422,
        "m": 1,
        "t": "u",
        "tid": "sp",
        "tst": tst,
        "vac": 3,
        "vel": 36,
        "cog": 90,
        "topic": "owntracks/sam/phone",
    }


def send_owntracks(client, paired, message, **headers):
    body = message if isinstance(message, str) else json.dumps(message)
    return client.post(
        OWNTRACKS,
        body,
        content_type="application/json",
        headers={**paired.basic, "X-Limit-U": "sam", "X-Limit-D": "phone", **headers},
    )


def now_tst() -> int:
    return int(timezone.now().timestamp()) - 5


def test_an_owntracks_location_is_stored_and_answered_with_an_array(client, phone):
    tst = now_tst()
    response = send_owntracks(client, phone, owntracks_location(tst))

    assert response.status_code == 200
    assert response.json() == []
    ping = Ping.objects.get()
    assert ping.point_id == uuid.uuid5(formats.POINT_NAMESPACE, f"{phone.device.pk}/{tst}")
    assert ping.recorded_at == datetime.fromtimestamp(tst, UTC)
    assert (ping.latitude, ping.longitude, ping.accuracy) == (47.6097, -122.3422, 14)
    assert ping.speed == pytest.approx(10.0)  # 36 km/h
    assert (ping.heading, ping.altitude, ping.battery) == (90, 53, 86)
    assert positions.latest(phone.device.resource_id).recorded_at == ping.recorded_at


def test_an_owntracks_location_sent_again_is_stored_once(client, phone):
    message = owntracks_location(now_tst())
    for _ in range(3):
        assert send_owntracks(client, phone, message).json() == []
    assert Ping.objects.count() == 1


@pytest.mark.parametrize(
    "message",
    [
        {"_type": "transition", "event": "enter", "desc": "Depot", "tst": 1, "wtst": 1},
        {"_type": "waypoint", "desc": "Depot", "lat": 47.6, "lon": -122.3, "rad": 50, "tst": 1},
        {"_type": "lwt", "tst": 1},
        {"_type": "card", "name": "Sam"},
        {"_type": "status", "android": {"hib": 1}},
        {"_type": "encrypted", "data": "c2VjcmV0"},
        {"lat": 47.6, "lon": -122.3},
        [1, 2, 3],
        '"hello"',
    ],
    ids=["transition", "waypoint", "lwt", "card", "status", "encrypted", "no type", "list", "str"],
)
def test_other_owntracks_messages_are_acknowledged_and_ignored(client, phone, message, published):
    response = send_owntracks(client, phone, message)
    assert (response.status_code, response.json()) == (200, [])
    assert published == []


def test_an_empty_owntracks_body_is_acknowledged(client, phone):
    response = client.generic("POST", OWNTRACKS, b"", headers=phone.basic)
    assert (response.status_code, response.json()) == (200, [])


def test_a_refused_owntracks_point_is_acknowledged_but_not_stored(client, phone):
    for bad in ({"acc": 5000}, {"lat": 0, "lon": 0}, {"tst": now_tst() + 3600}, {"lat": "x"}):
        response = send_owntracks(client, phone, owntracks_location(now_tst()) | bad)
        assert (response.status_code, response.json()) == (200, []), bad
    assert not Ping.objects.exists()


def test_owntracks_needs_the_token_as_its_basic_password(client, phone):
    message = owntracks_location(now_tst())
    wrong = {"Authorization": "Basic " + "c2FtOm5vcGU="}  # sam:nope
    assert send_owntracks(client, phone, message, **wrong).status_code == 401
    assert send_owntracks(client, phone, message, **phone.headers).status_code == 401  # Bearer
    response = client.post(OWNTRACKS, json.dumps(message), content_type="application/json")
    assert response.status_code == 401
    assert not Ping.objects.exists()


def test_a_malformed_owntracks_body_is_a_400(client, phone):
    response = send_owntracks(client, phone, '{"_type": "location", "lat": ')
    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_owntracks_is_rate_limited_per_device(client, phone, settings):
    settings.INGEST_RATE_LIMIT = (2, 60.0)
    statuses = [
        send_owntracks(client, phone, owntracks_location(now_tst() - n)).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


# --- Overland -----------------------------------------------------------------------------------
def overland_feature(at: datetime, **properties) -> dict:
    """One point of an Overland batch, as the iOS app sends it."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-122.3422, 47.6097]},
        "properties": {
            "timestamp": at.astimezone(ZoneInfo("America/Los_Angeles")).strftime(
                "%Y-%m-%dT%H:%M:%S%z"
            ),
            "altitude": 12,
            "speed": 4,
            "horizontal_accuracy": 30,
            "vertical_accuracy": -1,
            "motion": ["driving", "stationary"],
            "pauses": False,
            "activity": "other_navigation",
            "desired_accuracy": 100,
            "deferred": 1000,
            "significant_change": "disabled",
            "locations_in_payload": 1,
            "battery_state": "charging",
            "battery_level": 0.89,
            "device_id": "",
            "wifi": "",
            **properties,
        },
    }


def overland_batch(n: int, *, start=None) -> dict:
    start = start or timezone.now() - timedelta(seconds=n)
    return {
        "locations": [overland_feature(start + timedelta(seconds=i)) for i in range(n)],
        "current": {"type": "Feature", "geometry": None, "properties": {}},
        "trip": {"mode": "car", "start": "2030-06-04T08:00:00-0700", "distance": 1200},
    }


def send_overland(client, paired, body, *, in_url=True, **kwargs):
    path = f"{OVERLAND}?token={paired.token}" if in_url else OVERLAND
    headers = kwargs.pop("headers", {} if in_url else paired.headers)
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json", headers=headers, **kwargs)


@pytest.mark.parametrize("in_url", [True, False], ids=["token in URL", "bearer"])
def test_an_overland_batch_is_stored_and_answered_ok(client, phone, in_url):
    body = overland_batch(3)
    response = send_overland(client, phone, body, in_url=in_url)

    assert response.status_code == 200
    assert response.json() == {"result": "ok"}
    assert Ping.objects.count() == 3
    first = Ping.objects.order_by("recorded_at").first()
    stamp = body["locations"][0]["properties"]["timestamp"]
    assert first.point_id == uuid.uuid5(formats.POINT_NAMESPACE, f"{phone.device.pk}/{stamp}")
    assert first.recorded_at == datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")
    assert (first.latitude, first.longitude, first.accuracy) == (47.6097, -122.3422, 30)
    assert (first.speed, first.altitude) == (4, 12)
    assert first.battery == pytest.approx(89)


def test_an_overland_batch_sent_again_is_stored_once(client, phone):
    body = overland_batch(5)
    for _ in range(2):
        assert send_overland(client, phone, body).json() == {"result": "ok"}
    assert Ping.objects.count() == 5


def test_unknown_speed_course_and_battery_are_left_empty(client, phone):
    body = {"locations": [overland_feature(timezone.now(), speed=-1, course=-1, battery_level=-1)]}
    assert send_overland(client, phone, body).json() == {"result": "ok"}
    ping = Ping.objects.get()
    assert (ping.speed, ping.heading, ping.battery) == (None, None, None)


def test_a_batch_of_1000_is_taken_and_1001_refused(client, phone, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    start = timezone.now() - timedelta(hours=1)
    assert send_overland(client, phone, overland_batch(1000, start=start)).json() == {
        "result": "ok"
    }
    assert Ping.objects.count() == 1000
    response = send_overland(client, phone, overland_batch(1001, start=start))
    assert response.status_code == 422
    assert response.json()["field"] == "locations"


def test_bad_overland_points_are_dropped_and_the_rest_kept(client, phone):
    now = timezone.now()
    body = overland_batch(2)
    body["locations"] += [
        overland_feature(now, horizontal_accuracy=5000),
        {"type": "Feature", "geometry": {"type": "Point"}, "properties": {}},
        {"type": "Feature", "geometry": None, "properties": None},
        "not a feature",
        overland_feature(now, timestamp="soon"),
    ]
    assert send_overland(client, phone, body).json() == {"result": "ok"}
    assert Ping.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{", 400, "body"),
        ("[]", 422, "locations"),
        ('{"locations": {}}', 422, "locations"),
    ],
)
def test_an_overland_body_that_cannot_be_taken_is_not_ok(client, phone, body, status, field):
    response = send_overland(client, phone, body)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert "result" not in response.json()  # Overland keeps the batch and sends it again


def test_overland_needs_a_good_token(client, phone):
    body = overland_batch(1)
    path = f"{OVERLAND}?token=fpt_wrong"
    response = client.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 401
    assert send_overland(client, phone, body, in_url=False, headers={}).status_code == 401
    assert not Ping.objects.exists()


def test_overland_is_not_ok_until_queued(client, phone, settings, published):
    """Without the eager run, the answer comes after the publish to the broker returned."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = send_overland(client, phone, overland_batch(4))
    assert response.json() == {"result": "ok"}
    [(queue, arguments)] = published
    assert queue == "ingest" and len(arguments[3]) == 4


def test_the_open_formats_are_in_the_schema(client):
    paths = client.get("/api/tech/v1/openapi.json").json()["paths"]
    assert "/api/tech/v1/owntracks" in paths
    assert "/api/tech/v1/overland" in paths


def test_two_devices_sending_the_same_timestamp_get_different_point_ids(technician):
    one, two = pair(technician, "One"), pair(technician, "Two")
    assert formats.point_id(one.device, 1) != formats.point_id(two.device, 1)
