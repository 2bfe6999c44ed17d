"""Dispatchers' changes leave a trail in admin's log, which a supervisor (the Supervisors
group) reads and nobody edits; dispatchers themselves cannot open it."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.support.mfa import sign_in_with_totp

pytestmark = pytest.mark.django_db

LOG = reverse("admin:admin_logentry_changelist")


@pytest.fixture
def supervisor_client(db):
    """Sam of the Supervisors group, on a client of their own (Dina has the default one)."""
    client = Client()
    sam = UserFactory(email="sam@example.com", is_staff=True)
    sam.groups.add(Group.objects.get(name="Supervisors"))
    sign_in_with_totp(client, sam)
    return client


@pytest.fixture
def traveling(desk_client, appointment):
    """Dina marked Alice's visit Traveling (confirmed), and saved a comment on it."""
    changelist = reverse("admin:scheduling_appointment_changelist")
    data = {"action": "mark_traveling", "_selected_action": [appointment.pk], "confirmed": "yes"}
    desk_client.post(changelist, data)
    change = reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    form = {"comments": "Gate code 1234", "events-TOTAL_FORMS": "1", "events-INITIAL_FORMS": "1"}
    form |= {"events-0-id": appointment.events.first().pk, "events-0-appointment": appointment.pk}
    assert desk_client.post(change, form).status_code == 302
    return appointment


def test_the_dispatchers_changes_are_logged(traveling, desk_dispatcher):
    entries = LogEntry.objects.filter(user=desk_dispatcher, object_id=str(traveling.pk))
    messages = [e.get_change_message() for e in entries.order_by("id")]
    assert messages == ["Marked Traveling.", "Changed Comments."]


def test_a_supervisor_reads_the_trail(supervisor_client, traveling):
    page = supervisor_client.get(LOG)
    assert page.status_code == 200
    html = page.content.decode()
    assert "dina@example.com" in html
    assert "Marked Traveling." in html and "Changed Comments." in html
    entry = LogEntry.objects.first()
    assert (
        supervisor_client.get(reverse("admin:admin_logentry_change", args=[entry.pk])).status_code
        == 200
    )


def test_nobody_edits_the_trail(supervisor_client, traveling):
    entry = LogEntry.objects.first()
    assert supervisor_client.get(reverse("admin:admin_logentry_add")).status_code == 403
    delete = reverse("admin:admin_logentry_delete", args=[entry.pk])
    assert supervisor_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:admin_logentry_change", args=[entry.pk])
    supervisor_client.post(change, {"change_message": "nothing happened"})
    entry.refresh_from_db()
    assert entry.get_change_message() != "nothing happened"
    assert "Save" not in supervisor_client.get(change).content.decode()


def test_a_dispatcher_cannot_read_the_trail(desk_client):
    assert desk_client.get(LOG).status_code == 403
    assert LOG not in desk_client.get(reverse("admin:index")).content.decode()
