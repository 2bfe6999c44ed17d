"""The admin says "Technician" where the code says Resource."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_index_and_the_appointments_list_say_technician(desk_client, appointment):
    index = desk_client.get(reverse("admin:index")).content.decode()
    assert "Technicians" in index
    assert "Resources" not in index
    listing = desk_client.get(reverse("admin:scheduling_appointment_changelist"))
    page = listing.content.decode()
    assert "Technician" in page
    assert "Resource" not in page
    assert "By technician" in page


def test_the_forms_say_technician(desk_client, appointment, technician):
    for url in (
        reverse("admin:scheduling_appointment_change", args=[appointment.pk]),
        reverse("admin:scheduling_resource_change", args=[technician.pk]),
    ):
        page = desk_client.get(url).content.decode()
        assert "Technician" in page
        assert "Resource" not in page
