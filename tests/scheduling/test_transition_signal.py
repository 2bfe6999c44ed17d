"""Every status change goes through one transition service, which tells the apps above
scheduling after commit, and only then."""

import pytest
from django.db import transaction

from scheduling import services
from scheduling.models import Appointment
from scheduling.signals import appointment_transitioned
from tests.factories import ResourceFactory
from tests.support.clock import next_weekday_at

Status = Appointment.Status


@pytest.fixture
def booked(alice, repair):
    account = alice.service_account
    ResourceFactory(territories=[account.territory])
    return services.book(
        account=account, customer=alice, product=repair.products.first(), service_type=repair,
        start=next_weekday_at("10:00"),
    )  # fmt: skip


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, appointment, from_status, to_status, by, **kwargs):
        calls.append((appointment.pk, from_status, to_status, by))

    appointment_transitioned.connect(receiver)
    yield calls
    appointment_transitioned.disconnect(receiver)


@pytest.mark.django_db
def test_a_transition_is_announced_after_commit(
    booked, heard, dispatcher, django_capture_on_commit_callbacks
):
    appointment = booked
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.transition(appointment=appointment, to=Status.TRAVELING, by=dispatcher)
    assert heard == []  # not before the commit
    for callback in callbacks:
        callback()
    assert heard == [(appointment.pk, Status.SCHEDULED, Status.TRAVELING, dispatcher)]


@pytest.mark.django_db
def test_a_customer_cancel_is_announced_too(
    booked, heard, alice, django_capture_on_commit_callbacks
):
    appointment = booked
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(appointment=appointment, reason="Moving house", by=alice)
    assert heard == [(appointment.pk, Status.SCHEDULED, Status.CANCELED, alice)]


@pytest.mark.django_db
def test_a_rolled_back_transition_tells_nobody(
    booked, heard, dispatcher, django_capture_on_commit_callbacks
):
    appointment = booked
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.transition(appointment=appointment, to=Status.TRAVELING, by=dispatcher)
        raise RuntimeError("the caller's transaction fails")
    assert heard == []
    appointment.refresh_from_db()
    assert appointment.status == Status.SCHEDULED


@pytest.mark.django_db
def test_a_failing_receiver_does_not_undo_the_change(
    booked, dispatcher, django_capture_on_commit_callbacks, caplog
):
    def broken(**kwargs):
        raise ValueError("a listener's bug")

    appointment_transitioned.connect(broken)
    try:
        appointment = booked
        with django_capture_on_commit_callbacks(execute=True):
            services.transition(appointment=appointment, to=Status.TRAVELING, by=dispatcher)
    finally:
        appointment_transitioned.disconnect(broken)
    appointment.refresh_from_db()
    assert appointment.status == Status.TRAVELING
    assert "a listener's bug" in caplog.text


@pytest.mark.django_db
def test_an_illegal_transition_names_both_states(booked, dispatcher):
    appointment = booked
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.COMPLETED)
    with pytest.raises(services.IllegalTransition) as refused:
        services.transition(appointment=appointment, to=Status.TRAVELING, by=dispatcher)
    assert (refused.value.current, refused.value.to) == (Status.COMPLETED, Status.TRAVELING)
    assert str(refused.value) == "An appointment that is Completed cannot become Traveling."
