"""POST appointments/{id}/status: the technician moves their own visits along, through the
scheduling services' one `transition` (history, rules, signal)."""

import pytest

from scheduling.models import Appointment, AppointmentEvent
from scheduling.signals import appointment_transitioned
from tests.factories import ResourceFactory
from tests.tracking.conftest import API

pytestmark = pytest.mark.django_db


def _url(appointment_id) -> str:
    return f"{API}appointments/{appointment_id}/status"


def _post(client, bearer, appointment_id, body):
    return client.post(_url(appointment_id), body, content_type="application/json", headers=bearer)


def test_on_the_way_goes_through_transition_and_its_history(
    client, bearer, appointment, technician, django_capture_on_commit_callbacks
):
    heard = []

    def listen(**kwargs):
        heard.append(kwargs)

    appointment_transitioned.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            body = {"status": "traveling", "note": "15 min"}
            response = _post(client, bearer, appointment.pk, body)
    finally:
        appointment_transitioned.disconnect(listen)

    assert response.status_code == 200
    assert response.json()["id"] == appointment.pk
    assert response.json()["status"] == "traveling"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.TRAVELING
    event = appointment.events.get(kind=AppointmentEvent.Kind.STATUS)
    assert (event.by, event.from_status, event.to_status, event.note) == (
        technician.user,
        "scheduled",
        "traveling",
        "15 min",
    )
    assert [(h["from_status"], h["to_status"]) for h in heard] == [("scheduled", "traveling")]


def test_the_whole_visit_and_a_turn_back(client, bearer, appointment):
    for status in ["traveling", "scheduled", "traveling", "in_progress", "completed"]:
        response = _post(client, bearer, appointment.pk, {"status": status})
        assert (response.status_code, response.json()["status"]) == (200, status)
    assert appointment.events.filter(kind=AppointmentEvent.Kind.STATUS).count() == 5


def test_the_same_status_again_is_200_and_changes_nothing(client, bearer, appointment):
    assert _post(client, bearer, appointment.pk, {"status": "traveling"}).status_code == 200

    again = _post(client, bearer, appointment.pk, {"status": "traveling"})

    assert (again.status_code, again.json()["status"]) == (200, "traveling")
    assert appointment.events.filter(kind=AppointmentEvent.Kind.STATUS).count() == 1


@pytest.mark.parametrize(
    ("path", "to", "current"),
    [
        (["traveling", "in_progress", "completed"], "traveling", "completed"),
        ([], "completed", "scheduled"),
        (["traveling", "in_progress"], "scheduled", "in_progress"),
    ],
)
def test_an_illegal_transition_is_409_naming_both_states(
    client, bearer, appointment, path, to, current
):
    for status in path:
        assert _post(client, bearer, appointment.pk, {"status": status}).status_code == 200

    response = _post(client, bearer, appointment.pk, {"status": to})

    assert response.status_code == 409
    body = response.json()
    assert (body["field"], body["current"], body["requested"]) == ("status", current, to)
    assert Appointment.Status(current).label in body["detail"]
    assert Appointment.Status(to).label in body["detail"]
    appointment.refresh_from_db()
    assert appointment.status == current


def test_another_technicians_appointment_or_an_unknown_one_is_404(client, bearer, appointment):
    theirs = ResourceFactory()
    Appointment.objects.filter(pk=appointment.pk).update(resource=theirs)

    for appointment_id in [appointment.pk, appointment.pk + 1000]:
        response = _post(client, bearer, appointment_id, {"status": "traveling"})
        assert response.status_code == 404
        assert response.json()["field"] == "appointment_id"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED


@pytest.mark.parametrize(
    ("appointment_id", "body", "field"),
    [
        (None, {"status": "canceled"}, "status"),
        (None, {"status": "TRAVELING"}, "status"),
        (None, {}, "status"),
        (None, {"status": "traveling", "note": "x" * 2001}, "note"),
        (None, {"status": "traveling", "note": "a\x00b"}, "note"),
        ("abc", {"status": "traveling"}, "appointment_id"),
        ("0", {"status": "traveling"}, "appointment_id"),
        (str(2**63), {"status": "traveling"}, "appointment_id"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client, bearer, appointment, appointment_id, body, field
):
    response = _post(client, bearer, appointment_id or appointment.pk, body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.SCHEDULED


def test_without_a_token_it_is_401(client, appointment):
    response = client.post(
        _url(appointment.pk), {"status": "traveling"}, content_type="application/json"
    )
    assert response.status_code == 401
