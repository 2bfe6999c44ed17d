"""How a device proves itself to the technicians' API: its token as `Authorization: Bearer`
(the API's own and Overland's), in the URL (Overland) or as HTTP Basic's password
(OwnTracks). Each finds the device (tracking.devices) and keeps it on the request.

The location endpoints write nothing in the request, so they authenticate with
mark_seen=False: the worker moves "last seen" on with the batch (tracking.ingest)."""

from django.http import HttpRequest
from ninja.security import APIKeyQuery, HttpBasicAuth, HttpBearer

from tracking import devices


def _device(request: HttpRequest, token: str | None, *, mark_seen: bool):
    device = devices.authenticate(token or "", mark_seen=mark_seen)
    if device is not None:
        request.device = device
    return device


class DeviceToken(HttpBearer):
    def __init__(self, *, mark_seen: bool = True):
        super().__init__()
        self.mark_seen = mark_seen

    def __call__(self, request: HttpRequest):
        # ninja's own parsing logs an unexpected header whole in debug: it may hold a token.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token):
        return _device(request, token, mark_seen=self.mark_seen)


class OwnTracksBasic(HttpBasicAuth):
    """OwnTracks' HTTP mode sends HTTP Basic credentials: any user name, the token as the
    password."""

    def authenticate(self, request, username, password):
        return _device(request, password, mark_seen=False)


class TokenInQuery(APIKeyQuery):
    """Overland is given one URL to post to; the token may ride in it (`?token=`)."""

    param_name = "token"

    def authenticate(self, request, key):
        return _device(request, key, mark_seen=False)
