"""POST /api/tech/v1/locations: a batch of points is checked one by one, the good ones are
queued (here run in-process, as under `make run`) and stored; the answer counts both and names
each refused point's field."""

import json
from datetime import UTC, timedelta

import pytest
import time_machine
from celery.signals import after_task_publish
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.support.ports import free_port
from tests.tracking.conftest import batch, pair, point, post
from tracking.models import Device, Ping
from tracking.tasks import store_pings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("anytime")]


def test_a_batch_is_accepted_and_stored(client, phone, eager):
    points = batch(3)
    response = post(client, phone, {"pings": points})

    assert response.status_code == 202
    assert response.json() == {"accepted": 3, "rejected": 0, "rejections": []}
    stored = {str(p.point_id): p for p in Ping.objects.all()}
    assert set(stored) == {p["id"] for p in points}
    first = stored[points[0]["id"]]
    assert (first.device_id, first.resource_id) == (phone.device.pk, phone.device.resource_id)
    assert (first.latitude, first.longitude, first.accuracy) == (47.6097, -122.3422, 12.5)
    assert (first.speed, first.heading, first.altitude, first.battery) == (8, 270, 40, 81)
    assert first.recorded_at.isoformat() == points[0]["recorded_at"]
    assert first.received_at == timezone.now()


def test_optional_fields_may_be_left_out(client, phone, eager):
    bare = point(speed=..., heading=..., altitude=..., battery=...)
    assert post(client, phone, {"pings": [bare]}).json()["accepted"] == 1
    stored = Ping.objects.get()
    assert (stored.speed, stored.heading, stored.altitude, stored.battery) == (None,) * 4


def test_times_are_stored_in_utc_whatever_offset_they_came_with(client, phone, eager):
    local = timezone.now().astimezone(timezone.get_fixed_timezone(-420)).replace(microsecond=0)
    post(client, phone, {"pings": [point(local)]})
    stored = Ping.objects.get().recorded_at
    assert stored == local and stored.utcoffset() == timedelta(0)


# A timedelta as recorded_at is that far from the clock.
BAD_POINTS = [
    ({"latitude": 90.5}, "latitude"),
    ({"latitude": -91}, "latitude"),
    ({"longitude": 180.01}, "longitude"),
    ({"longitude": -200}, "longitude"),
    ({"latitude": 0, "longitude": 0}, "latitude"),
    ({"accuracy": -1}, "accuracy"),
    ({"accuracy": 1000.5}, "accuracy"),
    ({"recorded_at": timedelta(minutes=2, seconds=1)}, "recorded_at"),
    ({"recorded_at": -timedelta(days=30, seconds=1)}, "recorded_at"),
    ({"recorded_at": "2030-06-04T16:00:00"}, "recorded_at"),  # no offset
    ({"recorded_at": "yesterday"}, "recorded_at"),
    ({"speed": 100.5}, "speed"),
    ({"speed": -0.1}, "speed"),
    ({"heading": 361}, "heading"),
    ({"battery": 101}, "battery"),
    ({"altitude": "high"}, "altitude"),
    ({"id": "not-a-uuid"}, "id"),
    ({"id": ...}, "id"),
    ({"latitude": ...}, "latitude"),
    ({"accuracy": None}, "accuracy"),
    ({"latitude": "forty-seven"}, "latitude"),
]


def _bad(fields: dict) -> dict:
    now = timezone.now()
    fields = dict(fields)
    if isinstance(fields.get("recorded_at"), timedelta):
        fields["recorded_at"] = (now + fields["recorded_at"]).isoformat()
    return point(**fields)


@pytest.mark.parametrize(("fields", "field"), BAD_POINTS, ids=[f for _, f in BAD_POINTS])
def test_a_bad_point_is_refused_by_name_and_the_rest_of_its_batch_is_stored(
    client, phone, eager, fields, field
):
    good = batch(2)
    response = post(client, phone, {"pings": [good[0], _bad(fields), good[1]]})

    assert response.status_code == 202
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    [rejection] = answer["rejections"]
    assert (rejection["index"], rejection["field"]) == (1, field)
    assert rejection["reason"]
    assert {str(p.point_id) for p in Ping.objects.all()} == {good[0]["id"], good[1]["id"]}


