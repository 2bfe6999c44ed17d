"""Dispatchers run the scheduling domain from Django admin: the catalogue, technicians,
settings and appointments, whose status moves only through actions that keep the history."""

from datetime import timedelta

import pytest
from django.urls import reverse

from portal.models import OutboxMessage
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    Characteristic,
    Product,
    Resource,
    SchedulingSettings,
    ServiceType,
    TimeOff,
)
from tests.factories import (
    CharacteristicFactory,
    ResourceFactory,
    ServiceAccountFactory,
    TerritoryFactory,
)
from tests.support.clock import LA, next_weekday_at

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:scheduling_appointment_changelist")
Status = Appointment.Status


def written(account, resource, service_type, *, status=Status.SCHEDULED, hour="10:00"):
    """An appointment in a given state, written directly."""
    start = next_weekday_at(hour)
    return Appointment.objects.create(
        service_account=account,
        product=service_type.products.get(),
        service_type=service_type,
        resource=resource,
        start=start,
        end=start + service_type.duration,
        status=status,
    )


def act(client, action: str, *appointments):
    """Run an action, confirmed where it asks (Traveling days ahead: test_admin_traveling)."""
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [a.pk for a in appointments], "confirmed": "yes"},
        follow=True,
    )


def named(appointment) -> str:
    local = appointment.start.astimezone(LA).strftime("%a %Y-%m-%d %H:%M %Z")
    return f"Repair visit at Alice Anderson residence on {local}"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_every_scheduling_page_shows_its_rows(admin_client, appointment, technician):
    hvac = CharacteristicFactory(name="HVAC certified")
    technician.characteristics.set([hvac])
    TimeOff.objects.create(
        resource=technician,
        start=appointment.start + timedelta(days=7),
        end=appointment.start + timedelta(days=8),
        reason="Training",
    )
    shown = [
        (hvac, ["HVAC certified"]),
        (appointment.product, ["Heat pump"]),
        (appointment.service_type, ["Repair visit", "Heat pump"]),
        (technician, ["Terry Tech", "HVAC certified", "Training"]),
        (appointment, ["Alice Anderson residence", "Terry Tech", "Booked"]),
    ]
    for row, texts in shown:
        name = row._meta.model_name
        listed = admin_client.get(reverse(f"admin:scheduling_{name}_changelist"))
        assert list(listed.context["cl"].result_list) == [row]
        change = admin_client.get(reverse(f"admin:scheduling_{name}_change", args=[row.pk]))
        assert change.context["original"] == row
        html = change.content.decode()
        assert [t for t in texts if t not in html] == [], name
    for model in (Characteristic, Product, ServiceType, Resource):
        add = admin_client.get(reverse(f"admin:scheduling_{model._meta.model_name}_add"))
        assert f"<h1>Add {model._meta.verbose_name}</h1>" in add.content.decode()


def test_search_finds_appointments_by_customer_and_technicians_by_name(
    admin_client, appointment, technician, account, repair
):
    olive = ResourceFactory(
        territories=[account.territory], user__first_name="Olive", user__last_name="Other"
    )
    written(account, olive, repair, hour="14:00")  # nobody's: made by a dispatcher

    by_customer = admin_client.get(CHANGELIST, {"q": "alice@example.com"})
    by_name = admin_client.get(reverse("admin:scheduling_resource_changelist"), {"q": "Terry"})

    assert list(by_customer.context["cl"].result_list) == [appointment]
    assert "1 result" in by_customer.content.decode()
    assert list(by_name.context["cl"].result_list) == [technician]
    html = by_name.content.decode()
    assert "Terry Tech" in html and "Olive Other" not in html


def test_the_appointment_list_shows_the_sites_local_time(admin_client, appointment):
    response = admin_client.get(CHANGELIST)

    local = appointment.start.astimezone(LA).strftime("%a %Y-%m-%d %H:%M %Z")
    assert local.endswith((" 10:00 PST", " 10:00 PDT"))
    assert local in response.content.decode()
    assert "Terry Tech" in response.content.decode()


def test_the_change_page_shows_the_history(admin_client, appointment):
    response = admin_client.get(
        reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    )

    html = response.content.decode()
    assert "Booked" in html
    assert 'name="status"' not in html
    assert 'name="comments"' in html


def test_the_actions_move_an_appointment_along_and_keep_its_history(
    admin_client, appointment, dispatcher
):
    for action, status in [
        ("mark_traveling", Status.TRAVELING),
        ("mark_in_progress", Status.IN_PROGRESS),
        ("mark_completed", Status.COMPLETED),
    ]:
        response = act(admin_client, action, appointment)
        assert messages_of(response) == [f"1 appointment(s) now {status.label}."]
        appointment.refresh_from_db()
        assert appointment.status == status

    events = appointment.events.filter(kind=AppointmentEvent.Kind.STATUS)
    assert [(e.from_status, e.to_status, e.by) for e in events] == [
        (Status.SCHEDULED, Status.TRAVELING, dispatcher),
        (Status.TRAVELING, Status.IN_PROGRESS, dispatcher),
        (Status.IN_PROGRESS, Status.COMPLETED, dispatcher),
    ]


def test_a_technician_who_turned_back_is_scheduled_again(admin_client, appointment):
    act(admin_client, "mark_traveling", appointment)
    act(admin_client, "back_to_scheduled", appointment)

    appointment.refresh_from_db()
    assert appointment.status == Status.SCHEDULED
    event = appointment.events.last()
    assert (event.from_status, event.to_status) == (Status.TRAVELING, Status.SCHEDULED)
    assert event.note == "Technician turned back"


