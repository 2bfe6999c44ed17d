import pytest

from tracking import devices
from tracking.models import Device

API = "/api/tech/v1/"


@pytest.fixture
def unpaired(technician, dispatcher):
    """Terry's phone, added in admin, not paired yet."""
    return Device.objects.create(resource=technician, name="Terry's phone", created_by=dispatcher)


@pytest.fixture
def token(unpaired):
    """Terry's phone, paired as a device pairs: the token the API answered."""
    code = devices.make_pairing_code(device=unpaired)
    _, token = devices.pair(code=code)
    return token


@pytest.fixture
def device(token):
    return Device.objects.select_related("resource").get(token_hash=devices.token_hash(token))


@pytest.fixture
def bearer(token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
