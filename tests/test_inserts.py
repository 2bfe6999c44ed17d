"""common.inserts: a row written as Model.save writes it, for the rows every booking writes."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from common.inserts import insert
from portal.models import OutboxMessage
from scheduling.models import Appointment, AppointmentEvent, Territory
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_it_writes_every_column_as_the_orm_would(account, alice, technician, repair, heat_pump):
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    fields = dict(
        service_account=account,
        customer=alice,
        product=heat_pump,
        service_type=repair,
        resource=technician,
        start=start,
        end=start + repair.duration,
        comments="Gate code 1234",
        travel_distance_km=2.5,
    )
    before = timezone.now()
    ours = insert(Appointment(**fields))
    theirs = Appointment.objects.create(
        **fields | {"start": start + timedelta(hours=2), "end": start + timedelta(hours=3)}
    )

    assert ours.pk is not None and not ours._state.adding and ours._state.db == "default"
    read = Appointment.objects.get(pk=ours.pk)
    columns = [
        f.attname
        for f in Appointment._meta.concrete_fields
        if f.attname not in ("id", "start", "end", "created_at", "updated_at")
    ]
    assert [getattr(read, c) for c in columns] == [
        getattr(Appointment.objects.get(pk=theirs.pk), c) for c in columns
    ]
    assert (read.start, read.end) == (start, start + repair.duration)
    assert read.status == Appointment.Status.SCHEDULED  # the field's default
    assert before <= read.created_at == ours.created_at <= timezone.now()  # auto_now_add


def test_json_and_nulls_round_trip(db):
    payload = {"render": {"with": "x.y", "arguments": {"n": 1, "none": None, "text": "é"}}}
    row = insert(
        OutboxMessage(subject="Hi", to="a@example.com", from_email="p@example.com", payload=payload)
    )
    read = OutboxMessage.objects.get(pk=row.pk)
    assert read.payload == payload
    assert read.sent_at is None and read.last_attempt_at is None
    assert read.status == OutboxMessage.Status.QUEUED


def test_a_failed_insert_leaves_its_atomic_block_to_be_rolled_back(account, technician, repair):
    start = timezone.now() + timedelta(days=3)
    first = AppointmentFactory(
        service_account=account, resource=technician, service_type=repair, start=start
    )
    with transaction.atomic():
        Territory.objects.create(name="Written, then rolled back")
        # The same technician at the same time: the overlap constraint refuses it.
        clash = Appointment(
            service_account=account,
            product=first.product,
            service_type=repair,
            resource=technician,
            start=start,
            end=first.end,
        )
        with pytest.raises(IntegrityError):
            insert(clash)
        # As after a failed save(): nothing more runs in this block.
        with pytest.raises(TransactionManagementError):
            Territory.objects.count()
    assert not Territory.objects.filter(name="Written, then rolled back").exists()
    assert Appointment.objects.filter(resource=technician).count() == 1


def test_an_event_names_its_appointment(appointment, alice):
    event = insert(
        AppointmentEvent(
            appointment=appointment,
            by=alice,
            kind=AppointmentEvent.Kind.STATUS,
            from_status="scheduled",
            to_status="traveling",
        )
    )
    assert AppointmentEvent.objects.filter(pk=event.pk, appointment=appointment, by=alice).exists()


def test_it_refuses_a_model_something_listens_to(db):
    def receiver(**kwargs):
        pass

    row = OutboxMessage(subject="Hi", to="a@example.com", from_email="p@example.com", payload={})
    post_save.connect(receiver, sender=OutboxMessage)
    try:
        with pytest.raises(TypeError, match="save signal receivers"):
            insert(row)
    finally:
        post_save.disconnect(receiver, sender=OutboxMessage)
    assert insert(row).pk is not None


def test_an_unsaved_related_object_is_an_error_as_with_save(account, technician, repair):
    start = timezone.now() + timedelta(days=3)
    unsaved = Appointment(
        service_account=account,
        resource=technician,
        service_type=repair,
        product=repair.products.first(),
        start=start,
        end=start + repair.duration,
    )
    event = AppointmentEvent(appointment=unsaved, kind=AppointmentEvent.Kind.BOOKED)
    with pytest.raises(ValueError, match="unsaved related object 'appointment'"):
        insert(event)