def test_not_a_number_and_infinity_are_refused(client, phone, eager):
    nan = json.dumps(point()).replace('"speed": 8.0', '"speed": NaN')
    infinite = json.dumps(point()).replace('"altitude": 40.0', '"altitude": Infinity')
    answer = post(client, phone, f'{{"pings": [{nan}, {infinite}]}}').json()
    assert answer["accepted"] == 0
    faults = [(r["index"], r["field"]) for r in answer["rejections"]]
    assert faults == [(0, "speed"), (1, "altitude")]


def test_a_point_that_is_not_an_object_is_refused_alone(client, phone, eager):
    answer = post(client, phone, {"pings": [point(), 42, "x", None, [1, 2]]}).json()
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejections"]] == [1, 2, 3, 4]
    assert Ping.objects.count() == 1


def test_the_limits_on_accuracy_and_speed_are_settings(client, phone, eager, settings):
    settings.INGEST_MAX_ACCURACY_M = 50
    settings.INGEST_MAX_SPEED_MPS = 30
    points = [point(accuracy=49), point(accuracy=51), point(speed=29), point(speed=31)]
    answer = post(client, phone, {"pings": points}).json()
    assert [(r["index"], r["field"]) for r in answer["rejections"]] == [
        (1, "accuracy"),
        (3, "speed"),
    ]


def test_the_retention_period_bounds_how_old_a_point_may_be(client, phone, eager, settings):
    settings.LOCATION_RETENTION_DAYS = 2
    now = timezone.now()
    points = [point(now - timedelta(days=1, hours=23)), point(now - timedelta(days=2, minutes=1))]
    answer = post(client, phone, {"pings": points}).json()
    assert [(r["index"], r["field"]) for r in answer["rejections"]] == [(1, "recorded_at")]


def test_a_resent_batch_and_repeated_ids_are_stored_once(client, phone, eager):
    points = batch(4)
    points.append(dict(points[0]))  # the same point twice in one batch
    for _ in range(2):
        assert post(client, phone, {"pings": points}).status_code == 202
    assert Ping.objects.count() == 4


def test_two_devices_may_use_the_same_point_id(client, phone, technician, eager):
    other = pair(technician, "Tablet")
    same = point()
    post(client, phone, {"pings": [same]})
    post(client, other, {"pings": [same]})
    assert Ping.objects.filter(point_id=same["id"]).count() == 2


def test_an_empty_batch_is_answered_and_queues_nothing(client, phone, published):
    response = post(client, phone, {"pings": []})
    assert response.status_code == 202
    assert response.json() == {"accepted": 0, "rejected": 0, "rejections": []}
    assert published == []


# --- Bodies that cannot be taken ------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        ('{"pings": [', "application/json", 400, "body"),
        (" ", "application/json", 400, "body"),
        (b"\xff\xfe\xfa", "application/json", 400, "body"),
        ("[" * 50_000 + "]" * 50_000, "application/json", 400, "body"),
        ("pings=1", "application/x-www-form-urlencoded", 415, "Content-Type"),
        ('{"pings": []}', "text/plain", 415, "Content-Type"),
        ("[]", "application/json", 422, "pings"),
        ("{}", "application/json", 422, "pings"),
        ('{"pings": {"0": {}}}', "application/json", 422, "pings"),
        ('{"pings": "all of them"}', "application/json", 422, "pings"),
    ],
    ids=[
        "truncated", "blank", "not utf-8", "nested too deep", "form", "text", "a list",
        "no pings", "pings an object", "pings a string",
    ],
)  # fmt: skip
def test_a_body_that_cannot_be_taken_is_a_4xx_naming_the_field(
    client, phone, body, content_type, status, field
):
    response = post(client, phone, body, content_type=content_type)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert response.json()["detail"]


