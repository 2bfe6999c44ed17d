import pytest
from django.utils import timezone

from tracking import devices
from tracking.models import Device

pytestmark = pytest.mark.django_db


@pytest.fixture
def paired(technician):
    token = devices.new_token()
    device = Device.objects.create(
        resource=technician, name="Phone", token_hash=devices.token_hash(token)
    )
    return device, token


def test_a_paired_device_is_known_by_its_token(client, paired):
    device, token = paired
    response = client.get("/api/tech/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"device": "Phone", "technician": str(device.resource)}


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer ", "Basic x"])
def test_no_or_a_wrong_token_is_401(client, paired, header):
    headers = {"Authorization": header} if header else {}
    assert client.get("/api/tech/v1/me", headers=headers).status_code == 401


def test_a_revoked_token_is_401_at_once(client, paired):
    device, token = paired
    Device.objects.filter(pk=device.pk).update(revoked_at=timezone.now())
    response = client.get("/api/tech/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_the_schema_is_published(client):
    response = client.get("/api/tech/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/tech/v1/me" in response.json()["paths"]