def test_an_illegal_move_is_refused_naming_the_appointment(
    admin_client, appointment, account, technician, repair
):
    traveling = written(account, technician, repair, status=Status.TRAVELING, hour="14:00")
    events = AppointmentEvent.objects.count()

    response = act(admin_client, "mark_completed", appointment, traveling)

    assert messages_of(response) == [
        f"Not changed: appointment {appointment.pk}, {named(appointment)}. "
        "An appointment that is Scheduled cannot become Completed.",
        f"Not changed: appointment {traveling.pk}, {named(traveling)}. "
        "An appointment that is Traveling cannot become Completed.",
    ]
    appointment.refresh_from_db()
    traveling.refresh_from_db()
    assert (appointment.status, traveling.status) == (Status.SCHEDULED, Status.TRAVELING)
    assert AppointmentEvent.objects.count() == events


def test_a_mixed_selection_changes_what_it_can(
    admin_client, appointment, account, technician, repair
):
    done = written(account, technician, repair, status=Status.COMPLETED, hour="14:00")

    response = act(admin_client, "mark_traveling", appointment, done)

    assert messages_of(response) == [
        f"Not changed: appointment {done.pk}, {named(done)}. "
        "An appointment that is Completed cannot become Traveling.",
        "1 appointment(s) now Traveling.",
    ]
    appointment.refresh_from_db()
    assert appointment.status == Status.TRAVELING


def test_the_dispatcher_cancels_with_a_reason_and_the_customer_hears(admin_client, appointment):
    response = act(admin_client, "cancel_by_dispatcher", appointment)

    assert messages_of(response) == ["1 appointment(s) now Canceled."]
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELED
    assert appointment.cancel_reason == "Canceled by dispatcher"
    event = appointment.events.last()
    assert (event.kind, event.from_status, event.note) == (
        AppointmentEvent.Kind.CANCELED,
        Status.SCHEDULED,
        "Canceled by dispatcher",
    )
    assert OutboxMessage.objects.filter(
        to="alice@example.com", subject="Your service visit is canceled"
    ).exists()


def test_filters_by_status_territory_and_resource(admin_client, account, technician, repair):
    elsewhere = ServiceAccountFactory(territory=TerritoryFactory(name="Tacoma"))
    other_tech = ResourceFactory(territories=[elsewhere.territory])
    here_scheduled = written(account, technician, repair)
    here_traveling = written(account, technician, repair, status=Status.TRAVELING, hour="13:00")
    there = written(elsewhere, other_tech, repair)

    def listed(**params) -> set[int]:
        response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return {a.pk for a in response.context["cl"].result_list}

    assert listed(status__exact="traveling") == {here_traveling.pk}
    assert listed(service_account__territory__id__exact=elsewhere.territory_id) == {there.pk}
    assert listed(resource=technician.pk) == {here_scheduled.pk, here_traveling.pk}
    assert listed(resource=other_tech.pk, status__exact="scheduled") == {there.pk}


def test_only_comments_can_be_edited(admin_client, appointment):
    url = reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    events = appointment.events.count()
    response = admin_client.post(
        url,
        {
            "comments": "Ring twice.",
            "status": Status.COMPLETED,
            "start": "2030-01-01 08:00",
            "events-TOTAL_FORMS": str(events),
            "events-INITIAL_FORMS": str(events),
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302
    start = appointment.start
    appointment.refresh_from_db()
    assert appointment.comments == "Ring twice."
    assert (appointment.status, appointment.start) == (Status.SCHEDULED, start)
    assert appointment.events.count() == events


def test_appointments_are_neither_added_by_a_plain_form_nor_deleted_in_admin(
    admin_client, appointment
):
    add = reverse("admin:scheduling_appointment_add")
    # "Add" finds the customer to book for: the booking service keeps the rules.
    assert "Find the customer first." in admin_client.get(add).content.decode()
    plain = {"service_account": appointment.service_account_id, "customer": appointment.customer_id,
             "product": appointment.product_id, "service_type": appointment.service_type_id,
             "resource": appointment.resource_id, "status": "scheduled"}  # fmt: skip
    admin_client.post(add, plain)
    assert Appointment.objects.count() == 1
    delete = reverse("admin:scheduling_appointment_delete", args=[appointment.pk])
    assert admin_client.get(delete).status_code == 403


def test_the_settings_list_opens_the_one_row(admin_client):
    assert not SchedulingSettings.objects.exists()

    response = admin_client.get(reverse("admin:scheduling_schedulingsettings_changelist"))

    row = SchedulingSettings.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:scheduling_schedulingsettings_change", args=[row.pk]
    )
    assert admin_client.get(response["Location"]).status_code == 200
    assert admin_client.get(reverse("admin:scheduling_schedulingsettings_add")).status_code == 403
    delete = reverse("admin:scheduling_schedulingsettings_delete", args=[row.pk])
    assert admin_client.get(delete).status_code == 403


def test_the_settings_can_be_changed(admin_client):
    admin_client.get(reverse("admin:scheduling_schedulingsettings_changelist"))
    row = SchedulingSettings.objects.get()
    response = admin_client.post(
        reverse("admin:scheduling_schedulingsettings_change", args=[row.pk]),
        {
            "slot_step_minutes": 15,
            "horizon_days": 60,
            "min_notice_minutes": 60,
            "change_cutoff_minutes": 240,
            "max_travel_km": 50,
            "travel_speed_kmh": 35,
        },
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.slot_step_minutes, row.horizon_days, row.change_cutoff_minutes) == (15, 60, 240)
    assert SchedulingSettings.objects.count() == 1