def test_more_than_200_points_is_refused_whole(client, phone, published):
    response = post(client, phone, {"pings": batch(201)})
    assert response.status_code == 422
    assert response.json()["field"] == "pings"
    assert "200" in response.json()["detail"]
    assert published == []


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(client, phone):
    padding = "x" * (256 * 1024)
    response = post(client, phone, {"pings": [point(note=padding)]})
    assert response.status_code == 413
    assert response.json()["field"] == "body"


# --- Who may send, and how often ------------------------------------------------------------
def test_no_token_or_a_revoked_one_is_401(client, phone):
    assert post(client, phone, {"pings": [point()]}, headers={}).status_code == 401
    Device.objects.filter(pk=phone.device.pk).update(revoked_at=timezone.now())
    assert post(client, phone, {"pings": [point()]}).status_code == 401


def test_a_device_over_its_rate_is_told_when_to_come_back(client, phone, technician, settings):
    settings.INGEST_RATE_LIMIT = (3, 60.0)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    statuses = [post(client, phone, {"pings": [point()]}).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]

    refused = post(client, phone, {"pings": [point()]})
    assert refused.status_code == 429
    assert refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Ping.objects.count() == 3
    # Another device of the same technician has its own count.
    assert post(client, pair(technician, "Tablet"), {"pings": [point()]}).status_code == 202


def test_bad_requests_count_against_the_rate_too(client, phone, settings):
    settings.INGEST_RATE_LIMIT = (2, 60.0)
    assert post(client, phone, "nonsense").status_code == 400
    assert post(client, phone, "nonsense").status_code == 400
    assert post(client, phone, "nonsense").status_code == 429


def test_the_next_window_lets_the_device_send_again(client, phone, settings, clock):
    settings.INGEST_RATE_LIMIT = (1, 10.0)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert post(client, phone, {"pings": [point()]}).status_code == 202
    refused = post(client, phone, {"pings": [point()]})
    assert refused.status_code == 429
    later = clock.now + timedelta(seconds=int(refused["Retry-After"]))
    with time_machine.travel(later.timestamp(), tick=False):
        assert post(client, phone, {"pings": [point()]}).status_code == 202


# --- What the view does and costs -----------------------------------------------------------
def test_the_view_queues_one_task_on_the_ingest_queue_and_writes_nothing(client, phone, published):
    points = batch(3)
    bad = point(latitude=91)
    response = post(client, phone, {"pings": [*points, bad]})

    assert response.status_code == 202
    [(queue, arguments)] = published
    assert queue == "ingest"
    device_id, resource_id, received_at, rows = arguments
    assert (device_id, resource_id) == (phone.device.pk, phone.device.resource_id)
    assert received_at == timezone.now().isoformat()
    assert [row[0] for row in rows] == [p["id"] for p in points]
    assert (
        rows[0][1]
        == timezone.now().fromisoformat(points[0]["recorded_at"]).astimezone(UTC).isoformat()
    )
    assert not Ping.objects.exists()  # the worker writes


def test_an_ingest_request_makes_one_query(client, phone, published, django_assert_num_queries):
    post(client, phone, {"pings": batch(10)})  # the technician's hours, once per process
    with django_assert_num_queries(1):  # the device, by its token
        response = post(client, phone, {"pings": batch(100)})
    assert response.json()["accepted"] == 100


