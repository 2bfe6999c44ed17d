"""Dispatchers pair technicians' devices in admin: adding one shows its pairing code and QR
image once; actions make a new code or revoke."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.tracking.conftest import API
from tracking import devices
from tracking.admin import pairing_url, qr_svg
from tracking.models import Device

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tracking_device_changelist")
CODE = re.compile(r'<code class="pairing-code">([0-9A-Z]{5}-[0-9A-Z]{5})</code>')


def _pair(client, code):
    return client.post(API + "pair", {"code": code}, content_type="application/json")


def test_adding_a_device_shows_its_pairing_code_and_qr_once(
    admin_client, client, technician, dispatcher, settings
):
    settings.PAIRING_CODE_TTL_MINUTES = 15
    response = admin_client.post(
        reverse("admin:tracking_device_add"), {"resource": technician.pk, "name": "Van tablet"}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    [code] = CODE.findall(html)
    device = Device.objects.get()
    assert (device.resource, device.name, device.created_by) == (
        technician,
        "Van tablet",
        dispatcher,
    )
    assert device.pairing_code_hash and code.replace("-", "") not in device.pairing_code_hash
    # 09:00 in Seattle, the technician's zone, and 15 minutes on.
    assert "Tue 2030-06-04 09:15 PDT" in html
    # The image holds the technicians' web app with the code: a phone's camera opens it.
    link = pairing_url(app_url="http://testserver/tech/", code=code)
    assert link == f"http://testserver/tech/?code={code}"
    assert qr_svg(link) in html
    assert "style=" not in qr_svg(link)  # the Content-Security-Policy refuses inline styles

    assert _pair(client, code).status_code == 200
    assert code not in admin_client.get(CHANGELIST).content.decode()


def test_the_list_shows_technician_name_state_and_last_seen(admin_client, device, technician):
    Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now() - timedelta(hours=2))
    Device.objects.create(resource=technician, name="Old phone", revoked_at=timezone.now())
    Device.objects.create(resource=technician, name="New phone")

    html = admin_client.get(CHANGELIST).content.decode()

    for text in ["Terry Tech", "Terry&#x27;s phone", "Old phone", "New phone", "Paired",
                 "Revoked", "Not paired yet", "Tue 2030-06-04 07:00 PDT"]:  # fmt: skip
        assert text in html
    assert admin_client.get(CHANGELIST, {"state": "revoked"}).context["cl"].result_count == 1


def test_a_new_code_replaces_the_old_one(admin_client, client, unpaired):
    old = devices.make_pairing_code(device=unpaired)

    response = admin_client.post(
        CHANGELIST, {"action": "new_pairing_code", "_selected_action": [unpaired.pk]}
    )

    [new] = CODE.findall(response.content.decode())
    assert _pair(client, old).status_code == 400
    assert _pair(client, new).status_code == 200


def test_a_revoked_device_gets_no_new_code(admin_client, unpaired):
    devices.revoke(device=unpaired)
    response = admin_client.post(
        CHANGELIST, {"action": "new_pairing_code", "_selected_action": [unpaired.pk]}, follow=True
    )
    assert "is revoked; add a new device to pair again" in response.content.decode()
    assert not CODE.findall(response.content.decode())


def test_revoking_stops_the_token_at_once(admin_client, client, device, bearer):
    response = admin_client.post(
        CHANGELIST, {"action": "revoke", "_selected_action": [device.pk]}, follow=True
    )

    assert "Revoked 1 device(s)." in response.content.decode()
    device.refresh_from_db()
    assert device.revoked_at == timezone.now()
    assert client.get(API + "me", headers=bearer).status_code == 401


def test_a_paired_devices_technician_cannot_be_changed(admin_client, device):
    page = admin_client.get(reverse("admin:tracking_device_change", args=[device.pk]))
    assert "resource" not in page.context["adminform"].form.fields
    assert "name" in page.context["adminform"].form.fields
