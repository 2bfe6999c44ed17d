"""The technicians' JSON API, version 1, under /api/tech/v1/ (django-ninja; its schema at
/api/tech/v1/openapi.json). Devices authenticate with their token."""

from ninja import NinjaAPI
from ninja.security import HttpBearer

from tracking import devices


class DeviceToken(HttpBearer):
    def authenticate(self, request, token):
        device = devices.authenticate(token)
        if device is not None:
            request.device = device
        return device


api = NinjaAPI(
    title="Field Service Portal: technicians' API",
    version="1",
    urls_namespace="tech-api-v1",
    auth=DeviceToken(),
    docs_url=None,
)


# HEAD answers as GET does, as everywhere in the portal (ninja answers it 405 otherwise).
@api.api_operation(["GET", "HEAD"], "me", summary="The device and technician the token belongs to")
def me(request):
    device = request.device
    return {"device": device.name, "technician": str(device.resource)}


# The location endpoints (locations, owntracks, overland) live in their own module.
from tracking.ingest_api import router as ingest_router  # noqa: E402

api.add_router("", ingest_router)