def test_the_schema_documents_the_endpoint(client):
    schema = client.get("/api/tech/v1/openapi.json").json()
    operation = schema["paths"]["/api/tech/v1/locations"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["pings"]["maxItems"] == 200
    assert set(body["properties"]["pings"]["items"]["required"]) == {
        "id", "latitude", "longitude", "accuracy", "recorded_at",
    }  # fmt: skip
    assert {"202", "400", "413", "415", "422", "429", "503"} <= set(operation["responses"])


def _forget_connections():
    # The app keeps its pool of broker connections and producers once made; without them it
    # makes new ones, to the broker the setting names then.
    from portal.celery import app

    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(settings, monkeypatch):
    """The ingest queue on the app's own broker, a Redis on a port where nothing listens."""
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    settings.INGEST_BROKER_URL = ""
    settings.CELERY_BROKER_URL = nowhere
    monkeypatch.setenv("CELERY_BROKER_URL", nowhere)  # Celery reads the variable first
    _forget_connections()
    yield
    _forget_connections()  # the setting and the variable are restored after this


@pytest.fixture
def ingest_broker_down(settings):
    """The ingest queue on a broker of its own (INGEST_BROKER_URL), a RabbitMQ on a port where
    nothing listens."""
    settings.INGEST_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{free_port()}//"


@pytest.mark.parametrize("down", ["broker_down", "ingest_broker_down"])
def test_an_unreachable_queue_is_a_503_and_nothing_is_accepted(client, phone, request, down):
    request.getfixturevalue(down)
    response = post(client, phone, {"pings": batch(2)})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "nothing was accepted" in response.json()["detail"]


def test_devices_need_no_csrf_token(phone, eager):
    """A device has no cookie or form: Django's CSRF check must not stand in its way."""
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post(strict, phone, {"pings": [point()]}).status_code == 202
    overland = f"/api/tech/v1/overland?token={phone.token}"
    answer = strict.post(overland, {"locations": []}, content_type="application/json")
    assert answer.json() == {"result": "ok"}
    owntracks = strict.post("/api/tech/v1/owntracks", {}, "application/json", headers=phone.basic)
    assert owntracks.status_code == 200


@pytest.fixture
def task_options():
    """The keyword arguments of each ingest task this process publishes."""
    sent = []

    def record(sender, body, **kwargs):
        if sender == store_pings.name:
            sent.append(body[1])

    after_task_publish.connect(record)
    yield sent
    after_task_publish.disconnect(record)


def test_last_seen_moves_with_the_batch_in_the_worker_not_in_the_view(
    client, phone, published, task_options
):
    with CaptureQueriesContext(connection) as queries:
        response = post(client, phone, {"pings": batch(2)})
    assert response.status_code == 202
    written = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert written == []
    phone.device.refresh_from_db()
    assert phone.device.last_seen_at is None
    assert task_options == [{"seen": True}]

    # Seen just now (as the worker will have noted): the next batch does not ask again.
    Device.objects.filter(pk=phone.device.pk).update(last_seen_at=timezone.now())
    post(client, phone, {"pings": batch(2)})
    assert task_options[1] == {}


def test_the_stored_batch_moves_last_seen_to_when_it_was_received(client, phone, eager):
    post(client, phone, {"pings": batch(2)})

    phone.device.refresh_from_db()
    assert phone.device.last_seen_at == timezone.now()


def test_a_batch_with_nothing_to_keep_still_marks_the_device_seen(client, phone, published):
    response = post(client, phone, {"pings": [point(latitude=91)]})

    assert response.json()["accepted"] == 0
    assert published == []
    phone.device.refresh_from_db()
    assert phone.device.last_seen_at == timezone.now()


def test_on_a_broker_of_its_own_a_connection_declares_the_queue_once(settings, phone, published):
    """The first publish on each connection to the ingest broker declares the queue (RabbitMQ
    drops a message no queue is bound to), the next ones do not; a connection made again
    declares it again."""
    from tracking import ingest_queue

    if not settings.INGEST_BROKER_URL:
        settings.INGEST_BROKER_URL = settings.CELERY_BROKER_URL  # on Redis, the same rule
    with ingest_queue.producer() as producer:
        producer.connection.declared_entities.clear()  # as after connecting again
        assert [q.name for q in ingest_queue.declare(producer)] == ["ingest"]
        device = phone.device
        store_pings.apply_async(
            (device.pk, device.resource_id, timezone.now().isoformat(), []),  # no points
            declare=ingest_queue.declare(producer),
            producer=producer,
        )
        assert ingest_queue.declare(producer) == []
    assert [name for name, _ in published] == ["ingest"]
